/* bfloat16 on the host: the rounding the GPU's bf16 mode performs (docs/gpu.md, Precision),
 * written in C so tests can build bf16 inputs and references for the CUDA ops.
 *
 * bf16 is the top half of an IEEE fp32: sign, the same 8 exponent bits, 7 mantissa bits
 * (about 2.4 decimal digits, relative spacing 2^-7). Rounding keeps fp32's range, so there
 * is no overflow to fear for values that fit in fp32, except those above the largest bf16
 * (3.3895e38), which round to infinity as IEEE rounding does.
 *
 * Rounding is to nearest, ties to even (what __float2bfloat16_rn and cvt.rn.bf16.f32 do);
 * subnormals round like any other value (no flush to zero); infinities and signed zeros
 * pass; a NaN stays a NaN (made quiet, its sign and top payload bits kept; the GPU gives a
 * canonical NaN instead, so compare NaN-ness, not NaN bits). */
#ifndef HITWIN_NN_BF16_H
#define HITWIN_NN_BF16_H

#include <stddef.h>
#include <stdint.h>

/* The bf16 bits of x, rounded to nearest even. */
uint16_t hw_bf16_bits(float x);
/* The fp32 value of bf16 bits b (exact: the low 16 bits are zero). */
float hw_bf16_value(uint16_t b);
/* x rounded to bf16 and back: hw_bf16_value(hw_bf16_bits(x)). */
float hw_bf16_round(float x);
/* out[i] = hw_bf16_round(inp[i]), in place allowed. */
void hw_bf16_round_array(float *out, const float *inp, size_t n);

#endif
