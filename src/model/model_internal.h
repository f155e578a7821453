/* Private layout of hw_model, shared by slenet.c (layers, buffers, per-branch
 * forward/backward), siamese_loss.c (the objectives) and model_io.c (checkpoints). */
#ifndef HITWIN_MODEL_INTERNAL_H
#define HITWIN_MODEL_INTERNAL_H

#include "hitwin/model.h"

#include <stdint.h>

#define HW_SLENET_C1 6    /* features.0 output channels */
#define HW_SLENET_C2 16   /* features.2 output channels */
#define HW_SLENET_K 5     /* both conv kernels */
#define HW_SLENET_H1 120  /* linear.1 width */
#define HW_SLENET_D 83    /* linear.3 width = embedding */
#define HW_HEAD_OUT 2     /* head: Linear(83, 2) */

enum { T_CONV1_W, T_CONV1_B, T_CONV2_W, T_CONV2_B, T_FC1_W, T_FC1_B, T_FC2_W, T_FC2_B,
       T_HEAD_W, T_HEAD_B, T_COUNT };

/* Saved activations of the backbone for all N = n * views tiles of a batch, view-major
 * (row v * n + i is item i's view v), all pointing into the arena. */
typedef struct {
    float *x;        /* [n, 1, S, S]   normalised (and masked) input of features.0 */
    float *maxval;   /* [n]            raw per-tile maxima */
    float *p1;       /* [n, 6, P1, P1] features.1 output = features.2 input */
    int32_t *a1;     /* [n, 6, P1, P1] features.1 argmax */
    int32_t *a2;     /* [n, 16, P2, P2] features.3 argmax */
    float *drop;     /* [n, F]         linear.0 (dropout) output = linear.1 input */
    uint8_t *dmask;  /* [n, F]         dropout keep mask */
    float *h1;       /* [n, 120]       linear.1 output */
    float *g1;       /* [n, 120]       GELU output = linear.3 input */
    float *h2;       /* [n, 83]        linear.3 output */
    float *emb;      /* [n, 83]        GELU output: the embedding */
} hw_branch;

struct hw_model {
    hw_model_config cfg;
    uint64_t seed, dropout_seed;
    /* geometry: S -> conv C1xC1 -> pool P1 -> conv C2 -> pool P2, F = 16 P2 P2 */
    int S, C1, P1, C2, P2, F;
    int has_head;
    hw_tensor tensors[T_COUNT];
    int n_tensors;
    size_t n_params, n_backbone;
    float *params, *grads;
    /* activation arena, sized for cap_tiles tiles (items x views) */
    void *arena;
    size_t arena_bytes;
    int cap_tiles;
    hw_branch act;   /* [N] saved activations; view v's embeddings at act.emb + v * n * 83 */
    float *c1;       /* [n, 6, C1, C1]  conv1 output; dconv1 in backward */
    float *c2;       /* [n, 16, C2, C2] conv2 output; dconv2 in backward */
    float *p2;       /* [n, F]          pool2 output; dpool2 / ddrop in backward */
    float *dp1;      /* [n, 6, P1, P1] */
    float *dh1, *dg1, *dh2; /* [n, 120], [n, 120], [n, 83] */
    float *demb;     /* [views, n, 83] loss gradient w.r.t. each view's embedding */
    float *conv_scratch;
    double *diag_scratch; /* [S] the recipe's OE input transform */
    /* loss scratch (small, per batch) */
    float *lbuf;
    size_t lbuf_cap;
};

static inline float *hw_p(hw_model *m, int t) { return m->params + m->tensors[t].offset; }
static inline float *hw_g(hw_model *m, int t) { return m->grads + m->tensors[t].offset; }

/* Make room for n items of `views` tiles each. */
void hw_model_reserve(hw_model *m, int n, int views);
/* All views of tiles [n, views, S, S] (item-major, as hw_batch) through the backbone in one
 * pass of n * views tiles (each weight read once per step, not once per view):
 * max-normalise, mask when `mask`, run the layers; dropout (train) draws item i of view v at
 * rng_counter + (i * views + v) * F. View v's embeddings at hw_view_emb(m, v, n). */
void hw_backbone_forward(hw_model *m, const float *tiles, int n, int views, int mask, int train,
                         uint64_t rng_counter);
/* Backward of all n * views tiles from m->demb ([views, n, 83]) into the parameter
 * gradients. */
void hw_backbone_backward(hw_model *m, int n, int views);

static inline float *hw_view_emb(hw_model *m, int v, int n) {
    return m->act.emb + (size_t)v * n * HW_SLENET_D;
}

#endif
