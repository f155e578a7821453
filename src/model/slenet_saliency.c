/* The backbone as saliency needs it (saliency.h): on prepared inputs (the wrapper's
 * normalisation and mask already applied, as the reference's forward_one sees them), in
 * evaluation mode, with the gradient taken down to the input instead of into the weights.
 * It reuses the model's activation arena and ops and computes no weight gradient at all
 * (linear.1's alone would be a 44,944 x 120 GEMM per pass). */
#include "model_internal.h"

#include "hitwin/error.h"
#include "hitwin/nn.h"
#include "hitwin/saliency.h"

#include <math.h>
#include <string.h>

/* Tiles per pass: the arena grows with the largest pass (about 3.5 MB a tile). */
#define PASS_TILES 64

int hw_model_feature_side(const hw_model *m) { return m->C2; }

int hw_model_prepare(hw_model *m, const float *tiles, int n, float *x, float *emb) {
    const size_t S2 = (size_t)m->S * m->S;
    for (int i0 = 0; i0 < n; i0 += PASS_TILES) {
        int k = n - i0 < PASS_TILES ? n - i0 : PASS_TILES;
        hw_model_reserve(m, k, 1);
        hw_backbone_forward(m, tiles + (size_t)i0 * S2, k, 1, m->cfg.mask, 0, 0);
        memcpy(x + (size_t)i0 * S2, m->act.x, (size_t)k * S2 * sizeof(float));
        if (emb) memcpy(emb + (size_t)i0 * HW_SLENET_D, m->act.emb, (size_t)k * HW_SLENET_D * sizeof(float));
    }
    return 0;
}

int hw_model_conv2_maps(hw_model *m, const float *x, int n, float *maps) {
    const size_t S2 = (size_t)m->S * m->S;
    const size_t per = (size_t)HW_SLENET_C2 * m->C2 * m->C2;
    for (int i0 = 0; i0 < n; i0 += PASS_TILES) {
        int k = n - i0 < PASS_TILES ? n - i0 : PASS_TILES;
        hw_model_reserve(m, k, 1);
        hw_branch *b = &m->act;
        NnConv2dDims d1 = {k, 1, m->S, m->S, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
        conv2d_maxpool_forward(b->p1, b->a1, m->c1, x + (size_t)i0 * S2, hw_p(m, T_CONV1_W),
                               hw_p(m, T_CONV1_B), m->conv_scratch, &d1);
        /* features[-2] unpooled: the plain convolution, written where the caller wants it */
        NnConv2dDims d2 = {k, HW_SLENET_C1, m->P1, m->P1, HW_SLENET_C2, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
        conv2d_forward(maps + (size_t)i0 * per, b->p1, hw_p(m, T_CONV2_W), hw_p(m, T_CONV2_B),
                       m->conv_scratch, &d2);
    }
    return 0;
}

double hw_ig_distance(const float *a, const float *b, int dim, hw_ig_measure measure, int grad_b,
                      float *grad) {
    if (measure == HW_IG_PAIRWISE) { /* torch.pairwise_distance: ||a - b + eps||, eps 1e-6 */
        double ss = 0.0;
        for (int k = 0; k < dim; k++) {
            double d = (double)a[k] - b[k] + 1e-6;
            ss += d * d;
        }
        double dist = sqrt(ss), sign = grad_b ? -1.0 : 1.0;
        if (grad)
            for (int k = 0; k < dim; k++)
                grad[k] = dist > 0.0 ? (float)(sign * ((double)a[k] - b[k] + 1e-6) / dist) : 0.0f;
        return dist;
    }
    if (grad_b) { /* 1 - cosine is symmetric */
        const float *t = a;
        a = b;
        b = t;
    }
    /* 1 - cosine_similarity: a.b / max(|a| |b|, 1e-8) */
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (int k = 0; k < dim; k++) {
        ab += (double)a[k] * b[k];
        aa += (double)a[k] * a[k];
        bb += (double)b[k] * b[k];
    }
    double na = sqrt(aa), nb = sqrt(bb), den = na * nb;
    int clamped = den < 1e-8;
    if (clamped) den = 1e-8;
    double cos = ab / den;
    if (grad)
        for (int k = 0; k < dim; k++) {
            /* d(1 - cos)/da = -(b / den - cos a / |a|^2); with the clamp den is constant */
            double g = (double)b[k] / den;
            if (!clamped && aa > 0.0) g -= cos * a[k] / aa;
            grad[k] = (float)-g;
        }
    return 1.0 - cos;
}

int hw_model_distance_grad(hw_model *m, const float *x, int n, const float *other, const uint8_t *role,
                           hw_ig_measure measure, float *dist, float *dx) {
    const int S = m->S;
    const size_t S2 = (size_t)S * S, F = (size_t)m->F;
    memset(dx, 0, (size_t)n * S2 * sizeof(float));
    for (int i0 = 0; i0 < n; i0 += PASS_TILES) {
        const int k = n - i0 < PASS_TILES ? n - i0 : PASS_TILES;
        const size_t K = (size_t)k;
        hw_model_reserve(m, k, 1);
        hw_branch *b = &m->act;
        memcpy(b->x, x + (size_t)i0 * S2, K * S2 * sizeof(float));
        /* forward, evaluation mode: no normalisation (the input is prepared), no dropout */
        NnConv2dDims d1 = {k, 1, S, S, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
        conv2d_maxpool_forward(b->p1, b->a1, m->c1, b->x, hw_p(m, T_CONV1_W), hw_p(m, T_CONV1_B),
                               m->conv_scratch, &d1);
        NnConv2dDims d2 = {k, HW_SLENET_C1, m->P1, m->P1, HW_SLENET_C2, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
        conv2d_maxpool_forward(m->p2, b->a2, m->c2, b->p1, hw_p(m, T_CONV2_W), hw_p(m, T_CONV2_B),
                               m->conv_scratch, &d2);
        linear_forward(b->h1, m->p2, hw_p(m, T_FC1_W), hw_p(m, T_FC1_B), k, m->F, HW_SLENET_H1);
        gelu_forward(b->g1, b->h1, K * HW_SLENET_H1);
        linear_forward(b->h2, b->g1, hw_p(m, T_FC2_W), hw_p(m, T_FC2_B), k, HW_SLENET_H1, HW_SLENET_D);
        gelu_forward(b->emb, b->h2, K * HW_SLENET_D);
        for (int i = 0; i < k; i++) {
            const float *e = b->emb + (size_t)i * HW_SLENET_D;
            const int r = role ? role[i0 + i] : 0;
            const float *o = r & HW_IG_BASELINE ? e : other + (size_t)(i0 + i) * HW_SLENET_D;
            float *g = m->demb + (size_t)i * HW_SLENET_D;
            dist[i0 + i] = (float)(r & HW_IG_SECOND ? hw_ig_distance(o, e, HW_SLENET_D, measure, 1, g)
                                                    : hw_ig_distance(e, o, HW_SLENET_D, measure, 0, g));
        }
        /* backward to the input; linear weights get no gradient (NULL) */
        memset(m->dh2, 0, K * HW_SLENET_D * sizeof(float));
        gelu_backward(m->dh2, m->demb, b->h2, K * HW_SLENET_D);
        memset(m->dg1, 0, K * HW_SLENET_H1 * sizeof(float));
        linear_backward(m->dg1, NULL, NULL, m->dh2, b->g1, hw_p(m, T_FC2_W), k, HW_SLENET_H1, HW_SLENET_D);
        memset(m->dh1, 0, K * HW_SLENET_H1 * sizeof(float));
        gelu_backward(m->dh1, m->dg1, b->h1, K * HW_SLENET_H1);
        float *dp2 = b->drop; /* unused in evaluation mode: [k, F] of room */
        memset(dp2, 0, K * F * sizeof(float));
        linear_backward(dp2, NULL, NULL, m->dh1, m->p2, hw_p(m, T_FC1_W), k, m->F, HW_SLENET_H1);
        memset(m->dp1, 0, K * HW_SLENET_C1 * m->P1 * m->P1 * sizeof(float));
        conv2d_maxpool_backward(m->dp1, NULL, NULL, m->c2, dp2, b->a2, b->p1,
                                hw_p(m, T_CONV2_W), m->conv_scratch, &d2);
        conv2d_maxpool_backward(dx + (size_t)i0 * S2, NULL, NULL, m->c1,
                                m->dp1, b->a1, b->x, hw_p(m, T_CONV1_W), m->conv_scratch, &d1);
    }
    return 0;
}
