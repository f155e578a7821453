/* Writes an .mcool (cooler schema v3, formats.md section 10) from the
 * simulator's per-chromosome bands, collectively with parallel HDF5: each rank
 * passes the pixels of its chromosomes [c0, c1) (a contiguous block, so its
 * pixels are one contiguous range of the pixel table), small tables are
 * written by rank 0, every write is collective (required for compressed
 * datasets in parallel HDF5). Coarser resolutions are sums of the base bins;
 * every resolution gets a `weight` column balanced like `cooler balance`.
 * No creation date and no object timestamps: the same input gives the same
 * bytes. */
#ifndef HITWIN_SIM_COOL_H
#define HITWIN_SIM_COOL_H

#include <mpi.h>
#include <stdint.h>

#include "hitwin/contacts.h"
#include "hitwin/sim_config.h"
#include "hitwin/sim_sample.h"

typedef struct {
    const hw_chrom *chroms;
    int nchroms;
    const char *assembly;
    const char *generated_by;   /* "hitwin <version>" */
    const char *metadata;       /* JSON stored in the `metadata` attribute, or NULL */
    int32_t resolution;         /* of the bands */
    const int32_t *coarser;     /* multiples of resolution */
    int ncoarser;
    const sim_balance_opts *balance;
    int c0, c1;                 /* this rank's chromosomes */
    MPI_Comm comm;
} sim_cool_spec;

/* Collective. Creates (truncates) path. -1 + hw_error "<path>: <cause>" on
 * the failing rank; the caller agrees on the status and removes the file. */
int sim_cool_write(const char *path, const sim_cool_spec *spec, const sim_band *bands);

#endif
