/* Tiling geometry and QC, exactly the reference's .hic rules (reference.md 1.2),
 * applied to every input format:
 *   - window starts at bins 0, stride, 2*stride, ... ;
 *   - a window is evaluated iff start + (tile - 1) * resolution <= chromosome
 *     length (bp), so windows never cross the chromosome end;
 *   - a tile is kept iff at least min_row_coverage * tile of its rows hold a
 *     positive value (rows of the symmetric tile);
 *   - NaN and inf are 0, values are stored raw (no per-tile scaling). */
#ifndef HITWIN_WINDOWS_H
#define HITWIN_WINDOWS_H

#include <stdint.h>

/* Number of evaluated windows on a chromosome of `length` bp. */
int64_t hw_window_count(int64_t length, int32_t resolution, int32_t tile, int32_t stride);

/* Cut the symmetric tile x tile window starting at bin `start` out of a band
 * (band[i * width + d] = value at (i, i + d), width >= tile, nbins rows). */
void hw_tile_from_band(float *tile_out, const float *band, int64_t nbins, int64_t width,
                       int64_t start, int32_t tile);

/* Rows of a tile with at least one value > 0. */
int hw_tile_rows_covered(const float *tile, int32_t n);

/* The QC decision: rows_covered >= min_row_coverage * tile. */
int hw_tile_passes(int rows_covered, int32_t tile, double min_row_coverage);

#endif
