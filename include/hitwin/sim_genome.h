/* The simulator's ground truth: per chromosome a structure (compartment
 * segments, a two-level domain hierarchy, corner loops, stripes) and, per
 * condition, the strength of each feature. The treatment differs from control
 * only through the planted changes (a list of sites, or a magnitude per domain
 * in the genome-wide mode), and every replicate jitters the strengths a little
 * (biological variation). The whole genome's structure is cheap (O(bins)), so
 * every rank builds all of it: sites are picked genome-wide the same way on
 * any number of ranks. The expensive band of expected counts is made per
 * chromosome by its owner (sim_expected.c). Coordinates are bins. */
#ifndef HITWIN_SIM_GENOME_H
#define HITWIN_SIM_GENOME_H

#include <stdint.h>

#include "hitwin/sim_background.h"
#include "hitwin/sim_config.h"

typedef struct {
    int64_t lo, hi; /* bins [lo, hi) */
    double value;   /* compartment score: +1 = A, -1 = B */
} sim_segment;

typedef struct {
    int64_t lo, hi; /* bins [lo, hi) */
    double strength;/* intra-domain enrichment t: pixels inside get 1 + t */
    int top;        /* index of the top-level domain (itself for a top-level one) */
} sim_domain;

typedef struct {
    int64_t a, b;   /* anchor bins, a < b: the corner of a domain */
    double strength;/* L: the loop pixel gets 1 + L, neighbours a Gaussian share */
    int top;
} sim_loop;

typedef struct {
    int64_t anchor; /* bin of the boundary the stripe leaves from */
    int64_t end;    /* row stripe: pixels (anchor, j), anchor < j < end;
                       column stripe: pixels (i, anchor), end <= i < anchor */
    int is_row;
    double strength;
    int top;
} sim_stripe;

typedef struct {
    int64_t nbins;
    sim_segment *segs;
    int nsegs;
    sim_domain *tops, *subs; /* sub-domains partition some top-level domains */
    int ntops, nsubs;
    sim_loop *loops;
    int nloops;
    sim_stripe *stripes;
    int nstripes;
    int32_t *seg_of, *top_of, *sub_of; /* per bin; sub_of = -1 outside sub-domains */
    double *shared_bias;               /* per bin, shared by every library; 0 = unmappable */
} sim_chrom;

/* Strengths of one chromosome's features in one condition (or replicate). */
typedef struct {
    double *seg_value; /* nsegs */
    double *top_t;     /* ntops */
    double *merge;     /* ntops: share of intra-domain enrichment that crosses the
                          boundary to the right (0 = insulated, 1 = merged) */
    double *sub_t;     /* nsubs */
    double *loop_s;    /* nloops */
    double *stripe_s;  /* nstripes */
} sim_state;

/* One planted change: a row of truth.bed (bp, half-open). */
typedef struct {
    int chrom;
    int64_t start, end;
    sim_change_kind kind;
    double strength;
} sim_site;

typedef struct {
    int nchroms;
    sim_chrom *chroms;
    sim_state *state[2]; /* [condition][chrom] */
    sim_site *sites;     /* sorted by chromosome and start */
    int nsites;
    double **gw_mag;     /* genome-wide mode: [chrom][top-level domain], else NULL */
    sim_bg_chrom *bg;    /* real-map background: [chrom], else NULL (synthetic) */
} sim_genome;

/* Build structure, conditions and changes. -1 + hw_error when the changes
 * cannot be placed (too many for the genome). */
int sim_genome_build(const hw_sim_config *cfg, sim_genome *g);
void sim_genome_free(sim_genome *g);

/* Strengths of one replicate: the condition's, with biological jitter from
 * the stream (seed, BIOLOGY, chrom, sample). Free with sim_state_free. */
void sim_replicate_state(const hw_sim_config *cfg, const sim_genome *g, int chrom, int cond,
                         int sample, sim_state *out);
void sim_state_free(sim_state *s);

/* Band width in bins at the base resolution (offsets 0 .. width-1). */
int64_t sim_band_width(const hw_sim_config *cfg, int64_t nbins);

/* Structure factor on the band: f[i * w + d] for pixel (i, i + d), 0 past the
 * chromosome end. Compartments x domains x sub-domains x loops x stripes. */
void sim_structure_band(const hw_sim_config *cfg, const sim_chrom *c, const sim_state *s,
                        int64_t w, double *f);

/* ---- real-map background (sim_bg_changes.c) ---------------------------------------- */

/* g->bg and g->chroms from the background: read, smooth, detect; each
 * chromosome's top-level domains are the detected ones (no compartments,
 * sub-domains, loops or stripes of the synthetic model). -1 + hw_error when
 * the map is too sparse for features. */
int sim_bg_build_chroms(const hw_sim_config *cfg, sim_genome *g);
/* Sparse changes at detected features into g->bg[k].treat; g->sites. */
int sim_bg_plant(const hw_sim_config *cfg, sim_genome *g);
/* Dense mode: an occupancy loss per detected domain; g->gw_mag. */
void sim_bg_dense(const hw_sim_config *cfg, sim_genome *g);
/* One replicate's structure factor exp(log O/E of its condition, with
 * biological jitter per domain) on the band, like sim_structure_band. */
void sim_bg_structure_band(const hw_sim_config *cfg, const sim_genome *g, int k, int cond,
                           int sample, int64_t w, double *f);

#endif
