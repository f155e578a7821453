/* The backbone as saliency needs it (saliency.h): on prepared inputs (the wrapper's
 * normalisation and mask already applied, as the reference's forward_one sees them), in
 * evaluation mode, with the gradient taken down to the input instead of into the weights.
 * It reuses the model's activation arena and ops and computes no weight gradient at all
 * (linear.1's alone would be a 44,944 x 120 GEMM per pass). */
#include "slenet_internal.h"

#include "hitwin/error.h"
#include "hitwin/nn.h"
#include "hitwin/saliency.h"
#include "hitwin/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Tiles per pass: the arena grows with the largest pass (about 3.5 MB a tile). */
#define PASS_TILES 64

/* conv2 before pooling: 16 maps, pixel r centred on bin 2 r + 6.5 (saliency.h) */
int hw_slenet_feature_geometry(const hw_model *m, hw_feature_geometry *g) {
    *g = (hw_feature_geometry){HW_SLENET_C2, ((const hw_slenet *)m->bb_state)->C2, 2.0, 6.5};
    return 0;
}

int hw_slenet_conv2_maps(hw_model *m, const float *x, int n, float *maps) {
    hw_slenet *b = hw_slenet_of(m);
    const size_t S2 = (size_t)m->S * m->S;
    const size_t per = (size_t)HW_SLENET_C2 * b->C2 * b->C2;
    for (int i0 = 0; i0 < n; i0 += PASS_TILES) {
        int k = n - i0 < PASS_TILES ? n - i0 : PASS_TILES;
        hw_model_reserve(m, k, 1);
        NnConv2dDims d1 = {k, 1, m->S, m->S, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
        conv2d_maxpool_forward(b->p1, b->a1, b->c1, x + (size_t)i0 * S2, hw_p(m, T_CONV1_W),
                               hw_p(m, T_CONV1_B), b->conv_scratch, &d1);
        /* features[-2] unpooled: the plain convolution, written where the caller wants it */
        NnConv2dDims d2 = {k, HW_SLENET_C1, b->P1, b->P1, HW_SLENET_C2, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
        conv2d_forward(maps + (size_t)i0 * per, b->p1, hw_p(m, T_CONV2_W), hw_p(m, T_CONV2_B),
                       b->conv_scratch, &d2);
    }
    return 0;
}

/* The part both input-gradient passes share: from conv1's pooled output b->p1 of k rows
 * (rows i0.. of other, ostride floats apart, and of role) through the rest of the network, the
 * distance and its gradient, and back to b->dp1, the gradient of the pooled conv1 output.
 * dist may be NULL. */
static void rest_forward_backward(hw_model *m, int k, int i0, const float *other, size_t ostride,
                                  const uint8_t *role, hw_ig_measure measure, float *dist) {
    hw_slenet *b = hw_slenet_of(m);
    const size_t K = (size_t)k, F = (size_t)b->F;
    NnConv2dDims d2 = {k, HW_SLENET_C1, b->P1, b->P1, HW_SLENET_C2, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    conv2d_maxpool_forward(b->p2, b->a2, b->c2, b->p1, hw_p(m, T_CONV2_W), hw_p(m, T_CONV2_B),
                           b->conv_scratch, &d2);
    linear_forward(b->h1, b->p2, hw_p(m, T_FC1_W), hw_p(m, T_FC1_B), k, b->F, HW_SLENET_H1);
    gelu_forward(b->g1, b->h1, K * HW_SLENET_H1);
    linear_forward(b->h2, b->g1, hw_p(m, T_FC2_W), hw_p(m, T_FC2_B), k, HW_SLENET_H1, HW_SLENET_D);
    gelu_forward(m->emb, b->h2, K * HW_SLENET_D);
    float tmp[HW_SLENET_D];
    for (int i = 0; i < k; i++) {
        const int r = role ? role[i0 + i] : 0;
        const double dd = hw_ig_row_gradient(m->emb + (size_t)i * HW_SLENET_D, other + (size_t)(i0 + i) * ostride, r,
                                             HW_SLENET_D, measure, m->demb + (size_t)i * HW_SLENET_D, tmp);
        if (dist) dist[i0 + i] = (float)dd;
    }
    /* backward; no weight gets a gradient (NULL) */
    memset(b->dh2, 0, K * HW_SLENET_D * sizeof(float));
    gelu_backward(b->dh2, m->demb, b->h2, K * HW_SLENET_D);
    memset(b->dg1, 0, K * HW_SLENET_H1 * sizeof(float));
    linear_backward(b->dg1, NULL, NULL, b->dh2, b->g1, hw_p(m, T_FC2_W), k, HW_SLENET_H1, HW_SLENET_D);
    memset(b->dh1, 0, K * HW_SLENET_H1 * sizeof(float));
    gelu_backward(b->dh1, b->dg1, b->h1, K * HW_SLENET_H1);
    float *dp2 = b->drop; /* unused in evaluation mode: [k, F] of room */
    memset(dp2, 0, K * F * sizeof(float));
    linear_backward(dp2, NULL, NULL, b->dh1, b->p2, hw_p(m, T_FC1_W), k, b->F, HW_SLENET_H1);
    memset(b->dp1, 0, K * HW_SLENET_C1 * b->P1 * b->P1 * sizeof(float));
    conv2d_maxpool_backward(b->dp1, NULL, NULL, b->c2, dp2, b->a2, b->p1, hw_p(m, T_CONV2_W),
                            b->conv_scratch, &d2);
}

int hw_slenet_distance_grad(hw_model *m, const float *x, int n, const float *other, const uint8_t *role,
                            hw_ig_measure measure, float *dist, float *dx) {
    hw_slenet *b = hw_slenet_of(m);
    const int S = m->S;
    const size_t S2 = (size_t)S * S;
    memset(dx, 0, (size_t)n * S2 * sizeof(float));
    for (int i0 = 0; i0 < n; i0 += PASS_TILES) {
        const int k = n - i0 < PASS_TILES ? n - i0 : PASS_TILES;
        hw_model_reserve(m, k, 1);
        memcpy(m->x, x + (size_t)i0 * S2, (size_t)k * S2 * sizeof(float));
        /* evaluation mode: no normalisation (the input is prepared), no dropout */
        NnConv2dDims d1 = {k, 1, S, S, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
        conv2d_maxpool_forward(b->p1, b->a1, b->c1, m->x, hw_p(m, T_CONV1_W), hw_p(m, T_CONV1_B),
                               b->conv_scratch, &d1);
        rest_forward_backward(m, k, i0, other, HW_SLENET_D, role, measure, dist);
        conv2d_maxpool_backward(dx + (size_t)i0 * S2, NULL, NULL, b->c1, b->dp1, b->a1, m->x,
                                hw_p(m, T_CONV1_W), b->conv_scratch, &d1);
    }
    return 0;
}

int hw_slenet_path_grad(hw_model *m, const float *from, const float *to, const float *alpha, int n,
                        const float *other, int second, hw_ig_measure measure, double *gsum) {
    hw_slenet *b = hw_slenet_of(m);
    const int S = m->S, C1 = b->C1, P1 = b->P1, D = HW_SLENET_D;
    const size_t S2 = (size_t)S * S, c1 = (size_t)HW_SLENET_C1 * C1 * C1, p1 = (size_t)HW_SLENET_C1 * P1 * P1;
    const int first = n < PASS_TILES ? n : PASS_TILES;
    hw_model_reserve(m, first, 1);
    float *base = xmalloc(c1 * sizeof(float)), *slope = xmalloc(c1 * sizeof(float));
    float *dsum = xcalloc(c1, sizeof(float)), *d = xmalloc(S2 * sizeof(float)), *dx = xcalloc(S2, sizeof(float));
    /* HW_IG_BOTH rows read two embeddings (from's, to's) */
    const size_t ow = second & HW_IG_BOTH ? 2 * (size_t)D : (size_t)D;
    float *oth = xmalloc((size_t)PASS_TILES * ow * sizeof(float));
    uint8_t role[PASS_TILES];
    for (size_t p = 0; p < S2; p++) d[p] = to[p] - from[p];
    /* conv1 is linear: conv1(from + a d) = (W * from + b) + a (W * d), two convolutions for the
     * whole path */
    NnConv2dDims one = {1, 1, S, S, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    conv2d_forward(base, from, hw_p(m, T_CONV1_W), hw_p(m, T_CONV1_B), b->conv_scratch, &one);
    conv2d_forward(slope, d, hw_p(m, T_CONV1_W), NULL, b->conv_scratch, &one);
    for (int i0 = 0; i0 < n; i0 += PASS_TILES) {
        const int k = n - i0 < PASS_TILES ? n - i0 : PASS_TILES;
        hw_model_reserve(m, k, 1);
        for (int i = 0; i < k; i++) {
            const float a = alpha[i0 + i];
            float *c = b->c1 + (size_t)i * c1;
            for (size_t q = 0; q < c1; q++) c[q] = base[q] + a * slope[q];
            memcpy(oth + (size_t)i * ow, other, ow * sizeof(float));
            role[i] = hw_ig_path_role(second, a);
        }
        maxpool2d_forward(b->p1, b->a1, b->c1, k, HW_SLENET_C1, C1, C1, 2, 2, 0);
        rest_forward_backward(m, k, 0, oth, ow, role, measure, NULL);
        /* conv1's input gradient is linear in its output gradient: sum the rows' pooled
         * gradients, scattered through their own argmax, and transpose-convolve once */
        for (int i = 0; i < k; i++)
            maxpool2d_backward(dsum, b->dp1 + (size_t)i * p1, b->a1 + (size_t)i * p1, 1, HW_SLENET_C1, C1, C1, P1, P1);
    }
    conv2d_backward(dx, NULL, NULL, dsum, from, hw_p(m, T_CONV1_W), b->conv_scratch, &one);
    for (size_t p = 0; p < S2; p++) gsum[p] += dx[p];
    free(base);
    free(slope);
    free(dsum);
    free(d);
    free(dx);
    free(oth);
    return 0;
}
