// Max pooling with the C op's argmax (nn_pool.c): torch CPU's rule, first maximum in
// row-major window order wins and a NaN is taken. One thread per output.
//
// Backward gathers instead of scattering: each input element sums, in increasing output
// index, the gradients of the outputs whose argmax it is. That is exactly the sequence of
// additions the C op's scatter loop makes into that element, so the result is bit-identical
// and deterministic, with no atomics even when windows overlap (stride < kernel).
#include "gpu_internal.cuh"
#include "hitwin/gpu_ops.h"

__global__ static void maxpool_forward_kernel(float *out, int32_t *argmax, const float *inp,
                                              size_t planes, int H, int W, int OH, int OW,
                                              int kernel, int stride, int pad) {
    const size_t n = planes * OH * OW;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const size_t plane = i / ((size_t)OH * OW);
        const int ow = (int)(i % OW), oh = (int)(i / OW % OH);
        const float *x = inp + plane * H * W;
        int h0 = oh * stride - pad, h1 = h0 + kernel, w0 = ow * stride - pad, w1 = w0 + kernel;
        h0 = max(h0, 0), h1 = min(h1, H), w0 = max(w0, 0), w1 = min(w1, W);
        float m = -INFINITY;
        int32_t mi = h0 * W + w0;
        for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++) {
                float v = x[h * W + w];
                if (v > m || isnan(v)) m = v, mi = h * W + w;
            }
        out[i] = m;
        argmax[i] = mi;
    }
}

__global__ static void maxpool_backward_kernel(float *dinp, const float *dout,
                                               const int32_t *argmax, size_t planes, int H, int W,
                                               int OH, int OW, int kernel, int stride, int pad) {
    const size_t n = planes * H * W;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const size_t plane = i / ((size_t)H * W);
        const int w = (int)(i % W), h = (int)(i / W % H), self = h * W + w;
        // outputs whose window [o*stride - pad, o*stride - pad + kernel) holds h (w alike)
        const int oh0 = max(0, (h + pad - kernel + stride) / stride), oh1 = min(OH - 1, (h + pad) / stride);
        const int ow0 = max(0, (w + pad - kernel + stride) / stride), ow1 = min(OW - 1, (w + pad) / stride);
        const int32_t *a = argmax + plane * OH * OW;
        const float *g = dout + plane * OH * OW;
        float acc = dinp[i];
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++)
                if (a[oh * OW + ow] == self) acc += g[oh * OW + ow];
        dinp[i] = acc;
    }
}

extern "C" int gpu_maxpool2d_forward(hw_gpu *g, float *out, int32_t *argmax, const float *inp,
                                     int B, int C, int H, int W, int kernel, int stride, int pad) {
    const int OH = nn_pool_out_size(H, kernel, stride, pad), OW = nn_pool_out_size(W, kernel, stride, pad);
    if (OH < 1 || OW < 1 || stride < 1 || pad < 0 || 2 * pad > kernel)
        return hw_fail("cuda maxpool2d: invalid geometry (H %d, W %d, kernel %d, stride %d, pad %d)",
                       H, W, kernel, stride, pad);
    const size_t planes = (size_t)B * C, n = planes * OH * OW;
    maxpool_forward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, argmax, inp, planes, H, W,
                                                                   OH, OW, kernel, stride, pad);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_maxpool2d_backward(hw_gpu *g, float *dinp, const float *dout,
                                      const int32_t *argmax, int B, int C, int H, int W,
                                      int kernel, int stride, int pad) {
    const int OH = nn_pool_out_size(H, kernel, stride, pad), OW = nn_pool_out_size(W, kernel, stride, pad);
    if (OH < 1 || OW < 1 || stride < 1 || pad < 0 || 2 * pad > kernel)
        return hw_fail("cuda maxpool2d: invalid geometry (H %d, W %d, kernel %d, stride %d, pad %d)",
                       H, W, kernel, stride, pad);
    const size_t planes = (size_t)B * C, n = planes * H * W;
    maxpool_backward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(dinp, dout, argmax, planes, H,
                                                                    W, OH, OW, kernel, stride, pad);
    HW_LAUNCH_CHECK();
    return 0;
}
