/* MaxViT's saliency hooks (src/model/maxvit.c, saliency.h) on a tiny model (S = 56, stem 8,
 * blocks [8, 16] x [1, 2], head_dim 4), SMaxViT and SMaxViTMulti, weights 5x their
 * initialisation (so that two tiles' embeddings differ clearly) and the running statistics of
 * one training forward, so that evaluation mode is a real model's:
 *  - the input gradient of the pairwise distance against central finite differences at 12
 *    input pixels (the 6 of largest |gradient| among 400 random unmasked ones, and 6 random),
 *    h = 1e-2 on inputs in [0, 1], in double from float forwards:
 *        |analytic - fd| <= 2e-4 max|g| + 2e-2 |fd|
 *    (truncation ~h^2 |D'''| / 6 and the float forward's ~1e-7 relative noise / h both far
 *    below it); a gradient 5 % too long must fail at every one of the 6 largest pixels;
 *  - the call leaves the parameter gradients and the running statistics as they were (a
 *    train-mode backward would have used batch statistics, and accumulated into the grads);
 *  - its distance equals D(embedding, other) of an evaluation forward (rel 1e-5);
 *  - the feature map: block 0's output, 8 maps of 14 x 14 (S / 4) registered at stride 4,
 *    offset 0, finite and not all zero;
 *  - IG completeness: hw_ig_map's attributions sum to D(e1, e2) - D(e, e) within 2 % of D12
 *    at 100 steps (as SLeNet's in test_saliency), the error smaller than at 10 steps;
 *  - both directions on one path (hw_ig_map) against each on its own (hw_ig_map_two_paths)
 *    within 1e-4 of the map's largest value. */
#include "hitwin/error.h"
#include "hitwin/model.h"
#include "hitwin/saliency.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S 56
#define N_FD 12

static float frand(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((*s >> 40) & 0xFFFFFF) / 16777216.0f;
}

static void make_tile(float *t, uint64_t seed, int loop) {
    for (int i = 0; i < S; i++)
        for (int j = i; j < S; j++) {
            float v = 50.0f / (1.0f + (float)(j - i)) * (0.5f + frand(&seed)) + 3.0f * frand(&seed);
            if (loop && abs(i - 20) < 3 && abs(j - 40) < 3) v += 30.0f;
            t[i * S + j] = t[j * S + i] = v;
        }
}

static hw_model *tiny(hw_backbone_kind kind) {
    hw_model_config c = {.image_size = S, .mask = 1, .loss = HW_LOSS_TRIPLET, .margin = 1.0f, .backbone = kind,
                         .input_transform = HW_INPUT_LOG1P, .norm_region = HW_NORM_OFFDIAG};
    c.maxvit = (hw_maxvit_arch){.n_blocks = 2, .stem_channels = 8, .channels = {8, 16}, .layers = {1, 2},
                                .head_dim = 4, .stochastic_depth = 0.2f};
    hw_model *m = hw_model_create(&c, 3);
    /* weights 5x torchvision's N(0, 0.02), so that two tiles' embeddings differ clearly (at
     * initialisation they are nearly one point and finite differences would see only noise) */
    size_t np = 0;
    float *w = hw_model_params(m, &np);
    const hw_tensor *t;
    int nt = hw_model_tensors(m, &t);
    for (int k = 0; k < nt; k++)
        if (t[k].ndim >= 2)
            for (size_t i = 0; i < t[k].numel; i++) w[t[k].offset + i] *= 5.0f;
    /* running statistics of a training forward (one triplet of tiles), as a trained model has */
    float *tiles = malloc(3 * S * S * sizeof(float));
    for (int v = 0; v < 3; v++) make_tile(tiles + v * S * S, 100 + (uint64_t)v, v == 2);
    hw_batch b = {.n = 1, .views = 3, .global_n = 1, .tiles = tiles};
    hw_step_stats ss;
    hw_model_zero_grad(m);
    hw_model_train_step(m, &b, 0, &ss);
    free(tiles);
    return m;
}

static double dist_of(hw_model *m, const float *x, const float *other) {
    float d, *dx = malloc(S * S * sizeof(float));
    hw_model_distance_grad(m, x, 1, other, NULL, HW_IG_PAIRWISE, &d, dx);
    free(dx);
    return d;
}

/* The checks of one analytic gradient g at the chosen pixels; returns the failures. */
static int compare_fd(hw_model *m, float *x, const float *other, const float *g, const int *pix, int n,
                      double gmax, int verbose) {
    const double h = 1e-2;
    int bad = 0;
    for (int k = 0; k < n; k++) {
        const int p = pix[k];
        const float x0 = x[p];
        x[p] = (float)(x0 + h);
        const double dp = dist_of(m, x, other);
        x[p] = (float)(x0 - h);
        const double dm = dist_of(m, x, other);
        x[p] = x0;
        const double fd = (dp - dm) / (2 * h), tol = 2e-4 * gmax + 2e-2 * fabs(fd);
        const int ok = fabs(g[p] - fd) <= tol;
        bad += !ok;
        if (verbose)
            printf("  pixel (%2d, %2d): analytic % .6e  fd % .6e  |diff| %.2e  tol %.2e%s\n", p / S, p % S, g[p], fd,
                   fabs(g[p] - fd), tol, ok ? "" : "  FAIL");
    }
    return bad;
}

static void test_backbone(hw_backbone_kind kind, const char *name) {
    hw_model *m = tiny(kind);
    const int D = hw_model_embed_dim(m);
    float *tiles = malloc(2 * S * S * sizeof(float)), *x = malloc(2 * S * S * sizeof(float));
    float *emb = malloc(2 * (size_t)D * sizeof(float)), *g = malloc(S * S * sizeof(float));
    make_tile(tiles, 11, 0);
    make_tile(tiles + S * S, 12, 1);
    CHECK_INT_EQ(hw_model_prepare(m, tiles, 2, x, emb), 0);

    /* the gradient buffer and the statistics are left alone */
    size_t np = 0, ns = 0;
    float *grads = hw_model_grads(m, &np), *st = hw_model_state(m, &ns);
    for (size_t i = 0; i < np; i++) grads[i] = (float)i * 1e-3f;
    float *grads0 = malloc(np * sizeof(float)), *st0 = malloc(ns * sizeof(float));
    memcpy(grads0, grads, np * sizeof(float));
    memcpy(st0, st, ns * sizeof(float));
    float d = 0;
    CHECK_INT_EQ(hw_model_distance_grad(m, x, 1, emb + D, NULL, HW_IG_PAIRWISE, &d, g), 0);
    CHECK(memcmp(grads, grads0, np * sizeof(float)) == 0);
    CHECK(memcmp(st, st0, ns * sizeof(float)) == 0);
    /* one tile per pass here, two in hw_model_prepare: only the GEMMs' rounding differs */
    CHECK_NEAR(d, hw_ig_distance(emb, emb + D, D, HW_IG_PAIRWISE, 0, NULL), 0, 1e-5);

    /* finite differences at the largest and at random pixels (off the masked band) */
    uint64_t seed = 5;
    int pix[N_FD], cand[400];
    for (int k = 0; k < 400; k++) {
        int p;
        do p = (int)(frand(&seed) * S * S) % (S * S);
        while (abs(p / S - p % S) < 3);
        cand[k] = p;
    }
    double gmax = 0;
    for (int p = 0; p < S * S; p++) gmax = fmax(gmax, fabs(g[p]));
    for (int k = 0; k < N_FD / 2; k++) { /* the largest |g| among the candidates, in turn */
        int best = -1;
        for (int c = 0; c < 400; c++) {
            int taken = 0;
            for (int q = 0; q < k; q++) taken |= pix[q] == cand[c];
            if (!taken && (best < 0 || fabs(g[cand[c]]) > fabs(g[cand[best]]))) best = c;
        }
        pix[k] = cand[best];
    }
    for (int k = N_FD / 2; k < N_FD; k++) pix[k] = cand[k * 31 % 400];
    printf("%s: D = %.6f, max |dD/dx| = %.3e\n", name, d, gmax);
    CHECK_INT_EQ(compare_fd(m, x, emb + D, g, pix, N_FD, gmax, 1), 0);
    /* self-test: 5 % too long fails at the 6 largest */
    float *g5 = malloc(S * S * sizeof(float));
    for (int p = 0; p < S * S; p++) g5[p] = 1.05f * g[p];
    CHECK_INT_EQ(compare_fd(m, x, emb + D, g5, pix, N_FD / 2, gmax, 0), N_FD / 2);
    free(g5);

    /* the feature map */
    hw_feature_geometry geo;
    CHECK_INT_EQ(hw_model_feature_geometry(m, &geo), 0);
    CHECK_INT_EQ(geo.channels, 8);
    CHECK_INT_EQ(geo.side, S / 4);
    CHECK(geo.stride == 4.0 && geo.offset == 0.0);
    CHECK_INT_EQ(hw_model_feature_side(m), S / 4);
    const size_t per = (size_t)geo.channels * geo.side * geo.side;
    float *maps = malloc(2 * per * sizeof(float));
    CHECK_INT_EQ(hw_model_conv2_maps(m, x, 2, maps), 0);
    int finite = 1, nonzero = 0;
    for (size_t i = 0; i < 2 * per; i++) finite &= isfinite(maps[i]), nonzero += maps[i] != 0.0f;
    CHECK(finite && nonzero > (int)per);
    free(maps);

    /* IG completeness, and the Riemann sum's error shrinking with the steps */
    float *map = malloc(S * S * sizeof(float));
    const double d12 = hw_ig_distance(emb, emb + D, D, HW_IG_PAIRWISE, 0, NULL);
    const double self = hw_ig_distance(emb, emb, D, HW_IG_PAIRWISE, 0, NULL);
    double err10 = 0;
    for (int steps = 10; steps <= 100; steps += 90) {
        CHECK_INT_EQ(hw_ig_map(m, x, x + S * S, emb, emb + D, steps, 7, HW_IG_PAIRWISE, map), 0);
        double sum = 0;
        for (int p = 0; p < S * S; p++) sum += map[p];
        const double err = fabs(sum - (d12 - self)) / d12;
        printf("%s: IG completeness (%d steps): sum %.7e, D12 - D(e,e) %.7e, relative error %.2e\n", name, steps,
               sum, d12 - self, err);
        if (steps == 10) err10 = err;
        else CHECK(err <= 0.02 && err < err10);
    }
    /* both directions on one path against each on its own (test_saliency's bound) */
    float *two = malloc(S * S * sizeof(float));
    CHECK_INT_EQ(hw_ig_map_two_paths(m, x, x + S * S, emb, emb + D, 9, 4, HW_IG_PAIRWISE, two), 0);
    CHECK_INT_EQ(hw_ig_map(m, x, x + S * S, emb, emb + D, 9, 4, HW_IG_PAIRWISE, map), 0);
    double worst = 0, top = 0;
    for (int p = 0; p < S * S; p++) worst = fmax(worst, fabs(map[p] - two[p])), top = fmax(top, fabs(two[p]));
    printf("%s: one path vs two (9 steps): max |diff| %.3e of max |map| %.3e\n", name, worst, top);
    CHECK(top > 0 && worst <= 1e-4 * top);
    free(two);
    CHECK(memcmp(grads, grads0, np * sizeof(float)) == 0);
    free(map);
    free(grads0), free(st0), free(tiles), free(x), free(emb), free(g);
    hw_model_free(m);
}

int main(void) {
    test_backbone(HW_BACKBONE_SMAXVIT, "SMaxViT");
    test_backbone(HW_BACKBONE_SMAXVIT_MULTI, "SMaxViTMulti");
    return TEST_RESULT();
}
