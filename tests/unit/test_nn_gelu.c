/* gelu_forward / gelu_backward (branch-free, vectorised in nn_activation.c) against the exact
 * GELU x Phi(x) and its derivative Phi(x) + x phi(x) in double, on a dense grid of 4,000,001
 * points over [-16, 16] and on random values from 1e-30 to 30 of both signs:
 *   forward:    |y - t| <= (8 + x^2 / 2) eps |t| + 1e-37: a few ulps, more in the lower tail,
 *               where exp(-x^2 / 2) carries the rounding of x^2 (x^2 / 2 eps relative; 33 eps at
 *               x = -11.3, t = -5.7e-29); libm's erff formula has no relative accuracy there at
 *               all (1 + erf cancels: 7 % at x = -5, 100 % below x = -5.5);
 *   derivative: |d - t'| <= 4e-7 (observed 1.6e-7, at the zero crossing near x = -0.75, where
 *               Phi and x phi cancel; the erff formula: 1.4e-7).
 * Special values as the erff formula gives them: GELU(+-0) = +-0, GELU(+inf) = +inf,
 * GELU(-inf) = NaN, NaN stays NaN, GELU(-20) = -0; GELU'(0) = 0.5, GELU'(+-inf) = NaN. The
 * backward adds (+=), and in place forward gives the same bits. */
#include "hitwin/nn.h"
#include "test_util.h"

#include <float.h>
#include <stdlib.h>

static double gelu_d(double x) { return 0.5 * x * erfc(-x / sqrt(2.0)); }
static double dgelu_d(double x) { return 0.5 * erfc(-x / sqrt(2.0)) + x * exp(-0.5 * x * x) / sqrt(2.0 * M_PI); }

int main(void) {
    enum { GRID = 4000001, RAND = 200000, N = GRID + RAND };
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float)), *d = malloc(N * sizeof(float));
    float *one = malloc(N * sizeof(float));
    NnRng rng;
    nn_rng_init(&rng, 12);
    for (int i = 0; i < GRID; i++) x[i] = -16.0f + 32.0f * (float)i / (float)(GRID - 1);
    for (int i = GRID; i < N; i++) {
        const float m = powf(10.0f, -30.0f + 31.5f * nn_rng_uniform(&rng));
        x[i] = nn_rng_uniform(&rng) < 0.5f ? -m : m;
    }
    for (int i = 0; i < N; i++) d[i] = 0.25f, one[i] = 1.0f;
    gelu_forward(y, x, N);
    gelu_backward(d, one, x, N);
    double worst = 0.0, worst_d = 0.0;
    int at = 0, at_d = 0, bad = 0;
    for (int i = 0; i < N; i++) {
        const double t = gelu_d(x[i]), td = dgelu_d(x[i]);
        const double e = fabs(y[i] - t), ed = fabs((d[i] - 0.25) - td);
        const double r = e / ((1.0 + 0.5 * (double)x[i] * x[i]) * FLT_EPSILON * fabs(t) + 1e-37);
        if (r > worst) worst = r, at = i;
        if (ed > worst_d) worst_d = ed, at_d = i;
        bad += !(e <= (8.0 + 0.5 * (double)x[i] * x[i]) * FLT_EPSILON * fabs(t) + 1e-37) + !(ed <= 4e-7);
    }
    printf("gelu_forward: max %.2f (1 + x^2 / 2) eps relative (at x = %.9g: %.9g, exact %.9g)\n", worst, x[at], y[at],
           gelu_d(x[at]));
    printf("gelu_backward: max %.3g absolute (at x = %.9g)\n", worst_d, x[at_d]);
    CHECK_INT_EQ(bad, 0);

    const float sx[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -20.0f, 20.0f};
    float sy[7], sd[7] = {0}, s1[7] = {1, 1, 1, 1, 1, 1, 1};
    gelu_forward(sy, sx, 7);
    gelu_backward(sd, s1, sx, 7);
    CHECK(sy[0] == 0.0f && !signbit(sy[0]));
    CHECK(sy[1] == 0.0f && signbit(sy[1]));
    CHECK(sy[2] == INFINITY);
    CHECK(isnan(sy[3]) && isnan(sy[4]));
    CHECK(sy[5] == 0.0f && signbit(sy[5]));
    CHECK(sy[6] == 20.0f);
    CHECK(sd[0] == 0.5f && sd[1] == 0.5f);
    CHECK(isnan(sd[2]) && isnan(sd[3]) && isnan(sd[4]));
    CHECK(sd[5] == 0.0f && sd[6] == 1.0f);
    /* in place */
    memcpy(d, x, N * sizeof(float));
    gelu_forward(d, d, N);
    CHECK(memcmp(d, y, N * sizeof(float)) == 0);
    free(x), free(y), free(d), free(one);
    return TEST_RESULT();
}
