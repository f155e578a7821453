/* The sharded data-parallel optimiser step (include/hitwin/train_shard.h). */
#include "hitwin/train_shard.h"

#include <stdlib.h>
#include <string.h>

#include "hitwin/xalloc.h"

void hw_shard_init(hw_shard *s, size_t n, MPI_Comm comm) {
    memset(s, 0, sizeof *s);
    s->comm = comm;
    MPI_Comm_rank(comm, &s->rank);
    MPI_Comm_size(comm, &s->size);
    s->counts = xmalloc((size_t)s->size * sizeof *s->counts);
    s->displs = xmalloc((size_t)s->size * sizeof *s->displs);
    for (int r = 0; r < s->size; r++) {
        size_t lo = n * (size_t)r / (size_t)s->size, hi = n * (size_t)(r + 1) / (size_t)s->size;
        s->displs[r] = (int)lo;
        s->counts[r] = (int)(hi - lo);
    }
    s->grad_slice = xmalloc((size_t)(s->counts[s->rank] > 0 ? s->counts[s->rank] : 1) * sizeof(float));
}

void hw_shard_free(hw_shard *s) {
    free(s->counts);
    free(s->displs);
    free(s->grad_slice);
    memset(s, 0, sizeof *s);
}

void hw_shard_reduce(hw_shard *s, const float *grads) {
    if (s->size == 1) return;
    MPI_Reduce_scatter(grads, s->grad_slice, s->counts, MPI_FLOAT, MPI_SUM, s->comm);
}

void hw_shard_update(hw_shard *s, hw_optim *o, float *params, const float *grads) {
    if (s->size == 1) {
        hw_optim_step(o, params, grads);
        return;
    }
    hw_optim_step_range(o, params, s->grad_slice, (size_t)s->displs[s->rank],
                        (size_t)s->counts[s->rank]);
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, params, s->counts, s->displs, MPI_FLOAT,
                   s->comm);
}

/* MPI_Gatherv of each rank's slice of x into rank 0's full x */
static void gather_slices(hw_shard *s, float *x) {
    if (!x) return;
    const int mine = s->counts[s->rank];
    if (s->rank == 0)
        MPI_Gatherv(MPI_IN_PLACE, mine, MPI_FLOAT, x, s->counts, s->displs, MPI_FLOAT, 0, s->comm);
    else
        MPI_Gatherv(x + s->displs[s->rank], mine, MPI_FLOAT, NULL, NULL, NULL, MPI_FLOAT, 0, s->comm);
}

void hw_shard_gather_moments(hw_shard *s, hw_optim *o) {
    if (s->size == 1) return;
    gather_slices(s, o->m); /* NULL for Adagrad, on every rank alike */
    gather_slices(s, o->v);
}
