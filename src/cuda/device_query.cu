// Device discovery for `hitwin version` and the gpu tests' skip decision.
#include <cuda_runtime.h>
#include <stdio.h>

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
