/* `hitwin train`: Siamese training on a tile store (docs/train.md).
 *
 * The config (YAML, every hyper-parameter of reference.md 5.1 plus ours):
 *
 *   tiles: tiles.h5            # hitwin tile output (relative to this file)
 *   model: SLeNet              # SLeNet | SMaxViT | SMaxViTMulti (docs/maxvit.md)
 *   maxvit: {stem: 8, channels: [8, 16], depths: [1, 2], head_dim: 4}
 *                              # MaxViT only, optional: a smaller one than maxvit_t
 *                              # (maxvit_config.h)
 *   loss: contrastive          # contrastive | triplet | supcon
 *   ce_form: reference         # reference (double softmax, bug 10) | logits
 *   bias: 2                    # L = bias * L_con + CE
 *   learning_rate: 1.0e-4
 *   batch_size: 128            # global batch (items), split over ranks
 *   epochs: 100
 *   enforced_epochs: 0
 *   patience: 3
 *   min_delta: 1.0e-3
 *   seed: 30004
 *   mask: true
 *   n_aug: 0
 *   flip: true                 # recipe augmentations (docs/recipe.md)
 *   thin: 0.5
 *   optimiser: Adam            # Adam | Adagrad
 *   dropout: 0.5
 *   output: train-out          # directory: checkpoints, state, metrics.jsonl
 *   checkpoint_every_steps: 0  # 0: state at epoch ends only
 *   recipe: default            # default | reference: sets the keys below together
 *   input_transform: log1p     # none (reference) | log1p | oe
 *   norm_region: offdiag       # whole (reference) | offdiag
 *   device: cpu                # cpu | cuda | auto (gpu.h; --device overrides it)
 *   precision: bf16            # bf16 | fp32: the GPU model's arithmetic (docs/gpu.md); CPU: fp32
 *   tile_memory_mb: auto       # tiles held in memory per rank: auto | MiB | 0 (read per batch)
 *
 * Work is split over MPI ranks by batch shard (data parallel); every rank holds
 * the whole model and the same weights. */
#ifndef HITWIN_TRAIN_H
#define HITWIN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "hitwin/dist.h"
#include "hitwin/gpu.h"
#include "hitwin/model.h"

typedef enum { HW_PRECISION_BF16 = 0, HW_PRECISION_FP32 = 1 } hw_precision;
const char *hw_precision_name(hw_precision k); /* "bf16" | "fp32" */
int hw_precision_parse(const char *s, hw_precision *k); /* 0, or -1 for another word */

/* Which pairs train the contrastive loss: `condition`, the reference's (every pair at a
 * window, "different" when the conditions differ), or `edits` (train_pairs.h,
 * train_edits.h: same-condition pairs, and the same pairs with one view structurally edited;
 * no pair compares the conditions). */
typedef enum { HW_PAIRS_CONDITION = 0, HW_PAIRS_EDITS = 1 } hw_pairs_kind;
const char *hw_pairs_name(hw_pairs_kind k);

typedef struct {
    char *source;         /* config file path ("" when defaults only) */
    char *tiles;          /* tile store, resolved path */
    char *model;          /* "SLeNet", "SMaxViT" or "SMaxViTMulti" */
    hw_backbone_kind backbone; /* the model's backbone */
    hw_maxvit_arch maxvit;     /* `maxvit:` (MaxViT only); all zero: maxvit_t */
    hw_loss_kind loss;
    hw_ce_form ce_form;
    double bias;
    double margin;        /* 0 = by loss (contrastive 2, triplet 1) */
    double temperature;   /* supcon, 0.07 */
    double learning_rate;
    int batch_size;
    int epochs;
    int enforced_epochs;
    int patience;
    double min_delta;
    uint64_t seed;
    int mask;
    int n_aug;
    hw_optim_kind optimiser;
    double dropout;
    char *output;         /* run directory, resolved */
    int64_t checkpoint_every_steps;
    /* additions (recipe, docs/recipe.md) */
    hw_input_transform input_transform; /* none | log1p | oe */
    hw_norm_region norm_region;         /* whole | offdiag */
    int smooth;                         /* counts averaged over a (2 smooth + 1)^2 square before
                                           the transform (nn_smooth.c); 0 off */
    int flip;                           /* reverse each training item's orientation, p 1/2 */
    double thin;                        /* thin training tiles to U(thin, 1) of their depth; 0 off */
    hw_pairs_kind pairs;                /* condition (reference) | edits (train_edits.h) */
    double technical;                   /* scale of the per-view technical signature; 0 off */
    double graded_edits;                /* pairs: edits: the fraction of edited pairs whose edit is
                                           scaled by w ~ U(0.1, 1), contrastive target w
                                           (train_edits.h); 0: every edit full, target 1 */
    int edits_per_tile;                 /* pairs: edits: an edited tile gets k ~ U{1..this} edits,
                                           all at the pair's scale; 1: one (train_edits.h) */
    double contrast_edits;              /* pairs: edits: the chance that an edit is a contrast
                                           edit (all structure of a region weakened or
                                           sharpened, train_edits.h); 0 off */
    double contrast_strength;           /* pairs: edits: a contrast edit's largest share of the
                                           structure removed or added, a ~ U(0.25, this) */
    double loop_edits;                  /* pairs: edits: the chance that a local edit is a loop
                                           edit (the tile's own strongest loop removed or
                                           strengthened, train_edits.h); 0 off */
    int folds;                          /* cross-fitting (train_folds.h): K models; 1 off */
    int fold;                           /* the fold this run leaves out; -1 for all of them */
    hw_device_kind device;              /* cpu (default) | cuda | auto; not in the hash */
    /* the GPU model's arithmetic (gpu_slenet.h, docs/gpu.md "Precision"): bf16 convolutions
     * and linear layers with fp32 accumulation, master weights, optimiser and losses (the
     * reference's AMP, in bf16), or fp32 throughout. The CPU path ignores it (fp32 always).
     * Not in the hash, as device. */
    hw_precision precision;
    /* memory per rank for the training and validation tiles, decompressed and kept for the
     * whole run (train_preload.h); HW_TILE_MEMORY_AUTO: all of them when they fit in half
     * of the node's memory shared by its ranks; 0: every batch reads the store. Not in
     * the hash: it changes the speed, never the numbers. */
    int64_t tile_memory_mb;
} hw_train_config;
#define HW_TILE_MEMORY_AUTO (-1)

/* The default recipe (docs/recipe.md, "Realistic data"): no pair compares the conditions
 * (pairs: edits), the tile's own balanced observed/expected as input, lr 1e-3. `recipe: labels` is
 * the previous default (condition-labelled pairs on log1p counts), `recipe: reference` the
 * reference's. */
#define HW_RECIPE_CE HW_CE_REFERENCE /* measured: no effect (docs/recipe.md) */
/* the O/E with each bin's coverage divided out: a library's coverage bias is no feature; on
 * real structure it ranks changes better than the plain O/E (docs/recipe.md) */
#define HW_RECIPE_INPUT HW_INPUT_OE_BALANCED
#define HW_RECIPE_NORM HW_NORM_NONE  /* O/E undivided: a tile max is one noisy far pixel (docs/recipe.md) */
#define HW_RECIPE_LR 1e-3
#define HW_RECIPE_DROPOUT 0.0 /* training-mode dropout makes every distance noise (docs/recipe.md) */
#define HW_RECIPE_FLIP 1      /* orientation reversal of half the training items */
#define HW_RECIPE_THIN 0.5    /* training tiles thinned to U(0.5, 1) of their depth */
#define HW_RECIPE_PAIRS HW_PAIRS_EDITS
#define HW_RECIPE_TECHNICAL 0.0
/* half the edits graded (w ~ U(0.1, 1), target w) and 1-3 edits per edited tile: a distance
 * that grows with the size of a change and sees spread, many-feature ones (docs/recipe.md) */
#define HW_RECIPE_GRADED_EDITS 0.5
#define HW_RECIPE_EDITS_PER_TILE 3
/* a quarter of the edits flatten or sharpen all the structure of a region at once, as a
 * cohesin or CTCF depletion does (docs/recipe.md, "Contrast edits") */
#define HW_RECIPE_CONTRAST_EDITS 0.25
/* count smoothing by the store's depth: none at 5 or more counts per pixel, wider squares on
 * sparser maps (train_smooth.h; docs/recipe.md, "Smoothing by depth") */
#define HW_RECIPE_SMOOTH HW_SMOOTH_AUTO
#define HW_RECIPE_LOOP_EDITS 0.0
/* a contrast edit moves a region's log O/E by a ~ U(0.25, contrast_strength) of itself; runs
 * made before the key existed used this value, so a run's YAML names the key only when it
 * differs */
#define HW_CONTRAST_STRENGTH 0.7
const char *hw_input_transform_name(hw_input_transform k);
const char *hw_norm_region_name(hw_norm_region k);

/* Defaults (reference.md 5.1 with mask on). */
void hw_train_config_defaults(hw_train_config *cfg);
/* Load (every key checked, -1 with "<file>:<line>: <cause>"); then apply --set
 * overrides and call hw_train_config_validate for the cross-field rules. */
int hw_train_config_load(const char *path, hw_train_config *cfg);
/* One "key=value" override from the CLI. */
int hw_train_config_set(hw_train_config *cfg, const char *assignment);
int hw_train_config_validate(const hw_train_config *cfg);
/* The resolved config as YAML (stored with checkpoints). Caller frees. */
char *hw_train_config_to_yaml(const hw_train_config *cfg);
/* Hash of everything that shapes the trajectory of a run (all keys except
 * output, epochs and checkpoint_every_steps): a resume must match it. */
uint64_t hw_train_config_hash(const hw_train_config *cfg);
void hw_train_config_free(hw_train_config *cfg);

/* The margin in use: the config's, else 2 (contrastive) or 1 (triplet). */
double hw_train_margin(const hw_train_config *cfg);
const char *hw_loss_name(hw_loss_kind k);
const char *hw_optim_name(hw_optim_kind k);

/* ---- the run ------------------------------------------------------------------ */
typedef struct {
    int resume;                /* continue from <output>/state.bin if present */
    int64_t stop_after_steps;  /* > 0: exit as if killed after this many steps (tests) */
    int quiet;
} hw_train_options;

typedef struct {
    int epochs_run;            /* epochs completed, in total */
    int64_t steps;
    double last_train_loss, last_val_loss, best_val;
    double *train_loss;        /* [epochs_run] objective per epoch (xmalloc'd) */
    double *val_loss;          /* [epochs_run] the reference's validation metric */
    float *params;             /* copy of the final weights (this rank) */
    size_t n_params;
    uint64_t params_hash;
    float *state;              /* copy of the model state at the end (BatchNorm running
                                  statistics; rank 0's after every validation), NULL if none */
    size_t n_state;
    int stopped;               /* 1: stop_after_steps cut the run short */
} hw_train_result;

void hw_train_result_free(hw_train_result *r);

/* Collective over d: train under cfg. 0, or -1 on every rank after the
 * failing rank printed its message. */
int hw_train_run(const hw_train_config *cfg, const hw_train_options *opt, const hw_dist *d,
                 hw_train_result *res);

/* CLI: hitwin train CONFIG.yaml [--set KEY=VALUE]... [--resume] [--stop-after-steps N] [-q] */
int hw_train_main(int argc, char **argv);

/* FNV-1a 64 of bytes (config hash, weight fingerprints). */
uint64_t hw_fnv1a64(const void *data, size_t n, uint64_t h);
#define HW_FNV_OFFSET 0xcbf29ce484222325ULL

#endif
