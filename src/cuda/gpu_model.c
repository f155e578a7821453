/* The GPU model table (gpu_model.h): one entry per backbone with a GPU implementation, each
 * a thin cast around that model's own functions. */
#include "hitwin/gpu_model.h"

#include "hitwin/error.h"
#include "hitwin/gpu_maxvit.h"
#include "hitwin/gpu_slenet.h"

#include <stdlib.h>
#include <string.h>

struct hw_gpu_model {
    const hw_gpu_model_ops *ops;
    void *impl;
};

/* ---- SLeNet (gpu_slenet.h) ---------------------------------------------------------------- */
static void *sl_create(hw_gpu *g, const hw_model *m, uint64_t seed) { return hw_gpu_slenet_create(g, m, seed); }
static void sl_free(void *p) { hw_gpu_slenet_free(p); }
static int sl_precision(void *p, int bf16) { return hw_gpu_slenet_set_precision(p, bf16); }
static int sl_reserve(void *p, int n, int views) { return hw_gpu_slenet_reserve(p, n, views); }
static float *sl_params(void *p, size_t *n) { return hw_gpu_slenet_params(p, n); }
static float *sl_grads(void *p, size_t *n) { return hw_gpu_slenet_grads(p, n); }
static int sl_zero_grad(void *p) { return hw_gpu_slenet_zero_grad(p); }
static int sl_train(void *p, const hw_batch *b, uint64_t c, hw_step_stats *st) {
    return hw_gpu_slenet_train_step(p, b, c, st);
}
static int sl_eval(void *p, const hw_batch *b, hw_step_stats *st) { return hw_gpu_slenet_eval_loss(p, b, st); }
static int sl_embed(void *p, const float *t, int n, float *e, float *maps) {
    return hw_gpu_slenet_embed(p, t, n, e, maps);
}

static const hw_gpu_model_ops slenet_ops = {
    .name = "SLeNet", .create = sl_create, .free = sl_free, .set_precision = sl_precision,
    .reserve = sl_reserve, .params = sl_params, .grads = sl_grads, .zero_grad = sl_zero_grad,
    .train_step = sl_train, .eval_loss = sl_eval, .embed = sl_embed, .state_to_host = NULL,
    .state_from_host = NULL, .embed_chunk = 64};

/* ---- SMaxViT and SMaxViTMulti (gpu_maxvit.h) -------------------------------------------- */
static void *mv_create(hw_gpu *g, const hw_model *m, uint64_t seed) { return hw_gpu_maxvit_create(g, m, seed); }
static void mv_free(void *p) { hw_gpu_maxvit_free(p); }
static int mv_precision(void *p, int bf16) { return hw_gpu_maxvit_set_precision(p, bf16); }
static int mv_reserve(void *p, int n, int views) { return hw_gpu_maxvit_reserve(p, n, views); }
static float *mv_params(void *p, size_t *n) { return hw_gpu_maxvit_params(p, n); }
static float *mv_grads(void *p, size_t *n) { return hw_gpu_maxvit_grads(p, n); }
static int mv_zero_grad(void *p) { return hw_gpu_maxvit_zero_grad(p); }
static int mv_train(void *p, const hw_batch *b, uint64_t c, hw_step_stats *st) {
    return hw_gpu_maxvit_train_step(p, b, c, st);
}
static int mv_eval(void *p, const hw_batch *b, hw_step_stats *st) { return hw_gpu_maxvit_eval_loss(p, b, st); }
static int mv_embed(void *p, const float *t, int n, float *e, float *maps) {
    return hw_gpu_maxvit_embed(p, t, n, e, maps);
}
static int mv_to_host(void *p, float *s, size_t n) { return hw_gpu_maxvit_state_to_host(p, s, n); }
static int mv_from_host(void *p, const float *s, size_t n) { return hw_gpu_maxvit_state_from_host(p, s, n); }

#define MAXVIT_OPS(NAME)                                                                            \
    {.name = NAME, .create = mv_create, .free = mv_free, .set_precision = mv_precision,             \
     .reserve = mv_reserve, .params = mv_params, .grads = mv_grads, .zero_grad = mv_zero_grad,      \
     .train_step = mv_train, .eval_loss = mv_eval, .embed = mv_embed, .state_to_host = mv_to_host, \
     .state_from_host = mv_from_host, .embed_chunk = HW_GPU_MAXVIT_EMBED_CHUNK}
static const hw_gpu_model_ops maxvit_ops = MAXVIT_OPS("SMaxViT");
static const hw_gpu_model_ops maxvit_multi_ops = MAXVIT_OPS("SMaxViTMulti");

/* ---- the table ---------------------------------------------------------------------------- */

static const hw_gpu_model_ops *const all_ops[] = {&slenet_ops, &maxvit_ops, &maxvit_multi_ops};

hw_gpu_model *hw_gpu_model_create(hw_gpu *g, const hw_model *m, uint64_t seed) {
    const char *name = hw_model_backbone_name(m);
    const hw_gpu_model_ops *ops = NULL;
    for (size_t i = 0; i < sizeof all_ops / sizeof all_ops[0]; i++)
        if (!strcmp(all_ops[i]->name, name)) ops = all_ops[i];
    if (!ops) {
        hw_fail("--device cuda: model %s has no GPU implementation yet (use --device cpu)", name);
        return NULL;
    }
    hw_gpu_model *gm = calloc(1, sizeof *gm);
    if (!gm) {
        hw_fail("cuda: out of host memory");
        return NULL;
    }
    gm->ops = ops;
    if (!(gm->impl = ops->create(g, m, seed))) {
        free(gm);
        return NULL;
    }
    return gm;
}

void hw_gpu_model_free(hw_gpu_model *gm) {
    if (!gm) return;
    gm->ops->free(gm->impl);
    free(gm);
}

const hw_gpu_model_ops *hw_gpu_model_ops_of(const hw_gpu_model *gm) { return gm->ops; }
int hw_gpu_model_set_precision(hw_gpu_model *gm, int bf16) { return gm->ops->set_precision(gm->impl, bf16); }
int hw_gpu_model_reserve(hw_gpu_model *gm, int n, int views) { return gm->ops->reserve(gm->impl, n, views); }
float *hw_gpu_model_params(hw_gpu_model *gm, size_t *n) { return gm->ops->params(gm->impl, n); }
float *hw_gpu_model_grads(hw_gpu_model *gm, size_t *n) { return gm->ops->grads(gm->impl, n); }
int hw_gpu_model_zero_grad(hw_gpu_model *gm) { return gm->ops->zero_grad(gm->impl); }
int hw_gpu_model_train_step(hw_gpu_model *gm, const hw_batch *b, uint64_t rng_counter, hw_step_stats *st) {
    return gm->ops->train_step(gm->impl, b, rng_counter, st);
}
int hw_gpu_model_eval_loss(hw_gpu_model *gm, const hw_batch *b, hw_step_stats *st) {
    return gm->ops->eval_loss(gm->impl, b, st);
}
int hw_gpu_model_embed(hw_gpu_model *gm, const float *tiles, int n, float *emb, float *maps) {
    return gm->ops->embed(gm->impl, tiles, n, emb, maps);
}
int hw_gpu_model_embed_chunk(const hw_gpu_model *gm) { return gm->ops->embed_chunk; }
int hw_gpu_model_state_to_host(hw_gpu_model *gm, float *state, size_t n) {
    if (n == 0) return 0;
    if (!gm->ops->state_to_host) return hw_fail("cuda: model %s has no state", gm->ops->name);
    return gm->ops->state_to_host(gm->impl, state, n);
}
int hw_gpu_model_state_from_host(hw_gpu_model *gm, const float *state, size_t n) {
    if (n == 0) return 0;
    if (!gm->ops->state_from_host) return hw_fail("cuda: model %s has no state", gm->ops->name);
    return gm->ops->state_from_host(gm->impl, state, n);
}
