// Device discovery for `hitwin version`, the gpu tests' skip decision and --device.
#include <cuda_runtime.h>
#include <stdio.h>
#include <string.h>

extern "C" {
#include "hitwin/error.h"
}
#include "hitwin/gpu.h"

extern "C" int hw_gpu_built(void) { return 1; }

extern "C" int hw_gpu_count(void) {
    int n = 0;
    // No driver or no device is an ordinary situation here, not an error.
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return n;
}

extern "C" void hw_gpu_describe(char *buf, int cap) {
    int n = hw_gpu_count(), len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && len < cap; i++) {
        cudaDeviceProp p;
        if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
        len += snprintf(buf + len, cap - len, "%d: %s (%.0f GiB, sm_%d%d)\n", i, p.name,
                        p.totalGlobalMem / 1073741824.0, p.major, p.minor);
    }
}

extern "C" int hw_device_parse(const char *s, hw_device_kind *k) {
    if (!strcmp(s, "cpu")) *k = HW_DEVICE_CPU;
    else if (!strcmp(s, "cuda")) *k = HW_DEVICE_CUDA;
    else if (!strcmp(s, "auto")) *k = HW_DEVICE_AUTO;
    else return -1;
    return 0;
}

extern "C" const char *hw_device_name(hw_device_kind k) {
    return k == HW_DEVICE_CUDA ? "cuda" : k == HW_DEVICE_AUTO ? "auto" : "cpu";
}

extern "C" int hw_device_resolve(hw_device_kind want, hw_device_kind *got) {
    *got = HW_DEVICE_CPU;
    if (want == HW_DEVICE_CPU) return 0;
    if (hw_gpu_count() > 0) {
        *got = HW_DEVICE_CUDA;
        return 0;
    }
    if (want == HW_DEVICE_AUTO) return 0;
    return hw_fail("device cuda: no CUDA device is visible to this process (check nvidia-smi "
                   "and CUDA_VISIBLE_DEVICES, or use --device cpu)");
}
