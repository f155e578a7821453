/* The backbone interface: what the Siamese wrapper, the objectives, checkpoints, training,
 * distance and saliency need from a backbone, as a small table of functions (after ggml's
 * backends). A backbone turns prepared tiles m->x [N, S, S] into embeddings m->emb [N, D]
 * and back. hw_model_create picks the table from cfg.backbone; everything above it (losses,
 * optimisers, checkpoints, the trainer, distance) sees only the tensor table and the
 * embeddings, so a new backbone needs no change there.
 *
 * Call order: check -> create (geometry, private state, tensors via hw_model_add_tensor /
 * hw_model_add_state) -> [wrapper adds the head and allocates the buffers] -> init (PyTorch's
 * initialisation into the buffers) -> layout (whenever the arena grows) -> forward /
 * backward ... -> destroy. */
#ifndef HITWIN_BACKBONE_H
#define HITWIN_BACKBONE_H

#include "hitwin/model.h"
#include "hitwin/nn.h"
#include "hitwin/saliency.h"

#include <stddef.h>
#include <stdint.h>

/* Activation arena carving: two passes over the same sequence, the first (base NULL) only
 * measures; every block 64-byte aligned. */
typedef struct {
    char *base;
    size_t off;
} hw_carver;

static inline void *hw_carve(hw_carver *c, size_t count, size_t elem) {
    size_t off = (c->off + 63) & ~(size_t)63;
    c->off = off + count * elem;
    return c->base ? c->base + off : NULL;
}

typedef struct hw_backbone_ops {
    const char *name; /* as the config's `model:` names it, e.g. "SLeNet" */
    /* Refuse a config this backbone cannot run (hw_fail message, -1). */
    int (*check)(const hw_model_config *cfg);
    /* Geometry, private state (m->bb_state), m->D, and the backbone's tensors in state_dict
     * order. Returns 0 or -1 with hw_error set. */
    int (*create)(hw_model *m);
    /* PyTorch's initialisation of the backbone's parameters (and state) from rng. */
    void (*init)(hw_model *m, NnRng *rng);
    void (*destroy)(hw_model *m);
    /* Carve the backbone's activations for n_tiles tiles out of the arena. */
    void (*layout)(hw_model *m, hw_carver *c, int n_tiles);
    /* m->x [N = n * views, S, S] -> m->emb [N, D], view-major. train: dropout / batch
     * statistics / stochastic depth drawn at rng_counter (see draws_per_tile); otherwise the
     * evaluation forward (running statistics, no dropout). */
    void (*forward)(hw_model *m, int n, int views, int train, uint64_t rng_counter);
    /* m->demb [N, D] -> parameter gradients (accumulated), after a train forward. */
    void (*backward)(hw_model *m, int n, int views);
    /* Generator draws per tile of a train forward (a shard of n items uses n * views times). */
    uint64_t (*draws_per_tile)(const hw_model *m);
    /* Tiles per evaluation pass (hw_model_embed, hw_model_prepare): the arena holds a train
     * forward's activations, ~3.5 MB a tile for SLeNet at 224, ~370 MB for MaxViT. */
    int eval_chunk;
    /* The feature maps the head reads, as the learned `maps` measure compares them
     * (distance.h): channels x positions per tile (SLeNet: the pooled conv2 output, 16 x 53 x 53
     * at 224; MaxViT: the last stage's output, 512 x 7 x 7), and where the last evaluation
     * forward left them in the arena, tile-major. */
    void (*head_maps_shape)(const hw_model *m, int *channels, int *positions);
    const float *(*head_maps)(hw_model *m);

    /* ---- feature-map and saliency hooks (saliency.h); NULL when the backbone has none */
    int (*feature_geometry)(const hw_model *m, hw_feature_geometry *g);
    int (*feature_maps)(hw_model *m, const float *x, int n, float *maps);
    int (*distance_grad)(hw_model *m, const float *x, int n, const float *other, const uint8_t *role,
                         hw_ig_measure measure, float *dist, float *dx);
    int (*path_grad)(hw_model *m, const float *from, const float *to, const float *alpha, int n,
                     const float *other, int second, hw_ig_measure measure, double *gsum);
} hw_backbone_ops;

extern const hw_backbone_ops hw_slenet_backbone;
extern const hw_backbone_ops hw_maxvit_backbone;       /* SMaxViT (maxvit.c) */
extern const hw_backbone_ops hw_maxvit_multi_backbone; /* SMaxViTMulti (maxvit.c) */

/* The table of cfg->backbone. */
const hw_backbone_ops *hw_backbone_for(const hw_model_config *cfg);

#endif
