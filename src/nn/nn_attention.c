/* The attention core of torchvision's RelativePositionalMultiHeadAttention (between the qkv and
 * merge Linears): per group and head, softmax(q k^T C^-1/2 + bias) v, where the bias of token
 * pair (i, j) is a learned table entry indexed by their relative offset in the w x w window.
 * Plain loops: this is the reference a CUDA kernel will be checked against. */
#include "hitwin/nn_maxvit.h"

#include <math.h>

static inline int relpos_index(int i, int j, int w) {
    const int ri = i / w, ci = i % w, rj = j / w, cj = j % w;
    return (ri - rj + w - 1) * (2 * w - 1) + (ci - cj + w - 1);
}

void relpos_attention_index(int64_t *idx, int w) {
    const int P = w * w;
    for (int i = 0; i < P; i++)
        for (int j = 0; j < P; j++) idx[(size_t)i * P + j] = relpos_index(i, j, w);
}

void relpos_attention_forward(float *out, float *probs, const float *qkv, const float *table, int BG,
                              int w, int C, int NH) {
    const int P = w * w, DH = C / NH;
    const float scale = 1.0f / sqrtf((float)C); /* torchvision: feat_dim ** -0.5 on k */
    for (int g = 0; g < BG; g++) {
        const float *base = qkv + (size_t)g * P * 3 * C;
        for (int h = 0; h < NH; h++) {
            float *pr = probs + ((size_t)g * NH + h) * P * P;
            for (int i = 0; i < P; i++) {
                const float *q = base + (size_t)i * 3 * C + h * DH;
                float *row = pr + (size_t)i * P, mx = -INFINITY;
                for (int j = 0; j < P; j++) {
                    const float *k = base + (size_t)j * 3 * C + C + h * DH;
                    float s = 0.0f;
                    for (int d = 0; d < DH; d++) s += q[d] * (k[d] * scale);
                    row[j] = s + table[relpos_index(i, j, w) * NH + h];
                    mx = row[j] > mx ? row[j] : mx;
                }
                double sum = 0.0;
                for (int j = 0; j < P; j++) {
                    row[j] = expf(row[j] - mx);
                    sum += row[j];
                }
                const float inv = (float)(1.0 / sum);
                for (int j = 0; j < P; j++) row[j] *= inv;
                float *o = out + ((size_t)g * P + i) * C + h * DH;
                for (int d = 0; d < DH; d++) o[d] = 0.0f;
                for (int j = 0; j < P; j++) {
                    const float *v = base + (size_t)j * 3 * C + 2 * C + h * DH;
                    for (int d = 0; d < DH; d++) o[d] += row[j] * v[d];
                }
            }
        }
    }
}

void relpos_attention_backward(float *dqkv, float *dtable, const float *dout, const float *qkv,
                               const float *probs, float *scratch, int BG, int w, int C, int NH) {
    const int P = w * w, DH = C / NH;
    const float scale = 1.0f / sqrtf((float)C);
    float *dprobs = scratch, *dlogits = scratch + (size_t)P * P;
    for (int g = 0; g < BG; g++) {
        const float *base = qkv + (size_t)g * P * 3 * C;
        float *dbase = dqkv ? dqkv + (size_t)g * P * 3 * C : NULL;
        for (int h = 0; h < NH; h++) {
            const float *pr = probs + ((size_t)g * NH + h) * P * P;
            /* dprobs[i, j] = dout_i . v_j; dv_j += sum_i probs[i, j] dout_i */
            for (int i = 0; i < P; i++) {
                const float *go = dout + ((size_t)g * P + i) * C + h * DH;
                for (int j = 0; j < P; j++) {
                    const float *v = base + (size_t)j * 3 * C + 2 * C + h * DH;
                    float s = 0.0f;
                    for (int d = 0; d < DH; d++) s += go[d] * v[d];
                    dprobs[(size_t)i * P + j] = s;
                    if (dbase) {
                        float *dv = dbase + (size_t)j * 3 * C + 2 * C + h * DH;
                        const float p = pr[(size_t)i * P + j];
                        for (int d = 0; d < DH; d++) dv[d] += p * go[d];
                    }
                }
            }
            /* softmax backward: dlogits = p (dp - sum_j p dp) */
            for (int i = 0; i < P; i++) {
                const float *p = pr + (size_t)i * P, *dp = dprobs + (size_t)i * P;
                double dot = 0.0;
                for (int j = 0; j < P; j++) dot += (double)p[j] * dp[j];
                for (int j = 0; j < P; j++) {
                    const float dl = p[j] * (dp[j] - (float)dot);
                    dlogits[(size_t)i * P + j] = dl;
                    if (dtable) dtable[relpos_index(i, j, w) * NH + h] += dl;
                }
            }
            if (!dbase) continue;
            /* logits = q . (k scale): dq_i += sum_j dl[i, j] k_j scale, dk_j += sum_i dl q_i scale */
            for (int i = 0; i < P; i++) {
                const float *q = base + (size_t)i * 3 * C + h * DH;
                float *dq = dbase + (size_t)i * 3 * C + h * DH;
                for (int j = 0; j < P; j++) {
                    const float dl = dlogits[(size_t)i * P + j] * scale;
                    const float *k = base + (size_t)j * 3 * C + C + h * DH;
                    float *dk = dbase + (size_t)j * 3 * C + C + h * DH;
                    for (int d = 0; d < DH; d++) {
                        dq[d] += dl * k[d];
                        dk[d] += dl * q[d];
                    }
                }
            }
        }
    }
}
