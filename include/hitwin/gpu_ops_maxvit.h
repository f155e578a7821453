/* CUDA twins of the MaxViT ops of nn_maxvit.h (docs/maxvit.md), on device memory.
 *
 * gpu_ops.h's conventions, op for op: the context first, then the C op's arguments in its
 * order as DEVICE pointers (scalars stay host values); every backward ADDS into its
 * gradients and skips a NULL one; fp32, NCHW images, tokens [.., P, C] channels last; work
 * is queued on the context's stream; each returns 0, or -1 with hw_error() set.
 * Where an op's arguments differ from the C op's (the generator, scratch sizes), it says so
 * here. Each is checked against the C op by tests/gpu/test_gpu_maxvit_ops.c with the
 * tolerance of docs/maxvit.md's "CUDA twins" table.
 *
 * Not here because they exist: GELU and linear (gpu_ops.h), the 3x3 depthwise convolutions
 * (gpu_conv2d_* with groups = C: cuDNN, deterministic algorithms) and the general conv2d.
 *
 * Status: written and compiled without a GPU; never run (docs/maxvit.md).
 * Only built with the CUDA backend (HITWIN_HAVE_CUDA). */
#ifndef HITWIN_GPU_OPS_MAXVIT_H
#define HITWIN_GPU_OPS_MAXVIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "hitwin/gpu_context.h"
#include "hitwin/nn_maxvit.h"

/* ---- gpu_batchnorm.cu: BatchNorm2d over [B, C, HW] ----------------------------------------
 * batchnorm2d_forward/backward. One block per channel: the (B, HW) sums in double, a tree
 * sum in a fixed order (deterministic, no atomics), as the C op sums in double. running_mean
 * and running_var (device, may be NULL) are updated in train mode as the C op does. */
int gpu_batchnorm2d_forward(hw_gpu *g, float *out, float *mean, float *rstd, float *running_mean,
                            float *running_var, const float *inp, const float *gamma,
                            const float *beta, int train, float momentum, float eps, int B, int C,
                            int HW);
int gpu_batchnorm2d_backward(hw_gpu *g, float *dinp, float *dgamma, float *dbeta,
                             const float *dout, const float *inp, const float *mean,
                             const float *rstd, const float *gamma, int train, int B, int C,
                             int HW);

/* ---- gpu_layernorm.cu: LayerNorm over the last dim ----------------------------------------
 * layernorm_forward/backward: a warp per row, row sums in double. dgamma and dbeta are
 * column sums over N rows: each block of LN_ROWS rows writes its partial sums to scratch,
 * then one thread per column adds the partials in block order (deterministic, no atomics).
 * scratch: gpu_layernorm_backward_scratch_floats(N, C) floats of device memory (the C op has
 * none); unused (may be NULL) when dgamma and dbeta are both NULL. */
size_t gpu_layernorm_backward_scratch_floats(int N, int C);
int gpu_layernorm_forward(hw_gpu *g, float *out, float *mean, float *rstd, const float *inp,
                          const float *gamma, const float *beta, float eps, int N, int C);
int gpu_layernorm_backward(hw_gpu *g, float *dinp, float *dgamma, float *dbeta,
                           const float *dout, const float *inp, const float *mean,
                           const float *rstd, const float *gamma, float *scratch, int N, int C);

/* ---- gpu_activation.cu: SiLU and sigmoid (next to GELU) --------------------------------- */
int gpu_silu_forward(hw_gpu *g, float *out, const float *inp, size_t n);
int gpu_silu_backward(hw_gpu *g, float *dinp, const float *dout, const float *inp, size_t n);
int gpu_sigmoid_forward(hw_gpu *g, float *out, const float *inp, size_t n);
/* from the forward's OUTPUT, as the C op */
int gpu_sigmoid_backward(hw_gpu *g, float *dinp, const float *dout, const float *out, size_t n);

/* ---- gpu_avgpool.cu: average pools ------------------------------------------------------
 * avgpool2d (count_include_pad): a thread per output, the C op's additions in its order;
 * backward gathers per input element over the windows covering it in increasing output
 * index, the C scatter's additions in its order: both bit-identical to the C op. The global
 * pool: a warp per (b, c), sum in double; its backward is bit-identical. */
int gpu_avgpool2d_forward(hw_gpu *g, float *out, const float *inp, int B, int C, int H, int W,
                          int kernel, int stride, int pad);
int gpu_avgpool2d_backward(hw_gpu *g, float *dinp, const float *dout, int B, int C, int H, int W,
                           int kernel, int stride, int pad);
int gpu_global_avgpool_forward(hw_gpu *g, float *out, int ld, const float *inp, int B, int C,
                               int HW);
int gpu_global_avgpool_backward(hw_gpu *g, float *dinp, const float *dout, int ld, int B, int C,
                                int HW);

/* ---- gpu_conv1x1.cu: the 1x1 convolution as a GEMM per image ---------------------------
 * conv2d_forward/backward with KH = KW = 1, stride 1, no padding, groups 1: per image
 * out[b] [OC, HW] = W [OC, C] . inp[b] [C, HW] (+ bias), one cublasSgemmStridedBatched over
 * the batch; dinp[b] += W^T dout[b], strided-batched too; dweight += sum_b dout[b] inp[b]^T,
 * one sgemm per image with beta 1, images in order (deterministic); dbias sums (b, hw) in
 * double. weight [OC, C] (the conv's [OC, C, 1, 1]). fp32 (no TF32), as gpu_linear. */
int gpu_conv1x1_forward(hw_gpu *g, float *out, const float *inp, const float *weight,
                        const float *bias, int B, int C, int OC, int HW);
int gpu_conv1x1_backward(hw_gpu *g, float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int B, int C, int OC, int HW);

/* ---- gpu_squeeze_excite.cu: torchvision SqueezeExcitation(C, SQ, SiLU) -------------------
 * squeeze_excite_forward/backward composed of the ops above and gpu_linear; saved holds
 * DEVICE pointers (the C op's NnSeSaved layout). scratch: 2 B C + B SQ floats, as the C op. */
int gpu_squeeze_excite_forward(hw_gpu *g, float *out, const NnSeSaved *saved, const float *inp,
                               const float *w1, const float *b1, const float *w2, const float *b2,
                               int B, int C, int SQ, int HW);
int gpu_squeeze_excite_backward(hw_gpu *g, float *dinp, float *dw1, float *db1, float *dw2,
                                float *db2, const float *dout, const NnSeSaved *saved,
                                const float *inp, const float *w1, const float *w2, float *scratch,
                                int B, int C, int SQ, int HW);

/* ---- gpu_partition.cu: window / grid partition and its inverse --------------------------
 * The C op's index map, a thread per element: forward copies, backward adds one term per
 * element; bit-identical to the C op. */
int gpu_partition_forward(hw_gpu *g, float *tokens, const float *img, NnPartition kind, int B,
                          int C, int H, int W, int w);
int gpu_partition_backward(hw_gpu *g, float *dimg, const float *dtokens, NnPartition kind, int B,
                           int C, int H, int W, int w);
int gpu_departition_forward(hw_gpu *g, float *img, const float *tokens, NnPartition kind, int B,
                            int C, int H, int W, int w);
int gpu_departition_backward(hw_gpu *g, float *dtokens, const float *dimg, NnPartition kind,
                             int B, int C, int H, int W, int w);

/* ---- gpu_attention.cu: relative-position multi-head self-attention -----------------------
 * relpos_attention_forward/backward. One block per (group, head): q, k, v (and dout) of the
 * head in shared memory, the P x P logits, softmax and products there (P = w w = 49 and
 * head_dim 32 in MaxViT: 4 small matrices, too small for cuBLAS to pay). Each block owns its
 * head's slice of dqkv (plain +=, no atomics). dtable sums over every group and token pair:
 * the blocks write dlogits to scratch, then one block per (table entry, head) adds them in
 * group order (deterministic). scratch: BG NH P P floats (the C op takes 2 P P), needed only
 * when dtable is not NULL. Shared memory: (3 P DH + P P) floats forward, (4 P DH + 2 P P)
 * backward; shapes that need more than the device allows are refused with a message. */
int gpu_relpos_attention_forward(hw_gpu *g, float *out, float *probs, const float *qkv,
                                 const float *table, int BG, int w, int C, int NH);
int gpu_relpos_attention_backward(hw_gpu *g, float *dqkv, float *dtable, const float *dout,
                                  const float *qkv, const float *probs, float *scratch, int BG,
                                  int w, int C, int NH);

/* ---- gpu_stochastic_depth.cu: StochasticDepth(p, "row") -----------------------------------
 * The C op draws row b at rng->counter + b. Here rows are the model's view-major batch of
 * B = n views rows (row v n + i is tile i of view v) and row (v, i) draws at
 *   counter + (i views + v) draws_per_tile
 * (maxvit.c's sd_fwd, its slot folded into counter). views = 1, draws_per_tile = 1 is the C
 * op with rng = {seed, counter} (the caller advances its counter by B). The keep rule and
 * scale are the C op's float operations: scale and out are bit-identical. train = 0 or
 * p <= 0: identity, scale 1, no draws. */
int gpu_stochastic_depth_forward(hw_gpu *g, float *out, float *scale, const float *inp, float p,
                                 int train, uint64_t seed, uint64_t counter, int views,
                                 uint64_t draws_per_tile, int B, size_t N);
int gpu_stochastic_depth_backward(hw_gpu *g, float *dinp, const float *dout, const float *scale,
                                  int B, size_t N);

/* ---- gpu_multiscale.cu: SMaxViTMulti's embedding -----------------------------------------
 * multiscale_embed_forward/backward: the global pools into column blocks of cat, then
 * gpu_linear without bias. maps and dmaps are HOST arrays of n DEVICE pointers; C and HW
 * host arrays. dcat: device scratch [B, sum C_s]. */
int gpu_multiscale_embed_forward(hw_gpu *g, float *out, float *cat, const float *const *maps,
                                 const int *C, const int *HW, int n, const float *weight, int B,
                                 int D);
int gpu_multiscale_embed_backward(hw_gpu *g, float *const *dmaps, float *dweight, float *dcat,
                                  const float *dout, const float *cat, const float *weight,
                                  const int *C, const int *HW, int n, int B, int D);

/* ---- gpu_residual.cu: the model's element-wise glue ---------------------------------------
 * y[i] += x[i] (a residual add); the stem's 1 -> 3 channel repeat folded into its kernel:
 * wsum [OC, K2] = sum over c of w [OC, C, K2] in c order, and its backward dw[oc, c] +=
 * dwsum[oc] for every c. maxvit.c's float operations in its order: bit-identical. */
int gpu_add_inplace(hw_gpu *g, float *y, const float *x, size_t n);
int gpu_channel_fold_forward(hw_gpu *g, float *wsum, const float *w, int OC, int C, int K2);
int gpu_channel_fold_backward(hw_gpu *g, float *dw, const float *dwsum, int OC, int C, int K2);

#ifdef __cplusplus
}
#endif
#endif
