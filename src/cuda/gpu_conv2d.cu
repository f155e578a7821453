// 2-D convolution through cuDNN (NCHW fp32), with the C op's semantics: forward writes out,
// backward adds into dinp, dweight, dbias (cuDNN's beta = 1) and skips NULL ones.
//
// A plan per shape holds the descriptors and the three algorithms, chosen on the first call
// of a shape and reused; the training loop sees 2-3 shapes (two layers, and the last partial
// batch). The algorithms come from cuDNN's heuristics (cudnnGet*Algorithm_v7), not from
// timing (cudnnFind*): timing can pick another algorithm in another process, and another
// algorithm rounds differently, so a resumed run would not continue the interrupted one bit
// for bit. Only algorithms cuDNN reports as deterministic are taken (some backward-filter
// algorithms add with atomics, in a varying order). The math type is CUDNN_FMA_MATH: with CUDNN_DEFAULT_MATH cuDNN may use
// TF32 tensor cores for fp32 data on Ampere and later, which keeps 10 mantissa bits and
// would make fp32 results differ from the C op by ~1e-3. Candidates that report a tensor-op
// math type are skipped for the same reason.
//
// The bias add and the bias gradient are own kernels: both are one pass over the output.
//
// This uses cuDNN's legacy convolution API, deprecated in cuDNN 9 but present and supported
// there; the graph API would replace it (docs/gpu.md).
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.cuh"
#include "hitwin/gpu_ops.h"

#define HW_CONV_PLANS_MAX 8 // shapes kept; least recently used is dropped beyond this

struct hw_gpu_conv_plan {
    NnConv2dDims d;
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_data;
    cudnnConvolutionBwdFilterAlgo_t bwd_filter;
    size_t ws_fwd, ws_bwd_data, ws_bwd_filter;
    struct hw_gpu_conv_plan *next;
};

static void plan_free(hw_gpu_conv_plan *p) {
    if (p->x) cudnnDestroyTensorDescriptor(p->x);
    if (p->y) cudnnDestroyTensorDescriptor(p->y);
    if (p->w) cudnnDestroyFilterDescriptor(p->w);
    if (p->conv) cudnnDestroyConvolutionDescriptor(p->conv);
    free(p);
}

void hw_gpu_conv_plans_free(hw_gpu *g) {
    while (g->plans) {
        hw_gpu_conv_plan *p = g->plans;
        g->plans = p->next;
        plan_free(p);
    }
}

static int is_tensor_op(cudnnMathType_t t) {
    return t == CUDNN_TENSOR_OP_MATH || t == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

static int shape_error(const NnConv2dDims *d, const char *why) {
    return hw_fail("cuda conv2d: %s (B %d, C %d, H %d, W %d, OC %d, kernel %dx%d, stride %d, pad %d, "
                   "groups %d)",
                   why, d->B, d->C, d->H, d->W, d->OC, d->KH, d->KW, d->stride, d->pad, d->groups);
}

// Descriptors of one shape and, for each direction, the first deterministic fp32
// (non-tensor-core) algorithm in cuDNN's heuristic ranking, with its workspace size.
static int plan_build(hw_gpu *g, hw_gpu_conv_plan *p) {
    const NnConv2dDims *d = &p->d;
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d);
    HW_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->x));
    HW_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->y));
    HW_CUDNN_CHECK(cudnnCreateFilterDescriptor(&p->w));
    HW_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&p->conv));
    HW_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d->B,
                                              d->C, d->H, d->W));
    HW_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d->B,
                                              d->OC, OH, OW));
    HW_CUDNN_CHECK(cudnnSetFilter4dDescriptor(p->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d->OC,
                                              d->C / d->groups, d->KH, d->KW));
    // torch's Conv2d is a cross-correlation
    HW_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(p->conv, d->pad, d->pad, d->stride, d->stride,
                                                   1, 1, CUDNN_CROSS_CORRELATION,
                                                   CUDNN_DATA_FLOAT));
    HW_CUDNN_CHECK(cudnnSetConvolutionGroupCount(p->conv, d->groups));
    HW_CUDNN_CHECK(cudnnSetConvolutionMathType(p->conv, CUDNN_FMA_MATH));
    int n, check[4];
    HW_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(p->conv, p->x, p->w, &check[0],
                                                         &check[1], &check[2], &check[3]));
    if (check[0] != d->B || check[1] != d->OC || check[2] != OH || check[3] != OW)
        return shape_error(d, "cuDNN's output shape differs from nn_conv2d_out_h/w");

    enum { K = 8 };
    int found = 0;
    {
        cudnnConvolutionFwdAlgoPerf_t r[K];
        HW_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(g->cudnn, p->x, p->w, p->conv, p->y,
                                                              K, &n, r));
        for (int i = 0; i < n && !found; i++)
            if (r[i].status == CUDNN_STATUS_SUCCESS && !is_tensor_op(r[i].mathType) &&
                r[i].determinism == CUDNN_DETERMINISTIC)
                p->fwd = r[i].algo, found = 1;
        if (found)
            HW_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(g->cudnn, p->x, p->w, p->conv,
                                                                   p->y, p->fwd, &p->ws_fwd));
    }
    if (!found)
        return shape_error(d, "cuDNN offers no deterministic fp32 (non-tensor-core) forward algorithm");
    found = 0;
    {
        cudnnConvolutionBwdDataAlgoPerf_t r[K];
        HW_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(g->cudnn, p->w, p->y, p->conv,
                                                                   p->x, K, &n, r));
        for (int i = 0; i < n && !found; i++)
            if (r[i].status == CUDNN_STATUS_SUCCESS && !is_tensor_op(r[i].mathType) &&
                r[i].determinism == CUDNN_DETERMINISTIC)
                p->bwd_data = r[i].algo, found = 1;
        if (found)
            HW_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
                g->cudnn, p->w, p->y, p->conv, p->x, p->bwd_data, &p->ws_bwd_data));
    }
    if (!found) return shape_error(d, "cuDNN offers no deterministic fp32 backward-data algorithm");
    found = 0;
    {
        cudnnConvolutionBwdFilterAlgoPerf_t r[K];
        HW_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(g->cudnn, p->x, p->y,
                                                                     p->conv, p->w, K, &n, r));
        for (int i = 0; i < n && !found; i++)
            if (r[i].status == CUDNN_STATUS_SUCCESS && !is_tensor_op(r[i].mathType) &&
                r[i].determinism == CUDNN_DETERMINISTIC)
                p->bwd_filter = r[i].algo, found = 1;
        if (found)
            HW_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(
                g->cudnn, p->x, p->y, p->conv, p->w, p->bwd_filter, &p->ws_bwd_filter));
    }
    if (!found) return shape_error(d, "cuDNN offers no deterministic fp32 backward-filter algorithm");
    return 0;
}

// The plan of d's shape, built on first use; moved to the front of the list when found.
static int plan_get(hw_gpu *g, const NnConv2dDims *d, hw_gpu_conv_plan **out) {
    if (d->B < 1 || d->C < 1 || d->OC < 1 || d->groups < 1 || d->C % d->groups ||
        d->OC % d->groups || d->stride < 1 || d->pad < 0 || nn_conv2d_out_h(d) < 1 ||
        nn_conv2d_out_w(d) < 1)
        return shape_error(d, "invalid shape");
    hw_gpu_conv_plan **link = &g->plans;
    int count = 0;
    for (hw_gpu_conv_plan *p = g->plans; p; link = &p->next, p = p->next, count++) {
        if (memcmp(&p->d, d, sizeof *d) == 0) {
            *link = p->next;
            p->next = g->plans;
            g->plans = p;
            *out = p;
            return 0;
        }
    }
    if (count >= HW_CONV_PLANS_MAX) { // drop the least recently used
        hw_gpu_conv_plan **last = &g->plans;
        while ((*last)->next) last = &(*last)->next;
        plan_free(*last);
        *last = NULL;
    }
    hw_gpu_conv_plan *p = (hw_gpu_conv_plan *)calloc(1, sizeof *p);
    if (!p) return hw_fail("cuda conv2d: out of host memory");
    p->d = *d;
    if (plan_build(g, p)) {
        plan_free(p);
        return -1;
    }
    p->next = g->plans;
    g->plans = p;
    *out = p;
    return 0;
}

// out[b, oc, :] += bias[oc]
__global__ static void add_bias_kernel(float *out, const float *bias, int OC, int OHW, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] += bias[(i / OHW) % OC];
}

// dbias[oc] += sum over b, hw of dout[b, oc, hw]: one block per channel, summed in double
__global__ static void bias_grad_kernel(float *dbias, const float *dout, int B, int OC, int OHW) {
    const int oc = blockIdx.x;
    double acc = 0.0;
    for (int b = 0; b < B; b++) {
        const float *row = dout + ((size_t)b * OC + oc) * OHW;
        for (int i = threadIdx.x; i < OHW; i += blockDim.x) acc += row[i];
    }
    __shared__ double part[256];
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) dbias[oc] += (float)part[0];
}

extern "C" int gpu_conv2d_forward(hw_gpu *g, float *out, const float *inp, const float *weight,
                                  const float *bias, const NnConv2dDims *d) {
    hw_gpu_conv_plan *p;
    if (plan_get(g, d, &p)) return -1;
    void *ws = NULL;
    if (hw_gpu_workspace(g, p->ws_fwd, &ws)) return -1;
    const float one = 1.0f, zero = 0.0f;
    HW_CUDNN_CHECK(cudnnConvolutionForward(g->cudnn, &one, p->x, inp, p->w, weight, p->conv,
                                           p->fwd, ws, p->ws_fwd, &zero, p->y, out));
    if (bias) {
        const int OHW = nn_conv2d_out_h(d) * nn_conv2d_out_w(d);
        const size_t n = (size_t)d->B * d->OC * OHW;
        add_bias_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, bias, d->OC, OHW, n);
        HW_LAUNCH_CHECK();
    }
    return 0;
}

extern "C" int gpu_conv2d_backward(hw_gpu *g, float *dinp, float *dweight, float *dbias,
                                   const float *dout, const float *inp, const float *weight,
                                   const NnConv2dDims *d) {
    hw_gpu_conv_plan *p;
    if (plan_get(g, d, &p)) return -1;
    const float one = 1.0f; // alpha 1, beta 1: the gradients accumulate, as in the C op
    if (dbias) {
        const int OHW = nn_conv2d_out_h(d) * nn_conv2d_out_w(d);
        bias_grad_kernel<<<d->OC, 256, 0, g->stream>>>(dbias, dout, d->B, d->OC, OHW);
        HW_LAUNCH_CHECK();
    }
    if (dweight) {
        void *ws = NULL;
        if (hw_gpu_workspace(g, p->ws_bwd_filter, &ws)) return -1;
        HW_CUDNN_CHECK(cudnnConvolutionBackwardFilter(g->cudnn, &one, p->x, inp, p->y, dout,
                                                      p->conv, p->bwd_filter, ws,
                                                      p->ws_bwd_filter, &one, p->w, dweight));
    }
    if (dinp) {
        void *ws = NULL;
        if (hw_gpu_workspace(g, p->ws_bwd_data, &ws)) return -1;
        HW_CUDNN_CHECK(cudnnConvolutionBackwardData(g->cudnn, &one, p->w, weight, p->y, dout,
                                                    p->conv, p->bwd_data, ws, p->ws_bwd_data,
                                                    &one, p->x, dinp));
    }
    return 0;
}
