/* Gradient all-reduce across ranks on their GPUs with NCCL, bootstrapped over MPI (after
 * llm.c): rank 0 makes the ncclUniqueId, MPI_Bcast hands it to every rank of comm, and
 * ncclCommInitRank joins them. MPI only bootstraps; the gradients move GPU to GPU.
 *
 * Collective: every rank of comm calls create, allreduce and destroy together. Errors leave
 * one hw_error() line ("nccl: ... failed: <NCCL's text> at src/cuda/gpu_nccl.cu:N; hint:
 * ..."); a failure in one rank's create is agreed on over MPI, so all ranks return -1 rather
 * than some of them waiting forever in the next collective.
 *
 * Only built with the CUDA backend (HITWIN_HAVE_CUDA). */
#ifndef HITWIN_GPU_NCCL_H
#define HITWIN_GPU_NCCL_H

#include <mpi.h>
#include <stddef.h>

#include "hitwin/gpu_context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hw_nccl hw_nccl;

typedef enum {
    HW_NCCL_SUM = 0, /* what the model needs: its losses are already divided by the global
                        batch (model.h), so the ranks' gradients add up to the batch's */
    HW_NCCL_AVG = 1  /* mean over the ranks (ncclAvg), for per-rank-mean losses */
} hw_nccl_op;

/* Collective over comm; g is this rank's context (its device and stream). NULL with
 * hw_fail on every rank if any rank failed. */
hw_nccl *hw_nccl_create(hw_gpu *g, MPI_Comm comm);
void hw_nccl_destroy(hw_nccl *nc);
int hw_nccl_rank(const hw_nccl *nc);
int hw_nccl_size(const hw_nccl *nc);

/* In place over n floats of device memory (the flat gradient buffer), queued on the
 * context's stream after the work already there (the backward that wrote the gradients).
 * Returns once queued; hw_gpu_sync() waits for it. */
int hw_nccl_allreduce(hw_nccl *nc, float *dbuf, size_t n, hw_nccl_op op);

#ifdef __cplusplus
}
#endif
#endif
