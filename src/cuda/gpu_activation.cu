// GELU (exact erf form), inverted dropout, and SiLU and sigmoid (MaxViT's squeeze-excitation,
// gpu_ops_maxvit.h) (nn_activation.c).
//
// Dropout draws element i's number directly: nn_rng_u32_at is a pure function of (seed,
// counter) built from 64-bit integer operations, which a GPU thread computes bit for bit as
// the CPU does, so the masks equal the CPU's. The output is one fp32 multiply (no FMA can
// form), so it is bit-identical too; the backward's multiply-add is kept unfused with
// __fmul_rn for the same reason.
#include "gpu_internal.cuh"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_ops_maxvit.h"

#include "gpu_rng.cuh"

#define HW_INV_SQRT2 0.70710678118654752f
#define HW_INV_SQRT_2PI 0.39894228040143268f

__global__ static void gelu_forward_kernel(float *out, const float *inp, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + erff(x * HW_INV_SQRT2));
    }
}

__global__ static void gelu_backward_kernel(float *dinp, const float *dout, const float *inp,
                                            size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float x = inp[i];
        float cdf = 0.5f * (1.0f + erff(x * HW_INV_SQRT2));
        float pdf = HW_INV_SQRT_2PI * expf(-0.5f * x * x);
        dinp[i] += dout[i] * (cdf + x * pdf);
    }
}

// element (r, c) of rows x cols draws counter + r * row_draws + c
__global__ static void dropout_forward_kernel(float *out, uint8_t *mask, const float *inp,
                                              uint32_t threshold, float scale, uint64_t seed,
                                              uint64_t counter, size_t cols, uint64_t row_draws,
                                              size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const size_t r = i / cols, c = i % cols;
        const uint8_t keep = (rng_u32_at(seed, counter + r * row_draws + c) >> 8) >= threshold;
        mask[i] = keep;
        out[i] = keep ? __fmul_rn(inp[i], scale) : 0.0f;
    }
}

__global__ static void dropout_copy_kernel(float *out, uint8_t *mask, const float *inp, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        out[i] = inp[i];
        mask[i] = 1;
    }
}

__global__ static void dropout_backward_kernel(float *dinp, const float *dout, const uint8_t *mask,
                                               float scale, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        // a dropped element adds +0.0f as the C op does (not skipped): -0 + +0 is +0, so a
        // -0 gradient becomes +0 on both sides; a NaN or inf dout of it still adds nothing
        dinp[i] = __fadd_rn(dinp[i], mask[i] ? __fmul_rn(dout[i], scale) : 0.0f);
}

extern "C" int gpu_gelu_forward(hw_gpu *g, float *out, const float *inp, size_t n) {
    if (!n) return 0;
    gelu_forward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, inp, n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_gelu_backward(hw_gpu *g, float *dinp, const float *dout, const float *inp,
                                 size_t n) {
    if (!n) return 0;
    gelu_backward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(dinp, dout, inp, n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_dropout_forward(hw_gpu *g, float *out, uint8_t *mask, const float *inp, float p,
                                   uint64_t seed, uint64_t counter, size_t rows, size_t cols,
                                   uint64_t row_draws) {
    const size_t n = rows * cols;
    if (!n) return 0;
    if (p <= 0.0f) {
        dropout_copy_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, mask, inp, n);
        HW_LAUNCH_CHECK();
        return 0;
    }
    if (p >= 1.0f) {
        HW_CUDA_CHECK(cudaMemsetAsync(out, 0, n * sizeof(float), g->stream));
        HW_CUDA_CHECK(cudaMemsetAsync(mask, 0, n, g->stream));
        return 0;
    }
    // dropout_forward's threshold and scale, computed the same way on the host
    const uint32_t threshold = (uint32_t)((double)p * 16777216.0);
    const float scale = 1.0f / (1.0f - p);
    dropout_forward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, mask, inp, threshold, scale,
                                                                   seed, counter, cols, row_draws, n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_dropout_backward(hw_gpu *g, float *dinp, const float *dout, const uint8_t *mask,
                                    float p, size_t n) {
    if (p >= 1.0f || !n) return 0;
    const float scale = 1.0f / (1.0f - p);
    dropout_backward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(dinp, dout, mask, scale, n);
    HW_LAUNCH_CHECK();
    return 0;
}

// ---- SiLU and sigmoid (gpu_ops_maxvit.h) ------------------------------------------------------
// The C op's formulas; expf differs from glibc's in the last bit or two, hence not bit-identical.

__device__ __forceinline__ static float sigmoid_of(float x) { return 1.0f / (1.0f + expf(-x)); }

__global__ static void silu_forward_kernel(float *out, const float *inp, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const float x = inp[i];
        out[i] = x * sigmoid_of(x);
    }
}

__global__ static void silu_backward_kernel(float *dinp, const float *dout, const float *inp,
                                            size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const float x = inp[i], s = sigmoid_of(x); // d(x s)/dx = s (1 + x (1 - s))
        dinp[i] += dout[i] * s * (1.0f + x * (1.0f - s));
    }
}

__global__ static void sigmoid_forward_kernel(float *out, const float *inp, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = sigmoid_of(inp[i]);
}

__global__ static void sigmoid_backward_kernel(float *dinp, const float *dout, const float *out,
                                               size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
}

extern "C" int gpu_silu_forward(hw_gpu *g, float *out, const float *inp, size_t n) {
    if (!n) return 0;
    silu_forward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, inp, n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_silu_backward(hw_gpu *g, float *dinp, const float *dout, const float *inp,
                                 size_t n) {
    if (!n) return 0;
    silu_backward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(dinp, dout, inp, n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_sigmoid_forward(hw_gpu *g, float *out, const float *inp, size_t n) {
    if (!n) return 0;
    sigmoid_forward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, inp, n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_sigmoid_backward(hw_gpu *g, float *dinp, const float *dout, const float *out,
                                    size_t n) {
    if (!n) return 0;
    sigmoid_backward_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(dinp, dout, out, n);
    HW_LAUNCH_CHECK();
    return 0;
}
