/* The Siamese SMaxViT / SMaxViTMulti of model.h on one GPU (docs/maxvit.md, "On a GPU"): op
 * for op src/model/maxvit.c's forward and backward, on the CUDA twins of gpu_ops_maxvit.h
 * and the convolutions and linear layers of gpu_ops.h. As the GPU SLeNet (gpu_slenet.h):
 * the CPU model's flat parameter and gradient buffers and tensor offsets (a checkpoint, an
 * all-reduce or a comparison is one copy), all views through the backbone as one view-major
 * batch, the objectives of siamese_loss.c (shared with the GPU SLeNet, gpu_objective.h).
 * Also as the CPU model: BatchNorm statistics per view's n tiles, running statistics as
 * model state on the device (updated by train forwards with the reference's momentum 0.99,
 * read by evaluation forwards), stochastic depth drawn at the CPU's counters (bit-identical
 * keep decisions), the 1 -> 3 channel repeat folded into the stem kernel, and
 * SMaxViTMulti's pools of every block into the projector.
 *
 * fp32 only: bf16 is refused (hw_gpu_maxvit_set_precision). Evaluation forwards (embeddings)
 * run in chunks of HW_GPU_MAXVIT_EMBED_CHUNK tiles.
 *
 * Status (docs/gpu.md): written and compiled without a GPU; never run on one.
 * Only built with the CUDA backend (HITWIN_HAVE_CUDA). */
#ifndef HITWIN_GPU_MAXVIT_H
#define HITWIN_GPU_MAXVIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "hitwin/gpu_context.h"
#include "hitwin/model.h"

/* Tiles per evaluation pass of hw_gpu_maxvit_embed: ~370 MB of activations a tile at 224
 * (maxvit_t), so about 6 GB of arena. */
#define HW_GPU_MAXVIT_EMBED_CHUNK 16

typedef struct hw_gpu_maxvit hw_gpu_maxvit;

/* A GPU copy of m (a SMaxViT or SMaxViTMulti): its config, tensor table, current parameters
 * and model state. seed is the one m was created with (stochastic depth's stream is derived
 * from it as the CPU model derives it). NULL with hw_fail. */
hw_gpu_maxvit *hw_gpu_maxvit_create(hw_gpu *g, const hw_model *m, uint64_t seed);
void hw_gpu_maxvit_free(hw_gpu_maxvit *s);

/* bf16 = 0: accepted (fp32, what the model runs); bf16 = 1: -1 with hw_fail. */
int hw_gpu_maxvit_set_precision(hw_gpu_maxvit *s, int bf16);

/* The activations for batches of up to n x views tiles now; 0, or -1 with hw_fail. */
int hw_gpu_maxvit_reserve(hw_gpu_maxvit *s, int n, int views);

/* Device buffers laid out as hw_model_params / hw_model_grads (n floats each). */
float *hw_gpu_maxvit_params(hw_gpu_maxvit *s, size_t *n);
float *hw_gpu_maxvit_grads(hw_gpu_maxvit *s, size_t *n);
int hw_gpu_maxvit_zero_grad(hw_gpu_maxvit *s);

/* The model state (BatchNorm running statistics) laid out as hw_model_state: copied to the
 * host buffer `state` (n floats, hw_model_state's n) and back. */
int hw_gpu_maxvit_state_to_host(hw_gpu_maxvit *s, float *state, size_t n);
int hw_gpu_maxvit_state_from_host(hw_gpu_maxvit *s, const float *state, size_t n);

/* hw_model_train_step, hw_model_eval_loss and hw_model_embed on the GPU, with their
 * contracts (gpu_slenet.h's: b's tiles on the host, or on the device with
 * b->tiles_on_device; the same rng_counter convention; the same non-finite-loss error). */
int hw_gpu_maxvit_train_step(hw_gpu_maxvit *s, const hw_batch *b, uint64_t rng_counter,
                             hw_step_stats *st);
int hw_gpu_maxvit_eval_loss(hw_gpu_maxvit *s, const hw_batch *b, hw_step_stats *st);
/* maps: the last stage's output [n, C * H * W] (hw_model_embed_maps), or NULL */
int hw_gpu_maxvit_embed(hw_gpu_maxvit *s, const float *tiles, int n, float *emb, float *maps);

#ifdef __cplusplus
}
#endif
#endif
