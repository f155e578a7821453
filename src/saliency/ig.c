/* Integrated gradients of the embedding distance between two tiles (reference.md 7.3),
 * batched over the alpha steps (bug 29): the reference runs, per alpha and batch of one,
 * four forwards (two of them the constant endpoints) and two backwards; here the endpoints'
 * embeddings come in once, and the interpolants, which the two directions share, go through
 * the backbone `chunk` at a time in one forward and one backward for both (HW_IG_BOTH; on the
 * SLeNet, conv1 of a straight path and the sum of its input gradients cost two and one
 * convolutions per pass). The result is the same formula; the batch size and the shared path
 * move only the float rounding. Gradients are enabled, of course (bug 28: the reference's HEAD computes this
 * under no_grad and raises). The path gradients come through a function pointer
 * (hw_ig_map_path), so the GPU model's (`--device cuda`) use this very formula. */
#include "hitwin/saliency.h"

#include "hitwin/error.h"
#include "hitwin/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* hw_model_path_grad as an hw_ig_path_fn */
static int model_path(void *ctx, const float *from, const float *to, const float *alpha, int n,
                      const float *other, int second, hw_ig_measure measure, double *gsum) {
    return hw_model_path_grad((hw_model *)ctx, from, to, alpha, n, other, second, measure, gsum);
}

/* The formula with each direction on its own path (two_paths) or both on one (HW_IG_BOTH:
 * saliency.h, hw_ig_map). One path needs symmetric alphas, which the reference's rule at
 * steps == 1 (alpha 1 only) does not have: it takes two. */
static int ig_map(hw_ig_path_fn path, void *ctx, int S, int D, const float *x1, const float *x2, const float *e1,
                  const float *e2, int steps, int chunk, hw_ig_measure measure, hw_ig_rule rule, float *map,
                  int two_paths) {
    if (steps < 1) return hw_fail("saliency: --steps must be at least 1");
    if (chunk < 1) chunk = 1;
    if (steps == 1 && rule == HW_IG_RULE_REFERENCE) two_paths = 1;
    const size_t S2 = (size_t)S * S;
    float *alpha = xmalloc((size_t)steps * sizeof(float));
    for (int k = 0; k < steps; k++)
        alpha[k] = rule == HW_IG_RULE_MIDPOINT ? (float)((k + 0.5) / steps)
                   : steps > 1                 ? (float)k / (float)(steps - 1)
                                               : 1.0f;
    double *g1 = xcalloc(S2, sizeof(double)), *g2 = two_paths ? xcalloc(S2, sizeof(double)) : NULL;
    float *ends = xmalloc(2 * (size_t)D * sizeof(float));
    memcpy(ends, e2, (size_t)D * sizeof(float)); /* from x2 ... */
    memcpy(ends + D, e1, (size_t)D * sizeof(float)); /* ... to x1 */
    int rc = 0;
    /* direction 1 walks from x2 to x1 and measures D(f(x~1), e2); direction 2 from x1 to x2,
     * D(e1, f(x~2)); on one path, g1 sums the gradients of their difference. Passes of
     * `chunk` alphas, summed in alpha order. */
    for (int k0 = 0; k0 < steps && !rc; k0 += chunk) {
        const int n = steps - k0 < chunk ? steps - k0 : chunk;
        rc = two_paths ? path(ctx, x2, x1, alpha + k0, n, e2, 0, measure, g1)
                       : path(ctx, x2, x1, alpha + k0, n, ends, HW_IG_BOTH, measure, g1);
    }
    for (int k0 = 0; two_paths && k0 < steps && !rc; k0 += chunk) {
        const int n = steps - k0 < chunk ? steps - k0 : chunk;
        rc = path(ctx, x1, x2, alpha + k0, n, e1, HW_IG_SECOND, measure, g2);
    }
    for (size_t p = 0; p < S2 && !rc; p++) {
        const double diff = (double)x1[p] - x2[p];
        map[p] = two_paths ? (float)(0.5 * (diff * (g1[p] / steps) - diff * (g2[p] / steps)))
                           : (float)(0.5 * diff * (g1[p] / steps));
    }
    free(alpha);
    free(g1);
    free(g2);
    free(ends);
    return rc ? -1 : 0;
}

int hw_ig_map(hw_model *m, const float *x1, const float *x2, const float *e1, const float *e2,
              int steps, int chunk, hw_ig_measure measure, float *map) {
    return hw_ig_map_rule(m, x1, x2, e1, e2, steps, chunk, measure, HW_IG_RULE_REFERENCE, map);
}

int hw_ig_map_rule(hw_model *m, const float *x1, const float *x2, const float *e1, const float *e2, int steps,
                   int chunk, hw_ig_measure measure, hw_ig_rule rule, float *map) {
    return ig_map(model_path, m, hw_model_cfg(m)->image_size, hw_model_embed_dim(m), x1, x2, e1, e2, steps, chunk,
                  measure, rule, map, 0);
}

int hw_ig_map_two_paths(hw_model *m, const float *x1, const float *x2, const float *e1, const float *e2,
                        int steps, int chunk, hw_ig_measure measure, float *map) {
    return ig_map(model_path, m, hw_model_cfg(m)->image_size, hw_model_embed_dim(m), x1, x2, e1, e2, steps, chunk,
                  measure, HW_IG_RULE_REFERENCE, map, 1);
}

int hw_ig_map_path(hw_ig_path_fn path, void *ctx, int S, int D, const float *x1, const float *x2,
                   const float *e1, const float *e2, int steps, int chunk, hw_ig_measure measure,
                   hw_ig_rule rule, float *map) {
    return ig_map(path, ctx, S, D, x1, x2, e1, e2, steps, chunk, measure, rule, map, 0);
}
