/* The GPU side of one process: which device it uses, its stream, its cuBLAS and cuDNN
 * handles, and device memory. Everything here is C-callable so the C stages and tests can
 * drive the CUDA ops (gpu_ops.h) without being CUDA sources themselves.
 *
 * Errors follow error.h: functions return 0 or -1 (NULL for constructors) and leave one
 * line in hw_error(), e.g.
 *   "cuda: cudaMalloc(&p, bytes) failed: out of memory (cudaErrorMemoryAllocation) at
 *    src/cuda/gpu_context.cu:123; hint: a smaller batch_size needs less device memory"
 * A kernel's own failure (an illegal address, say) surfaces at the next synchronising call,
 * hw_gpu_sync() or a download, not at the launch.
 *
 * All work is ordered on the context's one stream; uploads and downloads synchronise with
 * it, so a host buffer can be reused as soon as they return.
 *
 * Only built with the CUDA backend (HITWIN_HAVE_CUDA); there is no stub. */
#ifndef HITWIN_GPU_CONTEXT_H
#define HITWIN_GPU_CONTEXT_H

#include <mpi.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hw_gpu hw_gpu;

/* The device of this rank: its rank among the ranks of comm on the same node (the
 * MPI_COMM_TYPE_SHARED sub-communicator) modulo the number of visible devices, so 4 ranks on
 * a 4-GPU node take one GPU each and 8 ranks share them 2 by 2. comm == MPI_COMM_NULL, or
 * MPI not initialised, means local rank 0 of 1. local_rank / local_size may be NULL.
 * Returns the device index, or -1 with hw_fail when no device is visible. */
int hw_gpu_pick_device(MPI_Comm comm, int *local_rank, int *local_size);

/* Context on `device`: a non-blocking stream, cuBLAS and cuDNN handles bound to it, fp32
 * math with TF32 switched off in both libraries (fp32 means fp32, so results compare with
 * the C ops at fp32 tolerances). NULL with hw_fail on any failure. */
hw_gpu *hw_gpu_create(int device);
void hw_gpu_destroy(hw_gpu *g);
int hw_gpu_device(const hw_gpu *g);
/* The cudaStream_t as an opaque pointer, for callers that queue their own work. */
void *hw_gpu_stream(hw_gpu *g);

/* Wait for all work queued on the context's stream; reports any asynchronous error of a
 * kernel queued before (with the hint that the failing op is earlier than this call). */
int hw_gpu_sync(hw_gpu *g);

/* ---- device memory ------------------------------------------------------------------- */
/* cudaMalloc'ed device memory; bytes == 0 gives a valid 1-byte allocation. */
int hw_gpu_alloc(void **dptr, size_t bytes);
/* cudaFree; NULL is fine; *dptr is set to NULL. */
int hw_gpu_release(void **dptr);
/* The device's free and total memory now (cudaMemGetInfo: other processes' use counts). */
int hw_gpu_memory(hw_gpu *g, size_t *free_bytes, size_t *total_bytes);
/* Copies that wait for the stream's earlier work and for the copy itself. */
int hw_gpu_upload(hw_gpu *g, void *dst_device, const void *src_host, size_t bytes);
int hw_gpu_download(hw_gpu *g, void *dst_host, const void *src_device, size_t bytes);
/* Device-to-device copy and zero fill, queued on the stream (asynchronous). */
int hw_gpu_copy(hw_gpu *g, void *dst_device, const void *src_device, size_t bytes);
int hw_gpu_zero(hw_gpu *g, void *dptr, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif
