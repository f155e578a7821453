/* The train config: strict YAML with file:line errors, CLI --set overrides,
 * the resolved YAML stored with checkpoints and its trajectory hash
 * (include/hitwin/train.h, docs/train.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hitwin/cli_set.h"
#include "hitwin/error.h"
#include "hitwin/maxvit_config.h"
#include "hitwin/train.h"
#include "hitwin/train_smooth.h"
#include "hitwin/xalloc.h"
#include "hitwin/yaml_tree.h"

static const char *const top_keys[] = {
    "tiles", "model", "loss", "ce_form", "bias", "margin", "temperature", "learning_rate",
    "batch_size", "epochs", "enforced_epochs", "patience", "min_delta", "seed", "mask", "n_aug",
    "optimiser", "optimizer", "dropout", "output", "checkpoint_every_steps", "recipe",
    "input_transform", "norm_region", "smooth", "flip", "thin", "pairs", "technical", "graded_edits", "edits_per_tile", "contrast_edits", "contrast_strength", "loop_edits", "folds", "fold", "device",
    "precision", "tile_memory_mb", "maxvit", NULL};

#define SET_KEYS                                                                                  \
    "tiles, model, loss, ce_form, bias, margin, temperature, learning_rate, batch_size, epochs, " \
    "enforced_epochs, patience, min_delta, seed, mask, n_aug, optimiser, dropout, output, "       \
    "checkpoint_every_steps, recipe, input_transform, norm_region, smooth, flip, thin, pairs, technical, "\
    "graded_edits, edits_per_tile, contrast_edits, contrast_strength, loop_edits, folds, device, precision, "\
    "tile_memory_mb"

uint64_t hw_fnv1a64(const void *data, size_t n, uint64_t h) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

const char *hw_loss_name(hw_loss_kind k) {
    switch (k) {
    case HW_LOSS_CONTRASTIVE: return "contrastive";
    case HW_LOSS_TRIPLET: return "triplet";
    default: return "supcon";
    }
}

const char *hw_optim_name(hw_optim_kind k) { return k == HW_OPTIM_ADAGRAD ? "Adagrad" : "Adam"; }

static int parse_loss(const char *s, hw_loss_kind *k) {
    if (!strcmp(s, "contrastive")) *k = HW_LOSS_CONTRASTIVE;
    else if (!strcmp(s, "triplet")) *k = HW_LOSS_TRIPLET;
    else if (!strcmp(s, "supcon")) *k = HW_LOSS_SUPCON;
    else return -1;
    return 0;
}

static int parse_ce(const char *s, hw_ce_form *k) {
    if (!strcmp(s, "reference")) *k = HW_CE_REFERENCE;
    else if (!strcmp(s, "logits")) *k = HW_CE_LOGITS;
    else return -1;
    return 0;
}

static int parse_input(const char *s, hw_input_transform *k) {
    if (!strcmp(s, "none")) *k = HW_INPUT_NONE;
    else if (!strcmp(s, "log1p")) *k = HW_INPUT_LOG1P;
    else if (!strcmp(s, "oe")) *k = HW_INPUT_OE;
    else if (!strcmp(s, "oe_balanced")) *k = HW_INPUT_OE_BALANCED;
    else return -1;
    return 0;
}

static int parse_norm(const char *s, hw_norm_region *k) {
    if (!strcmp(s, "whole")) *k = HW_NORM_WHOLE;
    else if (!strcmp(s, "offdiag")) *k = HW_NORM_OFFDIAG;
    else if (!strcmp(s, "none")) *k = HW_NORM_NONE;
    else return -1;
    return 0;
}

const char *hw_input_transform_name(hw_input_transform k) {
    return k == HW_INPUT_LOG1P ? "log1p" : k == HW_INPUT_OE ? "oe"
         : k == HW_INPUT_OE_BALANCED ? "oe_balanced" : "none";
}

const char *hw_norm_region_name(hw_norm_region k) {
    return k == HW_NORM_OFFDIAG ? "offdiag" : k == HW_NORM_NONE ? "none" : "whole";
}

int hw_precision_parse(const char *s, hw_precision *k) {
    if (!strcmp(s, "bf16")) *k = HW_PRECISION_BF16;
    else if (!strcmp(s, "fp32")) *k = HW_PRECISION_FP32;
    else return -1;
    return 0;
}

const char *hw_pairs_name(hw_pairs_kind k) { return k == HW_PAIRS_EDITS ? "edits" : "condition"; }

static int parse_pairs(const char *s, hw_pairs_kind *k) {
    if (!strcmp(s, "condition")) *k = HW_PAIRS_CONDITION;
    else if (!strcmp(s, "edits")) *k = HW_PAIRS_EDITS;
    else return -1;
    return 0;
}
static int parse_pairs_v(const char *s, void *o) { return parse_pairs(s, o); }

const char *hw_precision_name(hw_precision k) { return k == HW_PRECISION_FP32 ? "fp32" : "bf16"; }

/* recipe: the keys docs/recipe.md changes, set together (the other keys then override). */
typedef struct {
    const char *name;
    hw_ce_form ce_form;
    hw_input_transform input_transform;
    hw_norm_region norm_region;
    int smooth;
    double learning_rate, dropout;
    int flip;
    double thin;
    hw_pairs_kind pairs;
    double technical;
    double graded_edits;
    int edits_per_tile;
    double contrast_edits;
    double loop_edits;
} recipe_keys;

static const recipe_keys recipes[] = {
    {"reference", HW_CE_REFERENCE, HW_INPUT_NONE, HW_NORM_WHOLE, 0, 1e-4, 0.5, 0, 0.0,
     HW_PAIRS_CONDITION, 0.0, 0.0, 1, 0.0, 0.0},
    /* the default before realistic data showed its flaw */
    {"labels", HW_CE_REFERENCE, HW_INPUT_LOG1P, HW_NORM_OFFDIAG, 0, 1e-4, 0.0, 1, 0.5,
     HW_PAIRS_CONDITION, 0.0, 0.0, 1, 0.0, 0.0},
    {"default", HW_RECIPE_CE, HW_RECIPE_INPUT, HW_RECIPE_NORM, HW_RECIPE_SMOOTH, HW_RECIPE_LR, HW_RECIPE_DROPOUT,
     HW_RECIPE_FLIP, HW_RECIPE_THIN, HW_RECIPE_PAIRS, HW_RECIPE_TECHNICAL, HW_RECIPE_GRADED_EDITS,
     HW_RECIPE_EDITS_PER_TILE, HW_RECIPE_CONTRAST_EDITS, HW_RECIPE_LOOP_EDITS},
};

static int apply_recipe(hw_train_config *cfg, const char *s) {
    for (size_t i = 0; i < sizeof recipes / sizeof *recipes; i++) {
        const recipe_keys *r = &recipes[i];
        if (strcmp(s, r->name) != 0) continue;
        cfg->ce_form = r->ce_form;
        cfg->input_transform = r->input_transform;
        cfg->norm_region = r->norm_region;
        cfg->smooth = r->smooth;
        cfg->learning_rate = r->learning_rate;
        cfg->dropout = r->dropout;
        cfg->flip = r->flip;
        cfg->thin = r->thin;
        cfg->pairs = r->pairs;
        cfg->technical = r->technical;
        cfg->graded_edits = r->graded_edits;
        cfg->edits_per_tile = r->edits_per_tile;
        cfg->contrast_edits = r->contrast_edits;
        cfg->loop_edits = r->loop_edits;
        return 0;
    }
    return -1;
}

static int parse_optim(const char *s, hw_optim_kind *k) {
    if (!strcasecmp(s, "Adam")) *k = HW_OPTIM_ADAM;
    else if (!strcasecmp(s, "Adagrad")) *k = HW_OPTIM_ADAGRAD;
    else return -1;
    return 0;
}

void hw_train_config_defaults(hw_train_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->source = xstrdup("");
    cfg->tiles = xstrdup("tiles.h5");
    cfg->model = xstrdup("SLeNet");
    cfg->loss = HW_LOSS_CONTRASTIVE;
    cfg->ce_form = HW_CE_REFERENCE;
    cfg->bias = 2.0;
    cfg->margin = 0.0;
    cfg->temperature = 0.07;
    cfg->learning_rate = 1e-4;
    cfg->batch_size = 128;
    cfg->epochs = 100;
    cfg->enforced_epochs = 0;
    cfg->patience = 3;
    cfg->min_delta = 1e-3;
    cfg->seed = 30004;
    cfg->mask = 1;
    cfg->n_aug = 0;
    cfg->optimiser = HW_OPTIM_ADAM;
    cfg->dropout = 0.5;
    cfg->output = xstrdup("train-out");
    cfg->checkpoint_every_steps = 0;
    cfg->tile_memory_mb = HW_TILE_MEMORY_AUTO;
    cfg->precision = HW_PRECISION_BF16;
    cfg->folds = 1;
    cfg->fold = -1;
    cfg->contrast_strength = HW_CONTRAST_STRENGTH;
    apply_recipe(cfg, "default");
}

void hw_train_config_free(hw_train_config *cfg) {
    free(cfg->source);
    free(cfg->tiles);
    free(cfg->model);
    free(cfg->output);
    memset(cfg, 0, sizeof *cfg);
}

/* An enumerated string key: absent leaves the value; a bad value names the line. */
static int get_enum(const yt_doc *d, const yt_node *r, const char *key, const char *expected,
                    int (*parse)(const char *, void *), void *out) {
    const char *s = NULL;
    if (yt_get_str(d, r, "train config", key, 0, &s) != 0) return -1;
    if (s && parse(s, out) != 0)
        return hw_fail("%s:%d: '%s' must be %s, got '%s'", d->name, yt_get(r, key)->line, key,
                       expected, s);
    return 0;
}

static int parse_loss_v(const char *s, void *o) { return parse_loss(s, o); }
static int parse_ce_v(const char *s, void *o) { return parse_ce(s, o); }
static int parse_optim_v(const char *s, void *o) { return parse_optim(s, o); }
static int parse_input_v(const char *s, void *o) { return parse_input(s, o); }
static int parse_norm_v(const char *s, void *o) { return parse_norm(s, o); }
static int parse_device_v(const char *s, void *o) { return hw_device_parse(s, o); }
static int parse_precision_v(const char *s, void *o) { return hw_precision_parse(s, o); }

/* tile_memory_mb: "auto" or MiB (0 turns the resident tiles off) */
static int parse_tile_memory(const char *s, int64_t *out) {
    if (!strcmp(s, "auto")) {
        *out = HW_TILE_MEMORY_AUTO;
        return 0;
    }
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < 0 || v > (1LL << 40)) return -1;
    *out = v;
    return 0;
}

static int get_int(const yt_doc *d, const yt_node *r, const char *key, int64_t lo, int64_t hi,
                   int *out) {
    int64_t v = *out;
    if (yt_get_int(d, r, "train config", key, 0, lo, hi, &v) != 0) return -1;
    *out = (int)v;
    return 0;
}

/* smooth: auto (train_smooth.h) or a half-width 0..HW_SMOOTH_MAX */
static int parse_smooth(const char *s, int *out) {
    if (!strcmp(s, "auto")) {
        *out = HW_SMOOTH_AUTO;
        return 0;
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0 || v > HW_SMOOTH_MAX) return -1;
    *out = (int)v;
    return 0;
}

static int get_smooth(const yt_doc *d, const yt_node *r, int *out) {
    const char *s = NULL;
    if (yt_get_str(d, r, "train config", "smooth", 0, &s) != 0) return -1;
    if (s && parse_smooth(s, out) != 0)
        return hw_fail("%s:%d: 'smooth' must be auto or an integer 0..%d, got '%s'", d->name,
                       yt_get(r, "smooth")->line, HW_SMOOTH_MAX, s);
    return 0;
}

int hw_train_config_load(const char *path, hw_train_config *cfg) {
    hw_train_config_defaults(cfg);
    free(cfg->source);
    cfg->source = xstrdup(path);
    yt_doc *d = yt_load_file(path);
    if (!d) return -1;
    const yt_node *r = d->root;
    const char *what = "train config";
    int rc = -1;
    if (!r) {
        hw_fail("%s: empty train config (at least 'tiles' is needed)", path);
        goto done;
    }
    if (yt_expect_map(d, r, what) != 0 || yt_check_keys(d, r, what, top_keys) != 0) goto done;
    const char *s = NULL;
    if (yt_get_str(d, r, what, "tiles", 0, &s) != 0) goto done;
    free(cfg->tiles);
    cfg->tiles = s ? yt_resolve_path(path, s) : xstrdup("");
    s = NULL;
    if (yt_get_str(d, r, what, "model", 0, &s) != 0) goto done;
    if (s) {
        if (hw_model_backbone_by_name(s, &cfg->backbone) != 0) {
            hw_fail("%s:%d: 'model' must be SLeNet, SMaxViT or SMaxViTMulti, got '%s'", path,
                    yt_get(r, "model")->line, s);
            goto done;
        }
        free(cfg->model);
        cfg->model = xstrdup(s);
    }
    if (yt_get(r, "maxvit")) {
        if (cfg->backbone == HW_BACKBONE_SLENET) {
            int line = 0; /* the key's line (a mapping's own starts at its first key) */
            for (int i = 0; i < r->n; i++)
                if (!strcmp(r->keys[i], "maxvit")) line = r->key_lines[i];
            hw_fail("%s:%d: 'maxvit' applies to model SMaxViT or SMaxViTMulti (model is %s)", path,
                    line, cfg->model);
            goto done;
        }
        if (hw_maxvit_arch_parse(d, yt_get(r, "maxvit"), &cfg->maxvit) != 0) goto done;
    }
    s = NULL;
    if (yt_get_str(d, r, what, "recipe", 0, &s) != 0) goto done;
    if (s && apply_recipe(cfg, s) != 0) {
        hw_fail("%s:%d: 'recipe' must be default, labels or reference, got '%s'", path,
                yt_get(r, "recipe")->line, s);
        goto done;
    }
    if (get_enum(d, r, "input_transform", "none, log1p, oe or oe_balanced", parse_input_v,
                 &cfg->input_transform) ||
        get_enum(d, r, "norm_region", "whole, offdiag or none", parse_norm_v, &cfg->norm_region) ||
        get_enum(d, r, "device", "cpu, cuda or auto", parse_device_v, &cfg->device) ||
        get_enum(d, r, "precision", "bf16 or fp32", parse_precision_v, &cfg->precision) ||
        get_enum(d, r, "pairs", "condition or edits", parse_pairs_v, &cfg->pairs))
        goto done;
    if (get_enum(d, r, "loss", "contrastive, triplet or supcon", parse_loss_v, &cfg->loss) ||
        get_enum(d, r, "ce_form", "reference or logits", parse_ce_v, &cfg->ce_form) ||
        get_enum(d, r, "optimiser", "Adam or Adagrad", parse_optim_v, &cfg->optimiser) ||
        get_enum(d, r, "optimizer", "Adam or Adagrad", parse_optim_v, &cfg->optimiser))
        goto done;
    if (yt_get_double(d, r, what, "bias", 0, 0.0, 1e6, &cfg->bias) ||
        yt_get_double(d, r, what, "margin", 0, 0.0, 1e6, &cfg->margin) ||
        yt_get_double(d, r, what, "temperature", 0, 1e-6, 1e6, &cfg->temperature) ||
        yt_get_double(d, r, what, "learning_rate", 0, 0.0, 10.0, &cfg->learning_rate) ||
        yt_get_double(d, r, what, "min_delta", 0, 0.0, 1e9, &cfg->min_delta) ||
        yt_get_double(d, r, what, "dropout", 0, 0.0, 0.999, &cfg->dropout) ||
        yt_get_double(d, r, what, "thin", 0, 0.0, 1.0, &cfg->thin) ||
        yt_get_double(d, r, what, "technical", 0, 0.0, 3.0, &cfg->technical) ||
        yt_get_double(d, r, what, "graded_edits", 0, 0.0, 1.0, &cfg->graded_edits) ||
        yt_get_double(d, r, what, "contrast_edits", 0, 0.0, 1.0, &cfg->contrast_edits) ||
        yt_get_double(d, r, what, "contrast_strength", 0, 0.25, 1.0, &cfg->contrast_strength) ||
        yt_get_double(d, r, what, "loop_edits", 0, 0.0, 1.0, &cfg->loop_edits))
        goto done;
    if (get_int(d, r, "batch_size", 1, 1 << 20, &cfg->batch_size) ||
        get_int(d, r, "epochs", 1, 1000000, &cfg->epochs) ||
        get_int(d, r, "enforced_epochs", 0, 1000000, &cfg->enforced_epochs) ||
        get_int(d, r, "patience", 1, 1000000, &cfg->patience) ||
        get_int(d, r, "n_aug", 0, 64, &cfg->n_aug) ||
        get_int(d, r, "folds", 1, 16, &cfg->folds) ||
        get_int(d, r, "edits_per_tile", 1, 16, &cfg->edits_per_tile) ||
        get_smooth(d, r, &cfg->smooth) ||
        get_int(d, r, "fold", -1, 15, &cfg->fold))
        goto done;
    int64_t v = (int64_t)cfg->seed;
    if (yt_get_int(d, r, what, "seed", 0, 0, INT64_MAX, &v) != 0) goto done;
    cfg->seed = (uint64_t)v;
    v = cfg->checkpoint_every_steps;
    if (yt_get_int(d, r, what, "checkpoint_every_steps", 0, 0, INT64_MAX, &v) != 0) goto done;
    cfg->checkpoint_every_steps = v;
    s = NULL;
    if (yt_get_str(d, r, what, "tile_memory_mb", 0, &s) != 0) goto done;
    if (s && parse_tile_memory(s, &cfg->tile_memory_mb) != 0) {
        hw_fail("%s:%d: 'tile_memory_mb' must be auto or a number of MiB >= 0, got '%s'", path,
                yt_get(r, "tile_memory_mb")->line, s);
        goto done;
    }
    if (yt_get_bool(d, r, what, "mask", 0, &cfg->mask) != 0 ||
        yt_get_bool(d, r, what, "flip", 0, &cfg->flip) != 0)
        goto done;
    s = NULL;
    if (yt_get_str(d, r, what, "output", 0, &s) != 0) goto done;
    if (s) free(cfg->output), cfg->output = yt_resolve_path(path, s);
    else free(cfg->output), cfg->output = yt_resolve_path(path, "train-out");
    rc = 0; /* cross-field rules: hw_train_config_validate, after the --set overrides */
done:
    yt_free(d);
    return rc;
}

int hw_train_config_validate(const hw_train_config *cfg) {
    const char *src = cfg->source && cfg->source[0] ? cfg->source : "train config";
    if (cfg->enforced_epochs > cfg->epochs)
        return hw_fail("%s: enforced_epochs %d is more than epochs %d", src, cfg->enforced_epochs,
                       cfg->epochs);
    if (cfg->loss != HW_LOSS_CONTRASTIVE && cfg->ce_form != HW_CE_REFERENCE)
        return hw_fail("%s: ce_form applies to the contrastive loss only (loss is %s)", src,
                       hw_loss_name(cfg->loss));
    if (cfg->fold >= cfg->folds)
        return hw_fail("%s: fold %d is not one of the %d folds", src, cfg->fold, cfg->folds);
    if (cfg->backbone == HW_BACKBONE_SLENET && cfg->maxvit.n_blocks > 0)
        return hw_fail("%s: 'maxvit' applies to model SMaxViT or SMaxViTMulti (model is %s)", src, cfg->model);
    if (!cfg->tiles[0]) return hw_fail("%s: 'tiles' is not set (the tile store to train on)", src);
    if (!cfg->output[0]) return hw_fail("%s: 'output' is empty", src);
    return 0;
}

int hw_train_config_set(hw_train_config *cfg, const char *assignment) {
    char key[64];
    const char *val;
    if (hw_set_split(assignment, key, sizeof key, &val) != 0) return -1;
    int64_t v = 0;
    struct { const char *k; int *dst; int64_t lo, hi; } ints[] = {
        {"batch_size", &cfg->batch_size, 1, 1 << 20}, {"epochs", &cfg->epochs, 1, 1000000},
        {"enforced_epochs", &cfg->enforced_epochs, 0, 1000000},
        {"patience", &cfg->patience, 1, 1000000}, {"n_aug", &cfg->n_aug, 0, 64},
        {"folds", &cfg->folds, 1, 16}, {"edits_per_tile", &cfg->edits_per_tile, 1, 16}};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        if (!strcmp(key, ints[i].k)) {
            if (hw_set_int(key, val, ints[i].lo, ints[i].hi, &v)) return -1;
            *ints[i].dst = (int)v;
            return 0;
        }
    struct { const char *k; double *dst; double lo, hi; } nums[] = {
        {"bias", &cfg->bias, 0, 1e6}, {"margin", &cfg->margin, 0, 1e6},
        {"temperature", &cfg->temperature, 1e-6, 1e6},
        {"learning_rate", &cfg->learning_rate, 0, 10}, {"min_delta", &cfg->min_delta, 0, 1e9},
        {"dropout", &cfg->dropout, 0, 0.999}, {"thin", &cfg->thin, 0, 1},
        {"technical", &cfg->technical, 0, 3}, {"graded_edits", &cfg->graded_edits, 0, 1},
        {"contrast_edits", &cfg->contrast_edits, 0, 1},
        {"contrast_strength", &cfg->contrast_strength, 0.25, 1}, {"loop_edits", &cfg->loop_edits, 0, 1}};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
        if (!strcmp(key, nums[i].k)) return hw_set_double(key, val, nums[i].lo, nums[i].hi, nums[i].dst);
    if (!strcmp(key, "smooth")) {
        if (parse_smooth(val, &cfg->smooth))
            return hw_fail("--set smooth: must be auto or an integer 0..%d, got '%s'", HW_SMOOTH_MAX, val);
    } else if (!strcmp(key, "seed")) {
        if (hw_set_int(key, val, 0, INT64_MAX, &v)) return -1;
        cfg->seed = (uint64_t)v;
    } else if (!strcmp(key, "checkpoint_every_steps")) {
        if (hw_set_int(key, val, 0, INT64_MAX, &v)) return -1;
        cfg->checkpoint_every_steps = v;
    } else if (!strcmp(key, "loss")) {
        if (parse_loss(val, &cfg->loss))
            return hw_fail("--set loss: must be contrastive, triplet or supcon, got '%s'", val);
    } else if (!strcmp(key, "ce_form")) {
        if (parse_ce(val, &cfg->ce_form))
            return hw_fail("--set ce_form: must be reference or logits, got '%s'", val);
    } else if (!strcmp(key, "recipe")) {
        if (apply_recipe(cfg, val))
            return hw_fail("--set recipe: must be default, labels or reference, got '%s'", val);
    } else if (!strcmp(key, "pairs")) {
        if (parse_pairs(val, &cfg->pairs))
            return hw_fail("--set pairs: must be condition or edits, got '%s'", val);
    } else if (!strcmp(key, "input_transform")) {
        if (parse_input(val, &cfg->input_transform))
            return hw_fail("--set input_transform: must be none, log1p, oe or oe_balanced, got '%s'", val);
    } else if (!strcmp(key, "norm_region")) {
        if (parse_norm(val, &cfg->norm_region))
            return hw_fail("--set norm_region: must be whole, offdiag or none, got '%s'", val);
    } else if (!strcmp(key, "device")) {
        if (hw_device_parse(val, &cfg->device))
            return hw_fail("--set device: must be cpu, cuda or auto, got '%s'", val);
    } else if (!strcmp(key, "precision")) {
        if (hw_precision_parse(val, &cfg->precision))
            return hw_fail("--set precision: must be bf16 or fp32, got '%s'", val);
    } else if (!strcmp(key, "tile_memory_mb")) {
        if (parse_tile_memory(val, &cfg->tile_memory_mb))
            return hw_fail("--set tile_memory_mb: must be auto or a number of MiB >= 0, got '%s'",
                           val);
    } else if (!strcmp(key, "optimiser") || !strcmp(key, "optimizer")) {
        if (parse_optim(val, &cfg->optimiser))
            return hw_fail("--set %s: must be Adam or Adagrad, got '%s'", key, val);
    } else if (!strcmp(key, "mask") || !strcmp(key, "flip")) {
        int *dst = !strcmp(key, "mask") ? &cfg->mask : &cfg->flip;
        if (!strcmp(val, "true")) *dst = 1;
        else if (!strcmp(val, "false")) *dst = 0;
        else return hw_fail("--set %s: must be true or false, got '%s'", key, val);
    } else if (!strcmp(key, "model")) {
        hw_backbone_kind k;
        if (hw_model_backbone_by_name(val, &k) != 0)
            return hw_fail("--set model: must be SLeNet, SMaxViT or SMaxViTMulti, got '%s'", val);
        cfg->backbone = k;
        free(cfg->model);
        cfg->model = xstrdup(val);
    } else if (!strcmp(key, "tiles")) {
        free(cfg->tiles);
        cfg->tiles = xstrdup(val);
    } else if (!strcmp(key, "output")) {
        free(cfg->output);
        cfg->output = xstrdup(val);
    } else {
        return hw_fail("--set: unknown key '%s' (expected one of: " SET_KEYS ")", key);
    }
    return 0;
}

double hw_train_margin(const hw_train_config *cfg) {
    if (cfg->margin > 0) return cfg->margin;
    return cfg->loss == HW_LOSS_TRIPLET ? 1.0 : 2.0;
}

static char *emit(const hw_train_config *cfg, int for_hash) {
    size_t cap = 4096 + strlen(cfg->tiles) + strlen(cfg->output);
    char *buf = xmalloc(cap);
    int n = snprintf(buf, cap,
                     "tiles: \"%s\"\nmodel: %s\nloss: %s\nce_form: %s\nbias: %.15g\nmargin: %.15g\n"
                     "temperature: %.15g\nlearning_rate: %.15g\nbatch_size: %d\n"
                     "enforced_epochs: %d\npatience: %d\nmin_delta: %.15g\nseed: %llu\nmask: %s\n"
                     "n_aug: %d\noptimiser: %s\ndropout: %.15g\ninput_transform: %s\n"
                     "norm_region: %s\nflip: %s\nthin: %.15g\n",
                     cfg->tiles, cfg->model, hw_loss_name(cfg->loss),
                     cfg->ce_form == HW_CE_LOGITS ? "logits" : "reference", cfg->bias,
                     hw_train_margin(cfg), cfg->temperature, cfg->learning_rate, cfg->batch_size,
                     cfg->enforced_epochs, cfg->patience, cfg->min_delta,
                     (unsigned long long)cfg->seed, cfg->mask ? "true" : "false", cfg->n_aug,
                     hw_optim_name(cfg->optimiser), cfg->dropout,
                     hw_input_transform_name(cfg->input_transform),
                     hw_norm_region_name(cfg->norm_region), cfg->flip ? "true" : "false", cfg->thin);
    /* keys added after runs existed: shown when not the reference's value, so that the YAML
     * and the hash of a run without them are what they were */
    if (cfg->pairs != HW_PAIRS_CONDITION)
        n += snprintf(buf + n, cap - (size_t)n, "pairs: %s\n", hw_pairs_name(cfg->pairs));
    if (cfg->technical != 0.0)
        n += snprintf(buf + n, cap - (size_t)n, "technical: %.15g\n", cfg->technical);
    if (cfg->graded_edits != 0.0)
        n += snprintf(buf + n, cap - (size_t)n, "graded_edits: %.15g\n", cfg->graded_edits);
    if (cfg->contrast_edits != 0.0)
        n += snprintf(buf + n, cap - (size_t)n, "contrast_edits: %.15g\n", cfg->contrast_edits);
    if (cfg->contrast_strength != HW_CONTRAST_STRENGTH)
        n += snprintf(buf + n, cap - (size_t)n, "contrast_strength: %.15g\n", cfg->contrast_strength);
    if (cfg->loop_edits != 0.0)
        n += snprintf(buf + n, cap - (size_t)n, "loop_edits: %.15g\n", cfg->loop_edits);
    if (cfg->smooth == HW_SMOOTH_AUTO) /* the stage resolves it before a run's config is written */
        n += snprintf(buf + n, cap - (size_t)n, "smooth: auto\n");
    else if (cfg->smooth != 0)
        n += snprintf(buf + n, cap - (size_t)n, "smooth: %d\n", cfg->smooth);
    if (cfg->edits_per_tile != 1)
        n += snprintf(buf + n, cap - (size_t)n, "edits_per_tile: %d\n", cfg->edits_per_tile);
    if (cfg->folds > 1)
        n += snprintf(buf + n, cap - (size_t)n, "folds: %d\nfold: %d\n", cfg->folds, cfg->fold);
    /* the MaxViT architecture shapes the trajectory; nothing for SLeNet and maxvit_t */
    hw_maxvit_arch_emit(&cfg->maxvit, buf, cap, &n);
    if (!for_hash)
        n += snprintf(buf + n, cap - (size_t)n,
                      "epochs: %d\noutput: \"%s\"\ncheckpoint_every_steps: %lld\n", cfg->epochs,
                      cfg->output, (long long)cfg->checkpoint_every_steps);
    /* the device is not a trajectory key (a run may continue on another device), and a cpu
     * run's YAML is what it was before the key existed */
    if (!for_hash && cfg->device != HW_DEVICE_CPU)
        n += snprintf(buf + n, cap - (size_t)n, "device: %s\n", hw_device_name(cfg->device));
    /* the GPU's arithmetic: not a trajectory key either (a run may resume in the other
     * precision, or on the CPU, which is fp32 always); shown when not the default */
    if (!for_hash && cfg->precision != HW_PRECISION_BF16)
        n += snprintf(buf + n, cap - (size_t)n, "precision: %s\n", hw_precision_name(cfg->precision));
    /* the same for the memory for resident tiles: a speed setting, shown when not auto */
    if (!for_hash && cfg->tile_memory_mb != HW_TILE_MEMORY_AUTO)
        snprintf(buf + n, cap - (size_t)n, "tile_memory_mb: %lld\n", (long long)cfg->tile_memory_mb);
    return buf;
}

char *hw_train_config_to_yaml(const hw_train_config *cfg) { return emit(cfg, 0); }

uint64_t hw_train_config_hash(const hw_train_config *cfg) {
    char *s = emit(cfg, 1);
    uint64_t h = hw_fnv1a64(s, strlen(s), HW_FNV_OFFSET);
    free(s);
    return h;
}
