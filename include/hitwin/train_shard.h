/* The data-parallel optimiser step, sharded over the ranks (the optimiser-state part of
 * ZeRO stage 1): instead of every rank all-reducing the whole gradient and running the whole
 * Adam step, the gradient is reduce-scattered so that each rank holds the sum of one
 * contiguous slice, each rank steps its slice only, and an all-gather hands every rank the
 * new parameters (both as rings of MPI_Sendrecv, shard.c says why). The traffic is an
 * all-reduce's (a reduce-scatter plus an all-gather), the
 * optimiser's memory sweep per rank falls to 1/size of it, and every rank ends with the same
 * parameters bit for bit (each element is updated once, on one rank, and copied).
 *
 * The moments are current only in each rank's own slice; hw_shard_gather_moments brings
 * them all to rank 0 before it writes a state file. */
#ifndef HITWIN_TRAIN_SHARD_H
#define HITWIN_TRAIN_SHARD_H

#include <mpi.h>
#include <stddef.h>

#include "hitwin/model.h"

typedef struct {
    MPI_Comm comm;
    int rank, size;
    int *counts, *displs; /* floats of each rank's slice, and where it starts */
    float *recv;          /* [largest slice] a chunk received in the ring */
} hw_shard;

/* Slices of n floats over comm's ranks (n must fit an int). */
void hw_shard_init(hw_shard *s, size_t n, MPI_Comm comm);
void hw_shard_free(hw_shard *s);

/* Collective: this rank's slice of grads (grads + displs[rank]) becomes the sum over the
 * ranks; the other slices hold partial sums afterwards (one rank: nothing to do). */
void hw_shard_reduce(hw_shard *s, float *grads);
/* Collective: the optimiser step on this rank's slice (from the summed slice of grads), then
 * every slice's new parameters to every rank (one rank: the whole step). */
void hw_shard_update(hw_shard *s, hw_optim *o, float *params, const float *grads);
/* Collective: every slice's moments to rank 0 (o->m, o->v complete there). */
void hw_shard_gather_moments(hw_shard *s, hw_optim *o);

#endif
