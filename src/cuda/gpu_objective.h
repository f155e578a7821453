/* Private to src/cuda: what every GPU Siamese model shares above its backbone, so that the
 * GPU SLeNet (slenet_cuda.cu) and the GPU MaxViT (maxvit_cuda.c) run one copy of it:
 *  - the arena carver (two passes: measure, then point; 256-byte aligned blocks);
 *  - the input stage (hw_model_prepare_inputs on the device: each view's tiles out of the
 *    item-major batch into view-major rows, transform, max normalisation, diagonal mask);
 *  - the three objectives of siamese_loss.c on the view-major embeddings, with their
 *    backward into demb and the contrastive head's gradients.
 * A C header (the .cu files include it inside extern "C" linkage through the functions'
 * declarations), so that the C model files can call it. */
#ifndef HITWIN_GPU_OBJECTIVE_H
#define HITWIN_GPU_OBJECTIVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "hitwin/gpu_context.h"
#include "hitwin/model.h"

/* model.h's dropout stream (siamese_model.c): the model seed xor this constant. The GPU models
 * draw dropout and stochastic depth from it; test_gpu_slenet and test_gpu_maxvit compare the
 * masks' effect with the CPU's, so a change on one side fails there. */
#define HW_DROPOUT_STREAM 0xD50B0D50B0D50B0DULL

/* ---- carving one device allocation into named buffers -------------------------------- */
typedef struct {
    char *base; /* NULL: measure only */
    size_t off;
} hw_gpu_carver;

static inline void *hw_gpu_carve(hw_gpu_carver *c, size_t count, size_t elem) {
    size_t off = (c->off + 255) & ~(size_t)255; /* 256-byte alignment for coalesced access */
    c->off = off + count * elem;
    return c->base ? (void *)(c->base + off) : NULL;
}

/* ---- the Siamese objectives on the device (siamese_loss.c) ---------------------------- */
typedef struct {
    hw_model_config cfg;
    int D, HO;               /* embedding width; head outputs (0 without a head) */
    /* the head's parameters and gradients (device, in the model's flat buffers); NULL
     * without a head (triplet, supcon) */
    const float *head_w, *head_b;
    float *dhead_w, *dhead_b;
    /* scratch, carved by hw_gpu_objective_layout */
    int32_t *labels;         /* [n * views] */
    float *y, *dist, *dist2, *ddist, *ddist2, *diff, *ddiff, *hz, *hg, *probs, *probs2, *dhg, *dhz;
    float *loss;             /* [max(4, n)]: contrastive/triplet terms, supcon per position */
    /* supcon: rows item-major [n, views, D], the logits of each position [n, views, views] */
    float *zr, *z1, *z2, *dz2, *dz1, *dzr, *slogits, *sscratch;
} hw_gpu_objective;

/* The objective's scratch for batches of up to n items of `views` views. */
void hw_gpu_objective_layout(hw_gpu_objective *o, hw_gpu_carver *c, int n, int views);

/* siamese_loss.c's check_batch: the same messages. 0 or -1 with hw_fail. */
int hw_gpu_objective_check(const hw_model_config *cfg, const hw_batch *b);

/* The objective of cfg.loss on emb [n * views, D] (device, view-major); st as
 * hw_model_train_step's (same statistics, same non-finite-loss error). train: demb (device,
 * [n * views, D]) is written and the head's gradients accumulate. */
int hw_gpu_objective_run(hw_gpu *g, hw_gpu_objective *o, const float *emb, float *demb,
                         const hw_batch *b, int train, hw_step_stats *st);

/* hw_model_prepare_inputs on the device: the n * views tiles of `in` (device, item-major
 * [n, views, S, S]) into x [n * views, S, S] (row v n + i is item i's view v) and maxval
 * [n * views]; the diagonal mask when mask. */
int hw_gpu_prepare_inputs(hw_gpu *g, const hw_model_config *cfg, float *x, float *maxval,
                          const float *in, int n, int views, int mask);

#ifdef __cplusplus
}
#endif
#endif
