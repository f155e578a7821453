/* CUDA versions of the ops of nn.h, and the optimiser steps of model.h, on device memory.
 *
 * Same conventions as nn.h, op for op (docs/nn.md, docs/gpu.md):
 *  - gpu_<op>_forward / gpu_<op>_backward take the context first, then the same arguments
 *    as the C op, in the same order, as DEVICE pointers (scalars such as dloss, p, eps stay
 *    host values). Shapes are as in nn.h.
 *  - every backward ADDS into its gradients; a NULL gradient pointer skips that work.
 *  - fp32, row-major, NCHW; losses write one float (device) and are means over the batch.
 *  - work is queued on the context's stream and returns at once; each returns 0, or -1 with
 *    hw_error() set (an invalid launch, a cuBLAS/cuDNN failure). Faults inside kernels show at
 *    the next hw_gpu_sync() or download.
 * Where an op differs from the C op in more than rounding, it says so here. Each is checked
 * against the C op by tests/gpu/test_gpu_ops.c, with the tolerance stated there.
 *
 * Only built with the CUDA backend (HITWIN_HAVE_CUDA). */
#ifndef HITWIN_GPU_OPS_H
#define HITWIN_GPU_OPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "hitwin/gpu_context.h"
#include "hitwin/nn.h"

/* ---- gpu_conv2d.cu: cuDNN convolution (NCHW fp32, groups, stride, zero padding) ---------
 * Descriptors and algorithms are chosen once per shape (cuDNN's heuristics, the first
 * deterministic fp32 algorithm that does not use tensor cores: CUDNN_FMA_MATH, so no TF32;
 * the same choice in every process, so resumed runs repeat the rounding) and cached in the
 * context.
 * No scratch argument: the workspace lives in the context. */
int gpu_conv2d_forward(hw_gpu *g, float *out, const float *inp, const float *weight,
                       const float *bias, const NnConv2dDims *d);
int gpu_conv2d_backward(hw_gpu *g, float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const NnConv2dDims *d);

/* ---- bf16 mixed precision (docs/gpu.md, Precision) ----------------------------------------
 * hw_bf16 holds the raw bits of a bfloat16 (the top half of an fp32); host code makes and
 * reads them with nn_bf16.h. Casts round to nearest even (__float2bfloat16_rn, which
 * hw_bf16_round reproduces on the host; NaN stays NaN). */
typedef uint16_t hw_bf16;
int gpu_cast_to_bf16(hw_gpu *g, hw_bf16 *out, const float *inp, size_t n);
int gpu_cast_from_bf16(hw_gpu *g, float *out, const hw_bf16 *inp, size_t n);
/* acc[i] += (float)x[i] */
int gpu_add_bf16(hw_gpu *g, float *acc, const hw_bf16 *x, size_t n);

/* Convolution on bf16 input and weights with fp32 accumulation (cuDNN's
 * PSEUDO_BFLOAT16_CONFIG: bf16 x, w, y, dy, dx, dw tensors, an fp32 compute type, tensor
 * cores allowed), deterministic algorithms only, as the fp32 op. Interfaces stay fp32 where
 * the neighbouring ops are fp32:
 *  - forward: out (fp32) = bf16(conv(inp, weight)) + bias; cuDNN writes y in bf16 (its
 *    config has no fp32 y), the bias is added in fp32.
 *  - backward: dout (fp32) is cast to bf16 here; dbias += sums of the fp32 dout (as the fp32
 *    op); dweight (fp32) += bf16 dW and dinp (fp32) += bf16 dX: cuDNN has no bf16 x with an
 *    fp32 dw, so each is made in bf16 in scratch and added.
 * Where cuDNN offers no deterministic bf16 algorithm for a shape and direction, that
 * direction widens its bf16 operands to fp32 (exactly) and runs the fp32 op: the same
 * products, accumulated in fp32, outputs not rounded to bf16.
 * scratch: gpu_conv2d_bf16_scratch_bytes(d) bytes of device memory, reusable across calls
 * and layers (size it for the largest). */
size_t gpu_conv2d_bf16_scratch_bytes(const NnConv2dDims *d);
int gpu_conv2d_forward_bf16(hw_gpu *g, float *out, const hw_bf16 *inp, const hw_bf16 *weight,
                            const float *bias, void *scratch, const NnConv2dDims *d);
int gpu_conv2d_backward_bf16(hw_gpu *g, float *dinp, float *dweight, float *dbias,
                             const float *dout, const hw_bf16 *inp, const hw_bf16 *weight,
                             void *scratch, const NnConv2dDims *d);
/* Which algorithms a bf16 shape uses: bit 0 forward, bit 1 backward data, bit 2 backward
 * filter set where cuDNN runs it in bf16, clear where it falls back to fp32 (above); -1
 * with hw_fail for an invalid shape. For the tests' and the logs' information. */
int gpu_conv2d_bf16_native(hw_gpu *g, const NnConv2dDims *d);

/* ---- gpu_pool.cu: max pooling, the C op's rule exactly -----------------------------------
 * Same argmax as maxpool2d_forward (first maximum in row-major window order wins, NaN is
 * taken). Backward gathers per input element in output order, so it is bit-identical to the
 * C op's scatter and deterministic; it needs the pooling geometry the C backward does not. */
int gpu_maxpool2d_forward(hw_gpu *g, float *out, int32_t *argmax, const float *inp, int B, int C,
                          int H, int W, int kernel, int stride, int pad);
int gpu_maxpool2d_backward(hw_gpu *g, float *dinp, const float *dout, const int32_t *argmax,
                           int B, int C, int H, int W, int kernel, int stride, int pad);

/* ---- gpu_linear.cu: out = inp W^T + b (cuBLAS sgemm, fp32; GemmEx for bf16) ------------- */
int gpu_linear_forward(hw_gpu *g, float *out, const float *inp, const float *weight,
                       const float *bias, int B, int IN, int OUT);
int gpu_linear_backward(hw_gpu *g, float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int B, int IN, int OUT);
/* The same on bf16 inp and weight with fp32 accumulation (cublasGemmEx: CUDA_R_16BF A and
 * B, CUDA_R_32F C, CUBLAS_COMPUTE_32F; tensor cores), fp32 out, dinp, dweight, dbias. The
 * backward casts dout to bf16 into scratch (B * OUT values) for the two products; dbias sums
 * the fp32 dout (bit-identical to the C op's, as the fp32 op). */
int gpu_linear_forward_bf16(hw_gpu *g, float *out, const hw_bf16 *inp, const hw_bf16 *weight,
                            const float *bias, int B, int IN, int OUT);
int gpu_linear_backward_bf16(hw_gpu *g, float *dinp, float *dweight, float *dbias,
                             const float *dout, const hw_bf16 *inp, const hw_bf16 *weight,
                             hw_bf16 *scratch, int B, int IN, int OUT);

/* ---- gpu_activation.cu: GELU (exact erf) and dropout --------------------------------------
 * Dropout over `rows` rows of `cols` elements: element (r, c) keeps iff draw
 *   nn_rng_u32_at(seed, counter + r * row_draws + c) >> 8 >= (uint32_t)(p * 2^24)
 * which is dropout_forward's rule, so masks and outputs are bit-identical to the C op's for
 * the same draws. rows = 1, row_draws = 0 is dropout_forward with rng = {seed, counter} (the
 * caller advances its counter by cols); the model draws item i of view v of V at
 * counter + (i V + v) F, i.e. row_draws = V F. p <= 0 copies with an all-ones mask, p >= 1
 * zeroes, as the C op. */
int gpu_gelu_forward(hw_gpu *g, float *out, const float *inp, size_t n);
int gpu_gelu_backward(hw_gpu *g, float *dinp, const float *dout, const float *inp, size_t n);
int gpu_dropout_forward(hw_gpu *g, float *out, uint8_t *mask, const float *inp, float p,
                        uint64_t seed, uint64_t counter, size_t rows, size_t cols,
                        uint64_t row_draws);
int gpu_dropout_backward(hw_gpu *g, float *dinp, const float *dout, const uint8_t *mask, float p,
                         size_t n);

/* ---- gpu_softmax.cu: softmax, cross-entropy on logits, the reference's double softmax ---- */
int gpu_softmax_forward(hw_gpu *g, float *probs, const float *logits, int B, int C);
int gpu_softmax_backward(hw_gpu *g, float *dlogits, const float *dprobs, const float *probs,
                         int B, int C);
int gpu_crossentropy_forward(hw_gpu *g, float *loss, float *probs, const float *logits,
                             const int32_t *targets, int B, int C);
int gpu_crossentropy_backward(hw_gpu *g, float *dlogits, float dloss, const float *probs,
                              const int32_t *targets, int B, int C);
int gpu_double_softmax_ce_forward(hw_gpu *g, float *loss, float *probs, float *probs2,
                                  const float *logits, const int32_t *targets, int B, int C);
int gpu_double_softmax_ce_backward(hw_gpu *g, float *dlogits, float dloss, const float *probs,
                                   const float *probs2, const int32_t *targets, int B, int C);

/* ---- gpu_norm.cu: L2 normalisation, per-sample max normalisation ------------------------
 * maxnorm's max is the C op's (the first element if it is NaN, else the largest non-NaN
 * one), including the guard: a sample whose max is 0 passes through. */
int gpu_l2norm_forward(hw_gpu *g, float *out, const float *inp, float eps, int B, int D);
int gpu_l2norm_backward(hw_gpu *g, float *dinp, const float *dout, const float *inp, float eps,
                        int B, int D);
int gpu_maxnorm_forward(hw_gpu *g, float *out, float *maxval, const float *inp, int B, int N);
int gpu_maxnorm_backward(hw_gpu *g, float *dinp, const float *dout, const float *inp,
                         const float *maxval, int B, int N);

/* ---- gpu_mask.cu: the reference's diagonal mask ---------------------------------------- */
int gpu_diagmask_forward(hw_gpu *g, float *out, const float *inp, int band, int BC, int H, int W);
int gpu_diagmask_backward(hw_gpu *g, float *dinp, const float *dout, int band, int BC, int H,
                          int W);

/* ---- gpu_distance.cu: per-row distances ---------------------------------------------------- */
int gpu_pairwise_distance_forward(hw_gpu *g, float *dist, const float *x1, const float *x2,
                                  float eps, int B, int D);
int gpu_pairwise_distance_backward(hw_gpu *g, float *dx1, float *dx2, const float *ddist,
                                   const float *x1, const float *x2, const float *dist, float eps,
                                   int B, int D);
int gpu_cosine_distance_forward(hw_gpu *g, float *dist, const float *x1, const float *x2,
                                float eps, int B, int D);
int gpu_cosine_distance_backward(hw_gpu *g, float *dx1, float *dx2, const float *ddist,
                                 const float *x1, const float *x2, float eps, int B, int D);

/* ---- gpu_loss.cu: contrastive, triplet, SINCERE -----------------------------------------
 * sincere_loss_backward needs N*N floats of device scratch (the gradient w.r.t. the logits). */
int gpu_contrastive_loss_forward(hw_gpu *g, float *loss, const float *dist, const float *y,
                                 float margin, int B);
int gpu_contrastive_loss_backward(hw_gpu *g, float *ddist, float dloss, const float *dist,
                                  const float *y, float margin, int B);
int gpu_triplet_loss_forward(hw_gpu *g, float *loss, const float *d_ap, const float *d_an,
                             float margin, int B);
int gpu_triplet_loss_backward(hw_gpu *g, float *dd_ap, float *dd_an, float dloss,
                              const float *d_ap, const float *d_an, float margin, int B);
int gpu_sincere_loss_forward(hw_gpu *g, float *loss, float *logits, const float *z,
                             const int32_t *labels, float tau, int N, int V, int D);
int gpu_sincere_loss_backward(hw_gpu *g, float *dz, float *scratch, float dloss,
                              const float *logits, const float *z, const int32_t *labels,
                              float tau, int N, int V, int D);

/* ---- gpu_optim.cu: Adam and Adagrad, hw_optim_step's arithmetic to the bit ----------------
 * The host computes the step's scalars exactly as src/model/optim.c does (bias corrections in
 * double from the decimal hyper-parameters); the kernel does optim.c's float operations in
 * its order with round-to-nearest intrinsics (no fused multiply-add), so params and moments
 * equal the CPU's bit for bit. */
typedef struct {
    int kind;        /* HW_OPTIM_ADAM (0) or HW_OPTIM_ADAGRAD (1), as hw_optim_kind */
    float lr, beta1, beta2, eps;
    int64_t step;    /* steps taken */
    size_t n;
    float *m, *v;    /* device moments [n]; Adagrad uses v only (m is NULL) */
} hw_gpu_optim;

/* Defaults as hw_optim_init: betas (0.9, 0.999), eps 1e-8 (Adam) / 1e-10 (Adagrad), zeroed
 * moments. */
int hw_gpu_optim_init(hw_gpu *g, hw_gpu_optim *o, int kind, float lr, size_t n_params);
void hw_gpu_optim_free(hw_gpu_optim *o);
int hw_gpu_optim_step(hw_gpu *g, hw_gpu_optim *o, float *params, const float *grads);

#ifdef __cplusplus
}
#endif
#endif
