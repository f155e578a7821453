/* hw_bf16_round (nn_bf16.h), the host reference of the GPU's bf16 casts: exact bits for the
 * cases that matter (ties to even, carries into the exponent, the largest finite value and
 * the overflow to inf, signed zeros, subnormals, infinities, NaN kept as NaN), then 10^6
 * random fp32 bit patterns against a direct definition: the nearer of the two bf16 values
 * around x (compared in double), the even one on a tie. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/nn.h"
#include "hitwin/nn_bf16.h"
#include "test_util.h"

static float from_bits(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static int failures_before;

#define CHECK_BF16(in_bits, want)                                                          \
    do {                                                                                   \
        uint16_t got_ = hw_bf16_bits(from_bits(in_bits));                                  \
        if (got_ != (uint16_t)(want)) {                                                    \
            fprintf(stderr, "%s:%d: bf16 of 0x%08x is 0x%04x, expected 0x%04x\n", __FILE__, \
                    __LINE__, (unsigned)(in_bits), got_, (unsigned)(want));                \
            test_failures++;                                                               \
        }                                                                                  \
    } while (0)

/* the nearest bf16 by definition: candidates t (truncated) and t + 1 ulp, in double */
static uint16_t nearest_even(uint32_t u) {
    const uint32_t lo = u & 0xffff0000u;
    const uint32_t hi = lo + 0x10000u; /* the next bf16 away from zero (inf after the max) */
    const double x = from_bits(u), a = from_bits(lo);
    /* above the largest bf16 the next value is inf; IEEE rounding measures against 2^128 */
    const double b = (hi & 0x7fffffffu) == 0x7f800000u ? copysign(0x1p128, x) : from_bits(hi);
    const double da = fabs(x - a), db = fabs(x - b);
    if (da < db) return (uint16_t)(lo >> 16);
    if (db < da) return (uint16_t)(hi >> 16);
    return (uint16_t)(((lo >> 16) & 1u) ? hi >> 16 : lo >> 16);
}

int main(void) {
    failures_before = test_failures;
    /* 1 and the neighbourhood of 1 (bf16 spacing 2^-7 there) */
    CHECK_BF16(0x3f800000u, 0x3f80);  /* 1 */
    CHECK_BF16(0x3f808000u, 0x3f80);  /* 1 + 2^-8: a tie, 1 is even */
    CHECK_BF16(0x3f818000u, 0x3f82);  /* 1 + 3*2^-8: a tie, 1 + 2^-7 is odd: up */
    CHECK_BF16(0x3f80c000u, 0x3f81);  /* 1 + 3*2^-9: above the midpoint */
    CHECK_BF16(0x3f807fffu, 0x3f80);  /* just below the midpoint */
    CHECK_BF16(0x3f808001u, 0x3f81);  /* just above */
    CHECK_BF16(0xbf808000u, 0xbf80);  /* -(1 + 2^-8): ties to even on the magnitude */
    CHECK_BF16(0x3fffffffu, 0x4000);  /* 2 - 2^-23: the carry goes into the exponent */
    CHECK(hw_bf16_round(1.0f + 0x1p-8f) == 1.0f);
    CHECK(hw_bf16_round(1.0f + 3.0f * 0x1p-9f) == 1.0f + 0x1p-7f);
    CHECK(hw_bf16_value(0x3f81) == 1.0078125f);
    /* the largest finite bf16, (2 - 2^-7) 2^127, and the overflow above it */
    CHECK_BF16(0x7f7f0000u, 0x7f7f);
    CHECK(hw_bf16_value(0x7f7f) == 0x1.fep127f);
    CHECK_BF16(0x7f7f7fffu, 0x7f7f);  /* below the midpoint to 2^128 */
    CHECK_BF16(0x7f7f8000u, 0x7f80);  /* the midpoint: 0x7f7f is odd, so up: inf */
    CHECK_BF16(0x7f7fffffu, 0x7f80);  /* FLT_MAX rounds to inf */
    CHECK(isinf(hw_bf16_round(FLT_MAX)) && hw_bf16_round(-FLT_MAX) < 0.0f);
    /* infinities, zeros */
    CHECK_BF16(0x7f800000u, 0x7f80);
    CHECK_BF16(0xff800000u, 0xff80);
    CHECK_BF16(0x00000000u, 0x0000);
    CHECK_BF16(0x80000000u, 0x8000);  /* -0 keeps its sign */
    CHECK(signbit(hw_bf16_round(-0.0f)) && hw_bf16_round(-0.0f) == 0.0f);
    /* NaN stays NaN: quiet NaN, negative NaN, and a signalling NaN whose payload sits in the
     * dropped bits (truncation would make it inf) */
    CHECK_BF16(0x7fc00000u, 0x7fc0);
    CHECK_BF16(0xffc00000u, 0xffc0);
    CHECK_BF16(0x7f800001u, 0x7fc0);
    CHECK(isnan(hw_bf16_round(NAN)) && isnan(hw_bf16_round(from_bits(0x7f800001u))));
    /* subnormals round like everything else (no flush to zero) */
    CHECK_BF16(0x00000001u, 0x0000);  /* 2^-149: far below half of 2^-133 */
    CHECK_BF16(0x00008000u, 0x0000);  /* half of the smallest bf16 subnormal: tie to 0 */
    CHECK_BF16(0x00008001u, 0x0001);
    CHECK_BF16(0x00018000u, 0x0002);  /* tie between 0x0001 and 0x0002: even */
    CHECK_BF16(0x00010000u, 0x0001);  /* 2^-133, a bf16 subnormal, exact */
    CHECK_BF16(0x007fffffu, 0x0080);  /* the largest fp32 subnormal rounds to FLT_MIN */
    CHECK_BF16(0x80008001u, 0x8001);
    CHECK(hw_bf16_round(0x1p-133f) == 0x1p-133f && hw_bf16_round(FLT_MIN) == FLT_MIN);
    /* the array form, in place */
    float v[3] = {1.0f + 0x1p-8f, -0.0f, 3.0f};
    hw_bf16_round_array(v, v, 3);
    CHECK(v[0] == 1.0f && v[1] == 0.0f && signbit(v[1]) && v[2] == 3.0f);
    const int exact_failures = test_failures - failures_before;

    /* random bit patterns, every finite class: against the definition */
    NnRng rng;
    nn_rng_init(&rng, 2024);
    size_t bad = 0, n = 0;
    for (int k = 0; k < 1000000; k++) {
        uint32_t u = nn_rng_u32(&rng);
        if ((u & 0x7f800000u) == 0x7f800000u) continue; /* inf and NaN: checked above */
        n++;
        uint16_t got = hw_bf16_bits(from_bits(u)), want = nearest_even(u);
        if (got != want) {
            if (bad < 5)
                fprintf(stderr, "bf16 of 0x%08x is 0x%04x, the nearest (even) is 0x%04x\n",
                        (unsigned)u, got, want);
            bad++;
        }
    }
    printf("exact cases: %d failed; random: %zu of %zu differ from the definition\n",
           exact_failures, bad, n);
    CHECK(bad == 0);
    return TEST_RESULT();
}
