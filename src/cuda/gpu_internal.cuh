// Private to src/cuda: the context's layout and the checked-call macros.
//
// Every CUDA, cuBLAS, cuDNN and NCCL call goes through one of the *_CHECK macros. On
// failure they leave one hw_error() line naming the library, the expression, the library's
// own error text, file:line and, for the common causes, a hint, and `return -1` from the
// calling function; no op aborts the process (the caller decides: a stage stops every rank
// through hw_dist_abort). Kernel launches are followed by HW_LAUNCH_CHECK(), which catches
// bad launch configurations at once; faults inside a kernel show at the next sync.
#ifndef HITWIN_GPU_INTERNAL_CUH
#define HITWIN_GPU_INTERNAL_CUH

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stdint.h>
#include <cudnn.h>

extern "C" {
#include "hitwin/error.h"
}
#include "hitwin/gpu_context.h"

struct hw_gpu_conv_plan; // gpu_conv2d.cu: cuDNN descriptors and algorithms of one shape

struct hw_gpu {
    int device;
    cudaStream_t stream;
    cublasHandle_t cublas;
    cudnnHandle_t cudnn;
    void *workspace; // cuDNN workspace, grown on demand, shared by all convolutions
    size_t workspace_bytes;
    struct hw_gpu_conv_plan *plans; // most recently used first
};

// Format the failure line; always returns -1. file is trimmed to its src/... part.
int hw_gpu_failed(const char *lib, const char *expr, const char *what, const char *hint,
                  const char *file, int line);
const char *hw_gpu_cuda_hint(cudaError_t e);

#define HW_CUDA_CHECK(call)                                                                    \
    do {                                                                                       \
        cudaError_t e_ = (call);                                                               \
        if (e_ != cudaSuccess) {                                                               \
            (void)cudaGetLastError(); /* clear a non-sticky error so later calls can work */ \
            return hw_gpu_failed("cuda", #call, cudaGetErrorString(e_), hw_gpu_cuda_hint(e_),  \
                                 __FILE__, __LINE__);                                          \
        }                                                                                      \
    } while (0)

#define HW_CUBLAS_CHECK(call)                                                                \
    do {                                                                                     \
        cublasStatus_t s_ = (call);                                                          \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                                     \
            return hw_gpu_failed("cublas", #call, cublasGetStatusString(s_),                 \
                                 s_ == CUBLAS_STATUS_ALLOC_FAILED ? "out of device memory"   \
                                                                  : NULL,                    \
                                 __FILE__, __LINE__);                                        \
    } while (0)

#define HW_CUDNN_CHECK(call)                                                                 \
    do {                                                                                     \
        cudnnStatus_t s_ = (call);                                                           \
        if (s_ != CUDNN_STATUS_SUCCESS)                                                      \
            return hw_gpu_failed("cudnn", #call, cudnnGetErrorString(s_), NULL, __FILE__,    \
                                 __LINE__);                                                  \
    } while (0)

// After every <<<...>>>: a bad grid or block size is reported here, at its launch.
#define HW_LAUNCH_CHECK() HW_CUDA_CHECK(cudaGetLastError())

// Grid of ceil(n / block) blocks, capped: kernels loop with a grid stride, so a large n
// never overflows gridDim.x.
static inline unsigned hw_grid(size_t n, unsigned block) {
    size_t b = (n + block - 1) / block;
    if (b < 1) b = 1;
    if (b > 65535u * 16u) b = 65535u * 16u;
    return (unsigned)b;
}

// hw_bf16 (gpu_ops.h: uint16_t, the C headers' spelling) as CUDA's bf16 type: the same 16
// bits, so a pointer cast is all it takes.
static inline __nv_bfloat16 *hw_as_bf16(uint16_t *p) { return reinterpret_cast<__nv_bfloat16 *>(p); }
static inline const __nv_bfloat16 *hw_as_bf16(const uint16_t *p) {
    return reinterpret_cast<const __nv_bfloat16 *>(p);
}
static inline uint16_t *hw_bf16_bits_of(__nv_bfloat16 *p) { return reinterpret_cast<uint16_t *>(p); }
static_assert(sizeof(__nv_bfloat16) == sizeof(uint16_t), "bf16 is 16 bits");

// The cuDNN workspace, at least `bytes` (grows, never shrinks).
int hw_gpu_workspace(hw_gpu *g, size_t bytes, void **ws);
// gpu_conv2d.cu: destroy the cached plans (called by hw_gpu_destroy).
void hw_gpu_conv_plans_free(hw_gpu *g);

#endif
