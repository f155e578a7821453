/* The outputs of `hitwin distance` for one checkpoint (docs/distance.md): one HDF5
 * file (pairs and per-window tables, provenance attributes), the reference's raw and
 * summary CSV files per measure, and bedGraph tracks. Written by one rank, every
 * file under a temporary name, all renamed only when all are complete. */
#ifndef HITWIN_DISTANCE_OUTPUT_H
#define HITWIN_DISTANCE_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "hitwin/distance.h"
#include "hitwin/tile_store.h"

#define HW_DISTANCE_FORMAT "hitwin-distances"
#define HW_DISTANCE_VERSION 1

/* Every pair of samples that both passed QC at a window, lower sample index first,
 * windows in tile-store order. */
typedef struct {
    int64_t n, cap;
    int64_t *window;          /* index into the store's /windows */
    int32_t *a, *b;           /* sample indices, a < b */
    int8_t *label;            /* 0 within (same condition), 1 between */
    double *d[HW_N_MEASURES]; /* distances */
} hw_pair_table;

void hw_pair_table_reserve(hw_pair_table *p, int64_t n);
void hw_pair_table_free(hw_pair_table *p);

/* Per window with at least one pair: means over the pairs of each label (NaN when
 * the window has no pair of that label or no finite value), and the Twins score
 * max(between - within, 0). */
typedef struct {
    int64_t n;
    int64_t *window, *start, *middle, *end; /* end = start + resolution * tile (tile span) */
    int32_t *chrom;
    int8_t *split;
    int32_t *n_within, *n_between;
    double *within[HW_N_MEASURES], *between[HW_N_MEASURES], *score[HW_N_MEASURES];
} hw_window_table;

void hw_window_table_build(hw_window_table *w, const hw_pair_table *p, const hw_tile_meta *m);
void hw_window_table_free(hw_window_table *w);

typedef struct {
    const char *out_dir;
    const char *ckpt_path, *ckpt_base; /* base: file name without directory and extension */
    char **ckpt_meta;                  /* [2 * n_ckpt_meta] key, value (safetensors __metadata__) */
    int n_ckpt_meta;
    const char *store_path;
    const char *run_config;            /* YAML of this run's settings */
    const char *split;
    const hw_tile_meta *meta;
    int baselines;                     /* 0: no CSV / bedGraph files for SSIM, Pearson, MSE */
} hw_distance_run;

/* Write every output of one checkpoint; returns 0, or -1 with hw_error set and
 * nothing left behind. */
int hw_distance_write(const hw_distance_run *run, const hw_pair_table *p, const hw_window_table *w);

/* The reference's Chromosome column: "chr" + key, without doubling an existing prefix. */
void hw_reference_chrom(char *out, size_t cap, const char *name);
/* A double as Python's repr / pandas to_csv writes it ("" for NaN). */
void hw_format_double(char *out, size_t cap, double v);

#endif
