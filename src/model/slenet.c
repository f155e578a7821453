/* SLeNet (reference.md 3.2) behind the backbone table (backbone.h): its tensors with PyTorch
 * names, PyTorch's default init, its activations in the model's arena, and the forward and
 * backward of all n * views tiles of a batch at once (the two tiles of a pair, the three of
 * a triplet, the V of a SupCon group), saved view-major, so every weight (linear.1's 21.6 MB
 * above all) is read once per step. The wrapper (siamese_model.c) prepares m->x and takes
 * m->emb. */
#include "slenet_internal.h"

#include "hitwin/error.h"
#include "hitwin/nn.h"
#include "hitwin/xalloc.h"

#include <stdlib.h>
#include <string.h>

static int slenet_check(const hw_model_config *cfg) {
    if (cfg->image_size < 16)
        return hw_fail("model: image_size %d is too small for SLeNet (at least 16)", cfg->image_size);
    return 0;
}

static int slenet_create(hw_model *m) {
    hw_slenet *s = xcalloc(1, sizeof *s);
    m->bb_state = s;
    m->D = HW_SLENET_D;
    s->C1 = m->S - HW_SLENET_K + 1;
    s->P1 = s->C1 / 2;
    s->C2 = s->P1 - HW_SLENET_K + 1;
    s->P2 = s->C2 / 2;
    s->F = HW_SLENET_C2 * s->P2 * s->P2;
    /* the table order is the enum's (T_CONV1_W ...) */
    hw_model_add_tensor(m, "features.0.weight", 4, (int64_t[]){HW_SLENET_C1, 1, HW_SLENET_K, HW_SLENET_K});
    hw_model_add_tensor(m, "features.0.bias", 1, (int64_t[]){HW_SLENET_C1});
    hw_model_add_tensor(m, "features.2.weight", 4,
                        (int64_t[]){HW_SLENET_C2, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K});
    hw_model_add_tensor(m, "features.2.bias", 1, (int64_t[]){HW_SLENET_C2});
    hw_model_add_tensor(m, "linear.1.weight", 2, (int64_t[]){HW_SLENET_H1, s->F});
    hw_model_add_tensor(m, "linear.1.bias", 1, (int64_t[]){HW_SLENET_H1});
    hw_model_add_tensor(m, "linear.3.weight", 2, (int64_t[]){HW_SLENET_D, HW_SLENET_H1});
    hw_model_add_tensor(m, "linear.3.bias", 1, (int64_t[]){HW_SLENET_D});
    return 0;
}

static void slenet_init(hw_model *m, NnRng *rng) {
    const hw_slenet *s = hw_slenet_of(m);
    nn_init_conv2d(hw_p(m, T_CONV1_W), hw_p(m, T_CONV1_B), HW_SLENET_C1, 1, HW_SLENET_K,
                   HW_SLENET_K, rng);
    nn_init_conv2d(hw_p(m, T_CONV2_W), hw_p(m, T_CONV2_B), HW_SLENET_C2, HW_SLENET_C1,
                   HW_SLENET_K, HW_SLENET_K, rng);
    nn_init_linear(hw_p(m, T_FC1_W), hw_p(m, T_FC1_B), HW_SLENET_H1, s->F, rng);
    nn_init_linear(hw_p(m, T_FC2_W), hw_p(m, T_FC2_B), HW_SLENET_D, HW_SLENET_H1, rng);
}

static void slenet_destroy(hw_model *m) {
    free(m->bb_state);
    m->bb_state = NULL;
}

static uint64_t slenet_draws_per_tile(const hw_model *m) {
    return (uint64_t)((const hw_slenet *)m->bb_state)->F;
}

static void slenet_layout(hw_model *m, hw_carver *c, int n_tiles) {
    hw_slenet *s = hw_slenet_of(m);
    const size_t N = (size_t)n_tiles;
    const size_t np1 = N * HW_SLENET_C1 * s->P1 * s->P1, nF = N * s->F;
    s->p1 = hw_carve(c, np1, sizeof(float));
    s->a1 = hw_carve(c, np1, sizeof(int32_t));
    s->a2 = hw_carve(c, nF, sizeof(int32_t));
    s->drop = hw_carve(c, nF, sizeof(float));
    s->dmask = hw_carve(c, nF, 1);
    s->h1 = hw_carve(c, N * HW_SLENET_H1, sizeof(float));
    s->g1 = hw_carve(c, N * HW_SLENET_H1, sizeof(float));
    s->h2 = hw_carve(c, N * HW_SLENET_D, sizeof(float));
    s->c1 = hw_carve(c, N * HW_SLENET_C1 * s->C1 * s->C1, sizeof(float));
    s->c2 = hw_carve(c, N * HW_SLENET_C2 * s->C2 * s->C2, sizeof(float));
    s->p2 = hw_carve(c, nF, sizeof(float));
    s->dp1 = hw_carve(c, np1, sizeof(float));
    s->dh1 = hw_carve(c, N * HW_SLENET_H1, sizeof(float));
    s->dg1 = hw_carve(c, N * HW_SLENET_H1, sizeof(float));
    s->dh2 = hw_carve(c, N * HW_SLENET_D, sizeof(float));
    NnConv2dDims d1 = {n_tiles, 1, m->S, m->S, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    NnConv2dDims d2 = {n_tiles, HW_SLENET_C1, s->P1, s->P1, HW_SLENET_C2, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    size_t s1 = nn_conv2d_scratch_floats(&d1), s2 = nn_conv2d_scratch_floats(&d2);
    s->conv_scratch = hw_carve(c, s1 > s2 ? s1 : s2, sizeof(float));
}

static void slenet_forward(hw_model *m, int n, int views, int train, uint64_t rng_counter) {
    hw_slenet *s = hw_slenet_of(m);
    const int S = m->S, N = n * views;
    /* conv + pool as one op each: the conv outputs c1, c2 are only scratch for the unfused
     * case (nn.h) */
    NnConv2dDims d1 = {N, 1, S, S, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    conv2d_maxpool_forward(s->p1, s->a1, s->c1, m->x, hw_p(m, T_CONV1_W), hw_p(m, T_CONV1_B),
                           s->conv_scratch, &d1);
    NnConv2dDims d2 = {N, HW_SLENET_C1, s->P1, s->P1, HW_SLENET_C2, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    conv2d_maxpool_forward(s->p2, s->a2, s->c2, s->p1, hw_p(m, T_CONV2_W), hw_p(m, T_CONV2_B),
                           s->conv_scratch, &d2);

    /* linear.0: dropout, item i of view v at draw rng_counter + (i * views + v) * F, so a
     * mask depends on the item's place in the batch only, never on the thread or rank */
    const size_t F = (size_t)s->F;
    const float p = train ? m->cfg.dropout : 0.0f;
    for (int v = 0; v < views; v++)
        for (int i = 0; i < n; i++) {
            const size_t row = (size_t)v * n + i;
            NnRng rng = {m->dropout_seed, rng_counter + ((uint64_t)i * views + v) * F};
            dropout_forward(s->drop + row * F, s->dmask + row * F, s->p2 + row * F, p, &rng, F);
        }
    linear_forward(s->h1, s->drop, hw_p(m, T_FC1_W), hw_p(m, T_FC1_B), N, s->F, HW_SLENET_H1);
    gelu_forward(s->g1, s->h1, (size_t)N * HW_SLENET_H1);
    linear_forward(s->h2, s->g1, hw_p(m, T_FC2_W), hw_p(m, T_FC2_B), N, HW_SLENET_H1, HW_SLENET_D);
    gelu_forward(m->emb, s->h2, (size_t)N * HW_SLENET_D);
}

static void slenet_backward(hw_model *m, int n, int views) {
    hw_slenet *s = hw_slenet_of(m);
    const int n_tiles = n * views;
    const size_t N = (size_t)n_tiles, F = (size_t)s->F;
    memset(s->dh2, 0, N * HW_SLENET_D * sizeof(float));
    gelu_backward(s->dh2, m->demb, s->h2, N * HW_SLENET_D);
    memset(s->dg1, 0, N * HW_SLENET_H1 * sizeof(float));
    linear_backward(s->dg1, hw_g(m, T_FC2_W), hw_g(m, T_FC2_B), s->dh2, s->g1, hw_p(m, T_FC2_W),
                    n_tiles, HW_SLENET_H1, HW_SLENET_D);
    memset(s->dh1, 0, N * HW_SLENET_H1 * sizeof(float));
    gelu_backward(s->dh1, s->dg1, s->h1, N * HW_SLENET_H1);
    float *ddrop = s->c1; /* conv1's output buffer is free now; [N, F] fits in [N, 6, C1, C1] */
    memset(ddrop, 0, N * F * sizeof(float));
    linear_backward(ddrop, hw_g(m, T_FC1_W), hw_g(m, T_FC1_B), s->dh1, s->drop, hw_p(m, T_FC1_W),
                    n_tiles, s->F, HW_SLENET_H1);
    float *dp2 = s->p2;
    memset(dp2, 0, N * F * sizeof(float));
    dropout_backward(dp2, ddrop, s->dmask, m->cfg.dropout, N * F);

    /* pool + conv backward as one op each; c2 and c1 are scratch for the unfused case */
    NnConv2dDims d2 = {n_tiles, HW_SLENET_C1, s->P1, s->P1, HW_SLENET_C2, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    memset(s->dp1, 0, N * HW_SLENET_C1 * s->P1 * s->P1 * sizeof(float));
    conv2d_maxpool_backward(s->dp1, hw_g(m, T_CONV2_W), hw_g(m, T_CONV2_B), s->c2, dp2, s->a2, s->p1,
                            hw_p(m, T_CONV2_W), s->conv_scratch, &d2);
    NnConv2dDims d1 = {n_tiles, 1, m->S, m->S, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    /* the tiles are data: no input gradient, and none through the mask or normalisation */
    conv2d_maxpool_backward(NULL, hw_g(m, T_CONV1_W), hw_g(m, T_CONV1_B), s->c1, s->dp1, s->a1, m->x,
                            hw_p(m, T_CONV1_W), s->conv_scratch, &d1);
}

/* features' output: 16 maps, pooled, before the flatten that linear.0 reads */
static void slenet_head_maps_shape(const hw_model *m, int *channels, int *positions) {
    const hw_slenet *s = (const hw_slenet *)m->bb_state;
    *channels = HW_SLENET_C2;
    *positions = s->P2 * s->P2;
}

static const float *slenet_head_maps(hw_model *m) { return hw_slenet_of(m)->p2; }

const hw_backbone_ops hw_slenet_backbone = {
    .name = "SLeNet",
    .check = slenet_check,
    .create = slenet_create,
    .init = slenet_init,
    .destroy = slenet_destroy,
    .layout = slenet_layout,
    .forward = slenet_forward,
    .backward = slenet_backward,
    .draws_per_tile = slenet_draws_per_tile,
    .eval_chunk = 64,
    .head_maps_shape = slenet_head_maps_shape,
    .head_maps = slenet_head_maps,
    .feature_geometry = hw_slenet_feature_geometry,
    .feature_maps = hw_slenet_conv2_maps,
    .distance_grad = hw_slenet_distance_grad,
    .path_grad = hw_slenet_path_grad,
};
