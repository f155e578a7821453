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

/* ---- GELU ------------------------------------------------------------------------------- */

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

/* GELU's Phi(x) = 0.5 (1 + erf(x / sqrt 2)) and exp(-x^2 / 2) without calls or branches, so
 * that GCC vectorises the loops (libm's erff, one call per element, was ~25 % of a maxvit_t
 * training step; docs/maxvit.md, "Speed"). With z = |x| / sqrt 2:
 *   z < 0.75:  erf(z) = z P(z^2), P of degree 6;
 *   otherwise: erfc(z) = exp(-z^2) Q(1 / z) / z, Q of degree 13 in 1 / z over z in [0.75, 9.5]
 *              (erfc(z) exp(z^2) z is smooth there), and Phi = erfc / 2 for x < 0, 1 - erfc / 2
 *              for x > 0: the lower tail keeps its relative accuracy where 1 + erf cancels;
 *              erfc and exp(-x^2 / 2) are 0 from z = 9.3 (|x| > 13.15, where they are < 1e-37),
 *              so that GELU(-inf) and GELU'(+-inf) are NaN, as torch's and libm's.
 * Both fits are least squares in a Chebyshev basis against double erf / erfc (relative error
 * 1e-7 evaluated in float); exp is Cephes' expf (range reduction by ln 2 in two parts, degree-5
 * polynomial). Against GELU in double (tests/unit/test_nn_gelu.c): the forward within
 * (8 + x^2 / 2) eps relative (a few ulps; the tail carries the rounding of x^2 in the exponent;
 * the erff formula has no relative accuracy left below x = -5), the derivative within 1.6e-7
 * absolute (the erff formula: 1.4e-7). Selects are bit masks:
 * GCC will not if-convert a float select ("could trap"). No multiply-add is fused (the AVX2
 * copy has no FMA), so both copies give the same bits. */
#define NN_BITS_0P75 0x3F400000u /* 0.75f */
#define NN_BITS_9P3 0x4114CCCDu  /* 9.3f */
#define NN_BITS_9P5 0x41180000u  /* 9.5f */
#define NN_BITS_87 0x42AE0000u   /* 87.0f */

/* exp(-s), s >= 0 (clamped to 87: exp(-87) ~ 1.6e-38 stays normal) */
static inline __attribute__((always_inline)) float exp_neg(float s) {
    const uint32_t sb = float_bits(s);
    const float t = -bits_float(sb < NN_BITS_87 ? sb : NN_BITS_87);
    const int n = -(int)(-t * 1.44269504088896341f + 0.5f); /* round(t / ln 2), t <= 0 */
    const float fn = (float)n;
    float r = t - fn * 0.693359375f;
    r = r + fn * 2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    const float y = p * r * r + r + 1.0f;
    return y * bits_float((uint32_t)(n + 127) << 23);
}

/* Phi(x); *e = exp(-x^2 / 2) */
static inline __attribute__((always_inline)) float gelu_cdf(float x, float *e) {
    const float z = fabsf(x) * NN_INV_SQRT2, s = 0.5f * (x * x); /* z^2, one rounding */
    const uint32_t xb = float_bits(x), zb = float_bits(z);
    const uint32_t live = 0u - (uint32_t)(zb < NN_BITS_9P3); /* 0 where erfc and e underflow */
    *e = bits_float(float_bits(exp_neg(s)) & live);
    /* z < 0.75: 0.5 + 0.5 erf(z) sign(x) */
    float p = 9.457299930e-05f;
    p = p * s - 8.353453019e-04f;
    p = p * s + 5.216470846e-03f;
    p = p * s - 2.686464001e-02f;
    p = p * s + 1.128377612e-01f;
    p = p * s - 3.761263825e-01f;
    p = p * s + 1.128379167e+00f;
    const float core = 0.5f + bits_float(float_bits(0.5f * z * p) ^ (xb & 0x80000000u));
    /* z >= 0.75: erfc(z) / 2 below 0, 1 - erfc(z) / 2 above */
    const float zc = bits_float(zb < NN_BITS_9P5 ? zb : NN_BITS_9P5), u = 1.0f / zc;
    const float v = u * 1.628571429f - 1.171428571f; /* (u - a) / b, [1/9.5, 1/0.75] -> [-1, 1] */
    float q = 4.772090572e-05f;
    q = q * v - 6.164179913e-05f;
    q = q * v - 1.187383320e-04f;
    q = q * v + 2.666773200e-04f;
    q = q * v - 2.343337188e-04f;
    q = q * v + 2.522382615e-04f;
    q = q * v - 1.027380054e-04f;
    q = q * v - 9.329749278e-04f;
    q = q * v + 3.582067193e-03f;
    q = q * v - 8.037209104e-03f;
    q = q * v + 1.084790274e-02f;
    q = q * v + 5.784064694e-03f;
    q = q * v - 1.044774877e-01f;
    q = q * v + 4.733876976e-01f;
    const float half_erfc = 0.5f * *e * q * u;
    const uint32_t neg = 0u - (xb >> 31);
    const float tail = bits_float((float_bits(half_erfc) & neg) | (float_bits(1.0f - half_erfc) & ~neg));
    const uint32_t small = 0u - (uint32_t)(zb < NN_BITS_0P75);
    return bits_float((float_bits(core) & small) | (float_bits(tail) & ~small));
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void gelu_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float e;
        out[i] = inp[i] * gelu_cdf(inp[i], &e);
    }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const float x = inp[i];
        float e;
        const float cdf = gelu_cdf(x, &e);
        dinp[i] += dout[i] * (cdf + x * (NN_INV_SQRT_2PI * e));
    }
}

/* ---- log1p of counts ---------------------------------------------------------------- */

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
