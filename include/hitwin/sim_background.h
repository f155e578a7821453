/* Real-map backgrounds for the simulator (docs/simulate.md, "Real-map
 * backgrounds"): a real Hi-C map, balanced, turned into observed/expected per
 * diagonal and smoothed, becomes the expected structure of every replicate;
 * its domain boundaries and loops, detected on that map, are where changes are
 * planted. Three concerns, three files:
 *   sim_background.c  the genome from the file, reading, balancing, O/E, smoothing
 *   sim_features.c    insulation boundaries and donut loops
 *   sim_bg_changes.c  the ground truth (sites, dense mode) and the per-condition maps
 * Everything here is deterministic and rank-independent: every rank builds the
 * same ground truth from the same file. Coordinates are bins of the simulate
 * resolution. */
#ifndef HITWIN_SIM_BACKGROUND_H
#define HITWIN_SIM_BACKGROUND_H

#include <stdint.h>

#include "hitwin/sim_config.h"

typedef struct {
    int64_t a, b;      /* anchor bins, a < b */
    int radius;        /* Chebyshev radius of the peak (pixels a loop change touches) */
    double log_donut;  /* log mean O/E of the donut around the peak */
    double enrichment; /* peak / donut */
} sim_bg_loop;

typedef struct {
    int64_t nbins, w;     /* band: pixel (i, i + d), 0 <= d < w */
    float *logoe;         /* control's expected structure: log smoothed O/E, nbins * w */
    float *treat;         /* treatment's (control + planted changes), nbins * w */
    unsigned char *mask;  /* per bin: 1 = has data in the background, 0 = unmappable */
    double *insulation;   /* per edge e (between bins e-1 and e), log2, NaN = undefined */
    int64_t *bounds;      /* detected boundaries: edges, ascending, 0 < e < nbins */
    int nbounds;
    sim_bg_loop *loops;
    int nloops;
} sim_bg_chrom;

/* The genome from the background: opens the file, checks resolution,
 * normalisation, chromosomes and regions, fills cfg->chroms (regions or the
 * file's chromosomes), cfg->bg.offset / source_chrom / file_resolution /
 * norm_used, the assembly, and makes bg.file absolute. -1 + one line
 * "<file>: <cause>". */
int sim_bg_resolve(hw_sim_config *cfg);

/* Smoothing half-width (bins) at distance d: floor(sqrt(d / scale)). */
int sim_bg_smooth_halfwidth(int64_t d, double scale);

/* Read, balance, O/E, smooth one output chromosome into c->logoe and c->mask
 * (c->treat is left NULL). -1 + hw_error. */
int sim_bg_load_chrom(const hw_sim_config *cfg, int chrom, sim_bg_chrom *c);

/* Smooth an O/E band in place (masked pixels carry no weight), then scale
 * every diagonal to mean 1 over mappable pixels. Exposed for tests. */
void sim_bg_smooth(float *oe, const unsigned char *mask, int64_t n, int64_t w, double scale);

/* Detect boundaries (insulation minima) and loops (donut maxima) on c->logoe. */
void sim_bg_detect(const hw_sim_config *cfg, sim_bg_chrom *c);

void sim_bg_chrom_free(sim_bg_chrom *c);

/* ---- planting (sim_bg_changes.c) -------------------------------------------- */

/* The additive log change of a boundary loss at edge b between domains
 * [l, b) and [b, r): cross pixels at distance d get strength * max(0,
 * intra(d) - cross(d)) (mean log O/E of the two domains' pixels at d, of the
 * cross pixels at d), read from `from`, added to `to`. */
void sim_bg_boundary_loss(const sim_bg_chrom *c, const float *from, float *to, int64_t l,
                          int64_t b, int64_t r, double strength);

#endif
