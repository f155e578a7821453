/* What CUDA devices this process can see. Builds without CUDA report none. */
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

#ifdef __cplusplus
}
#endif
#endif
