// L2 normalisation (F.normalize) and the reference's per-sample max normalisation
// (nn_norm.c). One block per row or sample; sums in double as the C op's.
//
// maxnorm's max reproduces the C loop `m = x[i] > m ? x[i] : m` from m = x[0]: that loop
// never picks a NaN after the first element and keeps a NaN first element, so the max is
// x[0] when x[0] is NaN and otherwise the largest non-NaN value, which is what the
// NaN-ignoring fmaxf reduction gives. The gradient of the max is split evenly over the
// elements equal to it, as amax's backward (and the C op) do.
#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_ops.h"

#define HW_ROW_BLOCK 128  // embedding rows: D = 83
#define HW_TILE_BLOCK 512 // tiles: N = S*S

__global__ static void l2norm_forward_kernel(float *out, const float *inp, float eps, int D) {
    const float *x = inp + (size_t)blockIdx.x * D;
    double ss = 0.0;
    for (int i = threadIdx.x; i < D; i += blockDim.x) ss += (double)x[i] * x[i];
    double n = sqrt(hw_block_sum(ss));
    float inv = (float)(1.0 / (n > eps ? n : eps));
    for (int i = threadIdx.x; i < D; i += blockDim.x) out[(size_t)blockIdx.x * D + i] = x[i] * inv;
}

__global__ static void l2norm_backward_kernel(float *dinp, const float *dout, const float *inp,
                                              float eps, int D) {
    const size_t row = (size_t)blockIdx.x * D;
    const float *x = inp + row, *g = dout + row;
    float *dx = dinp + row;
    double ss = 0.0, dot = 0.0;
    for (int i = threadIdx.x; i < D; i += blockDim.x) {
        ss += (double)x[i] * x[i];
        dot += (double)x[i] * g[i];
    }
    double n = sqrt(hw_block_sum(ss));
    dot = hw_block_sum(dot);
    if (n > eps) { // d(x/n) = g/n - x (x.g)/n^3
        float a = (float)(1.0 / n), c = (float)(dot / (n * n * n));
        for (int i = threadIdx.x; i < D; i += blockDim.x) dx[i] += g[i] * a - x[i] * c;
    } else { // the clamp is active: out = x / eps
        for (int i = threadIdx.x; i < D; i += blockDim.x) dx[i] += g[i] / eps;
    }
}

// the C op's max of one sample (see the file comment); all threads get it
__device__ static float sample_max(const float *x, int N) {
    float m = -INFINITY;
    for (int i = threadIdx.x; i < N; i += blockDim.x) m = fmaxf(m, x[i]);
    m = hw_block_max(m);
    return isnan(x[0]) ? x[0] : m;
}

__global__ static void maxnorm_forward_kernel(float *out, float *maxval, const float *inp, int N) {
    const size_t off = (size_t)blockIdx.x * N;
    const float *x = inp + off;
    const float m = sample_max(x, N);
    if (threadIdx.x == 0) maxval[blockIdx.x] = m;
    const float inv = m != 0.0f ? 1.0f / m : 1.0f; // guard: an all-zero sample stays zero
    __syncthreads(); // in place (out == inp): every thread has read x[0] above
    for (int i = threadIdx.x; i < N; i += blockDim.x) out[off + i] = x[i] * inv;
}

__global__ static void maxnorm_backward_kernel(float *dinp, const float *dout, const float *inp,
                                               const float *maxval, int N) {
    const size_t off = (size_t)blockIdx.x * N;
    const float *x = inp + off, *g = dout + off;
    float *dx = dinp + off;
    const float m = maxval[blockIdx.x];
    if (m == 0.0f) { // guarded pass-through
        for (int i = threadIdx.x; i < N; i += blockDim.x) dx[i] += g[i];
        return;
    }
    double dot = 0.0;
    int ties = 0;
    for (int i = threadIdx.x; i < N; i += blockDim.x) {
        dot += (double)g[i] * x[i];
        ties += x[i] == m;
    }
    dot = hw_block_sum(dot);
    ties = hw_block_sum_int(ties);
    const float inv = 1.0f / m;
    const float dm = (float)(-dot / ((double)m * m) / (ties ? ties : 1));
    for (int i = threadIdx.x; i < N; i += blockDim.x) dx[i] += g[i] * inv + (x[i] == m ? dm : 0.0f);
}

extern "C" int gpu_l2norm_forward(hw_gpu *g, float *out, const float *inp, float eps, int B, int D) {
    if (B < 1) return 0;
    l2norm_forward_kernel<<<B, HW_ROW_BLOCK, 0, g->stream>>>(out, inp, eps, D);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_l2norm_backward(hw_gpu *g, float *dinp, const float *dout, const float *inp,
                                   float eps, int B, int D) {
    if (B < 1) return 0;
    l2norm_backward_kernel<<<B, HW_ROW_BLOCK, 0, g->stream>>>(dinp, dout, inp, eps, D);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_maxnorm_forward(hw_gpu *g, float *out, float *maxval, const float *inp, int B,
                                   int N) {
    if (B < 1) return 0;
    maxnorm_forward_kernel<<<B, HW_TILE_BLOCK, 0, g->stream>>>(out, maxval, inp, N);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_maxnorm_backward(hw_gpu *g, float *dinp, const float *dout, const float *inp,
                                    const float *maxval, int B, int N) {
    if (B < 1) return 0;
    maxnorm_backward_kernel<<<B, HW_TILE_BLOCK, 0, g->stream>>>(dinp, dout, inp, maxval, N);
    HW_LAUNCH_CHECK();
    return 0;
}
