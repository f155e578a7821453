/* Reading back what `hitwin distance` wrote (distance_output.h, docs/distance.md): the
 * per-window table and the pair table of one HDF5 distance file, for `hitwin plot` and
 * `hitwin evaluate`. The file is checked for its format attribute; a missing
 * table is one line naming the file. */
#ifndef HITWIN_DISTANCE_READ_H
#define HITWIN_DISTANCE_READ_H

#include <stdint.h>

#include "hitwin/distance.h"

#define HW_DIST_NAME_W 128

typedef struct {
    char path[4096];
    char checkpoint[4096]; /* the checkpoint attribute: what the distances came from */
    int64_t resolution;
    /* windows, in file order (grouped by chromosome, ascending start) */
    int64_t nw;
    char *chrom; /* [nw * HW_DIST_NAME_W] */
    int64_t *window, *start, *middle, *end;
    double *within[HW_N_MEASURES], *between[HW_N_MEASURES], *score[HW_N_MEASURES];
    /* the per-window statistics: NaN (not called) in files written before them (has_stats 0) */
    double *diff[HW_N_MEASURES], *z[HW_N_MEASURES];
    int8_t *called[HW_N_MEASURES];
    int has_stats;
    double fdr; /* the FDR the calls were made at */
    /* pairs */
    int64_t np;
    int64_t *pair_row; /* the row of the pair's window in the table above */
    int8_t *label;     /* 0 within, 1 between */
    double *d[HW_N_MEASURES];
} hw_distance_data;

int hw_distance_read(const char *path, hw_distance_data *out);
void hw_distance_data_free(hw_distance_data *d);
/* The name of window i. */
static inline const char *hw_distance_chrom(const hw_distance_data *d, int64_t i) {
    return d->chrom + (size_t)i * HW_DIST_NAME_W;
}
/* The default score of a distance file: HW_M_DEFAULT where the file has a value of it,
 * HW_M_DEFAULT_NO_BASELINES where it has none (a --no-baselines run, or a file written before
 * hitwin had hybrid) or cannot be read (the caller's own read then says why). */
int hw_distance_default_measure(const char *path);
/* Index of a measure name ("pairwise", ...), or -1 with
 * "unknown measure 'x' (expected one of: pairwise, cosine, ...)". */
int hw_measure_index(const char *name);

#endif
