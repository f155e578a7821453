/* The Siamese model: one backbone behind src/model/backbone.h (SLeNet, reference.md 3.2;
 * SMaxViT and SMaxViTMulti, 3.4-3.5, docs/maxvit.md) with the wrapper's
 * per-tile max normalisation and diagonal mask (3.1), the classification head
 * on e1 - e2 (3.3), the three training objectives (4.2-4.4) and the optimisers
 * (Adam, Adagrad with PyTorch defaults). Everything numeric of training lives
 * here; the trainer (src/stages/train_*.c) only feeds batches and moves buffers.
 *
 * Memory (after llm.c): parameters, gradients and optimiser moments are each ONE
 * float buffer; a table of named tensors (PyTorch state_dict names and shapes:
 * features.0.weight, features.0.bias, features.2.weight, features.2.bias,
 * linear.1.weight, linear.1.bias, linear.3.weight, linear.3.bias, and the head
 * head.0.weight, head.0.bias) points into it, so zeroing is one memset, the
 * gradient all-reduce is one call and a checkpoint is one write. The backbone's
 * tensors come first, the head's last. MaxViT's BatchNorm running statistics are
 * state: one more buffer with its own table (hw_model_state), saved in checkpoints. */
#ifndef HITWIN_MODEL_H
#define HITWIN_MODEL_H

#include <stddef.h>
#include <stdint.h>

typedef enum { HW_LOSS_CONTRASTIVE = 0, HW_LOSS_TRIPLET = 1, HW_LOSS_SUPCON = 2 } hw_loss_kind;

/* Cross-entropy of the head: the reference applies CrossEntropyLoss to softmax
 * probabilities (a double softmax, reference.md 4.2 and bug 10); LOGITS is the
 * textbook form. */
typedef enum { HW_CE_REFERENCE = 0, HW_CE_LOGITS = 1 } hw_ce_form;

typedef enum { HW_OPTIM_ADAM = 0, HW_OPTIM_ADAGRAD = 1 } hw_optim_kind;

/* Input scaling before the per-tile max normalisation (docs/recipe.md). The zero values are
 * the reference's (raw values, max over the whole tile), so a zeroed config and an old
 * checkpoint keep the reference behaviour.
 *   NONE:  raw values (reference)
 *   LOG1P: log(1 + x)
 *   OE:    log(1 + x / e_d), e_d the mean of diagonal d = |i - j| within the tile (an
 *          observed / expected per tile: removes depth and the distance-decay slope) */
typedef enum { HW_INPUT_NONE = 0, HW_INPUT_LOG1P = 1, HW_INPUT_OE = 2, HW_INPUT_OE_BALANCED = 3 } hw_input_transform;
/* oe_balanced (docs/recipe.md): rounds of row balancing and O/E, and the diagonals left out of
 * the row means (the masked band), the same in the C op and the CUDA kernel */
#define HW_BALANCE_ITERS 20
#define HW_BALANCE_SKIP 3
/* Which pixels give the per-tile maximum: WHOLE (reference: the diagonal, which the mask
 * then zeroes) or OFFDIAG (|i - j| >= NN_DIAG_MASK_BAND, the pixels the backbone sees);
 * NONE: no division (for OE, whose values are already on a fixed scale: log 2 where a pixel
 * is as expected; a tile's maximum is one sparse far pixel, a different one in each
 * library, so dividing by it adds a random per-tile scale). */
typedef enum { HW_NORM_WHOLE = 0, HW_NORM_OFFDIAG = 1, HW_NORM_NONE = 2 } hw_norm_region;

/* The backbone behind the Siamese wrapper (src/model/backbone.h). Zero is SLeNet, so a
 * zeroed config keeps the reference's default model. */
typedef enum { HW_BACKBONE_SLENET = 0, HW_BACKBONE_SMAXVIT = 1, HW_BACKBONE_SMAXVIT_MULTI = 2 } hw_backbone_kind;

/* The MaxViT architecture (reference.md 3.4). All zero is torchvision's maxvit_t: stem 64,
 * blocks [64, 128, 256, 512] x [2, 2, 5, 2] layers, head_dim 32, stochastic depth up to 0.2;
 * a non-zero n_blocks gives a smaller one, taken literally (tests use 2 tiny blocks). */
#define HW_MAXVIT_MAX_BLOCKS 4
typedef struct {
    int n_blocks;                          /* 0: maxvit_t */
    int stem_channels;
    int channels[HW_MAXVIT_MAX_BLOCKS];
    int layers[HW_MAXVIT_MAX_BLOCKS];
    int head_dim;
    float stochastic_depth;                /* the last layer's p; linspace from 0 */
} hw_maxvit_arch;

/* the largest `smooth` half-width: a 17 x 17 square already averages away a loop */
#define HW_SMOOTH_MAX 8
/* `smooth: auto` in a training config until the train stage resolves it (train_smooth.h) */
#define HW_SMOOTH_AUTO (-1)

typedef struct {
    int image_size;     /* tile side, 224 */
    int mask;           /* 1: zero |i - j| < 3 before the backbone */
    float dropout;      /* backbone dropout before linear.1, 0.5 */
    hw_loss_kind loss;
    hw_ce_form ce_form; /* contrastive only */
    float bias;         /* contrastive: L = bias * L_con + CE, reference default 2 */
    float margin;       /* contrastive 2, triplet 1 */
    float temperature;  /* supcon 0.07 */
    /* additions (recipe, docs/recipe.md); zero = reference */
    hw_input_transform input_transform;
    hw_norm_region norm_region;
    hw_backbone_kind backbone;
    hw_maxvit_arch maxvit;  /* SMaxViT / SMaxViTMulti only */
    int smooth;             /* counts averaged over a (2 smooth + 1)^2 square first (the
                               recipe's, nn_smooth.c); 0 off. Last: positional initialisers */
} hw_model_config;

typedef struct {
    const char *name; /* PyTorch state_dict key */
    int ndim;
    int64_t shape[4];
    size_t offset;    /* into params / grads, floats */
    size_t numel;
} hw_tensor;

typedef struct hw_model hw_model;

/* PyTorch's default initialisation drawn from a generator seeded with seed. */
hw_model *hw_model_create(const hw_model_config *cfg, uint64_t seed);
void hw_model_free(hw_model *m);
const hw_model_config *hw_model_cfg(const hw_model *m);

/* The flat buffers and the tensor table. n_backbone counts the backbone's
 * floats (the head follows). */
float *hw_model_params(hw_model *m, size_t *n);
float *hw_model_grads(hw_model *m, size_t *n);
int hw_model_tensors(const hw_model *m, const hw_tensor **tensors);
size_t hw_model_backbone_floats(const hw_model *m);
int hw_model_embed_dim(const hw_model *m); /* 83 for SLeNet */
/* The backbone's name as the config's `model:` key gives it ("SLeNet"). */
const char *hw_model_backbone_name(const hw_model *m);
/* The backbone of a config's `model:` name (SLeNet, SMaxViT, SMaxViTMulti); -1 when unknown. */
int hw_model_backbone_by_name(const char *name, hw_backbone_kind *kind);
/* The MaxViT architecture a SMaxViT / SMaxViTMulti model was built with, resolved (maxvit_t's
 * numbers where its config's was all zero); all zero for another backbone. The GPU MaxViT
 * (gpu_maxvit.h) rebuilds its geometry from it. */
hw_maxvit_arch hw_model_maxvit_arch(const hw_model *m);
/* Non-trainable state (BatchNorm running statistics; none for SLeNet): one buffer behind its
 * own table of PyTorch buffer names. Saved with the parameters, never optimised. */
float *hw_model_state(hw_model *m, size_t *n);
int hw_model_state_tensors(const hw_model *m, const hw_tensor **tensors);

/* One batch of training items; tiles are raw values (after augmentation), the
 * model normalises and masks them itself, as the reference's forward does.
 *   contrastive: views 2, labels[n] pair labels (0 same condition, 1 different)
 *   triplet:     views 3 (anchor, positive, negative), labels unused
 *   supcon:      views V per item (one genomic position), labels[n * V] class ids
 * global_n is the number of items in the GLOBAL batch across ranks: losses are
 * means over it, so summing the ranks' gradients gives the full batch's gradient. */
typedef struct {
    int n, views, global_n;
    const float *tiles; /* [n, views, S, S] */
    const int *labels;
    /* 1: tiles is device memory, assembled there (the GPU model only, gpu_slenet.h); the
     * labels stay on the host */
    int tiles_on_device;
    /* contrastive only, optional: the target y in [0, 1] of each pair in place of its label
     * (graded edits, train_edits.h: the loss's optimum distance is then margin * y); NULL:
     * the labels */
    const float *targets;
} hw_batch;

typedef struct {
    double loss;       /* the objective over this shard (sum of per-item terms / global_n) */
    double con_loss;   /* contrastive part (before bias) */
    double ce_loss;    /* classifier part */
    int n_correct;     /* classifier: argmax equals the pair label */
} hw_step_stats;

/* Forward, loss and backward of one shard; gradients ACCUMULATE into the grads
 * buffer (zero it once per step with hw_model_zero_grad). Dropout is drawn from
 * the model's generator stream at `rng_counter` (so ranks and resumed runs can
 * reproduce it). Returns 0, or -1 with hw_error set (e.g. a non-finite loss). */
void hw_model_zero_grad(hw_model *m);
int hw_model_train_step(hw_model *m, const hw_batch *b, uint64_t rng_counter, hw_step_stats *st);

/* Loss without gradients, dropout off (evaluation mode). */
int hw_model_eval_loss(hw_model *m, const hw_batch *b, hw_step_stats *st);

/* Embeddings in evaluation mode: tiles [n, S, S] raw -> emb [n, D]. */
int hw_model_embed(hw_model *m, const float *tiles, int n, float *emb);
/* The feature maps the backbone's head reads, per tile: channels x positions (SLeNet: the
 * pooled conv2 output, 16 x 2809 at 224; SMaxViT, SMaxViTMulti: the last stage's, 512 x 49).
 * What the learned `maps` measure compares (distance.h). */
void hw_model_head_maps_shape(const hw_model *m, int *channels, int *positions);
/* hw_model_embed, and those maps of the same forward: maps [n, channels * positions]
 * (channel-major within a tile). */
int hw_model_embed_maps(hw_model *m, const float *tiles, int n, float *emb, float *maps);

/* ---- optimiser --------------------------------------------------------------------- */
typedef struct {
    hw_optim_kind kind;
    float lr;
    /* PyTorch defaults: Adam betas (0.9, 0.999), eps 1e-8, weight decay 0;
     * Adagrad lr_decay 0, eps 1e-10, initial accumulator 0. */
    float beta1, beta2, eps;
    int64_t step;     /* steps taken */
    size_t n;
    float *m, *v;     /* Adam moments; Adagrad uses v as the accumulator */
} hw_optim;

void hw_optim_init(hw_optim *o, hw_optim_kind kind, float lr, size_t n_params);
void hw_optim_free(hw_optim *o);
void hw_optim_step(hw_optim *o, float *params, const float *grads);
/* One step of elements [lo, lo + count) only, their gradients at grads[0 .. count): each of
 * the data-parallel ranks updates its own slice of the parameters (the trainer's sharded
 * step); the moments outside the slice are left as they are. Counts one step. */
void hw_optim_step_range(hw_optim *o, float *params, const float *grads, size_t lo, size_t count);

/* ---- checkpoints ------------------------------------------------------------------ */
/* Two safetensors files, as the reference saves two checkpoints: `path` holds
 * the SiameseNet state_dict (backbone tensors, plus the int32 `mask` [S, S]
 * when cfg.mask, exactly the keys the reference's SiameseNet(mask=True) has,
 * so load_state_dict(strict=True) accepts it), and `path` with "_nn" before the
 * extension holds the head's state_dict (LastLayerNN keys). metadata: a NULL-
 * terminated list of key, value strings stored in __metadata__ (config YAML,
 * hitwin version, ...). Each written to a temporary name and renamed. */
int hw_model_save(const hw_model *m, const char *path, const char *const *metadata);
/* Refuses a file of another model or shape with a message naming the tensor. */
int hw_model_load(hw_model *m, const char *path);

/* ---- additions (model.c developer, after the contract above) --------------------------- */
/* Dropout draws one value per element of the flattened features (F = 44,944 at 224) per
 * tile: item i, view v of a shard draws rng_counter + (i * views + v) * F onward, and the
 * shard uses n * views * F draws in all. A trainer that passes
 *   rng_counter = step_base + (index of the shard's first item in the global batch) * views * F
 * gets the same masks for an item whatever the number of ranks. */
uint64_t hw_model_dropout_draws_per_tile(const hw_model *m);
/* Bytes of the activation arena now allocated (it grows to the largest batch seen). */
size_t hw_model_arena_bytes(const hw_model *m);
/* The head checkpoint's path: "_nn" before the extension of the last path component
 * ("run/best.safetensors" -> "run/best_nn.safetensors", "run/best" -> "run/best_nn"). */
int hw_model_head_path(const char *path, char *out, size_t cap);

#endif
