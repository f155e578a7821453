/* SMaxViT and SMaxViTMulti (reference.md 3.4-3.5) behind the backbone table (backbone.h):
 * torchvision's maxvit_t without its classifier, on the wrapper's one-channel tiles repeated
 * to three channels, ending in a global average pool (SMaxViT, 512-d) or in the pools of all
 * four stages concatenated and projected by a Linear without bias (SMaxViTMulti, 960 -> 512).
 *
 * Parameters carry torchvision's state_dict names (stem.0.0.weight, blocks.0.layers.0.layers.
 * MBconv.layers.conv_a.0.weight, ...); BatchNorm running statistics are model state under
 * their buffer names; the int64 buffers (num_batches_tracked, relative_position_index) are
 * registered for the checkpoint only, so that torch loads it strictly. The n * views tiles of a batch go through as one batch, view-major,
 * except that every BatchNorm takes its statistics over each view's n tiles on its own: the
 * reference runs the two Siamese branches as separate calls (bug 13), so its running
 * statistics end as the last branch's. Stochastic depth draws one value per tile, block and
 * residual from the model's generator stream: tile i of view v at
 * rng_counter + (i * views + v) * draws_per_tile + slot, as SLeNet's dropout.
 *
 * Every activation a backward needs is kept in the arena (no recomputation): this is the
 * reference the CUDA backbone will be checked against, not a fast CPU path. */
#include "model_internal.h"

#include "hitwin/error.h"
#include "hitwin/nn.h"
#include "hitwin/maxvit_geometry.h"
#include "hitwin/nn_maxvit.h"
#include "hitwin/saliency.h"
#include "hitwin/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct {
    int C;
    int gamma, beta; /* parameter indices */
    int rmean, rvar; /* state indices */
    float *mean, *rstd; /* [views, C] saved, per view's batch */
} mv_bn;

typedef struct {
    int cin, cout, mid, sq, stride, H, W, OH, OW;
    float p_sd;
    int sd_slot;
    int proj_w, proj_b; /* -1: identity shortcut */
    mv_bn pre, bn_a, bn_b;
    int conv_a, conv_b, fc1_w, fc1_b, fc2_w, fc2_b, conv_c_w, conv_c_b;
    const float *x;      /* [N, cin, H, W] input (the previous layer's output) */
    float *pooled;       /* [N, cin, OH, OW] avgpool of the shortcut (stride 2) */
    float *a0, *a1, *a2, *a3; /* pre_norm out, conv_a out, bn_a out, GELU out: [N, *, H, W] */
    float *a4, *a5, *a6, *a7; /* conv_b out, bn_b out, GELU out, SE out: [N, mid, OH, OW] */
    NnSeSaved se;
    float *sd_scale;     /* [N] */
    float *y;            /* [N, cout, OH, OW] */
} mv_mbconv;

typedef struct {
    int C, H, W, NH;
    NnPartition kind;
    float p_sd;
    int sd_slot;
    int ln1_w, ln1_b, table, qkv_w, qkv_b, merge_w, merge_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b;
    float *t0, *ln1, *ln1_mean, *ln1_rstd, *qkv, *probs, *att, *t1;
    float *ln2, *ln2_mean, *ln2_rstd, *h, *g, *t2;
    float *sd1, *sd2; /* [N] */
    float *y;         /* [N, C, H, W] */
} mv_attn;

typedef struct {
    mv_mbconv mb;
    mv_attn win, grid;
} mv_layer;

typedef struct {
    hw_maxvit_arch arch;
    int multi;
    int n_layers;
    mv_layer *layers;
    int block_end[HW_MAXVIT_MAX_BLOCKS]; /* index of each block's last layer */
    int stem_c, SH;                      /* stem channels, stem output side */
    int stem0_w, stem1_w, stem1_b, proj_w; /* proj: SMaxViTMulti's projector */
    mv_bn stem_bn;
    float *wsum;        /* [stem_c, 1, 3, 3] the stem kernel summed over its 3 input channels */
    float *dwsum;
    float *s0, *s1, *s2, *stem_out; /* conv, BN, GELU, conv outputs [N, stem_c, SH, SH] */
    float *cat;         /* [N, sum C] SMaxViTMulti's concatenated pools */
    float *dcat;
    /* backward ping-pong buffers and scratch, each as large as the largest activation */
    float *dA, *dB, *t1, *t2, *t3, *conv_scratch, *small;
    uint64_t rng_base;  /* the last forward's rng_counter (stochastic depth) */
    int train_fwd;      /* the last forward's mode: its BatchNorm backward follows it */
    float *dinput;      /* [N, S, S] or NULL: the backward also writes (adds) the input gradient */
    float *grad_sink;   /* saliency: the parameter gradients of an input-gradient pass land here */
} hw_maxvit;

static inline hw_maxvit *mv_of(hw_model *m) { return (hw_maxvit *)m->bb_state; }


static int maxvit_check(const hw_model_config *cfg) {
    const hw_maxvit_arch a = hw_maxvit_resolved(&cfg->maxvit);
    if (a.n_blocks > HW_MAXVIT_MAX_BLOCKS || a.stem_channels < 1 || a.head_dim < 1)
        return hw_fail("model: MaxViT architecture out of range (%d blocks, stem %d, head_dim %d)",
                       a.n_blocks, a.stem_channels, a.head_dim);
    int s = hw_maxvit_conv_out(cfg->image_size);
    for (int b = 0; b < a.n_blocks; b++) {
        s = hw_maxvit_conv_out(s);
        if (a.layers[b] < 1 || a.channels[b] % a.head_dim || a.channels[b] % HW_MAXVIT_SQUEEZE_DIV)
            return hw_fail("model: MaxViT block %d: %d layers of %d channels (head_dim %d)", b,
                           a.layers[b], a.channels[b], a.head_dim);
        if (s < NN_MAXVIT_WINDOW || s % NN_MAXVIT_WINDOW)
            return hw_fail("model: image_size %d gives MaxViT block %d a %dx%d map, not a multiple "
                           "of the 7x7 partition (224 works)", cfg->image_size, b, s, s);
    }
    return 0;
}

/* ---- tensor table ------------------------------------------------------------------------- */

static int add_param(hw_model *m, const char *prefix, const char *name, int ndim, int64_t d0,
                     int64_t d1, int64_t d2, int64_t d3) {
    char full[256];
    if ((size_t)snprintf(full, sizeof full, "%s%s", prefix, name) >= sizeof full) abort(); /* names are < 100 */
    const int64_t shape[4] = {d0, d1, d2, d3};
    return hw_model_add_tensor(m, full, ndim, shape);
}

/* BatchNorm2d: weight, bias (parameters), running_mean, running_var (state), and torch's int64
 * num_batches_tracked (shape []) for the file only. hitwin does not count BatchNorm updates and
 * always writes 0, what a freshly built torch module holds: torch reads the counter only when
 * momentum is None (a cumulative average), and maxvit_t's momentum is 0.99, so its value
 * changes no output. A file's value is accepted and ignored. */
static void add_bn(hw_model *m, mv_bn *bn, const char *prefix, int C) {
    static const int64_t batches_tracked = 0;
    char full[256];
    bn->C = C;
    bn->gamma = add_param(m, prefix, "weight", 1, C, 0, 0, 0);
    bn->beta = add_param(m, prefix, "bias", 1, C, 0, 0, 0);
    snprintf(full, sizeof full, "%srunning_mean", prefix);
    bn->rmean = hw_model_add_state(m, full, 1, (int64_t[]){C});
    snprintf(full, sizeof full, "%srunning_var", prefix);
    bn->rvar = hw_model_add_state(m, full, 1, (int64_t[]){C});
    snprintf(full, sizeof full, "%snum_batches_tracked", prefix);
    hw_model_add_int64_buffer(m, full, 0, NULL, &batches_tracked, NULL);
}

static void add_mbconv(hw_model *m, mv_mbconv *mb, const char *lp) {
    char p[200], q[240];
    snprintf(p, sizeof p, "%sMBconv.", lp);
    mb->proj_w = mb->proj_b = -1;
    if (mb->stride != 1 || mb->cin != mb->cout) { /* proj = [AvgPool (stride 2)], Conv 1x1 */
        snprintf(q, sizeof q, "%sproj.%d.", p, mb->stride == 2 ? 1 : 0);
        mb->proj_w = add_param(m, q, "weight", 4, mb->cout, mb->cin, 1, 1);
        mb->proj_b = add_param(m, q, "bias", 1, mb->cout, 0, 0, 0);
    }
    snprintf(q, sizeof q, "%slayers.pre_norm.", p);
    add_bn(m, &mb->pre, q, mb->cin);
    snprintf(q, sizeof q, "%slayers.conv_a.0.", p);
    mb->conv_a = add_param(m, q, "weight", 4, mb->mid, mb->cin, 1, 1);
    snprintf(q, sizeof q, "%slayers.conv_a.1.", p);
    add_bn(m, &mb->bn_a, q, mb->mid);
    snprintf(q, sizeof q, "%slayers.conv_b.0.", p);
    mb->conv_b = add_param(m, q, "weight", 4, mb->mid, 1, 3, 3);
    snprintf(q, sizeof q, "%slayers.conv_b.1.", p);
    add_bn(m, &mb->bn_b, q, mb->mid);
    snprintf(q, sizeof q, "%slayers.squeeze_excitation.", p);
    mb->fc1_w = add_param(m, q, "fc1.weight", 4, mb->sq, mb->mid, 1, 1);
    mb->fc1_b = add_param(m, q, "fc1.bias", 1, mb->sq, 0, 0, 0);
    mb->fc2_w = add_param(m, q, "fc2.weight", 4, mb->mid, mb->sq, 1, 1);
    mb->fc2_b = add_param(m, q, "fc2.bias", 1, mb->mid, 0, 0, 0);
    snprintf(q, sizeof q, "%slayers.conv_c.", p);
    mb->conv_c_w = add_param(m, q, "weight", 4, mb->cout, mb->mid, 1, 1);
    mb->conv_c_b = add_param(m, q, "bias", 1, mb->cout, 0, 0, 0);
}

/* PartitionAttentionLayer in state_dict order: the attention module's own table first, then
 * its Linears. Its int64 buffer relative_position_index (which table row each token pair
 * reads) goes to the file only: the ops compute the same map (relpos_attention_index), and a
 * file must hold exactly it, since torch would index the table with the file's copy. */
static void add_attn(hw_model *m, mv_attn *at, const char *lp, const char *kind, const int64_t *relpos_index) {
    char p[240], full[300];
    const int C = at->C, T = (2 * NN_MAXVIT_WINDOW - 1) * (2 * NN_MAXVIT_WINDOW - 1);
    const int P = NN_MAXVIT_WINDOW * NN_MAXVIT_WINDOW;
    snprintf(p, sizeof p, "%s%s_attention.attn_layer.", lp, kind);
    at->ln1_w = add_param(m, p, "0.weight", 1, C, 0, 0, 0);
    at->ln1_b = add_param(m, p, "0.bias", 1, C, 0, 0, 0);
    at->table = add_param(m, p, "1.relative_position_bias_table", 2, T, at->NH, 0, 0);
    snprintf(full, sizeof full, "%s1.relative_position_index", p);
    hw_model_add_int64_buffer(m, full, 2, (int64_t[]){P, P}, relpos_index,
                              "torchvision's relative position index of a 7x7 partition");
    at->qkv_w = add_param(m, p, "1.to_qkv.weight", 2, 3 * C, C, 0, 0);
    at->qkv_b = add_param(m, p, "1.to_qkv.bias", 1, 3 * C, 0, 0, 0);
    at->merge_w = add_param(m, p, "1.merge.weight", 2, C, C, 0, 0);
    at->merge_b = add_param(m, p, "1.merge.bias", 1, C, 0, 0, 0);
    snprintf(p, sizeof p, "%s%s_attention.mlp_layer.", lp, kind);
    at->ln2_w = add_param(m, p, "0.weight", 1, C, 0, 0, 0);
    at->ln2_b = add_param(m, p, "0.bias", 1, C, 0, 0, 0);
    at->fc1_w = add_param(m, p, "1.weight", 2, HW_MAXVIT_MLP_RATIO * C, C, 0, 0);
    at->fc1_b = add_param(m, p, "1.bias", 1, HW_MAXVIT_MLP_RATIO * C, 0, 0, 0);
    at->fc2_w = add_param(m, p, "3.weight", 2, C, HW_MAXVIT_MLP_RATIO * C, 0, 0);
    at->fc2_b = add_param(m, p, "3.bias", 1, C, 0, 0, 0);
}

static int maxvit_create(hw_model *m) {
    hw_maxvit *s = xcalloc(1, sizeof *s);
    m->bb_state = s;
    s->arch = hw_maxvit_resolved(&m->cfg.maxvit);
    s->multi = m->cfg.backbone == HW_BACKBONE_SMAXVIT_MULTI;
    const hw_maxvit_arch *a = &s->arch;
    s->stem_c = a->stem_channels;
    s->SH = hw_maxvit_conv_out(m->S);
    s->n_layers = hw_maxvit_n_layers(a);
    s->layers = xcalloc((size_t)s->n_layers, sizeof *s->layers);
    int64_t *relpos_index = xmalloc((size_t)NN_MAXVIT_WINDOW * NN_MAXVIT_WINDOW * NN_MAXVIT_WINDOW *
                                    NN_MAXVIT_WINDOW * sizeof *relpos_index);
    relpos_attention_index(relpos_index, NN_MAXVIT_WINDOW);

    s->stem0_w = add_param(m, "stem.0.0.", "weight", 4, s->stem_c, 3, 3, 3);
    add_bn(m, &s->stem_bn, "stem.0.1.", s->stem_c);
    s->stem1_w = add_param(m, "stem.1.0.", "weight", 4, s->stem_c, s->stem_c, 3, 3);
    s->stem1_b = add_param(m, "stem.1.0.", "bias", 1, s->stem_c, 0, 0, 0);

    hw_maxvit_layer *geom = xcalloc((size_t)s->n_layers, sizeof *geom);
    const int total_c = hw_maxvit_layers(a, m->S, geom, s->block_end);
    for (int li = 0; li < s->n_layers; li++) {
        const hw_maxvit_layer *g = &geom[li];
        mv_layer *L = &s->layers[li];
        mv_mbconv *mb = &L->mb;
        mb->cin = g->cin;
        mb->cout = g->cout;
        mb->mid = g->mid;
        mb->sq = g->squeeze;
        mb->stride = g->stride;
        mb->H = mb->W = g->in_side;
        mb->OH = mb->OW = g->out_side;
        mb->p_sd = g->p_sd;
        mb->sd_slot = g->sd_slot;
        add_mbconv(m, mb, g->prefix);
        mv_attn *at[2] = {&L->win, &L->grid};
        for (int k = 0; k < 2; k++) {
            at[k]->C = g->cout;
            at[k]->H = at[k]->W = g->out_side;
            at[k]->NH = g->heads;
            at[k]->kind = k ? NN_PARTITION_GRID : NN_PARTITION_WINDOW;
            at[k]->p_sd = g->p_sd;
            at[k]->sd_slot = g->sd_slot + 1 + 2 * k;
            add_attn(m, at[k], g->prefix, k ? "grid" : "window", relpos_index);
        }
    }
    free(geom);
    free(relpos_index);
    if (s->multi) s->proj_w = add_param(m, "", "projector.weight", 2, HW_MAXVIT_EMBED_MULTI, total_c, 0, 0);
    m->D = s->multi ? HW_MAXVIT_EMBED_MULTI : a->channels[a->n_blocks - 1];
    s->wsum = xcalloc((size_t)s->stem_c * 9, sizeof(float));
    s->dwsum = xcalloc((size_t)s->stem_c * 9, sizeof(float));
    return 0;
}

/* torchvision's _init_weights: Conv2d and Linear weights N(0, 0.02), biases 0; BatchNorm 1, 0
 * (running 0, 1); LayerNorm 1, 0; bias tables truncated normal (std 0.02, cut at +-2, i.e.
 * +-100 std: a plain normal). SMaxViTMulti's projector keeps PyTorch's default Linear init. */
static void maxvit_init(hw_model *m, NnRng *rng) {
    hw_maxvit *s = mv_of(m);
    for (int t = 0; t < m->n_tensors; t++) {
        const hw_tensor *x = &m->tensors[t];
        float *p = m->params + x->offset;
        const char *dot = strrchr(x->name, '.');
        const char *leaf = dot ? dot + 1 : x->name;
        if (t == s->proj_w && s->multi) {
            nn_init_linear(p, NULL, (int)x->shape[0], (int)x->shape[1], rng);
        } else if (!strcmp(leaf, "relative_position_bias_table")) {
            nn_fill_normal(p, x->numel, 0.0f, 0.02f, rng);
        } else if (!strcmp(leaf, "weight") && x->ndim >= 2) {
            nn_fill_normal(p, x->numel, 0.0f, 0.02f, rng);
        } else if (!strcmp(leaf, "weight")) { /* BatchNorm / LayerNorm scale */
            for (size_t i = 0; i < x->numel; i++) p[i] = 1.0f;
        } else { /* biases */
            memset(p, 0, x->numel * sizeof(float));
        }
    }
    for (int t = 0; t < m->n_state_tensors; t++) {
        const hw_tensor *x = &m->state_tensors[t];
        const int is_var = strstr(x->name, "running_var") != NULL;
        for (size_t i = 0; i < x->numel; i++) m->state[x->offset + i] = is_var ? 1.0f : 0.0f;
    }
}

static void maxvit_destroy(hw_model *m) {
    hw_maxvit *s = mv_of(m);
    if (!s) return;
    free(s->layers);
    free(s->wsum);
    free(s->dwsum);
    free(s->grad_sink);
    free(s);
    m->bb_state = NULL;
}

static uint64_t maxvit_draws_per_tile(const hw_model *m) {
    return (uint64_t)((const hw_maxvit *)m->bb_state)->n_layers * HW_MAXVIT_SD_PER_LAYER;
}

/* ---- arena ---------------------------------------------------------------------------------- */

static void track(size_t *mx, size_t v) { *mx = v > *mx ? v : *mx; }

static void conv_scratch_need(size_t *mx, int N, int C, int H, int OC, int K, int stride, int pad, int groups) {
    NnConv2dDims d = {N, C, H, H, OC, K, K, stride, pad, groups};
    track(mx, nn_conv2d_scratch_floats(&d));
}

static void bn_layout(hw_carver *c, mv_bn *bn, int n_tiles) {
    bn->mean = hw_carve(c, (size_t)n_tiles * bn->C, sizeof(float));
    bn->rstd = hw_carve(c, (size_t)n_tiles * bn->C, sizeof(float));
}

static void maxvit_layout(hw_model *m, hw_carver *c, int n_tiles) {
    hw_maxvit *s = mv_of(m);
    const size_t N = (size_t)n_tiles, stem = N * s->stem_c * s->SH * s->SH;
    size_t big = stem, cs = 0, small = 2 * 49 * 49; /* attention backward's scratch */
    s->s0 = hw_carve(c, stem, sizeof(float));
    s->s1 = hw_carve(c, stem, sizeof(float));
    s->s2 = hw_carve(c, stem, sizeof(float));
    s->stem_out = hw_carve(c, stem, sizeof(float));
    bn_layout(c, &s->stem_bn, n_tiles);
    conv_scratch_need(&cs, 1, 1, m->S, s->stem_c, 3, 2, 1, 1);
    conv_scratch_need(&cs, 1, s->stem_c, s->SH, s->stem_c, 3, 1, 1, 1);
    for (int li = 0; li < s->n_layers; li++) {
        mv_mbconv *mb = &s->layers[li].mb;
        const size_t in = N * mb->H * mb->W, out = N * mb->OH * mb->OW;
        if (mb->stride == 2) mb->pooled = hw_carve(c, out * mb->cin, sizeof(float));
        mb->a0 = hw_carve(c, in * mb->cin, sizeof(float));
        mb->a1 = hw_carve(c, in * mb->mid, sizeof(float));
        mb->a2 = hw_carve(c, in * mb->mid, sizeof(float));
        mb->a3 = hw_carve(c, in * mb->mid, sizeof(float));
        mb->a4 = hw_carve(c, out * mb->mid, sizeof(float));
        mb->a5 = hw_carve(c, out * mb->mid, sizeof(float));
        mb->a6 = hw_carve(c, out * mb->mid, sizeof(float));
        mb->a7 = hw_carve(c, out * mb->mid, sizeof(float));
        mb->se.pooled = hw_carve(c, N * mb->mid, sizeof(float));
        mb->se.h = hw_carve(c, N * mb->sq, sizeof(float));
        mb->se.a = hw_carve(c, N * mb->sq, sizeof(float));
        mb->se.gate = hw_carve(c, N * mb->mid, sizeof(float));
        mb->sd_scale = hw_carve(c, N, sizeof(float));
        mb->y = hw_carve(c, out * mb->cout, sizeof(float));
        bn_layout(c, &mb->pre, n_tiles);
        bn_layout(c, &mb->bn_a, n_tiles);
        bn_layout(c, &mb->bn_b, n_tiles);
        track(&big, in * mb->mid);
        track(&big, in * mb->cin);
        conv_scratch_need(&cs, 1, mb->cin, mb->H, mb->mid, 1, 1, 0, 1);
        conv_scratch_need(&cs, 1, mb->mid, mb->H, mb->mid, 3, mb->stride, 1, mb->mid);
        conv_scratch_need(&cs, 1, mb->mid, mb->OH, mb->cout, 1, 1, 0, 1);
        conv_scratch_need(&cs, 1, mb->cin, mb->OH, mb->cout, 1, 1, 0, 1);
        mv_attn *at[2] = {&s->layers[li].win, &s->layers[li].grid};
        for (int k = 0; k < 2; k++) {
            mv_attn *a = at[k];
            const size_t rows = N * a->H * a->W, C = (size_t)a->C;
            const size_t groups = rows / (NN_MAXVIT_WINDOW * NN_MAXVIT_WINDOW);
            a->t0 = hw_carve(c, rows * C, sizeof(float));
            a->ln1 = hw_carve(c, rows * C, sizeof(float));
            a->ln1_mean = hw_carve(c, rows, sizeof(float));
            a->ln1_rstd = hw_carve(c, rows, sizeof(float));
            a->qkv = hw_carve(c, rows * 3 * C, sizeof(float));
            a->probs = hw_carve(c, groups * a->NH * 49 * 49, sizeof(float));
            a->att = hw_carve(c, rows * C, sizeof(float));
            a->t1 = hw_carve(c, rows * C, sizeof(float));
            a->ln2 = hw_carve(c, rows * C, sizeof(float));
            a->ln2_mean = hw_carve(c, rows, sizeof(float));
            a->ln2_rstd = hw_carve(c, rows, sizeof(float));
            a->h = hw_carve(c, rows * HW_MAXVIT_MLP_RATIO * C, sizeof(float));
            a->g = hw_carve(c, rows * HW_MAXVIT_MLP_RATIO * C, sizeof(float));
            a->t2 = hw_carve(c, rows * C, sizeof(float));
            a->sd1 = hw_carve(c, N, sizeof(float));
            a->sd2 = hw_carve(c, N, sizeof(float));
            a->y = hw_carve(c, rows * C, sizeof(float));
            track(&big, rows * HW_MAXVIT_MLP_RATIO * C);
        }
        track(&small, N * (2 * (size_t)mb->mid + mb->sq)); /* squeeze-excitation's backward */
    }
    size_t cat_c = 0;
    for (int b = 0; b < s->arch.n_blocks; b++) cat_c += (size_t)s->arch.channels[b];
    s->cat = hw_carve(c, N * cat_c, sizeof(float));
    s->dcat = hw_carve(c, N * cat_c, sizeof(float));
    s->dA = hw_carve(c, big, sizeof(float));
    s->dB = hw_carve(c, big, sizeof(float));
    s->t1 = hw_carve(c, big, sizeof(float));
    s->t2 = hw_carve(c, big, sizeof(float));
    s->t3 = hw_carve(c, big, sizeof(float));
    s->small = hw_carve(c, small, sizeof(float));
    s->conv_scratch = hw_carve(c, cs, sizeof(float));
}

/* ---- forward --------------------------------------------------------------------------------- */

/* Convolution one image at a time (the scratch is sized for one). */
static void conv_fwd(hw_maxvit *s, float *out, const float *in, const float *w, const float *b, int N, int C,
                     int H, int OC, int K, int stride, int pad, int groups) {
    NnConv2dDims d = {1, C, H, H, OC, K, K, stride, pad, groups};
    const int OH = nn_conv2d_out_h(&d);
    for (int i = 0; i < N; i++)
        conv2d_forward(out + (size_t)i * OC * OH * OH, in + (size_t)i * C * H * H, w, b, s->conv_scratch, &d);
}

static void conv_bwd(hw_maxvit *s, float *dinp, float *dw, float *db, const float *dout, const float *in,
                     const float *w, int N, int C, int H, int OC, int K, int stride, int pad, int groups) {
    NnConv2dDims d = {1, C, H, H, OC, K, K, stride, pad, groups};
    const int OH = nn_conv2d_out_h(&d);
    for (int i = 0; i < N; i++)
        conv2d_backward(dinp ? dinp + (size_t)i * C * H * H : NULL, dw, db, dout + (size_t)i * OC * OH * OH,
                        in + (size_t)i * C * H * H, w, s->conv_scratch, &d);
}

/* BatchNorm over each view's n tiles on its own (the reference's separate branch calls). Its
 * backward goes through the batch statistics after a train forward and through the fixed
 * affine map of the running statistics after an evaluation one (saliency). */
static void bn_fwd(hw_model *m, const mv_bn *bn, float *out, const float *in, int n, int views, int HW,
                   int train) {
    for (int v = 0; v < views; v++) {
        const size_t off = (size_t)v * n * bn->C * HW;
        batchnorm2d_forward(out + off, bn->mean + (size_t)v * bn->C, bn->rstd + (size_t)v * bn->C,
                            hw_state_at(m, bn->rmean), hw_state_at(m, bn->rvar), in + off,
                            hw_p(m, bn->gamma), hw_p(m, bn->beta), train, NN_MAXVIT_BN_MOMENTUM,
                            NN_MAXVIT_BN_EPS, n, bn->C, HW);
    }
}

static void bn_bwd(hw_model *m, const mv_bn *bn, float *dinp, const float *dout, const float *in, int n,
                   int views, int HW) {
    for (int v = 0; v < views; v++) {
        const size_t off = (size_t)v * n * bn->C * HW;
        batchnorm2d_backward(dinp + off, hw_g(m, bn->gamma), hw_g(m, bn->beta), dout + off, in + off,
                             bn->mean + (size_t)v * bn->C, bn->rstd + (size_t)v * bn->C, hw_p(m, bn->gamma),
                             mv_of(m)->train_fwd, n, bn->C, HW);
    }
}

/* Stochastic depth of rows [N, per]: tile i of view v draws at its own counter. */
static void sd_fwd(hw_model *m, float *out, float *scale, const float *in, float p, int slot, int n,
                   int views, size_t per, int train) {
    hw_maxvit *s = mv_of(m);
    const uint64_t dpt = maxvit_draws_per_tile(m);
    for (int v = 0; v < views; v++)
        for (int i = 0; i < n; i++) {
            const size_t row = (size_t)v * n + i;
            NnRng rng = {m->dropout_seed, s->rng_base + ((uint64_t)i * views + v) * dpt + (uint64_t)slot};
            stochastic_depth_forward(out + row * per, scale + row, in + row * per, p, train, &rng, 1, per);
        }
}

static void mbconv_fwd(hw_model *m, mv_mbconv *mb, const float *x, int n, int views, int train) {
    hw_maxvit *s = mv_of(m);
    const int N = n * views, HWi = mb->H * mb->W, HWo = mb->OH * mb->OW;
    mb->x = x;
    bn_fwd(m, &mb->pre, mb->a0, x, n, views, HWi, train);
    conv_fwd(s, mb->a1, mb->a0, hw_p(m, mb->conv_a), NULL, N, mb->cin, mb->H, mb->mid, 1, 1, 0, 1);
    bn_fwd(m, &mb->bn_a, mb->a2, mb->a1, n, views, HWi, train);
    gelu_forward(mb->a3, mb->a2, (size_t)N * mb->mid * HWi);
    conv_fwd(s, mb->a4, mb->a3, hw_p(m, mb->conv_b), NULL, N, mb->mid, mb->H, mb->mid, 3, mb->stride, 1, mb->mid);
    bn_fwd(m, &mb->bn_b, mb->a5, mb->a4, n, views, HWo, train);
    gelu_forward(mb->a6, mb->a5, (size_t)N * mb->mid * HWo);
    squeeze_excite_forward(mb->a7, &mb->se, mb->a6, hw_p(m, mb->fc1_w), hw_p(m, mb->fc1_b), hw_p(m, mb->fc2_w),
                           hw_p(m, mb->fc2_b), N, mb->mid, mb->sq, HWo);
    float *main_out = s->t1; /* conv_c output, then scaled by stochastic depth into y */
    conv_fwd(s, main_out, mb->a7, hw_p(m, mb->conv_c_w), hw_p(m, mb->conv_c_b), N, mb->mid, mb->OH, mb->cout, 1,
             1, 0, 1);
    sd_fwd(m, mb->y, mb->sd_scale, main_out, mb->p_sd, mb->sd_slot, n, views, (size_t)mb->cout * HWo, train);
    /* the shortcut: [avgpool 3/2/1] -> conv 1x1 when projecting, else identity */
    const size_t ny = (size_t)N * mb->cout * HWo;
    if (mb->proj_w < 0) {
        for (size_t k = 0; k < ny; k++) mb->y[k] += x[k];
        return;
    }
    const float *sc = x;
    if (mb->stride == 2) {
        avgpool2d_forward(mb->pooled, x, N, mb->cin, mb->H, mb->W, 3, 2, 1);
        sc = mb->pooled;
    }
    conv_fwd(s, s->t2, sc, hw_p(m, mb->proj_w), hw_p(m, mb->proj_b), N, mb->cin, mb->OH, mb->cout, 1, 1, 0, 1);
    for (size_t k = 0; k < ny; k++) mb->y[k] += s->t2[k];
}

static void attn_fwd(hw_model *m, mv_attn *a, const float *x, int n, int views, int train) {
    const int N = n * views, C = a->C, HW = a->H * a->W, rows = N * HW;
    const int groups = rows / (NN_MAXVIT_WINDOW * NN_MAXVIT_WINDOW);
    const size_t per = (size_t)HW * C; /* one tile's tokens */
    partition_forward(a->t0, x, a->kind, N, C, a->H, a->W, NN_MAXVIT_WINDOW);
    layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, a->t0, hw_p(m, a->ln1_w), hw_p(m, a->ln1_b),
                      NN_LAYERNORM_EPS, rows, C);
    linear_forward(a->qkv, a->ln1, hw_p(m, a->qkv_w), hw_p(m, a->qkv_b), rows, C, 3 * C);
    relpos_attention_forward(a->att, a->probs, a->qkv, hw_p(m, a->table), groups, NN_MAXVIT_WINDOW, C, a->NH);
    float *merged = mv_of(m)->t1;
    linear_forward(merged, a->att, hw_p(m, a->merge_w), hw_p(m, a->merge_b), rows, C, C);
    sd_fwd(m, a->t1, a->sd1, merged, a->p_sd, a->sd_slot, n, views, per, train);
    for (size_t k = 0; k < (size_t)rows * C; k++) a->t1[k] += a->t0[k];
    layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->t1, hw_p(m, a->ln2_w), hw_p(m, a->ln2_b),
                      NN_LAYERNORM_EPS, rows, C);
    linear_forward(a->h, a->ln2, hw_p(m, a->fc1_w), hw_p(m, a->fc1_b), rows, C, HW_MAXVIT_MLP_RATIO * C);
    gelu_forward(a->g, a->h, (size_t)rows * HW_MAXVIT_MLP_RATIO * C);
    float *mlp = mv_of(m)->t1;
    linear_forward(mlp, a->g, hw_p(m, a->fc2_w), hw_p(m, a->fc2_b), rows, HW_MAXVIT_MLP_RATIO * C, C);
    sd_fwd(m, a->t2, a->sd2, mlp, a->p_sd, a->sd_slot + 1, n, views, per, train);
    for (size_t k = 0; k < (size_t)rows * C; k++) a->t2[k] += a->t1[k];
    departition_forward(a->y, a->t2, a->kind, N, C, a->H, a->W, NN_MAXVIT_WINDOW);
}

/* The stem and layers 0..last_layer (SMaxViTMulti's pools of the blocks done on the way). */
static void forward_layers(hw_model *m, int n, int views, int train, uint64_t rng_counter, int last_layer) {
    hw_maxvit *s = mv_of(m);
    const int N = n * views, SH2 = s->SH * s->SH;
    s->rng_base = rng_counter;
    s->train_fwd = train;
    /* the 1 -> 3 channel repeat folded into the stem kernel: conv(x, x, x; W) = conv(x; sum_c W) */
    const float *w0 = hw_p(m, s->stem0_w);
    for (int oc = 0; oc < s->stem_c; oc++)
        for (int k = 0; k < 9; k++)
            s->wsum[oc * 9 + k] = w0[(oc * 3 + 0) * 9 + k] + w0[(oc * 3 + 1) * 9 + k] + w0[(oc * 3 + 2) * 9 + k];
    conv_fwd(s, s->s0, m->x, s->wsum, NULL, N, 1, m->S, s->stem_c, 3, 2, 1, 1);
    bn_fwd(m, &s->stem_bn, s->s1, s->s0, n, views, SH2, train);
    gelu_forward(s->s2, s->s1, (size_t)N * s->stem_c * SH2);
    conv_fwd(s, s->stem_out, s->s2, hw_p(m, s->stem1_w), hw_p(m, s->stem1_b), N, s->stem_c, s->SH, s->stem_c, 3,
             1, 1, 1);
    const float *x = s->stem_out;
    size_t cat_c = 0, off = 0;
    for (int b = 0; b < s->arch.n_blocks; b++) cat_c += (size_t)s->arch.channels[b];
    for (int li = 0, b = 0; li <= last_layer; li++) {
        mv_layer *L = &s->layers[li];
        mbconv_fwd(m, &L->mb, x, n, views, train);
        attn_fwd(m, &L->win, L->mb.y, n, views, train);
        attn_fwd(m, &L->grid, L->win.y, n, views, train);
        x = L->grid.y;
        if (li == s->block_end[b]) {
            if (s->multi) global_avgpool_forward(s->cat + off, (int)cat_c, x, N, L->grid.C, L->grid.H * L->grid.W);
            off += (size_t)L->grid.C;
            b++;
        }
    }
}

static void maxvit_forward(hw_model *m, int n, int views, int train, uint64_t rng_counter) {
    hw_maxvit *s = mv_of(m);
    const int N = n * views;
    size_t cat_c = 0;
    for (int b = 0; b < s->arch.n_blocks; b++) cat_c += (size_t)s->arch.channels[b];
    forward_layers(m, n, views, train, rng_counter, s->n_layers - 1);
    const mv_attn *last = &s->layers[s->n_layers - 1].grid;
    const float *x = last->y;
    if (s->multi)
        linear_forward(m->emb, s->cat, hw_p(m, s->proj_w), NULL, N, (int)cat_c, m->D);
    else
        global_avgpool_forward(m->emb, m->D, x, N, last->C, last->H * last->W);
}

/* ---- backward -------------------------------------------------------------------------------- */

static void zero(float *p, size_t n) { memset(p, 0, n * sizeof(float)); }

/* dy [N, C, H, W] -> dx [N, C, H, W] (overwritten) */
static void attn_bwd(hw_model *m, mv_attn *a, float *dx, const float *dy, int n, int views) {
    hw_maxvit *s = mv_of(m);
    const int N = n * views, C = a->C, HW = a->H * a->W, rows = N * HW, C4 = HW_MAXVIT_MLP_RATIO * C;
    const int groups = rows / (NN_MAXVIT_WINDOW * NN_MAXVIT_WINDOW);
    const size_t nt = (size_t)rows * C, per = (size_t)HW * C;
    float *dt = s->t1, *dbr = s->t2, *dwide = s->t3, *dwide2 = dx; /* dx is free until the end */
    zero(dt, nt);
    departition_backward(dt, dy, a->kind, N, C, a->H, a->W, NN_MAXVIT_WINDOW);
    /* t2 = t1 + sd(mlp): the branch gets dt scaled per tile, t1 gets dt itself */
    zero(dbr, nt);
    stochastic_depth_backward(dbr, dt, a->sd2, N, per);
    zero(dwide, (size_t)rows * C4);
    linear_backward(dwide, hw_g(m, a->fc2_w), hw_g(m, a->fc2_b), dbr, a->g, hw_p(m, a->fc2_w), rows, C4, C);
    zero(dwide2, (size_t)rows * C4);
    gelu_backward(dwide2, dwide, a->h, (size_t)rows * C4);
    zero(dbr, nt);
    linear_backward(dbr, hw_g(m, a->fc1_w), hw_g(m, a->fc1_b), dwide2, a->ln2, hw_p(m, a->fc1_w), rows, C, C4);
    layernorm_backward(dt, hw_g(m, a->ln2_w), hw_g(m, a->ln2_b), dbr, a->t1, a->ln2_mean, a->ln2_rstd,
                       hw_p(m, a->ln2_w), rows, C);
    /* t1 = t0 + sd(merge(attention(qkv(ln1(t0))))) */
    zero(dbr, nt);
    stochastic_depth_backward(dbr, dt, a->sd1, N, per);
    float *datt = dwide; /* [rows, C] fits in [rows, 4C] */
    zero(datt, nt);
    linear_backward(datt, hw_g(m, a->merge_w), hw_g(m, a->merge_b), dbr, a->att, hw_p(m, a->merge_w), rows, C, C);
    float *dqkv = dwide2; /* [rows, 3C] */
    zero(dqkv, (size_t)rows * 3 * C);
    relpos_attention_backward(dqkv, hw_g(m, a->table), datt, a->qkv, a->probs, s->small, groups,
                              NN_MAXVIT_WINDOW, C, a->NH);
    zero(dbr, nt);
    linear_backward(dbr, hw_g(m, a->qkv_w), hw_g(m, a->qkv_b), dqkv, a->ln1, hw_p(m, a->qkv_w), rows, C, 3 * C);
    layernorm_backward(dt, hw_g(m, a->ln1_w), hw_g(m, a->ln1_b), dbr, a->t0, a->ln1_mean, a->ln1_rstd,
                       hw_p(m, a->ln1_w), rows, C);
    zero(dx, nt);
    partition_backward(dx, dt, a->kind, N, C, a->H, a->W, NN_MAXVIT_WINDOW);
}

/* dy [N, cout, OH, OW] -> dx [N, cin, H, W] (overwritten) */
static void mbconv_bwd(hw_model *m, mv_mbconv *mb, float *dx, const float *dy, int n, int views) {
    hw_maxvit *s = mv_of(m);
    const int N = n * views, HWi = mb->H * mb->W, HWo = mb->OH * mb->OW;
    const size_t nin = (size_t)N * mb->cin * HWi, mid_in = (size_t)N * mb->mid * HWi;
    const size_t mid_out = (size_t)N * mb->mid * HWo, nout = (size_t)N * mb->cout * HWo;
    float *p = s->t1, *q = s->t2;
    zero(dx, nin);
    /* the shortcut */
    if (mb->proj_w < 0) {
        for (size_t k = 0; k < nout; k++) dx[k] += dy[k];
    } else if (mb->stride == 2) {
        zero(p, (size_t)N * mb->cin * HWo);
        conv_bwd(s, p, hw_g(m, mb->proj_w), hw_g(m, mb->proj_b), dy, mb->pooled, hw_p(m, mb->proj_w), N, mb->cin,
                 mb->OH, mb->cout, 1, 1, 0, 1);
        avgpool2d_backward(dx, p, N, mb->cin, mb->H, mb->W, 3, 2, 1);
    } else {
        conv_bwd(s, dx, hw_g(m, mb->proj_w), hw_g(m, mb->proj_b), dy, mb->x, hw_p(m, mb->proj_w), N, mb->cin,
                 mb->H, mb->cout, 1, 1, 0, 1);
    }
    /* the main path, from the end */
    zero(q, nout);
    stochastic_depth_backward(q, dy, mb->sd_scale, N, (size_t)mb->cout * HWo);
    zero(p, mid_out);
    conv_bwd(s, p, hw_g(m, mb->conv_c_w), hw_g(m, mb->conv_c_b), q, mb->a7, hw_p(m, mb->conv_c_w), N, mb->mid,
             mb->OH, mb->cout, 1, 1, 0, 1);
    zero(q, mid_out);
    squeeze_excite_backward(q, hw_g(m, mb->fc1_w), hw_g(m, mb->fc1_b), hw_g(m, mb->fc2_w), hw_g(m, mb->fc2_b), p,
                            &mb->se, mb->a6, hw_p(m, mb->fc1_w), hw_p(m, mb->fc2_w), s->small, N, mb->mid, mb->sq,
                            HWo);
    zero(p, mid_out);
    gelu_backward(p, q, mb->a5, mid_out);
    zero(q, mid_out);
    bn_bwd(m, &mb->bn_b, q, p, mb->a4, n, views, HWo);
    zero(p, mid_in);
    conv_bwd(s, p, hw_g(m, mb->conv_b), NULL, q, mb->a3, hw_p(m, mb->conv_b), N, mb->mid, mb->H, mb->mid, 3,
             mb->stride, 1, mb->mid);
    zero(q, mid_in);
    gelu_backward(q, p, mb->a2, mid_in);
    zero(p, mid_in);
    bn_bwd(m, &mb->bn_a, p, q, mb->a1, n, views, HWi);
    zero(q, nin);
    conv_bwd(s, q, hw_g(m, mb->conv_a), NULL, p, mb->a0, hw_p(m, mb->conv_a), N, mb->cin, mb->H, mb->mid, 1, 1, 0, 1);
    bn_bwd(m, &mb->pre, dx, q, mb->x, n, views, HWi);
}

static void maxvit_backward(hw_model *m, int n, int views) {
    hw_maxvit *s = mv_of(m);
    const int N = n * views;
    const mv_attn *last = &s->layers[s->n_layers - 1].grid;
    size_t cat_c = 0;
    for (int b = 0; b < s->arch.n_blocks; b++) cat_c += (size_t)s->arch.channels[b];
    float *dy = s->dA, *dx = s->dB;
    zero(dy, (size_t)N * last->C * last->H * last->W);
    if (s->multi) {
        zero(s->dcat, (size_t)N * cat_c);
        linear_backward(s->dcat, hw_g(m, s->proj_w), NULL, m->demb, s->cat, hw_p(m, s->proj_w), N, (int)cat_c, m->D);
    } else {
        global_avgpool_backward(dy, m->demb, m->D, N, last->C, last->H * last->W);
    }
    size_t off = cat_c;
    for (int li = s->n_layers - 1, b = s->arch.n_blocks - 1; li >= 0; li--) {
        mv_layer *L = &s->layers[li];
        if (b >= 0 && li == s->block_end[b]) { /* this block's pool in the multiscale concat */
            off -= (size_t)L->grid.C;
            if (s->multi)
                global_avgpool_backward(dy, s->dcat + off, (int)cat_c, N, L->grid.C, L->grid.H * L->grid.W);
            b--;
        }
        attn_bwd(m, &L->grid, dx, dy, n, views);
        attn_bwd(m, &L->win, dy, dx, n, views);
        mbconv_bwd(m, &L->mb, dx, dy, n, views);
        float *t = dy; /* dx is the previous layer's output gradient */
        dy = dx;
        dx = t;
    }
    /* the stem: conv 3x3 (bias) <- GELU <- BN <- conv 3x3 s2 on the data (weights only) */
    const int SH2 = s->SH * s->SH;
    const size_t ns = (size_t)N * s->stem_c * SH2;
    zero(dx, ns);
    conv_bwd(s, dx, hw_g(m, s->stem1_w), hw_g(m, s->stem1_b), dy, s->s2, hw_p(m, s->stem1_w), N, s->stem_c, s->SH,
             s->stem_c, 3, 1, 1, 1);
    zero(dy, ns);
    gelu_backward(dy, dx, s->s1, ns);
    zero(dx, ns);
    bn_bwd(m, &s->stem_bn, dx, dy, s->s0, n, views, SH2);
    zero(s->dwsum, (size_t)s->stem_c * 9);
    /* the input gradient only when saliency asks (dinput, zeroed by it): the same kernel */
    conv_bwd(s, s->dinput, s->dwsum, NULL, dx, m->x, s->wsum, N, 1, m->S, s->stem_c, 3, 2, 1, 1);
    float *dw0 = hw_g(m, s->stem0_w);
    for (int oc = 0; oc < s->stem_c; oc++)
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 9; k++) dw0[(oc * 3 + c) * 9 + k] += s->dwsum[oc * 9 + k];
}

/* ---- saliency hooks (saliency.h; docs/maxvit.md, "Saliency") ----------------------------------
 * On prepared inputs, in evaluation mode (running statistics, no stochastic depth). The feature
 * map is block 0's output: the finest map that has been through attention (the grid attention
 * of block 0 mixes the whole tile), S/4 a side. Its pixel r is centred on input bin 4 r: the
 * stem's 3x3 stride-2 convolution (pad 1) centres pixel r on bin 2 r, block 0's stride-2
 * depthwise convolution and its shortcut's 3x3 stride-2 pool (pad 1) centre r on stem pixel
 * 2 r; everything else keeps the grid. The input gradient runs the model's own backward (every
 * activation is kept) with the parameter gradients sent to a private buffer, so the model's
 * gradient buffer is left as it was, as hw_model_distance_grad promises. */

static int maxvit_feature_geometry(const hw_model *m, hw_feature_geometry *g) {
    const hw_maxvit *s = (const hw_maxvit *)m->bb_state;
    const mv_attn *b0 = &s->layers[s->block_end[0]].grid;
    *g = (hw_feature_geometry){b0->C, b0->H, 4.0, 0.0};
    return 0;
}

static int maxvit_feature_maps(hw_model *m, const float *x, int n, float *maps) {
    hw_maxvit *s = mv_of(m);
    const size_t S2 = (size_t)m->S * m->S;
    const mv_attn *b0 = &s->layers[s->block_end[0]].grid;
    const size_t per = (size_t)b0->C * b0->H * b0->W;
    for (int i0 = 0; i0 < n; i0 += m->bb->eval_chunk) {
        const int k = n - i0 < m->bb->eval_chunk ? n - i0 : m->bb->eval_chunk;
        hw_model_reserve(m, k, 1);
        memcpy(m->x, x + (size_t)i0 * S2, (size_t)k * S2 * sizeof(float));
        forward_layers(m, k, 1, 0, 0, s->block_end[0]);
        memcpy(maps + (size_t)i0 * per, b0->y, (size_t)k * per * sizeof(float));
    }
    return 0;
}

/* maxvit_distance_grad with the rows of other ostride floats apart (HW_IG_BOTH rows: 2 D) */
static int distance_grad_rows(hw_model *m, const float *x, int n, const float *other, size_t ostride,
                              const uint8_t *role, hw_ig_measure measure, float *dist, float *dx) {
    hw_maxvit *s = mv_of(m);
    const size_t S2 = (size_t)m->S * m->S;
    const int D = m->D;
    if (!s->grad_sink) s->grad_sink = xmalloc(m->n_params * sizeof(float));
    float *grads = m->grads;
    m->grads = s->grad_sink;
    memset(dx, 0, (size_t)n * S2 * sizeof(float));
    float *tmp = xmalloc((size_t)D * sizeof(float));
    for (int i0 = 0; i0 < n; i0 += m->bb->eval_chunk) {
        const int k = n - i0 < m->bb->eval_chunk ? n - i0 : m->bb->eval_chunk;
        hw_model_reserve(m, k, 1);
        memcpy(m->x, x + (size_t)i0 * S2, (size_t)k * S2 * sizeof(float));
        maxvit_forward(m, k, 1, 0, 0);
        for (int i = 0; i < k; i++) {
            const int r = role ? role[i0 + i] : 0;
            const double dd = hw_ig_row_gradient(m->emb + (size_t)i * D, other + (size_t)(i0 + i) * ostride, r, D,
                                                 measure, m->demb + (size_t)i * D, tmp);
            if (dist) dist[i0 + i] = (float)dd;
        }
        memset(s->grad_sink, 0, m->n_params * sizeof(float));
        s->dinput = dx + (size_t)i0 * S2;
        maxvit_backward(m, k, 1);
        s->dinput = NULL;
    }
    m->grads = grads;
    free(tmp);
    return 0;
}

static int maxvit_distance_grad(hw_model *m, const float *x, int n, const float *other, const uint8_t *role,
                                hw_ig_measure measure, float *dist, float *dx) {
    return distance_grad_rows(m, x, n, other, (size_t)m->D, role, measure, dist, dx);
}

/* One IG path: the interpolants eval_chunk at a time through the input gradient above (no
 * shortcut as SLeNet's linear conv1: MaxViT normalises right after its first convolution). */
static int maxvit_path_grad(hw_model *m, const float *from, const float *to, const float *alpha, int n,
                            const float *other, int second, hw_ig_measure measure, double *gsum) {
    const size_t S2 = (size_t)m->S * m->S;
    const int D = m->D, chunk = m->bb->eval_chunk;
    float *xs = xmalloc((size_t)chunk * S2 * sizeof(float)), *dxs = xmalloc((size_t)chunk * S2 * sizeof(float));
    const size_t ow = second & HW_IG_BOTH ? 2 * (size_t)D : (size_t)D; /* HW_IG_BOTH: from's, to's */
    float *oth = xmalloc((size_t)chunk * ow * sizeof(float));
    uint8_t *role = xmalloc((size_t)chunk);
    for (int i0 = 0; i0 < n; i0 += chunk) {
        const int k = n - i0 < chunk ? n - i0 : chunk;
        for (int i = 0; i < k; i++) {
            const float a = alpha[i0 + i];
            float *xi = xs + (size_t)i * S2;
            for (size_t p = 0; p < S2; p++) xi[p] = from[p] + a * (to[p] - from[p]);
            memcpy(oth + (size_t)i * ow, other, ow * sizeof(float));
            role[i] = hw_ig_path_role(second, a);
        }
        distance_grad_rows(m, xs, k, oth, ow, role, measure, NULL, dxs);
        for (int i = 0; i < k; i++)
            for (size_t p = 0; p < S2; p++) gsum[p] += dxs[(size_t)i * S2 + p];
    }
    free(xs);
    free(dxs);
    free(oth);
    free(role);
    return 0;
}

hw_maxvit_arch hw_model_maxvit_arch(const hw_model *m) {
    if (m->bb != &hw_maxvit_backbone && m->bb != &hw_maxvit_multi_backbone) return (hw_maxvit_arch){0};
    return ((const hw_maxvit *)m->bb_state)->arch;
}

/* the last stage's output, the maps the head pools (SMaxViTMulti's head also pools the earlier
 * stages; the `maps` measure compares the last, the finest features at the coarsest grid) */
static void maxvit_head_maps_shape(const hw_model *m, int *channels, int *positions) {
    const hw_maxvit *s = (const hw_maxvit *)m->bb_state;
    const mv_attn *last = &s->layers[s->n_layers - 1].grid;
    *channels = last->C;
    *positions = last->H * last->W;
}

static const float *maxvit_head_maps(hw_model *m) {
    hw_maxvit *s = mv_of(m);
    return s->layers[s->n_layers - 1].grid.y;
}

const hw_backbone_ops hw_maxvit_backbone = {
    .name = "SMaxViT",
    .check = maxvit_check,
    .create = maxvit_create,
    .init = maxvit_init,
    .destroy = maxvit_destroy,
    .layout = maxvit_layout,
    .forward = maxvit_forward,
    .backward = maxvit_backward,
    .draws_per_tile = maxvit_draws_per_tile,
    .eval_chunk = 4,
    .head_maps_shape = maxvit_head_maps_shape,
    .head_maps = maxvit_head_maps,
    .feature_geometry = maxvit_feature_geometry,
    .feature_maps = maxvit_feature_maps,
    .distance_grad = maxvit_distance_grad,
    .path_grad = maxvit_path_grad,
};

const hw_backbone_ops hw_maxvit_multi_backbone = {
    .name = "SMaxViTMulti",
    .check = maxvit_check,
    .create = maxvit_create,
    .init = maxvit_init,
    .destroy = maxvit_destroy,
    .layout = maxvit_layout,
    .forward = maxvit_forward,
    .backward = maxvit_backward,
    .draws_per_tile = maxvit_draws_per_tile,
    .eval_chunk = 4,
    .head_maps_shape = maxvit_head_maps_shape,
    .head_maps = maxvit_head_maps,
    .feature_geometry = maxvit_feature_geometry,
    .feature_maps = maxvit_feature_maps,
    .distance_grad = maxvit_distance_grad,
    .path_grad = maxvit_path_grad,
};
