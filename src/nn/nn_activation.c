/* GELU (exact: 0.5 x (1 + erf(x / sqrt 2)), torch's default approximate='none') and
 * inverted dropout with a mask drawn from the counter-based generator; SiLU and sigmoid for
 * MaxViT's squeeze-excitation. */
#include "hitwin/nn.h"
#include "hitwin/nn_maxvit.h"

#include "nn_rng_mix.h"

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

/* ---- log1p of counts ---------------------------------------------------------------- */

static inline uint32_t float_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static inline float bits_float(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* log1p(y), y >= 0 finite, without branches or calls, so that GCC vectorises the loop
 * (libm's log1pf, one call per pixel, was a tenth of a training step): u = 1 + y rounded,
 * log1p(y) = log(u) + (y - (u - 1)) / u (the second term restores what the rounding of u
 * lost), log(u) = E ln 2 + log(m) with u = 2^E m, m in [sqrt(1/2), sqrt(2)), and log(m)
 * by Cephes' logf polynomial (relative error ~1e-7) with ln 2 split in two parts. */
static inline float log1p_nonneg(float y) {
    const float u = 1.0f + y;
    const float c = (y - (u - 1.0f)) / u;
    const uint32_t b = float_bits(u);
    /* m in [sqrt(1/2), sqrt(2)): the mantissa with exponent 0, or -1 above sqrt(2); all
     * in integers, since GCC will not if-convert a float select (it "could trap") */
    const uint32_t big = (b & 0x007FFFFFu) > 0x003504F3u;
    const float m = bits_float((b & 0x007FFFFFu) | (0x3F800000u - (big << 23)));
    const float f = m - 1.0f; /* exact */
    const float e = (float)((int)(b >> 23) - 127 + big);
    const float z = f * f;
    float p = 7.0376836292E-2f;
    p = p * f - 1.1514610310E-1f;
    p = p * f + 1.1676998740E-1f;
    p = p * f - 1.2420140846E-1f;
    p = p * f + 1.4249322787E-1f;
    p = p * f - 1.6668057665E-1f;
    p = p * f + 2.0000714765E-1f;
    p = p * f - 2.4999993993E-1f;
    p = p * f + 3.3333331174E-1f;
    float r = p * f * z;
    r += -2.12194440E-4f * e;
    r += -0.5f * z;
    r = f + r;
    r += 0.693359375f * e;
    return r + c;
}

/* an AVX2 copy of the loop (8 lanes) where the CPU has it, chosen at load time; without
 * FMA in the target no multiply-add is fused, so both copies round identically */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void log1p_clamped_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        /* selects as bit masks, not branches, so that the loop vectorises */
        const float x = inp[i];
        const uint32_t pass = 0u - (uint32_t)((x != x) | (x == INFINITY)); /* NaN and inf pass */
        const uint32_t pos = 0u - (uint32_t)(x > 0.0f);
        const float r = log1p_nonneg(bits_float(float_bits(x) & pos & ~pass));
        out[i] = bits_float((float_bits(x) & pass) | (float_bits(r) & ~pass));
    }
}

/* The mask loop: integer draws and selects as bit masks, so that it vectorises (the AVX2
 * copy runs 4 64-bit hashes per instruction); both copies give the same bits. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void dropout_mask_loop(float *out, uint8_t *mask, const float *inp, uint32_t threshold,
                              float scale, uint64_t key, uint64_t counter, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const uint32_t keep = 0u - (uint32_t)((nn_rng_draw(key, counter + i) >> 8) >= threshold);
        mask[i] = (uint8_t)(keep & 1u);
        out[i] = bits_float(float_bits(inp[i] * scale) & keep);
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
    /* nn_rng_u32_at's draws, key hoisted */
    dropout_mask_loop(out, mask, inp, threshold, scale, nn_rng_key(rng->seed), rng->counter, n);
    rng->counter += n;
}

void dropout_backward(float *dinp, const float *dout, const uint8_t *mask, float p, size_t n) {
    if (p >= 1.0f) return;
    const float scale = 1.0f / (1.0f - p);
    /* the dropped elements add +0 through a bit mask, not a branch: the loop vectorises
     * (a NaN or inf dout of a dropped element still adds nothing) */
    for (size_t i = 0; i < n; i++) {
        const uint32_t keep = 0u - (uint32_t)(mask[i] != 0);
        dinp[i] += bits_float(float_bits(dout[i] * scale) & keep);
    }
}

/* ---- SiLU and sigmoid (MaxViT's squeeze-excitation, nn_maxvit.h) ----------------------- */

static inline float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

void silu_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = inp[i] * sigmoidf(inp[i]);
}

void silu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) { /* d(x s)/dx = s (1 + x (1 - s)) */
        const float s = sigmoidf(inp[i]);
        dinp[i] += dout[i] * s * (1.0f + inp[i] * (1.0f - s));
    }
}

void sigmoid_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = sigmoidf(inp[i]);
}

void sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n) {
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
}
