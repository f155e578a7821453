// Average pools (nn_avgpool.c) on the device.
//
// avgpool2d (count_include_pad, MBConv's 3/2/1 shortcut): a thread per output adds its
// window in the C op's (kh, kw) order and multiplies by 1/k^2: bit-identical. The backward
// gathers: a thread per input element walks the outputs whose windows cover it in
// increasing (oh, ow), i.e. the order in which the C op's scatter adds into that element,
// with the same values (dout * 1/k^2, rounded on its own): bit-identical and atomic-free.
// The explicit __fmul_rn/__fadd_rn keep nvcc from fusing them into FMAs, which the C op
// (gcc, no contraction) does not do.
//
// Global pool: a warp per (b, c) sums HW values in double (the C op sums in double, in
// another order: equal to rounding); its backward adds dout / HW to each element as the C
// op does (bit-identical).
#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_ops_maxvit.h"

__global__ static void avgpool_forward_kernel(float *out, const float *inp, int H, int W, int OH,
                                              int OW, int kernel, int stride, int pad, float inv,
                                              size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const int ow = (int)(i % OW), oh = (int)((i / OW) % OH);
        const float *x = inp + (i / ((size_t)OH * OW)) * H * W;
        float s = 0.0f;
        for (int kh = 0; kh < kernel; kh++) {
            const int h = oh * stride - pad + kh;
            if (h < 0 || h >= H) continue;
            for (int kw = 0; kw < kernel; kw++) {
                const int w = ow * stride - pad + kw;
                if (w >= 0 && w < W) s = __fadd_rn(s, x[h * W + w]);
            }
        }
        out[i] = __fmul_rn(s, inv);
    }
}

// Outputs o with o * stride - pad <= h <= o * stride - pad + kernel - 1, clipped to [0, O).
__device__ __forceinline__ static void covering(int h, int O, int kernel, int stride, int pad,
                                                int *lo, int *hi) {
    const int t = h + pad - kernel + 1; // o >= ceil(t / stride)
    *lo = t <= 0 ? 0 : (t + stride - 1) / stride;
    *hi = min(O - 1, (h + pad) / stride);
}

__global__ static void avgpool_backward_kernel(float *dinp, const float *dout, int H, int W,
                                               int OH, int OW, int kernel, int stride, int pad,
                                               float inv, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const int w = (int)(i % W), h = (int)((i / W) % H);
        const float *g = dout + (i / ((size_t)H * W)) * OH * OW;
        int oh0, oh1, ow0, ow1;
        covering(h, OH, kernel, stride, pad, &oh0, &oh1);
        covering(w, OW, kernel, stride, pad, &ow0, &ow1);
        float acc = dinp[i];
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++) acc = __fadd_rn(acc, __fmul_rn(g[oh * OW + ow], inv));
        dinp[i] = acc;
    }
}

// A warp per (b, c): out[b ld + c] = mean of the HW values
__global__ static void global_avgpool_forward_kernel(float *out, int ld, const float *inp, int C,
                                                     int HW, int BC) {
    const int lane = threadIdx.x & 31;
    const int bc = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (bc >= BC) return;
    const float *x = inp + (size_t)bc * HW;
    double s = 0.0;
    for (int i = lane; i < HW; i += 32) s += x[i];
    s = hw_warp_sum(s);
    if (lane == 0) out[(size_t)(bc / C) * ld + bc % C] = (float)(s / HW);
}

__global__ static void global_avgpool_backward_kernel(float *dinp, const float *dout, int ld,
                                                      int C, int HW, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const size_t bc = i / HW;
        const float g = dout[(bc / C) * ld + bc % C] / (float)HW;
        dinp[i] = __fadd_rn(dinp[i], g);
    }
}

static int pool_out(int H, int kernel, int stride, int pad) { return (H + 2 * pad - kernel) / stride + 1; }

extern "C" int gpu_avgpool2d_forward(hw_gpu *g, float *out, const float *inp, int B, int C, int H,
                                     int W, int kernel, int stride, int pad) {
    const int OH = pool_out(H, kernel, stride, pad), OW = pool_out(W, kernel, stride, pad);
    const size_t n = (size_t)B * C * OH * OW;
    if (!n || OH <= 0 || OW <= 0) return 0;
    avgpool_forward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(
        out, inp, H, W, OH, OW, kernel, stride, pad, 1.0f / (float)(kernel * kernel), n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_avgpool2d_backward(hw_gpu *g, float *dinp, const float *dout, int B, int C,
                                      int H, int W, int kernel, int stride, int pad) {
    const int OH = pool_out(H, kernel, stride, pad), OW = pool_out(W, kernel, stride, pad);
    const size_t n = (size_t)B * C * H * W;
    if (!n || OH <= 0 || OW <= 0) return 0;
    avgpool_backward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(
        dinp, dout, H, W, OH, OW, kernel, stride, pad, 1.0f / (float)(kernel * kernel), n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_global_avgpool_forward(hw_gpu *g, float *out, int ld, const float *inp, int B,
                                          int C, int HW) {
    const int BC = B * C;
    if (BC <= 0 || HW <= 0) return 0;
    global_avgpool_forward_kernel<<<(BC + 7) / 8, 256, 0, g->stream>>>(out, ld, inp, C, HW, BC);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_global_avgpool_backward(hw_gpu *g, float *dinp, const float *dout, int ld,
                                           int B, int C, int HW) {
    const size_t n = (size_t)B * C * HW;
    if (!n) return 0;
    global_avgpool_backward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(dinp, dout, ld, C, HW,
                                                                           n);
    HW_LAUNCH_CHECK();
    return 0;
}
