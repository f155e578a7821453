/* The GPU model of a stage, whatever its backbone: a small table of functions (as
 * src/model/backbone.h on the CPU side) that the GPU SLeNet (gpu_slenet.h) and the GPU MaxViT
 * (gpu_maxvit.h) fill, so that `hitwin train --device cuda` and `hitwin distance --device
 * cuda` never name a backbone. hw_gpu_model_create picks the table from the CPU model's
 * backbone; every other call goes through it. Each returns 0, or -1 with hw_fail (NULL for
 * create), as the functions it wraps.
 *
 * Only built with the CUDA backend (HITWIN_HAVE_CUDA). */
#ifndef HITWIN_GPU_MODEL_H
#define HITWIN_GPU_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "hitwin/gpu_context.h"
#include "hitwin/model.h"

typedef struct {
    const char *name; /* the backbone's, as model.h's hw_model_backbone_name */
    void *(*create)(hw_gpu *g, const hw_model *m, uint64_t seed);
    void (*free)(void *impl);
    /* bf16 = 1: mixed precision where the model has it; refused (hw_fail) where not */
    int (*set_precision)(void *impl, int bf16);
    int (*reserve)(void *impl, int n, int views);
    float *(*params)(void *impl, size_t *n);
    float *(*grads)(void *impl, size_t *n);
    int (*zero_grad)(void *impl);
    int (*train_step)(void *impl, const hw_batch *b, uint64_t rng_counter, hw_step_stats *st);
    int (*eval_loss)(void *impl, const hw_batch *b, hw_step_stats *st);
    int (*embed)(void *impl, const float *tiles, int n, float *emb, float *maps);
    /* the model state (hw_model_state's layout, n floats) to the host and back; NULL where
     * the backbone has none (SLeNet) */
    int (*state_to_host)(void *impl, float *state, size_t n);
    int (*state_from_host)(void *impl, const float *state, size_t n);
    int embed_chunk; /* tiles per evaluation pass of embed */
} hw_gpu_model_ops;

typedef struct hw_gpu_model hw_gpu_model;

/* The GPU copy of m (weights, state, config), with the table of its backbone. A backbone
 * without one is refused: "--device cuda: model NAME has no GPU implementation yet". */
hw_gpu_model *hw_gpu_model_create(hw_gpu *g, const hw_model *m, uint64_t seed);
void hw_gpu_model_free(hw_gpu_model *gm);
const hw_gpu_model_ops *hw_gpu_model_ops_of(const hw_gpu_model *gm);

int hw_gpu_model_set_precision(hw_gpu_model *gm, int bf16);
int hw_gpu_model_reserve(hw_gpu_model *gm, int n, int views);
float *hw_gpu_model_params(hw_gpu_model *gm, size_t *n);
float *hw_gpu_model_grads(hw_gpu_model *gm, size_t *n);
int hw_gpu_model_zero_grad(hw_gpu_model *gm);
int hw_gpu_model_train_step(hw_gpu_model *gm, const hw_batch *b, uint64_t rng_counter, hw_step_stats *st);
int hw_gpu_model_eval_loss(hw_gpu_model *gm, const hw_batch *b, hw_step_stats *st);
/* hw_model_embed_maps on the GPU: emb [n, D] and, unless NULL, maps [n, channels * positions]
 * (hw_model_head_maps_shape), both host */
int hw_gpu_model_embed(hw_gpu_model *gm, const float *tiles, int n, float *emb, float *maps);
/* tiles per evaluation pass of hw_gpu_model_embed (64 for SLeNet, 16 for MaxViT) */
int hw_gpu_model_embed_chunk(const hw_gpu_model *gm);
/* n = 0 (no state) is a no-op for every backbone */
int hw_gpu_model_state_to_host(hw_gpu_model *gm, float *state, size_t n);
int hw_gpu_model_state_from_host(hw_gpu_model *gm, const float *state, size_t n);

#ifdef __cplusplus
}
#endif
#endif
