/* `hitwin simulate`: realistic Hi-C replicates of two conditions with known
 * differences (docs/simulate.md). Writes into the output directory:
 *   <condition>_R<k>.mcool  one per replicate (raw counts + balanced weight,
 *                           base and coarser resolutions)
 *   truth.bed               every planted change: chrom start end kind strength
 *   truth.bedgraph          (genome-wide mode instead) change magnitude per domain
 *   dataset.yaml            a dataset config `hitwin tile` takes as it is
 *   simulate.yaml           the resolved simulate config (provenance)
 * Chromosomes are spread over the MPI ranks; the files do not depend on the
 * number of ranks. */
#ifndef HITWIN_SIMULATE_H
#define HITWIN_SIMULATE_H

#include "hitwin/dist.h"
#include "hitwin/sim_config.h"

/* The CLI entry: hitwin simulate [--config FILE] [--preset small|mouse]
 * [--out DIR] [--seed N] [--null] [--quiet]. MPI may already be initialised.
 * Returns the process exit status (0 ok, 1 error, 2 usage). */
int hw_simulate_main(int argc, char **argv);

/* Run a validated config on all ranks of d (collective). 0 or -1; on -1 the
 * message has been printed and no output file was left half-written. */
int hw_simulate_run(const hw_sim_config *cfg, const hw_dist *d);

#endif
