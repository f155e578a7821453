/* The MaxViT backbones (src/model/maxvit.c) behind the backbone interface:
 *  - maxvit_t's tensor table at 224: torchvision's state_dict names and shapes for a sample
 *    of tensors, 30,143,944 backbone parameters for SMaxViT and 30,635,464 for SMaxViTMulti
 *    (reference.md 3.7), 68 BatchNorm running-statistics tensors, a 512-d embedding; image
 *    sizes whose stages are no multiple of 7 are refused with a message;
 *  - a tiny MaxViT (S = 56, stem 8, blocks [8, 16] x [1, 2], head_dim 4, stochastic depth up
 *    to 0.2) through the whole Siamese model (normalisation, mask, triplet loss on one item
 *    of three views) against central finite differences: for every tensor, the analytic
 *    derivative along its gradient direction, and once along a random sign vector over all
 *    parameters, against (L(+h) - L(-h)) / 2h, h = 1e-3 (truncation ~h^2 |L'''| / 6, far
 *    below the tolerance), with
 *        |analytic - fd| <= 1e-3 G + 2e-2 |fd| + 2e-7 |L| / h      (G = |g|_2 of the tensor)
 *    as test_model_gradcheck. The stochastic-depth draws are fixed by the counter, BatchNorm
 *    uses each view's batch statistics; a gradient 5 % too long must be caught;
 *  - the running statistics move in training and not in evaluation, and a checkpoint round
 *    trip restores parameters and running statistics bit for bit;
 *  - the backbone names, and distance's and saliency's reading of a checkpoint's `model:`. */
#include "hitwin/checkpoint_config.h"
#include "hitwin/model.h"
#include "hitwin/error.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S 56
#include "maxvit_tiny.h" /* after S */

static float frand(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((*s >> 40) & 0xFFFFFF) / 16777216.0f;
}

static void make_tiles(float *t, int count, uint64_t seed) {
    for (int k = 0; k < count; k++)
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++) {
                int d = abs(i - j);
                t[((size_t)k * S + i) * S + j] = 50.0f / (1.0f + d) * (0.5f + frand(&seed)) + 3.0f * frand(&seed);
            }
}

static const hw_tensor *find(const hw_model *m, const char *name) {
    const hw_tensor *t;
    int n = hw_model_tensors(m, &t);
    for (int i = 0; i < n; i++)
        if (!strcmp(t[i].name, name)) return &t[i];
    n = hw_model_state_tensors(m, &t);
    for (int i = 0; i < n; i++)
        if (!strcmp(t[i].name, name)) return &t[i];
    fprintf(stderr, "no tensor %s\n", name);
    test_failures++;
    return NULL;
}

static void check_shape(const hw_model *m, const char *name, int ndim, int64_t d0, int64_t d1, int64_t d2,
                        int64_t d3) {
    const hw_tensor *t = find(m, name);
    if (!t) return;
    const int64_t want[4] = {d0, d1, d2, d3};
    CHECK_INT_EQ(t->ndim, ndim);
    for (int i = 0; i < ndim && i < t->ndim; i++) CHECK_INT_EQ(t->shape[i], want[i]);
}

static void test_maxvit_t_table(void) {
    hw_model_config c = {.image_size = 224, .loss = HW_LOSS_TRIPLET, .margin = 1.0f, .backbone = HW_BACKBONE_SMAXVIT};
    hw_model *m = hw_model_create(&c, 1);
    CHECK(m != NULL);
    if (!m) return;
    CHECK_STR_EQ(hw_model_backbone_name(m), "SMaxViT");
    CHECK_INT_EQ(hw_model_backbone_floats(m), (size_t)30143944);
    CHECK_INT_EQ(hw_model_embed_dim(m), 512);
    CHECK_INT_EQ(hw_model_state_tensors(m, NULL), 68);
    check_shape(m, "stem.0.0.weight", 4, 64, 3, 3, 3);
    check_shape(m, "stem.0.1.running_var", 1, 64, 0, 0, 0);
    check_shape(m, "stem.1.0.bias", 1, 64, 0, 0, 0);
    check_shape(m, "blocks.0.layers.0.layers.MBconv.proj.1.weight", 4, 64, 64, 1, 1);
    check_shape(m, "blocks.1.layers.0.layers.MBconv.layers.conv_b.0.weight", 4, 512, 1, 3, 3);
    check_shape(m, "blocks.1.layers.1.layers.MBconv.layers.squeeze_excitation.fc1.weight", 4, 32, 512, 1, 1);
    check_shape(m, "blocks.2.layers.4.layers.window_attention.mlp_layer.3.bias", 1, 256, 0, 0, 0);
    check_shape(m, "blocks.3.layers.1.layers.grid_attention.attn_layer.1.relative_position_bias_table", 2, 169, 16, 0, 0);
    check_shape(m, "blocks.3.layers.1.layers.grid_attention.attn_layer.1.to_qkv.weight", 2, 1536, 512, 0, 0);
    hw_model_free(m);

    c.backbone = HW_BACKBONE_SMAXVIT_MULTI;
    m = hw_model_create(&c, 1);
    CHECK(m != NULL);
    if (m) {
        CHECK_INT_EQ(hw_model_backbone_floats(m), (size_t)30635464);
        check_shape(m, "projector.weight", 2, 512, 960, 0, 0);
        hw_model_free(m);
    }
    c.image_size = 100;
    CHECK(hw_model_create(&c, 1) == NULL);
    CHECK_STR_EQ(hw_error(), "model: image_size 100 gives MaxViT block 0 a 25x25 map, not a multiple of the "
                             "7x7 partition (224 works)");
}

static double loss_at(hw_model *m, const hw_batch *b, uint64_t ctr) {
    hw_step_stats st;
    hw_model_zero_grad(m);
    if (hw_model_train_step(m, b, ctr, &st)) {
        fprintf(stderr, "train_step: %s\n", hw_error());
        test_failures++;
        return NAN;
    }
    return st.loss;
}

/* Directional check of params + t u against the analytic g.u; returns 1 on a mismatch. */
static int check_dir(hw_model *m, const hw_batch *b, uint64_t ctr, const float *w0, const double *u, size_t lo,
                     size_t ne, double a, double gnorm, double noise, const char *what, double *worst, int quiet) {
    const double h = 1e-3;
    float *p = hw_model_params(m, NULL);
    double L[2];
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < ne; i++) p[lo + i] = (float)(w0[lo + i] + (s ? -h : h) * u[i]);
        L[s] = loss_at(m, b, ctr);
    }
    memcpy(p + lo, w0 + lo, ne * sizeof(float));
    const double fd = (L[0] - L[1]) / (2.0 * h);
    const double tol = 1e-3 * gnorm + 2e-2 * fabs(fd) + noise, err = fabs(a - fd);
    if (err / tol > *worst) *worst = err / tol;
    if (err <= tol) return 0;
    if (!quiet) fprintf(stderr, "  %s: analytic %.7g, fd %.7g\n", what, a, fd);
    return 1;
}

/* Every tensor (the first max_tensors) along its gradient direction, the analytic value
 * times `corrupt`; then all parameters along one random direction. Returns the mismatches. */
static int gradcheck(hw_model *m, const hw_batch *b, double corrupt, int max_tensors, int quiet) {
    const uint64_t ctr = 4242;
    size_t np;
    float *p = hw_model_params(m, &np);
    float *g0 = malloc(np * sizeof(float)), *w0 = malloc(np * sizeof(float));
    double *u = malloc(np * sizeof(double));
    const double L0 = loss_at(m, b, ctr);
    memcpy(g0, hw_model_grads(m, NULL), np * sizeof(float));
    memcpy(w0, p, np * sizeof(float));
    const double noise = 2e-7 * fabs(L0) / 1e-3;
    const hw_tensor *t;
    int nt = hw_model_tensors(m, &t);
    if (max_tensors < nt) nt = max_tensors;
    int bad = 0, zero_grad = 0;
    double worst = 0.0;
    for (int k = 0; k < nt; k++) {
        const float *g = g0 + t[k].offset;
        const size_t ne = t[k].numel;
        double gnorm = 0.0;
        for (size_t i = 0; i < ne; i++) gnorm += (double)g[i] * g[i];
        gnorm = sqrt(gnorm);
        if (gnorm == 0.0) {
            if (!quiet) fprintf(stderr, "  %s: zero gradient\n", t[k].name);
            zero_grad++;
            continue;
        }
        for (size_t i = 0; i < ne; i++) u[i] = g[i] / gnorm;
        bad += check_dir(m, b, ctr, w0, u, t[k].offset, ne, gnorm * corrupt, gnorm, noise, t[k].name, &worst, quiet);
    }
    if (max_tensors >= hw_model_tensors(m, NULL)) { /* one random direction over everything */
        uint64_t rs = 99;
        double a = 0.0, gn = 0.0;
        for (size_t i = 0; i < np; i++) {
            u[i] = (frand(&rs) < 0.5f ? -1.0 : 1.0) / sqrt((double)np);
            a += u[i] * g0[i];
            gn += (double)g0[i] * g0[i];
        }
        bad += check_dir(m, b, ctr, w0, u, 0, np, a * corrupt, sqrt(gn), noise, "all parameters, random direction",
                         &worst, quiet);
    }
    if (!quiet) {
        printf("tiny SMaxViT gradcheck: %d tensors, %zu parameters, loss %.6f, worst err/tol %.3f, %d bad, "
               "%d without gradient\n", nt, np, L0, worst, bad, zero_grad);
        CHECK_INT_EQ(bad, 0);
        CHECK_INT_EQ(zero_grad, 0);
    }
    free(g0), free(w0), free(u);
    return bad;
}

static void test_tiny(void) {
    hw_model_config c = tiny_cfg();
    hw_model *m = hw_model_create(&c, 7);
    CHECK(m != NULL);
    if (!m) {
        fprintf(stderr, "%s\n", hw_error());
        return;
    }
    enum { N_ITEMS = 1, VIEWS = 3 };
    float *tiles = malloc((size_t)N_ITEMS * VIEWS * S * S * sizeof(float));
    make_tiles(tiles, N_ITEMS * VIEWS, 5);
    hw_batch b = {.n = N_ITEMS, .views = VIEWS, .global_n = N_ITEMS, .tiles = tiles};
    /* the default init leaves the attention branches nearly silent: widen the weights so that
     * every path carries a gradient well above the rounding of the loss */
    size_t np;
    float *p = hw_model_params(m, &np);
    uint64_t rs = 3;
    for (size_t i = 0; i < np; i++) p[i] += 0.2f * (frand(&rs) - 0.5f);
    gradcheck(m, &b, 1.0, 1 << 30, 0);
    /* self-test: the first tensors' gradients 5 % too long must fail */
    if (gradcheck(m, &b, 1.05, 4, 1) < 4) {
        fprintf(stderr, "self-test: a 5 %% gradient error went unnoticed\n");
        test_failures++;
    }

    /* running statistics: training moves them, evaluation reads them */
    const hw_tensor *rv = find(m, "stem.0.1.running_var");
    size_t ns;
    float *state = hw_model_state(m, &ns);
    if (rv) CHECK(state[rv->offset] != 1.0f);
    float *before = malloc(ns * sizeof(float));
    memcpy(before, state, ns * sizeof(float));
    hw_step_stats st;
    CHECK_INT_EQ(hw_model_eval_loss(m, &b, &st), 0);
    CHECK(isfinite(st.loss));
    CHECK(memcmp(before, state, ns * sizeof(float)) == 0);

    /* checkpoint round trip: parameters and running statistics */
    char path[] = "/tmp/hw_maxvit_ckptXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
    const char *meta[] = {"model", "SMaxViT", NULL};
    CHECK_INT_EQ(hw_model_save(m, path, meta), 0);
    hw_model *m2 = hw_model_create(&c, 8);
    CHECK_INT_EQ(hw_model_load(m2, path), 0);
    size_t np2, ns2;
    CHECK(memcmp(hw_model_params(m2, &np2), p, np * sizeof(float)) == 0);
    CHECK(memcmp(hw_model_state(m2, &ns2), state, ns * sizeof(float)) == 0);
    float e1[N_ITEMS * 16], e2[N_ITEMS * 16];
    CHECK_INT_EQ(hw_model_embed_dim(m), 16);
    hw_model_embed(m, tiles, N_ITEMS, e1);
    hw_model_embed(m2, tiles, N_ITEMS, e2);
    CHECK(memcmp(e1, e2, sizeof e1) == 0);
    unlink(path);
    hw_model_free(m2);
    free(before);
    free(tiles);
    hw_model_free(m);
}

/* what distance and saliency build from a checkpoint's stored config */
static void test_checkpoint_model(void) {
    const char *yamls[4] = {"tiles: t.h5\nmodel: SMaxViT\n", "model: SMaxViTMulti   # multi\n", "model: SLeNet\n",
                            "tiles: t.h5\n"};
    const hw_backbone_kind want[4] = {HW_BACKBONE_SMAXVIT, HW_BACKBONE_SMAXVIT_MULTI, HW_BACKBONE_SLENET,
                                      HW_BACKBONE_SLENET};
    for (int i = 0; i < 4; i++) {
        char *meta[2] = {"config", (char *)yamls[i]};
        hw_st_file f = {0};
        f.meta = meta;
        f.n_meta = 1;
        hw_model_config c;
        CHECK_INT_EQ(hw_checkpoint_model_config(&f, "m.safetensors", 224, &c), 0);
        CHECK_INT_EQ(c.backbone, want[i]);
        CHECK_INT_EQ(c.maxvit.n_blocks, 0); /* maxvit_t */
    }
    char *meta[2] = {"config", "model: MaxViT\n"};
    hw_st_file f = {0};
    f.meta = meta;
    f.n_meta = 1;
    hw_model_config c;
    CHECK(hw_checkpoint_model_config(&f, "m.safetensors", 224, &c) != 0);
    CHECK_STR_EQ(hw_error(), "m.safetensors: unknown model 'MaxViT' in the checkpoint's config (SLeNet, SMaxViT or "
                             "SMaxViTMulti)");
    hw_backbone_kind k;
    CHECK_INT_EQ(hw_model_backbone_by_name("SMaxViTMulti", &k), 0);
    CHECK_INT_EQ(k, HW_BACKBONE_SMAXVIT_MULTI);
    CHECK_INT_EQ(hw_model_backbone_by_name("SMaxVit", &k), -1); /* the reference's typo (bug 14) */
}

int main(void) {
    test_checkpoint_model();
    test_maxvit_t_table();
    test_tiny();
    return TEST_RESULT();
}
