// The model's input stage on the GPU (slenet.c's hw_branch_forward, before the mask): the
// recipe's transform (none, log1p, per-tile observed/expected, the same balanced), then division by the tile's
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

// 1 / the mean of diagonal d of the S x S tile t (its positive pixels summed; 0 for an empty
// diagonal), added in row-major order as slenet.c and balance_oe add them: in row r,
// (r, r - d) comes before (r, r + d)
__device__ static double diagonal_inv_mean(const float *t, int S, int d) {
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
    return sum > 0.0 ? cnt / sum : 0.0;
}

__global__ static void input_kernel(float *x_all, float *maxval, const float *tiles,
                                    size_t tile_stride, int S, int transform, int region) {
    extern __shared__ double inv_mean[]; // [S], OE only: 1 / mean of diagonal d
    const size_t S2 = (size_t)S * S;
    const float *t = tiles + blockIdx.x * tile_stride;
    float *x = x_all + blockIdx.x * S2;
    if (transform == HW_INPUT_OE) {
        for (int d = threadIdx.x; d < S; d += blockDim.x) inv_mean[d] = diagonal_inv_mean(t, S, d);
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

// oe_balanced (siamese_model.c's balance_oe): the tile's O/E without the log into x, then the
// alternating row balancing and diagonal normalisation, then the log1p and the max as for any
// tile (input_kernel's log1p branch, in place). Each sum is made by one thread in the C loop's
// order, so the factors equal the C op's bit for bit: the pixels differ only by log1pf.
__global__ static void oe_raw_kernel(float *x_all, const float *tiles, size_t tile_stride, int S) {
    extern __shared__ double inv_mean[]; // [S]
    const size_t S2 = (size_t)S * S;
    const float *t = tiles + blockIdx.x * tile_stride;
    float *x = x_all + blockIdx.x * S2;
    for (int d = threadIdx.x; d < S; d += blockDim.x) inv_mean[d] = diagonal_inv_mean(t, S, d);
    __syncthreads(); // every sum before any write (x may be t: the smoothed counts)
    for (size_t k = threadIdx.x; k < S2; k += blockDim.x) {
        const int r = (int)(k / S), c = (int)(k % S);
        const float y = t[k];
        x[k] = y > 0.0f ? (float)(y * inv_mean[abs(r - c)]) : isnan(y) ? y : 0.0f;
    }
}

__global__ static void balance_kernel(float *x_all, int S, int iters, int skip) {
    extern __shared__ double sh[]; // f [S], dm [S], mean
    double *f = sh, *dm = sh + S, *mean = sh + 2 * S;
    const size_t S2 = (size_t)S * S;
    float *x = x_all + blockIdx.x * S2;
    for (int it = 0; it < iters; it++) {
        for (int r = threadIdx.x; r < S; r += blockDim.x) {
            double s = 0.0;
            int n = 0;
            for (int c = 0; c < S; c++) {
                if (abs(r - c) < skip) continue;
                const float v = x[(size_t)r * S + c];
                if (!isnan(v)) s += v, n++;
            }
            f[r] = n ? s / n : 0.0;
        }
        __syncthreads();
        if (threadIdx.x == 0) { // the C loop's order
            double tot = 0.0;
            int nz = 0;
            for (int r = 0; r < S; r++)
                if (f[r] > 0.0) tot += f[r], nz++;
            mean[0] = nz ? tot / nz : -1.0;
        }
        __syncthreads();
        if (mean[0] < 0.0) return; // an empty tile stays as it is (uniform across the block)
        for (int r = threadIdx.x; r < S; r += blockDim.x) f[r] = f[r] > 0.0 ? sqrt(mean[0] / f[r]) : 0.0;
        __syncthreads();
        for (size_t k = threadIdx.x; k < S2; k += blockDim.x) {
            const int r = (int)(k / S), c = (int)(k % S);
            x[k] *= (float)(f[r] * f[c]);
        }
        __syncthreads();
        for (int d = threadIdx.x; d < S; d += blockDim.x) dm[d] = diagonal_inv_mean(x, S, d);
        __syncthreads();
        for (size_t k = threadIdx.x; k < S2; k += blockDim.x) {
            const int r = (int)(k / S), c = (int)(k % S);
            x[k] *= (float)dm[abs(r - c)];
        }
        __syncthreads();
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
    if (transform == HW_INPUT_OE_BALANCED) {
        oe_raw_kernel<<<n, HW_INPUT_BLOCK, (size_t)S * sizeof(double), g->stream>>>(x, tiles,
                                                                                  tile_stride, S);
        HW_LAUNCH_CHECK();
        balance_kernel<<<n, 256, (2 * (size_t)S + 1) * sizeof(double), g->stream>>>(
            x, S, HW_BALANCE_ITERS, HW_BALANCE_SKIP);
        HW_LAUNCH_CHECK();
        input_kernel<<<n, HW_INPUT_BLOCK, 0, g->stream>>>(x, maxval, x, (size_t)S * S, S,
                                                          HW_INPUT_LOG1P, region);
        HW_LAUNCH_CHECK();
        return 0;
    }
    const size_t shared = transform == HW_INPUT_OE ? (size_t)S * sizeof(double) : 0;
    input_kernel<<<n, HW_INPUT_BLOCK, shared, g->stream>>>(x, maxval, tiles, tile_stride, S,
                                                           transform, region);
    HW_LAUNCH_CHECK();
    return 0;
}
