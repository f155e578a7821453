/* GELU (exact: 0.5 x (1 + erf(x / sqrt 2)), torch's default approximate='none') and
 * inverted dropout with a mask drawn from the counter-based generator. */
#include "hitwin/nn.h"

#include <math.h>
#include <string.h>

#define NN_INV_SQRT2 0.70710678118654752f
#define NN_INV_SQRT_2PI 0.39894228040143268f

void gelu_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + erff(x * NN_INV_SQRT2));
    }
}

void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float cdf = 0.5f * (1.0f + erff(x * NN_INV_SQRT2));
        float pdf = NN_INV_SQRT_2PI * expf(-0.5f * x * x);
        dinp[i] += dout[i] * (cdf + x * pdf);
    }
}

void dropout_forward(float *out, uint8_t *mask, const float *inp, float p, NnRng *rng, size_t n) {
    if (p <= 0.0f) {
        memmove(out, inp, n * sizeof(float));
        memset(mask, 1, n);
        return;
    }
    if (p >= 1.0f) {
        memset(out, 0, n * sizeof(float));
        memset(mask, 0, n);
        rng->counter += n;
        return;
    }
    /* keep when the 24-bit uniform u satisfies u >= p */
    const uint32_t threshold = (uint32_t)((double)p * 16777216.0);
    const float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        uint8_t keep = (nn_rng_u32_at(rng->seed, rng->counter + i) >> 8) >= threshold;
        mask[i] = keep;
        out[i] = keep ? inp[i] * scale : 0.0f;
    }
    rng->counter += n;
}

void dropout_backward(float *dinp, const float *dout, const uint8_t *mask, float p, size_t n) {
    if (p >= 1.0f) return;
    const float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++)
        if (mask[i]) dinp[i] += dout[i] * scale;
}
