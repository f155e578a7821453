/* Integrated gradients of the embedding distance between two tiles (reference.md 7.3),
 * batched over the alpha steps (bug 29): the reference runs, per alpha and batch of one,
 * four forwards (two of them the constant endpoints) and two backwards; here the endpoints'
 * embeddings come in once, and the interpolants of each direction go through the backbone
 * `chunk` at a time in one forward and one backward (hw_model_path_grad: conv1 of a straight
 * path and the sum of its input gradients cost two and one convolutions per pass). The result
 * is the same formula; the batch size moves only the float rounding. Gradients are enabled, of course (bug 28: the reference's HEAD computes this
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

int hw_ig_map(hw_model *m, const float *x1, const float *x2, const float *e1, const float *e2,
              int steps, int chunk, hw_ig_measure measure, float *map) {
    return hw_ig_map_path(model_path, m, hw_model_cfg(m)->image_size, x1, x2, e1, e2, steps, chunk,
                          measure, map);
}

int hw_ig_map_path(hw_ig_path_fn path, void *ctx, int S, const float *x1, const float *x2,
                   const float *e1, const float *e2, int steps, int chunk, hw_ig_measure measure,
                   float *map) {
    if (steps < 1) return hw_fail("saliency: --steps must be at least 1");
    if (chunk < 1) chunk = 1;
    const size_t S2 = (size_t)S * S;
    float *alpha = xmalloc((size_t)steps * sizeof(float));
    for (int k = 0; k < steps; k++) alpha[k] = steps > 1 ? (float)k / (float)(steps - 1) : 1.0f;
    double *g1 = xcalloc(S2, sizeof(double)), *g2 = xcalloc(S2, sizeof(double));
    int rc = 0;
    /* direction 1 walks from x2 to x1 and measures D(f(x~1), e2); direction 2 from x1 to x2,
     * D(e1, f(x~2)). Each in passes of `chunk` alphas, summed in alpha order. */
    for (int k0 = 0; k0 < steps && !rc; k0 += chunk) {
        const int n = steps - k0 < chunk ? steps - k0 : chunk;
        rc = path(ctx, x2, x1, alpha + k0, n, e2, 0, measure, g1);
    }
    for (int k0 = 0; k0 < steps && !rc; k0 += chunk) {
        const int n = steps - k0 < chunk ? steps - k0 : chunk;
        rc = path(ctx, x1, x2, alpha + k0, n, e1, 1, measure, g2);
    }
    for (size_t p = 0; p < S2 && !rc; p++) {
        const double diff = (double)x1[p] - x2[p];
        const double ig1 = diff * (g1[p] / steps), ig2 = -diff * (g2[p] / steps);
        map[p] = (float)(0.5 * (ig1 + ig2));
    }
    free(alpha);
    free(g1);
    free(g2);
    return rc ? -1 : 0;
}
