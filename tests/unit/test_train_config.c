/* The train config: defaults (reference.md 5.1, mask on), a full file, --set
 * overrides, the resolved YAML and its hash, and every error's exact message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/train.h"
#include "hitwin/train_smooth.h"
#include "test_util.h"

static char dir[] = "/tmp/hw_train_cfg_XXXXXX";

static const char *write_cfg(const char *name, const char *text) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* Load (and validate) a config text; return the error message, "" when it loads. */
static const char *load_err(const char *name, const char *text) {
    static char msg[2048];
    hw_train_config c;
    const char *p = write_cfg(name, text);
    int rc = hw_train_config_load(p, &c);
    if (rc == 0) rc = hw_train_config_validate(&c);
    /* strip the directory so the expected messages are fixed strings */
    const char *e = rc ? hw_error() : "";
    size_t dl = strlen(dir);
    snprintf(msg, sizeof msg, "%s", strncmp(e, dir, dl) == 0 ? e + dl + 1 : e);
    hw_train_config_free(&c);
    return msg;
}

static const char *set_err(hw_train_config *c, const char *kv) {
    return hw_train_config_set(c, kv) ? hw_error() : "";
}

int main(void) {
    if (!mkdtemp(dir)) return 77;
    hw_train_config c;

    /* defaults: the reference's CLI defaults (5.1), mask on */
    hw_train_config_defaults(&c);
    CHECK_INT_EQ(c.loss, HW_LOSS_CONTRASTIVE);
    CHECK_INT_EQ(c.ce_form, HW_CE_REFERENCE);
    CHECK_NEAR(c.bias, 2, 0, 0);
    CHECK_NEAR(c.learning_rate, 1e-3, 0, 0); /* the default recipe's; the reference's 1e-4 */
    CHECK_INT_EQ(c.pairs, HW_PAIRS_EDITS);
    CHECK_NEAR(c.technical, 0.0, 0, 0);
    CHECK_NEAR(c.graded_edits, 0.5, 0, 0);
    CHECK_INT_EQ(c.edits_per_tile, 3);
    CHECK_NEAR(c.contrast_edits, 0.25, 0, 0);
    CHECK_INT_EQ(c.folds, 1);
    CHECK_INT_EQ(c.batch_size, 128);
    CHECK_INT_EQ(c.epochs, 100);
    CHECK_INT_EQ(c.enforced_epochs, 0);
    CHECK_INT_EQ(c.patience, 3);
    CHECK_NEAR(c.min_delta, 1e-3, 0, 0);
    CHECK_INT_EQ(c.seed, 30004);
    CHECK_INT_EQ(c.mask, 1);
    CHECK_INT_EQ(c.n_aug, 0);
    CHECK_INT_EQ(c.optimiser, HW_OPTIM_ADAM);
    CHECK_NEAR(c.dropout, 0.0, 0, 0); /* the default recipe's; the reference's is 0.5 */
    CHECK_INT_EQ(c.flip, 1);
    CHECK_NEAR(c.thin, 0.5, 0, 0);
    CHECK_NEAR(hw_train_margin(&c), 2, 0, 0);
    c.loss = HW_LOSS_TRIPLET;
    CHECK_NEAR(hw_train_margin(&c), 1, 0, 0);
    hw_train_config_free(&c);

    /* a full file; paths relative to the config's directory */
    const char *p = write_cfg("full.yaml",
                              "tiles: data/tiles.h5\nmodel: SLeNet\nloss: triplet\nbias: 1.5\n"
                              "learning_rate: 3.0e-4\nbatch_size: 32\nepochs: 7\nenforced_epochs: 2\n"
                              "patience: 4\nmin_delta: 0.01\nseed: 9\nmask: false\nn_aug: 2\n"
                              "optimiser: Adagrad\ndropout: 0.25\noutput: /abs/run\n"
                              "checkpoint_every_steps: 50\n");
    CHECK_INT_EQ(hw_train_config_load(p, &c), 0);
    CHECK_INT_EQ(hw_train_config_validate(&c), 0);
    char want[600];
    snprintf(want, sizeof want, "%s/data/tiles.h5", dir);
    CHECK_STR_EQ(c.tiles, want);
    CHECK_STR_EQ(c.output, "/abs/run");
    CHECK_INT_EQ(c.loss, HW_LOSS_TRIPLET);
    CHECK_INT_EQ(c.batch_size, 32);
    CHECK_INT_EQ(c.mask, 0);
    CHECK_INT_EQ(c.n_aug, 2);
    CHECK_INT_EQ(c.optimiser, HW_OPTIM_ADAGRAD);
    CHECK_INT_EQ(c.checkpoint_every_steps, 50);
    CHECK_NEAR(c.dropout, 0.25, 0, 0);
    CHECK_NEAR(hw_train_margin(&c), 1, 0, 0);

    /* the hash follows the trajectory keys only */
    uint64_t h = hw_train_config_hash(&c);
    CHECK_INT_EQ(hw_train_config_set(&c, "epochs=70"), 0);
    CHECK_INT_EQ(hw_train_config_set(&c, "output=elsewhere"), 0);
    CHECK_INT_EQ(hw_train_config_set(&c, "checkpoint_every_steps=5"), 0);
    CHECK(hw_train_config_hash(&c) == h);
    /* device (gpu.h): cpu by default, not a trajectory key, written only when not cpu */
    CHECK_INT_EQ(c.device, HW_DEVICE_CPU);
    CHECK_INT_EQ(hw_train_config_set(&c, "device=cuda"), 0);
    CHECK_INT_EQ(c.device, HW_DEVICE_CUDA);
    CHECK(hw_train_config_hash(&c) == h);
    {
        char *dy = hw_train_config_to_yaml(&c);
        CHECK(strstr(dy, "\ndevice: cuda\n") != NULL);
        free(dy);
    }
    CHECK_STR_EQ(set_err(&c, "device=gpu"), "--set device: must be cpu, cuda or auto, got 'gpu'");
    CHECK_INT_EQ(hw_train_config_set(&c, "device=auto"), 0);
    CHECK_INT_EQ(c.device, HW_DEVICE_AUTO);
    CHECK_INT_EQ(hw_train_config_set(&c, "device=cpu"), 0);
    {
        char *dy = hw_train_config_to_yaml(&c);
        CHECK(strstr(dy, "device:") == NULL);
        free(dy);
    }
    /* precision (gpu_slenet.h): bf16 by default, not a trajectory key, written only when not
     * bf16 */
    CHECK_INT_EQ(c.precision, HW_PRECISION_BF16);
    {
        char *dy = hw_train_config_to_yaml(&c);
        CHECK(strstr(dy, "precision:") == NULL);
        free(dy);
    }
    CHECK_INT_EQ(hw_train_config_set(&c, "precision=fp32"), 0);
    CHECK_INT_EQ(c.precision, HW_PRECISION_FP32);
    CHECK(hw_train_config_hash(&c) == h);
    {
        char *dy = hw_train_config_to_yaml(&c);
        CHECK(strstr(dy, "\nprecision: fp32\n") != NULL);
        free(dy);
    }
    CHECK_STR_EQ(set_err(&c, "precision=fp16"), "--set precision: must be bf16 or fp32, got 'fp16'");
    CHECK_INT_EQ(c.precision, HW_PRECISION_FP32);
    CHECK_INT_EQ(hw_train_config_set(&c, "precision=bf16"), 0);
    CHECK_INT_EQ(c.precision, HW_PRECISION_BF16);
    /* tile_memory_mb (train_preload.h): auto by default, a speed setting (not hashed),
     * written only when set */
    CHECK_INT_EQ(c.tile_memory_mb, HW_TILE_MEMORY_AUTO);
    CHECK_INT_EQ(hw_train_config_set(&c, "tile_memory_mb=0"), 0);
    CHECK_INT_EQ(c.tile_memory_mb, 0);
    CHECK(hw_train_config_hash(&c) == h);
    {
        char *dy = hw_train_config_to_yaml(&c);
        CHECK(strstr(dy, "\ntile_memory_mb: 0\n") != NULL);
        free(dy);
    }
    CHECK_STR_EQ(set_err(&c, "tile_memory_mb=-3"),
                 "--set tile_memory_mb: must be auto or a number of MiB >= 0, got '-3'");
    CHECK_STR_EQ(set_err(&c, "tile_memory_mb=8G"),
                 "--set tile_memory_mb: must be auto or a number of MiB >= 0, got '8G'");
    CHECK_INT_EQ(hw_train_config_set(&c, "tile_memory_mb=auto"), 0);
    CHECK_INT_EQ(c.tile_memory_mb, HW_TILE_MEMORY_AUTO);
    {
        char *dy = hw_train_config_to_yaml(&c);
        CHECK(strstr(dy, "tile_memory_mb") == NULL);
        free(dy);
    }
    CHECK_INT_EQ(hw_train_config_set(&c, "learning_rate=1e-3"), 0);
    CHECK(hw_train_config_hash(&c) != h);
    /* the recipe keys (docs/recipe.md): default balanced oe undivided; recipe=reference restores
     * the reference's scaling; both are trajectory keys and written to the resolved YAML */
    {
        hw_train_config r;
        hw_train_config_defaults(&r);
        CHECK_INT_EQ(r.input_transform, HW_INPUT_OE_BALANCED);
        CHECK_INT_EQ(r.norm_region, HW_NORM_NONE);
        uint64_t hr = hw_train_config_hash(&r);
        CHECK_INT_EQ(hw_train_config_set(&r, "recipe=labels"), 0); /* the previous default */
        CHECK_INT_EQ(r.input_transform, HW_INPUT_LOG1P);
        CHECK_INT_EQ(r.norm_region, HW_NORM_OFFDIAG);
        CHECK_INT_EQ(r.pairs, HW_PAIRS_CONDITION);
        CHECK_NEAR(r.learning_rate, 1e-4, 0, 0);
        CHECK_INT_EQ(r.flip, 1);
        CHECK(hw_train_config_hash(&r) != hr);
        CHECK_INT_EQ(hw_train_config_set(&r, "recipe=reference"), 0);
        CHECK_INT_EQ(r.input_transform, HW_INPUT_NONE);
        CHECK_INT_EQ(r.norm_region, HW_NORM_WHOLE);
        CHECK_INT_EQ(r.ce_form, HW_CE_REFERENCE);
        CHECK_NEAR(r.dropout, 0.5, 0, 0);
        CHECK_INT_EQ(r.flip, 0);
        CHECK_NEAR(r.thin, 0.0, 0, 0);
        CHECK_INT_EQ(r.pairs, HW_PAIRS_CONDITION);
        CHECK_NEAR(r.graded_edits, 0.0, 0, 0);
        CHECK_INT_EQ(r.edits_per_tile, 1);
        CHECK_NEAR(r.contrast_edits, 0.0, 0, 0);
        CHECK_NEAR(r.loop_edits, 0.0, 0, 0);
        CHECK(hw_train_config_hash(&r) != hr);
        {
            /* the default recipe's graded, multiple edits are in its resolved YAML; the
             * reference's (none) are not, so its hash is what it was before the keys */
            hw_train_config dflt;
            hw_train_config_defaults(&dflt);
            char *dy = hw_train_config_to_yaml(&dflt), *ry0 = hw_train_config_to_yaml(&r);
            CHECK(strstr(dy, "graded_edits: 0.5\ncontrast_edits: 0.25\nsmooth: auto\nedits_per_tile: 3\n") != NULL);
            CHECK(strstr(ry0, "graded_edits") == NULL && strstr(ry0, "edits_per_tile") == NULL &&
                  strstr(ry0, "contrast_edits") == NULL && strstr(ry0, "loop_edits") == NULL);
            CHECK_STR_EQ(set_err(&dflt, "loop_edits=-0.5"), "--set loop_edits: -0.5 is out of range [0, 1]");
            CHECK_STR_EQ(set_err(&dflt, "contrast_strength=0.2"),
                         "--set contrast_strength: 0.2 is out of range [0.25, 1]");
            CHECK_STR_EQ(load_err("strength.yaml", "tiles: t.h5\ncontrast_strength: 1.5\n"),
                         "strength.yaml:2: 'contrast_strength' in train config = 1.5 is out of range [0.25, 1]");
            {
                /* contrast_strength is in the YAML (and the hash) only when it is not the 0.7
                 * that every run before the key used */
                hw_train_config k;
                hw_train_config_defaults(&k);
                CHECK(hw_train_config_set(&k, "contrast_strength=0.7") == 0);
                char *k7 = hw_train_config_to_yaml(&k);
                CHECK(strstr(k7, "contrast_strength") == NULL);
                uint64_t h7 = hw_train_config_hash(&k);
                CHECK(hw_train_config_set(&k, "contrast_strength=1") == 0);
                char *k1 = hw_train_config_to_yaml(&k);
                CHECK(strstr(k1, "contrast_strength: 1\n") != NULL);
                CHECK(hw_train_config_hash(&k) != h7);
                CHECK_NEAR(dflt.contrast_strength, HW_CONTRAST_STRENGTH, 0, 0);
                free(k7);
                free(k1);
                hw_train_config_free(&k);
            }
            {
                /* loop_edits is in the YAML (and the hash) only when set */
                hw_train_config l;
                hw_train_config_defaults(&l);
                CHECK(hw_train_config_set(&l, "loop_edits=0.25") == 0);
                char *ly = hw_train_config_to_yaml(&l);
                CHECK(strstr(ly, "loop_edits: 0.25\n") != NULL && strstr(dy, "loop_edits") == NULL);
                CHECK(hw_train_config_hash(&l) != hw_train_config_hash(&dflt));
                free(ly);
                hw_train_config_free(&l);
            }
            {
                /* smooth is in the YAML (and the hash) only when not 0: the default recipe's
                 * is auto (resolved by the stage), the reference's 0 */
                hw_train_config l;
                hw_train_config_defaults(&l);
                CHECK_INT_EQ(l.smooth, HW_SMOOTH_AUTO);
                CHECK_INT_EQ(r.smooth, 0);
                CHECK(hw_train_config_set(&l, "smooth=2") == 0);
                CHECK_INT_EQ(l.smooth, 2);
                char *ly = hw_train_config_to_yaml(&l);
                CHECK(strstr(ly, "smooth: 2\n") != NULL && strstr(dy, "smooth: auto\n") != NULL);
                CHECK(strstr(ry0, "smooth") == NULL);
                CHECK(hw_train_config_hash(&l) != hw_train_config_hash(&dflt));
                free(ly);
                hw_train_config_free(&l);
            }
            CHECK_STR_EQ(set_err(&dflt, "smooth=9"), "--set smooth: must be auto or an integer 0..8, got '9'");
            CHECK_STR_EQ(set_err(&dflt, "smooth=some"), "--set smooth: must be auto or an integer 0..8, got 'some'");
            {
                /* auto: shown as such until the stage resolves it (train_smooth.h) */
                hw_train_config l;
                hw_train_config_defaults(&l);
                CHECK(hw_train_config_set(&l, "smooth=auto") == 0);
                CHECK_INT_EQ(l.smooth, HW_SMOOTH_AUTO);
                char *ly = hw_train_config_to_yaml(&l);
                CHECK(strstr(ly, "smooth: auto\n") != NULL);
                free(ly);
                hw_train_config_free(&l);
            }
            CHECK_STR_EQ(set_err(&dflt, "contrast_edits=1.5"), "--set contrast_edits: 1.5 is out of range [0, 1]");
            CHECK_STR_EQ(set_err(&dflt, "edits_per_tile=0"), "--set edits_per_tile: 0 is out of range [1, 16]");
            CHECK_STR_EQ(set_err(&dflt, "graded_edits=2"), "--set graded_edits: 2 is out of range [0, 1]");
            free(dy);
            free(ry0);
            hw_train_config_free(&dflt);
        }
        CHECK_INT_EQ(hw_train_config_set(&r, "flip=true"), 0);
        CHECK_INT_EQ(hw_train_config_set(&r, "thin=0.5"), 0);
        CHECK_INT_EQ(r.flip, 1);
        CHECK_NEAR(r.thin, 0.5, 0, 0);
        CHECK_STR_EQ(set_err(&r, "flip=1"), "--set flip: must be true or false, got '1'");
        CHECK_STR_EQ(set_err(&r, "thin=1.5"), "--set thin: 1.5 is out of range [0, 1]");
        CHECK_INT_EQ(hw_train_config_set(&r, "input_transform=oe"), 0);
        CHECK_INT_EQ(r.input_transform, HW_INPUT_OE);
        char *ry = hw_train_config_to_yaml(&r);
        CHECK(strstr(ry, "input_transform: oe\nnorm_region: whole\n") != NULL);
        free(ry);
        CHECK_STR_EQ(set_err(&r, "input_transform=log"),
                     "--set input_transform: must be none, log1p, oe or oe_balanced, got 'log'");
        CHECK_STR_EQ(set_err(&r, "norm_region=diag"),
                     "--set norm_region: must be whole, offdiag or none, got 'diag'");
        CHECK_STR_EQ(set_err(&r, "recipe=best"),
                     "--set recipe: must be default, labels or reference, got 'best'");
        hw_train_config_free(&r);
        CHECK_STR_EQ(load_err("recipe.yaml", "tiles: t.h5\nrecipe: fast\n"),
                     "recipe.yaml:2: 'recipe' must be default, labels or reference, got 'fast'");
        const char *rp =
            write_cfg("recipe_ok.yaml", "tiles: t.h5\nrecipe: reference\nnorm_region: offdiag\n");
        CHECK_INT_EQ(hw_train_config_load(rp, &r), 0);
        CHECK_INT_EQ(r.input_transform, HW_INPUT_NONE); /* from the recipe */
        CHECK_INT_EQ(r.norm_region, HW_NORM_OFFDIAG);   /* the key overrides it */
        hw_train_config_free(&r);
    }
    CHECK_INT_EQ(c.epochs, 70);
    CHECK_NEAR(c.learning_rate, 1e-3, 0, 0);
    /* the resolved YAML loads back to the same config */
    char *yaml = hw_train_config_to_yaml(&c);
    hw_train_config c2;
    p = write_cfg("resolved.yaml", yaml);
    CHECK_INT_EQ(hw_train_config_load(p, &c2), 0);
    CHECK(hw_train_config_hash(&c2) == hw_train_config_hash(&c));
    CHECK_INT_EQ(c2.epochs, 70);
    free(yaml);
    hw_train_config_free(&c2);

    /* --set errors */
    CHECK_STR_EQ(set_err(&c, "batch_size=0"), "--set batch_size: 0 is out of range [1, 1048576]");
    CHECK_STR_EQ(set_err(&c, "batch_size=many"), "--set batch_size: 'many' is not an integer");
    CHECK_STR_EQ(set_err(&c, "dropout=2"), "--set dropout: 2 is out of range [0, 0.999]");
    CHECK_STR_EQ(set_err(&c, "loss=siamese"),
                 "--set loss: must be contrastive, triplet or supcon, got 'siamese'");
    CHECK_STR_EQ(set_err(&c, "mask=yes"), "--set mask: must be true or false, got 'yes'");
    CHECK_STR_EQ(set_err(&c, "optimiser=SGD"), "--set optimiser: must be Adam or Adagrad, got 'SGD'");
    CHECK_STR_EQ(set_err(&c, "batch_size"), "--set 'batch_size': expected key=value");
    CHECK_STR_EQ(set_err(&c, "lr=1"),
                 "--set: unknown key 'lr' (expected one of: tiles, model, loss, ce_form, bias, "
                 "margin, temperature, learning_rate, batch_size, epochs, enforced_epochs, "
                 "patience, min_delta, seed, mask, n_aug, optimiser, dropout, output, "
                 "checkpoint_every_steps, recipe, input_transform, norm_region, smooth, flip, thin, pairs, "
                 "technical, graded_edits, edits_per_tile, contrast_edits, contrast_strength, loop_edits, folds, device, precision, "
                 "tile_memory_mb)");
    hw_train_config_free(&c);

    /* file errors, with file:line */
    CHECK_STR_EQ(load_err("unknown.yaml", "tiles: t.h5\nbatch_size: 16\nlearing_rate: 1\n"),
                 "unknown.yaml:3: unknown key 'learing_rate' in train config (expected one of: "
                 "tiles, model, loss, ce_form, bias, margin, temperature, learning_rate, "
                 "batch_size, epochs, enforced_epochs, patience, min_delta, seed, mask, n_aug, "
                 "optimiser, optimizer, dropout, output, checkpoint_every_steps, recipe, "
                 "input_transform, norm_region, smooth, flip, thin, pairs, technical, graded_edits, "
                 "edits_per_tile, contrast_edits, contrast_strength, loop_edits, folds, fold, device, precision, tile_memory_mb, maxvit)");
    CHECK_STR_EQ(load_err("badpairs.yaml", "tiles: t.h5\npairs: windows\n"),
                 "badpairs.yaml:2: 'pairs' must be condition or edits, got 'windows'");
    CHECK_STR_EQ(set_err(&c, "pairs=all"), "--set pairs: must be condition or edits, got 'all'");
    CHECK_STR_EQ(load_err("badloss.yaml", "tiles: t.h5\nloss: siamese\n"),
                 "badloss.yaml:2: 'loss' must be contrastive, triplet or supcon, got 'siamese'");
    CHECK_STR_EQ(load_err("badint.yaml", "tiles: t.h5\nbatch_size: lots\n"),
                 "badint.yaml:2: 'batch_size' in train config must be an integer, got 'lots'");
    CHECK_STR_EQ(load_err("badbool.yaml", "tiles: t.h5\nmask: maybe\n"),
                 "badbool.yaml:2: 'mask' in train config must be true or false, got 'maybe'");
    CHECK_STR_EQ(load_err("smooth.yaml", "tiles: t.h5\nsmooth: -1\n"),
                 "smooth.yaml:2: 'smooth' must be auto or an integer 0..8, got '-1'");
    CHECK_STR_EQ(load_err("dropout.yaml", "tiles: t.h5\ndropout: 1.5\n"),
                 "dropout.yaml:2: 'dropout' in train config = 1.5 is out of range [0, 0.999]");
    CHECK_STR_EQ(load_err("model.yaml", "tiles: t.h5\nmodel: MaxViT\n"),
                 "model.yaml:2: 'model' must be SLeNet, SMaxViT or SMaxViTMulti, got 'MaxViT'");
    /* MaxViT (docs/maxvit.md): the names, the `maxvit:` mapping, each impossible value */
    {
        const char *tiny = "tiles: t.h5\nmodel: SMaxViTMulti\nmaxvit:\n  stem: 8\n  channels: [8, 16]\n"
                           "  depths: [1, 2]\n  head_dim: 4\n";
        const char *tp = write_cfg("tiny.yaml", tiny);
        hw_train_config t;
        CHECK_INT_EQ(hw_train_config_load(tp, &t), 0);
        CHECK_INT_EQ(hw_train_config_validate(&t), 0);
        CHECK_INT_EQ(t.backbone, HW_BACKBONE_SMAXVIT_MULTI);
        CHECK_STR_EQ(t.model, "SMaxViTMulti");
        CHECK_INT_EQ(t.maxvit.n_blocks, 2);
        CHECK_INT_EQ(t.maxvit.stem_channels, 8);
        CHECK(t.maxvit.channels[0] == 8 && t.maxvit.channels[1] == 16);
        CHECK(t.maxvit.layers[0] == 1 && t.maxvit.layers[1] == 2);
        CHECK_INT_EQ(t.maxvit.head_dim, 4);
        CHECK(t.maxvit.stochastic_depth == 0.2f);
        char *y = hw_train_config_to_yaml(&t);
        CHECK(strstr(y, "\nmodel: SMaxViTMulti\n") != NULL);
        CHECK(strstr(y, "\nmaxvit:\n  stem: 8\n  channels: [8, 16]\n  depths: [1, 2]\n  head_dim: 4\n"
                        "  stochastic_depth: 0.2\n") != NULL);
        /* the resolved YAML loads back to the same config and hash */
        const char *yp = write_cfg("tiny_back.yaml", y);
        hw_train_config t2;
        CHECK_INT_EQ(hw_train_config_load(yp, &t2), 0);
        CHECK(memcmp(&t2.maxvit, &t.maxvit, sizeof t.maxvit) == 0);
        CHECK(hw_train_config_hash(&t2) == hw_train_config_hash(&t));
        /* the architecture and the model are trajectory keys */
        uint64_t ht = hw_train_config_hash(&t);
        t2.maxvit.stochastic_depth = 0.1f;
        CHECK(hw_train_config_hash(&t2) != ht);
        CHECK_INT_EQ(hw_train_config_set(&t, "model=SMaxViT"), 0);
        CHECK_INT_EQ(t.backbone, HW_BACKBONE_SMAXVIT);
        CHECK(hw_train_config_hash(&t) != ht);
        CHECK_INT_EQ(hw_train_config_set(&t, "model=SLeNet"), 0);
        CHECK_INT_EQ(hw_train_config_validate(&t), -1);
        CHECK(strstr(hw_error(), "/tiny.yaml: 'maxvit' applies to model SMaxViT or SMaxViTMulti (model is SLeNet)"));
        CHECK_STR_EQ(set_err(&t, "model=ViT"), "--set model: must be SLeNet, SMaxViT or SMaxViTMulti, got 'ViT'");
        free(y);
        hw_train_config_free(&t);
        hw_train_config_free(&t2);
        /* SLeNet's YAML has no maxvit lines (its hash is what it was) */
        hw_train_config_defaults(&t);
        y = hw_train_config_to_yaml(&t);
        CHECK(strstr(y, "maxvit") == NULL);
        free(y);
        hw_train_config_free(&t);
        /* maxvit_t: model SMaxViT without the mapping */
        CHECK_STR_EQ(load_err("maxvit_t.yaml", "tiles: t.h5\nmodel: SMaxViT\n"), "");
    }
    /* the shipped MaxViT configs load (the test runs from the repository root) */
    {
        const char *shipped[2] = {"configs/train-maxvit.yaml", "configs/train-maxvit-tiny.yaml"};
        for (int i = 0; i < 2; i++) {
            hw_train_config t;
            int rc = hw_train_config_load(shipped[i], &t);
            if (rc == 0) rc = hw_train_config_validate(&t);
            if (rc) fprintf(stderr, "%s\n", hw_error());
            CHECK_INT_EQ(rc, 0);
            CHECK_INT_EQ(t.backbone, HW_BACKBONE_SMAXVIT);
            CHECK_INT_EQ(t.maxvit.n_blocks, i == 0 ? 0 : 2);
            hw_train_config_free(&t);
        }
    }
    CHECK_STR_EQ(load_err("mv_slenet.yaml", "tiles: t.h5\nmaxvit:\n  stem: 8\n"),
                 "mv_slenet.yaml:2: 'maxvit' applies to model SMaxViT or SMaxViTMulti (model is SLeNet)");
    CHECK_STR_EQ(load_err("mv_key.yaml", "tiles: t.h5\nmodel: SMaxViT\nmaxvit:\n  stem: 8\n  width: 3\n"),
                 "mv_key.yaml:5: unknown key 'width' in maxvit (expected one of: stem, channels, depths, "
                 "head_dim, stochastic_depth)");
    CHECK_STR_EQ(load_err("mv_nostem.yaml", "tiles: t.h5\nmodel: SMaxViT\nmaxvit:\n  head_dim: 4\n"),
                 "mv_nostem.yaml:4: missing required key 'stem' in maxvit");
    CHECK_STR_EQ(load_err("mv_len.yaml", "tiles: t.h5\nmodel: SMaxViT\nmaxvit:\n  stem: 8\n  channels: [8, 16]\n"
                                         "  depths: [1]\n  head_dim: 4\n"),
                 "mv_len.yaml:4: maxvit: 'channels' has 2 entries and 'depths' 1 (one of each per block)");
    CHECK_STR_EQ(load_err("mv_five.yaml", "tiles: t.h5\nmodel: SMaxViT\nmaxvit:\n  stem: 8\n"
                                          "  channels: [8, 8, 8, 8, 8]\n  depths: [1, 1, 1, 1, 1]\n  head_dim: 4\n"),
                 "mv_five.yaml:5: maxvit: 'channels' has 5 entries; a MaxViT has 1 to 4 blocks");
    CHECK_STR_EQ(load_err("mv_head.yaml", "tiles: t.h5\nmodel: SMaxViT\nmaxvit:\n  stem: 8\n  channels: [8, 12]\n"
                                          "  depths: [1, 1]\n  head_dim: 8\n"),
                 "mv_head.yaml:5: maxvit: block 1 has 12 channels, not a multiple of head_dim 8");
    CHECK_STR_EQ(load_err("mv_se.yaml", "tiles: t.h5\nmodel: SMaxViT\nmaxvit:\n  stem: 8\n  channels: [6]\n"
                                        "  depths: [1]\n  head_dim: 2\n"),
                 "mv_se.yaml:5: maxvit: block 0 has 6 channels, not a multiple of 4 (the squeeze-excitation's "
                 "width is a quarter of it)");
    CHECK_STR_EQ(load_err("mv_depth.yaml", "tiles: t.h5\nmodel: SMaxViT\nmaxvit:\n  stem: 8\n  channels: [8]\n"
                                           "  depths: [0]\n  head_dim: 4\n"),
                 "mv_depth.yaml:6: maxvit: an entry of 'depths' = 0 is out of range [1, 64]");
    CHECK_STR_EQ(load_err("mv_sd.yaml", "tiles: t.h5\nmodel: SMaxViT\nmaxvit:\n  stem: 8\n  channels: [8]\n"
                                        "  depths: [1]\n  head_dim: 4\n  stochastic_depth: 1\n"),
                 "mv_sd.yaml:8: 'stochastic_depth' in maxvit = 1 is out of range [0, 0.999]");
    CHECK_STR_EQ(load_err("mv_scalar.yaml", "tiles: t.h5\nmodel: SMaxViT\nmaxvit: tiny\n"),
                 "mv_scalar.yaml:3: maxvit must be a mapping, found a scalar");
    CHECK_STR_EQ(load_err("device.yaml", "tiles: t.h5\ndevice: gpu\n"),
                 "device.yaml:2: 'device' must be cpu, cuda or auto, got 'gpu'");
    CHECK_STR_EQ(load_err("device_ok.yaml", "tiles: t.h5\ndevice: auto\n"), "");
    CHECK_STR_EQ(load_err("precision.yaml", "tiles: t.h5\nbatch_size: 8\nprecision: fp16\n"),
                 "precision.yaml:3: 'precision' must be bf16 or fp32, got 'fp16'");
    CHECK_STR_EQ(load_err("precision_bf16.yaml", "tiles: t.h5\nprecision: BF16\n"),
                 "precision_bf16.yaml:2: 'precision' must be bf16 or fp32, got 'BF16'");
    CHECK_STR_EQ(load_err("precision_ok.yaml", "tiles: t.h5\nprecision: fp32\n"), "");
    CHECK_STR_EQ(load_err("tilemem.yaml", "tiles: t.h5\ntile_memory_mb: lots\n"),
                 "tilemem.yaml:2: 'tile_memory_mb' must be auto or a number of MiB >= 0, got 'lots'");
    CHECK_STR_EQ(load_err("tilemem_ok.yaml", "tiles: t.h5\ntile_memory_mb: 512\n"), "");
    CHECK_STR_EQ(load_err("ce.yaml", "tiles: t.h5\nce_form: softmax\n"),
                 "ce.yaml:2: 'ce_form' must be reference or logits, got 'softmax'");
    CHECK_STR_EQ(load_err("notiles.yaml", "batch_size: 4\n"),
                 "notiles.yaml: 'tiles' is not set (the tile store to train on)");
    CHECK_STR_EQ(load_err("enforced.yaml", "tiles: t.h5\nepochs: 2\nenforced_epochs: 5\n"),
                 "enforced.yaml: enforced_epochs 5 is more than epochs 2");
    CHECK_STR_EQ(load_err("ce2.yaml", "tiles: t.h5\nloss: supcon\nce_form: logits\n"),
                 "ce2.yaml: ce_form applies to the contrastive loss only (loss is supcon)");
    CHECK_STR_EQ(load_err("list.yaml", "- tiles\n"),
                 "list.yaml:1: train config must be a mapping, found a list");
    CHECK_STR_EQ(load_err("ok.yaml", "tiles: t.h5\n"), "");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    return TEST_RESULT();
}
