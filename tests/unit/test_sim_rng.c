/* RNG streams and Poisson sampling: streams are reproducible and independent
 * of each other; uniform, normal and Poisson moments match within 5 standard
 * errors (N = 200000 draws), across the switch from the multiplication method
 * (lambda < 10) to PTRS (lambda >= 10); P(X = 0) for lambda = 1 is exp(-1). */
#include <math.h>
#include <stdint.h>

#include "hitwin/sim_rng.h"
#include "test_util.h"

#define N 200000

int main(void) {
    sim_rng a, b, c;
    sim_rng_seed(&a, 42, SIM_STREAM_COUNTS, 3, 1);
    sim_rng_seed(&b, 42, SIM_STREAM_COUNTS, 3, 1);
    sim_rng_seed(&c, 42, SIM_STREAM_COUNTS, 3, 2);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = sim_rng_next(&a), y = sim_rng_next(&b), z = sim_rng_next(&c);
        same &= x == y;
        differ += x != z;
    }
    CHECK(same);
    CHECK(differ == 1000);

    sim_rng r;
    sim_rng_seed(&r, 7, 99, 0, 0);
    double s = 0, s2 = 0;
    for (int i = 0; i < N; i++) {
        double u = sim_rng_uniform(&r);
        CHECK(u >= 0 && u < 1);
        s += u;
    }
    CHECK_NEAR(s / N, 0.5, 5 * sqrt(1.0 / 12 / N), 0);
    s = 0;
    for (int i = 0; i < N; i++) {
        double z = sim_rng_normal(&r);
        s += z;
        s2 += z * z;
    }
    CHECK_NEAR(s / N, 0.0, 5 * sqrt(1.0 / N), 0);
    CHECK_NEAR(s2 / N, 1.0, 5 * sqrt(2.0 / N), 0);

    static const double lambdas[] = {0.01, 0.5, 1, 4, 9.99, 10, 17.5, 100, 3000, 1e6};
    for (unsigned k = 0; k < sizeof lambdas / sizeof *lambdas; k++) {
        double lam = lambdas[k], m = 0, v = 0;
        int64_t zeros = 0;
        for (int i = 0; i < N; i++) {
            int64_t x = sim_rng_poisson(&r, lam);
            CHECK(x >= 0);
            m += (double)x;
            v += (double)x * (double)x;
            zeros += x == 0;
        }
        m /= N;
        v = v / N - m * m;
        /* standard error of the mean sqrt(lam/N); of the variance about lam*sqrt(2/N) */
        CHECK_NEAR(m, lam, 5 * sqrt(lam / N), 0);
        CHECK_NEAR(v, lam, 5 * lam * sqrt(2.0 / N + 1.0 / (lam * N)), 0);
        if (lam == 1) CHECK_NEAR((double)zeros / N, exp(-1.0), 5 * sqrt(exp(-1.0) * (1 - exp(-1.0)) / N), 0);
    }
    CHECK(sim_rng_poisson(&r, 0) == 0);
    CHECK(sim_rng_poisson(&r, -1) == 0);
    return TEST_RESULT();
}
