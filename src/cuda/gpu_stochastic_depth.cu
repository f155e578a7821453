// StochasticDepth(p, "row") (nn_stochastic_depth.c) on the device, with the model's per-tile
// draws (gpu_ops_maxvit.h).
//
// The draw is nn_rng_u32_at's 64-bit integer arithmetic (bit for bit on a GPU, as dropout in
// gpu_activation.cu), the uniform (u >> 8) 2^-24 and the keep test u < 1 - p are exact float
// operations, 1 / (1 - p) is one IEEE division (nvcc's default -prec-div=true), and the
// output is one multiply: scale and out are bit-identical to the C op's. The backward's
// multiply-add is kept unfused (__fmul_rn, __fadd_rn) as gcc leaves the C op's.
#include "gpu_internal.cuh"
#include "hitwin/gpu_ops_maxvit.h"

#include "gpu_rng.cuh"

// scale[r] for rows r = v n + i of B = n views
__global__ static void sd_scale_kernel(float *scale, float keep, float kept_scale, int active,
                                       uint64_t seed, uint64_t counter, int n, int views,
                                       uint64_t draws_per_tile, int B) {
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < B; r += gridDim.x * blockDim.x) {
        float s = 1.0f;
        if (active) {
            const int v = r / n, i = r % n;
            const uint64_t at = counter + ((uint64_t)i * views + v) * draws_per_tile;
            const float u = (float)(rng_u32_at(seed, at) >> 8) * (1.0f / 16777216.0f);
            s = u < keep ? kept_scale : 0.0f;
        }
        scale[r] = s;
    }
}

__global__ static void sd_apply_kernel(float *out, const float *scale, const float *inp, size_t N,
                                       size_t total) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = __fmul_rn(inp[i], scale[i / N]);
}

__global__ static void sd_backward_kernel(float *dinp, const float *dout, const float *scale,
                                          size_t N, size_t total) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x)
        dinp[i] = __fadd_rn(dinp[i], __fmul_rn(dout[i], scale[i / N]));
}

extern "C" int gpu_stochastic_depth_forward(hw_gpu *g, float *out, float *scale, const float *inp,
                                            float p, int train, uint64_t seed, uint64_t counter,
                                            int views, uint64_t draws_per_tile, int B, size_t N) {
    if (B <= 0) return 0;
    if (views <= 0 || B % views)
        return hw_fail("gpu_stochastic_depth_forward: %d rows are not %d views of equal size", B,
                       views);
    const int active = train && p > 0.0f;
    // the C op's float expressions, evaluated on the host in float
    const float keep = 1.0f - p, kept_scale = 1.0f / (1.0f - p);
    sd_scale_kernel<<<hw_grid((size_t)B, 128), 128, 0, g->stream>>>(
        scale, keep, kept_scale, active, seed, counter, B / views, views, draws_per_tile, B);
    HW_LAUNCH_CHECK();
    const size_t total = (size_t)B * N;
    if (!total) return 0;
    sd_apply_kernel<<<hw_grid(total, 256), 256, 0, g->stream>>>(out, scale, inp, N, total);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_stochastic_depth_backward(hw_gpu *g, float *dinp, const float *dout,
                                             const float *scale, int B, size_t N) {
    const size_t total = (size_t)B * N;
    if (!total || !dinp) return 0;
    sd_backward_kernel<<<hw_grid(total, 256), 256, 0, g->stream>>>(dinp, dout, scale, N, total);
    HW_LAUNCH_CHECK();
    return 0;
}
