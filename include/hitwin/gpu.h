/* What CUDA devices this process can see, and the --device choice of the stages (cpu, cuda,
 * auto). Builds without CUDA report none. */
#ifndef HITWIN_GPU_H
#define HITWIN_GPU_H

#ifdef __cplusplus
extern "C" {
#endif

/* Number of usable CUDA devices (0 when there is no driver or no device). */
int hw_gpu_count(void);
/* One line per device into buf: "0: NVIDIA H100 (80 GiB, sm_90)". */
void hw_gpu_describe(char *buf, int cap);
/* Was this binary built with the CUDA backend? */
int hw_gpu_built(void);

/* --device (hitwin train, hitwin distance) and the train config's `device:` key.
 *   cpu:  the CPU path (the default; what every CPU test checks)
 *   cuda: the CUDA backend, one GPU per rank; an error when the build has no CUDA backend
 *         or this process sees no device
 *   auto: cuda when the build has CUDA and a device is visible, else cpu */
typedef enum { HW_DEVICE_CPU = 0, HW_DEVICE_CUDA = 1, HW_DEVICE_AUTO = 2 } hw_device_kind;

/* 0 and *k set, or -1 (no message: the caller names the option) for anything but cpu, cuda,
 * auto. */
int hw_device_parse(const char *s, hw_device_kind *k);
const char *hw_device_name(hw_device_kind k);
/* The device to use for `want` in this process: *got is HW_DEVICE_CPU or HW_DEVICE_CUDA.
 * -1 with one hw_error() line when want is cuda and cannot be had:
 *   "device cuda: this hitwin was built without the CUDA backend (...)"
 *   "device cuda: no CUDA device is visible to this process (...)" */
int hw_device_resolve(hw_device_kind want, hw_device_kind *got);

#ifdef __cplusplus
}
#endif
#endif
