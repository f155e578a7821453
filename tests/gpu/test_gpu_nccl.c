/* NCCL gradient all-reduce over 2 MPI ranks (gpu_nccl.h), on a buffer the size of SLeNet's
 * contrastive parameters at 224 (5,406,183 floats).
 *
 * Values are multiples of 1/8 below 2^12, so sums and the average over 2 ranks are exact in
 * fp32 whatever order NCCL adds in: the results must be bit-identical to the host's.
 *
 * Exit codes, the same on both ranks: 77 when no device is visible, and also when the node
 * has fewer GPUs than ranks (NCCL cannot put two ranks of one communicator on one GPU). In
 * that case the test still checks what one GPU can: the refusal of a 2-rank communicator
 * with its message, and the all-reduce on a 1-rank communicator per rank; a failure there is
 * a failure (1), success is still a skip because the 2-rank reduction was not run. */
#include <mpi.h>

#include "gpu_test_util.h"
#include "hitwin/gpu_nccl.h"

#define N_FLOATS 5406183

static float value(int rank, size_t i) { return (float)((i % 4093) * (size_t)(rank + 1)) / 8.0f; }

/* all-reduce SUM then AVG on comm; expected results from the ranks' value() */
static void check_allreduce(hw_gpu *g, hw_nccl *nc, int nranks, int rank) {
    float *h = (float *)malloc(N_FLOATS * sizeof(float)), *want = (float *)malloc(N_FLOATS * sizeof(float));
    for (size_t i = 0; i < N_FLOATS; i++) h[i] = value(rank, i);
    float *d = (float *)dev_from(g, h, N_FLOATS * sizeof(float));
    GPU_OK(hw_nccl_allreduce(nc, d, N_FLOATS, HW_NCCL_SUM));
    GPU_OK(hw_gpu_sync(g));
    GPU_OK(hw_gpu_download(g, h, d, N_FLOATS * sizeof(float)));
    for (size_t i = 0; i < N_FLOATS; i++) {
        float s = 0.0f;
        for (int r = 0; r < nranks; r++) s += nranks == 1 ? value(rank, i) : value(r, i);
        want[i] = s;
    }
    expect_same_bits("sum", h, want, N_FLOATS * sizeof(float), sizeof(float));
    /* AVG of the sums: every rank holds the same values now, so the mean is the sum again */
    GPU_OK(hw_nccl_allreduce(nc, d, N_FLOATS, HW_NCCL_AVG));
    GPU_OK(hw_gpu_download(g, h, d, N_FLOATS * sizeof(float)));
    expect_same_bits("avg of equal buffers", h, want, N_FLOATS * sizeof(float), sizeof(float));
    /* AVG of the original values */
    for (size_t i = 0; i < N_FLOATS; i++) h[i] = value(rank, i);
    GPU_OK(hw_gpu_upload(g, d, h, N_FLOATS * sizeof(float)));
    GPU_OK(hw_nccl_allreduce(nc, d, N_FLOATS, HW_NCCL_AVG));
    GPU_OK(hw_gpu_download(g, h, d, N_FLOATS * sizeof(float)));
    for (size_t i = 0; i < N_FLOATS; i++) want[i] /= (float)nranks;
    expect_same_bits("avg", h, want, N_FLOATS * sizeof(float), sizeof(float));
    CHECK_INT_EQ(hw_nccl_size(nc), nranks);
    free(h), free(want);
    dev_release_all();
}

static int run(int rank, int size) {
    if (hw_gpu_count() == 0) {
        if (rank == 0) printf("no CUDA device visible: skipped (exit 77)\n");
        return 77;
    }
    int local_rank, local_size;
    int dev = hw_gpu_pick_device(MPI_COMM_WORLD, &local_rank, &local_size);
    if (dev < 0) {
        fprintf(stderr, "rank %d: %s\n", rank, hw_error());
        return 1;
    }
    hw_gpu *g = hw_gpu_create(dev);
    if (!g) {
        fprintf(stderr, "rank %d: %s\n", rank, hw_error());
        return 1;
    }
    printf("rank %d: local rank %d of %d, device %d\n", rank, local_rank, local_size, dev);
    int skip = 0;
    if (hw_gpu_count() >= local_size) {
        hw_nccl *nc = hw_nccl_create(g, MPI_COMM_WORLD);
        if (!nc) {
            fprintf(stderr, "rank %d: %s\n", rank, hw_error());
            test_failures++;
        } else {
            CHECK_INT_EQ(hw_nccl_rank(nc), rank);
            check_allreduce(g, nc, size, rank);
            hw_nccl_destroy(nc);
        }
    } else {
        /* one GPU for two ranks: the communicator must be refused, with the reason */
        hw_nccl *nc = hw_nccl_create(g, MPI_COMM_WORLD);
        CHECK(nc == NULL);
        if (rank == 0) printf("refused as expected: %s\n", hw_error());
        CHECK(strstr(hw_error(), "NCCL needs one GPU per rank") != NULL);
        hw_nccl_destroy(nc);
        /* each rank alone: a 1-rank communicator of its own */
        MPI_Comm self;
        MPI_Comm_split(MPI_COMM_WORLD, rank, 0, &self);
        nc = hw_nccl_create(g, self);
        if (!nc) {
            fprintf(stderr, "rank %d: %s\n", rank, hw_error());
            test_failures++;
        } else {
            check_allreduce(g, nc, 1, rank);
            hw_nccl_destroy(nc);
        }
        MPI_Comm_free(&self);
        if (rank == 0)
            printf("the 2-rank reduction needs 2 GPUs on the node (%d here): skipped\n",
                   hw_gpu_count());
        skip = 1;
    }
    hw_gpu_destroy(g);
    return test_failures ? 1 : skip ? 77 : 0;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int rc = size == 2 ? run(rank, size) : (rank == 0 ? fprintf(stderr, "run with 2 ranks\n") : 0, 77);
    /* one verdict for the job: a failure anywhere fails, a skip anywhere else skips */
    int fail = rc == 1, any_fail = 0, skip = rc == 77, any_skip = 0;
    MPI_Allreduce(&fail, &any_fail, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(&skip, &any_skip, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return any_fail ? 1 : any_skip ? 77 : 0;
}
