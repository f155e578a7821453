/* Internal to src/nn: the hash behind nn_rng_u32_at, inline, so that a loop of draws
 * (dropout's mask) hoists the per-seed key and makes no call per element. Draw k of seed
 * s is mix64(mix64(s + golden) + (k + 1) * golden) >> 32 (nn_rng.c). */
#ifndef HITWIN_NN_RNG_MIX_H
#define HITWIN_NN_RNG_MIX_H

#include <stdint.h>

#define NN_GOLDEN 0x9E3779B97F4A7C15ULL

/* splitmix64's finaliser */
static inline uint64_t nn_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t nn_rng_key(uint64_t seed) { return nn_mix64(seed + NN_GOLDEN); }

static inline uint32_t nn_rng_draw(uint64_t key, uint64_t counter) {
    return (uint32_t)(nn_mix64(key + (counter + 1) * NN_GOLDEN) >> 32);
}

#endif
