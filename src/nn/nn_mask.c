/* The reference's diagonal mask: zero the bins within band-1 diagonals of the main one
 * (|i - j| < band) in every H x W plane. Self-adjoint, so backward is the same product. */
#include "hitwin/nn.h"

static void mask_plane(float *out, const float *inp, int band, int H, int W, int accumulate) {
    for (int i = 0; i < H; i++) {
        for (int j = 0; j < W; j++) {
            int d = i > j ? i - j : j - i;
            float v = d >= band ? inp[(size_t)i * W + j] : 0.0f;
            if (accumulate)
                out[(size_t)i * W + j] += v;
            else
                out[(size_t)i * W + j] = v;
        }
    }
}

void diagmask_forward(float *out, const float *inp, int band, int BC, int H, int W) {
    for (size_t p = 0; p < (size_t)BC; p++) mask_plane(out + p * H * W, inp + p * H * W, band, H, W, 0);
}

void diagmask_backward(float *dinp, const float *dout, int band, int BC, int H, int W) {
    for (size_t p = 0; p < (size_t)BC; p++) mask_plane(dinp + p * H * W, dout + p * H * W, band, H, W, 1);
}
