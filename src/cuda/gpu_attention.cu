// The attention core of torchvision's RelativePositionalMultiHeadAttention (nn_attention.c)
// on the device: per group and head, softmax(q (k C^-1/2)^T + bias) v.
//
// Why one block per (group, head) rather than cuBLAS: MaxViT's windows have P = 49 tokens
// and heads of 32 channels, so each head's products are 49 x 32 x 49: a few hundred
// thousand FLOPs on 4 matrices of 6 KB that fit in shared memory together with the 49 x 49
// logits. A block loads its head once, computes logits, softmax and the product there, and
// writes out and probs once; cuBLAS would need a batched GEMM per head (the heads are
// interleaved in qkv's rows), a separate softmax kernel and the logits through global memory
// twice. Shared rows are padded to DH + 1 floats so threads of a warp reading a column of k,
// v or q hit different banks.
//
// Rounding: k is scaled first and the products summed in float, as the C op; the sums run in
// the same order (d, then j) but nvcc fuses them into FMAs, so results agree to rounding.
// Softmax sums in double as the C op.
//
// Backward: each block owns its head's slice of dqkv (plain +=, no atomics). The bias
// table's gradient sums dlogits over every group and token pair with the same offset: the
// blocks write their dlogits to scratch and attn_dtable_kernel adds them, a block per
// (table entry, head), in a fixed order (deterministic).
#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_ops_maxvit.h"

#define ATTN_BLOCK 256

__device__ __forceinline__ static int relpos_index(int i, int j, int w) {
    const int ri = i / w, ci = i % w, rj = j / w, cj = j % w;
    return (ri - rj + w - 1) * (2 * w - 1) + (ci - cj + w - 1);
}

__global__ static void attn_forward_kernel(float *out, float *probs, const float *qkv,
                                           const float *table, int w, int C, int NH,
                                           float scale) {
    extern __shared__ float sm[];
    const int P = w * w, DH = C / NH, DS = DH + 1;
    const int grp = blockIdx.x / NH, h = blockIdx.x % NH;
    float *q = sm, *k = q + P * DS, *v = k + P * DS, *pr = v + P * DS;
    const float *base = qkv + (size_t)grp * P * 3 * C;
    for (int e = threadIdx.x; e < P * DH; e += blockDim.x) {
        const int t = e / DH, d = e % DH;
        const float *row = base + (size_t)t * 3 * C + h * DH + d;
        q[t * DS + d] = row[0];
        k[t * DS + d] = row[C] * scale; // the C op scales k before the product
        v[t * DS + d] = row[2 * C];
    }
    __syncthreads();
    for (int e = threadIdx.x; e < P * P; e += blockDim.x) {
        const int i = e / P, j = e % P;
        float s = 0.0f;
        for (int d = 0; d < DH; d++) s += q[i * DS + d] * k[j * DS + d];
        pr[e] = s + table[relpos_index(i, j, w) * NH + h];
    }
    __syncthreads();
    // softmax over keys, a warp per row
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    float *gp = probs + ((size_t)grp * NH + h) * P * P;
    for (int i = warp; i < P; i += nwarps) {
        float *row = pr + i * P;
        float mx = -INFINITY;
        for (int j = lane; j < P; j += 32) mx = fmaxf(mx, row[j]);
        mx = hw_warp_max(mx);
        double sum = 0.0;
        for (int j = lane; j < P; j += 32) {
            const float ex = expf(row[j] - mx);
            row[j] = ex;
            sum += ex;
        }
        const float inv = (float)(1.0 / hw_warp_sum(sum));
        for (int j = lane; j < P; j += 32) {
            row[j] *= inv;
            gp[i * P + j] = row[j];
        }
    }
    __syncthreads();
    for (int e = threadIdx.x; e < P * DH; e += blockDim.x) {
        const int i = e / DH, d = e % DH;
        float o = 0.0f;
        for (int j = 0; j < P; j++) o += pr[i * P + j] * v[j * DS + d];
        out[((size_t)grp * P + i) * C + h * DH + d] = o;
    }
}

// dqkv may be NULL (only dlogits wanted); dlogits (scratch [BG, NH, P, P]) NULL when the
// table gradient is not.
__global__ static void attn_backward_kernel(float *dqkv, float *dlogits, const float *dout,
                                            const float *qkv, const float *probs, int w, int C,
                                            int NH, float scale) {
    extern __shared__ float sm[];
    const int P = w * w, DH = C / NH, DS = DH + 1;
    const int grp = blockIdx.x / NH, h = blockIdx.x % NH;
    float *q = sm, *k = q + P * DS, *v = k + P * DS, *go = v + P * DS, *pr = go + P * DS,
          *dl = pr + P * P;
    const float *base = qkv + (size_t)grp * P * 3 * C;
    const float *gprobs = probs + ((size_t)grp * NH + h) * P * P;
    for (int e = threadIdx.x; e < P * DH; e += blockDim.x) {
        const int t = e / DH, d = e % DH;
        const float *row = base + (size_t)t * 3 * C + h * DH + d;
        q[t * DS + d] = row[0];
        k[t * DS + d] = row[C];
        v[t * DS + d] = row[2 * C];
        go[t * DS + d] = dout[((size_t)grp * P + t) * C + h * DH + d];
    }
    for (int e = threadIdx.x; e < P * P; e += blockDim.x) pr[e] = gprobs[e];
    __syncthreads();
    // dprobs[i, j] = dout_i . v_j (into dl)
    for (int e = threadIdx.x; e < P * P; e += blockDim.x) {
        const int i = e / P, j = e % P;
        float s = 0.0f;
        for (int d = 0; d < DH; d++) s += go[i * DS + d] * v[j * DS + d];
        dl[e] = s;
    }
    float *dbase = dqkv ? dqkv + (size_t)grp * P * 3 * C : NULL;
    // dv_j += sum_i probs[i, j] dout_i (reads pr and go only: no barrier needed after it)
    if (dbase)
        for (int e = threadIdx.x; e < P * DH; e += blockDim.x) {
            const int j = e / DH, d = e % DH;
            float s = 0.0f;
            for (int i = 0; i < P; i++) s += pr[i * P + j] * go[i * DS + d];
            dbase[(size_t)j * 3 * C + 2 * C + h * DH + d] += s;
        }
    __syncthreads();
    // softmax backward, a warp per row: dlogits = p (dp - sum_j p dp)
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    float *gdl = dlogits ? dlogits + ((size_t)grp * NH + h) * P * P : NULL;
    for (int i = warp; i < P; i += nwarps) {
        double dot = 0.0;
        for (int j = lane; j < P; j += 32) dot += (double)pr[i * P + j] * dl[i * P + j];
        const float fdot = (float)hw_warp_sum(dot);
        for (int j = lane; j < P; j += 32) {
            const float x = pr[i * P + j] * (dl[i * P + j] - fdot);
            dl[i * P + j] = x;
            if (gdl) gdl[i * P + j] = x;
        }
    }
    if (!dbase) return;
    __syncthreads();
    // logits = q . (k scale): dq_i += sum_j dl[i, j] scale k_j; dk_j += sum_i dl[i, j] scale q_i
    for (int e = threadIdx.x; e < P * DH; e += blockDim.x) {
        const int i = e / DH, d = e % DH;
        float s = 0.0f;
        for (int j = 0; j < P; j++) s += (dl[i * P + j] * scale) * k[j * DS + d];
        dbase[(size_t)i * 3 * C + h * DH + d] += s;
    }
    for (int e = threadIdx.x; e < P * DH; e += blockDim.x) {
        const int j = e / DH, d = e % DH;
        float s = 0.0f;
        for (int i = 0; i < P; i++) s += (dl[i * P + j] * scale) * q[i * DS + d];
        dbase[(size_t)j * 3 * C + C + h * DH + d] += s;
    }
}

// dtable[e, h] += sum over groups and token pairs (i, j) at offset e of dlogits; a block per
// (e, h), groups over the threads, a tree sum in double.
__global__ static void attn_dtable_kernel(float *dtable, const float *dlogits, int BG, int w,
                                          int NH) {
    const int P = w * w, W2 = 2 * w - 1;
    const int e = blockIdx.x / NH, h = blockIdx.x % NH;
    const int dr = e / W2 - (w - 1), dc = e % W2 - (w - 1); // r_i - r_j, c_i - c_j
    double s = 0.0;
    for (int grp = threadIdx.x; grp < BG; grp += blockDim.x) {
        const float *dl = dlogits + ((size_t)grp * NH + h) * P * P;
        for (int i = 0; i < P; i++) {
            const int rj = i / w - dr, cj = i % w - dc;
            if (rj >= 0 && rj < w && cj >= 0 && cj < w) s += dl[i * P + rj * w + cj];
        }
    }
    s = hw_block_sum(s);
    if (threadIdx.x == 0) dtable[e * NH + h] += (float)s;
}

// Dynamic shared memory of `floats` floats for kernel: above the default 48 KB a kernel must
// opt in, up to the device's limit (227 KB on H100); beyond that the shape is refused.
static int shared_memory(hw_gpu *g, const void *kernel, size_t floats, const char *what,
                         size_t *bytes) {
    *bytes = floats * sizeof(float);
    if (*bytes <= 48 * 1024) return 0;
    int optin = 0;
    HW_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, g->device));
    if (*bytes > (size_t)optin)
        return hw_fail("%s: a head needs %zu bytes of shared memory, the device allows %d per "
                       "block (smaller windows or heads)",
                       what, *bytes, optin);
    HW_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       (int)*bytes));
    return 0;
}

static int check_shape(int BG, int w, int C, int NH, const char *what) {
    if (w <= 0 || NH <= 0 || C <= 0 || C % NH)
        return hw_fail("%s: %d channels do not split into %d heads", what, C, NH);
    if (BG < 0) return hw_fail("%s: %d groups", what, BG);
    return 0;
}

extern "C" int gpu_relpos_attention_forward(hw_gpu *g, float *out, float *probs, const float *qkv,
                                            const float *table, int BG, int w, int C, int NH) {
    const char *what = "gpu_relpos_attention_forward";
    if (check_shape(BG, w, C, NH, what)) return -1;
    if (!BG) return 0;
    const size_t P = (size_t)w * w, DS = C / NH + 1;
    size_t bytes;
    if (shared_memory(g, (const void *)attn_forward_kernel, 3 * P * DS + P * P, what, &bytes))
        return -1;
    attn_forward_kernel<<<BG * NH, ATTN_BLOCK, bytes, g->stream>>>(out, probs, qkv, table, w, C, NH,
                                                                   1.0f / sqrtf((float)C));
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_relpos_attention_backward(hw_gpu *g, float *dqkv, float *dtable,
                                             const float *dout, const float *qkv,
                                             const float *probs, float *scratch, int BG, int w,
                                             int C, int NH) {
    const char *what = "gpu_relpos_attention_backward";
    if (check_shape(BG, w, C, NH, what)) return -1;
    if (!BG || (!dqkv && !dtable)) return 0;
    if (dtable && !scratch)
        return hw_fail("%s: dtable needs scratch of BG NH P P floats", what);
    const size_t P = (size_t)w * w, DS = C / NH + 1;
    size_t bytes;
    if (shared_memory(g, (const void *)attn_backward_kernel, 4 * P * DS + 2 * P * P, what, &bytes))
        return -1;
    attn_backward_kernel<<<BG * NH, ATTN_BLOCK, bytes, g->stream>>>(
        dqkv, dtable ? scratch : NULL, dout, qkv, probs, w, C, NH, 1.0f / sqrtf((float)C));
    HW_LAUNCH_CHECK();
    if (dtable) {
        const int entries = (2 * w - 1) * (2 * w - 1);
        attn_dtable_kernel<<<entries * NH, ATTN_BLOCK, 0, g->stream>>>(dtable, scratch, BG, w, NH);
        HW_LAUNCH_CHECK();
    }
    return 0;
}
