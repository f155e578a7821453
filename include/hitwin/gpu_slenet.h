/* The Siamese SLeNet of model.h on one GPU: the same parameter layout (one flat params
 * buffer and one flat grads buffer, the CPU model's tensor table and offsets, so a checkpoint,
 * an all-reduce or a comparison with the CPU model is one copy), the same batch layout (all
 * views through the backbone as one batch of n * views tiles), and the same training step:
 * input transform and per-tile max normalisation, diagonal mask, backbone, dropout drawn at
 * the CPU model's counters (bit-identical masks), the contrastive, triplet or supcon
 * objective, and the backward into the gradients (which accumulate, as
 * hw_model_train_step's); evaluation-mode loss and embeddings.
 *
 * Status (docs/gpu.md): never run on a GPU yet. `hitwin train --device cuda`,
 * `hitwin distance --device cuda` and `hitwin saliency --device cuda` (src/stages) call it.
 *
 * Only built with the CUDA backend (HITWIN_HAVE_CUDA). */
#ifndef HITWIN_GPU_SLENET_H
#define HITWIN_GPU_SLENET_H

#include <stddef.h>
#include <stdint.h>

#include "hitwin/gpu_context.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "hitwin/model.h"
#include "hitwin/saliency.h"

typedef struct hw_gpu_slenet hw_gpu_slenet;

/* A GPU copy of m: its config, tensor table and current parameters. seed is the one m was
 * created with (hw_model_create): the dropout stream is derived from it as the CPU model
 * derives it. NULL with hw_fail (e.g. no device memory). */
hw_gpu_slenet *hw_gpu_slenet_create(hw_gpu *g, const hw_model *m, uint64_t seed);
void hw_gpu_slenet_free(hw_gpu_slenet *s);

/* Arithmetic of the steps, embeddings and eval losses that follow (docs/gpu.md, Precision):
 * bf16 = 0: fp32 throughout, what a new model does (no TF32; the results of test_gpu_slenet's
 * fp32 tolerances); bf16 = 1: the two convolutions and the two backbone linear layers on
 * bf16 weights and inputs with fp32 accumulation (tensor cores), every other op, the
 * parameters, gradients and optimiser state in fp32; the weights are cast to bf16 at the
 * start of every call, so the fp32 params stay the master copy. The train config's
 * `precision` (bf16 by default) sets it. Changing it frees the activations (they are laid
 * out again at the next step). 0, or -1 with hw_fail (no device memory for the bf16 copy of
 * the weights, 10.8 MB at image size 224). */
int hw_gpu_slenet_set_precision(hw_gpu_slenet *s, int bf16);
/* 1 in bf16 mode, 0 in fp32 */
int hw_gpu_slenet_precision_bf16(const hw_gpu_slenet *s);

/* Allocate the activations for batches of up to n x views tiles now (they are otherwise
 * allocated, and grown, by the first step that needs them), so that what memory is left
 * can be measured (the streamed tile cache, gpu_batch.h). 0, or -1 with hw_fail. */
int hw_gpu_slenet_reserve(hw_gpu_slenet *s, int n, int views);

/* Device buffers of n floats each, laid out as hw_model_params / hw_model_grads. */
float *hw_gpu_slenet_params(hw_gpu_slenet *s, size_t *n);
float *hw_gpu_slenet_grads(hw_gpu_slenet *s, size_t *n);
int hw_gpu_slenet_zero_grad(hw_gpu_slenet *s);

/* hw_model_train_step on the GPU: b's labels are a host array; its tiles a host array
 * (uploaded here) or, with b->tiles_on_device, device memory read in place.
 * Same rng_counter convention, same statistics, same error for a non-finite loss. */
int hw_gpu_slenet_train_step(hw_gpu_slenet *s, const hw_batch *b, uint64_t rng_counter,
                             hw_step_stats *st);
/* hw_model_eval_loss (no dropout, no gradients) and hw_model_embed_maps (tiles [n, S, S] raw,
 * host; emb [n, 83] host; maps [n, 16 * 53 * 53 at 224] host, or NULL), on the GPU. */
int hw_gpu_slenet_eval_loss(hw_gpu_slenet *s, const hw_batch *b, hw_step_stats *st);
int hw_gpu_slenet_embed(hw_gpu_slenet *s, const float *tiles, int n, float *emb, float *maps);

/* ---- slenet_saliency_cuda.cu: integrated gradients (saliency.h) -------------------------
 * hw_model_path_grad of a SLeNet (src/model/slenet_saliency.c) on the GPU, with its contract:
 * host pointers in; the interpolants from + alpha_i (to - from), i < n, of prepared inputs
 * from, to [S, S] (normalisation and mask already applied), each measured against `other`
 * [D] (as D's second argument when `second` is HW_IG_SECOND; a row of alpha 0 against its
 * own embedding, HW_IG_BASELINE), or with HW_IG_BOTH against other = [D of from, D of to]
 * (saliency.h; alpha 1 as HW_IG_BASELINE_TO); the SUM of their input gradients added to the host's gsum [S, S].
 * Evaluation mode (no dropout); fp32 whatever hw_gpu_slenet_set_precision says; passes of
 * up to 64 interpolants in the activation arena (reserved as by hw_gpu_slenet_embed), plus
 * about 4.3 MB of its own at image size 224, allocated at the first call. No weight gradient is
 * formed: the gradient buffer (hw_gpu_slenet_grads) is not touched. 0, or -1 with hw_fail
 * (gsum then unchanged). */
int hw_gpu_slenet_path_grad(hw_gpu_slenet *s, const float *from, const float *to,
                            const float *alpha, int n, const float *other, int second,
                            hw_ig_measure measure, double *gsum);

/* ---- gpu_input.cu: the model's input stage, one block per tile -------------------------
 * x[i] = transform(tile i) / max, tile i at tiles + i * tile_stride (floats), x [n, S, S]
 * contiguous: transform and region as hw_model_config's input_transform / norm_region, with
 * slenet.c's rules (NONE + WHOLE is maxnorm_forward's, guard included; otherwise the max is
 * over the region's non-NaN values and at least 0). maxval[i] = the max used. smooth > 0:
 * the counts are first averaged over (2 smooth + 1)^2 squares (nn_smooth.c), in x. */
int gpu_input_normalise(hw_gpu *g, float *x, float *maxval, const float *tiles,
                        size_t tile_stride, int n, int S, int transform, int region, int smooth);

#ifdef __cplusplus
}
#endif
#endif
