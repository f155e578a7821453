/* torchvision's SqueezeExcitation with SiLU (MBConv): a per-channel gate from the channel
 * means, out = x * sigmoid(fc2(silu(fc1(mean x)))). The 1x1 convs act on [B, C] vectors, so
 * they are linear layers. */
#include "hitwin/nn_maxvit.h"

#include <string.h>

void squeeze_excite_forward(float *out, NnSeSaved *sv, const float *inp, const float *w1,
                            const float *b1, const float *w2, const float *b2, int B, int C, int SQ,
                            int HW) {
    global_avgpool_forward(sv->pooled, C, inp, B, C, HW);
    linear_forward(sv->h, sv->pooled, w1, b1, B, C, SQ);
    silu_forward(sv->a, sv->h, (size_t)B * SQ);
    linear_forward(sv->gate, sv->a, w2, b2, B, SQ, C);
    sigmoid_forward(sv->gate, sv->gate, (size_t)B * C);
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        const float s = sv->gate[bc];
        const float *x = inp + bc * HW;
        float *o = out + bc * HW;
        for (int i = 0; i < HW; i++) o[i] = x[i] * s;
    }
}

void squeeze_excite_backward(float *dinp, float *dw1, float *db1, float *dw2, float *db2,
                             const float *dout, const NnSeSaved *sv, const float *inp,
                             const float *w1, const float *w2, float *scratch, int B, int C, int SQ,
                             int HW) {
    float *dgate = scratch, *dz = scratch + (size_t)B * C, *da = dz + (size_t)B * C;
    /* the direct path (x scaled by its gate) and the gate's own gradient sum_hw g x */
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        const float *x = inp + bc * HW, *g = dout + bc * HW;
        const float s = sv->gate[bc];
        double d = 0.0;
        for (int i = 0; i < HW; i++) d += (double)g[i] * x[i];
        dgate[bc] = (float)d;
        if (dinp) {
            float *dx = dinp + bc * HW;
            for (int i = 0; i < HW; i++) dx[i] += g[i] * s;
        }
    }
    memset(dz, 0, ((size_t)B * C + (size_t)B * SQ) * sizeof(float));
    sigmoid_backward(dz, dgate, sv->gate, (size_t)B * C);
    linear_backward(da, dw2, db2, dz, sv->a, w2, B, SQ, C);
    float *dh = dgate; /* dgate is spent: [B, SQ] fits in [B, C] as SQ < C */
    memset(dh, 0, (size_t)B * SQ * sizeof(float));
    silu_backward(dh, da, sv->h, (size_t)B * SQ);
    float *dpooled = dz; /* dz is spent */
    memset(dpooled, 0, (size_t)B * C * sizeof(float));
    linear_backward(dpooled, dw1, db1, dh, sv->pooled, w1, B, C, SQ);
    if (dinp) global_avgpool_backward(dinp, dpooled, C, B, C, HW);
}
