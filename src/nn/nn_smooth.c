/* The recipe's count smoothing (`smooth: H`, docs/recipe.md): each pixel of a tile becomes the
 * mean of the (2H + 1) x (2H + 1) square around it, clipped at the tile's edges (the mean over
 * the pixels that exist, so an edge pixel is not pulled towards zero). HiCRep smooths the same
 * way before its correlation: at a few contacts per pixel one pixel is mostly Poisson noise,
 * and a square of nine holds nine times the counts.
 *
 * Values <= 0 count as 0 (as the O/E transform reads them) and NaN propagates, so a bad tile
 * still ends in a non-finite loss. The sum runs in double in a fixed order (rows, then columns
 * of the square), the order of the CUDA twin (src/cuda/gpu_input.cu), so both give the same
 * float. No backward: the tiles are data. */
#include <math.h>

#include "hitwin/nn.h"

void box_smooth_forward(float *out, const float *inp, int S, int h) {
    for (int r = 0; r < S; r++) {
        const int r0 = r - h < 0 ? 0 : r - h, r1 = r + h >= S ? S - 1 : r + h;
        for (int c = 0; c < S; c++) {
            const int c0 = c - h < 0 ? 0 : c - h, c1 = c + h >= S ? S - 1 : c + h;
            double sum = 0.0;
            for (int i = r0; i <= r1; i++)
                for (int j = c0; j <= c1; j++) {
                    const float y = inp[(size_t)i * S + j];
                    sum += y > 0.0f ? y : isnan(y) ? y : 0.0f;
                }
            out[(size_t)r * S + c] = (float)(sum / ((r1 - r0 + 1) * (c1 - c0 + 1)));
        }
    }
}
