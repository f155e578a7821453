/* The GPU MaxViT (gpu_maxvit.h, through the GPU model table gpu_model.h) against the CPU
 * model (hw_model_train_step, src/model/maxvit.c) from the same parameters, BatchNorm
 * statistics, batch and stochastic-depth counter. Skips (77) without a device.
 *
 * Per configuration, 3 training steps; before each, the CPU's parameters and running
 * statistics are copied to the GPU, so each step compares one step's work from identical
 * weights, with a new counter (step << 40 plus a shard offset, as the trainer draws) and
 * global_n = 2n (a shard of a 2-rank batch). Stochastic depth is raised to 0.5 in the tiny
 * models so that some tiles drop a residual and some do not (the keep decisions are
 * bit-identical by construction: gpu_stochastic_depth, test_gpu_maxvit_ops). Bounds (fp32):
 *   loss, con_loss, ce_loss     |gpu - C| <= 1e-5 + 1e-4 |C|;  n_correct equal
 *   every gradient tensor       |gpu - C| <= 1e-3 |C| + 1e-3 max|C of the tensor|
 *                                            + 1e-5 max|C of all gradients|
 *   running statistics          |gpu - C| <= 1e-4 |C| + 1e-4 max|C of the tensor|
 *                                            + 1e-6 max|C of all statistics|
 *                               (every state tensor, after the step's train forward; the
 *                               floor for running means that are 0 in exact arithmetic, as
 *                               conv_a.1's after a BatchNorm with bias 0 and a bias-free
 *                               conv, ~1e-9 of rounding on both sides)
 * The gradient bound is test_gpu_slenet's (fp32 rounding in other orders: cuBLAS, cuDNN and
 * the twins' tree sums against OpenBLAS and the C loops, ~20 layers deep instead of 4), plus
 * a floor for the gradients that are exactly 0 in exact arithmetic (a BatchNorm bias in
 * front of a bias-free 1x1 convolution and another BatchNorm: MBConv's pre_norm.bias), where
 * both sides hold rounding noise of ~1e-9 (seen in the host dry run, docs/maxvit.md "On a
 * GPU"). A wrong index, offset, view split or counter is off by the tensor's own scale.
 * Then from the same weights and statistics:
 *   eval loss                   |gpu - C| <= 1e-4 + 1e-3 |C| (triplet's d_ap - d_an cancels)
 *   embeddings of 20 tiles      |gpu - C| <= 1e-4 |C| + 1e-4 max|C|   (two GPU chunks of 16)
 *   3 Adam steps (lr 1e-4), each side from its own gradients and weights, the same batches:
 *                               |gpu - C| <= 6 lr + 1e-4 |w|  (Adam moves a weight by about lr
 *                               a step whatever the gradient's size, so a gradient within
 *                               rounding of 0 may move the copies 2 lr apart per step)
 * A NaN tile fails with the CPU model's `model: non-finite loss` error; precision bf16 is
 * refused with its line. Reproducibility (a resumed `hitwin train --device cuda`): the same
 * step in two fresh contexts gives bit-identical losses, gradients and statistics.
 * Configurations: the tiny SMaxViT (tests/maxvit_tiny.h, image 56) with triplet, SMaxViTMulti
 * with contrastive + head (the default recipe's input) and with supcon over 4 views, and
 * maxvit_t itself at 224 with contrastive and one pair (2 tiles; the CPU side takes ~15 s).
 *
 * Checked without a GPU (docs/maxvit.md, "On a GPU"): this file and maxvit_cuda.c linked
 * against the C ops on host memory (tests/gpu/host_mock's approach) agree with the CPU model
 * within these bounds for the triplet cases (there the objective mock is triplet's only). */
#include "gpu_test_util.h"
#include "hitwin/gpu_model.h"
#include "hitwin/gpu_ops.h"
#include "hitwin/model.h"
#include "hitwin/nn.h"

#define S 56
#include "maxvit_tiny.h"

static NnRng g_rng;

/* dense Hi-C-like tiles: decay with the distance from the diagonal, noise, all > 0 */
static float *make_tiles(int n, int views, int side) {
    const size_t S2 = (size_t)side * side, total = (size_t)n * views * S2;
    float *t = (float *)malloc(total * sizeof(float));
    for (size_t k = 0; k < total; k++) {
        int r = (int)(k % S2 / side), c = (int)(k % side);
        float u = nn_rng_uniform(&g_rng);
        t[k] = (5.0f + 95.0f * u) / sqrtf(1.0f + (float)abs(r - c));
    }
    return t;
}

static double max_abs(const float *x, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

static int *make_labels(const hw_model_config *cfg, int n, int views) {
    const int nl = cfg->loss == HW_LOSS_SUPCON ? n * views : n;
    int *labels = (int *)malloc((size_t)nl * sizeof(int));
    for (int k = 0; k < nl; k++) labels[k] = cfg->loss == HW_LOSS_SUPCON ? (k % views) >= views / 2 : k % 2;
    return labels;
}

/* the CPU model's weights and statistics onto the GPU model */
static void copy_to_gpu(hw_gpu *g, hw_model *m, hw_gpu_model *gm) {
    size_t np, ns;
    float *params = hw_model_params(m, &np), *state = hw_model_state(m, &ns);
    GPU_OK(hw_gpu_upload(g, hw_gpu_model_params(gm, NULL), params, np * sizeof(float)));
    GPU_OK(hw_gpu_model_state_from_host(gm, state, ns));
}

static void compare_grads_and_state(hw_gpu *g, hw_model *m, hw_gpu_model *gm) {
    const hw_tensor *t, *st;
    const int nt = hw_model_tensors(m, &t), nst = hw_model_state_tensors(m, &st);
    size_t np, ns;
    float *grads = hw_model_grads(m, &np), *state = hw_model_state(m, &ns);
    float *hg = host_floats(g, hw_gpu_model_grads(gm, NULL), np);
    const double floor = 1e-5 * max_abs(grads, np);
    for (int k = 0; k < nt; k++)
        expect_close(t[k].name, hg + t[k].offset, grads + t[k].offset, t[k].numel, floor, 1e-3, 1e-3);
    float *hs = (float *)malloc((ns + 1) * sizeof(float));
    GPU_OK(hw_gpu_model_state_to_host(gm, hs, ns));
    const double sfloor = 1e-6 * max_abs(state, ns);
    for (int k = 0; k < nst; k++)
        expect_close(st[k].name, hs + st[k].offset, state + st[k].offset, st[k].numel, sfloor, 1e-4, 1e-4);
    free(hg), free(hs);
}

static void config_case(hw_gpu *g, const char *name, hw_model_config cfg, int n, int views, int steps) {
    printf("maxvit %s (image %d, %d items x %d views)\n", name, cfg.image_size, n, views);
    const uint64_t seed = 40004;
    hw_model *m = hw_model_create(&cfg, seed);
    if (!m) {
        fprintf(stderr, "%s\n", hw_error());
        test_failures++;
        return;
    }
    hw_gpu_model *gm = hw_gpu_model_create(g, m, seed);
    if (!gm) {
        fprintf(stderr, "%s\n", hw_error());
        test_failures++;
        hw_model_free(m);
        return;
    }
    CHECK(strcmp(hw_gpu_model_ops_of(gm)->name, hw_model_backbone_name(m)) == 0);
    /* bf16 is refused with its line; fp32 accepted */
    CHECK(hw_gpu_model_set_precision(gm, 1) == -1);
    printf(" bf16: %s\n", hw_error());
    CHECK(strstr(hw_error(), "runs in fp32 only on the GPU") != NULL);
    GPU_OK(hw_gpu_model_set_precision(gm, 0));
    size_t np, ns;
    float *params = hw_model_params(m, &np), *grads = hw_model_grads(m, NULL);
    hw_model_state(m, &ns);
    int *labels = make_labels(&cfg, n, views);
    const uint64_t F = hw_model_dropout_draws_per_tile(m);
    for (int step = 1; step <= steps; step++) {
        float *tiles = make_tiles(n, views, cfg.image_size);
        hw_batch b = {n, views, 2 * n, tiles, labels, 0, NULL};
        const uint64_t counter = ((uint64_t)step << 40) + (uint64_t)n * views * F;
        hw_step_stats sc, sg;
        copy_to_gpu(g, m, gm);
        hw_model_zero_grad(m);
        GPU_OK(hw_gpu_model_zero_grad(gm));
        if (hw_model_train_step(m, &b, counter, &sc)) {
            fprintf(stderr, "CPU step: %s\n", hw_error());
            test_failures++;
            free(tiles);
            break;
        }
        GPU_OK(hw_gpu_model_train_step(gm, &b, counter, &sg));
        printf(" step %d: loss C %.7g gpu %.7g, n_correct C %d gpu %d\n", step, sc.loss, sg.loss, sc.n_correct,
               sg.n_correct);
        float lc[3] = {(float)sc.loss, (float)sc.con_loss, (float)sc.ce_loss};
        float lg[3] = {(float)sg.loss, (float)sg.con_loss, (float)sg.ce_loss};
        expect_close("loss, con_loss, ce_loss", lg, lc, 3, 1e-5, 1e-4, 0.0);
        CHECK_INT_EQ(sg.n_correct, sc.n_correct);
        compare_grads_and_state(g, m, gm); /* both models' statistics moved by the same step */
        free(tiles);
    }
    /* evaluation mode from the same weights and statistics */
    {
        copy_to_gpu(g, m, gm);
        float *tiles = make_tiles(n, views, cfg.image_size);
        hw_batch b = {n, views, n, tiles, labels, 0, NULL};
        hw_step_stats sc, sg;
        if (hw_model_eval_loss(m, &b, &sc)) {
            fprintf(stderr, "CPU eval: %s\n", hw_error());
            test_failures++;
        } else {
            GPU_OK(hw_gpu_model_eval_loss(gm, &b, &sg));
            float lc[3] = {(float)sc.loss, (float)sc.con_loss, (float)sc.ce_loss};
            float lg[3] = {(float)sg.loss, (float)sg.con_loss, (float)sg.ce_loss};
            expect_close("eval loss, con_loss, ce_loss", lg, lc, 3, 1e-4, 1e-3, 0.0);
        }
        free(tiles);
        const int ne = cfg.image_size > 100 ? 3 : 20, D = hw_model_embed_dim(m);
        tiles = make_tiles(ne, 1, cfg.image_size);
        float *ec = (float *)malloc((size_t)ne * D * sizeof(float)), *eg = (float *)malloc((size_t)ne * D * sizeof(float));
        int mc, mp;
        hw_model_head_maps_shape(m, &mc, &mp);
        const size_t nm = (size_t)ne * mc * mp;
        float *mcpu = (float *)malloc(nm * sizeof(float)), *mgpu = (float *)malloc(nm * sizeof(float));
        hw_model_embed_maps(m, tiles, ne, ec, mcpu);
        GPU_OK(hw_gpu_model_embed(gm, tiles, ne, eg, mgpu));
        expect_close("embeddings", eg, ec, (size_t)ne * D, 0.0, 1e-4, 1e-4);
        expect_close("head maps (the last stage's output)", mgpu, mcpu, nm, 0.0, 1e-4, 1e-4);
        free(mcpu), free(mgpu);
        /* the evaluation forwards left the statistics alone */
        float *hs = (float *)malloc((ns + 1) * sizeof(float));
        GPU_OK(hw_gpu_model_state_to_host(gm, hs, ns));
        expect_close("statistics after evaluation", hs, hw_model_state(m, NULL), ns, 0.0, 0.0, 0.0);
        free(tiles), free(ec), free(eg), free(hs);
    }
    /* 3 Adam steps on each side from its own weights and gradients, the same batches */
    if (cfg.image_size < 100) {
        copy_to_gpu(g, m, gm);
        hw_optim o;
        hw_gpu_optim go;
        const float lr = 1e-4f;
        hw_optim_init(&o, HW_OPTIM_ADAM, lr, np);
        GPU_OK(hw_gpu_optim_init(g, &go, HW_OPTIM_ADAM, lr, np));
        float *d_params = hw_gpu_model_params(gm, NULL), *d_grads = hw_gpu_model_grads(gm, NULL);
        for (int step = 1; step <= 3; step++) {
            float *tiles = make_tiles(n, views, cfg.image_size);
            hw_batch b = {n, views, n, tiles, labels, 0, NULL};
            const uint64_t counter = (uint64_t)(10 + step) << 40;
            hw_step_stats sc, sg;
            hw_model_zero_grad(m);
            GPU_OK(hw_gpu_model_zero_grad(gm));
            if (hw_model_train_step(m, &b, counter, &sc) == 0) hw_optim_step(&o, params, grads);
            GPU_OK(hw_gpu_model_train_step(gm, &b, counter, &sg));
            GPU_OK(hw_gpu_optim_step(g, &go, d_params, d_grads));
            printf(" Adam step %d: loss C %.7g gpu %.7g\n", step, sc.loss, sg.loss);
            free(tiles);
        }
        float *hp = host_floats(g, d_params, np);
        expect_close("params after 3 Adam steps", hp, params, np, 6 * lr, 1e-4, 0.0);
        free(hp);
        hw_optim_free(&o);
        hw_gpu_optim_free(&go);
    }
    /* a NaN in a tile: the CPU model's error, not a crash and not a silent NaN */
    {
        float *tiles = make_tiles(n, views, cfg.image_size);
        tiles[cfg.image_size * 7 + 20] = NAN;
        hw_batch b = {n, views, n, tiles, labels, 0, NULL};
        hw_step_stats st;
        CHECK(hw_gpu_model_train_step(gm, &b, 0, &st) == -1);
        printf(" NaN tile: %s\n", hw_error());
        CHECK(strncmp(hw_error(), "model: non-finite loss", 22) == 0);
        free(tiles);
    }
    free(labels);
    hw_gpu_model_free(gm);
    hw_model_free(m);
}

/* The same step in two fresh contexts (own handles, own conv plans): identical bits. */
static void repro_case(const char *name, hw_model_config cfg, int n, int views) {
    printf("reproducible %s (image %d, %d items)\n", name, cfg.image_size, n);
    const uint64_t seed = 40004;
    hw_model *m = hw_model_create(&cfg, seed);
    float *tiles = make_tiles(n, views, cfg.image_size);
    int *labels = make_labels(&cfg, n, views);
    hw_batch b = {n, views, n, tiles, labels, 0, NULL};
    size_t np, ns;
    hw_model_params(m, &np);
    hw_model_state(m, &ns);
    float *grads[2], *state[2];
    double loss[2];
    for (int r = 0; r < 2; r++) {
        hw_gpu *g = hw_gpu_create(0);
        if (!g) {
            fprintf(stderr, "%s\n", hw_error());
            exit(1);
        }
        hw_gpu_model *gm = hw_gpu_model_create(g, m, seed);
        if (!gm) {
            fprintf(stderr, "%s\n", hw_error());
            exit(1);
        }
        hw_step_stats st;
        GPU_OK(hw_gpu_model_zero_grad(gm));
        GPU_OK(hw_gpu_model_train_step(gm, &b, (uint64_t)1 << 40, &st));
        loss[r] = st.loss;
        grads[r] = host_floats(g, hw_gpu_model_grads(gm, NULL), np);
        state[r] = (float *)malloc((ns + 1) * sizeof(float));
        GPU_OK(hw_gpu_model_state_to_host(gm, state[r], ns));
        hw_gpu_model_free(gm);
        hw_gpu_destroy(g);
    }
    CHECK(memcmp(&loss[0], &loss[1], sizeof(double)) == 0);
    CHECK(memcmp(grads[0], grads[1], np * sizeof(float)) == 0);
    CHECK(memcmp(state[0], state[1], ns * sizeof(float)) == 0);
    printf(" losses %.9g and %.9g, gradients and statistics %s\n", loss[0], loss[1],
           memcmp(grads[0], grads[1], np * sizeof(float)) || memcmp(state[0], state[1], ns * sizeof(float))
               ? "DIFFER"
               : "bit-identical");
    for (int r = 0; r < 2; r++) free(grads[r]), free(state[r]);
    free(tiles), free(labels);
    hw_model_free(m);
}

int main(void) {
    GPU_SKIP_IF_NO_DEVICE();
    hw_gpu *g = gpu_test_open();
    if (!g) return 1;
    nn_rng_init(&g_rng, 78);
    hw_model_config c = tiny_cfg();
    c.maxvit.stochastic_depth = 0.5f;
    config_case(g, "SMaxViT tiny, triplet", c, 2, 3, 3);
    c = tiny_cfg();
    c.maxvit.stochastic_depth = 0.5f;
    c.backbone = HW_BACKBONE_SMAXVIT_MULTI;
    c.loss = HW_LOSS_CONTRASTIVE, c.margin = 2.0f, c.bias = 2.0f;
    c.input_transform = HW_INPUT_LOG1P, c.norm_region = HW_NORM_OFFDIAG;
    config_case(g, "SMaxViTMulti tiny, contrastive + head (log1p, offdiag)", c, 3, 2, 3);
    c = tiny_cfg();
    c.maxvit.stochastic_depth = 0.5f;
    c.backbone = HW_BACKBONE_SMAXVIT_MULTI;
    c.loss = HW_LOSS_SUPCON, c.temperature = 0.07f;
    config_case(g, "SMaxViTMulti tiny, supcon, 4 views", c, 2, 4, 3);
    c = tiny_cfg();
    c.maxvit.stochastic_depth = 0.5f;
    repro_case("SMaxViT tiny, triplet", c, 2, 3);
    /* maxvit_t at 224, one pair (2 tiles): the full-size shapes (head_dim 32, 4 blocks).
     * Contrastive, not triplet: one triplet of maxvit_t at initialisation already satisfies
     * its margin (loss 0, no gradient to compare; seen in the host dry run) */
    c = (hw_model_config){.image_size = 224, .mask = 1, .loss = HW_LOSS_CONTRASTIVE, .margin = 2.0f,
                          .bias = 2.0f, .backbone = HW_BACKBONE_SMAXVIT};
    config_case(g, "SMaxViT (maxvit_t), contrastive + head", c, 1, 2, 1);
    hw_gpu_destroy(g);
    return TEST_RESULT();
}
