/* Random numbers for the simulator. Every random decision is drawn from a
 * stream named by (seed, purpose, a, b) - e.g. (seed, "counts", chromosome,
 * sample) - so a chromosome's data do not depend on which rank made it or in
 * which order: 1 rank and 64 ranks write the same files.
 *
 * Generator: xoshiro256** seeded through splitmix64 (Blackman & Vigna). */
#ifndef HITWIN_SIM_RNG_H
#define HITWIN_SIM_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} sim_rng;

/* Purposes of streams; a new purpose gets a new number, old ones never change
 * (changing one changes every file made with a given seed). */
enum {
    SIM_STREAM_STRUCTURE = 1, /* a = chromosome: compartments, TADs, loops */
    SIM_STREAM_CHANGES = 2,   /* placement of planted changes (genome-wide) */
    SIM_STREAM_GENOMEWIDE = 3,/* a = chromosome: locus-specific magnitudes */
    SIM_STREAM_LIBRARY = 4,   /* a = sample: depth, slope of the library */
    SIM_STREAM_BIAS = 5,      /* a = chromosome, b = sample (or -1 = shared) */
    SIM_STREAM_BIOLOGY = 6,   /* a = chromosome, b = sample */
    SIM_STREAM_COUNTS = 7,    /* a = chromosome, b = sample */
    SIM_STREAM_PIXEL = 8,     /* a = chromosome, b = sample: counter-based pixel pattern */
    SIM_STREAM_DISPERSION = 9,/* a = chromosome, b = sample: gamma-Poisson rates */
};

void sim_rng_seed(sim_rng *r, uint64_t seed, uint64_t purpose, int64_t a, int64_t b);
uint64_t sim_rng_next(sim_rng *r);
double sim_rng_uniform(sim_rng *r);              /* [0, 1) with 53 random bits */
double sim_rng_normal(sim_rng *r);               /* N(0, 1), polar method */
int64_t sim_rng_below(sim_rng *r, int64_t n);    /* uniform integer in [0, n) */
double sim_rng_loguniform(sim_rng *r, double lo, double hi);

/* Poisson(lambda): exact multiplication method below lambda = 10, Hormann's
 * PTRS transformed rejection above (also exact; the sampler numpy uses). */
int64_t sim_rng_poisson(sim_rng *r, double lambda);

/* Gamma(shape, scale 1) (Marsaglia-Tsang). */
double sim_rng_gamma(sim_rng *r, double shape);

/* Counter-based draws: a key names the stream (seed, purpose, a, b), the
 * counter the draw (e.g. a pixel), so values do not depend on draw order. */
uint64_t sim_rng_key(uint64_t seed, uint64_t purpose, int64_t a, int64_t b);
double sim_rng_hash_normal(uint64_t key, uint64_t counter);

#endif
