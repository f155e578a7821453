// Fully connected layer, torch.nn.Linear layout (W [OUT, IN]), with cuBLAS sgemm (fp32) or
// cublasGemmEx on bf16 operands with fp32 accumulation (the mixed-precision mode).
//
// cuBLAS is column-major. A row-major [R, C] matrix is the column-major [C, R] matrix of the
// same memory, its transpose, so each row-major product of linear_forward/backward is
// written transposed: C = A B (row-major) is C^T = B^T A^T (column-major), with the same
// pointers and leading dimensions as the C op's cblas calls.
//
// The bias row sum walks the batch in order for each output, as the C op does, so dbias is
// bit-identical to linear_backward's.
//
// bf16: cublasGemmEx with A and B CUDA_R_16BF, C CUDA_R_32F, CUBLAS_COMPUTE_32F and fp32
// alpha/beta, one of cuBLAS's documented GemmEx combinations: the products of bf16 values are
// exact in fp32 and summed in fp32 on tensor cores (the handle's CUBLAS_DEFAULT_MATH allows
// them here, as it never allows TF32 for the fp32 sgemm). Outputs, including the gradients,
// are fp32 and accumulate with beta = 1 as in fp32. CUBLAS_GEMM_DEFAULT picks the kernel by
// heuristics, as sgemm does: the same kernel for the same shapes on the same GPU and library,
// and cuBLAS's kernels are deterministic on one stream.
#include "gpu_internal.cuh"
#include "hitwin/gpu_ops.h"

// out[b, o] = bias[o]
__global__ static void fill_bias_kernel(float *out, const float *bias, int OUT, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = bias[i % OUT];
}

// dbias[o] += sum_b dout[b, o], b ascending
__global__ static void bias_grad_kernel(float *dbias, const float *dout, int B, int OUT) {
    for (int o = blockIdx.x * blockDim.x + threadIdx.x; o < OUT; o += gridDim.x * blockDim.x) {
        float acc = dbias[o];
        for (int b = 0; b < B; b++) acc += dout[(size_t)b * OUT + o];
        dbias[o] = acc;
    }
}

extern "C" int gpu_linear_forward(hw_gpu *g, float *out, const float *inp, const float *weight,
                                  const float *bias, int B, int IN, int OUT) {
    if (bias) {
        const size_t n = (size_t)B * OUT;
        fill_bias_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, bias, OUT, n);
        HW_LAUNCH_CHECK();
    }
    const float one = 1.0f, beta = bias ? 1.0f : 0.0f;
    // out^T [OUT, B] (+)= W [OUT, IN] . inp^T [IN, B]; W's memory is W^T column-major, so OP_T
    HW_CUBLAS_CHECK(cublasSgemm(g->cublas, CUBLAS_OP_T, CUBLAS_OP_N, OUT, B, IN, &one, weight, IN,
                                inp, IN, &beta, out, OUT));
    return 0;
}

extern "C" int gpu_linear_backward(hw_gpu *g, float *dinp, float *dweight, float *dbias,
                                   const float *dout, const float *inp, const float *weight,
                                   int B, int IN, int OUT) {
    const float one = 1.0f;
    if (dinp) // dinp^T [IN, B] += W^T [IN, OUT] . dout^T [OUT, B]
        HW_CUBLAS_CHECK(cublasSgemm(g->cublas, CUBLAS_OP_N, CUBLAS_OP_N, IN, B, OUT, &one, weight,
                                    IN, dout, OUT, &one, dinp, IN));
    if (dweight) // dW^T [IN, OUT] += inp^T [IN, B] . dout [B, OUT]
        HW_CUBLAS_CHECK(cublasSgemm(g->cublas, CUBLAS_OP_N, CUBLAS_OP_T, IN, OUT, B, &one, inp, IN,
                                    dout, OUT, &one, dweight, IN));
    if (dbias) {
        bias_grad_kernel<<<hw_grid((size_t)OUT, 128), 128, 0, g->stream>>>(dbias, dout, B, OUT);
        HW_LAUNCH_CHECK();
    }
    return 0;
}

extern "C" int gpu_linear_forward_bf16(hw_gpu *g, float *out, const hw_bf16 *inp,
                                       const hw_bf16 *weight, const float *bias, int B, int IN,
                                       int OUT) {
    if (bias) {
        const size_t n = (size_t)B * OUT;
        fill_bias_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, bias, OUT, n);
        HW_LAUNCH_CHECK();
    }
    const float one = 1.0f, beta = bias ? 1.0f : 0.0f;
    // as gpu_linear_forward: out^T [OUT, B] (+)= W [OUT, IN] . inp^T [IN, B]
    HW_CUBLAS_CHECK(cublasGemmEx(g->cublas, CUBLAS_OP_T, CUBLAS_OP_N, OUT, B, IN, &one, weight,
                                 CUDA_R_16BF, IN, inp, CUDA_R_16BF, IN, &beta, out, CUDA_R_32F,
                                 OUT, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return 0;
}

extern "C" int gpu_linear_backward_bf16(hw_gpu *g, float *dinp, float *dweight, float *dbias,
                                        const float *dout, const hw_bf16 *inp,
                                        const hw_bf16 *weight, hw_bf16 *scratch, int B, int IN,
                                        int OUT) {
    const float one = 1.0f;
    if ((dinp || dweight) && gpu_cast_to_bf16(g, scratch, dout, (size_t)B * OUT)) return -1;
    if (dinp) // dinp^T [IN, B] += W^T [IN, OUT] . dout^T [OUT, B]
        HW_CUBLAS_CHECK(cublasGemmEx(g->cublas, CUBLAS_OP_N, CUBLAS_OP_N, IN, B, OUT, &one, weight,
                                     CUDA_R_16BF, IN, scratch, CUDA_R_16BF, OUT, &one, dinp,
                                     CUDA_R_32F, IN, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    if (dweight) // dW^T [IN, OUT] += inp^T [IN, B] . dout [B, OUT]
        HW_CUBLAS_CHECK(cublasGemmEx(g->cublas, CUBLAS_OP_N, CUBLAS_OP_T, IN, OUT, B, &one, inp,
                                     CUDA_R_16BF, IN, scratch, CUDA_R_16BF, OUT, &one, dweight,
                                     CUDA_R_32F, IN, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    if (dbias) { // from the fp32 dout, in order: as the fp32 op
        bias_grad_kernel<<<hw_grid((size_t)OUT, 128), 128, 0, g->stream>>>(dbias, dout, B, OUT);
        HW_LAUNCH_CHECK();
    }
    return 0;
}
