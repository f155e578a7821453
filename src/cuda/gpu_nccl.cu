// NCCL communicator bootstrapped over MPI, and the in-place gradient all-reduce
// (gpu_nccl.h).
//
// NCCL refuses two ranks of one communicator on the same GPU ("Duplicate GPU detected"), so
// create checks first that this node has a device per local rank and says so in plain words;
// hw_gpu_pick_device gives local rank r device r mod count, distinct whenever there are
// enough devices.
#include <nccl.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.cuh"
#include "hitwin/gpu_nccl.h"

struct hw_nccl {
    ncclComm_t comm;
    cudaStream_t stream;
    int rank, size;
};

#define HW_NCCL_CHECK(call)                                                                   \
    do {                                                                                      \
        ncclResult_t r_ = (call);                                                             \
        if (r_ != ncclSuccess)                                                                \
            return hw_gpu_failed("nccl", #call, ncclGetErrorString(r_),                      \
                                 r_ == ncclSystemError || r_ == ncclRemoteError               \
                                     ? "a network or peer failure: run with NCCL_DEBUG=WARN" \
                                     : "run with NCCL_DEBUG=WARN for NCCL's own reason",      \
                                 __FILE__, __LINE__);                                         \
    } while (0)

// The node's devices are enough for one per local rank, else a message saying why not.
static int check_devices(MPI_Comm comm) {
    int local_rank, local_size;
    if (hw_gpu_pick_device(comm, &local_rank, &local_size) < 0) return -1;
    int n = 0;
    HW_CUDA_CHECK(cudaGetDeviceCount(&n));
    if (n < local_size)
        return hw_fail("nccl: %d ranks on this node share %d GPU%s; NCCL needs one GPU per rank "
                       "(start at most %d rank%s per node)",
                       local_size, n, n == 1 ? "" : "s", n, n == 1 ? "" : "s");
    return 0;
}

static int init_comm(hw_nccl *nc, hw_gpu *g, MPI_Comm comm) {
    ncclUniqueId id;
    int ok = check_devices(comm) == 0, all_ok = 0;
    if (ok && nc->rank == 0 && ncclGetUniqueId(&id) != ncclSuccess) {
        hw_fail("nccl: ncclGetUniqueId failed on rank 0 (run with NCCL_DEBUG=WARN)");
        ok = 0;
    }
    // agree before the collective init: a rank that cannot take part would otherwise leave
    // the others blocked inside ncclCommInitRank
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm);
    if (!all_ok) {
        if (ok) hw_fail("nccl: another rank could not join the communicator (its message says why)");
        return -1;
    }
    MPI_Bcast(&id, (int)sizeof id, MPI_BYTE, 0, comm);
    HW_CUDA_CHECK(cudaSetDevice(hw_gpu_device(g)));
    HW_NCCL_CHECK(ncclCommInitRank(&nc->comm, nc->size, id, nc->rank));
    return 0;
}

extern "C" hw_nccl *hw_nccl_create(hw_gpu *g, MPI_Comm comm) {
    hw_nccl *nc = (hw_nccl *)calloc(1, sizeof *nc);
    if (!nc) {
        hw_fail("nccl: out of host memory");
        return NULL;
    }
    MPI_Comm_rank(comm, &nc->rank);
    MPI_Comm_size(comm, &nc->size);
    nc->stream = (cudaStream_t)hw_gpu_stream(g);
    int ok = init_comm(nc, g, comm) == 0, all_ok = 0;
    // the init can fail on some ranks only (a peer unreachable): every rank learns of it
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm);
    if (!all_ok) {
        if (ok) hw_fail("nccl: the communicator failed on another rank (its message says why)");
        if (nc->comm) ncclCommAbort(nc->comm);
        free(nc);
        return NULL;
    }
    return nc;
}

extern "C" void hw_nccl_destroy(hw_nccl *nc) {
    if (!nc) return;
    if (nc->comm) ncclCommDestroy(nc->comm);
    free(nc);
}

extern "C" int hw_nccl_rank(const hw_nccl *nc) { return nc->rank; }
extern "C" int hw_nccl_size(const hw_nccl *nc) { return nc->size; }

extern "C" int hw_nccl_allreduce(hw_nccl *nc, float *dbuf, size_t n, hw_nccl_op op) {
    if (op != HW_NCCL_SUM && op != HW_NCCL_AVG)
        return hw_fail("nccl: unknown reduction %d", (int)op);
    if (!n) return 0;
    HW_NCCL_CHECK(ncclAllReduce(dbuf, dbuf, n, ncclFloat32, op == HW_NCCL_SUM ? ncclSum : ncclAvg,
                                nc->comm, nc->stream));
    return 0;
}
