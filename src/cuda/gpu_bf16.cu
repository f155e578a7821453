// The bf16 casts of the mixed-precision mode (gpu_ops.h, docs/gpu.md "Precision"): fp32 to
// bf16 rounded to nearest even, bf16 to fp32 (exact), and bf16 added into fp32.
//
// __float2bfloat16_rn is cvt.rn.bf16.f32 on sm_80 and later: round to nearest even, no flush
// of subnormals, NaN to a canonical NaN; hw_bf16_round (src/nn/nn_bf16.c) is its host twin
// and test_gpu_ops compares the two bit for bit.
#include "gpu_internal.cuh"
#include "hitwin/gpu_ops.h"

__global__ static void to_bf16_kernel(__nv_bfloat16 *out, const float *inp, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = __float2bfloat16_rn(inp[i]);
}

__global__ static void from_bf16_kernel(float *out, const __nv_bfloat16 *inp, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = __bfloat162float(inp[i]);
}

__global__ static void add_bf16_kernel(float *acc, const __nv_bfloat16 *x, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        acc[i] += __bfloat162float(x[i]);
}

extern "C" int gpu_cast_to_bf16(hw_gpu *g, hw_bf16 *out, const float *inp, size_t n) {
    if (!n) return 0;
    to_bf16_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(hw_as_bf16(out), inp, n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_cast_from_bf16(hw_gpu *g, float *out, const hw_bf16 *inp, size_t n) {
    if (!n) return 0;
    from_bf16_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, hw_as_bf16(inp), n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_add_bf16(hw_gpu *g, float *acc, const hw_bf16 *x, size_t n) {
    if (!n) return 0;
    add_bf16_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(acc, hw_as_bf16(x), n);
    HW_LAUNCH_CHECK();
    return 0;
}
