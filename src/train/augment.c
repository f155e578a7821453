/* Augmentations (include/hitwin/train_augment.h, reference.md 5.3). */
#include <math.h>
#include <string.h>

#include "hitwin/train_augment.h"

static uint64_t mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t hw_aug_seed(uint64_t seed, int64_t epoch, int64_t item, int copy, int view) {
    uint64_t h = mix64(seed ^ 0x6175676d656e7421ULL); /* "augment!" */
    h = mix64(h ^ (uint64_t)epoch);
    h = mix64(h ^ (uint64_t)item);
    h = mix64(h ^ (uint64_t)copy);
    return mix64(h ^ (uint64_t)view);
}

double hw_rng_double(NnRng *rng) {
    uint32_t a = nn_rng_u32(rng) >> 5, b = nn_rng_u32(rng) >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

/* Knuth's multiplication method for small lambda, given L = exp(-lambda): the number of
 * uniforms multiplied before the product drops to L or below. */
static int64_t poisson_product(NnRng *rng, double L) {
    double p = 1.0;
    int64_t k = 0;
    for (;;) {
        p *= hw_rng_double(rng);
        if (p <= L) return k;
        k++;
    }
}

int64_t hw_rng_poisson(NnRng *rng, double lam) {
    if (!(lam > 0) || !isfinite(lam)) return 0;
    if (lam < 10) return poisson_product(rng, exp(-lam));
    /* PTRS, W. Hormann, "The transformed rejection method for generating Poisson
     * random variables" (1993); the same constants as numpy's random_poisson_ptrs. */
    double slam = sqrt(lam), loglam = log(lam);
    double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double U = hw_rng_double(rng) - 0.5, V = hw_rng_double(rng);
        double us = 0.5 - fabs(U);
        int64_t k = (int64_t)floor((2 * a / us + b) * U + lam + 0.43);
        if (us >= 0.07 && V <= vr) return k;
        if (k < 0 || (us < 0.013 && V > us)) continue;
        if (log(V) + log(invalpha) - log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1.0))
            return k;
    }
}

void hw_aug_poisson(float *out, const float *in, int T, NnRng *rng) {
    double orig = 0;
    for (int i = 0; i < T * T; i++) orig += in[i];
    /* Each lower entry is read once, before anything is written to it or its mirror
     * (upper entries are never read), so out == in works. */
    double sum = 0;
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= i; j++) {
            float v = (float)hw_rng_poisson(rng, in[(size_t)i * T + j]);
            out[(size_t)i * T + j] = v;
            out[(size_t)j * T + i] = v;
            sum += i == j ? v : 2.0 * v;
        }
    if (sum > 0) {
        float scale = (float)(orig / sum);
        for (int i = 0; i < T * T; i++) out[i] *= scale;
    }
}

int64_t hw_aug_dropout(float *out, const float *in, int T, NnRng *rng, int32_t *idx) {
    size_t N = (size_t)T * T;
    if (out != in) memcpy(out, in, N * sizeof *out);
    double f = 0.025 + 0.05 * hw_rng_double(rng);
    int64_t nnz = 0;
    for (size_t i = 0; i < N; i++)
        if (out[i] != 0) idx[nnz++] = (int32_t)i;
    int64_t n = (int64_t)floor(f * (double)nnz);
    /* partial Fisher-Yates: the first n of a uniform permutation of the non-zeros */
    for (int64_t i = 0; i < n; i++) {
        uint64_t range = (uint64_t)(nnz - i);
        int64_t j = i + (int64_t)(((uint64_t)nn_rng_u32(rng) * range) >> 32);
        int32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        out[idx[i]] = 0;
    }
    return n;
}

hw_aug_kind hw_augment(float *out, const float *in, int T, int force, NnRng *rng, int32_t *scratch) {
    uint64_t u = nn_rng_u32(rng);
    hw_aug_kind k = force ? (hw_aug_kind)(1 + ((u * 2) >> 32)) : (hw_aug_kind)((u * 3) >> 32);
    if (k == HW_AUG_POISSON) hw_aug_poisson(out, in, T, rng);
    else if (k == HW_AUG_DROPOUT) hw_aug_dropout(out, in, T, rng, scratch);
    else if (out != in) memcpy(out, in, (size_t)T * T * sizeof *out);
    return k;
}

void hw_aug_flip(float *t, int T) {
    /* (i, j) -> (T-1-i, T-1-j) is the reversal of the flat index k -> T*T-1-k */
    size_t TT = (size_t)T * T;
    for (size_t k = 0; k < TT / 2; k++) {
        float v = t[k];
        t[k] = t[TT - 1 - k];
        t[TT - 1 - k] = v;
    }
}

double hw_aug_thin(float *out, const float *in, int T, double p_min, NnRng *rng) {
    double p = p_min + (1.0 - p_min) * hw_rng_double(rng);
    /* Most pixels of a count tile are small integers x, whose Poisson(p x) draws take
     * hw_rng_poisson's multiplication branch; its exp(-p x) comes from a table made once
     * per tile (the same double, so the same draws as calling hw_rng_poisson). */
    enum { SMALL = 32 };
    double e[SMALL];
    for (int x = 0; x < SMALL; x++) e[x] = exp(-(p * (double)x));
    /* lower triangle read before its mirror is written, as hw_aug_poisson: out == in works */
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= i; j++) {
            float x = in[(size_t)i * T + j];
            double lam = p * x;
            int xi = isfinite(x) && x < SMALL ? (int)x : -1;
            float v;
            if (!isfinite(x)) {
                v = x; /* kept, so the trainer's non-finite loss check still sees a bad tile */
            } else if (x > 0.0f && (float)xi == x && xi < SMALL && lam < 10) {
                v = (float)poisson_product(rng, e[xi]);
            } else {
                v = (float)hw_rng_poisson(rng, lam);
            }
            out[(size_t)i * T + j] = v;
            out[(size_t)j * T + i] = v;
        }
    return p;
}
