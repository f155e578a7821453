// The reference's diagonal mask (nn_mask.c): zero |i - j| < band in every H x W plane.
// The mask is its own adjoint, so backward adds the masked gradient.
#include "gpu_internal.cuh"
#include "hitwin/gpu_ops.h"

template <bool ACCUMULATE>
__global__ static void diagmask_kernel(float *out, const float *inp, int band, int H, int W,
                                       size_t n) {
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        const int j = (int)(k % W), i = (int)(k / W % H);
        const float v = abs(i - j) >= band ? inp[k] : 0.0f;
        if (ACCUMULATE)
            out[k] += v;
        else
            out[k] = v;
    }
}

extern "C" int gpu_diagmask_forward(hw_gpu *g, float *out, const float *inp, int band, int BC,
                                    int H, int W) {
    const size_t n = (size_t)BC * H * W;
    if (!n) return 0;
    diagmask_kernel<false><<<hw_grid(n, 256), 256, 0, g->stream>>>(out, inp, band, H, W, n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_diagmask_backward(hw_gpu *g, float *dinp, const float *dout, int band, int BC,
                                     int H, int W) {
    const size_t n = (size_t)BC * H * W;
    if (!n) return 0;
    diagmask_kernel<true><<<hw_grid(n, 256), 256, 0, g->stream>>>(dinp, dout, band, H, W, n);
    HW_LAUNCH_CHECK();
    return 0;
}
