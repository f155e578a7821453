/* Augmentations (include/hitwin/train_augment.h, reference.md 5.3). */
#include <math.h>
#include <string.h>

#include "hitwin/train_augment.h"
#include "hitwin/train_thin.h"

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

/* Both on the streams' portable arithmetic (train_thin.h): the same bits as the device's. */
double hw_rng_double(NnRng *rng) { return hw_pois_double(hw_pois_key(rng->seed), &rng->counter); }

int64_t hw_rng_poisson(NnRng *rng, double lam) {
    return hw_pois_poisson(hw_pois_key(rng->seed), &rng->counter, lam);
}

/* The lower triangle (incl. diagonal) of out drawn as Poisson(p * in) per pixel, each pixel
 * from its own counter range of the stream `key` (hw_thin_pixel), and mirrored. Most pixels
 * of a count tile are small integers x, whose draws take the multiplication branch; its
 * exp(-p x) comes from a table made once per tile with the same function on the same
 * argument, so the draws are hw_thin_pixel's. Each lower entry is read once, before anything
 * is written to it or its mirror (upper entries are never read), so out == in works.
 * Returns the sum of the drawn tile (mirror included; exact for counts below 2^53). */
static double draw_lower(float *out, const float *in, int T, double p, uint64_t key) {
    enum { SMALL = 32 };
    double e[SMALL];
    for (int x = 0; x < SMALL; x++) e[x] = hw_pois_exp(-(p * (double)x));
    double sum = 0;
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= i; j++) {
            uint32_t k = (uint32_t)i * (uint32_t)T + (uint32_t)j;
            float x = in[k];
            int xi = x > 0.0f && x < (float)SMALL ? (int)x : -1;
            float v;
            if (xi >= 0 && (float)xi == x && p * (double)x < 10) {
                uint64_t counter = (uint64_t)k << 32; /* the pixel's own range */
                v = (float)hw_pois_product(key, &counter, e[xi]);
            } else {
                v = hw_thin_pixel(key, k, p, x); /* NaN and inf kept */
            }
            out[k] = v;
            out[(size_t)j * T + i] = v;
            sum += i == j ? (double)v : 2.0 * (double)v;
        }
    return sum;
}

void hw_aug_poisson(float *out, const float *in, int T, NnRng *rng) {
    double orig = hw_aug_tile_sum(in, T);
    double sum = draw_lower(out, in, T, 1.0, hw_aug_poisson_key(rng->seed));
    float scale = 0;
    if (hw_aug_poisson_scale(orig, sum, &scale))
        for (size_t i = 0; i < (size_t)T * T; i++) out[i] *= scale;
}

double hw_aug_tile_sum(const float *t, int T) {
    double s = 0;
    for (size_t i = 0; i < (size_t)T * T; i++) s += t[i];
    return s;
}

double hw_aug_dropout_fraction(NnRng *rng) { return 0.025 + 0.05 * hw_rng_double(rng); }

int64_t hw_aug_dropout_apply(float *out, const float *in, int T, double f, NnRng *rng, int32_t *idx) {
    size_t N = (size_t)T * T;
    if (out != in) memcpy(out, in, N * sizeof *out);
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

int64_t hw_aug_dropout(float *out, const float *in, int T, NnRng *rng, int32_t *idx) {
    double f = hw_aug_dropout_fraction(rng);
    return hw_aug_dropout_apply(out, in, T, f, rng, idx);
}

hw_aug_kind hw_aug_choose(NnRng *rng, int force) {
    uint64_t u = nn_rng_u32(rng);
    return force ? (hw_aug_kind)(1 + ((u * 2) >> 32)) : (hw_aug_kind)((u * 3) >> 32);
}

hw_aug_kind hw_augment(float *out, const float *in, int T, int force, NnRng *rng, int32_t *scratch) {
    hw_aug_kind k = hw_aug_choose(rng, force);
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

double hw_aug_thin(float *out, const float *in, int T, double p_min, uint64_t seed) {
    double p = hw_thin_p(seed, p_min);
    draw_lower(out, in, T, p, hw_pois_key(seed));
    return p;
}
