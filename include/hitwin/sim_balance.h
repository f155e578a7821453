/* Iterative correction (ICE) as `cooler balance` does it, so that the
 * `weight` column we write is the one cooler would compute: ignore_diags,
 * min_nnz and MAD-max filters, iterate until the variance of the nonzero
 * marginals drops below tol, then rescale so balanced rows sum to 1. The
 * update is a damped (square-root) step; see sim_balance.c for why.
 * Each rank holds the pixels of some chromosomes; the genome-wide marginal
 * vector is summed with MPI_Allreduce every iteration. Every bin has exactly
 * one contributing rank (the others add 0.0, which is exact), so the weights
 * are bit-identical for any number of ranks. */
#ifndef HITWIN_SIM_BALANCE_H
#define HITWIN_SIM_BALANCE_H

#include <mpi.h>
#include <stdint.h>

#include "hitwin/sim_config.h"
#include "hitwin/sim_sample.h"

typedef struct {
    double scale, var;
    int converged, iters;
} sim_balance_stats;

/* bands[k - c0] holds chromosome k for this rank's chromosomes [c0, c1).
 * chrom_offset: nchroms + 1 genome-wide first bins. weight (all bins, same on
 * every rank on return): multiplicative, NaN = masked. */
void sim_balance(const sim_band *bands, int c0, int c1, const int64_t *chrom_offset, int nchroms,
                 const sim_balance_opts *o, MPI_Comm comm, double *weight, sim_balance_stats *st);

#endif
