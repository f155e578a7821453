/* bfloat16 rounding on the host (nn_bf16.h): the reference for the GPU's bf16 casts. */
#include <string.h>

#include "hitwin/nn_bf16.h"

uint16_t hw_bf16_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: truncating could make it inf; keep it NaN */
        return (uint16_t)((u >> 16) | 0x0040u);
    /* add half of the dropped 16 bits' unit, less one unless the kept part is odd: a tie
     * (dropped bits exactly 0x8000) then rounds up only from an odd mantissa, i.e. to even.
     * A carry out of the mantissa bumps the exponent, which is the right result, up to inf. */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float hw_bf16_value(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

float hw_bf16_round(float x) { return hw_bf16_value(hw_bf16_bits(x)); }

void hw_bf16_round_array(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = hw_bf16_round(inp[i]);
}
