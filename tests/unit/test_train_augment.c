/* Augmentations (reference.md 5.3) and the epoch shuffle: properties, and
 * determinism of the counter-based streams. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/train_augment.h"
#include "hitwin/train_batch.h"
#include "hitwin/train_thin.h"
#include "test_util.h"

#define T 48

static void make_tile(float *t, int zeros) {
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= i; j++) {
            float v = 500.0f / (1.0f + (float)(i - j)) + 0.37f * (float)((i * 7 + j * 3) % 5);
            if (zeros && (i + j) % 7 == 0) v = 0;
            t[i * T + j] = t[j * T + i] = v;
        }
}

static double sum(const float *t) {
    double s = 0;
    for (int i = 0; i < T * T; i++) s += t[i];
    return s;
}

static int nnz(const float *t) {
    int n = 0;
    for (int i = 0; i < T * T; i++) n += t[i] != 0;
    return n;
}

/* The recipe's augmentations: flip is the orientation reversal and its own inverse;
 * thinning gives symmetric integer counts whose expectation is p * value, p in
 * [p_min, 1], and the same tile for the same stream. */
static void test_recipe_augmentations(void) {
    float in[T * T], out[T * T], out2[T * T];
    make_tile(in, 1);
    memcpy(out, in, sizeof in);
    in[3 * T + 40] = 77.0f; /* one asymmetric entry, to see where it goes */
    memcpy(out, in, sizeof in);
    hw_aug_flip(out, T);
    int ok = 1;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) ok &= out[i * T + j] == in[(T - 1 - i) * T + (T - 1 - j)];
    CHECK(ok);
    CHECK_NEAR(out[(T - 4) * T + (T - 41)], 77.0f, 0, 0);
    hw_aug_flip(out, T);
    CHECK(memcmp(out, in, sizeof in) == 0);

    make_tile(in, 1);
    double ratio = 0;
    int reps = 200;
    for (int r = 0; r < reps; r++) {
        double p = hw_aug_thin(out, in, T, 0.5, hw_aug_seed(5, 1, r, 0, 0));
        CHECK(p >= 0.5 && p < 1.0);
        int sym = 1, integral = 1, zero_kept = 1;
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++) {
                sym &= out[i * T + j] == out[j * T + i];
                integral &= out[i * T + j] == floorf(out[i * T + j]) && out[i * T + j] >= 0;
                zero_kept &= in[i * T + j] != 0 || out[i * T + j] == 0;
            }
        CHECK(sym && integral && zero_kept);
        ratio += sum(out) / (p * sum(in));
    }
    /* sum(in) ~ 7e4: each tile's total is within ~1 % of p * sum(in) */
    CHECK_NEAR(ratio / reps, 1.0, 0.005, 0);
    hw_aug_thin(out, in, T, 0.3, hw_aug_seed(5, 2, 7, 0, 1));
    memcpy(out2, in, sizeof in);
    hw_aug_thin(out2, out2, T, 0.3, hw_aug_seed(5, 2, 7, 0, 1)); /* in place */
    CHECK(memcmp(out, out2, sizeof out) == 0);
    /* Exact: pixel k = i*T + j (j <= i) is hw_rng_poisson(p * value) on the tile's stream from
     * counter k << 32, and p comes from counter HW_THIN_P_COUNTER: each pixel can be drawn on
     * its own (a GPU thread), whatever the order. Non-integers, large counts (PTRS) and the
     * small-integer exp table all take part. */
    {
        float big[T * T];
        for (int k = 0; k < T * T; k++) big[k] = in[k] * (k % 3 == 0 ? 0.013f : k % 3 == 1 ? 1.0f : 40.0f);
        for (int i = 0; i < T; i++)
            for (int j = 0; j < i; j++) big[j * T + i] = big[i * T + j];
        uint64_t seed = hw_aug_seed(9, 4, 2, 0, 0);
        double p = hw_aug_thin(out, big, T, 0.4, seed);
        NnRng rp = {seed, HW_THIN_P_COUNTER};
        double pb = 0.4 + 0.6 * hw_rng_double(&rp);
        CHECK_NEAR(p, pb, 0, 0);
        int same = 1;
        for (int i = 0; i < T; i++)
            for (int j = 0; j <= i; j++) {
                NnRng rk = {seed, (uint64_t)(i * T + j) << 32};
                float want = (float)hw_rng_poisson(&rk, pb * big[i * T + j]);
                same &= out[i * T + j] == want && out[j * T + i] == want;
                same &= hw_thin_pixel(hw_pois_key(seed), (uint32_t)(i * T + j), p, big[i * T + j]) == want;
            }
        CHECK(same);
    }
    {   /* a NaN pixel stays NaN (and its mirror), so the trainer's check still fires; inf too */
        float bad[T * T];
        memcpy(bad, in, sizeof bad);
        bad[5 * T + 2] = NAN;
        bad[9 * T + 9] = INFINITY;
        hw_aug_thin(out, bad, T, 0.5, hw_aug_seed(5, 3, 1, 0, 0));
        CHECK(isnan(out[5 * T + 2]) && isnan(out[2 * T + 5]));
        CHECK(isinf(out[9 * T + 9]));
    }
    CHECK_NEAR(hw_aug_thin(out, in, T, 1.0, hw_aug_seed(5, 1, 0, 0, 0)), 1.0, 0, 0); /* p_min 1 */
}

/* The portable arithmetic of train_thin.h: its stream is nn_rng's, and its exp, log and
 * log-gamma are within 1e-15 relative of libm's (they need not be correctly rounded, only
 * the same on CPU and GPU). */
static void test_portable_math(void) {
    uint64_t key = hw_pois_key(12345), c = 77;
    for (int i = 0; i < 100; i++) {
        uint64_t c0 = c;
        CHECK(hw_pois_u32(key, &c) == nn_rng_u32_at(12345, c0));
    }
    double worst_exp = 0, worst_log = 0, worst_lg = 0;
    for (int i = 0; i <= 20000; i++) {
        double x = -30.0 + 60.0 * i / 20000.0 + 1e-7 * (i % 7);
        double r = fabs(hw_pois_exp(x) - exp(x)) / exp(x);
        if (r > worst_exp) worst_exp = r;
        double y = exp(-40.0 + 90.0 * i / 20000.0) * (1.0 + 1e-3 * (i % 13));
        double rl = fabs(hw_pois_log(y) - log(y)) / fmax(fabs(log(y)), 1e-300);
        if (rl > worst_log) worst_log = rl;
        double near1 = 1.0 + (i - 10000.5) * 1e-5; /* no cancellation near 1 either (e = 0) */
        double rn = fabs(hw_pois_log(near1) - log(near1)) / fabs(log(near1));
        if (rn > worst_log) worst_log = rn;
        double k = 1.0 + i % 3000;
        double rg = fabs(hw_pois_loggam(k) - lgamma(k)) / fmax(lgamma(k), 1.0);
        if (rg > worst_lg) worst_lg = rg;
    }
    printf("portable math: max rel. error exp %.2g, log %.2g, loggam %.2g\n", worst_exp, worst_log,
           worst_lg);
    CHECK(worst_exp < 1e-15);
    CHECK(worst_log < 1e-15);
    CHECK(worst_lg < 1e-14);
    CHECK(hw_pois_log(0.0) == -INFINITY);
    CHECK(isnan(hw_pois_log(-1.0)));
    CHECK(hw_pois_log(INFINITY) == INFINITY);
    CHECK_NEAR(hw_pois_log(4.9e-324), log(4.9e-324), 0, 1e-15); /* subnormal */
    CHECK(hw_pois_exp(-800.0) == 0.0);
    CHECK(hw_pois_exp(0.0) == 1.0);
}

int main(void) {
    float in[T * T], out[T * T], out2[T * T];
    int32_t scratch[T * T];
    make_tile(in, 1);
    NnRng rng;

    /* Poisson sampler: mean and variance near lambda (5 sigma of the estimate) */
    double lams[] = {0.3, 3.0, 42.0, 1500.0};
    for (int k = 0; k < 4; k++) {
        nn_rng_init(&rng, 7 + k);
        int n = 20000;
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double x = (double)hw_rng_poisson(&rng, lams[k]);
            CHECK(x >= 0);
            s += x, s2 += x * x;
        }
        double mean = s / n, var = s2 / n - mean * mean, lam = lams[k];
        CHECK_NEAR(mean, lam, 5 * sqrt(lam / n), 0);
        CHECK_NEAR(var, lam, 5 * lam * sqrt(2.0 / n) + 5 * sqrt(lam / n), 0);
    }
    nn_rng_init(&rng, 1);
    CHECK_INT_EQ(hw_rng_poisson(&rng, 0.0), 0);
    CHECK_INT_EQ(hw_rng_poisson(&rng, -1.0), 0);
    CHECK_INT_EQ(hw_rng_poisson(&rng, NAN), 0);

    /* Poisson resample: symmetric, sum kept (float rescale), integer-valued before
     * the rescale, so the values change */
    nn_rng_init(&rng, hw_aug_seed(30004, 1, 17, 1, 0));
    hw_aug_poisson(out, in, T, &rng);
    int sym = 1, changed = 0;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            sym &= out[i * T + j] == out[j * T + i];
            changed += out[i * T + j] != in[i * T + j];
        }
    CHECK(sym);
    CHECK(changed > T * T / 4);
    CHECK_NEAR(sum(out), sum(in), 0, 1e-5);
    /* in place gives the same result */
    memcpy(out2, in, sizeof in);
    nn_rng_init(&rng, hw_aug_seed(30004, 1, 17, 1, 0));
    hw_aug_poisson(out2, out2, T, &rng);
    CHECK(memcmp(out, out2, sizeof out) == 0);
    /* exact: pixel k = i*T + j (j <= i) is Poisson(value) from counter k << 32 of the salted
     * stream (hw_aug_poisson_key), the tile then scaled by the float sum(in) / sum(drawn):
     * what the device's block per copy computes (gpu_batch.cu) */
    {
        uint64_t seed = hw_aug_seed(30004, 1, 17, 1, 0);
        uint64_t key = hw_aug_poisson_key(seed);
        CHECK(key != hw_pois_key(seed));
        float drawn_tile[T * T];
        double drawn = 0;
        for (int i = 0; i < T; i++)
            for (int j = 0; j <= i; j++) {
                float v = hw_thin_pixel(key, (uint32_t)(i * T + j), 1.0, in[i * T + j]);
                drawn_tile[i * T + j] = drawn_tile[j * T + i] = v;
                drawn += i == j ? v : 2.0 * v;
            }
        float scale = (float)(hw_aug_tile_sum(in, T) / drawn);
        int same = 1;
        for (int k = 0; k < T * T; k++) same &= out[k] == drawn_tile[k] * scale;
        CHECK(same);
        float bad[T * T];
        memcpy(bad, in, sizeof bad);
        bad[5 * T + 2] = NAN;
        bad[9 * T + 9] = INFINITY;
        NnRng rb = {seed, 0};
        hw_aug_poisson(out2, bad, T, &rb);
        CHECK(isnan(out2[5 * T + 2]) && isinf(out2[9 * T + 9])); /* kept, and no rescale: */
        CHECK(out2[0] == floorf(out2[0]) && out2[T + 1] == floorf(out2[T + 1]));
        CHECK_INT_EQ(rb.counter, 0); /* the choice's stream is not touched */
    }
    /* an all-zero tile stays zero (no rescale by 0/0) */
    float zero[T * T] = {0};
    hw_aug_poisson(out2, zero, T, &rng);
    CHECK_NEAR(sum(out2), 0, 0, 0);

    /* dropout: floor(f * nnz) non-zeros set to 0 with f in [0.025, 0.075] */
    int base = nnz(in);
    for (int r = 0; r < 200; r++) {
        nn_rng_init(&rng, hw_aug_seed(5, 2, r, 1, 1));
        int64_t n = hw_aug_dropout(out, in, T, &rng, scratch);
        CHECK_INT_EQ(base - nnz(out), n);
        CHECK(n >= (int64_t)floor(0.025 * base) && n <= (int64_t)floor(0.075 * base));
        int others = 1; /* only zeroing, nothing else changes */
        for (int i = 0; i < T * T; i++) others &= out[i] == in[i] || out[i] == 0;
        CHECK(others);
    }

    /* determinism: the same key gives the same tile; another item, copy, view or
     * epoch gives another */
    nn_rng_init(&rng, hw_aug_seed(30004, 3, 99, 1, 0));
    hw_aug_kind k1 = hw_augment(out, in, T, 1, &rng, scratch);
    nn_rng_init(&rng, hw_aug_seed(30004, 3, 99, 1, 0));
    hw_aug_kind k2 = hw_augment(out2, in, T, 1, &rng, scratch);
    CHECK_INT_EQ(k1, k2);
    CHECK(memcmp(out, out2, sizeof out) == 0);
    uint64_t keys[5] = {hw_aug_seed(30004, 3, 99, 1, 0), hw_aug_seed(30004, 3, 98, 1, 0),
                        hw_aug_seed(30004, 3, 99, 2, 0), hw_aug_seed(30004, 3, 99, 1, 1),
                        hw_aug_seed(30004, 4, 99, 1, 0)};
    for (int a = 0; a < 5; a++)
        for (int b = a + 1; b < 5; b++) CHECK(keys[a] != keys[b]);
    CHECK(hw_aug_seed(1, 3, 99, 1, 0) != keys[0]);

    /* choice: uniform over 3 (plain) or 2 (forced, never identity) */
    int count[3] = {0, 0, 0}, forced[3] = {0, 0, 0};
    float small_in[T * T];
    make_tile(small_in, 0);
    for (int r = 0; r < 3000; r++) {
        nn_rng_init(&rng, hw_aug_seed(11, 0, r, 1, 0));
        count[hw_augment(out, small_in, T, 0, &rng, scratch)]++;
        nn_rng_init(&rng, hw_aug_seed(11, 1, r, 1, 0));
        forced[hw_augment(out, small_in, T, 1, &rng, scratch)]++;
    }
    for (int k = 0; k < 3; k++) CHECK(count[k] > 1000 - 130 && count[k] < 1000 + 130);
    CHECK_INT_EQ(forced[HW_AUG_IDENTITY], 0);
    CHECK(forced[1] > 1500 - 130 && forced[1] < 1500 + 130);

    /* shuffle: a permutation, the same for the same (seed, epoch), another per epoch */
    int64_t o1[1000], o2[1000], o3[1000];
    hw_train_shuffle(o1, 1000, 30004, 1);
    hw_train_shuffle(o2, 1000, 30004, 1);
    hw_train_shuffle(o3, 1000, 30004, 2);
    CHECK(memcmp(o1, o2, sizeof o1) == 0);
    CHECK(memcmp(o1, o3, sizeof o1) != 0);
    char seen[1000] = {0};
    int perm = 1, fixed = 0;
    for (int i = 0; i < 1000; i++) {
        perm &= o1[i] >= 0 && o1[i] < 1000 && !seen[o1[i]];
        if (o1[i] >= 0 && o1[i] < 1000) seen[o1[i]] = 1;
        fixed += o1[i] == i;
    }
    CHECK(perm);
    CHECK(fixed < 10);
    test_recipe_augmentations();
    test_portable_math();
    return TEST_RESULT();
}
