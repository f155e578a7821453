/* Stage 4's numeric core (saliency.h) on a randomly initialised SLeNet at 96 bins (the input
 * gradient itself is checked against PyTorch in test_saliency_torch.c; finite differences of
 * a float32 network through two max pools are too noisy to check it here):
 *   - IG completeness: the attributions sum to D(e1, e2) - D(e, e) = D12 - 1e-6 sqrt(83)
 *     (pairwise) or D12 (cosine) within 2 % of D12 at 100 steps (observed 0.8 % and 0.07 %; the
 *     Riemann sum over a path through max pools and GELUs, not a rounding error), and the
 *     error shrinks from 10 to 100 steps;
 *   - batched == one alpha at a time: chunk 1 against 7, 50 and 200: the same map within 1e-5 of
 *     its largest |value| (observed 4e-10: only the rounding differs);
 *   - IG of a single-pixel difference is zero everywhere but that pixel and its mirror, and
 *     lands in the strip at (separation, start + midpoint), the exact bin;
 *   - registration: conv2 pixel r sits at bin 2 r + 6.5 (a delta's mass centroid there);
 *   - strips: overlapping windows of a constant map average to that constant wherever any
 *     window covers a pixel (no dilution by the diamonds' empty corners, bug 32), odd
 *     separations straddle two columns, counts are the windows actually covering;
 *   - features: one positive and one negative blob found with their bounds and sign, a blob
 *     below the size limit dropped, the threshold a quantile of covered pixels only. */
#include "hitwin/error.h"
#include "hitwin/model.h"
#include "hitwin/saliency.h"
#include "test_util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define S 224 /* the geometry tests */
#define MS 96 /* the model tests: a smaller tile keeps them quick under the sanitizers */

static uint64_t rng_state = 12345;
static double urand(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* a Hi-C-like tile: distance decay, a domain, noise; `loop` adds a dot at (30, 60) */
static void make_tile(float *t, int domain_lo, int domain_hi, double noise, int loop) {
    for (int i = 0; i < MS; i++)
        for (int j = i; j < MS; j++) {
            double v = 50.0 / (1.0 + abs(j - i));
            if (i >= domain_lo && j < domain_hi) v *= 2.0;
            if (loop && abs(i - 30) < 3 && abs(j - 60) < 3) v += 8.0;
            v *= 1.0 + noise * (urand() - 0.5);
            t[i * MS + j] = t[j * MS + i] = (float)v;
        }
}

static hw_model *make_model(void) {
    hw_model_config cfg = {.image_size = MS, .mask = 1, .dropout = 0.5f, .loss = HW_LOSS_TRIPLET,
                           .margin = 1.0f, .temperature = 0.07f};
    return hw_model_create(&cfg, 7);
}

static double total(const float *m, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += m[i];
    return s;
}

static void test_ig(hw_model *m, const float *x1, const float *x2, const float *e1, const float *e2) {
    float *map = malloc(MS * MS * sizeof(float)), *ref = malloc(MS * MS * sizeof(float));
    for (int meas = 0; meas < 2; meas++) {
        double d12 = hw_ig_distance(e1, e2, 83, (hw_ig_measure)meas, 0, NULL);
        double self = hw_ig_distance(e1, e1, 83, (hw_ig_measure)meas, 0, NULL);
        double want = d12 - self, err10 = 0.0;
        for (int steps = 10; steps <= 100; steps += 90) {
            /* 10 then 100 steps: the error of the Riemann sum shrinks */
            hw_ig_map(m, x1, x2, e1, e2, steps, HW_IG_DEFAULT_CHUNK, (hw_ig_measure)meas, map);
            double got = total(map, MS * MS), err = fabs(got - want) / d12;
            printf("IG completeness (%s, %d steps): sum %.7e, D12 - D(e,e) %.7e, relative error %.2e\n",
                   meas ? "cosine" : "pairwise", steps, got, want, err);
            if (steps == 10) err10 = err;
            else {
                CHECK(err <= 0.02);
                CHECK(err <= err10 + 1e-9);
                /* the midpoint rule at half the steps: at least as complete (second order in
                 * the sum; docs/saliency.md "Steps and rule") */
                hw_ig_map_rule(m, x1, x2, e1, e2, 50, HW_IG_DEFAULT_CHUNK, (hw_ig_measure)meas, HW_IG_RULE_MIDPOINT,
                               map);
                double mid = fabs(total(map, MS * MS) - want) / d12;
                printf("IG completeness (%s, midpoint, 50 steps): relative error %.2e\n",
                       meas ? "cosine" : "pairwise", mid);
                CHECK(mid <= err);
            }
        }
        /* masked pixels (|i - j| < 3) have x1 - x2 = 0: zero attribution */
        int masked_nonzero = 0;
        for (int i = 0; i < MS; i++)
            for (int j = 0; j < MS; j++)
                if (abs(i - j) < 3 && map[i * MS + j] != 0.0f) masked_nonzero++;
        CHECK_INT_EQ(masked_nonzero, 0);
    }
    /* batched against one alpha at a time */
    hw_ig_map(m, x1, x2, e1, e2, 100, 1, HW_IG_PAIRWISE, ref);
    double amax = 0.0;
    for (int p = 0; p < MS * MS; p++) amax = fmax(amax, fabs(ref[p]));
    const int chunks[3] = {7, 50, 200};
    for (int c = 0; c < 3; c++) {
        hw_ig_map(m, x1, x2, e1, e2, 100, chunks[c], HW_IG_PAIRWISE, map);
        double worst = 0.0;
        for (int p = 0; p < MS * MS; p++) worst = fmax(worst, fabs(map[p] - ref[p]));
        printf("batched (chunk %d) vs one alpha per pass: max |diff| %.3e of max |map| %.3e\n", chunks[c],
               worst, amax);
        CHECK(worst <= 1e-5 * amax);
    }
    /* both directions on one path (hw_ig_map) against each on its own (the formula as
     * written): the same interpolants up to the float rounding of x2 + a (x1 - x2) against
     * x1 + (1 - a) (x2 - x1), and the same gradients, subtracted before the backward instead
     * of after it. Even and odd step counts, and 2 (the two ends alone). Bound 1e-4 of the
     * map's largest value: near an end the gradient of the pairwise distance is the unit
     * vector of a small difference, which turns with the interpolant's rounding (seen: 3e-5
     * at 100 steps, 1e-6 at 7 and 2; the batching alone moves 2e-6). */
    const int steps_of[3] = {100, 7, 2};
    for (int meas = 0; meas < 2; meas++)
        for (int c = 0; c < 3; c++) {
            hw_ig_map_two_paths(m, x1, x2, e1, e2, steps_of[c], 13, (hw_ig_measure)meas, ref);
            CHECK_INT_EQ(hw_ig_map(m, x1, x2, e1, e2, steps_of[c], 13, (hw_ig_measure)meas, map), 0);
            double worst = 0.0, top = 0.0;
            for (int p = 0; p < MS * MS; p++) {
                worst = fmax(worst, fabs(map[p] - ref[p]));
                top = fmax(top, fabs(ref[p]));
            }
            printf("one path vs two (%s, %d steps): max |diff| %.3e of max |map| %.3e\n",
                   meas ? "cosine" : "pairwise", steps_of[c], worst, top);
            CHECK(top > 0.0);
            CHECK(worst <= 1e-4 * top);
        }
    free(map);
    free(ref);
}

/* IG of two prepared inputs that differ in one pixel pair (i, j), (j, i) only */
static void test_single_pixel(hw_model *m, const float *x1) {
    float *x2 = malloc(MS * MS * sizeof(float)), *map = malloc(MS * MS * sizeof(float));
    float e1[83], e2[83];
    const int i = 30, j = 70; /* separation 40, midpoint 50 */
    for (int p = 0; p < MS * MS; p++) x2[p] = x1[p];
    x2[i * MS + j] = x2[j * MS + i] = x1[i * MS + j] + 0.5f;
    float *x1c = malloc(MS * MS * sizeof(float));
    for (int p = 0; p < MS * MS; p++) x1c[p] = x1[p];
    /* any e1, e2 give the same support: the map is (x1 - x2) times a gradient */
    for (int k = 0; k < 83; k++) e1[k] = 0.1f * k, e2[k] = 0.05f * k;
    hw_ig_map(m, x1c, x2, e1, e2, 20, 20, HW_IG_PAIRWISE, map);
    int outside = 0;
    for (int p = 0; p < MS * MS; p++)
        if (map[p] != 0.0f && p != i * MS + j && p != j * MS + i) outside++;
    CHECK_INT_EQ(outside, 0);
    CHECK(map[i * MS + j] != 0.0f);
    hw_strip st;
    const int64_t start = 1000;
    hw_strip_init(&st, MS, 2000);
    hw_strip_add(&st, map, NULL, start, 3);
    float *mean = malloc((size_t)MS * 2000 * sizeof(float));
    hw_strip_mean(&st, mean);
    int64_t best = -1;
    double bv = 0.0;
    for (int64_t p = 0; p < (int64_t)MS * 2000; p++)
        if (fabs(mean[p]) > bv) bv = fabs(mean[p]), best = p;
    printf("single-pixel difference at (%d, %d) of a tile at bin %lld: strip peak at row %lld, column %lld\n",
           i, j, (long long)start, (long long)(best / 2000), (long long)(best % 2000));
    CHECK_INT_EQ(best / 2000, j - i);
    CHECK_INT_EQ(best % 2000, start + (i + j) / 2);
    CHECK_NEAR(mean[best], 0.5 * (map[i * MS + j] + map[j * MS + i]), 0, 1e-6);
    hw_strip_free(&st);
    free(mean);
    free(x2);
    free(x1c);
    free(map);
}

static void test_registration(void) {
    const int G = 106;
    float *f = calloc(G * G, sizeof(float)), *out = malloc(S * S * sizeof(float));
    uint8_t cover[S];
    const int r = 30, c = 71;
    f[r * G + c] = 1.0f;
    hw_register_feature_map(f, G, S, out, cover);
    double m0 = 0, mr = 0, mc = 0;
    for (int a = 0; a < S; a++)
        for (int b = 0; b < S; b++) {
            m0 += out[a * S + b];
            mr += a * out[a * S + b];
            mc += b * out[a * S + b];
        }
    printf("registration: conv2 pixel (%d, %d) -> centroid (%.3f, %.3f), expected (%.1f, %.1f)\n", r, c,
           mr / m0, mc / m0, 2 * r + 6.5, 2 * c + 6.5);
    CHECK_NEAR(mr / m0, 2 * r + 6.5, 1e-9, 0);
    CHECK_NEAR(mc / m0, 2 * c + 6.5, 1e-9, 0);
    int first = -1, last = -1;
    for (int b = 0; b < S; b++)
        if (cover[b]) {
            if (first < 0) first = b;
            last = b;
        }
    CHECK_INT_EQ(first, 7);
    CHECK_INT_EQ(last, 2 * (G - 1) + 6);
    free(f);
    free(out);
}

static void test_strip_coverage(void) {
    float *one = malloc(S * S * sizeof(float));
    for (int p = 0; p < S * S; p++) one[p] = 1.0f;
    hw_strip st;
    const int64_t nb = 600;
    hw_strip_init(&st, S, nb);
    hw_strip_add(&st, one, NULL, 0, 0);
    hw_strip_add(&st, one, NULL, 28, 0);
    hw_strip_add(&st, one, NULL, 300, 0);
    float *mean = malloc((size_t)S * nb * sizeof(float));
    hw_strip_mean(&st, mean);
    int bad = 0, covered = 0;
    for (int64_t p = 0; p < S * nb; p++) {
        if (st.count[p] > 0) covered++;
        if (st.count[p] > 0 ? mean[p] != 1.0f : mean[p] != 0.0f) bad++;
    }
    printf("strip of constant maps: %d covered pixels, %d not equal to the constant\n", covered, bad);
    CHECK_INT_EQ(bad, 0);
    /* row 0 (the diagonal) of the first window covers columns 0..223, row 222 only 111..112
     * (pixels (0, 222) and (1, 223) straddle nothing: midpoints 111 and 112) */
    CHECK_INT_EQ(st.count[0 * nb + 0], 1);
    CHECK_INT_EQ(st.count[0 * nb + 30], 2);
    CHECK_INT_EQ(st.count[222 * nb + 111], 1);
    CHECK_INT_EQ(st.count[222 * nb + 110], 0);
    CHECK_INT_EQ(st.count[223 * nb + 111], 0); /* odd: needs two pixels, only (0, 223) exists */
    hw_strip_free(&st);
    /* an odd separation straddles two columns, each taking half */
    float *z = calloc(S * S, sizeof(float));
    z[10 * S + 15] = 2.0f; /* separation 5, midpoint 12.5 */
    hw_strip_init(&st, S, 300);
    hw_strip_add(&st, z, NULL, 0, 0);
    float *m2 = malloc((size_t)S * 300 * sizeof(float));
    hw_strip_mean(&st, m2);
    CHECK_NEAR(m2[5 * 300 + 12], 0.5, 0, 1e-7); /* symmetrised 1, half of it */
    CHECK_NEAR(m2[5 * 300 + 13], 0.5, 0, 1e-7);
    CHECK_NEAR(m2[5 * 300 + 14], 0.0, 0, 0);
    hw_strip_free(&st);
    free(one);
    free(mean);
    free(z);
    free(m2);
}

static void test_features(void) {
    const int64_t nb = 400;
    float *strip = calloc((size_t)S * nb, sizeof(float));
    int32_t *count = calloc((size_t)S * nb, sizeof(int32_t));
    for (int r = 0; r < S; r++)
        for (int64_t c = 0; c < nb; c++) {
            count[r * nb + c] = c < 380; /* the last 20 columns uncovered */
            strip[r * nb + c] = (float)(0.01 * (urand() - 0.5));
        }
    /* a positive blob rows 20..39, cols 100..129; a negative disc radius 8 at (60, 250); a
     * small positive blob 4 x 4 (dropped) */
    for (int r = 15; r < 75; r++) /* a quiet moat, so that no noise pixel joins a blob */
        for (int c = 95; c < 265; c++) strip[r * nb + c] = 0.0f;
    for (int r = 20; r < 40; r++)
        for (int c = 100; c < 130; c++) strip[r * nb + c] = 1.0f;
    for (int r = 50; r <= 70; r++)
        for (int c = 240; c <= 260; c++)
            if ((r - 60) * (r - 60) + (c - 250) * (c - 250) <= 64) strip[r * nb + c] = -0.8f;
    for (int r = 100; r < 104; r++)
        for (int c = 300; c < 304; c++) strip[r * nb + c] = 2.0f;
    const float *sp[1] = {strip};
    const int32_t *cp[1] = {count};
    int64_t nbs[1] = {nb};
    double T = hw_feature_threshold(sp, cp, nbs, 1, S, 3, S - 4, 1, 0.99);
    printf("features: threshold %.4f\n", T);
    CHECK(T > 0.004 && T < 0.8);
    hw_feature *f = NULL;
    size_t n = 0, cap = 0;
    hw_feature_extract(strip, count, S, nb, 0, T, 3, S - 4, 1, 10, 256, &f, &n, &cap);
    CHECK_INT_EQ(n, 2);
    if (n == 2) {
        CHECK_INT_EQ(f[0].sign, 1);
        CHECK_INT_EQ(f[0].rmin, 20);
        CHECK_INT_EQ(f[0].rmax, 39);
        CHECK_INT_EQ(f[0].cmin, 100);
        CHECK_INT_EQ(f[0].cmax, 129);
        CHECK_NEAR(f[0].avg, 1.0, 1e-6, 0);
        CHECK_INT_EQ(f[0].n_pixels, 600);
        CHECK_INT_EQ(f[1].sign, -1);
        CHECK_INT_EQ(f[1].rmin, 52);
        CHECK_INT_EQ(f[1].cmax, 258);
        /* the hull of the disc's 197 lattice points takes in a lattice point or two of its
         * edge outside the disc (noise there dilutes the mean a little) */
        CHECK(f[1].n_pixels >= 197 && f[1].n_pixels <= 205);
        CHECK_NEAR(f[1].avg, -0.8, 0.01, 0);
    }
    for (size_t i = 0; i < n; i++) hw_feature_free(&f[i]);
    free(f);
    free(strip);
    free(count);
}

int main(void) {
    hw_model *m = make_model();
    if (!m) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    float *t = malloc(2 * MS * MS * sizeof(float)), *x = malloc(2 * MS * MS * sizeof(float));
    float e[2 * 83];
    make_tile(t, 20, 75, 0.3, 0);
    make_tile(t + MS * MS, 20, 55, 0.3, 1);
    hw_model_prepare(m, t, 2, x, e);
    test_ig(m, x, x + MS * MS, e, e + 83);
    test_single_pixel(m, x);
    test_registration();
    test_strip_coverage();
    test_features();
    hw_model_free(m);
    free(t);
    free(x);
    printf("%s\n", test_failures ? "FAIL" : "ok");
    return test_failures ? 1 : 0;
}
