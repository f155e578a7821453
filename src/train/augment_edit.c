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

int hw_edit_is_contrast(double p, uint64_t seed) {
    if (p <= 0.0) return 0;
    NnRng r;
    nn_rng_init(&r, seed);
    return uniform(&r, 0.0, 1.0) < p;
}

/* E[d] = the mean of diagonal d of the T x T tile over its finite pixels (0 where none): the
 * tile's expected, for the contrast and loop edits. */
static void diagonal_means(const float *t, int T, double *E) {
    for (int d = 0; d < T; d++) {
        double s = 0;
        int n = 0;
        for (int i = d; i < T; i++)
            if (isfinite(t[(size_t)i * T + i - d])) s += t[(size_t)i * T + i - d], n++;
        E[d] = n ? s / n : 0.0;
    }
}

/* The loop of hw_aug_loop (train_edits.h): box sums of the O/E and of its finite count by
 * integral images, so the search is O(T^2). Returns rho, 0 when there is no candidate. */
static double strongest_loop(const float *t, int T, int dmax, int *bi, int *bj) {
    size_t W = (size_t)T + 1;
    double *S = xcalloc(W * W * 2, sizeof *S), *N = S + W * W, *E = xmalloc((size_t)T * sizeof *E);
    diagonal_means(t, T, E);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            double v = t[(size_t)i * T + j], e = E[i > j ? i - j : j - i];
            int ok = isfinite(v) && e > 0;
            S[(i + 1) * W + j + 1] = (ok ? v / e : 0) + S[i * W + j + 1] + S[(i + 1) * W + j] - S[i * W + j];
            N[(i + 1) * W + j + 1] = ok + N[i * W + j + 1] + N[(i + 1) * W + j] - N[i * W + j];
        }
#define BOX(A, i0, j0, i1, j1) (A[(size_t)(i1) * W + (j1)] - A[(size_t)(i0) * W + (j1)] - A[(size_t)(i1) * W + (j0)] + A[(size_t)(i0) * W + (j0)])
    double best = 0;
    for (int i = 6; i < T; i++)
        for (int j = i - dmax < 0 ? 0 : i - dmax; j <= i - 6; j++) {
            int a0 = i - 6 < 0 ? 0 : i - 6, a1 = i + 7 > T ? T : i + 7, b0 = j - 6 < 0 ? 0 : j - 6,
                b1 = j + 7 > T ? T : j + 7;
            int c0 = i - 3 < 0 ? 0 : i - 3, c1 = i + 4 > T ? T : i + 4, e0 = j - 3 < 0 ? 0 : j - 3,
                e1 = j + 4 > T ? T : j + 4;
            int p0 = i - 1, p1 = i + 2 > T ? T : i + 2, q0 = j - 1 < 0 ? 0 : j - 1, q1 = j + 2;
            double np = BOX(N, p0, q0, p1, q1), nin = BOX(N, c0, e0, c1, e1), nall = BOX(N, a0, b0, a1, b1);
            if (np < 5 || nall - nin < 40) continue;
            double P = BOX(S, p0, q0, p1, q1) / np;
            double B = (BOX(S, a0, b0, a1, b1) - BOX(S, c0, e0, c1, e1)) / (nall - nin);
            if (B > 0 && P / B > best) best = P / B, *bi = i, *bj = j;
        }
#undef BOX
    free(S);
    free(E);
    return best;
}

hw_edit_info hw_aug_loop(float *t, int T, double scale, uint64_t seed) {
    NnRng r;
    nn_rng_init(&r, seed ^ 0x6c6f6f70ULL); /* its own draws; the fallback keeps seed's */
    int loss = (int)(nn_rng_u32(&r) >> 31);
    double sigma = uniform(&r, 1.0, 1.5);
    double a = scale * uniform(&r, 0.6, 1.0), g = exp(scale * uniform(&r, 0.7, 1.6)) - 1.0;
    int li = 0, lj = 0, dmax = T - 2 < 100 ? T - 2 : 100;
    double rho = T >= 32 ? strongest_loop(t, T, dmax, &li, &lj) : 0.0;
    if (rho < 1.25) return hw_aug_edit(t, T, scale, seed);
    hw_edit_info e = {0};
    e.kind = HW_EDIT_LOOP;
    e.lo = lj;
    e.hi = li;
    double amp = loss ? (rho - 1.0) * a : g;
    e.factor = loss ? 1.0 / (1.0 + amp) : 1.0 + amp;
    int reach = (int)ceil(4 * sigma);
    for (int i = li - reach; i <= li + reach; i++)
        for (int j = lj - reach; j <= lj + reach; j++) {
            if (i < 0 || i >= T || j < 0 || j >= T || j >= i) continue;
            double r2 = (double)(i - li) * (i - li) + (double)(j - lj) * (j - lj);
            double f = 1.0 + amp * exp(-r2 / (2 * sigma * sigma));
            float s = (float)(loss ? 1.0 / f : f);
            t[(size_t)i * T + j] *= s;
            t[(size_t)j * T + i] *= s;
        }
    return e;
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

/* Normalised Gaussian blur (sigma in bins, reach 3 sigma) of the T x T field x, in place;
 * non-finite pixels carry no weight and come out as the blur of their neighbours. tmp holds
 * 2 T^2 doubles. */
static void blur(double *x, int T, double sigma, double *tmp) {
    int R = (int)ceil(3 * sigma);
    double k[64];
    if (R > 31) R = 31;
    for (int d = -R; d <= R; d++) k[d + R] = exp(-(double)d * d / (2 * sigma * sigma));
    double *v = tmp, *w = tmp + (size_t)T * T;
    for (int pass = 0; pass < 2; pass++) { /* rows, then columns */
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++) {
                double s = 0, sw = 0;
                for (int d = -R; d <= R; d++) {
                    int a = pass ? i + d : i, b = pass ? j : j + d;
                    if (a < 0 || a >= T || b < 0 || b >= T) continue;
                    double y = x[(size_t)a * T + b];
                    if (!isfinite(y)) continue;
                    s += k[d + R] * y;
                    sw += k[d + R];
                }
                v[(size_t)i * T + j] = s;
                w[(size_t)i * T + j] = sw;
            }
        for (size_t q = 0; q < (size_t)T * T; q++) x[q] = w[q] > 0 ? v[q] / w[q] : NAN;
    }
}

hw_edit_info hw_aug_contrast(float *t, int T, double scale, double strength, uint64_t seed) {
    NnRng r;
    nn_rng_init(&r, seed);
    hw_edit_info e = {0};
    e.kind = HW_EDIT_CONTRAST;
    double a = scale * uniform(&r, 0.25, strength);
    if (nn_rng_u32(&r) >> 31) a = -a; /* sharpened: every feature stronger */
    int len = uniform_int(&r, T / 4, T);
    e.lo = uniform_int(&r, 0, T - len);
    e.hi = e.lo + len;
    e.factor = exp(-a);
    size_t TT = (size_t)T * T;
    double *obs = xmalloc(TT * 4 * sizeof *obs), *expd = obs + TT, *tmp = obs + 2 * TT;
    double *u = xmalloc((size_t)T * sizeof *u);
    /* the expected: each diagonal's mean over its finite pixels */
    double *dm = xmalloc((size_t)T * sizeof *dm);
    diagonal_means(t, T, dm);
    for (int d = 0; d < T; d++)
        for (int i = d; i < T; i++) expd[(size_t)i * T + i - d] = expd[(size_t)(i - d) * T + i] = dm[d];
    free(dm);
    for (size_t q = 0; q < TT; q++) obs[q] = isfinite(t[q]) ? (double)t[q] : NAN;
    blur(obs, T, 3.0, tmp);
    blur(expd, T, 3.0, tmp);
    for (int i = 0; i < T; i++) u[i] = soft_in(i, e.lo, e.hi);
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= i; j++) {
            size_t q = (size_t)i * T + j;
            double w = u[i] * u[j];
            if (w < 1e-6 || !(obs[q] > 0) || !(expd[q] > 0)) continue;
            double l = log(obs[q] / expd[q]);
            l = l > 2.0 ? 2.0 : l < -2.0 ? -2.0 : l;
            float f = (float)exp(-a * w * l);
            t[q] *= f;
            if (j != i) t[(size_t)j * T + i] *= f;
        }
    free(u);
    free(obs);
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
