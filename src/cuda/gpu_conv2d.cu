// 2-D convolution through cuDNN (NCHW), with the C op's semantics: forward writes out,
// backward adds into dinp, dweight, dbias (cuDNN's beta = 1) and skips NULL ones. In fp32
// (gpu_conv2d_forward/backward) and on bf16 operands with fp32 accumulation
// (gpu_conv2d_*_bf16, the mixed-precision mode of docs/gpu.md).
//
// A plan per shape and precision holds the descriptors and the three algorithms, chosen on
// the first call of a shape and reused; the training loop sees a few shapes (two layers,
// the last partial batch, the embedding chunks). The algorithms come from cuDNN's
// heuristics (cudnnGet*Algorithm_v7), not from timing (cudnnFind*): timing can pick another
// algorithm in another process, and another algorithm rounds differently, so a resumed run
// would not continue the interrupted one bit for bit. Only algorithms cuDNN reports as
// deterministic are taken (some backward-filter algorithms add with atomics, in a varying
// order).
//
// fp32: the math type is CUDNN_FMA_MATH: with CUDNN_DEFAULT_MATH cuDNN may use TF32 tensor
// cores for fp32 data on Ampere and later, which keeps 10 mantissa bits and would make fp32
// results differ from the C op by ~1e-3. Candidates that report a tensor-op math type are
// skipped for the same reason.
//
// bf16: cuDNN's PSEUDO_BFLOAT16_CONFIG, the only bf16 configuration of the legacy API: x, w
// and y (dx, dw and dy backward) all CUDNN_DATA_BFLOAT16, the convolution descriptor's
// compute type CUDNN_DATA_FLOAT (products of bf16 values are exact in fp32 and accumulate
// in fp32), CUDNN_TENSOR_OP_MATH for the heuristics query (tensor cores allowed, any math
// type accepted), then each direction sized and run with the math type the heuristics
// paired with its algorithm (PyTorch's rule: the pair is what was ranked). As y and dw
// must be bf16 too, the forward writes y into scratch and widens it into the fp32 output
// with the bias, and the backward makes dW and dX in scratch and adds them into the fp32
// gradients. A direction cuDNN has no deterministic bf16 algorithm for (possible for odd
// shapes such as one input channel) widens its operands to fp32 and runs the fp32 plan.
//
// The bias add and the bias gradient are own kernels: both are one pass over the output.
//
// This uses cuDNN's legacy convolution API, deprecated in cuDNN 9 but present and supported
// there; the graph API would replace it (docs/gpu.md).
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.cuh"
#include "hitwin/gpu_ops.h"

#define HW_CONV_PLANS_MAX 16 // shapes x precisions kept; least recently used is dropped beyond this

struct hw_gpu_conv_plan {
    NnConv2dDims d;
    int bf16; // PSEUDO_BFLOAT16_CONFIG, else fp32
    // bf16 plans: whether cuDNN offered a deterministic algorithm for the direction (fp32
    // plans always have one, else building them fails)
    int fwd_ok, bwd_data_ok, bwd_filter_ok;
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_data;
    cudnnConvolutionBwdFilterAlgo_t bwd_filter;
    // bf16 plans: the math type cuDNN's heuristics paired with each direction's algorithm.
    // The descriptor must carry it when the workspace is sized and when the algorithm runs:
    // with another math type cuDNN may run another kernel of the same algorithm (one that was
    // not the one reported deterministic, or a slower one). fp32 plans keep CUDNN_FMA_MATH.
    cudnnMathType_t m_fwd, m_bwd_data, m_bwd_filter;
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

// cuDNN 9's status codes come in categories (3000-3999: not supported, for one reason or
// another); a bf16 configuration cuDNN will not run is not an error here, only a fall-back
static int not_supported(cudnnStatus_t st) {
    return CUDNN_STATUS_CATEGORY(st) == CUDNN_STATUS_NOT_SUPPORTED;
}

static int shape_error(const NnConv2dDims *d, const char *why) {
    return hw_fail("cuda conv2d: %s (B %d, C %d, H %d, W %d, OC %d, kernel %dx%d, stride %d, pad %d, "
                   "groups %d)",
                   why, d->B, d->C, d->H, d->W, d->OC, d->KH, d->KW, d->stride, d->pad, d->groups);
}

// bf16 plans: the descriptor's math type for the direction about to be sized or run (the
// heuristics' pairing, see m_fwd); fp32 plans always stay CUDNN_FMA_MATH (no TF32)
static int set_math(hw_gpu_conv_plan *p, cudnnMathType_t m) {
    if (!p->bf16) return 0;
    HW_CUDNN_CHECK(cudnnSetConvolutionMathType(p->conv, m));
    return 0;
}

// Descriptors of one shape and, for each direction, the first deterministic algorithm in
// cuDNN's heuristic ranking, with its workspace size: fp32 plans take only algorithms
// without tensor cores and fail without one; bf16 plans take any math type and mark a
// direction without one (the bf16 ops then fall back to fp32 for it).
static int plan_build(hw_gpu *g, hw_gpu_conv_plan *p) {
    const NnConv2dDims *d = &p->d;
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d);
    const cudnnDataType_t dt = p->bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
    HW_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->x));
    HW_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->y));
    HW_CUDNN_CHECK(cudnnCreateFilterDescriptor(&p->w));
    HW_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&p->conv));
    HW_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->x, CUDNN_TENSOR_NCHW, dt, d->B, d->C, d->H, d->W));
    HW_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->y, CUDNN_TENSOR_NCHW, dt, d->B, d->OC, OH, OW));
    HW_CUDNN_CHECK(cudnnSetFilter4dDescriptor(p->w, dt, CUDNN_TENSOR_NCHW, d->OC, d->C / d->groups,
                                              d->KH, d->KW));
    // torch's Conv2d is a cross-correlation; the compute type is fp32 in both precisions
    HW_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(p->conv, d->pad, d->pad, d->stride, d->stride,
                                                   1, 1, CUDNN_CROSS_CORRELATION,
                                                   CUDNN_DATA_FLOAT));
    HW_CUDNN_CHECK(cudnnSetConvolutionGroupCount(p->conv, d->groups));
    HW_CUDNN_CHECK(cudnnSetConvolutionMathType(p->conv, p->bf16 ? CUDNN_TENSOR_OP_MATH
                                                                : CUDNN_FMA_MATH));
    int n, check[4];
    HW_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(p->conv, p->x, p->w, &check[0],
                                                         &check[1], &check[2], &check[3]));
    if (check[0] != d->B || check[1] != d->OC || check[2] != OH || check[3] != OW)
        return shape_error(d, "cuDNN's output shape differs from nn_conv2d_out_h/w");

    enum { K = 8 };
    const int bf16 = p->bf16;
    // a heuristics query: a bf16 shape cuDNN does not support gives no candidates (n = 0);
    // anything else that fails is an error
#define HW_HEURISTIC(call)                                                                    \
    do {                                                                                      \
        cudnnStatus_t st_ = (call);                                                           \
        if (st_ != CUDNN_STATUS_SUCCESS) {                                                    \
            if (!(bf16 && not_supported(st_)))                                                \
                return hw_gpu_failed("cudnn", #call, cudnnGetErrorString(st_), NULL, __FILE__, \
                                     __LINE__);                                               \
            n = 0;                                                                            \
        }                                                                                     \
    } while (0)
    // a candidate's workspace query, with the descriptor set to the candidate's math type:
    // success runs the statements that take the candidate; in bf16 a NOT_SUPPORTED answer
    // only skips it (heuristics can offer an algorithm whose workspace query then refuses
    // the shape), so the next candidate or the fp32 fall-back is used instead of failing
#define HW_WORKSPACE(call, ...)                                                               \
    do {                                                                                      \
        cudnnStatus_t st_ = (call);                                                           \
        if (st_ == CUDNN_STATUS_SUCCESS)                                                      \
            __VA_ARGS__;                                                                      \
        else if (!(bf16 && not_supported(st_)))                                               \
            return hw_gpu_failed("cudnn", #call, cudnnGetErrorString(st_), NULL, __FILE__,    \
                                 __LINE__);                                                   \
    } while (0)
    // usable: succeeded, deterministic, and in fp32 no tensor-op (TF32) math
#define HW_USABLE(r) ((r).status == CUDNN_STATUS_SUCCESS && (r).determinism == CUDNN_DETERMINISTIC && \
                      (bf16 || !is_tensor_op((r).mathType)))
    {
        cudnnConvolutionFwdAlgoPerf_t r[K];
        if (set_math(p, CUDNN_TENSOR_OP_MATH)) return -1; // every candidate, as asked
        HW_HEURISTIC(cudnnGetConvolutionForwardAlgorithm_v7(g->cudnn, p->x, p->w, p->conv, p->y,
                                                            K, &n, r));
        for (int i = 0; i < n && !p->fwd_ok; i++) {
            if (!HW_USABLE(r[i])) continue;
            if (set_math(p, r[i].mathType)) return -1;
            HW_WORKSPACE(cudnnGetConvolutionForwardWorkspaceSize(g->cudnn, p->x, p->w, p->conv,
                                                                 p->y, r[i].algo, &p->ws_fwd),
                         p->fwd = r[i].algo, p->m_fwd = r[i].mathType, p->fwd_ok = 1);
        }
    }
    if (!p->fwd_ok && !bf16)
        return shape_error(d, "cuDNN offers no deterministic fp32 (non-tensor-core) forward algorithm");
    {
        cudnnConvolutionBwdDataAlgoPerf_t r[K];
        if (set_math(p, CUDNN_TENSOR_OP_MATH)) return -1; // every candidate, as asked
        HW_HEURISTIC(cudnnGetConvolutionBackwardDataAlgorithm_v7(g->cudnn, p->w, p->y, p->conv,
                                                                 p->x, K, &n, r));
        for (int i = 0; i < n && !p->bwd_data_ok; i++) {
            if (!HW_USABLE(r[i])) continue;
            if (set_math(p, r[i].mathType)) return -1;
            HW_WORKSPACE(cudnnGetConvolutionBackwardDataWorkspaceSize(
                             g->cudnn, p->w, p->y, p->conv, p->x, r[i].algo, &p->ws_bwd_data),
                         p->bwd_data = r[i].algo, p->m_bwd_data = r[i].mathType,
                         p->bwd_data_ok = 1);
        }
    }
    if (!p->bwd_data_ok && !bf16)
        return shape_error(d, "cuDNN offers no deterministic fp32 backward-data algorithm");
    {
        cudnnConvolutionBwdFilterAlgoPerf_t r[K];
        if (set_math(p, CUDNN_TENSOR_OP_MATH)) return -1; // every candidate, as asked
        HW_HEURISTIC(cudnnGetConvolutionBackwardFilterAlgorithm_v7(g->cudnn, p->x, p->y,
                                                                   p->conv, p->w, K, &n, r));
        for (int i = 0; i < n && !p->bwd_filter_ok; i++) {
            if (!HW_USABLE(r[i])) continue;
            if (set_math(p, r[i].mathType)) return -1;
            HW_WORKSPACE(cudnnGetConvolutionBackwardFilterWorkspaceSize(
                             g->cudnn, p->x, p->y, p->conv, p->w, r[i].algo, &p->ws_bwd_filter),
                         p->bwd_filter = r[i].algo, p->m_bwd_filter = r[i].mathType,
                         p->bwd_filter_ok = 1);
        }
    }
#undef HW_WORKSPACE
#undef HW_USABLE
#undef HW_HEURISTIC
    if (!p->bwd_filter_ok && !bf16)
        return shape_error(d, "cuDNN offers no deterministic fp32 backward-filter algorithm");
    return 0;
}

// The plan of d's shape in the precision asked for, built on first use; moved to the front
// of the list when found.
static int plan_get(hw_gpu *g, const NnConv2dDims *d, int bf16, hw_gpu_conv_plan **out) {
    if (d->B < 1 || d->C < 1 || d->OC < 1 || d->groups < 1 || d->C % d->groups ||
        d->OC % d->groups || d->stride < 1 || d->pad < 0 || nn_conv2d_out_h(d) < 1 ||
        nn_conv2d_out_w(d) < 1)
        return shape_error(d, "invalid shape");
    hw_gpu_conv_plan **link = &g->plans;
    int count = 0;
    for (hw_gpu_conv_plan *p = g->plans; p; link = &p->next, p = p->next, count++) {
        if (p->bf16 == bf16 && memcmp(&p->d, d, sizeof *d) == 0) {
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
    p->bf16 = bf16;
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
    if (plan_get(g, d, 0, &p)) return -1;
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
    if (plan_get(g, d, 0, &p)) return -1;
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

// ---- bf16 operands, fp32 accumulation (the mixed-precision mode) ---------------------------

// The parts of the caller's scratch: y (forward) or dy (backward) in bf16, the bf16 dX and dW
// made before they are added into the fp32 gradients, and the fp32 copies of x and w of the
// fallback. Disjoint, so any mix of native and fallback directions fits; 256-byte aligned
// from a 256-byte aligned base (cudaMalloc's, the model arena's).
typedef struct {
    __nv_bfloat16 *y, *dx, *dw;
    float *x32, *w32;
} bf16_scratch;

static size_t n_in(const NnConv2dDims *d) { return (size_t)d->B * d->C * d->H * d->W; }
static size_t n_out(const NnConv2dDims *d) {
    return (size_t)d->B * d->OC * nn_conv2d_out_h(d) * nn_conv2d_out_w(d);
}
static size_t n_weight(const NnConv2dDims *d) {
    return (size_t)d->OC * (d->C / (d->groups > 0 ? d->groups : 1)) * d->KH * d->KW;
}

// Points sc into base (NULL: sizes only); returns the bytes used.
static size_t scratch_layout(const NnConv2dDims *d, void *base, bf16_scratch *sc) {
    const size_t parts[5] = {n_out(d) * 2, n_in(d) * 2, n_weight(d) * 2, n_in(d) * 4,
                             n_weight(d) * 4};
    char *at[5];
    size_t off = 0;
    for (int i = 0; i < 5; i++) {
        at[i] = base ? (char *)base + off : NULL;
        off += (parts[i] + 255) & ~(size_t)255;
    }
    sc->y = (__nv_bfloat16 *)at[0], sc->dx = (__nv_bfloat16 *)at[1], sc->dw = (__nv_bfloat16 *)at[2];
    sc->x32 = (float *)at[3], sc->w32 = (float *)at[4];
    return off;
}

extern "C" size_t gpu_conv2d_bf16_scratch_bytes(const NnConv2dDims *d) {
    bf16_scratch sc;
    return scratch_layout(d, NULL, &sc);
}

extern "C" int gpu_conv2d_bf16_native(hw_gpu *g, const NnConv2dDims *d) {
    hw_gpu_conv_plan *p;
    if (plan_get(g, d, 1, &p)) return -1;
    return p->fwd_ok | p->bwd_data_ok << 1 | p->bwd_filter_ok << 2;
}

// out[b, oc, :] = (float)y[b, oc, :] + bias[oc] (bias may be NULL)
__global__ static void widen_bias_kernel(float *out, const __nv_bfloat16 *y, const float *bias,
                                         int OC, int OHW, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const float v = __bfloat162float(y[i]);
        out[i] = bias ? v + bias[(i / OHW) % OC] : v;
    }
}

extern "C" int gpu_conv2d_forward_bf16(hw_gpu *g, float *out, const hw_bf16 *inp,
                                       const hw_bf16 *weight, const float *bias, void *scratch,
                                       const NnConv2dDims *d) {
    hw_gpu_conv_plan *p;
    if (plan_get(g, d, 1, &p)) return -1;
    bf16_scratch sc;
    scratch_layout(d, scratch, &sc);
    if (p->fwd_ok) {
        void *ws = NULL;
        if (hw_gpu_workspace(g, p->ws_fwd, &ws) || set_math(p, p->m_fwd)) return -1;
        const float one = 1.0f, zero = 0.0f; // float scaling factors for bf16 data (cuDNN's rule)
        cudnnStatus_t st = cudnnConvolutionForward(g->cudnn, &one, p->x, inp, p->w, weight,
                                                   p->conv, p->fwd, ws, p->ws_fwd, &zero, p->y,
                                                   sc.y);
        if (st == CUDNN_STATUS_SUCCESS) {
            const int OHW = nn_conv2d_out_h(d) * nn_conv2d_out_w(d);
            const size_t n = n_out(d);
            widen_bias_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(out, sc.y, bias, d->OC,
                                                                       OHW, n);
            HW_LAUNCH_CHECK();
            return 0;
        }
        if (!not_supported(st))
            return hw_gpu_failed("cudnn", "cudnnConvolutionForward (bf16)", cudnnGetErrorString(st),
                                 NULL, __FILE__, __LINE__);
        p->fwd_ok = 0; // offered but refused at run time: the fall-back from now on
    }
    // no bf16 algorithm: the same products in fp32
    if (gpu_cast_from_bf16(g, sc.x32, inp, n_in(d)) ||
        gpu_cast_from_bf16(g, sc.w32, weight, n_weight(d)))
        return -1;
    return gpu_conv2d_forward(g, out, sc.x32, sc.w32, bias, d);
}

extern "C" int gpu_conv2d_backward_bf16(hw_gpu *g, float *dinp, float *dweight, float *dbias,
                                        const float *dout, const hw_bf16 *inp,
                                        const hw_bf16 *weight, void *scratch,
                                        const NnConv2dDims *d) {
    hw_gpu_conv_plan *p;
    if (plan_get(g, d, 1, &p)) return -1;
    bf16_scratch sc;
    scratch_layout(d, scratch, &sc);
    if (dbias) { // from the fp32 dout, as the fp32 op
        const int OHW = nn_conv2d_out_h(d) * nn_conv2d_out_w(d);
        bias_grad_kernel<<<d->OC, 256, 0, g->stream>>>(dbias, dout, d->B, d->OC, OHW);
        HW_LAUNCH_CHECK();
    }
    int native_w = dweight && p->bwd_filter_ok, native_x = dinp && p->bwd_data_ok;
    const float one = 1.0f, zero = 0.0f;
    if ((native_w || native_x) && gpu_cast_to_bf16(g, hw_bf16_bits_of(sc.y), dout, n_out(d)))
        return -1;
    if (native_w) { // dW in bf16 (beta 0: written), then added into the fp32 dweight
        void *ws = NULL;
        if (hw_gpu_workspace(g, p->ws_bwd_filter, &ws) || set_math(p, p->m_bwd_filter)) return -1;
        cudnnStatus_t st = cudnnConvolutionBackwardFilter(g->cudnn, &one, p->x, inp, p->y, sc.y,
                                                          p->conv, p->bwd_filter, ws,
                                                          p->ws_bwd_filter, &zero, p->w, sc.dw);
        if (st == CUDNN_STATUS_SUCCESS) {
            if (gpu_add_bf16(g, dweight, hw_bf16_bits_of(sc.dw), n_weight(d))) return -1;
        } else if (not_supported(st)) { // refused at run time: the fall-back below, from now on
            p->bwd_filter_ok = 0, native_w = 0;
        } else {
            return hw_gpu_failed("cudnn", "cudnnConvolutionBackwardFilter (bf16)",
                                 cudnnGetErrorString(st), NULL, __FILE__, __LINE__);
        }
    }
    if (native_x) {
        void *ws = NULL;
        if (hw_gpu_workspace(g, p->ws_bwd_data, &ws) || set_math(p, p->m_bwd_data)) return -1;
        cudnnStatus_t st = cudnnConvolutionBackwardData(g->cudnn, &one, p->w, weight, p->y, sc.y,
                                                        p->conv, p->bwd_data, ws, p->ws_bwd_data,
                                                        &zero, p->x, sc.dx);
        if (st == CUDNN_STATUS_SUCCESS) {
            if (gpu_add_bf16(g, dinp, hw_bf16_bits_of(sc.dx), n_in(d))) return -1;
        } else if (not_supported(st)) {
            p->bwd_data_ok = 0, native_x = 0;
        } else {
            return hw_gpu_failed("cudnn", "cudnnConvolutionBackwardData (bf16)",
                                 cudnnGetErrorString(st), NULL, __FILE__, __LINE__);
        }
    }
    // fallbacks: the fp32 op on widened operands and the fp32 dout (p is not used below: the
    // fp32 op looks up, and may build, its own plan)
    if (dweight && !native_w) {
        if (gpu_cast_from_bf16(g, sc.x32, inp, n_in(d)) ||
            gpu_conv2d_backward(g, NULL, dweight, NULL, dout, sc.x32, NULL, d))
            return -1;
    }
    if (dinp && !native_x) {
        if (gpu_cast_from_bf16(g, sc.w32, weight, n_weight(d)) ||
            gpu_conv2d_backward(g, dinp, NULL, NULL, dout, NULL, sc.w32, d))
            return -1;
    }
    return 0;
}
