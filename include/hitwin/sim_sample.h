/* From ground truth to one replicate's counts: the library's technical
 * variation (depth, decay slope, per-bin coverage bias), the expected band
 * E[i, i+d] = N * P(d) * f(i, j) / fbar(d) * b_i * b_j, and Poisson counts
 * drawn from it. Pixels are kept as a per-chromosome CSR band (row = bin1,
 * column offset d = bin2 - bin1 < width), so memory is O(bins x band). */
#ifndef HITWIN_SIM_SAMPLE_H
#define HITWIN_SIM_SAMPLE_H

#include <stdint.h>

#include "hitwin/sim_config.h"
#include "hitwin/sim_genome.h"

/* The nonzero upper-band pixels of one chromosome at one resolution. */
typedef struct {
    int64_t nbins;
    int64_t *rowptr;  /* nbins + 1: pixels of row i are [rowptr[i], rowptr[i+1]) */
    uint16_t *off;    /* bin2 - bin1, ascending within a row */
    int32_t *count;
} sim_band;

void sim_band_free(sim_band *b);
int64_t sim_band_nnz(const sim_band *b);

/* Library-wide technical variation of sample s (index cond * replicates + rep). */
typedef struct {
    double depth_factor; /* multiplies the configured depth */
    double slope_delta;  /* added to the decay exponent */
} sim_library;

sim_library sim_library_params(const hw_sim_config *cfg, int sample);

/* Mean structure factor per diagonal of the control condition (without
 * replicate jitter); dividing by it makes control's P(s) the configured one,
 * while the treatment's changes still move its P(s). norm has width entries. */
void sim_diag_norm(const hw_sim_config *cfg, const sim_chrom *c, const sim_state *control,
                   int64_t width, double *norm);

/* Draw one replicate's counts for one chromosome. work: nbins * width doubles
 * of scratch. */
void sim_sample_chrom(const hw_sim_config *cfg, const sim_genome *g, int chrom, int cond,
                      int rep, const double *norm, double *work, sim_band *out);

/* Sum pixels into bins `factor` times larger: (i, j) -> (i / f, j / f). */
void sim_band_coarsen(const sim_band *in, int factor, sim_band *out);

#endif
