/* The embedding distance of integrated gradients and its gradient, for one row of a pass
 * (saliency.h): the same for every backbone, so neither SLeNet's nor MaxViT's file. */
#include "hitwin/saliency.h"

#include <math.h>

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

double hw_ig_row_gradient(const float *emb, const float *other, int role, int dim, hw_ig_measure measure,
                          float *grad, float *tmp) {
    const float *o = role & HW_IG_BASELINE ? emb : other;
    if (role & HW_IG_BOTH) {
        /* D(emb, from) - D(to, emb): a backward is linear in the gradient it starts from, so
         * one backward of the difference is the two directions' backwards subtracted */
        const float *to = role & HW_IG_BASELINE_TO ? emb : other + dim;
        const double d = hw_ig_distance(emb, o, dim, measure, 0, grad);
        hw_ig_distance(to, emb, dim, measure, 1, tmp);
        for (int k = 0; k < dim; k++) grad[k] = grad[k] - tmp[k];
        return d;
    }
    return role & HW_IG_SECOND ? hw_ig_distance(o, emb, dim, measure, 1, grad)
                               : hw_ig_distance(emb, o, dim, measure, 0, grad);
}
