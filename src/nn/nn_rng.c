/* Seeded counter-based random numbers and PyTorch-default parameter initialisation.
 * Draw k of a stream is splitmix64's output for state mix(seed) + (k+1)*golden, so it
 * depends only on (seed, k): CPU and GPU can produce identical dropout masks. */
#include "hitwin/nn.h"

#include "nn_rng_mix.h"

#include <math.h>

void nn_rng_init(NnRng *rng, uint64_t seed) {
    rng->seed = seed;
    rng->counter = 0;
}

uint32_t nn_rng_u32_at(uint64_t seed, uint64_t counter) { return nn_rng_draw(nn_rng_key(seed), counter); }

uint32_t nn_rng_u32(NnRng *rng) { return nn_rng_u32_at(rng->seed, rng->counter++); }

float nn_rng_uniform(NnRng *rng) { return (float)(nn_rng_u32(rng) >> 8) * (1.0f / 16777216.0f); }

float nn_rng_normal(NnRng *rng) {
    /* u1 in (0, 1] so the log is finite */
    double u1 = ((double)(nn_rng_u32(rng) >> 8) + 1.0) * (1.0 / 16777216.0);
    double u2 = (double)(nn_rng_u32(rng) >> 8) * (1.0 / 16777216.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void nn_fill_uniform(float *out, size_t n, float lo, float hi, NnRng *rng) {
    for (size_t i = 0; i < n; i++) out[i] = lo + (hi - lo) * nn_rng_uniform(rng);
}

void nn_fill_normal(float *out, size_t n, float mean, float std, NnRng *rng) {
    for (size_t i = 0; i < n; i++) out[i] = mean + std * nn_rng_normal(rng);
}

/* kaiming_uniform_(a=sqrt(5)): gain = sqrt(2/(1+a^2)) = sqrt(1/3), bound =
 * gain*sqrt(3/fan_in) = 1/sqrt(fan_in); the bias bound is 1/sqrt(fan_in) as well. */
static void init_fan_in(float *weight, size_t nw, float *bias, size_t nb, int fan_in, NnRng *rng) {
    float bound = fan_in > 0 ? 1.0f / sqrtf((float)fan_in) : 0.0f;
    nn_fill_uniform(weight, nw, -bound, bound, rng);
    if (bias) nn_fill_uniform(bias, nb, -bound, bound, rng);
}

void nn_init_conv2d(float *weight, float *bias, int OC, int C_per_group, int KH, int KW, NnRng *rng) {
    int fan_in = C_per_group * KH * KW;
    init_fan_in(weight, (size_t)OC * fan_in, bias, (size_t)OC, fan_in, rng);
}

void nn_init_linear(float *weight, float *bias, int OUT, int IN, NnRng *rng) {
    init_fan_in(weight, (size_t)OUT * IN, bias, (size_t)OUT, IN, rng);
}
