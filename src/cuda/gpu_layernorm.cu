// LayerNorm over the last dim (nn_layernorm.c) on the device.
//
// Forward and the input gradient: a warp per row (C = 64..512 channels in MaxViT), row sums
// in double as the C op's. The parameter gradients are column sums over all N rows (N = B x
// 3136 tokens in the first stage): each block of LN_ROWS rows sums its rows per column
// (in double) into scratch, then a thread per column adds the blocks' partials in block
// order. Deterministic, no atomics; scratch instead of a block per column, which at C = 64
// would leave most of the GPU idle while each thread walks 10^4 rows.
#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_ops_maxvit.h"

#define LN_WARPS 8   // rows per block in the row kernels (a warp each)
#define LN_ROWS 64   // rows per partial sum of dgamma / dbeta
#define LN_COLS 128  // columns per block of the partial sums

__global__ static void ln_forward_kernel(float *out, float *mean, float *rstd, const float *inp,
                                         const float *gamma, const float *beta, float eps, int N,
                                         int C) {
    const int lane = threadIdx.x & 31;
    const int r = blockIdx.x * LN_WARPS + (threadIdx.x >> 5);
    if (r >= N) return; // whole warps leave together: the shuffles below see full warps
    const float *x = inp + (size_t)r * C;
    float *o = out + (size_t)r * C;
    double s = 0.0;
    for (int i = lane; i < C; i += 32) s += x[i];
    const double mu = hw_warp_sum(s) / C;
    double ss = 0.0;
    for (int i = lane; i < C; i += 32) ss += (x[i] - mu) * (x[i] - mu);
    const double rs = 1.0 / sqrt(hw_warp_sum(ss) / C + eps);
    if (lane == 0) {
        mean[r] = (float)mu;
        rstd[r] = (float)rs;
    }
    for (int i = lane; i < C; i += 32) // the C op's float multiply then add, unfused
        o[i] = __fadd_rn(__fmul_rn((float)((x[i] - mu) * rs), gamma[i]), beta[i]);
}

__global__ static void ln_backward_dinp_kernel(float *dinp, const float *dout, const float *inp,
                                               const float *mean, const float *rstd,
                                               const float *gamma, int N, int C) {
    const int lane = threadIdx.x & 31;
    const int r = blockIdx.x * LN_WARPS + (threadIdx.x >> 5);
    if (r >= N) return;
    const float *x = inp + (size_t)r * C, *g = dout + (size_t)r * C;
    const double mu = mean[r], rs = rstd[r];
    // with gx = g gamma: dx = rs (gx - mean(gx) - xhat mean(gx xhat))
    double sgx = 0.0, sgxx = 0.0;
    for (int i = lane; i < C; i += 32) {
        const double xhat = (x[i] - mu) * rs, gx = (double)g[i] * gamma[i];
        sgx += gx;
        sgxx += gx * xhat;
    }
    const double m1 = hw_warp_sum(sgx) / C, m2 = hw_warp_sum(sgxx) / C;
    float *dx = dinp + (size_t)r * C;
    for (int i = lane; i < C; i += 32) {
        const double xhat = (x[i] - mu) * rs;
        dx[i] += (float)(rs * ((double)g[i] * gamma[i] - m1 - xhat * m2));
    }
}

// partial[blockIdx.y][c] = sum over the block's rows of g xhat (dgamma) and of g (dbeta);
// the two halves of scratch: [nblk, C] each.
__global__ static void ln_backward_partial_kernel(float *part_g, float *part_b, const float *dout,
                                                  const float *inp, const float *mean,
                                                  const float *rstd, int N, int C) {
    const int c = blockIdx.x * LN_COLS + threadIdx.x;
    if (c >= C) return;
    const int r0 = blockIdx.y * LN_ROWS, r1 = min(N, r0 + LN_ROWS);
    double sg = 0.0, sb = 0.0;
    for (int r = r0; r < r1; r++) {
        const double xhat = (inp[(size_t)r * C + c] - (double)mean[r]) * rstd[r];
        const float g = dout[(size_t)r * C + c];
        sg += g * xhat;
        sb += g;
    }
    part_g[(size_t)blockIdx.y * C + c] = (float)sg;
    part_b[(size_t)blockIdx.y * C + c] = (float)sb;
}

__global__ static void ln_backward_params_kernel(float *dgamma, float *dbeta, const float *part_g,
                                                 const float *part_b, int nblk, int C) {
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += gridDim.x * blockDim.x) {
        double sg = 0.0, sb = 0.0;
        for (int k = 0; k < nblk; k++) {
            sg += part_g[(size_t)k * C + c];
            sb += part_b[(size_t)k * C + c];
        }
        if (dgamma) dgamma[c] += (float)sg;
        if (dbeta) dbeta[c] += (float)sb;
    }
}

static int ln_row_blocks(int N) { return (N + LN_ROWS - 1) / LN_ROWS; }

extern "C" size_t gpu_layernorm_backward_scratch_floats(int N, int C) {
    return 2 * (size_t)ln_row_blocks(N) * (size_t)C;
}

extern "C" int gpu_layernorm_forward(hw_gpu *g, float *out, float *mean, float *rstd,
                                     const float *inp, const float *gamma, const float *beta,
                                     float eps, int N, int C) {
    if (N <= 0 || C <= 0) return 0;
    ln_forward_kernel<<<(N + LN_WARPS - 1) / LN_WARPS, LN_WARPS * 32, 0, g->stream>>>(
        out, mean, rstd, inp, gamma, beta, eps, N, C);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_layernorm_backward(hw_gpu *g, float *dinp, float *dgamma, float *dbeta,
                                      const float *dout, const float *inp, const float *mean,
                                      const float *rstd, const float *gamma, float *scratch, int N,
                                      int C) {
    if (N <= 0 || C <= 0) return 0;
    if (dinp) {
        ln_backward_dinp_kernel<<<(N + LN_WARPS - 1) / LN_WARPS, LN_WARPS * 32, 0, g->stream>>>(
            dinp, dout, inp, mean, rstd, gamma, N, C);
        HW_LAUNCH_CHECK();
    }
    if (!dgamma && !dbeta) return 0;
    if (!scratch)
        return hw_fail("gpu_layernorm_backward: dgamma/dbeta need scratch of "
                       "gpu_layernorm_backward_scratch_floats(N, C) floats");
    const int nblk = ln_row_blocks(N);
    if (nblk > 65535) // gridDim.y's limit: 4.2 M rows (a batch of 1,337 tiles at stage 1)
        return hw_fail("gpu_layernorm_backward: %d rows are more than 65535 x %d", N, LN_ROWS);
    float *part_g = scratch, *part_b = scratch + (size_t)nblk * C;
    const dim3 grid((C + LN_COLS - 1) / LN_COLS, nblk);
    ln_backward_partial_kernel<<<grid, LN_COLS, 0, g->stream>>>(part_g, part_b, dout, inp, mean,
                                                                 rstd, N, C);
    HW_LAUNCH_CHECK();
    ln_backward_params_kernel<<<hw_grid((size_t)C, 128), 128, 0, g->stream>>>(dgamma, dbeta, part_g,
                                                                              part_b, nblk, C);
    HW_LAUNCH_CHECK();
    return 0;
}
