// Row-wise distances between two batches of embeddings (nn_distance.c), one warp per row
// (D = 83 in the model), sums in double as the C op's.
#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_ops.h"

#define HW_ROWS_PER_BLOCK 4 // blockDim (32, 4): warp y takes row blockIdx.x * 4 + y

static inline unsigned row_blocks(int B) {
    return (unsigned)((B + HW_ROWS_PER_BLOCK - 1) / HW_ROWS_PER_BLOCK);
}

__global__ static void pairwise_forward_kernel(float *dist, const float *x1, const float *x2,
                                               float eps, int B, int D) {
    const int b = blockIdx.x * HW_ROWS_PER_BLOCK + threadIdx.y;
    if (b >= B) return; // a whole warp leaves together: the shuffles below stay full-warp
    const float *a = x1 + (size_t)b * D, *c = x2 + (size_t)b * D;
    double ss = 0.0;
    for (int i = threadIdx.x; i < D; i += 32) {
        float t = a[i] - c[i] + eps;
        ss += (double)t * t;
    }
    ss = hw_warp_sum(ss);
    if (threadIdx.x == 0) dist[b] = (float)sqrt(ss);
}

__global__ static void pairwise_backward_kernel(float *dx1, float *dx2, const float *ddist,
                                                const float *x1, const float *x2,
                                                const float *dist, float eps, int B, int D) {
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < (size_t)B * D;
         k += (size_t)gridDim.x * blockDim.x) {
        const size_t b = k / D;
        if (dist[b] == 0.0f) continue; // subgradient 0, as torch's norm backward
        const float s = ddist[b] / dist[b];
        const float g = s * (x1[k] - x2[k] + eps);
        if (dx1) dx1[k] += g;
        if (dx2) dx2[k] -= g;
    }
}

// the two norms and the dot product of one row pair, on every lane of the warp
__device__ static void cos_parts(const float *a, const float *c, int D, double *n1, double *n2,
                                 double *dot) {
    double s1 = 0.0, s2 = 0.0, s12 = 0.0;
    for (int i = threadIdx.x; i < D; i += 32) {
        s1 += (double)a[i] * a[i];
        s2 += (double)c[i] * c[i];
        s12 += (double)a[i] * c[i];
    }
    *n1 = sqrt(hw_warp_sum(s1));
    *n2 = sqrt(hw_warp_sum(s2));
    *dot = hw_warp_sum(s12);
}

__global__ static void cosine_forward_kernel(float *dist, const float *x1, const float *x2,
                                             float eps, int B, int D) {
    const int b = blockIdx.x * HW_ROWS_PER_BLOCK + threadIdx.y;
    if (b >= B) return;
    double n1, n2, dot;
    cos_parts(x1 + (size_t)b * D, x2 + (size_t)b * D, D, &n1, &n2, &dot);
    double c1 = n1 > eps ? n1 : eps, c2 = n2 > eps ? n2 : eps;
    if (threadIdx.x == 0) dist[b] = (float)(1.0 - dot / (c1 * c2));
}

__global__ static void cosine_backward_kernel(float *dx1, float *dx2, const float *ddist,
                                              const float *x1, const float *x2, float eps, int B,
                                              int D) {
    const int b = blockIdx.x * HW_ROWS_PER_BLOCK + threadIdx.y;
    if (b >= B) return;
    const float *a = x1 + (size_t)b * D, *c = x2 + (size_t)b * D;
    double n1, n2, dot;
    cos_parts(a, c, D, &n1, &n2, &dot);
    const int clamp1 = !(n1 > eps), clamp2 = !(n2 > eps);
    double c1 = clamp1 ? eps : n1, c2 = clamp2 ? eps : n2;
    double cosv = dot / (c1 * c2);
    double g = -(double)ddist[b]; // d(1 - cos) = -dcos
    // dcos/dx1 = x2/(c1 c2) - cos x1 / n1^2 (second term absent when clamped)
    double k12 = g / (c1 * c2);
    double k11 = clamp1 ? 0.0 : g * cosv / (n1 * n1);
    double k22 = clamp2 ? 0.0 : g * cosv / (n2 * n2);
    for (int i = threadIdx.x; i < D; i += 32) {
        if (dx1) dx1[(size_t)b * D + i] += (float)(k12 * c[i] - k11 * a[i]);
        if (dx2) dx2[(size_t)b * D + i] += (float)(k12 * a[i] - k22 * c[i]);
    }
}

extern "C" int gpu_pairwise_distance_forward(hw_gpu *g, float *dist, const float *x1,
                                             const float *x2, float eps, int B, int D) {
    if (B < 1) return 0;
    pairwise_forward_kernel<<<row_blocks(B), dim3(32, HW_ROWS_PER_BLOCK), 0, g->stream>>>(
        dist, x1, x2, eps, B, D);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_pairwise_distance_backward(hw_gpu *g, float *dx1, float *dx2,
                                              const float *ddist, const float *x1,
                                              const float *x2, const float *dist, float eps,
                                              int B, int D) {
    const size_t n = (size_t)B * D;
    if (!n || (!dx1 && !dx2)) return 0;
    pairwise_backward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(dx1, dx2, ddist, x1, x2, dist,
                                                                     eps, B, D);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_cosine_distance_forward(hw_gpu *g, float *dist, const float *x1,
                                           const float *x2, float eps, int B, int D) {
    if (B < 1) return 0;
    cosine_forward_kernel<<<row_blocks(B), dim3(32, HW_ROWS_PER_BLOCK), 0, g->stream>>>(
        dist, x1, x2, eps, B, D);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_cosine_distance_backward(hw_gpu *g, float *dx1, float *dx2, const float *ddist,
                                            const float *x1, const float *x2, float eps, int B,
                                            int D) {
    if (B < 1 || (!dx1 && !dx2)) return 0;
    cosine_backward_kernel<<<row_blocks(B), dim3(32, HW_ROWS_PER_BLOCK), 0, g->stream>>>(
        dx1, dx2, ddist, x1, x2, eps, B, D);
    HW_LAUNCH_CHECK();
    return 0;
}
