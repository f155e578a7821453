/* The Siamese SMaxViT / SMaxViTMulti on one GPU (gpu_maxvit.h): src/model/maxvit.c op for op,
 * each C op replaced by its CUDA twin (gpu_ops_maxvit.h, gpu_ops.h), each buffer of the CPU
 * model's arena by a buffer of one device arena carved in the same sequence, and the
 * objectives of siamese_loss.c by gpu_objective.h's (the GPU SLeNet's).
 *
 * Why a C file among the .cu files: it launches no kernel of its own (the residual add and
 * the stem's channel fold are ops in gpu_residual.cu), so it is plain C calling the backend's
 * C API. That lets tests/gpu/host_mock/ link it against the C ops on host memory and check
 * its strides, offsets, per-view BatchNorm and stochastic-depth counters against maxvit.c
 * where no GPU exists.
 *
 * The parameters are found by their torchvision names in the CPU model's tensor table (the
 * names maxvit.c gives them), so a table that does not match this file's reading of it is
 * refused at creation rather than run. The architecture comes from hw_model_maxvit_arch. */
#include "gpu_objective.h"

#include "hitwin/error.h"
#include "hitwin/gpu_maxvit.h"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_ops_maxvit.h"
#include "hitwin/maxvit_geometry.h"
#include "hitwin/nn.h"
#include "hitwin/nn_maxvit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* maxvit.c's constants (private there): MBConv expansion 4, SE squeeze out / 4, MLP ratio 4,
 * 5 stochastic-depth draws per layer, SMaxViTMulti's 512-d projector */
#define MV_WIN NN_MAXVIT_WINDOW
#define MV_P (NN_MAXVIT_WINDOW * NN_MAXVIT_WINDOW)

typedef struct {
    int C;
    size_t gamma, beta; /* offsets into params */
    size_t rmean, rvar; /* offsets into state */
    float *mean, *rstd; /* [views, C] saved, per view's batch */
} gbn;

typedef struct {
    int cin, cout, mid, sq, stride, H, W, OH, OW;
    float p_sd;
    int sd_slot;
    int has_proj;
    size_t proj_w, proj_b;
    gbn pre, bn_a, bn_b;
    size_t conv_a, conv_b, fc1_w, fc1_b, fc2_w, fc2_b, conv_c_w, conv_c_b;
    const float *x;
    float *pooled, *a0, *a1, *a2, *a3, *a4, *a5, *a6, *a7;
    NnSeSaved se;
    float *sd_scale, *y;
} gmbconv;

typedef struct {
    int C, H, W, NH;
    NnPartition kind;
    float p_sd;
    int sd_slot;
    size_t ln1_w, ln1_b, table, qkv_w, qkv_b, merge_w, merge_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b;
    float *t0, *ln1, *ln1_mean, *ln1_rstd, *qkv, *probs, *att, *t1;
    float *ln2, *ln2_mean, *ln2_rstd, *h, *g, *t2;
    float *sd1, *sd2, *y;
} gattn;

typedef struct {
    gmbconv mb;
    gattn win, grid;
} glayer;

struct hw_gpu_maxvit {
    hw_gpu *g;
    hw_model_config cfg;
    hw_maxvit_arch arch;
    uint64_t dropout_seed;
    int multi, S, D, n_layers, stem_c, SH, cat_c, has_head;
    glayer *layers;
    int block_end[HW_MAXVIT_MAX_BLOCKS];
    size_t stem0_w, stem1_w, stem1_b, proj_w;
    gbn stem_bn;
    size_t n_params, n_state;
    float *params, *grads, *state; /* device */
    /* activation arena */
    void *arena;
    int cap_n, cap_views;
    float *tiles;                  /* [n, views, S, S] this step's batch, when uploaded */
    const float *in;               /* the batch's tiles: tiles, or the caller's device batch */
    float *x, *maxval, *emb, *demb;
    float *wsum, *dwsum;           /* [stem_c, 9]: the stem kernel folded over its 3 channels */
    float *s0, *s1, *s2, *stem_out;
    float *cat, *dcat;
    float *dA, *dB, *t1, *t2, *t3; /* each as large as the largest activation */
    float *scratch;                /* attention dtable, LayerNorm parameter gradients, SE */
    int train_fwd;
    uint64_t rng_base;
    hw_gpu_objective obj;
};

static float *P(hw_gpu_maxvit *s, size_t off) { return s->params + off; }
static float *G(hw_gpu_maxvit *s, size_t off) { return s->grads + off; }
static float *ST(hw_gpu_maxvit *s, size_t off) { return s->state + off; }

/* ---- creation: the tensor table read by name ------------------------------------------ */

typedef struct {
    const hw_tensor *t, *st;
    int nt, nst;
    int failed;
} table;

static size_t find(table *tb, const char *prefix, const char *name, size_t numel) {
    char full[320];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    for (int i = 0; i < tb->nt; i++)
        if (!strcmp(tb->t[i].name, full)) {
            if (tb->t[i].numel != numel && !tb->failed)
                tb->failed = hw_fail("cuda maxvit: tensor %s has %zu values, the architecture gives %zu", full,
                                     tb->t[i].numel, numel);
            return tb->t[i].offset;
        }
    if (!tb->failed) tb->failed = hw_fail("cuda maxvit: the model has no tensor %s", full);
    return 0;
}

static size_t find_state(table *tb, const char *prefix, const char *name, size_t numel) {
    char full[320];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    for (int i = 0; i < tb->nst; i++)
        if (!strcmp(tb->st[i].name, full)) {
            if (tb->st[i].numel != numel && !tb->failed)
                tb->failed = hw_fail("cuda maxvit: state %s has %zu values, the architecture gives %zu", full,
                                     tb->st[i].numel, numel);
            return tb->st[i].offset;
        }
    if (!tb->failed) tb->failed = hw_fail("cuda maxvit: the model has no state %s", full);
    return 0;
}

static void find_bn(table *tb, gbn *bn, const char *prefix, int C) {
    bn->C = C;
    bn->gamma = find(tb, prefix, "weight", (size_t)C);
    bn->beta = find(tb, prefix, "bias", (size_t)C);
    bn->rmean = find_state(tb, prefix, "running_mean", (size_t)C);
    bn->rvar = find_state(tb, prefix, "running_var", (size_t)C);
}

/* maxvit.c's add_mbconv and add_attn, read instead of written */
static void find_mbconv(table *tb, gmbconv *mb, const char *lp) {
    char p[200], q[260];
    const size_t cin = (size_t)mb->cin, cout = (size_t)mb->cout, mid = (size_t)mb->mid, sq = (size_t)mb->sq;
    snprintf(p, sizeof p, "%sMBconv.", lp);
    mb->has_proj = mb->stride != 1 || mb->cin != mb->cout;
    if (mb->has_proj) {
        snprintf(q, sizeof q, "%sproj.%d.", p, mb->stride == 2 ? 1 : 0);
        mb->proj_w = find(tb, q, "weight", cout * cin);
        mb->proj_b = find(tb, q, "bias", cout);
    }
    snprintf(q, sizeof q, "%slayers.pre_norm.", p);
    find_bn(tb, &mb->pre, q, mb->cin);
    snprintf(q, sizeof q, "%slayers.conv_a.0.", p);
    mb->conv_a = find(tb, q, "weight", mid * cin);
    snprintf(q, sizeof q, "%slayers.conv_a.1.", p);
    find_bn(tb, &mb->bn_a, q, mb->mid);
    snprintf(q, sizeof q, "%slayers.conv_b.0.", p);
    mb->conv_b = find(tb, q, "weight", mid * 9);
    snprintf(q, sizeof q, "%slayers.conv_b.1.", p);
    find_bn(tb, &mb->bn_b, q, mb->mid);
    snprintf(q, sizeof q, "%slayers.squeeze_excitation.", p);
    mb->fc1_w = find(tb, q, "fc1.weight", sq * mid);
    mb->fc1_b = find(tb, q, "fc1.bias", sq);
    mb->fc2_w = find(tb, q, "fc2.weight", mid * sq);
    mb->fc2_b = find(tb, q, "fc2.bias", mid);
    snprintf(q, sizeof q, "%slayers.conv_c.", p);
    mb->conv_c_w = find(tb, q, "weight", cout * mid);
    mb->conv_c_b = find(tb, q, "bias", cout);
}

static void find_attn(table *tb, gattn *at, const char *lp, const char *kind) {
    char p[260];
    const size_t C = (size_t)at->C, T = (2 * MV_WIN - 1) * (2 * MV_WIN - 1);
    snprintf(p, sizeof p, "%s%s_attention.attn_layer.", lp, kind);
    at->ln1_w = find(tb, p, "0.weight", C);
    at->ln1_b = find(tb, p, "0.bias", C);
    at->table = find(tb, p, "1.relative_position_bias_table", T * (size_t)at->NH);
    at->qkv_w = find(tb, p, "1.to_qkv.weight", 3 * C * C);
    at->qkv_b = find(tb, p, "1.to_qkv.bias", 3 * C);
    at->merge_w = find(tb, p, "1.merge.weight", C * C);
    at->merge_b = find(tb, p, "1.merge.bias", C);
    snprintf(p, sizeof p, "%s%s_attention.mlp_layer.", lp, kind);
    at->ln2_w = find(tb, p, "0.weight", C);
    at->ln2_b = find(tb, p, "0.bias", C);
    at->fc1_w = find(tb, p, "1.weight", HW_MAXVIT_MLP_RATIO * C * C);
    at->fc1_b = find(tb, p, "1.bias", HW_MAXVIT_MLP_RATIO * C);
    at->fc2_w = find(tb, p, "3.weight", C * HW_MAXVIT_MLP_RATIO * C);
    at->fc2_b = find(tb, p, "3.bias", C);
}

/* maxvit_create's geometry (the same loop, the same p per layer) and the offsets */
static int setup(hw_gpu_maxvit *s, hw_model *m, uint64_t seed) {
    const hw_model_config *cfg = hw_model_cfg(m);
    s->cfg = *cfg;
    if (cfg->backbone != HW_BACKBONE_SMAXVIT && cfg->backbone != HW_BACKBONE_SMAXVIT_MULTI)
        return hw_fail("cuda maxvit: the model is %s, not a MaxViT", hw_model_backbone_name(m));
    s->arch = hw_model_maxvit_arch(m);
    const hw_maxvit_arch *a = &s->arch;
    s->dropout_seed = seed ^ HW_DROPOUT_STREAM;
    s->multi = cfg->backbone == HW_BACKBONE_SMAXVIT_MULTI;
    s->has_head = cfg->loss == HW_LOSS_CONTRASTIVE;
    s->S = cfg->image_size;
    s->D = hw_model_embed_dim(m);
    s->stem_c = a->stem_channels;
    s->SH = hw_maxvit_conv_out(s->S);
    s->n_layers = hw_maxvit_n_layers(a);
    if (s->n_layers < 1) return hw_fail("cuda maxvit: an architecture without layers");
    s->layers = calloc((size_t)s->n_layers, sizeof *s->layers);
    if (!s->layers) return hw_fail("cuda maxvit: out of host memory");
    if ((uint64_t)s->n_layers * HW_MAXVIT_SD_PER_LAYER != hw_model_dropout_draws_per_tile(m))
        return hw_fail("cuda maxvit: %d layers, the model draws %llu values a tile", s->n_layers,
                       (unsigned long long)hw_model_dropout_draws_per_tile(m));
    table tb = {0};
    tb.nt = hw_model_tensors(m, &tb.t);
    tb.nst = hw_model_state_tensors(m, &tb.st);
    const size_t sc = (size_t)s->stem_c;
    s->stem0_w = find(&tb, "stem.0.0.", "weight", sc * 3 * 9);
    find_bn(&tb, &s->stem_bn, "stem.0.1.", s->stem_c);
    s->stem1_w = find(&tb, "stem.1.0.", "weight", sc * sc * 9);
    s->stem1_b = find(&tb, "stem.1.0.", "bias", sc);
    hw_maxvit_layer *geom = calloc((size_t)s->n_layers, sizeof *geom);
    if (!geom) return hw_fail("cuda maxvit: out of host memory");
    s->cat_c = hw_maxvit_layers(a, s->S, geom, s->block_end);
    for (int li = 0; li < s->n_layers; li++) {
        const hw_maxvit_layer *gl = &geom[li];
        glayer *L = &s->layers[li];
        gmbconv *mb = &L->mb;
        mb->cin = gl->cin;
        mb->cout = gl->cout;
        mb->mid = gl->mid;
        mb->sq = gl->squeeze;
        mb->stride = gl->stride;
        mb->H = mb->W = gl->in_side;
        mb->OH = mb->OW = gl->out_side;
        mb->p_sd = gl->p_sd;
        mb->sd_slot = gl->sd_slot;
        find_mbconv(&tb, mb, gl->prefix);
        gattn *at[2] = {&L->win, &L->grid};
        for (int k = 0; k < 2; k++) {
            at[k]->C = gl->cout;
            at[k]->H = at[k]->W = gl->out_side;
            at[k]->NH = gl->heads;
            at[k]->kind = k ? NN_PARTITION_GRID : NN_PARTITION_WINDOW;
            at[k]->p_sd = gl->p_sd;
            at[k]->sd_slot = gl->sd_slot + 1 + 2 * k;
            find_attn(&tb, at[k], gl->prefix, k ? "grid" : "window");
        }
    }
    free(geom);
    if (s->multi) s->proj_w = find(&tb, "", "projector.weight", (size_t)s->D * s->cat_c);
    size_t head_w = 0, head_b = 0;
    int HO = 0;
    if (s->has_head) {
        for (int i = 0; i < tb.nt; i++)
            if (!strcmp(tb.t[i].name, "head.0.weight")) HO = (int)tb.t[i].shape[0];
        head_w = find(&tb, "head.0.", "weight", (size_t)HO * s->D);
        head_b = find(&tb, "head.0.", "bias", (size_t)HO);
    }
    if (tb.failed) return -1;
    if (!s->multi && s->D != a->channels[a->n_blocks - 1])
        return hw_fail("cuda maxvit: embedding width %d, the last block has %d channels", s->D,
                       a->channels[a->n_blocks - 1]);
    size_t n, ns;
    const float *params = hw_model_params(m, &n);
    const float *state = hw_model_state(m, &ns);
    s->n_params = n, s->n_state = ns;
    if (hw_gpu_alloc((void **)&s->params, n * sizeof(float)) || hw_gpu_alloc((void **)&s->grads, n * sizeof(float)) ||
        hw_gpu_alloc((void **)&s->state, (ns + 1) * sizeof(float)))
        return hw_fail_prefix("cuda maxvit: parameters");
    if (hw_gpu_upload(s->g, s->params, params, n * sizeof(float)) ||
        hw_gpu_upload(s->g, s->state, state, ns * sizeof(float)) || hw_gpu_zero(s->g, s->grads, n * sizeof(float)))
        return -1;
    s->obj.cfg = *cfg;
    s->obj.D = s->D, s->obj.HO = HO;
    if (s->has_head) {
        s->obj.head_w = P(s, head_w), s->obj.head_b = P(s, head_b);
        s->obj.dhead_w = G(s, head_w), s->obj.dhead_b = G(s, head_b);
    }
    return 0;
}

hw_gpu_maxvit *hw_gpu_maxvit_create(hw_gpu *g, const hw_model *m, uint64_t seed) {
    hw_gpu_maxvit *s = calloc(1, sizeof *s);
    if (!s) {
        hw_fail("cuda maxvit: out of host memory");
        return NULL;
    }
    s->g = g;
    /* hw_model_params and hw_model_state take a non-const model; reading changes nothing */
    if (setup(s, (hw_model *)m, seed)) {
        hw_gpu_maxvit_free(s);
        return NULL;
    }
    return s;
}

void hw_gpu_maxvit_free(hw_gpu_maxvit *s) {
    if (!s) return;
    hw_gpu_release((void **)&s->params);
    hw_gpu_release((void **)&s->grads);
    hw_gpu_release((void **)&s->state);
    hw_gpu_release(&s->arena);
    free(s->layers);
    free(s);
}

int hw_gpu_maxvit_set_precision(hw_gpu_maxvit *s, int bf16) {
    if (bf16)
        return hw_fail("--device cuda: model %s runs in fp32 only on the GPU (set precision: fp32, or "
                       "--precision fp32)", s->multi ? "SMaxViTMulti" : "SMaxViT");
    return 0;
}

float *hw_gpu_maxvit_params(hw_gpu_maxvit *s, size_t *n) {
    if (n) *n = s->n_params;
    return s->params;
}

float *hw_gpu_maxvit_grads(hw_gpu_maxvit *s, size_t *n) {
    if (n) *n = s->n_params;
    return s->grads;
}

int hw_gpu_maxvit_zero_grad(hw_gpu_maxvit *s) { return hw_gpu_zero(s->g, s->grads, s->n_params * sizeof(float)); }

int hw_gpu_maxvit_state_to_host(hw_gpu_maxvit *s, float *state, size_t n) {
    if (n != s->n_state) return hw_fail("cuda maxvit: a state of %zu values, the model has %zu", n, s->n_state);
    return n ? hw_gpu_download(s->g, state, s->state, n * sizeof(float)) : 0;
}

int hw_gpu_maxvit_state_from_host(hw_gpu_maxvit *s, const float *state, size_t n) {
    if (n != s->n_state) return hw_fail("cuda maxvit: a state of %zu values, the model has %zu", n, s->n_state);
    return n ? hw_gpu_upload(s->g, s->state, state, n * sizeof(float)) : 0;
}

/* ---- arena: maxvit_layout's buffers in its order, plus the wrapper's and the GPU's own ---- */

static size_t mx(size_t a, size_t b) { return a > b ? a : b; }
#define CARVE(c, n) ((float *)hw_gpu_carve((c), (n), sizeof(float)))

static void bn_layout(hw_gpu_carver *c, gbn *bn, size_t n_tiles) {
    bn->mean = CARVE(c, n_tiles * bn->C);
    bn->rstd = CARVE(c, n_tiles * bn->C);
}

static void layout(hw_gpu_maxvit *s, hw_gpu_carver *c, int n, int views) {
    const size_t N = (size_t)n * views, S2 = (size_t)s->S * s->S, stem = N * s->stem_c * s->SH * s->SH;
    size_t big = stem, scratch = 0;
    s->tiles = CARVE(c, N * S2);
    s->x = CARVE(c, N * S2);
    s->maxval = CARVE(c, N);
    s->emb = CARVE(c, N * s->D);
    s->demb = CARVE(c, N * s->D);
    s->wsum = CARVE(c, (size_t)s->stem_c * 9);
    s->dwsum = CARVE(c, (size_t)s->stem_c * 9);
    s->s0 = CARVE(c, stem);
    s->s1 = CARVE(c, stem);
    s->s2 = CARVE(c, stem);
    s->stem_out = CARVE(c, stem);
    bn_layout(c, &s->stem_bn, N);
    for (int li = 0; li < s->n_layers; li++) {
        gmbconv *mb = &s->layers[li].mb;
        const size_t in = N * mb->H * mb->W, out = N * mb->OH * mb->OW;
        mb->pooled = mb->stride == 2 ? CARVE(c, out * mb->cin) : NULL;
        mb->a0 = CARVE(c, in * mb->cin);
        mb->a1 = CARVE(c, in * mb->mid);
        mb->a2 = CARVE(c, in * mb->mid);
        mb->a3 = CARVE(c, in * mb->mid);
        mb->a4 = CARVE(c, out * mb->mid);
        mb->a5 = CARVE(c, out * mb->mid);
        mb->a6 = CARVE(c, out * mb->mid);
        mb->a7 = CARVE(c, out * mb->mid);
        mb->se.pooled = CARVE(c, N * mb->mid);
        mb->se.h = CARVE(c, N * mb->sq);
        mb->se.a = CARVE(c, N * mb->sq);
        mb->se.gate = CARVE(c, N * mb->mid);
        mb->sd_scale = CARVE(c, N);
        mb->y = CARVE(c, out * mb->cout);
        bn_layout(c, &mb->pre, N);
        bn_layout(c, &mb->bn_a, N);
        bn_layout(c, &mb->bn_b, N);
        big = mx(big, in * mb->mid);
        big = mx(big, in * mb->cin);
        scratch = mx(scratch, N * (2 * (size_t)mb->mid + mb->sq)); /* squeeze-excitation's backward */
        gattn *at[2] = {&s->layers[li].win, &s->layers[li].grid};
        for (int k = 0; k < 2; k++) {
            gattn *a = at[k];
            const size_t rows = N * a->H * a->W, C = (size_t)a->C, groups = rows / MV_P;
            a->t0 = CARVE(c, rows * C);
            a->ln1 = CARVE(c, rows * C);
            a->ln1_mean = CARVE(c, rows);
            a->ln1_rstd = CARVE(c, rows);
            a->qkv = CARVE(c, rows * 3 * C);
            a->probs = CARVE(c, groups * a->NH * MV_P * MV_P);
            a->att = CARVE(c, rows * C);
            a->t1 = CARVE(c, rows * C);
            a->ln2 = CARVE(c, rows * C);
            a->ln2_mean = CARVE(c, rows);
            a->ln2_rstd = CARVE(c, rows);
            a->h = CARVE(c, rows * HW_MAXVIT_MLP_RATIO * C);
            a->g = CARVE(c, rows * HW_MAXVIT_MLP_RATIO * C);
            a->t2 = CARVE(c, rows * C);
            a->sd1 = CARVE(c, N);
            a->sd2 = CARVE(c, N);
            a->y = CARVE(c, rows * C);
            big = mx(big, rows * HW_MAXVIT_MLP_RATIO * C);
            /* the attention's dtable scratch (BG NH P P) and LayerNorm's parameter gradients */
            scratch = mx(scratch, groups * a->NH * MV_P * MV_P);
            scratch = mx(scratch, gpu_layernorm_backward_scratch_floats((int)rows, a->C));
        }
    }
    s->cat = CARVE(c, N * s->cat_c);
    s->dcat = CARVE(c, N * s->cat_c);
    s->dA = CARVE(c, big);
    s->dB = CARVE(c, big);
    s->t1 = CARVE(c, big);
    s->t2 = CARVE(c, big);
    s->t3 = CARVE(c, big);
    s->scratch = CARVE(c, scratch);
    hw_gpu_objective_layout(&s->obj, c, n, views);
}

static int reserve(hw_gpu_maxvit *s, int n, int views) {
    if (n <= s->cap_n && views <= s->cap_views) return 0;
    const int cn = n > s->cap_n ? n : s->cap_n, cv = views > s->cap_views ? views : s->cap_views;
    if (hw_gpu_release(&s->arena)) return -1;
    s->cap_n = s->cap_views = 0;
    hw_gpu_carver c = {NULL, 0};
    layout(s, &c, cn, cv);
    if (hw_gpu_alloc(&s->arena, c.off))
        return hw_fail_prefix("cuda maxvit: activations for %d x %d tiles (%.0f MiB)", cn, cv, c.off / 1048576.0);
    c.base = (char *)s->arena; /* cudaMalloc is 256-byte aligned */
    c.off = 0;
    layout(s, &c, cn, cv);
    s->cap_n = cn, s->cap_views = cv;
    return 0;
}

int hw_gpu_maxvit_reserve(hw_gpu_maxvit *s, int n, int views) { return reserve(s, n, views); }

/* ---- forward (maxvit.c's, line for line) ------------------------------------------------ */

static NnConv2dDims dims(int N, int C, int H, int OC, int K, int stride, int pad, int groups) {
    NnConv2dDims d = {N, C, H, H, OC, K, K, stride, pad, groups};
    return d;
}

/* BatchNorm over each view's n tiles on its own */
static int bn_fwd(hw_gpu_maxvit *s, const gbn *bn, float *out, const float *in, int n, int views, int HW,
                  int train) {
    for (int v = 0; v < views; v++) {
        const size_t off = (size_t)v * n * bn->C * HW;
        if (gpu_batchnorm2d_forward(s->g, out + off, bn->mean + (size_t)v * bn->C, bn->rstd + (size_t)v * bn->C,
                                    ST(s, bn->rmean), ST(s, bn->rvar), in + off, P(s, bn->gamma), P(s, bn->beta),
                                    train, NN_MAXVIT_BN_MOMENTUM, NN_MAXVIT_BN_EPS, n, bn->C, HW))
            return -1;
    }
    return 0;
}

static int bn_bwd(hw_gpu_maxvit *s, const gbn *bn, float *dinp, const float *dout, const float *in, int n,
                  int views, int HW) {
    for (int v = 0; v < views; v++) {
        const size_t off = (size_t)v * n * bn->C * HW;
        if (gpu_batchnorm2d_backward(s->g, dinp + off, G(s, bn->gamma), G(s, bn->beta), dout + off, in + off,
                                     bn->mean + (size_t)v * bn->C, bn->rstd + (size_t)v * bn->C, P(s, bn->gamma),
                                     s->train_fwd, n, bn->C, HW))
            return -1;
    }
    return 0;
}

/* Stochastic depth of rows [N, per]: tile i of view v draws at
 * rng_base + (i views + v) draws_per_tile + slot (maxvit.c's sd_fwd) */
static int sd_fwd(hw_gpu_maxvit *s, float *out, float *scale, const float *in, float p, int slot, int n,
                  int views, size_t per, int train) {
    return gpu_stochastic_depth_forward(s->g, out, scale, in, p, train, s->dropout_seed,
                                        s->rng_base + (uint64_t)slot, views,
                                        (uint64_t)s->n_layers * HW_MAXVIT_SD_PER_LAYER, n * views, per);
}

static int mbconv_fwd(hw_gpu_maxvit *s, gmbconv *mb, const float *x, int n, int views, int train) {
    hw_gpu *g = s->g;
    const int N = n * views, HWi = mb->H * mb->W, HWo = mb->OH * mb->OW;
    mb->x = x;
    NnConv2dDims db = dims(N, mb->mid, mb->H, mb->mid, 3, mb->stride, 1, mb->mid);
    if (bn_fwd(s, &mb->pre, mb->a0, x, n, views, HWi, train) ||
        gpu_conv1x1_forward(g, mb->a1, mb->a0, P(s, mb->conv_a), NULL, N, mb->cin, mb->mid, HWi) ||
        bn_fwd(s, &mb->bn_a, mb->a2, mb->a1, n, views, HWi, train) ||
        gpu_gelu_forward(g, mb->a3, mb->a2, (size_t)N * mb->mid * HWi) ||
        gpu_conv2d_forward(g, mb->a4, mb->a3, P(s, mb->conv_b), NULL, &db) ||
        bn_fwd(s, &mb->bn_b, mb->a5, mb->a4, n, views, HWo, train) ||
        gpu_gelu_forward(g, mb->a6, mb->a5, (size_t)N * mb->mid * HWo) ||
        gpu_squeeze_excite_forward(g, mb->a7, &mb->se, mb->a6, P(s, mb->fc1_w), P(s, mb->fc1_b), P(s, mb->fc2_w),
                                   P(s, mb->fc2_b), N, mb->mid, mb->sq, HWo))
        return -1;
    float *main_out = s->t1; /* conv_c output, then scaled by stochastic depth into y */
    if (gpu_conv1x1_forward(g, main_out, mb->a7, P(s, mb->conv_c_w), P(s, mb->conv_c_b), N, mb->mid, mb->cout,
                            HWo) ||
        sd_fwd(s, mb->y, mb->sd_scale, main_out, mb->p_sd, mb->sd_slot, n, views, (size_t)mb->cout * HWo, train))
        return -1;
    /* the shortcut: [avgpool 3/2/1] -> conv 1x1 when projecting, else identity */
    const size_t ny = (size_t)N * mb->cout * HWo;
    if (!mb->has_proj) return gpu_add_inplace(g, mb->y, x, ny);
    const float *sc = x;
    if (mb->stride == 2) {
        if (gpu_avgpool2d_forward(g, mb->pooled, x, N, mb->cin, mb->H, mb->W, 3, 2, 1)) return -1;
        sc = mb->pooled;
    }
    if (gpu_conv1x1_forward(g, s->t2, sc, P(s, mb->proj_w), P(s, mb->proj_b), N, mb->cin, mb->cout, HWo))
        return -1;
    return gpu_add_inplace(g, mb->y, s->t2, ny);
}

static int attn_fwd(hw_gpu_maxvit *s, gattn *a, const float *x, int n, int views, int train) {
    hw_gpu *g = s->g;
    const int N = n * views, C = a->C, HW = a->H * a->W, rows = N * HW, groups = rows / MV_P;
    const size_t per = (size_t)HW * C, nt = (size_t)rows * C; /* one tile's tokens; all tokens */
    float *merged = s->t1, *mlp = s->t1;
    if (gpu_partition_forward(g, a->t0, x, a->kind, N, C, a->H, a->W, MV_WIN) ||
        gpu_layernorm_forward(g, a->ln1, a->ln1_mean, a->ln1_rstd, a->t0, P(s, a->ln1_w), P(s, a->ln1_b),
                              NN_LAYERNORM_EPS, rows, C) ||
        gpu_linear_forward(g, a->qkv, a->ln1, P(s, a->qkv_w), P(s, a->qkv_b), rows, C, 3 * C) ||
        gpu_relpos_attention_forward(g, a->att, a->probs, a->qkv, P(s, a->table), groups, MV_WIN, C, a->NH) ||
        gpu_linear_forward(g, merged, a->att, P(s, a->merge_w), P(s, a->merge_b), rows, C, C) ||
        sd_fwd(s, a->t1, a->sd1, merged, a->p_sd, a->sd_slot, n, views, per, train) ||
        gpu_add_inplace(g, a->t1, a->t0, nt) ||
        gpu_layernorm_forward(g, a->ln2, a->ln2_mean, a->ln2_rstd, a->t1, P(s, a->ln2_w), P(s, a->ln2_b),
                              NN_LAYERNORM_EPS, rows, C) ||
        gpu_linear_forward(g, a->h, a->ln2, P(s, a->fc1_w), P(s, a->fc1_b), rows, C, HW_MAXVIT_MLP_RATIO * C) ||
        gpu_gelu_forward(g, a->g, a->h, (size_t)rows * HW_MAXVIT_MLP_RATIO * C) ||
        gpu_linear_forward(g, mlp, a->g, P(s, a->fc2_w), P(s, a->fc2_b), rows, HW_MAXVIT_MLP_RATIO * C, C) ||
        sd_fwd(s, a->t2, a->sd2, mlp, a->p_sd, a->sd_slot + 1, n, views, per, train) ||
        gpu_add_inplace(g, a->t2, a->t1, nt))
        return -1;
    return gpu_departition_forward(g, a->y, a->t2, a->kind, N, C, a->H, a->W, MV_WIN);
}

/* s->x [N, S, S] (prepared) -> s->emb [N, D] */
static int backbone_forward(hw_gpu_maxvit *s, int n, int views, int train, uint64_t rng_counter) {
    hw_gpu *g = s->g;
    const int N = n * views, SH2 = s->SH * s->SH;
    s->rng_base = rng_counter;
    s->train_fwd = train;
    /* the 1 -> 3 channel repeat folded into the stem kernel: conv(x, x, x; W) = conv(x; sum_c W) */
    NnConv2dDims d0 = dims(N, 1, s->S, s->stem_c, 3, 2, 1, 1), d1 = dims(N, s->stem_c, s->SH, s->stem_c, 3, 1, 1, 1);
    if (gpu_channel_fold_forward(g, s->wsum, P(s, s->stem0_w), s->stem_c, 3, 9) ||
        gpu_conv2d_forward(g, s->s0, s->x, s->wsum, NULL, &d0) ||
        bn_fwd(s, &s->stem_bn, s->s1, s->s0, n, views, SH2, train) ||
        gpu_gelu_forward(g, s->s2, s->s1, (size_t)N * s->stem_c * SH2) ||
        gpu_conv2d_forward(g, s->stem_out, s->s2, P(s, s->stem1_w), P(s, s->stem1_b), &d1))
        return -1;
    const float *x = s->stem_out;
    size_t off = 0;
    for (int li = 0, b = 0; li < s->n_layers; li++) {
        glayer *L = &s->layers[li];
        if (mbconv_fwd(s, &L->mb, x, n, views, train) || attn_fwd(s, &L->win, L->mb.y, n, views, train) ||
            attn_fwd(s, &L->grid, L->win.y, n, views, train))
            return -1;
        x = L->grid.y;
        if (li == s->block_end[b]) {
            if (s->multi &&
                gpu_global_avgpool_forward(g, s->cat + off, s->cat_c, x, N, L->grid.C, L->grid.H * L->grid.W))
                return -1;
            off += (size_t)L->grid.C;
            b++;
        }
    }
    const gattn *last = &s->layers[s->n_layers - 1].grid;
    if (s->multi) return gpu_linear_forward(g, s->emb, s->cat, P(s, s->proj_w), NULL, N, s->cat_c, s->D);
    return gpu_global_avgpool_forward(g, s->emb, s->D, last->y, N, last->C, last->H * last->W);
}

/* ---- backward (maxvit.c's, line for line) ----------------------------------------------- */

static int zero(hw_gpu_maxvit *s, float *p, size_t n) { return hw_gpu_zero(s->g, p, n * sizeof(float)); }

/* dy [N, C, H, W] -> dx [N, C, H, W] (overwritten) */
static int attn_bwd(hw_gpu_maxvit *s, gattn *a, float *dx, const float *dy, int n, int views) {
    hw_gpu *g = s->g;
    const int N = n * views, C = a->C, HW = a->H * a->W, rows = N * HW, C4 = HW_MAXVIT_MLP_RATIO * C;
    const int groups = rows / MV_P;
    const size_t nt = (size_t)rows * C, per = (size_t)HW * C, nw = (size_t)rows * C4;
    float *dt = s->t1, *dbr = s->t2, *dwide = s->t3, *dwide2 = dx; /* dx is free until the end */
    float *datt = dwide;  /* [rows, C] fits in [rows, 4C] */
    float *dqkv = dwide2; /* [rows, 3C] */
    if (zero(s, dt, nt) || gpu_departition_backward(g, dt, dy, a->kind, N, C, a->H, a->W, MV_WIN) ||
        /* t2 = t1 + sd(mlp): the branch gets dt scaled per tile, t1 gets dt itself */
        zero(s, dbr, nt) || gpu_stochastic_depth_backward(g, dbr, dt, a->sd2, N, per) ||
        zero(s, dwide, nw) ||
        gpu_linear_backward(g, dwide, G(s, a->fc2_w), G(s, a->fc2_b), dbr, a->g, P(s, a->fc2_w), rows, C4, C) ||
        zero(s, dwide2, nw) || gpu_gelu_backward(g, dwide2, dwide, a->h, nw) ||
        zero(s, dbr, nt) ||
        gpu_linear_backward(g, dbr, G(s, a->fc1_w), G(s, a->fc1_b), dwide2, a->ln2, P(s, a->fc1_w), rows, C, C4) ||
        gpu_layernorm_backward(g, dt, G(s, a->ln2_w), G(s, a->ln2_b), dbr, a->t1, a->ln2_mean, a->ln2_rstd,
                               P(s, a->ln2_w), s->scratch, rows, C) ||
        /* t1 = t0 + sd(merge(attention(qkv(ln1(t0))))) */
        zero(s, dbr, nt) || gpu_stochastic_depth_backward(g, dbr, dt, a->sd1, N, per) ||
        zero(s, datt, nt) ||
        gpu_linear_backward(g, datt, G(s, a->merge_w), G(s, a->merge_b), dbr, a->att, P(s, a->merge_w), rows, C,
                            C) ||
        zero(s, dqkv, (size_t)rows * 3 * C) ||
        gpu_relpos_attention_backward(g, dqkv, G(s, a->table), datt, a->qkv, a->probs, s->scratch, groups, MV_WIN,
                                      C, a->NH) ||
        zero(s, dbr, nt) ||
        gpu_linear_backward(g, dbr, G(s, a->qkv_w), G(s, a->qkv_b), dqkv, a->ln1, P(s, a->qkv_w), rows, C, 3 * C) ||
        gpu_layernorm_backward(g, dt, G(s, a->ln1_w), G(s, a->ln1_b), dbr, a->t0, a->ln1_mean, a->ln1_rstd,
                               P(s, a->ln1_w), s->scratch, rows, C) ||
        zero(s, dx, nt))
        return -1;
    return gpu_partition_backward(g, dx, dt, a->kind, N, C, a->H, a->W, MV_WIN);
}

/* dy [N, cout, OH, OW] -> dx [N, cin, H, W] (overwritten) */
static int mbconv_bwd(hw_gpu_maxvit *s, gmbconv *mb, float *dx, const float *dy, int n, int views) {
    hw_gpu *g = s->g;
    const int N = n * views, HWi = mb->H * mb->W, HWo = mb->OH * mb->OW;
    const size_t nin = (size_t)N * mb->cin * HWi, mid_in = (size_t)N * mb->mid * HWi;
    const size_t mid_out = (size_t)N * mb->mid * HWo, nout = (size_t)N * mb->cout * HWo;
    float *p = s->t1, *q = s->t2;
    if (zero(s, dx, nin)) return -1;
    /* the shortcut */
    if (!mb->has_proj) {
        if (gpu_add_inplace(g, dx, dy, nout)) return -1;
    } else if (mb->stride == 2) {
        if (zero(s, p, (size_t)N * mb->cin * HWo) ||
            gpu_conv1x1_backward(g, p, G(s, mb->proj_w), G(s, mb->proj_b), dy, mb->pooled, P(s, mb->proj_w), N,
                                 mb->cin, mb->cout, HWo) ||
            gpu_avgpool2d_backward(g, dx, p, N, mb->cin, mb->H, mb->W, 3, 2, 1))
            return -1;
    } else {
        if (gpu_conv1x1_backward(g, dx, G(s, mb->proj_w), G(s, mb->proj_b), dy, mb->x, P(s, mb->proj_w), N,
                                 mb->cin, mb->cout, HWi))
            return -1;
    }
    /* the main path, from the end */
    NnConv2dDims db = dims(N, mb->mid, mb->H, mb->mid, 3, mb->stride, 1, mb->mid);
    if (zero(s, q, nout) || gpu_stochastic_depth_backward(g, q, dy, mb->sd_scale, N, (size_t)mb->cout * HWo) ||
        zero(s, p, mid_out) ||
        gpu_conv1x1_backward(g, p, G(s, mb->conv_c_w), G(s, mb->conv_c_b), q, mb->a7, P(s, mb->conv_c_w), N,
                             mb->mid, mb->cout, HWo) ||
        zero(s, q, mid_out) ||
        gpu_squeeze_excite_backward(g, q, G(s, mb->fc1_w), G(s, mb->fc1_b), G(s, mb->fc2_w), G(s, mb->fc2_b), p,
                                    &mb->se, mb->a6, P(s, mb->fc1_w), P(s, mb->fc2_w), s->scratch, N, mb->mid,
                                    mb->sq, HWo) ||
        zero(s, p, mid_out) || gpu_gelu_backward(g, p, q, mb->a5, mid_out) ||
        zero(s, q, mid_out) || bn_bwd(s, &mb->bn_b, q, p, mb->a4, n, views, HWo) ||
        zero(s, p, mid_in) ||
        gpu_conv2d_backward(g, p, G(s, mb->conv_b), NULL, q, mb->a3, P(s, mb->conv_b), &db) ||
        zero(s, q, mid_in) || gpu_gelu_backward(g, q, p, mb->a2, mid_in) ||
        zero(s, p, mid_in) || bn_bwd(s, &mb->bn_a, p, q, mb->a1, n, views, HWi) ||
        zero(s, q, nin) ||
        gpu_conv1x1_backward(g, q, G(s, mb->conv_a), NULL, p, mb->a0, P(s, mb->conv_a), N, mb->cin, mb->mid,
                             HWi))
        return -1;
    return bn_bwd(s, &mb->pre, dx, q, mb->x, n, views, HWi);
}

/* s->demb [N, D] -> parameter gradients (accumulated) */
static int backbone_backward(hw_gpu_maxvit *s, int n, int views) {
    hw_gpu *g = s->g;
    const int N = n * views;
    const gattn *last = &s->layers[s->n_layers - 1].grid;
    float *dy = s->dA, *dx = s->dB;
    if (zero(s, dy, (size_t)N * last->C * last->H * last->W)) return -1;
    if (s->multi) {
        if (zero(s, s->dcat, (size_t)N * s->cat_c) ||
            gpu_linear_backward(g, s->dcat, G(s, s->proj_w), NULL, s->demb, s->cat, P(s, s->proj_w), N, s->cat_c,
                                s->D))
            return -1;
    } else if (gpu_global_avgpool_backward(g, dy, s->demb, s->D, N, last->C, last->H * last->W)) {
        return -1;
    }
    size_t off = (size_t)s->cat_c;
    for (int li = s->n_layers - 1, b = s->arch.n_blocks - 1; li >= 0; li--) {
        glayer *L = &s->layers[li];
        if (b >= 0 && li == s->block_end[b]) { /* this block's pool in the multiscale concat */
            off -= (size_t)L->grid.C;
            if (s->multi && gpu_global_avgpool_backward(g, dy, s->dcat + off, s->cat_c, N, L->grid.C,
                                                        L->grid.H * L->grid.W))
                return -1;
            b--;
        }
        if (attn_bwd(s, &L->grid, dx, dy, n, views) || attn_bwd(s, &L->win, dy, dx, n, views) ||
            mbconv_bwd(s, &L->mb, dx, dy, n, views))
            return -1;
        float *t = dy; /* dx is the previous layer's output gradient */
        dy = dx;
        dx = t;
    }
    /* the stem: conv 3x3 (bias) <- GELU <- BN <- conv 3x3 s2 on the data (weights only) */
    const int SH2 = s->SH * s->SH;
    const size_t ns = (size_t)N * s->stem_c * SH2;
    NnConv2dDims d0 = dims(N, 1, s->S, s->stem_c, 3, 2, 1, 1), d1 = dims(N, s->stem_c, s->SH, s->stem_c, 3, 1, 1, 1);
    if (zero(s, dx, ns) ||
        gpu_conv2d_backward(g, dx, G(s, s->stem1_w), G(s, s->stem1_b), dy, s->s2, P(s, s->stem1_w), &d1) ||
        zero(s, dy, ns) || gpu_gelu_backward(g, dy, dx, s->s1, ns) ||
        zero(s, dx, ns) || bn_bwd(s, &s->stem_bn, dx, dy, s->s0, n, views, SH2) ||
        zero(s, s->dwsum, (size_t)s->stem_c * 9) ||
        /* the tiles are data: no input gradient */
        gpu_conv2d_backward(g, NULL, s->dwsum, NULL, dx, s->x, s->wsum, &d0))
        return -1;
    return gpu_channel_fold_backward(g, G(s, s->stem0_w), s->dwsum, s->stem_c, 3, 9);
}

/* ---- the Siamese step (siamese_loss.c's run) ------------------------------------------------ */

static int run(hw_gpu_maxvit *s, const hw_batch *b, int train, uint64_t rng_counter, hw_step_stats *st) {
    memset(st, 0, sizeof *st);
    if (hw_gpu_objective_check(&s->cfg, b)) return -1;
    const int n = b->n, V = b->views;
    if (reserve(s, n, V)) return -1;
    const size_t S2 = (size_t)s->S * s->S;
    /* tiles assembled on the device (gpu_batch.h) are read where they are; host tiles are
     * uploaded into the arena */
    if (b->tiles_on_device) s->in = b->tiles;
    else if (hw_gpu_upload(s->g, s->tiles, b->tiles, (size_t)n * V * S2 * sizeof(float))) return -1;
    else s->in = s->tiles;
    /* supcon calls forward_one directly: normalised, never masked (reference bug 17) */
    const int mask = s->cfg.loss == HW_LOSS_SUPCON ? 0 : s->cfg.mask;
    if (hw_gpu_prepare_inputs(s->g, &s->cfg, s->x, s->maxval, s->in, n, V, mask) ||
        backbone_forward(s, n, V, train, rng_counter))
        return -1;
    int rc = hw_gpu_objective_run(s->g, &s->obj, s->emb, s->demb, b, train, st);
    if (rc || !train) return rc;
    return backbone_backward(s, n, V);
}

int hw_gpu_maxvit_train_step(hw_gpu_maxvit *s, const hw_batch *b, uint64_t rng_counter, hw_step_stats *st) {
    return run(s, b, 1, rng_counter, st);
}

int hw_gpu_maxvit_eval_loss(hw_gpu_maxvit *s, const hw_batch *b, hw_step_stats *st) { return run(s, b, 0, 0, st); }

int hw_gpu_maxvit_embed(hw_gpu_maxvit *s, const float *tiles, int n, float *emb, float *maps) {
    /* hw_model_embed: evaluation mode, mask when cfg.mask, no L2 normalisation */
    const int chunk = HW_GPU_MAXVIT_EMBED_CHUNK;
    const size_t S2 = (size_t)s->S * s->S;
    for (int i0 = 0; i0 < n; i0 += chunk) {
        const int k = n - i0 < chunk ? n - i0 : chunk;
        if (reserve(s, k, 1)) return -1;
        s->in = s->tiles;
        if (hw_gpu_upload(s->g, s->tiles, tiles + (size_t)i0 * S2, (size_t)k * S2 * sizeof(float)) ||
            hw_gpu_prepare_inputs(s->g, &s->cfg, s->x, s->maxval, s->in, k, 1, s->cfg.mask) ||
            backbone_forward(s, k, 1, 0, 0) ||
            hw_gpu_download(s->g, emb + (size_t)i0 * s->D, s->emb, (size_t)k * s->D * sizeof(float)))
            return -1;
        if (maps) { /* the last stage's output, as hw_model_embed_maps */
            const gattn *last = &s->layers[s->n_layers - 1].grid;
            const size_t per = (size_t)last->C * last->H * last->W;
            if (hw_gpu_download(s->g, maps + (size_t)i0 * per, last->y, (size_t)k * per * sizeof(float))) return -1;
        }
    }
    return 0;
}
