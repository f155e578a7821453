#include "hitwin/windows.h"

int64_t hw_window_count(int64_t length, int32_t resolution, int32_t tile, int32_t stride) {
    /* reference: end = min(start + span - res, L); skipped when end - start < span - res */
    int64_t reach = (int64_t)(tile - 1) * resolution;
    if (length < reach) return 0;
    return (length - reach) / ((int64_t)stride * resolution) + 1;
}

void hw_tile_from_band(float *tile_out, const float *band, int64_t nbins, int64_t width,
                       int64_t start, int32_t tile) {
    for (int32_t r = 0; r < tile; r++) {
        float *row = tile_out + (int64_t)r * tile;
        /* left of the diagonal: mirror of (start + c, start + r) */
        for (int32_t c = 0; c < r; c++) {
            int64_t i = start + c;
            row[c] = i < nbins ? band[i * width + (r - c)] : 0.0f;
        }
        int64_t i = start + r;
        if (i < nbins) {
            const float *src = band + i * width;
            for (int32_t c = r; c < tile; c++) row[c] = src[c - r];
        } else {
            for (int32_t c = r; c < tile; c++) row[c] = 0.0f;
        }
    }
}

int hw_tile_rows_covered(const float *tile, int32_t n) {
    int covered = 0;
    for (int32_t r = 0; r < n; r++) {
        const float *row = tile + (int64_t)r * n;
        for (int32_t c = 0; c < n; c++) {
            if (row[c] > 0.0f) {
                covered++;
                break;
            }
        }
    }
    return covered;
}

int hw_tile_passes(int rows_covered, int32_t tile, double min_row_coverage) {
    /* reference: reject if count < 0.9 * pixel_size (so 202 of 224 rows) */
    return (double)rows_covered >= min_row_coverage * (double)tile;
}
