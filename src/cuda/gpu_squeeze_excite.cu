// torchvision's SqueezeExcitation(C, SQ, SiLU) (nn_squeeze_excite.c) on the device, composed
// as the C op is: global pool, fc1 (gpu_linear), SiLU, fc2, sigmoid, then the per-channel
// gate. Only the gate's multiply and the gate gradient (a dot product of dout and x per
// (b, c), in double as the C op's) are kernels of this file.
#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_ops_maxvit.h"

// out[bc, i] = x[bc, i] gate[bc]
__global__ static void se_gate_kernel(float *out, const float *inp, const float *gate, int HW,
                                      size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = __fmul_rn(inp[i], gate[i / HW]);
}

// A warp per (b, c): dgate[bc] = sum_i dout x (double); dinp[bc, i] += dout gate (unfused)
__global__ static void se_gate_backward_kernel(float *dgate, float *dinp, const float *dout,
                                               const float *inp, const float *gate, int HW,
                                               int BC) {
    const int lane = threadIdx.x & 31;
    const int bc = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (bc >= BC) return;
    const float *x = inp + (size_t)bc * HW, *g = dout + (size_t)bc * HW;
    const float s = gate[bc];
    double d = 0.0;
    for (int i = lane; i < HW; i += 32) {
        d += (double)g[i] * x[i];
        if (dinp) {
            float *dx = dinp + (size_t)bc * HW;
            dx[i] = __fadd_rn(dx[i], __fmul_rn(g[i], s));
        }
    }
    d = hw_warp_sum(d);
    if (lane == 0) dgate[bc] = (float)d;
}

extern "C" int gpu_squeeze_excite_forward(hw_gpu *g, float *out, const NnSeSaved *sv,
                                          const float *inp, const float *w1, const float *b1,
                                          const float *w2, const float *b2, int B, int C, int SQ,
                                          int HW) {
    const size_t BC = (size_t)B * C;
    if (!BC || HW <= 0) return 0;
    if (gpu_global_avgpool_forward(g, sv->pooled, C, inp, B, C, HW) ||
        gpu_linear_forward(g, sv->h, sv->pooled, w1, b1, B, C, SQ) ||
        gpu_silu_forward(g, sv->a, sv->h, (size_t)B * SQ) ||
        gpu_linear_forward(g, sv->gate, sv->a, w2, b2, B, SQ, C) ||
        gpu_sigmoid_forward(g, sv->gate, sv->gate, BC))
        return -1;
    const size_t n = BC * HW;
    se_gate_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, inp, sv->gate, HW, n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_squeeze_excite_backward(hw_gpu *g, float *dinp, float *dw1, float *db1,
                                           float *dw2, float *db2, const float *dout,
                                           const NnSeSaved *sv, const float *inp, const float *w1,
                                           const float *w2, float *scratch, int B, int C, int SQ,
                                           int HW) {
    const size_t BC = (size_t)B * C;
    if (!BC || HW <= 0) return 0;
    if (SQ > C) return hw_fail("gpu_squeeze_excite_backward: SQ %d > C %d (scratch reuse)", SQ, C);
    // scratch as the C op's: dgate [B, C], dz [B, C], da [B, SQ]
    float *dgate = scratch, *dz = scratch + BC, *da = dz + BC;
    const int BCi = (int)BC;
    se_gate_backward_kernel<<<(BCi + 7) / 8, 256, 0, g->stream>>>(dgate, dinp, dout, inp, sv->gate,
                                                                  HW, BCi);
    HW_LAUNCH_CHECK();
    if (hw_gpu_zero(g, dz, (BC + (size_t)B * SQ) * sizeof(float)) ||
        gpu_sigmoid_backward(g, dz, dgate, sv->gate, BC) ||
        gpu_linear_backward(g, da, dw2, db2, dz, sv->a, w2, B, SQ, C))
        return -1;
    float *dh = dgate; // dgate is spent: [B, SQ] fits in [B, C]
    if (hw_gpu_zero(g, dh, (size_t)B * SQ * sizeof(float)) ||
        gpu_silu_backward(g, dh, da, sv->h, (size_t)B * SQ))
        return -1;
    float *dpooled = dz; // dz is spent
    if (hw_gpu_zero(g, dpooled, BC * sizeof(float)) ||
        gpu_linear_backward(g, dpooled, dw1, db1, dh, sv->pooled, w1, B, C, SQ))
        return -1;
    if (dinp && gpu_global_avgpool_backward(g, dinp, dpooled, C, B, C, HW)) return -1;
    return 0;
}
