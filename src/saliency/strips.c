/* Feature-map registration and per-chromosome strips (saliency.h; reference.md 7.4 with
 * bugs 30 and 32 fixed). The reference rotates each map with a cubic spline, resizes the
 * rotated square to 224 x 224 and adds it into 224 columns with a count of one over the whole
 * block, so the empty corners of every diamond count as zeros. Here each strip pixel reads
 * the tile pixels that lie exactly on it (or the two that straddle it, for odd separations),
 * and counts only the windows whose pixels exist there. */
#include "hitwin/saliency.h"

#include "hitwin/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* conv2 pixel r is centred on input bin 2 r + REG_OFFSET (saliency.h) */
#define REG_OFFSET 6.5

void hw_register_feature_map(const float *fmap, int G, int S, float *out, uint8_t *cover) {
    hw_register_feature_map_at(fmap, G, S, 2.0, REG_OFFSET, out, cover);
}

void hw_register_feature_map_at(const float *fmap, int G, int S, double stride, double offset, float *out,
                                uint8_t *cover) {
    int *r0 = xmalloc((size_t)S * sizeof(int));
    double *t = xmalloc((size_t)S * sizeof(double));
    for (int b = 0; b < S; b++) {
        const double r = (b - offset) / stride;
        cover[b] = r >= 0.0 && r <= G - 1;
        r0[b] = cover[b] ? (int)floor(r) : 0;
        if (r0[b] >= G - 1) r0[b] = G - 2;
        t[b] = cover[b] ? r - r0[b] : 0.0;
    }
    for (int a = 0; a < S; a++)
        for (int b = 0; b < S; b++) {
            if (!cover[a] || !cover[b]) {
                out[(size_t)a * S + b] = 0.0f;
                continue;
            }
            const int i = r0[a], j = r0[b];
            const double u = t[a], v = t[b];
            const float *f = fmap + (size_t)i * G + j;
            out[(size_t)a * S + b] = (float)((1 - u) * ((1 - v) * f[0] + v * f[1]) +
                                             u * ((1 - v) * f[G] + v * f[G + 1]));
        }
    free(r0);
    free(t);
}

void hw_strip_init(hw_strip *s, int S, int64_t n_bins) {
    s->S = S;
    s->n_bins = n_bins;
    s->sum = xcalloc((size_t)S * (size_t)n_bins + 1, sizeof(double));
    s->count = xcalloc((size_t)S * (size_t)n_bins + 1, sizeof(int32_t));
}

void hw_strip_free(hw_strip *s) {
    free(s->sum);
    free(s->count);
    memset(s, 0, sizeof *s);
}

/* The symmetrised map at (i, j), or NAN when the pixel does not exist. */
static inline double sym_at(const float *map, const uint8_t *cover, int S, int i, int j) {
    if (i < 0 || j < 0 || i >= S || j >= S) return NAN;
    if (cover && (!cover[i] || !cover[j])) return NAN;
    return 0.5 * ((double)map[(size_t)i * S + j] + map[(size_t)j * S + i]);
}

void hw_strip_add(hw_strip *s, const float *map, const uint8_t *cover, int64_t start, int diag_skip) {
    const int S = s->S;
    for (int k = diag_skip > 0 ? diag_skip : 0; k < S; k++) {
        double *srow = s->sum + (size_t)k * s->n_bins;
        int32_t *crow = s->count + (size_t)k * s->n_bins;
        for (int cc = 0; cc < S; cc++) { /* cc: the midpoint, as a bin of the tile */
            const int64_t col = start + cc;
            if (col < 0 || col >= s->n_bins) continue;
            double v;
            if (k % 2 == 0) {
                v = sym_at(map, cover, S, cc - k / 2, cc + k / 2);
            } else { /* midpoints cc - 1/2 and cc + 1/2 */
                double a = sym_at(map, cover, S, cc - (k + 1) / 2, cc + (k - 1) / 2);
                double b = sym_at(map, cover, S, cc - (k - 1) / 2, cc + (k + 1) / 2);
                v = 0.5 * (a + b);
            }
            if (isnan(v)) continue;
            srow[col] += v;
            crow[col] += 1;
        }
    }
}

void hw_strip_mean(const hw_strip *s, float *out) {
    const size_t n = (size_t)s->S * (size_t)s->n_bins;
    for (size_t p = 0; p < n; p++) out[p] = s->count[p] > 0 ? (float)(s->sum[p] / s->count[p]) : 0.0f;
}
