/* Structural edits and technical signatures for the `pairs: edits` recipe
 * (include/hitwin/train_edits.h). */
#include <math.h>
#include <stdlib.h>

#include "hitwin/nn.h"
#include "hitwin/train_edits.h"
#include "hitwin/xalloc.h"

static double uniform(NnRng *r, double lo, double hi) {
    return lo + (hi - lo) * (double)nn_rng_uniform(r);
}

static int uniform_int(NnRng *r, int lo, int hi) { /* [lo, hi] */
    if (hi <= lo) return lo;
    return lo + (int)(((uint64_t)nn_rng_u32(r) * (uint64_t)(hi - lo + 1)) >> 32);
}

/* Soft indicator of the bin run [lo, hi): logistic edges of width 1.5 bins, so an edit has no
 * sharp pixel-level edge that a network could learn to spot instead of the structure. */
static double soft_in(int i, int lo, int hi) {
    const double tau = 1.5;
    double x = (double)i + 0.5;
    return 1.0 / (1.0 + exp(-(x - lo) / tau)) / (1.0 + exp((x - hi) / tau));
}

/* t[i, j] and t[j, i] *= exp(logf * w(i, j)) for a symmetric weight given by its lower half. */
static void scale_field(float *t, int T, double logf, const double *u, const double *v) {
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= i; j++) {
            double w = v ? u[j] * v[i] + u[i] * v[j] : u[i] * u[j];
            if (w < 1e-6) continue;
            float f = (float)exp(logf * w);
            t[(size_t)i * T + j] *= f;
            if (j != i) t[(size_t)j * T + i] *= f;
        }
}

double hw_edit_scale(double g, uint64_t seed) {
    if (g <= 0.0) return 1.0;
    NnRng r;
    nn_rng_init(&r, seed);
    if (uniform(&r, 0.0, 1.0) >= g) return 1.0;
    return uniform(&r, 0.1, 1.0);
}

int hw_edit_count(int K, uint64_t seed) {
    if (K <= 1) return 1;
    NnRng r;
    nn_rng_init(&r, seed);
    return uniform_int(&r, 1, K);
}

hw_edit_info hw_aug_edit(float *t, int T, double scale, uint64_t seed) {
    NnRng r;
    nn_rng_init(&r, seed);
    hw_edit_info e = {0};
    e.kind = (hw_edit_kind)(((uint64_t)nn_rng_u32(&r) * 3) >> 32);
    double m = scale * uniform(&r, 0.35, 1.0);
    double sign = (nn_rng_u32(&r) >> 31) ? 1.0 : -1.0;
    double *u = xmalloc((size_t)T * 2 * sizeof *u), *v = u + T;
    if (e.kind == HW_EDIT_BLOCK) {
        int len = uniform_int(&r, 12, T / 2 < 64 ? T / 2 : 64);
        e.lo = uniform_int(&r, 0, T - len);
        e.hi = e.lo + len;
        for (int i = 0; i < T; i++) u[i] = soft_in(i, e.lo, e.hi);
        e.factor = exp(sign * m);
        scale_field(t, T, sign * m, u, NULL);
    } else if (e.kind == HW_EDIT_INSULATION) {
        int reach = uniform_int(&r, 8, T / 3 < 48 ? T / 3 : 48);
        e.p = uniform_int(&r, reach / 2, T - reach / 2);
        e.lo = e.p - reach < 0 ? 0 : e.p - reach;
        e.hi = e.p + reach > T ? T : e.p + reach;
        for (int i = 0; i < T; i++) {
            u[i] = soft_in(i, e.lo, e.p);
            v[i] = soft_in(i, e.p, e.hi);
        }
        e.factor = exp(sign * m);
        scale_field(t, T, sign * m, u, v);
    } else {
        int dmax = T - 2 < 100 ? T - 2 : 100;
        int d = uniform_int(&r, 6, dmax);
        e.lo = uniform_int(&r, 0, T - 1 - d);
        e.hi = e.lo + d;
        double sigma = uniform(&r, 0.8, 2.0);
        double g = exp(scale * uniform(&r, 0.7, 1.6)) - 1.0;
        e.factor = sign > 0 ? 1.0 + g : 1.0 / (1.0 + g);
        int reach = (int)ceil(4 * sigma);
        for (int i = e.hi - reach; i <= e.hi + reach; i++)
            for (int j = e.lo - reach; j <= e.lo + reach; j++) {
                if (i < 0 || i >= T || j < 0 || j >= T || j >= i) continue;
                double r2 = (double)(i - e.hi) * (i - e.hi) + (double)(j - e.lo) * (j - e.lo);
                double f = 1.0 + g * exp(-r2 / (2 * sigma * sigma));
                float s = (float)(sign > 0 ? f : 1.0 / f);
                t[(size_t)i * T + j] *= s;
                t[(size_t)j * T + i] *= s;
            }
    }
    free(u);
    return e;
}

void hw_aug_technical(float *t, int T, double scale, uint64_t seed) {
    NnRng r;
    nn_rng_init(&r, seed);
    double bias_sd = scale * uniform(&r, 0.0, 0.3);
    double delta = scale * uniform(&r, -0.12, 0.12);
    double pixel_sd = scale * uniform(&r, 0.0, 0.15);
    double *b = xmalloc((size_t)T * 2 * sizeof *b), *s = b + T;
    for (int i = 0; i < T; i++) b[i] = exp(bias_sd * (double)nn_rng_normal(&r));
    for (int d = 0; d < T; d++) s[d] = pow((d + 1.0) / (T / 4.0), -delta);
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= i; j++) {
            double g = pixel_sd > 0 ? exp(pixel_sd * (double)nn_rng_normal(&r)) : 1.0;
            float f = (float)(b[i] * b[j] * s[i - j] * g);
            t[(size_t)i * T + j] *= f;
            if (j != i) t[(size_t)j * T + i] *= f;
        }
    free(b);
}
