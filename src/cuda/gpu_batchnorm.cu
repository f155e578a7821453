// BatchNorm2d (nn_batchnorm.c) on the device: one block per channel.
//
// A channel's statistics are sums over B x HW values (4 x 3136 in MaxViT's first stage), in
// double as the C op's, reduced in a fixed tree (hw_block_sum): deterministic and
// atomic-free. A block per channel leaves an H100 under-filled at 64 channels; it is the
// simple correct form, to be split (partial sums per (channel, slice), then a second pass)
// if the benchmark shows it matters.
#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_ops_maxvit.h"

#define BN_BLOCK 512

// Element k of channel c's B x HW values.
__device__ __forceinline__ static size_t bn_at(int c, int k, int C, int HW) {
    const int b = k / HW, i = k - b * HW;
    return ((size_t)b * C + c) * HW + i;
}

__global__ static void bn_forward_kernel(float *out, float *mean, float *rstd, float *running_mean,
                                         float *running_var, const float *inp, const float *gamma,
                                         const float *beta, int train, float momentum, float eps,
                                         int B, int C, int HW) {
    const int c = blockIdx.x, n_el = B * HW;
    const double n = (double)n_el;
    __shared__ float a_s, k_s;
    double mu, var;
    if (train) {
        double s = 0.0;
        for (int k = threadIdx.x; k < n_el; k += blockDim.x) s += inp[bn_at(c, k, C, HW)];
        mu = hw_block_sum(s) / n;
        double ss = 0.0;
        for (int k = threadIdx.x; k < n_el; k += blockDim.x) {
            const double d = inp[bn_at(c, k, C, HW)] - mu;
            ss += d * d;
        }
        var = hw_block_sum(ss) / n;
    } else {
        mu = running_mean[c];
        var = running_var[c];
    }
    if (threadIdx.x == 0) {
        if (train && running_mean)
            running_mean[c] = (float)((1.0 - momentum) * running_mean[c] + momentum * mu);
        if (train && running_var) // torch keeps the unbiased variance; one value has none
            running_var[c] = (float)((1.0 - momentum) * running_var[c] +
                                     momentum * (n > 1.0 ? var * n / (n - 1.0) : var));
        const double r = 1.0 / sqrt(var + eps);
        mean[c] = (float)mu;
        rstd[c] = (float)r;
        a_s = (float)(r * gamma[c]);
        k_s = (float)(beta[c] - mu * r * gamma[c]);
    }
    __syncthreads();
    const float a = a_s, kk = k_s;
    // the C op's float multiply then add, kept unfused
    for (int k = threadIdx.x; k < n_el; k += blockDim.x) {
        const size_t at = bn_at(c, k, C, HW);
        out[at] = __fadd_rn(__fmul_rn(inp[at], a), kk);
    }
}

__global__ static void bn_backward_kernel(float *dinp, float *dgamma, float *dbeta,
                                          const float *dout, const float *inp, const float *mean,
                                          const float *rstd, const float *gamma, int train, int B,
                                          int C, int HW) {
    const int c = blockIdx.x, n_el = B * HW;
    const double n = (double)n_el;
    const float mc = mean[c], rc = rstd[c];
    double sg = 0.0, sgx = 0.0;
    for (int k = threadIdx.x; k < n_el; k += blockDim.x) {
        const size_t at = bn_at(c, k, C, HW);
        const float xhat = __fmul_rn(__fsub_rn(inp[at], mc), rc); // the C op's float xhat
        sg += dout[at];
        sgx += (double)dout[at] * xhat;
    }
    sg = hw_block_sum(sg);
    sgx = hw_block_sum(sgx);
    if (threadIdx.x == 0) {
        if (dgamma) dgamma[c] += (float)sgx;
        if (dbeta) dbeta[c] += (float)sg;
    }
    if (!dinp) return;
    const double gr = (double)gamma[c] * rc;
    // train: dx = gamma rstd (g - mean(g) - xhat mean(g xhat)); eval: gamma rstd g
    const double mg = train ? sg / n : 0.0, mgx = train ? sgx / n : 0.0;
    for (int k = threadIdx.x; k < n_el; k += blockDim.x) {
        const size_t at = bn_at(c, k, C, HW);
        const double xhat = (inp[at] - mc) * (double)rc;
        dinp[at] += (float)(gr * (dout[at] - mg - xhat * mgx));
    }
}

extern "C" int gpu_batchnorm2d_forward(hw_gpu *g, float *out, float *mean, float *rstd,
                                       float *running_mean, float *running_var, const float *inp,
                                       const float *gamma, const float *beta, int train,
                                       float momentum, float eps, int B, int C, int HW) {
    if (C <= 0 || B * HW <= 0) return 0;
    bn_forward_kernel<<<C, BN_BLOCK, 0, g->stream>>>(out, mean, rstd, running_mean, running_var,
                                                     inp, gamma, beta, train, momentum, eps, B, C,
                                                     HW);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_batchnorm2d_backward(hw_gpu *g, float *dinp, float *dgamma, float *dbeta,
                                        const float *dout, const float *inp, const float *mean,
                                        const float *rstd, const float *gamma, int train, int B,
                                        int C, int HW) {
    if (C <= 0 || B * HW <= 0 || (!dinp && !dgamma && !dbeta)) return 0;
    bn_backward_kernel<<<C, BN_BLOCK, 0, g->stream>>>(dinp, dgamma, dbeta, dout, inp, mean, rstd,
                                                      gamma, train, B, C, HW);
    HW_LAUNCH_CHECK();
    return 0;
}
