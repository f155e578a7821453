// The counter-based draws of nn_rng.c (mix64, nn_rng_u32_at) on the device, verbatim: a draw
// is a pure function of (seed, counter), so a kernel draws element i's number directly and
// the GPU's dropout and stochastic depth are the CPU's bit for bit.
#ifndef HITWIN_GPU_RNG_CUH
#define HITWIN_GPU_RNG_CUH

#include <stdint.h>

#define HW_GOLDEN 0x9E3779B97F4A7C15ULL

__device__ __forceinline__ static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

__device__ __forceinline__ static uint32_t rng_u32_at(uint64_t seed, uint64_t counter) {
    uint64_t key = mix64(seed + HW_GOLDEN);
    return (uint32_t)(mix64(key + (counter + 1) * HW_GOLDEN) >> 32);
}

#endif
