/* The SiameseNet wrapper (reference.md 3.1) around one backbone (backbone.h): config checks,
 * the tensor table, the parameter, gradient and state buffers, the activation arena, the
 * per-tile input preparation (max normalisation, the recipe's transform, the diagonal mask)
 * and evaluation-mode embeddings. Nothing here knows a layer; the backbone's table does. */
#include "model_internal.h"

#include "hitwin/error.h"
#include "hitwin/nn.h"
#include "hitwin/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The dropout stream is separate from the initialisation stream of the same seed. */
#define HW_DROPOUT_STREAM 0xD50B0D50B0D50B0DULL

const hw_backbone_ops *hw_backbone_for(const hw_model_config *cfg) {
    switch (cfg->backbone) {
    case HW_BACKBONE_SLENET: return &hw_slenet_backbone;
    case HW_BACKBONE_SMAXVIT: return &hw_maxvit_backbone;
    case HW_BACKBONE_SMAXVIT_MULTI: return &hw_maxvit_multi_backbone;
    }
    return NULL;
}

int hw_model_backbone_by_name(const char *name, hw_backbone_kind *kind) {
    static const hw_backbone_kind all[] = {HW_BACKBONE_SLENET, HW_BACKBONE_SMAXVIT, HW_BACKBONE_SMAXVIT_MULTI};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const hw_model_config c = {.backbone = all[i]};
        if (!strcmp(hw_backbone_for(&c)->name, name)) {
            *kind = all[i];
            return 0;
        }
    }
    return -1;
}

static int add_entry(hw_tensor **table, int *count, int *cap, size_t *total, const char *name,
                     int ndim, const int64_t *shape) {
    if (*count == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        *table = xrealloc(*table, (size_t)*cap * sizeof **table);
    }
    hw_tensor *x = &(*table)[*count];
    memset(x, 0, sizeof *x);
    x->name = xstrdup(name);
    x->ndim = ndim;
    x->numel = 1;
    for (int i = 0; i < ndim; i++) {
        x->shape[i] = shape[i];
        x->numel *= (size_t)shape[i];
    }
    x->offset = *total;
    *total += x->numel;
    return (*count)++;
}

int hw_model_add_tensor(hw_model *m, const char *name, int ndim, const int64_t *shape) {
    return add_entry(&m->tensors, &m->n_tensors, &m->cap_tensors, &m->n_params, name, ndim, shape);
}

int hw_model_add_state(hw_model *m, const char *name, int ndim, const int64_t *shape) {
    return add_entry(&m->state_tensors, &m->n_state_tensors, &m->cap_state_tensors, &m->n_state,
                     name, ndim, shape);
}

void hw_model_add_int64_buffer(hw_model *m, const char *name, int ndim, const int64_t *shape,
                               const int64_t *value, const char *checked) {
    if (m->n_int64_buffers == m->cap_int64_buffers) {
        m->cap_int64_buffers = m->cap_int64_buffers ? 2 * m->cap_int64_buffers : 16;
        m->int64_buffers = xrealloc(m->int64_buffers, (size_t)m->cap_int64_buffers * sizeof *m->int64_buffers);
    }
    hw_int64_buffer *b = &m->int64_buffers[m->n_int64_buffers++];
    memset(b, 0, sizeof *b);
    b->name = xstrdup(name);
    b->ndim = ndim;
    b->numel = 1;
    for (int i = 0; i < ndim; i++) {
        b->shape[i] = shape[i];
        b->numel *= (size_t)shape[i];
    }
    b->value = xmalloc(b->numel * sizeof *b->value);
    memcpy(b->value, value, b->numel * sizeof *b->value);
    b->checked = checked;
}

hw_model *hw_model_create(const hw_model_config *cfg, uint64_t seed) {
    const hw_backbone_ops *bb = hw_backbone_for(cfg);
    if (!bb) {
        hw_fail("model: unknown backbone %d", (int)cfg->backbone);
        return NULL;
    }
    if (bb->check(cfg)) return NULL;
    if (cfg->smooth < 0 || cfg->smooth > HW_SMOOTH_MAX) {
        hw_fail("model: smooth %d is outside 0..%d", cfg->smooth, HW_SMOOTH_MAX);
        return NULL;
    }
    if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f)) {
        hw_fail("model: dropout %g is outside [0, 1)", (double)cfg->dropout);
        return NULL;
    }
    hw_model *m = xcalloc(1, sizeof *m);
    m->cfg = *cfg;
    m->bb = bb;
    m->seed = seed;
    m->dropout_seed = seed ^ HW_DROPOUT_STREAM;
    m->S = cfg->image_size;
    m->has_head = cfg->loss == HW_LOSS_CONTRASTIVE;
    m->head_w = m->head_b = -1;
    if (bb->create(m)) {
        hw_model_free(m);
        return NULL;
    }
    m->n_backbone = m->n_params;
    m->n_backbone_tensors = m->n_tensors;
    if (m->has_head) { /* LastLayerNN: LazyLinear(2) on the embedding */
        m->head_w = hw_model_add_tensor(m, "head.0.weight", 2, (int64_t[]){HW_HEAD_OUT, m->D});
        m->head_b = hw_model_add_tensor(m, "head.0.bias", 1, (int64_t[]){HW_HEAD_OUT});
    }
    m->params = xcalloc(m->n_params, sizeof(float));
    m->grads = xcalloc(m->n_params, sizeof(float));
    m->state = xcalloc(m->n_state + 1, sizeof(float));
    m->diag_scratch = xcalloc(2 * (size_t)m->S, sizeof(double)); /* O/E, and balance_oe */
    if (cfg->smooth > 0) m->smooth_scratch = xcalloc((size_t)m->S * m->S, sizeof(float));

    /* PyTorch default init, layers in state_dict order from one stream, the head last */
    NnRng rng;
    nn_rng_init(&rng, seed);
    bb->init(m, &rng);
    if (m->has_head) nn_init_linear(hw_p(m, m->head_w), hw_p(m, m->head_b), HW_HEAD_OUT, m->D, &rng);
    return m;
}

void hw_model_free(hw_model *m) {
    if (!m) return;
    if (m->bb && m->bb->destroy) m->bb->destroy(m);
    for (int i = 0; i < m->n_tensors; i++) free((char *)m->tensors[i].name);
    for (int i = 0; i < m->n_state_tensors; i++) free((char *)m->state_tensors[i].name);
    for (int i = 0; i < m->n_int64_buffers; i++) {
        free(m->int64_buffers[i].name);
        free(m->int64_buffers[i].value);
    }
    free(m->tensors);
    free(m->state_tensors);
    free(m->int64_buffers);
    free(m->params);
    free(m->state);
    free(m->diag_scratch);
    free(m->smooth_scratch);
    free(m->grads);
    free(m->arena);
    free(m->lbuf);
    free(m);
}

const hw_model_config *hw_model_cfg(const hw_model *m) { return &m->cfg; }
const char *hw_model_backbone_name(const hw_model *m) { return m->bb->name; }

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

float *hw_model_state(hw_model *m, size_t *n) {
    if (n) *n = m->n_state;
    return m->state;
}

int hw_model_state_tensors(const hw_model *m, const hw_tensor **tensors) {
    if (tensors) *tensors = m->state_tensors;
    return m->n_state_tensors;
}

size_t hw_model_backbone_floats(const hw_model *m) { return m->n_backbone; }
int hw_model_embed_dim(const hw_model *m) { return m->D; }
uint64_t hw_model_dropout_draws_per_tile(const hw_model *m) { return m->bb->draws_per_tile(m); }
size_t hw_model_arena_bytes(const hw_model *m) { return m->arena_bytes; }

void hw_model_zero_grad(hw_model *m) { memset(m->grads, 0, m->n_params * sizeof(float)); }

/* ---- activation arena ---------------------------------------------------------------- */

static void layout(hw_model *m, hw_carver *c, int n_tiles) {
    const size_t N = (size_t)n_tiles, S2 = (size_t)m->S * m->S;
    m->x = hw_carve(c, N * S2, sizeof(float));
    m->maxval = hw_carve(c, N, sizeof(float));
    m->emb = hw_carve(c, N * m->D, sizeof(float));
    m->demb = hw_carve(c, N * m->D, sizeof(float));
    m->bb->layout(m, c, n_tiles);
}

void hw_model_reserve(hw_model *m, int n, int views) {
    const int n_tiles = n * views;
    if (n_tiles <= m->cap_tiles) return;
    free(m->arena);
    hw_carver c = {NULL, 0};
    layout(m, &c, n_tiles);
    m->arena_bytes = c.off + 64;
    m->arena = xmalloc(m->arena_bytes);
    c.base = (char *)(((uintptr_t)m->arena + 63) & ~(uintptr_t)63);
    c.off = 0;
    layout(m, &c, n_tiles);
    m->cap_tiles = n_tiles;
}

/* ---- input preparation ------------------------------------------------------------------ */

/* oe_balanced: the tile's O/E (x, S x S, symmetric) with each bin's coverage divided out, so a
 * library's per-bin bias (a fixed row and column pattern, which the O/E keeps) is not in the
 * input. x is brought to x[r][c] = t[r][c] / (f_r f_c e_{|r-c|}) with every row's mean over
 * the pixels |r - c| >= HW_BALANCE_SKIP (the diagonals the model masks carry no weight) equal
 * and every diagonal's mean 1, by alternating the two normalisations (symmetric matrix
 * balancing, f_r <- f_r sqrt(row mean / mean of the rows' means), and the O/E) HW_BALANCE_ITERS
 * times; the decomposition is unique, so a bias b_r b_c on t ends in f and leaves x as it
 * was. An empty row stays empty. scratch: at least 2 S doubles. */
static void balance_oe(float *x, int S, double *scratch) {
    double *f = scratch, *dm = scratch + S;
    /* Two passes a round (each scaling fused with the sums the next step needs, in the same
     * row-major order as separate loops would add them, so the CUDA kernels' separate
     * steps give the same factors): scale by f_r f_c while adding the diagonals; scale by
     * the diagonals' 1 / mean while adding the rows for the next round. */
    double tot = 0.0;
    int nz = 0;
    for (int r = 0; r < S; r++) {
        double s = 0.0;
        int n = 0;
        for (int c = 0; c < S; c++) {
            float v = x[(size_t)r * S + c];
            if ((r > c ? r - c : c - r) >= HW_BALANCE_SKIP && !isnan(v)) s += v, n++;
        }
        f[r] = n ? s / n : 0.0;
        if (f[r] > 0.0) tot += f[r], nz++;
    }
    for (int it = 0; it < HW_BALANCE_ITERS; it++) {
        if (!nz) return;
        const double mean = tot / nz;
        for (int r = 0; r < S; r++) f[r] = f[r] > 0.0 ? sqrt(mean / f[r]) : 0.0;
        for (int d = 0; d < S; d++) dm[d] = 0.0;
        for (int r = 0; r < S; r++)
            for (int c = 0; c < S; c++) {
                float *v = x + (size_t)r * S + c;
                *v *= (float)(f[r] * f[c]);
                if (*v > 0.0f) dm[r > c ? r - c : c - r] += *v;
            }
        for (int d = 0; d < S; d++) {
            double cnt = d == 0 ? S : 2.0 * (S - d);
            dm[d] = dm[d] > 0.0 ? cnt / dm[d] : 0.0;
        }
        tot = 0.0, nz = 0;
        for (int r = 0; r < S; r++) {
            double s = 0.0;
            int n = 0;
            for (int c = 0; c < S; c++) {
                const int d = r > c ? r - c : c - r;
                float *v = x + (size_t)r * S + c;
                *v *= (float)dm[d];
                if (d >= HW_BALANCE_SKIP && !isnan(*v)) s += *v, n++;
            }
            f[r] = n ? s / n : 0.0;
            if (f[r] > 0.0) tot += f[r], nz++;
        }
    }
}

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
    if (tr == HW_INPUT_OE_BALANCED) balance_oe(x, S, diag);
    log1p_clamped_forward(x, x, S2);
}

void hw_model_prepare_inputs(hw_model *m, const float *tiles, int n, int views, int mask) {
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
            if (m->cfg.smooth > 0) { /* counts first, then everything as for any tile */
                box_smooth_forward(m->smooth_scratch, t, S, m->cfg.smooth);
                t = m->smooth_scratch;
            }
            float *x = m->x + row * S2;
            if (m->cfg.input_transform == HW_INPUT_NONE && m->cfg.norm_region == HW_NORM_WHOLE) {
                maxnorm_forward(x, m->maxval + row, t, 1, (int)S2);
                continue;
            }
            input_transform(x, t, S, m->cfg.input_transform, m->diag_scratch);
            float mx = 0.0f;
            if (m->cfg.norm_region == HW_NORM_NONE) {
                m->maxval[row] = 1.0f;
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
            m->maxval[row] = mx;
            const float inv = mx > 0.0f ? 1.0f / mx : 1.0f;
            for (size_t k = 0; k < S2; k++) x[k] *= inv;
        }
    if (mask) diagmask_forward(m->x, m->x, NN_DIAG_MASK_BAND, N, S, S);
}

void hw_backbone_forward(hw_model *m, const float *tiles, int n, int views, int mask, int train,
                         uint64_t rng_counter) {
    hw_model_prepare_inputs(m, tiles, n, views, mask);
    m->bb->forward(m, n, views, train, rng_counter);
}

void hw_backbone_backward(hw_model *m, int n, int views) { m->bb->backward(m, n, views); }

int hw_model_embed(hw_model *m, const float *tiles, int n, float *emb) {
    return hw_model_embed_maps(m, tiles, n, emb, NULL);
}

void hw_model_head_maps_shape(const hw_model *m, int *channels, int *positions) {
    m->bb->head_maps_shape(m, channels, positions);
}

int hw_model_embed_maps(hw_model *m, const float *tiles, int n, float *emb, float *maps) {
    /* evaluation mode, like SiameseNet.forward's branch: normalise, mask when cfg.mask, no
     * dropout, no L2 normalisation (distance time rebuilds the model with supcon=False) */
    const int chunk = m->bb->eval_chunk;
    int C, P;
    m->bb->head_maps_shape(m, &C, &P);
    const size_t per = (size_t)C * P;
    for (int i0 = 0; i0 < n; i0 += chunk) {
        int k = n - i0 < chunk ? n - i0 : chunk;
        hw_model_reserve(m, k, 1);
        hw_backbone_forward(m, tiles + (size_t)i0 * m->S * m->S, k, 1, m->cfg.mask, 0, 0);
        memcpy(emb + (size_t)i0 * m->D, m->emb, (size_t)k * m->D * sizeof(float));
        if (maps) memcpy(maps + (size_t)i0 * per, m->bb->head_maps(m), (size_t)k * per * sizeof(float));
    }
    return 0;
}
