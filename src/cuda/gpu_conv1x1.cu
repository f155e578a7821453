// The 1x1 convolution (MBConv's conv_a, conv_c and projection) as GEMMs with cuBLAS.
//
// A 1x1 convolution of one image is out [OC, HW] = W [OC, C] . x [C, HW]: the images of a
// batch are independent products with one shared W, i.e. a strided-batched GEMM (stride 0
// on W). cuBLAS is column-major, so each row-major product is written transposed, as in
// gpu_linear.cu: a row-major [R, K] matrix is the column-major [K, R] one of the same memory.
//   forward  out_b^T [HW, OC] = x_b^T [HW, C] . W^T [C, OC]        (batched over b)
//   dinp     dx_b^T  [HW, C]  += dout_b^T [HW, OC] . W [OC, C]      (batched over b)
//   dweight  dW^T    [C, OC]  += x_b [C, HW] . dout_b^T [HW, OC]     (one sgemm per image)
// The weight gradient sums over the images; one sgemm per image with beta = 1, in image
// order, keeps that sum deterministic (a batched GEMM cannot reduce over its batch).
// sgemm without TF32 (the context's CUBLAS_DEFAULT_MATH), as every fp32 product here.
// dbias sums (b, hw) per output channel in double, one block per channel.
#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_ops_maxvit.h"

// out[b, oc, hw] = bias[oc]
__global__ static void fill_channel_bias_kernel(float *out, const float *bias, int OC, int HW,
                                                size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = bias[(i / HW) % OC];
}

// dbias[oc] += sum over (b, hw) of dout[b, oc, hw], a block per channel
__global__ static void channel_bias_grad_kernel(float *dbias, const float *dout, int B, int OC,
                                                int HW) {
    const int oc = blockIdx.x, n = B * HW;
    double s = 0.0;
    for (int k = threadIdx.x; k < n; k += blockDim.x) {
        const int b = k / HW, i = k - b * HW;
        s += dout[((size_t)b * OC + oc) * HW + i];
    }
    s = hw_block_sum(s);
    if (threadIdx.x == 0) dbias[oc] += (float)s;
}

extern "C" int gpu_conv1x1_forward(hw_gpu *g, float *out, const float *inp, const float *weight,
                                   const float *bias, int B, int C, int OC, int HW) {
    if (B <= 0 || OC <= 0 || HW <= 0) return 0;
    if (bias) {
        const size_t n = (size_t)B * OC * HW;
        fill_channel_bias_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, bias, OC, HW, n);
        HW_LAUNCH_CHECK();
    }
    const float one = 1.0f, beta = bias ? 1.0f : 0.0f;
    HW_CUBLAS_CHECK(cublasSgemmStridedBatched(g->cublas, CUBLAS_OP_N, CUBLAS_OP_N, HW, OC, C, &one,
                                              inp, HW, (long long)C * HW, weight, C, 0, &beta, out,
                                              HW, (long long)OC * HW, B));
    return 0;
}

extern "C" int gpu_conv1x1_backward(hw_gpu *g, float *dinp, float *dweight, float *dbias,
                                    const float *dout, const float *inp, const float *weight,
                                    int B, int C, int OC, int HW) {
    if (B <= 0 || OC <= 0 || HW <= 0) return 0;
    const float one = 1.0f;
    if (dinp) // dx_b^T [HW, C] += dout_b^T [HW, OC] . W [OC, C]; W's memory is W^T col-major: OP_T
        HW_CUBLAS_CHECK(cublasSgemmStridedBatched(g->cublas, CUBLAS_OP_N, CUBLAS_OP_T, HW, C, OC,
                                                  &one, dout, HW, (long long)OC * HW, weight, C, 0,
                                                  &one, dinp, HW, (long long)C * HW, B));
    if (dweight) // dW^T [C, OC] += x_b [C, HW] . dout_b^T [HW, OC]; x_b's memory is x_b^T: OP_T
        for (int b = 0; b < B; b++)
            HW_CUBLAS_CHECK(cublasSgemm(g->cublas, CUBLAS_OP_T, CUBLAS_OP_N, C, OC, HW, &one,
                                        inp + (size_t)b * C * HW, HW, dout + (size_t)b * OC * HW,
                                        HW, &one, dweight, C));
    if (dbias) {
        channel_bias_grad_kernel<<<OC, 256, 0, g->stream>>>(dbias, dout, B, OC, HW);
        HW_LAUNCH_CHECK();
    }
    return 0;
}
