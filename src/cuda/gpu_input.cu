// The model's input stage on the GPU (slenet.c's hw_branch_forward, before the mask): the
// recipe's transform (none, log1p, per-tile observed/expected), then division by the tile's
// max over the whole tile or the off-diagonal pixels. One block per tile. Before it, when the
// recipe asks, the counts' smoothing (smooth_kernel).
//
// OE needs the tile's diagonal sums first: one thread per diagonal adds its pixels in the C
// loop's order (row-major), so the means equal slenet.c's bit for bit and do not change from
// run to run (double atomics in shared memory, used before, added in scheduling order: a
// different last bit per run, and so no bit-identical resume, docs/gpu.md). The transformed
// pixels still differ from the C op's by log1pf's rounding (CUDA's against slenet.c's own).
#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_slenet.h"

#define HW_INPUT_BLOCK 512

__global__ static void input_kernel(float *x_all, float *maxval, const float *tiles,
                                    size_t tile_stride, int S, int transform, int region) {
    extern __shared__ double inv_mean[]; // [S], OE only: 1 / mean of diagonal d
    const size_t S2 = (size_t)S * S;
    const float *t = tiles + blockIdx.x * tile_stride;
    float *x = x_all + blockIdx.x * S2;
    if (transform == HW_INPUT_OE) {
        // diagonal d's pixels in row-major order, as slenet.c adds them: in row r, (r, r - d)
        // comes before (r, r + d)
        for (int d = threadIdx.x; d < S; d += blockDim.x) {
            double sum = 0.0;
            for (int r = 0; r < S; r++) {
                if (r >= d) {
                    const float y = t[(size_t)r * S + (r - d)];
                    if (y > 0.0f) sum += y;
                }
                if (d > 0 && r + d < S) {
                    const float y = t[(size_t)r * S + (r + d)];
                    if (y > 0.0f) sum += y;
                }
            }
            const double cnt = d == 0 ? S : 2.0 * (S - d);
            inv_mean[d] = sum > 0.0 ? cnt / sum : 0.0;
        }
        __syncthreads();
    }
    const bool reference = transform == HW_INPUT_NONE && region == HW_NORM_WHOLE;
    // reference: maxnorm_forward's max (from x[0]); else slenet.c's (from 0, region only)
    float m = reference ? -INFINITY : 0.0f;
    for (size_t k = threadIdx.x; k < S2; k += blockDim.x) {
        const int r = (int)(k / S), c = (int)(k % S);
        const float y = t[k];
        float v;
        if (transform == HW_INPUT_NONE)
            v = y;
        else if (transform == HW_INPUT_LOG1P)
            v = y > 0.0f ? log1pf(y) : isnan(y) ? y : 0.0f;
        else
            v = y > 0.0f ? log1pf((float)(y * inv_mean[abs(r - c)])) : isnan(y) ? y : 0.0f;
        x[k] = v;
        if (region == HW_NORM_WHOLE || abs(r - c) >= NN_DIAG_MASK_BAND) m = fmaxf(m, v);
    }
    m = hw_block_max(m);
    if (reference && isnan(t[0])) m = t[0];
    if (region == HW_NORM_NONE) m = 1.0f; // no division (model.h)
    const float inv = reference ? (m != 0.0f ? 1.0f / m : 1.0f) : (m > 0.0f ? 1.0f / m : 1.0f);
    if (threadIdx.x == 0) maxval[blockIdx.x] = m;
    for (size_t k = threadIdx.x; k < S2; k += blockDim.x) x[k] *= inv; // each thread its own k
}

// The recipe's count smoothing (nn_smooth.c's box_smooth_forward): one thread per pixel, the
// square's sum in double in the C op's order (rows, then columns), so the same float.
__global__ static void smooth_kernel(float *x_all, const float *tiles, size_t tile_stride, int S,
                                     int h) {
    const size_t S2 = (size_t)S * S;
    const float *t = tiles + blockIdx.y * tile_stride;
    float *x = x_all + blockIdx.y * S2;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < S2;
         k += (size_t)gridDim.x * blockDim.x) {
        const int r = (int)(k / S), c = (int)(k % S);
        const int r0 = max(r - h, 0), r1 = min(r + h, S - 1);
        const int c0 = max(c - h, 0), c1 = min(c + h, S - 1);
        double sum = 0.0;
        for (int i = r0; i <= r1; i++)
            for (int j = c0; j <= c1; j++) {
                const float y = t[(size_t)i * S + j];
                sum += y > 0.0f ? y : isnan(y) ? y : 0.0f;
            }
        x[k] = (float)(sum / ((r1 - r0 + 1) * (c1 - c0 + 1)));
    }
}

extern "C" int gpu_input_normalise(hw_gpu *g, float *x, float *maxval, const float *tiles,
                                   size_t tile_stride, int n, int S, int transform, int region,
                                   int smooth) {
    if (n < 1) return 0;
    if (smooth > 0) { // smoothed counts into x, then the transform in place (each thread
                      // reads its pixel before writing it; the OE sums before any write)
        const size_t S2 = (size_t)S * S;
        dim3 grid((unsigned)((S2 + 255) / 256), (unsigned)n);
        smooth_kernel<<<grid, 256, 0, g->stream>>>(x, tiles, tile_stride, S, smooth);
        HW_LAUNCH_CHECK();
        tiles = x;
        tile_stride = S2;
    }
    const size_t shared = transform == HW_INPUT_OE ? (size_t)S * sizeof(double) : 0;
    input_kernel<<<n, HW_INPUT_BLOCK, shared, g->stream>>>(x, maxval, tiles, tile_stride, S,
                                                           transform, region);
    HW_LAUNCH_CHECK();
    return 0;
}
