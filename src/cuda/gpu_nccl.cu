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

// Every rank of this node on its own physical GPU, else a message saying which share one.
// Compared by the devices' UUIDs, not by counting visible devices: with per-task binding
// (srun --gpu-bind=single:1, or a CUDA_VISIBLE_DEVICES per rank) each rank sees one device,
// numbered 0, and they are still distinct GPUs.
static int check_devices(MPI_Comm comm, int device) {
    MPI_Comm node;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS)
        return hw_fail("nccl: MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) failed");
    int local_rank, local_size, n = 0;
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_size(node, &local_size);
    cudaDeviceProp prop;
    char mine[16] = {0};
    cudaError_t e = cudaGetDeviceProperties(&prop, device);
    if (e == cudaSuccess) memcpy(mine, prop.uuid.bytes, sizeof mine);
    cudaGetDeviceCount(&n);
    // every rank takes part in the gather, a failed query included (its zero UUID is
    // reported by its own error below)
    char *all = (char *)malloc((size_t)local_size * sizeof mine);
    if (!all) {
        MPI_Comm_free(&node);
        return hw_fail("nccl: out of host memory");
    }
    MPI_Allgather(mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, node);
    MPI_Comm_free(&node);
    int other = -1;
    for (int r = 0; r < local_size && other < 0; r++)
        if (r != local_rank && memcmp(all + (size_t)r * sizeof mine, mine, sizeof mine) == 0) other = r;
    free(all);
    if (e != cudaSuccess)
        return hw_fail("nccl: cudaGetDeviceProperties(%d) failed: %s", device, cudaGetErrorString(e));
    if (other >= 0)
        return hw_fail("nccl: local ranks %d and %d on this node share one GPU (%d visible to each); "
                       "NCCL needs one GPU per rank (start at most as many ranks per node as it "
                       "has GPUs)",
                       local_rank < other ? local_rank : other, local_rank < other ? other : local_rank,
                       n);
    return 0;
}

static int init_comm(hw_nccl *nc, hw_gpu *g, MPI_Comm comm) {
    ncclUniqueId id;
    int ok = check_devices(comm, hw_gpu_device(g)) == 0, all_ok = 0;
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
