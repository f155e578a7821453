#include "hitwin/sim_rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void sim_rng_seed(sim_rng *r, uint64_t seed, uint64_t purpose, int64_t a, int64_t b) {
    /* Chain the stream's name through splitmix so nearby names (chrom 1 vs 2)
     * give unrelated states. */
    uint64_t x = seed;
    uint64_t h = splitmix64(&x);
    x = h ^ purpose;
    h = splitmix64(&x);
    x = h ^ (uint64_t)a;
    h = splitmix64(&x);
    x = h ^ (uint64_t)b;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

uint64_t sim_rng_next(sim_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sim_rng_uniform(sim_rng *r) { return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53; }

double sim_rng_normal(sim_rng *r) {
    /* No cached second value: a stream's state is then just s[4]. */
    for (;;) {
        double u = 2.0 * sim_rng_uniform(r) - 1.0, v = 2.0 * sim_rng_uniform(r) - 1.0;
        double q = u * u + v * v;
        if (q > 0.0 && q < 1.0) return u * sqrt(-2.0 * log(q) / q);
    }
}

int64_t sim_rng_below(sim_rng *r, int64_t n) {
    if (n <= 1) return 0;
    return (int64_t)(sim_rng_uniform(r) * (double)n) % n;
}

double sim_rng_loguniform(sim_rng *r, double lo, double hi) {
    return exp(log(lo) + sim_rng_uniform(r) * (log(hi) - log(lo)));
}

/* Hormann (1993), "The transformed rejection method for generating Poisson
 * random variables", algorithm PTRS; constants as in the paper and numpy. */
static int64_t poisson_ptrs(sim_rng *r, double lam) {
    double slam = sqrt(lam), loglam = log(lam);
    double b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double U = sim_rng_uniform(r) - 0.5;
        double V = sim_rng_uniform(r);
        double us = 0.5 - fabs(U);
        double k = floor((2 * a / us + b) * U + lam + 0.43);
        if (us >= 0.07 && V <= vr) return (int64_t)k;
        if (k < 0 || (us < 0.013 && V > us)) continue;
        if (log(V) + log(invalpha) - log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1))
            return (int64_t)k;
    }
}

int64_t sim_rng_poisson(sim_rng *r, double lambda) {
    if (!(lambda > 0)) return 0;
    if (lambda >= 10) return poisson_ptrs(r, lambda);
    /* Knuth: count uniforms until their product falls below exp(-lambda). */
    double limit = exp(-lambda), prod = sim_rng_uniform(r);
    int64_t k = 0;
    while (prod > limit) {
        prod *= sim_rng_uniform(r);
        k++;
    }
    return k;
}

/* Counter-based: the value is a pure function of (key, counter), hashed
 * through splitmix64 twice for two uniforms, then Box-Muller. A pixel's draw
 * does not depend on which pixels were drawn before it. */
double sim_rng_hash_normal(uint64_t key, uint64_t counter) {
    uint64_t x = key ^ (counter * 0x9E3779B97F4A7C15ULL);
    uint64_t h1 = splitmix64(&x), h2 = splitmix64(&x);
    double u1 = ((double)(h1 >> 11) + 0.5) * 0x1.0p-53, u2 = (double)(h2 >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t sim_rng_key(uint64_t seed, uint64_t purpose, int64_t a, int64_t b) {
    sim_rng r;
    sim_rng_seed(&r, seed, purpose, a, b);
    return sim_rng_next(&r);
}

/* Marsaglia & Tsang (2000); shape < 1 through Gamma(shape + 1) * U^(1/shape). */
double sim_rng_gamma(sim_rng *r, double shape) {
    if (shape < 1.0) {
        double u = sim_rng_uniform(r);
        return sim_rng_gamma(r, shape + 1.0) * pow(u > 0 ? u : 0x1.0p-53, 1.0 / shape);
    }
    const double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = sim_rng_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = sim_rng_uniform(r);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}
