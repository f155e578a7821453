// The GPU MaxViT's element-wise glue (gpu_ops_maxvit.h): the residual add and the stem's
// 1 -> 3 channel fold. Each is the C model's float operation in its order (maxvit.c's loops),
// __fadd_rn so that no contraction can change a rounding: bit-identical to the CPU.
#include "gpu_internal.cuh"
#include "hitwin/gpu_ops_maxvit.h"

__global__ static void add_inplace_kernel(float *y, const float *x, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        y[i] = __fadd_rn(y[i], x[i]);
}

extern "C" int gpu_add_inplace(hw_gpu *g, float *y, const float *x, size_t n) {
    if (n == 0) return 0;
    add_inplace_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(y, x, n);
    HW_LAUNCH_CHECK();
    return 0;
}

// wsum[oc, k] = (w[oc, 0, k] + w[oc, 1, k]) + w[oc, 2, k]
__global__ static void fold_kernel(float *wsum, const float *w, int C, int K2, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const size_t oc = i / K2, k = i % K2;
        float acc = w[(oc * C + 0) * K2 + k];
        for (int c = 1; c < C; c++) acc = __fadd_rn(acc, w[(oc * C + c) * K2 + k]);
        wsum[i] = acc;
    }
}

// dw[oc, c, k] += dwsum[oc, k]
__global__ static void unfold_kernel(float *dw, const float *dwsum, int C, int K2, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const size_t oc = i / ((size_t)C * K2), k = i % K2;
        dw[i] = __fadd_rn(dw[i], dwsum[oc * K2 + k]);
    }
}

extern "C" int gpu_channel_fold_forward(hw_gpu *g, float *wsum, const float *w, int OC, int C, int K2) {
    const size_t n = (size_t)OC * K2;
    if (n == 0) return 0;
    fold_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(wsum, w, C, K2, n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_channel_fold_backward(hw_gpu *g, float *dw, const float *dwsum, int OC, int C, int K2) {
    const size_t n = (size_t)OC * C * K2;
    if (n == 0) return 0;
    unfold_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(dw, dwsum, C, K2, n);
    HW_LAUNCH_CHECK();
    return 0;
}
