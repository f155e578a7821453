/* Private layout of hw_model: the SiameseNet wrapper (reference.md 3.1) around one backbone
 * behind the table of backbone.h. Shared by siamese_model.c (the wrapper: buffers, input
 * preparation, embeddings), siamese_loss.c (the objectives), model_io.c (checkpoints) and
 * the backbones (slenet.c, ...). The wrapper owns what every backbone has: the tensor table,
 * the parameter, gradient and state buffers, the prepared inputs and the embeddings; a
 * backbone keeps its own layers' activations in the same arena and its private state behind
 * `bb_state`. */
#ifndef HITWIN_MODEL_INTERNAL_H
#define HITWIN_MODEL_INTERNAL_H

#include "hitwin/model.h"

#include "backbone.h"

#include <stdint.h>

#define HW_HEAD_OUT 2     /* head: Linear(D, 2) */

/* An int64 buffer that a PyTorch module registers and the C model computes nothing with
 * (BatchNorm2d's num_batches_tracked, the attention's relative_position_index). Checkpoints
 * carry it only so that load_state_dict(strict=True) accepts them; loading never requires
 * it (older files lack it) and never copies it. */
typedef struct {
    char *name;          /* PyTorch state_dict key */
    int ndim;            /* 0: a 0-d tensor (shape []) */
    int64_t shape[4];
    size_t numel;
    int64_t *value;      /* [numel], owned: what hw_model_save writes */
    const char *checked; /* NULL: a file may hold any value (a counter the C model does not
                          * keep); else a file's value must equal `value` (a constant the ops
                          * hard-code), and this phrase names it in the refusal */
} hw_int64_buffer;

struct hw_model {
    hw_model_config cfg;
    const hw_backbone_ops *bb;
    void *bb_state;              /* the backbone's own geometry and activation pointers */
    uint64_t seed, dropout_seed;
    int S, D;                    /* tile side, embedding width */
    int has_head;
    int head_w, head_b;          /* table indices of head.0.weight / head.0.bias, or -1 */
    /* the tensor table: backbone tensors first (n_backbone_tensors of them), then the head */
    hw_tensor *tensors;
    int n_tensors, cap_tensors, n_backbone_tensors;
    size_t n_params, n_backbone;
    float *params, *grads;
    /* non-trainable state (BatchNorm running statistics): its own table and buffer, saved in
     * checkpoints, restored on resume, used in evaluation; never touched by the optimiser */
    hw_tensor *state_tensors;
    int n_state_tensors, cap_state_tensors;
    size_t n_state;
    float *state;
    /* int64 buffers written for PyTorch (above), after the state */
    hw_int64_buffer *int64_buffers;
    int n_int64_buffers, cap_int64_buffers;
    /* activation arena, sized for cap_tiles tiles (items x views) */
    void *arena;
    size_t arena_bytes;
    int cap_tiles;
    float *x;        /* [N, S, S] prepared backbone input: normalised (and masked) tiles */
    float *maxval;   /* [N]       raw per-tile maxima */
    float *emb;      /* [N, D]    embeddings, view-major: view v at emb + v * n * D */
    float *demb;     /* [N, D]    loss gradient w.r.t. each view's embedding */
    double *diag_scratch; /* [S] the recipe's OE input transform */
    float *smooth_scratch; /* [S, S] the smoothed tile (cfg.smooth > 0), else NULL */
    /* loss scratch (small, per batch) */
    float *lbuf;
    size_t lbuf_cap;
};

static inline float *hw_p(hw_model *m, int t) { return m->params + m->tensors[t].offset; }
static inline float *hw_g(hw_model *m, int t) { return m->grads + m->tensors[t].offset; }
static inline float *hw_state_at(hw_model *m, int t) { return m->state + m->state_tensors[t].offset; }

/* Append a trainable tensor (name copied) to the table; returns its index. Only before the
 * buffers are allocated (hw_model_create calls the backbone's create first). */
int hw_model_add_tensor(hw_model *m, const char *name, int ndim, const int64_t *shape);
/* Append a state tensor (BatchNorm running_mean / running_var); returns its index. */
int hw_model_add_state(hw_model *m, const char *name, int ndim, const int64_t *shape);
/* Append an int64 buffer (name and numel values copied); checked as in hw_int64_buffer. */
void hw_model_add_int64_buffer(hw_model *m, const char *name, int ndim, const int64_t *shape,
                               const int64_t *value, const char *checked);

/* Make room for n items of `views` tiles each. */
void hw_model_reserve(hw_model *m, int n, int views);
/* The wrapper's part of SiameseNet.forward for tiles [n, views, S, S] (item-major, as
 * hw_batch): per-tile max normalisation (and the recipe's input transform), the diagonal mask
 * when `mask`, into m->x, view-major (row v * n + i is item i's view v). */
void hw_model_prepare_inputs(hw_model *m, const float *tiles, int n, int views, int mask);
/* All views through the backbone in one pass of n * views tiles: prepare the inputs, then the
 * backbone's forward (train: dropout, batch statistics, stochastic depth). View v's
 * embeddings at hw_view_emb(m, v, n). */
void hw_backbone_forward(hw_model *m, const float *tiles, int n, int views, int mask, int train,
                         uint64_t rng_counter);
/* Backward of all n * views tiles from m->demb ([views, n, D]) into the parameter gradients. */
void hw_backbone_backward(hw_model *m, int n, int views);

static inline float *hw_view_emb(hw_model *m, int v, int n) {
    return m->emb + (size_t)v * n * m->D;
}

#endif
