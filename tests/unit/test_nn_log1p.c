/* log1p_clamped_forward (the recipe's input transform, vectorised in nn_activation.c)
 * against log1p in double: within 2 ulp of the correctly rounded value over counts 0 ..
 * 100,000, random values from 1e-30 to 1e30 (log-uniform), subnormals and FLT_MAX;
 * exact special cases: x <= 0 (and -0) give 0, NaN stays NaN, +inf stays +inf. A self
 * check shows that the ulp measure sees a one-ulp change. */
#include "hitwin/nn.h"
#include "test_util.h"

#include <float.h>
#include <stdlib.h>

/* distance in ulps of got from the float nearest to ref */
static double ulps(float got, double ref) {
    const float r = (float)ref;
    const double ulp = (double)nextafterf(fabsf(r), INFINITY) - fabsf(r);
    return fabs((double)got - ref) / ulp;
}

int main(void) {
    enum { N = 300000 };
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
    NnRng rng;
    nn_rng_init(&rng, 11);
    size_t n = 0;
    for (int k = 0; k <= 100000; k++) x[n++] = (float)k;                          /* counts */
    for (int k = 0; k < 100000; k++) x[n++] = powf(10.0f, -30.0f + 60.0f * nn_rng_uniform(&rng));
    for (int k = 0; k < 90000; k++) x[n++] = 4.0f * nn_rng_uniform(&rng);         /* normalised */
    x[n++] = FLT_MIN, x[n++] = FLT_MIN / 1024.0f, x[n++] = FLT_MAX, x[n++] = 1e-8f, x[n++] = 0.4142135f;
    x[n++] = 0.41421357f, x[n++] = 0.99999994f, x[n++] = 1.0f, x[n++] = 2.0f, x[n++] = 5.9604645e-08f;
    const size_t n_finite = n;
    x[n++] = 0.0f, x[n++] = -0.0f, x[n++] = -1.0f, x[n++] = -FLT_MAX, x[n++] = -INFINITY;
    const size_t n_zero = n;
    x[n++] = NAN, x[n++] = INFINITY;
    log1p_clamped_forward(y, x, n);
    double worst = 0.0, worst_libm = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n_finite; i++) {
        double e = ulps(y[i], log1p((double)x[i]));
        if (e > worst) worst = e, at = i;
        double el = ulps(log1pf(x[i]), log1p((double)x[i]));
        if (el > worst_libm) worst_libm = el;
    }
    printf("log1p_clamped_forward: max %.2f ulp (at x = %.9g: %.9g, log1p %.9g); libm log1pf: %.2f ulp\n",
           worst, x[at], y[at], log1p((double)x[at]), worst_libm);
    CHECK(worst <= 2.0);
    for (size_t i = n_finite; i < n_zero; i++) CHECK(y[i] == 0.0f && !signbit(y[i]));
    CHECK(isnan(y[n_zero]));
    CHECK(y[n_zero + 1] == INFINITY);
    /* in place gives the same */
    float *z = malloc(n * sizeof(float));
    memcpy(z, x, n * sizeof(float));
    log1p_clamped_forward(z, z, n);
    CHECK(memcmp(z, y, n * sizeof(float)) == 0);
    /* the measure sees one ulp */
    CHECK(ulps(nextafterf((float)log1p(3.0), INFINITY), log1p(3.0)) >= 0.5);
    free(x), free(y), free(z);
    return TEST_RESULT();
}
