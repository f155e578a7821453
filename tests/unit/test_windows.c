/* Tiling geometry and QC against the reference's numbers (reference.md 1.2). */
#include <stdlib.h>

#include "hitwin/windows.h"
#include "test_util.h"

int main(void) {
    /* mm10 at 10 kb, tile 224, stride 28: the reference counts 8,655 windows on
     * chr1-19, chr2 643, chr18 316, and the last chr19 start is 59,080,000. */
    static const int64_t mm10[19] = {195471971, 182113224, 160039680, 156508116, 151834684,
                                     149736546, 145441459, 129401213, 124595110, 130694993,
                                     122082543, 120129022, 120421639, 124902244, 104043685,
                                     98207768,  94987271,  90702639,  61431566};
    int64_t total = 0;
    for (int c = 0; c < 19; c++) total += hw_window_count(mm10[c], 10000, 224, 28);
    CHECK_INT_EQ(total, 8655);
    CHECK_INT_EQ(hw_window_count(mm10[1], 10000, 224, 28), 643);
    CHECK_INT_EQ(hw_window_count(mm10[17], 10000, 224, 28), 316);
    CHECK_INT_EQ((hw_window_count(mm10[18], 10000, 224, 28) - 1) * 28 * 10000, 59080000);
    /* the tail rule: a window is kept iff start + 2,230,000 <= L */
    CHECK_INT_EQ(hw_window_count(2229999, 10000, 224, 28), 0);
    CHECK_INT_EQ(hw_window_count(2230000, 10000, 224, 28), 1);
    CHECK_INT_EQ(hw_window_count(2230000 + 279999, 10000, 224, 28), 1);
    CHECK_INT_EQ(hw_window_count(2230000 + 280000, 10000, 224, 28), 2);

    /* a tile cut from a band is the symmetric matrix */
    enum { N = 40, W = 8, T = 8 };
    float *band = calloc(N * W, sizeof *band);
    for (int i = 0; i < N; i++)
        for (int d = 0; d < W; d++) band[i * W + d] = i + d < N ? (float)(1000 * i + d) : 0.0f;
    float tile[T * T];
    hw_tile_from_band(tile, band, N, W, 10, T);
    for (int r = 0; r < T; r++)
        for (int c = 0; c < T; c++) {
            int lo = r < c ? r : c, d = abs(r - c);
            CHECK_NEAR(tile[r * T + c], 1000 * (10 + lo) + d, 0, 0);
        }
    /* beyond the last bin (chromosome end inside the window) reads as 0 */
    hw_tile_from_band(tile, band, N, W, 36, T);
    CHECK_NEAR(tile[3 * T + 3], 1000 * 39, 0, 0);
    CHECK_NEAR(tile[4 * T + 4], 0, 0, 0);
    CHECK_NEAR(tile[7 * T + 2], 0, 0, 0);
    CHECK_NEAR(tile[2 * T + 3], 1000 * 38 + 1, 0, 0);
    free(band);

    /* QC: 202 of 224 rows is enough, 201 is not (0.9 * 224 = 201.6) */
    CHECK_INT_EQ(hw_tile_passes(202, 224, 0.9), 1);
    CHECK_INT_EQ(hw_tile_passes(201, 224, 0.9), 0);
    float *big = calloc(224 * 224, sizeof *big);
    for (int r = 0; r < 202; r++) big[r * 224 + (r * 7) % 224] = 0.5f;
    big[203 * 224 + 5] = -1.0f; /* negative values do not cover a row */
    CHECK_INT_EQ(hw_tile_rows_covered(big, 224), 202);
    free(big);
    return TEST_RESULT();
}
