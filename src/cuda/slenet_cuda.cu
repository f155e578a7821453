// The Siamese SLeNet training step on one GPU (gpu_slenet.h), op for op as slenet.c's
// hw_backbone_forward / hw_backbone_backward and siamese_loss.c's objectives, built from the
// CUDA ops of gpu_ops.h.
//
// Parameters and gradients are one device buffer each, with the CPU model's tensor table
// (copied from hw_model_tensors), so offsets, checkpoints and the all-reduce are the CPU
// model's. The architecture's sizes are read from that table, not repeated here. As in
// slenet.c, all views of a batch go through the backbone as ONE batch of n * views tiles,
// view-major (row v n + i is item i's view v): each view's embeddings are contiguous for the
// loss, and each weight is read once per step. Activations live in one device arena carved
// like slenet.c's (two passes: measure, then point), grown to the largest (n, views) seen.
// The state is declared in slenet_cuda_internal.cuh, which slenet_saliency_cuda.cu (the
// integrated-gradients path of `hitwin saliency`) shares.
//
// Precision (docs/gpu.md): fp32 by default; with hw_gpu_slenet_set_precision(s, 1) the two
// convolutions and the two backbone linear layers take bf16 operands with fp32 accumulation.
// Each step first casts the four weight tensors into a bf16 shadow (the fp32 params stay the
// master copy the optimiser updates); each layer's input is cast to bf16 before the layer and
// kept for its weight gradient. Everything else (normalisation, mask, pooling, dropout, GELU,
// the head, distances, losses, the bias terms and all gradients) stays fp32.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "slenet_cuda_internal.cuh"

static const char *const tensor_names[NT] = {
    "features.0.weight", "features.0.bias", "features.2.weight", "features.2.bias",
    "linear.1.weight",   "linear.1.bias",   "linear.3.weight",   "linear.3.bias",
    "head.0.weight",     "head.0.bias"};
// the weights that run in bf16 in the bf16 mode (biases are added in fp32; the head is fp32)
static const int bf16_weights[4] = {W1, W2, FC1W, FC2W};

static hw_bf16 *WB(hw_gpu_slenet *s, int t) { return s->wb + s->off_b[t]; }
// ---- creation -----------------------------------------------------------------------------

static const hw_tensor *find_tensor(const hw_tensor *t, int nt, const char *name) {
    for (int i = 0; i < nt; i++)
        if (strcmp(t[i].name, name) == 0) return &t[i];
    return NULL;
}

static int setup(hw_gpu_slenet *s, hw_model *m, uint64_t seed) {
    const hw_model_config *cfg = hw_model_cfg(m);
    s->cfg = *cfg;
    s->dropout_seed = seed ^ HW_DROPOUT_STREAM;
    s->has_head = cfg->loss == HW_LOSS_CONTRASTIVE;
    const hw_tensor *t;
    s->n_tensors = hw_model_tensors(m, &t);
    if (s->n_tensors > HW_MAX_TENSORS) return hw_fail("cuda slenet: %d tensors", s->n_tensors);
    memcpy(s->tensors, t, (size_t)s->n_tensors * sizeof *t);
    for (int i = 0; i < NT; i++) {
        const hw_tensor *x = find_tensor(t, s->n_tensors, tensor_names[i]);
        if (!x && (i < HEADW || s->has_head))
            return hw_fail("cuda slenet: the model has no tensor %s", tensor_names[i]);
        s->off[i] = x ? x->offset : 0;
        s->numel[i] = x ? x->numel : 0;
    }
    // the bf16 shadow's layout: 128 values (256 bytes) apart at least, so every tensor is as
    // aligned as cuDNN's and cuBLAS's tensor-core kernels like
    s->n_wb = 0;
    for (int k = 0; k < 4; k++) {
        const int w = bf16_weights[k];
        s->off_b[w] = s->n_wb;
        s->n_wb += (s->numel[w] + 127) & ~(size_t)127;
    }
    const hw_tensor *w1 = find_tensor(t, s->n_tensors, "features.0.weight");
    const hw_tensor *w2 = find_tensor(t, s->n_tensors, "features.2.weight");
    const hw_tensor *f1 = find_tensor(t, s->n_tensors, "linear.1.weight");
    const hw_tensor *f2 = find_tensor(t, s->n_tensors, "linear.3.weight");
    s->S = cfg->image_size;
    s->C1 = (int)w1->shape[0], s->K = (int)w1->shape[2], s->C2 = (int)w2->shape[0];
    s->H1 = (int)f1->shape[0], s->D = (int)f2->shape[0];
    s->HO = s->has_head ? (int)find_tensor(t, s->n_tensors, "head.0.weight")->shape[0] : 0;
    s->CS1 = s->S - s->K + 1, s->P1 = s->CS1 / 2, s->CS2 = s->P1 - s->K + 1, s->P2 = s->CS2 / 2;
    s->F = s->C2 * s->P2 * s->P2;
    if ((int64_t)s->F != f1->shape[1] || (uint64_t)s->F != hw_model_dropout_draws_per_tile(m))
        return hw_fail("cuda slenet: features %d at image size %d, the model's linear.1 takes %lld",
                       s->F, s->S, (long long)f1->shape[1]);
    size_t n;
    const float *params = hw_model_params(m, &n);
    s->n_params = n;
    if (hw_gpu_alloc((void **)&s->params, n * sizeof(float))) return -1;
    if (hw_gpu_alloc((void **)&s->grads, n * sizeof(float))) return -1;
    if (hw_gpu_upload(s->g, s->params, params, n * sizeof(float))) return -1;
    // the objective reads the head in the flat buffers (gpu_objective.h)
    s->obj.cfg = *cfg;
    s->obj.D = s->D, s->obj.HO = s->HO;
    if (s->has_head) {
        s->obj.head_w = P(s, HEADW), s->obj.head_b = P(s, HEADB);
        s->obj.dhead_w = G(s, HEADW), s->obj.dhead_b = G(s, HEADB);
    }
    return hw_gpu_zero(s->g, s->grads, n * sizeof(float));
}

extern "C" hw_gpu_slenet *hw_gpu_slenet_create(hw_gpu *g, const hw_model *m, uint64_t seed) {
    hw_gpu_slenet *s = (hw_gpu_slenet *)calloc(1, sizeof *s);
    if (!s) {
        hw_fail("cuda slenet: out of host memory");
        return NULL;
    }
    s->g = g;
    // hw_model_params takes a non-const model; reading it changes nothing
    if (setup(s, (hw_model *)m, seed)) {
        hw_gpu_slenet_free(s);
        return NULL;
    }
    return s;
}

extern "C" void hw_gpu_slenet_free(hw_gpu_slenet *s) {
    if (!s) return;
    hw_gpu_release((void **)&s->params);
    hw_gpu_release((void **)&s->grads);
    hw_gpu_release((void **)&s->wb);
    hw_gpu_release(&s->arena);
    hw_gpu_release(&s->ig.mem);
    free(s);
}

extern "C" int hw_gpu_slenet_set_precision(hw_gpu_slenet *s, int bf16) {
    bf16 = bf16 != 0;
    if (bf16 == s->bf16) return 0;
    // the arena's layout depends on the precision (the bf16 copies): rebuilt at the next step
    if (hw_gpu_release(&s->arena)) return -1;
    s->cap_n = s->cap_views = 0;
    if (hw_gpu_release((void **)&s->wb)) return -1;
    if (bf16 && hw_gpu_alloc((void **)&s->wb, s->n_wb * sizeof(hw_bf16)))
        return hw_fail_prefix("cuda slenet: bf16 weights");
    s->bf16 = bf16;
    return 0;
}

extern "C" int hw_gpu_slenet_precision_bf16(const hw_gpu_slenet *s) { return s->bf16; }

extern "C" float *hw_gpu_slenet_params(hw_gpu_slenet *s, size_t *n) {
    if (n) *n = s->n_params;
    return s->params;
}

extern "C" float *hw_gpu_slenet_grads(hw_gpu_slenet *s, size_t *n) {
    if (n) *n = s->n_params;
    return s->grads;
}

extern "C" int hw_gpu_slenet_zero_grad(hw_gpu_slenet *s) {
    return hw_gpu_zero(s->g, s->grads, s->n_params * sizeof(float));
}

// ---- activation arena ---------------------------------------------------------------------

static void layout(hw_gpu_slenet *s, carver *c, int n, int views) {
    const size_t N = (size_t)n * views, S2 = (size_t)s->S * s->S, D = (size_t)s->D;
    const size_t np1 = N * s->C1 * s->P1 * s->P1, nF = N * s->F;
    acts *a = &s->act;
    a->x = carve<float>(c, N * S2);
    a->maxval = carve<float>(c, N);
    a->p1 = carve<float>(c, np1);
    a->a1 = carve<int32_t>(c, np1);
    a->a2 = carve<int32_t>(c, nF);
    a->drop = carve<float>(c, nF);
    a->dmask = carve<uint8_t>(c, nF);
    a->h1 = carve<float>(c, N * s->H1);
    a->g1 = carve<float>(c, N * s->H1);
    a->h2 = carve<float>(c, N * D);
    a->emb = carve<float>(c, N * D);
    a->xb = a->p1b = a->dropb = a->g1b = NULL;
    s->conv_scratch = NULL;
    s->lin_scratch = NULL;
    if (s->bf16) {
        a->xb = carve<hw_bf16>(c, N * S2);
        a->p1b = carve<hw_bf16>(c, np1);
        a->dropb = carve<hw_bf16>(c, nF);
        a->g1b = carve<hw_bf16>(c, N * s->H1);
        NnConv2dDims d1 = conv1_dims(s, (int)N), d2 = conv2_dims(s, (int)N);
        const size_t b1 = gpu_conv2d_bf16_scratch_bytes(&d1), b2 = gpu_conv2d_bf16_scratch_bytes(&d2);
        s->conv_scratch = carve<char>(c, b1 > b2 ? b1 : b2);
        s->lin_scratch = carve<hw_bf16>(c, N * (s->H1 > s->D ? s->H1 : s->D));
    }
    s->tiles = carve<float>(c, N * S2);
    s->c1 = carve<float>(c, N * s->C1 * s->CS1 * s->CS1);
    s->c2 = carve<float>(c, N * s->C2 * s->CS2 * s->CS2);
    s->p2 = carve<float>(c, nF);
    s->dp1 = carve<float>(c, np1);
    s->dh1 = carve<float>(c, N * s->H1);
    s->dg1 = carve<float>(c, N * s->H1);
    s->dh2 = carve<float>(c, N * D);
    s->demb = carve<float>(c, N * D);
    hw_gpu_objective_layout(&s->obj, c, n, views); // the objective's scratch (gpu_objective.h)
}

static int reserve(hw_gpu_slenet *s, int n, int views) {
    if (n <= s->cap_n && views <= s->cap_views) return 0;
    const int cn = n > s->cap_n ? n : s->cap_n, cv = views > s->cap_views ? views : s->cap_views;
    if (hw_gpu_release(&s->arena)) return -1;
    s->cap_n = s->cap_views = 0;
    carver c = {NULL, 0};
    layout(s, &c, cn, cv);
    if (hw_gpu_alloc(&s->arena, c.off)) return hw_fail_prefix("cuda slenet: activations for %d x %d tiles", cn, cv);
    c.base = (char *)s->arena; // cudaMalloc is 256-byte aligned
    c.off = 0;
    layout(s, &c, cn, cv);
    s->cap_n = cn, s->cap_views = cv;
    return 0;
}

extern "C" int hw_gpu_slenet_reserve(hw_gpu_slenet *s, int n, int views) { return reserve(s, n, views); }

// ---- the layers in the model's precision ----------------------------------------------------

// bf16 mode: the bf16 shadow of this step's weights (the params may have changed since the
// last step: the optimiser, an upload)
static int cast_weights(hw_gpu_slenet *s) {
    if (!s->bf16) return 0;
    for (int k = 0; k < 4; k++) {
        const int w = bf16_weights[k];
        if (gpu_cast_to_bf16(s->g, WB(s, w), P(s, w), s->numel[w])) return -1;
    }
    return 0;
}

// conv (+ bias) of x [d->B, d->C, d->H, d->W] into out; bf16: x is cast into xb first, which
// the backward reads
static int conv_forward(hw_gpu_slenet *s, float *out, const float *x, hw_bf16 *xb, int w, int b,
                        const NnConv2dDims *d) {
    if (!s->bf16) return gpu_conv2d_forward(s->g, out, x, P(s, w), P(s, b), d);
    if (gpu_cast_to_bf16(s->g, xb, x, (size_t)d->B * d->C * d->H * d->W)) return -1;
    return gpu_conv2d_forward_bf16(s->g, out, xb, WB(s, w), P(s, b), s->conv_scratch, d);
}

static int conv_backward(hw_gpu_slenet *s, float *dinp, int w, int b, const float *dout,
                         const float *x, const hw_bf16 *xb, const NnConv2dDims *d) {
    if (!s->bf16) return gpu_conv2d_backward(s->g, dinp, G(s, w), G(s, b), dout, x, P(s, w), d);
    return gpu_conv2d_backward_bf16(s->g, dinp, G(s, w), G(s, b), dout, xb, WB(s, w),
                                    s->conv_scratch, d);
}

static int linear_forward(hw_gpu_slenet *s, float *out, const float *x, hw_bf16 *xb, int w, int b,
                          int B, int IN, int OUT) {
    if (!s->bf16) return gpu_linear_forward(s->g, out, x, P(s, w), P(s, b), B, IN, OUT);
    if (gpu_cast_to_bf16(s->g, xb, x, (size_t)B * IN)) return -1;
    return gpu_linear_forward_bf16(s->g, out, xb, WB(s, w), P(s, b), B, IN, OUT);
}

static int linear_backward(hw_gpu_slenet *s, float *dinp, int w, int b, const float *dout,
                           const float *x, const hw_bf16 *xb, int B, int IN, int OUT) {
    if (!s->bf16)
        return gpu_linear_backward(s->g, dinp, G(s, w), G(s, b), dout, x, P(s, w), B, IN, OUT);
    return gpu_linear_backward_bf16(s->g, dinp, G(s, w), G(s, b), dout, xb, WB(s, w),
                                    s->lin_scratch, B, IN, OUT);
}

// ---- the backbone over all views ------------------------------------------------------------

// hw_backbone_forward: the n * views tiles of s->in -> s->act.emb (view-major); dropout when
// train
static int backbone_forward(hw_gpu_slenet *s, int n, int views, int mask, int train,
                            uint64_t rng_counter) {
    hw_gpu *g = s->g;
    acts *a = &s->act;
    const int N = n * views;
    const size_t F = (size_t)s->F, vn = (size_t)n;
    if (hw_gpu_prepare_inputs(g, &s->cfg, a->x, a->maxval, s->in, n, views, mask)) return -1;
    NnConv2dDims d1 = conv1_dims(s, N), d2 = conv2_dims(s, N);
    if (conv_forward(s, s->c1, a->x, a->xb, W1, B1, &d1)) return -1;
    if (gpu_maxpool2d_forward(g, a->p1, a->a1, s->c1, N, s->C1, s->CS1, s->CS1, 2, 2, 0)) return -1;
    if (conv_forward(s, s->c2, a->p1, a->p1b, W2, B2, &d2)) return -1;
    if (gpu_maxpool2d_forward(g, s->p2, a->a2, s->c2, N, s->C2, s->CS2, s->CS2, 2, 2, 0)) return -1;
    // item i of view v draws from rng_counter + (i views + v) F: per view, n rows of F
    // starting at rng_counter + v F, views F apart
    const float p = train ? s->cfg.dropout : 0.0f;
    for (int v = 0; v < views; v++) {
        const size_t r0 = v * vn * F;
        if (gpu_dropout_forward(g, a->drop + r0, a->dmask + r0, s->p2 + r0, p, s->dropout_seed,
                                rng_counter + v * F, vn, F, (uint64_t)views * F))
            return -1;
    }
    if (linear_forward(s, a->h1, a->drop, a->dropb, FC1W, FC1B, N, s->F, s->H1)) return -1;
    if (gpu_gelu_forward(g, a->g1, a->h1, (size_t)N * s->H1)) return -1;
    if (linear_forward(s, a->h2, a->g1, a->g1b, FC2W, FC2B, N, s->H1, s->D)) return -1;
    return gpu_gelu_forward(g, a->emb, a->h2, (size_t)N * s->D);
}

// hw_backbone_backward: from s->demb (view-major, as emb) into the parameter gradients
static int backbone_backward(hw_gpu_slenet *s, int n, int views) {
    hw_gpu *g = s->g;
    acts *a = &s->act;
    const int N = n * views;
    const size_t NN = (size_t)N, F = (size_t)s->F, fs = sizeof(float);
    if (hw_gpu_zero(g, s->dh2, NN * s->D * fs) ||
        gpu_gelu_backward(g, s->dh2, s->demb, a->h2, NN * s->D))
        return -1;
    if (hw_gpu_zero(g, s->dg1, NN * s->H1 * fs) ||
        linear_backward(s, s->dg1, FC2W, FC2B, s->dh2, a->g1, a->g1b, N, s->H1, s->D))
        return -1;
    if (hw_gpu_zero(g, s->dh1, NN * s->H1 * fs) || gpu_gelu_backward(g, s->dh1, s->dg1, a->h1, NN * s->H1))
        return -1;
    float *ddrop = s->c1; // conv1's output is free now; [N, F] fits in [N, C1, CS1, CS1]
    if (hw_gpu_zero(g, ddrop, NN * F * fs) ||
        linear_backward(s, ddrop, FC1W, FC1B, s->dh1, a->drop, a->dropb, N, s->F, s->H1))
        return -1;
    float *dp2 = s->p2;
    if (hw_gpu_zero(g, dp2, NN * F * fs) ||
        gpu_dropout_backward(g, dp2, ddrop, a->dmask, s->cfg.dropout, NN * F))
        return -1;
    const size_t nc2 = NN * s->C2 * s->CS2 * s->CS2, nc1 = NN * s->C1 * s->CS1 * s->CS1;
    if (hw_gpu_zero(g, s->c2, nc2 * fs) ||
        gpu_maxpool2d_backward(g, s->c2, dp2, a->a2, N, s->C2, s->CS2, s->CS2, 2, 2, 0))
        return -1;
    NnConv2dDims d1 = conv1_dims(s, N), d2 = conv2_dims(s, N);
    if (hw_gpu_zero(g, s->dp1, NN * s->C1 * s->P1 * s->P1 * fs) ||
        conv_backward(s, s->dp1, W2, B2, s->c2, a->p1, a->p1b, &d2))
        return -1;
    if (hw_gpu_zero(g, s->c1, nc1 * fs) ||
        gpu_maxpool2d_backward(g, s->c1, s->dp1, a->a1, N, s->C1, s->CS1, s->CS1, 2, 2, 0))
        return -1;
    // the tiles are data: no input gradient, none through the mask or normalisation
    return conv_backward(s, NULL, W1, B1, s->c1, a->x, a->xb, &d1);
}

// siamese_loss.c's run(): checks, the backbone over all views, the objective, backward when train
static int run(hw_gpu_slenet *s, const hw_batch *b, int train, uint64_t rng_counter,
               hw_step_stats *st) {
    memset(st, 0, sizeof *st);
    const hw_loss_kind loss = s->cfg.loss;
    hw_gpu *g = s->g;
    if (hw_gpu_objective_check(&s->cfg, b)) return -1;
    const int n = b->n, V = b->views;
    if (reserve(s, n, V)) return -1;
    const size_t S2 = (size_t)s->S * s->S;
    // tiles assembled on the device (gpu_batch.h) are read where they are; host tiles are
    // uploaded into the arena
    if (b->tiles_on_device) s->in = b->tiles;
    else if (hw_gpu_upload(s->g, s->tiles, b->tiles, (size_t)n * V * S2 * sizeof(float))) return -1;
    else s->in = s->tiles;
    // supcon calls forward_one directly: normalised, never masked (reference bug 17)
    const int mask = loss == HW_LOSS_SUPCON ? 0 : s->cfg.mask;
    if (cast_weights(s) || backbone_forward(s, n, V, mask, train, rng_counter)) return -1;
    int rc = hw_gpu_objective_run(g, &s->obj, s->act.emb, s->demb, b, train, st);
    if (rc || !train) return rc;
    return backbone_backward(s, n, V);
}

extern "C" int hw_gpu_slenet_train_step(hw_gpu_slenet *s, const hw_batch *b, uint64_t rng_counter,
                                        hw_step_stats *st) {
    return run(s, b, 1, rng_counter, st);
}

extern "C" int hw_gpu_slenet_eval_loss(hw_gpu_slenet *s, const hw_batch *b, hw_step_stats *st) {
    return run(s, b, 0, 0, st);
}

extern "C" int hw_gpu_slenet_embed(hw_gpu_slenet *s, const float *tiles, int n, float *emb, float *maps) {
    // hw_model_embed: evaluation mode, mask when cfg.mask, no L2 normalisation; in chunks so
    // the arena stays the size of a training batch's
    const int chunk = 64;
    const size_t S2 = (size_t)s->S * s->S;
    if (cast_weights(s)) return -1;
    for (int i0 = 0; i0 < n; i0 += chunk) {
        const int k = n - i0 < chunk ? n - i0 : chunk;
        if (reserve(s, k, 1)) return -1;
        s->in = s->tiles;
        if (hw_gpu_upload(s->g, s->tiles, tiles + (size_t)i0 * S2, (size_t)k * S2 * sizeof(float)) ||
            backbone_forward(s, k, 1, s->cfg.mask, 0, 0) ||
            hw_gpu_download(s->g, emb + (size_t)i0 * s->D, s->act.emb, (size_t)k * s->D * sizeof(float)) ||
            // the pooled conv2 maps linear.0 reads (hw_model_embed_maps), still fp32 here
            (maps && hw_gpu_download(s->g, maps + (size_t)i0 * s->F, s->p2, (size_t)k * s->F * sizeof(float))))
            return -1;
    }
    return 0;
}
