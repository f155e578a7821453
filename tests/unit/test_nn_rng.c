/* The seeded generator, PyTorch-default initialisation and dropout statistics.
 * Statistical checks use n >= 1e5 draws and bounds of > 5 standard errors, so they are
 * deterministic for the fixed seeds here and fail only on a real defect. */
#include "hitwin/nn.h"
#include "test_util.h"

#include <stdlib.h>

static void test_determinism(void) {
    NnRng a, b;
    nn_rng_init(&a, 42);
    nn_rng_init(&b, 42);
    for (int i = 0; i < 100; i++) CHECK_INT_EQ(nn_rng_u32(&a), nn_rng_u32(&b));
    /* draw k is a pure function of (seed, k) */
    CHECK_INT_EQ(nn_rng_u32_at(42, 100), nn_rng_u32(&a));
    CHECK_INT_EQ(a.counter, 101);
    /* different seeds give different streams */
    NnRng c;
    nn_rng_init(&c, 43);
    int same = 0;
    for (int i = 0; i < 100; i++) same += nn_rng_u32_at(42, i) == nn_rng_u32(&c);
    CHECK(same < 3);
}

static void test_moments(void) {
    NnRng r;
    nn_rng_init(&r, 7);
    const int n = 200000;
    double s = 0, ss = 0, lo = 1, hi = 0;
    for (int i = 0; i < n; i++) {
        double u = nn_rng_uniform(&r);
        s += u, ss += u * u;
        lo = u < lo ? u : lo, hi = u > hi ? u : hi;
    }
    CHECK(lo >= 0.0 && hi < 1.0);
    CHECK_NEAR(s / n, 0.5, 0.005, 0);                    /* se 6.5e-4 */
    CHECK_NEAR(ss / n - (s / n) * (s / n), 1.0 / 12, 0.002, 0); /* se 1.9e-4 */
    s = ss = 0;
    double s4 = 0;
    for (int i = 0; i < n; i++) {
        double z = nn_rng_normal(&r);
        s += z, ss += z * z, s4 += z * z * z * z;
    }
    CHECK_NEAR(s / n, 0.0, 0.012, 0); /* se 2.2e-3 */
    CHECK_NEAR(ss / n, 1.0, 0.02, 0); /* se 3.2e-3 */
    CHECK_NEAR(s4 / n, 3.0, 0.15, 0); /* se 2.2e-2 */
    float v[1000];
    nn_fill_normal(v, 1000, 5.0f, 0.1f, &r);
    double m = 0;
    for (int i = 0; i < 1000; i++) m += v[i];
    CHECK_NEAR(m / 1000, 5.0, 0.02, 0);
}

/* U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, as torch's defaults */
static void check_uniform_bound(const float *x, size_t n, double bound) {
    double s = 0, ss = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        s += x[i], ss += (double)x[i] * x[i];
        if (fabs(x[i]) > mx) mx = fabs(x[i]);
    }
    CHECK(mx <= bound);
    CHECK(mx > 0.99 * bound); /* the whole range is used */
    double var = bound * bound / 3; /* of U(-b, b) */
    CHECK_NEAR(s / n, 0.0, 5 * sqrt(var / n), 0);
    CHECK_NEAR(ss / n, var, 5 * var * sqrt(0.8 / n), 0); /* var(u^2) = 4 b^4 / 45 = 0.8 var^2 */
}

static void test_init(void) {
    NnRng r;
    nn_rng_init(&r, 11);
    /* SLeNet conv2: 16 x 6 x 5 x 5, fan_in 150 */
    float *w = malloc(sizeof(float) * 16 * 6 * 25), *b = malloc(sizeof(float) * 16);
    nn_init_conv2d(w, b, 16, 6, 5, 5, &r);
    check_uniform_bound(w, 16 * 6 * 25, 1.0 / sqrt(150.0));
    for (int i = 0; i < 16; i++) CHECK(fabsf(b[i]) <= 1.0f / sqrtf(150.0f));
    free(w), free(b);
    /* SLeNet linear[1]-like: 120 x 4494 (a tenth of the 44,944 inputs, same law) */
    size_t n = (size_t)120 * 4494;
    w = malloc(sizeof(float) * n), b = malloc(sizeof(float) * 120);
    nn_init_linear(w, b, 120, 4494, &r);
    check_uniform_bound(w, n, 1.0 / sqrt(4494.0));
    for (int i = 0; i < 120; i++) CHECK(fabsf(b[i]) <= 1.0f / sqrtf(4494.0f));
    free(w), free(b);
    /* depthwise conv: fan_in = 1 * 3 * 3 */
    float wd[64 * 9];
    nn_init_conv2d(wd, NULL, 64, 1, 3, 3, &r);
    check_uniform_bound(wd, 64 * 9, 1.0 / 3.0);
}

static void test_dropout(void) {
    const size_t n = 100000;
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float)), *y2 = malloc(n * sizeof(float));
    float *dx = calloc(n, sizeof(float));
    uint8_t *mask = malloc(n), *mask2 = malloc(n);
    for (size_t i = 0; i < n; i++) x[i] = 1.0f + (float)(i % 7);
    NnRng r;
    nn_rng_init(&r, 5);
    dropout_forward(y, mask, x, 0.5f, &r, n);
    CHECK_INT_EQ(r.counter, n);
    size_t kept = 0;
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        kept += mask[i];
        ok &= y[i] == (mask[i] ? 2.0f * x[i] : 0.0f);
    }
    CHECK(ok);
    CHECK_NEAR((double)kept / n, 0.5, 0.01, 0); /* se 1.6e-3 */
    /* every mask bit is the stateless draw's (the vectorised loop against nn_rng_u32_at),
     * also from an odd counter over an odd length, where the vector loop has a tail */
    ok = 1;
    for (size_t i = 0; i < n; i++) ok &= mask[i] == ((nn_rng_u32_at(5, i) >> 8) >= (1u << 23));
    CHECK(ok);
    NnRng r3 = {5, 12345};
    dropout_forward(y2, mask2, x, 0.3f, &r3, 1001);
    CHECK_INT_EQ(r3.counter, 12345 + 1001);
    const uint32_t thr = (uint32_t)(0.3 * 16777216.0);
    ok = 1;
    for (size_t i = 0; i < 1001; i++) {
        int keep = (nn_rng_u32_at(5, 12345 + i) >> 8) >= thr;
        ok &= mask2[i] == keep && y2[i] == (keep ? x[i] * (1.0f / 0.7f) : 0.0f);
    }
    CHECK(ok);
    /* the same seed and counter reproduce the mask; the next call draws a new one */
    NnRng r2;
    nn_rng_init(&r2, 5);
    dropout_forward(y2, mask2, x, 0.5f, &r2, n);
    CHECK(memcmp(mask, mask2, n) == 0);
    dropout_forward(y2, mask2, x, 0.5f, &r2, n);
    CHECK(memcmp(mask, mask2, n) != 0);
    /* p = 0.2: keep fraction 0.8, scale 1.25 */
    dropout_forward(y, mask, x, 0.2f, &r, n);
    kept = 0;
    for (size_t i = 0; i < n; i++) kept += mask[i];
    CHECK_NEAR((double)kept / n, 0.8, 0.008, 0); /* se 1.3e-3 */
    dropout_backward(dx, x, mask, 0.2f, n);
    ok = 1;
    for (size_t i = 0; i < n; i++) ok &= dx[i] == (mask[i] ? x[i] * 1.25f : 0.0f);
    CHECK(ok);
    /* p = 0: identity, no draws */
    uint64_t before = r.counter;
    dropout_forward(y, mask, x, 0.0f, &r, n);
    CHECK(memcmp(y, x, n * sizeof(float)) == 0);
    CHECK_INT_EQ(r.counter, before);
    free(x), free(y), free(y2), free(dx), free(mask), free(mask2);
}

/* guards and edge cases that the finite-difference test cannot see */
static void test_edges(void) {
    /* all-zero tile: max normalisation passes it through instead of 0/0 */
    float z[8] = {0}, out[8], mx[1];
    maxnorm_forward(out, mx, z, 1, 8);
    for (int i = 0; i < 8; i++) CHECK(out[i] == 0.0f);
    /* tied maxima share the gradient of the max, as torch's amax */
    float x[4] = {1, 4, 4, 2}, g[4] = {1, 1, 1, 1}, dx[4] = {0};
    maxnorm_forward(out, mx, x, 1, 4);
    maxnorm_backward(dx, g, x, mx, 1, 4);
    /* y = x / m, dm = -sum(g x) / m^2 = -11/16, half to each tie */
    CHECK_NEAR(dx[0], 0.25, 1e-6, 0);
    CHECK_NEAR(dx[1], 0.25 - 11.0 / 32, 1e-6, 0);
    CHECK_NEAR(dx[3], 0.25, 1e-6, 0);
    /* identical embeddings: distance eps*sqrt(D), no NaN gradients */
    float e[3] = {1, 2, 3}, d[1], dd[1] = {1}, g1[3] = {0}, g2[3] = {0};
    pairwise_distance_forward(d, e, e, NN_PAIRWISE_EPS, 1, 3);
    CHECK_NEAR(d[0], 1e-6 * sqrt(3.0), 1e-12, 1e-3);
    pairwise_distance_backward(g1, g2, dd, e, e, d, NN_PAIRWISE_EPS, 1, 3);
    for (int i = 0; i < 3; i++) CHECK(isfinite(g1[i]) && isfinite(g2[i]));
    /* cosine with a zero vector: distance 1, finite gradient */
    float zero[3] = {0};
    cosine_distance_forward(d, zero, e, NN_COSINE_EPS, 1, 3);
    CHECK_NEAR(d[0], 1.0, 1e-7, 0);
    /* l2norm of zero stays zero */
    l2norm_forward(out, zero, NN_L2NORM_EPS, 1, 3);
    CHECK(out[0] == 0.0f && out[1] == 0.0f && out[2] == 0.0f);
    /* SINCERE: an anchor without positives adds 0 instead of NaN */
    float zz[6] = {1, 0, 0, 1, 0.6f, 0.8f}, S[9], loss;
    int32_t lab[3] = {0, 0, 1};
    sincere_loss_forward(&loss, S, zz, lab, NN_SINCERE_TEMPERATURE, 3, 1, 2);
    CHECK(isfinite(loss) && loss > 0.0f);
    /* diagonal mask zeroes |i - j| < 3 only */
    float m[25], mo[25];
    for (int i = 0; i < 25; i++) m[i] = 1.0f;
    diagmask_forward(mo, m, NN_DIAG_MASK_BAND, 1, 5, 5);
    int nz = 0;
    for (int i = 0; i < 25; i++) nz += mo[i] != 0.0f;
    CHECK_INT_EQ(nz, 6); /* offsets +-3 (2 each) and +-4 (1 each) */
}

int main(void) {
    test_determinism();
    test_moments();
    test_init();
    test_dropout();
    test_edges();
    return TEST_RESULT();
}
