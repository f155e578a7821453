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

/* out = in, each distance replaced by the mean of the same pair's finite distances at the
 * window and at the windows of the same chromosome whose start is at most h strides away
 * (docs/distance.md "Neighbouring windows"); NaN stays NaN; h <= 0: a copy. out is new
 * (free it with hw_pair_table_free). */
#define HW_DEFAULT_NEIGHBOURS 2
void hw_pair_table_neighbours(const hw_pair_table *in, const hw_tile_meta *m, int h, hw_pair_table *out);

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
    /* hw_window_table_scores (src/distance/window_scores.c, docs/distance.md) */
    double *diff[HW_N_MEASURES];  /* between - within, unclipped */
    double *z[HW_N_MEASURES];     /* pair-centred diff / (sigma sqrt(1/n_between + 1/n_within)) */
    double *p[HW_N_MEASURES];     /* one-sided normal p of z */
    double *q[HW_N_MEASURES];     /* Benjamini-Hochberg over the windows with a p */
    int8_t *called[HW_N_MEASURES]; /* q <= fdr */
    double sigma[HW_N_MEASURES];  /* 1.4826 MAD of the within residuals, genome-wide */
    int64_t n_null[HW_N_MEASURES]; /* within residuals that sigma is taken from */
    double fdr;
} hw_window_table;

#define HW_DEFAULT_FDR 0.05

void hw_window_table_build(hw_window_table *w, const hw_pair_table *p, const hw_tile_meta *m);
void hw_window_table_free(hw_window_table *w);

/* Fill diff, z, p, q, called, sigma and n_null of a built table from its pairs
 * (windows in the table's order, as hw_window_table_build leaves them). diff = between -
 * within of the table. The rest is on the pair-centred distances (each less its sample
 * pair's median over the genome): at every window with m >= 2 finite within distances,
 * their residuals from the window's within mean times sqrt(m / (m - 1)); sigma = 1.4826
 * median |residual|; z = (centred between - centred within) / (sigma sqrt(1/nb + 1/nw));
 * p = hw_normal_sf(z). NaN (not called) where a window lacks a within or a between
 * distance, or no window has two within ones. */
void hw_window_table_scores(hw_window_table *w, const hw_pair_table *p, double fdr);

/* The combined measure and the hybrid score (combined_measure.c): scale[0..2] = the robust
 * spread (below) over the windows of between - within of pairwise, maps and pearson in p's
 * window table (1 where it is 0 or undefined); then every pair's d[combined] =
 * d[pairwise] / scale[0] + d[maps] / scale[1] and d[hybrid] = d[combined] + d[pearson] /
 * scale[2] (NaN where a part is: hybrid is NaN throughout without baselines). The stage takes
 * the scales from each window's own pairs, before the neighbour average, so that a pair's
 * distance is the same whatever --neighbours says. */
#define HW_N_SUM_PARTS 3
void hw_combined_scales(const hw_pair_table *p, const hw_tile_meta *m, double scale[HW_N_SUM_PARTS]);
void hw_pair_table_combine(hw_pair_table *p, const double scale[HW_N_SUM_PARTS]);
/* 1.4826 times the median absolute deviation from the median of the finite values; NaN
 * when there are none. */
double hw_robust_spread(const double *x, int64_t n);

/* P(Z >= z) for a standard normal Z; NaN for NaN z. */
double hw_normal_sf(double z);
/* Benjamini-Hochberg q-values (scipy.stats.false_discovery_control, method bh) over
 * the finite p; NaN p gives NaN q and does not count in the number of tests. */
void hw_bh_qvalues(const double *p, int64_t n, double *q);

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
    const char *model_name;            /* the checkpoint's backbone (SLeNet, SMaxViT, ...): the
                                          model_name column of the embedding measures; NULL: SLeNet */
} hw_distance_run;

/* Write every output of one checkpoint; returns 0, or -1 with hw_error set and
 * nothing left behind. hw_distance_write_temps + hw_distance_commit(f, 1). */
int hw_distance_write(const hw_distance_run *run, const hw_pair_table *p, const hw_window_table *w);

/* The two halves, for a stage that lets every rank agree in between (a rank lost while
 * the files are written then leaves none of them): every output written under its
 * temporary name (NULL, hw_error set and nothing left, on failure); then renamed into
 * place when keep, else removed. Commit frees f; returns 0 or -1 (nothing left). While
 * they exist, the temporary files and the part of the set already renamed are removed
 * if the job is stopped (hw_temp_add). */
typedef struct hw_distance_files hw_distance_files;
hw_distance_files *hw_distance_write_temps(const hw_distance_run *run, const hw_pair_table *p,
                                           const hw_window_table *w);
int hw_distance_commit(hw_distance_files *f, int keep);

/* The reference's Chromosome column: "chr" + key, without doubling an existing prefix. */
void hw_reference_chrom(char *out, size_t cap, const char *name);
/* A double as Python's repr / pandas to_csv writes it ("" for NaN). */
void hw_format_double(char *out, size_t cap, double v);

#endif
