/* The GPU SLeNet training step (gpu_slenet.h) against the CPU model's (hw_model_train_step)
 * from the same parameters, batch and dropout counter. Skips (77) without a device.
 *
 * Per configuration, 3 steps; before each, the CPU's parameters are copied to the GPU, so
 * each step compares one step's work from identical weights, with a new dropout counter
 * (step << 40, and a shard offset, as the trainer draws) and global_n = 2n (a shard of a
 * 2-rank batch):
 *   loss, con_loss, ce_loss   |gpu - C| <= 1e-5 + 1e-4 |C|
 *   n_correct                 equal
 *   every gradient tensor     |gpu - C| <= 1e-3 |C| + 1e-3 max|C of the tensor|
 * The gradient bound covers fp32 rounding carried through 4 layers forward and back
 * (cuDNN's FFT/Winograd algorithms included); a wrong index, factor, mask or missing
 * accumulation is off by the tensor's own scale. Dropout masks are bit-identical by
 * construction (test_gpu_ops), so no sampling noise enters. The tiles are dense (no exact
 * zeros off the band), so max-pool windows have no exact ties that rounding could break
 * differently on the two sides.
 * After the last step one Adam step runs on each side from its own gradients; weights must
 * agree within 2 lr + 1e-5 |w|: Adam's first step moves a weight by lr sign(g), so a gradient
 * within rounding of 0 may move the two copies lr apart in opposite directions.
 * Then, from the same weights: hw_gpu_slenet_eval_loss against hw_model_eval_loss (loss
 * bound as above) and hw_gpu_slenet_embed against hw_model_embed on 70 tiles (two GPU chunks),
 * |gpu - C| <= 1e-4 |C| + 1e-4 max|C|.
 * A tile with a NaN must fail on the GPU with the CPU model's message.
 * Configurations: contrastive (default recipe; reference input with logits CE; OE without
 * mask at 32; 224), triplet, supcon with 4 views (one position has an anchor without
 * positives).
 * Reproducibility (what a resumed `hitwin train --device cuda` relies on): two contexts, each
 * with its own cuDNN plans chosen afresh, run the same step from the same weights: losses
 * and every gradient bit-identical.
 *
 * bf16 mode (hw_gpu_slenet_set_precision(s, 1), docs/gpu.md "Precision") against the same
 * fp32 CPU step: every bf16 rounding (weights, layer inputs, conv outputs, the conv
 * gradients, dout of each layer) is a relative error of at most 2^-9 = 2e-3, four layers
 * deep forward and back, so the bounds are an order looser than one rounding:
 *   loss, con_loss, ce_loss   |gpu - C| <= 1e-4 + 2e-2 |C|
 *   every gradient tensor     |gpu - C| <= 2e-2 max|C of the tensor|
 *   embeddings (eval)         |gpu - C| <= 2e-2 max|C|
 *   n_correct                 printed, not compared: an item whose two class probabilities
 *                             are within bf16 rounding of each other may count either way
 * (Adam step and NaN tile as in fp32: Adam's first step is lr sign(g) either way.)
 * 10 steps (contrastive, default recipe at 40, Adam lr 1e-4, each side updating its own
 * weights from its own gradients, the same batches and dropout counters): the 10 losses
 * within 1e-3 + 3e-2 |C| (the per-step bound plus what 10 steps of drift add; a guess to
 * tighten on the first GPU run).
 * Switching: fp32 step, bf16 step, fp32 step again from the same weights and batch: the
 * bf16 loss differs from the fp32 one in its bits (bf16 really ran) and the second fp32 step
 * repeats the first bit for bit (the arena laid out again). Reproducibility in bf16 as in
 * fp32: two fresh contexts, identical bits. */
#include "gpu_test_util.h"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_slenet.h"
#include "hitwin/model.h"
#include "hitwin/nn.h"

typedef struct {
    double atol, rtol, stol; /* expect_close's |gpu - C| <= atol + rtol |C| + stol max|C| */
} tol;
static const tol LOSS_FP32 = {1e-5, 1e-4, 0.0}, GRAD_FP32 = {0.0, 1e-3, 1e-3},
                 EMB_FP32 = {0.0, 1e-4, 1e-4};
static const tol LOSS_BF16 = {1e-4, 2e-2, 0.0}, GRAD_BF16 = {0.0, 0.0, 2e-2},
                 EMB_BF16 = {0.0, 0.0, 2e-2}, TRAJECTORY_BF16 = {1e-3, 3e-2, 0.0};
#define EXPECT(what, gpu, ref, n, t) expect_close(what, gpu, ref, n, (t).atol, (t).rtol, (t).stol)

static NnRng g_rng;

/* dense Hi-C-like tiles: decay with the distance from the diagonal, noise, all > 0 */
static float *make_tiles(int n, int views, int S) {
    const size_t S2 = (size_t)S * S, total = (size_t)n * views * S2;
    float *t = (float *)malloc(total * sizeof(float));
    for (size_t k = 0; k < total; k++) {
        int r = (int)(k % S2 / S), c = (int)(k % S);
        float u = nn_rng_uniform(&g_rng);
        t[k] = (5.0f + 95.0f * u) / sqrtf(1.0f + (float)abs(r - c));
    }
    return t;
}

static void config_case(hw_gpu *g, const char *name, hw_model_config cfg, int n, int views,
                        int bf16) {
    printf("slenet %s%s (image %d, %d items)\n", bf16 ? "bf16, " : "", name, cfg.image_size, n);
    const tol loss_tol = bf16 ? LOSS_BF16 : LOSS_FP32, grad_tol = bf16 ? GRAD_BF16 : GRAD_FP32;
    const tol emb_tol = bf16 ? EMB_BF16 : EMB_FP32;
    const uint64_t seed = 30004;
    hw_model *m = hw_model_create(&cfg, seed);
    if (!m) {
        fprintf(stderr, "%s\n", hw_error());
        test_failures++;
        return;
    }
    hw_gpu_slenet *s = hw_gpu_slenet_create(g, m, seed);
    if (!s) {
        fprintf(stderr, "%s\n", hw_error());
        test_failures++;
        hw_model_free(m);
        return;
    }
    GPU_OK(hw_gpu_slenet_set_precision(s, bf16));
    CHECK_INT_EQ(hw_gpu_slenet_precision_bf16(s), bf16);
    const hw_tensor *t;
    const int nt = hw_model_tensors(m, &t);
    size_t np;
    float *params = hw_model_params(m, &np), *grads = hw_model_grads(m, NULL);
    float *d_params = hw_gpu_slenet_params(s, NULL), *d_grads = hw_gpu_slenet_grads(s, NULL);
    /* contrastive: pair labels 0/1; supcon: per view, two classes, and at position 1 a class
     * seen once (an anchor without positives) */
    const int nl = cfg.loss == HW_LOSS_SUPCON ? n * views : n;
    int *labels = (int *)malloc((size_t)nl * sizeof(int));
    for (int k = 0; k < nl; k++) labels[k] = cfg.loss == HW_LOSS_SUPCON ? (k % views) >= views / 2 : k % 2;
    if (cfg.loss == HW_LOSS_SUPCON) labels[views + views / 2 - 1] = 1;
    const uint64_t F = hw_model_dropout_draws_per_tile(m);
    for (int step = 1; step <= 3; step++) {
        float *tiles = make_tiles(n, views, cfg.image_size);
        hw_batch b = {n, views, 2 * n, tiles, labels, 0, NULL};
        /* this shard is the second half of the global batch, as rank 1 of 2 draws */
        const uint64_t counter = ((uint64_t)step << 40) + (uint64_t)n * views * F;
        hw_step_stats sc, sg;
        GPU_OK(hw_gpu_upload(g, d_params, params, np * sizeof(float)));
        hw_model_zero_grad(m);
        GPU_OK(hw_gpu_slenet_zero_grad(s));
        if (hw_model_train_step(m, &b, counter, &sc)) {
            fprintf(stderr, "CPU step: %s\n", hw_error());
            test_failures++;
            free(tiles);
            break;
        }
        GPU_OK(hw_gpu_slenet_train_step(s, &b, counter, &sg));
        printf(" step %d: loss C %.7g gpu %.7g, n_correct C %d gpu %d\n", step, sc.loss, sg.loss,
               sc.n_correct, sg.n_correct);
        float lc[3] = {(float)sc.loss, (float)sc.con_loss, (float)sc.ce_loss};
        float lg[3] = {(float)sg.loss, (float)sg.con_loss, (float)sg.ce_loss};
        EXPECT("loss, con_loss, ce_loss", lg, lc, 3, loss_tol);
        if (!bf16) CHECK_INT_EQ(sg.n_correct, sc.n_correct);
        float *hg = host_floats(g, d_grads, np);
        for (int k = 0; k < nt; k++)
            EXPECT(t[k].name, hg + t[k].offset, grads + t[k].offset, t[k].numel, grad_tol);
        free(hg);
        free(tiles);
    }
    /* evaluation mode (no dropout, no gradients) from the same weights */
    {
        float *tiles = make_tiles(n, views, cfg.image_size);
        hw_batch b = {n, views, n, tiles, labels, 0, NULL};
        hw_step_stats sc, sg;
        if (hw_model_eval_loss(m, &b, &sc)) {
            fprintf(stderr, "CPU eval: %s\n", hw_error());
            test_failures++;
        } else {
            GPU_OK(hw_gpu_slenet_eval_loss(s, &b, &sg));
            float lc[3] = {(float)sc.loss, (float)sc.con_loss, (float)sc.ce_loss};
            float lg[3] = {(float)sg.loss, (float)sg.con_loss, (float)sg.ce_loss};
            EXPECT("eval loss, con_loss, ce_loss", lg, lc, 3, loss_tol);
            if (!bf16) CHECK_INT_EQ(sg.n_correct, sc.n_correct);
        }
        free(tiles);
        /* embeddings of 70 tiles: two chunks of the GPU's 64 */
        const int ne = 70;
        const int D = hw_model_embed_dim(m);
        tiles = make_tiles(ne, 1, cfg.image_size);
        float *ec = (float *)malloc((size_t)ne * D * sizeof(float)), *eg = (float *)malloc((size_t)ne * D * sizeof(float));
        int mc, mp;
        hw_model_head_maps_shape(m, &mc, &mp);
        const size_t nm = (size_t)ne * mc * mp;
        float *mcpu = (float *)malloc(nm * sizeof(float)), *mgpu = (float *)malloc(nm * sizeof(float));
        hw_model_embed_maps(m, tiles, ne, ec, mcpu);
        GPU_OK(hw_gpu_slenet_embed(s, tiles, ne, eg, mgpu));
        EXPECT("embeddings", eg, ec, (size_t)ne * D, emb_tol);
        /* the maps the distance's `maps` measure compares (conv2 pooled): the convolutions
         * run in bf16 in the bf16 mode, so the embeddings' tolerance */
        EXPECT("head maps", mgpu, mcpu, nm, emb_tol);
        free(tiles), free(ec), free(eg), free(mcpu), free(mgpu);
    }
    /* one Adam step each, from each side's gradients of the last step */
    hw_optim o;
    hw_gpu_optim go;
    hw_optim_init(&o, HW_OPTIM_ADAM, 1e-4f, np);
    GPU_OK(hw_gpu_optim_init(g, &go, HW_OPTIM_ADAM, 1e-4f, np));
    hw_optim_step(&o, params, grads);
    GPU_OK(hw_gpu_optim_step(g, &go, d_params, d_grads));
    float *hp = host_floats(g, d_params, np);
    expect_close("params after one Adam step", hp, params, np, 2e-4, 1e-5, 0.0);
    free(hp);
    hw_optim_free(&o);
    hw_gpu_optim_free(&go);

    /* a NaN in a tile: the CPU model's error, not a crash and not a silent NaN */
    float *tiles = make_tiles(n, views, cfg.image_size);
    tiles[cfg.image_size * 7 + 20] = NAN;
    hw_batch b = {n, views, n, tiles, labels, 0, NULL};
    hw_step_stats st;
    int rc = hw_gpu_slenet_train_step(s, &b, 0, &st);
    CHECK(rc == -1);
    printf(" NaN tile: %s\n", hw_error());
    CHECK(strncmp(hw_error(), "model: non-finite loss", 22) == 0);
    free(tiles);
    free(labels);
    hw_gpu_slenet_free(s);
    hw_model_free(m);
}

/* The same step in two fresh contexts (own handles, own conv plans): identical bits. */
static void repro_case(const char *name, hw_model_config cfg, int n, int views, int bf16) {
    printf("reproducible %s%s (image %d, %d items)\n", bf16 ? "bf16, " : "", name, cfg.image_size, n);
    const uint64_t seed = 30004;
    hw_model *m = hw_model_create(&cfg, seed);
    float *tiles = make_tiles(n, views, cfg.image_size);
    int *labels = (int *)calloc((size_t)n * views, sizeof(int));
    for (int i = 0; i < n * views; i++) labels[i] = i % 2;
    hw_batch b = {n, views, 2 * n, tiles, labels, 0, NULL};
    float *grads[2] = {NULL, NULL};
    hw_step_stats st[2];
    size_t np = 0;
    for (int k = 0; k < 2; k++) {
        hw_gpu *g = hw_gpu_create(0);
        if (!g) {
            fprintf(stderr, "%s\n", hw_error());
            exit(1);
        }
        hw_gpu_slenet *s = hw_gpu_slenet_create(g, m, seed);
        if (!s) {
            fprintf(stderr, "%s\n", hw_error());
            exit(1);
        }
        GPU_OK(hw_gpu_slenet_set_precision(s, bf16));
        GPU_OK(hw_gpu_slenet_zero_grad(s));
        GPU_OK(hw_gpu_slenet_train_step(s, &b, (7ULL << 40) + 3, &st[k]));
        const float *dg = hw_gpu_slenet_grads(s, &np);
        grads[k] = host_floats(g, dg, np);
        hw_gpu_slenet_free(s);
        hw_gpu_destroy(g);
    }
    double l0 = st[0].loss, l1 = st[1].loss;
    expect_same_bits("loss", &l1, &l0, sizeof l0, sizeof l0);
    expect_same_bits("gradients", grads[1], grads[0], np * sizeof(float), sizeof(float));
    free(grads[0]);
    free(grads[1]);
    free(tiles);
    free(labels);
    hw_model_free(m);
}

/* 10 steps in bf16 against 10 CPU steps, each side with its own weights and Adam. */
static void trajectory_case(hw_gpu *g, const char *name, hw_model_config cfg, int n, int views) {
    printf("10 steps, bf16 GPU against the CPU: %s (image %d, %d items)\n", name, cfg.image_size, n);
    const uint64_t seed = 30004;
    hw_model *m = hw_model_create(&cfg, seed);
    hw_gpu_slenet *s = m ? hw_gpu_slenet_create(g, m, seed) : NULL;
    if (!s) {
        fprintf(stderr, "%s\n", hw_error());
        exit(1);
    }
    GPU_OK(hw_gpu_slenet_set_precision(s, 1));
    size_t np;
    float *params = hw_model_params(m, &np), *grads = hw_model_grads(m, NULL);
    float *d_params = hw_gpu_slenet_params(s, NULL), *d_grads = hw_gpu_slenet_grads(s, NULL);
    hw_optim o;
    hw_gpu_optim go;
    hw_optim_init(&o, HW_OPTIM_ADAM, 1e-4f, np);
    GPU_OK(hw_gpu_optim_init(g, &go, HW_OPTIM_ADAM, 1e-4f, np));
    int *labels = (int *)malloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) labels[i] = i % 2;
    float lc[10], lg[10];
    for (int step = 0; step < 10; step++) {
        float *tiles = make_tiles(n, views, cfg.image_size);
        hw_batch b = {n, views, n, tiles, labels, 0, NULL};
        const uint64_t counter = (uint64_t)(step + 1) << 40;
        hw_step_stats sc, sg;
        hw_model_zero_grad(m);
        GPU_OK(hw_gpu_slenet_zero_grad(s));
        if (hw_model_train_step(m, &b, counter, &sc)) {
            fprintf(stderr, "CPU step: %s\n", hw_error());
            exit(1);
        }
        GPU_OK(hw_gpu_slenet_train_step(s, &b, counter, &sg));
        hw_optim_step(&o, params, grads);
        GPU_OK(hw_gpu_optim_step(g, &go, d_params, d_grads));
        lc[step] = (float)sc.loss, lg[step] = (float)sg.loss;
        printf(" step %2d: loss C %.7g gpu %.7g\n", step + 1, sc.loss, sg.loss);
        free(tiles);
    }
    EXPECT("10 losses", lg, lc, 10, TRAJECTORY_BF16);
    hw_optim_free(&o);
    hw_gpu_optim_free(&go);
    free(labels);
    hw_gpu_slenet_free(s);
    hw_model_free(m);
}

/* fp32, bf16, fp32 again from the same weights and batch: bf16 differs, fp32 repeats. */
static void switch_case(hw_gpu *g, hw_model_config cfg, int n) {
    printf("precision switch fp32 -> bf16 -> fp32 (image %d, %d items)\n", cfg.image_size, n);
    const uint64_t seed = 30004;
    hw_model *m = hw_model_create(&cfg, seed);
    hw_gpu_slenet *s = m ? hw_gpu_slenet_create(g, m, seed) : NULL;
    if (!s) {
        fprintf(stderr, "%s\n", hw_error());
        exit(1);
    }
    float *tiles = make_tiles(n, 2, cfg.image_size);
    int *labels = (int *)malloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) labels[i] = i % 2;
    hw_batch b = {n, 2, n, tiles, labels, 0, NULL};
    hw_step_stats st[3];
    float *grads[3];
    size_t np = 0;
    for (int k = 0; k < 3; k++) {
        GPU_OK(hw_gpu_slenet_set_precision(s, k == 1));
        GPU_OK(hw_gpu_slenet_zero_grad(s));
        GPU_OK(hw_gpu_slenet_train_step(s, &b, 5ULL << 40, &st[k]));
        const float *dg = hw_gpu_slenet_grads(s, &np);
        grads[k] = host_floats(g, dg, np);
        printf(" %s: loss %.9g\n", k == 1 ? "bf16" : "fp32", st[k].loss);
    }
    CHECK(st[1].loss != st[0].loss);
    float l0 = (float)st[0].loss, l1 = (float)st[1].loss;
    EXPECT("bf16 loss against fp32", &l1, &l0, 1, LOSS_BF16);
    expect_same_bits("fp32 loss again", &st[2].loss, &st[0].loss, sizeof(double), sizeof(double));
    expect_same_bits("fp32 gradients again", grads[2], grads[0], np * sizeof(float), sizeof(float));
    for (int k = 0; k < 3; k++) free(grads[k]);
    free(tiles), free(labels);
    hw_gpu_slenet_free(s);
    hw_model_free(m);
}

static hw_model_config base_config(void) {
    hw_model_config c;
    memset(&c, 0, sizeof c);
    c.image_size = 40;
    c.mask = 1;
    c.dropout = 0.5f;
    c.loss = HW_LOSS_CONTRASTIVE;
    c.ce_form = HW_CE_REFERENCE;
    c.bias = 2.0f;
    c.margin = NN_CONTRASTIVE_MARGIN;
    c.temperature = NN_SINCERE_TEMPERATURE;
    c.input_transform = HW_INPUT_LOG1P;
    c.norm_region = HW_NORM_OFFDIAG;
    return c;
}

int main(void) {
    GPU_SKIP_IF_NO_DEVICE();
    hw_gpu *g = hw_gpu_create(0);
    if (!g) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    nn_rng_init(&g_rng, 77);
    hw_model_config c = base_config();
    config_case(g, "contrastive, default recipe (log1p, offdiag, reference CE)", c, 6, 2, 0);
    c = base_config();
    c.input_transform = HW_INPUT_NONE, c.norm_region = HW_NORM_WHOLE, c.ce_form = HW_CE_LOGITS;
    config_case(g, "contrastive, reference input, logits CE", c, 5, 2, 0);
    c = base_config();
    c.input_transform = HW_INPUT_OE, c.norm_region = HW_NORM_WHOLE, c.mask = 0, c.image_size = 32;
    config_case(g, "contrastive, OE input, no mask, 32", c, 4, 2, 0);
    c = base_config();
    c.input_transform = HW_INPUT_OE, c.norm_region = HW_NORM_NONE;
    config_case(g, "contrastive, OE input undivided (the edits recipe)", c, 4, 2, 0);
    c = base_config();
    c.input_transform = HW_INPUT_OE, c.norm_region = HW_NORM_NONE, c.smooth = 1;
    config_case(g, "contrastive, smoothed counts (smooth 1), OE undivided", c, 4, 2, 0);
    c = base_config();
    c.input_transform = HW_INPUT_OE_BALANCED, c.norm_region = HW_NORM_NONE, c.smooth = 1;
    config_case(g, "contrastive, balanced OE undivided, smooth 1", c, 4, 2, 0);
    c = base_config();
    c.input_transform = HW_INPUT_OE_BALANCED, c.norm_region = HW_NORM_NONE, c.image_size = 224;
    config_case(g, "contrastive, balanced OE undivided at 224", c, 3, 2, 0);
    c = base_config();
    c.smooth = 3;
    config_case(g, "contrastive, smoothed counts (smooth 3), log1p offdiag", c, 3, 2, 0);
    c = base_config();
    c.loss = HW_LOSS_TRIPLET, c.margin = NN_TRIPLET_MARGIN;
    config_case(g, "triplet", c, 4, 3, 0);
    c = base_config();
    c.image_size = 224;
    config_case(g, "contrastive at 224", c, 3, 2, 0);
    c = base_config();
    c.loss = HW_LOSS_SUPCON;
    config_case(g, "supcon, 4 views", c, 3, 4, 0);
    c = base_config();
    repro_case("contrastive at 40", c, 8, 2, 0);
    c = base_config();
    c.image_size = 224;
    repro_case("contrastive at 224", c, 4, 2, 0);

    /* bf16 mode */
    c = base_config();
    config_case(g, "contrastive, default recipe (log1p, offdiag, reference CE)", c, 6, 2, 1);
    c = base_config();
    c.loss = HW_LOSS_TRIPLET, c.margin = NN_TRIPLET_MARGIN;
    config_case(g, "triplet", c, 4, 3, 1);
    c = base_config();
    c.loss = HW_LOSS_SUPCON;
    config_case(g, "supcon, 4 views", c, 3, 4, 1);
    c = base_config();
    c.image_size = 224;
    config_case(g, "contrastive at 224", c, 3, 2, 1);
    c = base_config();
    c.dropout = 0.0f; /* the default recipe's */
    trajectory_case(g, "contrastive, default recipe", c, 6, 2);
    c = base_config();
    switch_case(g, c, 6);
    c = base_config();
    c.image_size = 224;
    repro_case("contrastive at 224", c, 4, 2, 1);
    GPU_OK(hw_gpu_sync(g));
    hw_gpu_destroy(g);
    return TEST_RESULT();
}
