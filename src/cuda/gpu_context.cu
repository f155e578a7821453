// The per-process GPU context (gpu_context.h): device choice from the node-local MPI rank,
// one stream with cuBLAS and cuDNN bound to it, device memory helpers, and the one formatter
// behind every *_CHECK macro.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.cuh"

// "/abs/path/src/cuda/x.cu" -> "src/cuda/x.cu": messages stay short and machine-independent.
static const char *short_path(const char *file) {
    const char *s = strstr(file, "src/");
    return s ? s : file;
}

int hw_gpu_failed(const char *lib, const char *expr, const char *what, const char *hint,
                  const char *file, int line) {
    if (hint)
        return hw_fail("%s: %s failed: %s at %s:%d; hint: %s", lib, expr, what, short_path(file),
                       line, hint);
    return hw_fail("%s: %s failed: %s at %s:%d", lib, expr, what, short_path(file), line);
}

const char *hw_gpu_cuda_hint(cudaError_t e) {
    switch (e) {
    case cudaErrorNoDevice:
        return "no CUDA device is visible (check CUDA_VISIBLE_DEVICES and the job's GPU request)";
    case cudaErrorInsufficientDriver:
        return "the NVIDIA driver is older than this build's CUDA runtime";
    case cudaErrorMemoryAllocation:
        return "out of device memory: a smaller batch_size needs less";
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorUnsupportedPtxVersion:
        return "the binary has no code for this GPU: rebuild with -DCMAKE_CUDA_ARCHITECTURES=<sm>";
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
        return "a kernel queued before this call faulted (run with CUDA_LAUNCH_BLOCKING=1 to "
               "see which)";
    case cudaErrorDevicesUnavailable:
        return "the GPU is in exclusive mode and taken by another process";
    default:
        return NULL;
    }
}

extern "C" int hw_gpu_pick_device(MPI_Comm comm, int *local_rank, int *local_size) {
    int lrank = 0, lsize = 1, inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (comm != MPI_COMM_NULL && inited && !finalized) {
        // ranks that share memory share a node, hence its GPUs
        MPI_Comm node;
        if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS)
            return hw_fail("cuda: MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) failed");
        MPI_Comm_rank(node, &lrank);
        MPI_Comm_size(node, &lsize);
        MPI_Comm_free(&node);
    }
    if (local_rank) *local_rank = lrank;
    if (local_size) *local_size = lsize;
    int n = 0;
    HW_CUDA_CHECK(cudaGetDeviceCount(&n));
    if (n < 1) return hw_fail("cuda: no CUDA device is visible to local rank %d", lrank);
    return lrank % n;
}

extern "C" hw_gpu *hw_gpu_create(int device) {
    hw_gpu *g = (hw_gpu *)calloc(1, sizeof *g);
    if (!g) {
        hw_fail("cuda: out of host memory for the GPU context");
        return NULL;
    }
    g->device = device;
    // one lambda-free helper so each step can use the *_CHECK macros' `return -1`
    struct init {
        static int run(hw_gpu *g) {
            HW_CUDA_CHECK(cudaSetDevice(g->device));
            HW_CUDA_CHECK(cudaStreamCreateWithFlags(&g->stream, cudaStreamNonBlocking));
            HW_CUBLAS_CHECK(cublasCreate(&g->cublas));
            HW_CUBLAS_CHECK(cublasSetStream(g->cublas, g->stream));
            // DEFAULT_MATH computes fp32 GEMMs in fp32 (TF32 needs TF32_TENSOR_OP_MATH); set
            // it explicitly so a changed library default cannot turn TF32 on behind us
            HW_CUBLAS_CHECK(cublasSetMathMode(g->cublas, CUBLAS_DEFAULT_MATH));
            HW_CUDNN_CHECK(cudnnCreate(&g->cudnn));
            HW_CUDNN_CHECK(cudnnSetStream(g->cudnn, g->stream));
            return 0;
        }
    };
    if (init::run(g)) {
        hw_fail_prefix("GPU %d", device);
        hw_gpu_destroy(g);
        return NULL;
    }
    return g;
}

extern "C" void hw_gpu_destroy(hw_gpu *g) {
    if (!g) return;
    // teardown errors are not actionable; the device may be in a failed state already
    if (g->stream) cudaStreamSynchronize(g->stream);
    hw_gpu_conv_plans_free(g);
    if (g->workspace) cudaFree(g->workspace);
    if (g->cudnn) cudnnDestroy(g->cudnn);
    if (g->cublas) cublasDestroy(g->cublas);
    if (g->stream) cudaStreamDestroy(g->stream);
    cudaGetLastError();
    free(g);
}

extern "C" int hw_gpu_device(const hw_gpu *g) { return g->device; }
extern "C" void *hw_gpu_stream(hw_gpu *g) { return (void *)g->stream; }

extern "C" int hw_gpu_sync(hw_gpu *g) {
    HW_CUDA_CHECK(cudaStreamSynchronize(g->stream));
    return 0;
}

int hw_gpu_workspace(hw_gpu *g, size_t bytes, void **ws) {
    if (bytes > g->workspace_bytes) {
        // the old workspace may still be in use by queued work: cudaFree waits for the device
        if (g->workspace) HW_CUDA_CHECK(cudaFree(g->workspace));
        g->workspace = NULL;
        g->workspace_bytes = 0;
        HW_CUDA_CHECK(cudaMalloc(&g->workspace, bytes));
        g->workspace_bytes = bytes;
    }
    *ws = g->workspace;
    return 0;
}

extern "C" int hw_gpu_alloc(void **dptr, size_t bytes) {
    *dptr = NULL;
    HW_CUDA_CHECK(cudaMalloc(dptr, bytes ? bytes : 1));
    return 0;
}

extern "C" int hw_gpu_release(void **dptr) {
    if (!*dptr) return 0;
    void *p = *dptr;
    *dptr = NULL;
    HW_CUDA_CHECK(cudaFree(p));
    return 0;
}

extern "C" int hw_gpu_memory(hw_gpu *g, size_t *free_bytes, size_t *total_bytes) {
    (void)g; // the current device is the context's (hw_gpu_create sets it)
    HW_CUDA_CHECK(cudaMemGetInfo(free_bytes, total_bytes));
    return 0;
}

extern "C" int hw_gpu_upload(hw_gpu *g, void *dst, const void *src, size_t bytes) {
    if (!bytes) return 0;
    HW_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, g->stream));
    HW_CUDA_CHECK(cudaStreamSynchronize(g->stream));
    return 0;
}

extern "C" int hw_gpu_download(hw_gpu *g, void *dst, const void *src, size_t bytes) {
    if (!bytes) return 0;
    HW_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, g->stream));
    HW_CUDA_CHECK(cudaStreamSynchronize(g->stream));
    return 0;
}

extern "C" int hw_gpu_copy(hw_gpu *g, void *dst, const void *src, size_t bytes) {
    if (!bytes) return 0;
    HW_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, g->stream));
    return 0;
}

extern "C" int hw_gpu_zero(hw_gpu *g, void *dptr, size_t bytes) {
    if (!bytes) return 0;
    HW_CUDA_CHECK(cudaMemsetAsync(dptr, 0, bytes, g->stream));
    return 0;
}
