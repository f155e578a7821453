/* torchvision's StochasticDepth(p, mode="row"): a whole sample's residual branch is dropped
 * with probability p and kept ones are scaled by 1 / (1 - p), in training only. Draws come
 * from the counter-based generator, one per sample, so ranks and resumed runs reproduce them. */
#include "hitwin/nn_maxvit.h"

void stochastic_depth_forward(float *out, float *scale, const float *inp, float p, int train,
                              NnRng *rng, int B, size_t N) {
    const int active = train && p > 0.0f;
    for (int b = 0; b < B; b++) {
        float s = 1.0f;
        if (active) s = nn_rng_uniform(rng) < 1.0f - p ? 1.0f / (1.0f - p) : 0.0f;
        scale[b] = s;
        const float *x = inp + (size_t)b * N;
        float *o = out + (size_t)b * N;
        for (size_t i = 0; i < N; i++) o[i] = x[i] * s;
    }
}

void stochastic_depth_backward(float *dinp, const float *dout, const float *scale, int B, size_t N) {
    for (int b = 0; b < B; b++) {
        const float s = scale[b];
        const float *g = dout + (size_t)b * N;
        float *dx = dinp + (size_t)b * N;
        for (size_t i = 0; i < N; i++) dx[i] += g[i] * s;
    }
}
