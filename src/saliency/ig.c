/* Integrated gradients of the embedding distance between two tiles (reference.md 7.3),
 * batched over the alpha steps (bug 29): the reference runs, per alpha and batch of one,
 * four forwards (two of them the constant endpoints) and two backwards; here the endpoints'
 * embeddings come in once, and the 2 x steps interpolants of both directions go through the
 * backbone `chunk` at a time in one forward and one backward each. The result is the same
 * formula; only the BLAS's blocking (which depends on the batch size) moves the float
 * rounding. Gradients are enabled, of course (bug 28: the reference's HEAD computes this
 * under no_grad and raises). */
#include "hitwin/saliency.h"

#include "hitwin/error.h"
#include "hitwin/xalloc.h"

#include <stdlib.h>
#include <string.h>

int hw_ig_map(hw_model *m, const float *x1, const float *x2, const float *e1, const float *e2,
              int steps, int chunk, hw_ig_measure measure, float *map) {
    if (steps < 1) return hw_fail("saliency: --steps must be at least 1");
    if (chunk < 1) chunk = 1;
    const int S = hw_model_cfg(m)->image_size, D = hw_model_embed_dim(m);
    const size_t S2 = (size_t)S * S;
    const int total = 2 * steps; /* interpolant q < steps: direction 1, alpha q; else direction 2 */
    const int B = chunk < total ? chunk : total;
    float *xs = xmalloc((size_t)B * S2 * sizeof(float));
    float *dx = xmalloc((size_t)B * S2 * sizeof(float));
    float *other = xmalloc((size_t)B * D * sizeof(float));
    float *dist = xmalloc((size_t)B * sizeof(float));
    uint8_t *role = xmalloc((size_t)B);
    double *g1 = xcalloc(S2, sizeof(double)), *g2 = xcalloc(S2, sizeof(double));
    for (int q0 = 0; q0 < total; q0 += B) {
        const int n = total - q0 < B ? total - q0 : B;
        for (int i = 0; i < n; i++) {
            const int q = q0 + i, dir2 = q >= steps, k = dir2 ? q - steps : q;
            const float alpha = steps > 1 ? (float)k / (float)(steps - 1) : 1.0f;
            /* direction 1 walks from x2 to x1 against e2; direction 2 from x1 to x2 against e1 */
            const float *to = dir2 ? x2 : x1, *from = dir2 ? x1 : x2;
            float *xi = xs + (size_t)i * S2;
            for (size_t p = 0; p < S2; p++) xi[p] = from[p] + alpha * (to[p] - from[p]);
            memcpy(other + (size_t)i * D, dir2 ? e1 : e2, (size_t)D * sizeof(float));
            /* direction 1 is D(f(x~1), f(x2)), direction 2 D(f(x1), f(x~2)) */
            role[i] = (uint8_t)((dir2 ? HW_IG_SECOND : 0) | (alpha == 0.0f ? HW_IG_BASELINE : 0));
        }
        hw_model_distance_grad(m, xs, n, other, role, measure, dist, dx);
        for (int i = 0; i < n; i++) { /* summed in alpha order whatever the chunk */
            double *g = q0 + i >= steps ? g2 : g1;
            const float *d = dx + (size_t)i * S2;
            for (size_t p = 0; p < S2; p++) g[p] += d[p];
        }
    }
    for (size_t p = 0; p < S2; p++) {
        const double diff = (double)x1[p] - x2[p];
        const double ig1 = diff * (g1[p] / steps), ig2 = -diff * (g2[p] / steps);
        map[p] = (float)(0.5 * (ig1 + ig2));
    }
    free(xs);
    free(dx);
    free(other);
    free(dist);
    free(role);
    free(g1);
    free(g2);
    return 0;
}
