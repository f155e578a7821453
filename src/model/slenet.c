/* SLeNet (reference.md 3.2) with the SiameseNet wrapper's per-tile max normalisation and
 * diagonal mask (3.1): parameters and gradients in one buffer each behind a table of
 * PyTorch-named tensors, activations in one arena. All views of a batch (the two tiles of
 * a pair, the three of a triplet, the V of a SupCon group) go through the backbone as one
 * batch of n * views tiles, saved view-major, so the loss sees each view's embeddings as a
 * contiguous block and every weight (linear.1's 21.6 MB above all) is read once per step. */
#include "model_internal.h"

#include "hitwin/error.h"
#include "hitwin/nn.h"
#include "hitwin/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The dropout stream is separate from the initialisation stream of the same seed. */
#define HW_DROPOUT_STREAM 0xD50B0D50B0D50B0DULL

static void set_tensor(hw_model *m, int t, const char *name, int ndim, int64_t d0, int64_t d1,
                       int64_t d2, int64_t d3) {
    hw_tensor *x = &m->tensors[t];
    int64_t d[4] = {d0, d1, d2, d3};
    x->name = name;
    x->ndim = ndim;
    x->numel = 1;
    for (int i = 0; i < 4; i++) {
        x->shape[i] = i < ndim ? d[i] : 0;
        if (i < ndim) x->numel *= (size_t)d[i];
    }
    x->offset = m->n_params;
    m->n_params += x->numel;
}

hw_model *hw_model_create(const hw_model_config *cfg, uint64_t seed) {
    if (cfg->image_size < 16) {
        hw_fail("model: image_size %d is too small for SLeNet (at least 16)", cfg->image_size);
        return NULL;
    }
    if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f)) {
        hw_fail("model: dropout %g is outside [0, 1)", (double)cfg->dropout);
        return NULL;
    }
    hw_model *m = xcalloc(1, sizeof *m);
    m->cfg = *cfg;
    m->seed = seed;
    m->dropout_seed = seed ^ HW_DROPOUT_STREAM;
    m->S = cfg->image_size;
    m->C1 = m->S - HW_SLENET_K + 1;
    m->P1 = m->C1 / 2;
    m->C2 = m->P1 - HW_SLENET_K + 1;
    m->P2 = m->C2 / 2;
    m->F = HW_SLENET_C2 * m->P2 * m->P2;
    m->has_head = cfg->loss == HW_LOSS_CONTRASTIVE;

    set_tensor(m, T_CONV1_W, "features.0.weight", 4, HW_SLENET_C1, 1, HW_SLENET_K, HW_SLENET_K);
    set_tensor(m, T_CONV1_B, "features.0.bias", 1, HW_SLENET_C1, 0, 0, 0);
    set_tensor(m, T_CONV2_W, "features.2.weight", 4, HW_SLENET_C2, HW_SLENET_C1, HW_SLENET_K,
               HW_SLENET_K);
    set_tensor(m, T_CONV2_B, "features.2.bias", 1, HW_SLENET_C2, 0, 0, 0);
    set_tensor(m, T_FC1_W, "linear.1.weight", 2, HW_SLENET_H1, m->F, 0, 0);
    set_tensor(m, T_FC1_B, "linear.1.bias", 1, HW_SLENET_H1, 0, 0, 0);
    set_tensor(m, T_FC2_W, "linear.3.weight", 2, HW_SLENET_D, HW_SLENET_H1, 0, 0);
    set_tensor(m, T_FC2_B, "linear.3.bias", 1, HW_SLENET_D, 0, 0, 0);
    m->n_backbone = m->n_params;
    m->n_tensors = T_FC2_B + 1;
    if (m->has_head) {
        set_tensor(m, T_HEAD_W, "head.0.weight", 2, HW_HEAD_OUT, HW_SLENET_D, 0, 0);
        set_tensor(m, T_HEAD_B, "head.0.bias", 1, HW_HEAD_OUT, 0, 0, 0);
        m->n_tensors = T_COUNT;
    }
    m->params = xcalloc(m->n_params, sizeof(float));
    m->grads = xcalloc(m->n_params, sizeof(float));
    m->diag_scratch = xcalloc((size_t)m->S, sizeof(double));

    /* PyTorch default init, layers in state_dict order from one stream */
    NnRng rng;
    nn_rng_init(&rng, seed);
    nn_init_conv2d(hw_p(m, T_CONV1_W), hw_p(m, T_CONV1_B), HW_SLENET_C1, 1, HW_SLENET_K,
                   HW_SLENET_K, &rng);
    nn_init_conv2d(hw_p(m, T_CONV2_W), hw_p(m, T_CONV2_B), HW_SLENET_C2, HW_SLENET_C1,
                   HW_SLENET_K, HW_SLENET_K, &rng);
    nn_init_linear(hw_p(m, T_FC1_W), hw_p(m, T_FC1_B), HW_SLENET_H1, m->F, &rng);
    nn_init_linear(hw_p(m, T_FC2_W), hw_p(m, T_FC2_B), HW_SLENET_D, HW_SLENET_H1, &rng);
    if (m->has_head)
        nn_init_linear(hw_p(m, T_HEAD_W), hw_p(m, T_HEAD_B), HW_HEAD_OUT, HW_SLENET_D, &rng);
    return m;
}

void hw_model_free(hw_model *m) {
    if (!m) return;
    free(m->params);
    free(m->diag_scratch);
    free(m->grads);
    free(m->arena);
    free(m->lbuf);
    free(m);
}

const hw_model_config *hw_model_cfg(const hw_model *m) { return &m->cfg; }

float *hw_model_params(hw_model *m, size_t *n) {
    if (n) *n = m->n_params;
    return m->params;
}

float *hw_model_grads(hw_model *m, size_t *n) {
    if (n) *n = m->n_params;
    return m->grads;
}

int hw_model_tensors(const hw_model *m, const hw_tensor **tensors) {
    if (tensors) *tensors = m->tensors;
    return m->n_tensors;
}

size_t hw_model_backbone_floats(const hw_model *m) { return m->n_backbone; }
int hw_model_embed_dim(const hw_model *m) { (void)m; return HW_SLENET_D; }
uint64_t hw_model_dropout_draws_per_tile(const hw_model *m) { return (uint64_t)m->F; }
size_t hw_model_arena_bytes(const hw_model *m) { return m->arena_bytes; }

void hw_model_zero_grad(hw_model *m) { memset(m->grads, 0, m->n_params * sizeof(float)); }

/* ---- activation arena ---------------------------------------------------------------- */

/* Two passes over the same carve sequence: the first (base NULL) only measures. */
typedef struct {
    char *base;
    size_t off;
} carver;

static void *carve(carver *c, size_t count, size_t elem) {
    size_t off = (c->off + 63) & ~(size_t)63;
    c->off = off + count * elem;
    return c->base ? c->base + off : NULL;
}

static void layout(hw_model *m, carver *c, int n_tiles) {
    const size_t N = (size_t)n_tiles, S2 = (size_t)m->S * m->S;
    const size_t np1 = N * HW_SLENET_C1 * m->P1 * m->P1, nF = N * m->F;
    hw_branch *b = &m->act;
    b->x = carve(c, N * S2, sizeof(float));
    b->maxval = carve(c, N, sizeof(float));
    b->p1 = carve(c, np1, sizeof(float));
    b->a1 = carve(c, np1, sizeof(int32_t));
    b->a2 = carve(c, nF, sizeof(int32_t));
    b->drop = carve(c, nF, sizeof(float));
    b->dmask = carve(c, nF, 1);
    b->h1 = carve(c, N * HW_SLENET_H1, sizeof(float));
    b->g1 = carve(c, N * HW_SLENET_H1, sizeof(float));
    b->h2 = carve(c, N * HW_SLENET_D, sizeof(float));
    b->emb = carve(c, N * HW_SLENET_D, sizeof(float));
    m->c1 = carve(c, N * HW_SLENET_C1 * m->C1 * m->C1, sizeof(float));
    m->c2 = carve(c, N * HW_SLENET_C2 * m->C2 * m->C2, sizeof(float));
    m->p2 = carve(c, nF, sizeof(float));
    m->dp1 = carve(c, np1, sizeof(float));
    m->dh1 = carve(c, N * HW_SLENET_H1, sizeof(float));
    m->dg1 = carve(c, N * HW_SLENET_H1, sizeof(float));
    m->dh2 = carve(c, N * HW_SLENET_D, sizeof(float));
    m->demb = carve(c, N * HW_SLENET_D, sizeof(float));
    NnConv2dDims d1 = {n_tiles, 1, m->S, m->S, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    NnConv2dDims d2 = {n_tiles, HW_SLENET_C1, m->P1, m->P1, HW_SLENET_C2, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    size_t s1 = nn_conv2d_scratch_floats(&d1), s2 = nn_conv2d_scratch_floats(&d2);
    m->conv_scratch = carve(c, s1 > s2 ? s1 : s2, sizeof(float));
}

void hw_model_reserve(hw_model *m, int n, int views) {
    const int n_tiles = n * views;
    if (n_tiles <= m->cap_tiles) return;
    free(m->arena);
    carver c = {NULL, 0};
    layout(m, &c, n_tiles);
    m->arena_bytes = c.off + 64;
    m->arena = xmalloc(m->arena_bytes);
    c.base = (char *)(((uintptr_t)m->arena + 63) & ~(uintptr_t)63);
    c.off = 0;
    layout(m, &c, n_tiles);
    m->cap_tiles = n_tiles;
}

/* ---- the backbone over all views of a batch ------------------------------------------- */

/* The recipe's input transform of one S x S tile (no gradient: the tiles are data).
 * diag: S doubles of scratch. Negative values (none in a store) are treated as 0; NaN stays
 * NaN, so a bad tile still ends in a non-finite loss as it does without a transform. */
static void input_transform(float *x, const float *t, int S, hw_input_transform tr, double *diag) {
    const size_t S2 = (size_t)S * S;
    if (tr == HW_INPUT_NONE) {
        memcpy(x, t, S2 * sizeof(float));
        return;
    }
    if (tr == HW_INPUT_LOG1P) { /* log1p(t) for t > 0, 0 otherwise, NaN stays; vectorised */
        log1p_clamped_forward(x, t, S2);
        return;
    }
    /* OE: mean of each diagonal |i - j| = d over the tile, then log1p(x / mean) */
    for (int d = 0; d < S; d++) diag[d] = 0.0;
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            float y = t[(size_t)r * S + c];
            if (y > 0.0f) diag[r > c ? r - c : c - r] += y;
        }
    for (int d = 0; d < S; d++) {
        double cnt = d == 0 ? S : 2.0 * (S - d);
        diag[d] = diag[d] > 0.0 ? cnt / diag[d] : 0.0; /* 1 / mean */
    }
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            size_t k = (size_t)r * S + c;
            float y = t[k];
            x[k] = y > 0.0f ? (float)(y * diag[r > c ? r - c : c - r]) : isnan(y) ? y : 0.0f;
        }
    log1p_clamped_forward(x, x, S2);
}

void hw_backbone_forward(hw_model *m, const float *tiles, int n, int views, int mask, int train,
                         uint64_t rng_counter) {
    hw_branch *b = &m->act;
    const int S = m->S, N = n * views;
    const size_t S2 = (size_t)S * S;
    /* SiameseNet.forward: x / amax(x) per tile (guard: an all-zero tile stays zero, where
     * the reference gives NaN, bug 15), then the diagonal mask; before it the recipe's
     * optional input transform, and the max optionally over the off-diagonal pixels only.
     * Row v * n + i holds item i's view v, so each view's rows are contiguous. */
    for (int v = 0; v < views; v++)
        for (int i = 0; i < n; i++) {
            const float *t = tiles + ((size_t)i * views + v) * S2;
            const size_t row = (size_t)v * n + i;
            float *x = b->x + row * S2;
            if (m->cfg.input_transform == HW_INPUT_NONE && m->cfg.norm_region == HW_NORM_WHOLE) {
                maxnorm_forward(x, b->maxval + row, t, 1, (int)S2);
                continue;
            }
            input_transform(x, t, S, m->cfg.input_transform, m->diag_scratch);
            float mx = 0.0f;
            if (m->cfg.norm_region == HW_NORM_NONE) {
                b->maxval[row] = 1.0f;
                continue;
            }
            if (m->cfg.norm_region == HW_NORM_OFFDIAG) {
                for (int r = 0; r < S; r++)
                    for (int c = 0; c < S; c++)
                        if ((r > c ? r - c : c - r) >= NN_DIAG_MASK_BAND && x[(size_t)r * S + c] > mx)
                            mx = x[(size_t)r * S + c];
            } else {
                for (size_t k = 0; k < S2; k++) mx = x[k] > mx ? x[k] : mx;
            }
            b->maxval[row] = mx;
            const float inv = mx > 0.0f ? 1.0f / mx : 1.0f;
            for (size_t k = 0; k < S2; k++) x[k] *= inv;
        }
    if (mask) diagmask_forward(b->x, b->x, NN_DIAG_MASK_BAND, N, S, S);

    /* conv + pool as one op each: the conv outputs c1, c2 are only scratch for the unfused
     * case (nn.h) */
    NnConv2dDims d1 = {N, 1, S, S, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    conv2d_maxpool_forward(b->p1, b->a1, m->c1, b->x, hw_p(m, T_CONV1_W), hw_p(m, T_CONV1_B),
                           m->conv_scratch, &d1);
    NnConv2dDims d2 = {N, HW_SLENET_C1, m->P1, m->P1, HW_SLENET_C2, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    conv2d_maxpool_forward(m->p2, b->a2, m->c2, b->p1, hw_p(m, T_CONV2_W), hw_p(m, T_CONV2_B),
                           m->conv_scratch, &d2);

    /* linear.0: dropout, item i of view v at draw rng_counter + (i * views + v) * F, so a
     * mask depends on the item's place in the batch only, never on the thread or rank */
    const size_t F = (size_t)m->F;
    const float p = train ? m->cfg.dropout : 0.0f;
    for (int v = 0; v < views; v++)
        for (int i = 0; i < n; i++) {
            const size_t row = (size_t)v * n + i;
            NnRng rng = {m->dropout_seed, rng_counter + ((uint64_t)i * views + v) * F};
            dropout_forward(b->drop + row * F, b->dmask + row * F, m->p2 + row * F, p, &rng, F);
        }
    linear_forward(b->h1, b->drop, hw_p(m, T_FC1_W), hw_p(m, T_FC1_B), N, m->F, HW_SLENET_H1);
    gelu_forward(b->g1, b->h1, (size_t)N * HW_SLENET_H1);
    linear_forward(b->h2, b->g1, hw_p(m, T_FC2_W), hw_p(m, T_FC2_B), N, HW_SLENET_H1, HW_SLENET_D);
    gelu_forward(b->emb, b->h2, (size_t)N * HW_SLENET_D);
}

void hw_backbone_backward(hw_model *m, int n, int views) {
    hw_branch *b = &m->act;
    const int n_tiles = n * views;
    const size_t N = (size_t)n_tiles, F = (size_t)m->F;
    memset(m->dh2, 0, N * HW_SLENET_D * sizeof(float));
    gelu_backward(m->dh2, m->demb, b->h2, N * HW_SLENET_D);
    memset(m->dg1, 0, N * HW_SLENET_H1 * sizeof(float));
    linear_backward(m->dg1, hw_g(m, T_FC2_W), hw_g(m, T_FC2_B), m->dh2, b->g1, hw_p(m, T_FC2_W),
                    n_tiles, HW_SLENET_H1, HW_SLENET_D);
    memset(m->dh1, 0, N * HW_SLENET_H1 * sizeof(float));
    gelu_backward(m->dh1, m->dg1, b->h1, N * HW_SLENET_H1);
    float *ddrop = m->c1; /* conv1's output buffer is free now; [N, F] fits in [N, 6, C1, C1] */
    memset(ddrop, 0, N * F * sizeof(float));
    linear_backward(ddrop, hw_g(m, T_FC1_W), hw_g(m, T_FC1_B), m->dh1, b->drop, hw_p(m, T_FC1_W),
                    n_tiles, m->F, HW_SLENET_H1);
    float *dp2 = m->p2;
    memset(dp2, 0, N * F * sizeof(float));
    dropout_backward(dp2, ddrop, b->dmask, m->cfg.dropout, N * F);

    /* pool + conv backward as one op each; c2 and c1 are scratch for the unfused case */
    NnConv2dDims d2 = {n_tiles, HW_SLENET_C1, m->P1, m->P1, HW_SLENET_C2, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    memset(m->dp1, 0, N * HW_SLENET_C1 * m->P1 * m->P1 * sizeof(float));
    conv2d_maxpool_backward(m->dp1, hw_g(m, T_CONV2_W), hw_g(m, T_CONV2_B), m->c2, dp2, b->a2, b->p1,
                            hw_p(m, T_CONV2_W), m->conv_scratch, &d2);
    NnConv2dDims d1 = {n_tiles, 1, m->S, m->S, HW_SLENET_C1, HW_SLENET_K, HW_SLENET_K, 1, 0, 1};
    /* the tiles are data: no input gradient, and none through the mask or normalisation */
    conv2d_maxpool_backward(NULL, hw_g(m, T_CONV1_W), hw_g(m, T_CONV1_B), m->c1, m->dp1, b->a1, b->x,
                            hw_p(m, T_CONV1_W), m->conv_scratch, &d1);
}

int hw_model_embed(hw_model *m, const float *tiles, int n, float *emb) {
    /* evaluation mode, like SiameseNet.forward's branch: normalise, mask when cfg.mask, no
     * dropout, no L2 normalisation (distance time rebuilds the model with supcon=False) */
    const int chunk = 64;
    for (int i0 = 0; i0 < n; i0 += chunk) {
        int k = n - i0 < chunk ? n - i0 : chunk;
        hw_model_reserve(m, k, 1);
        hw_backbone_forward(m, tiles + (size_t)i0 * m->S * m->S, k, 1, m->cfg.mask, 0, 0);
        memcpy(emb + (size_t)i0 * HW_SLENET_D, m->act.emb, (size_t)k * HW_SLENET_D * sizeof(float));
    }
    return 0;
}
