/* The GPU SLeNet's integrated-gradient path (gpu_slenet.h, hw_gpu_slenet_path_grad) against
 * the CPU model's (saliency.h, hw_model_path_grad), from the same random-init weights and the
 * same prepared tiles (dense Hi-C-like tiles through hw_model_prepare: normalised, diagonal
 * mask on). Skips (77) without a device.
 *
 * Per image size (40, and 224 the model's real one) and measure (pairwise, cosine), both
 * directions of ig.c (second 0: from x2 to x1 against e2; second 1: from x1 to x2 against e1)
 * and both on one path (HW_IG_BOTH: from x2 to x1 against [e2, e1]; also alpha 1 alone, the
 * to end against itself), with alphas
 *   k / 69, k < 70    a row of alpha 0 (HW_IG_BASELINE) and more rows than one GPU pass (64)
 *   0.1 .. 0.9        5 rows, none at alpha 0
 *   0                 the baseline row alone (pairwise: the eps direction; cosine: zero in
 *                     exact arithmetic, so only max|gpu| and max|C| <= 1e-6 of the 70-alpha
 *                     path's max are asked, each side's rounding noise being its own)
 * into a gsum that starts from the same random values on both sides (a path that overwrote
 * instead of adding would fail); the added part is compared:
 *   |gpu - C| <= 1e-4 G + 1e-3 |C|,  G = max |C| of the added map
 * and the whole map of hw_ig_map (100 steps; chunks of 50, and of 100, which the GPU splits
 * into passes of 64 and 36) against hw_ig_map_path with the GPU path, with the same bound.
 * That is test_saliency_torch's bound (which saw at most 7e-6 G, float32 against float64):
 * fp32 rounding on both sides, four layers forward and back, then summed over the path. The
 * tiles are dense and continuous so that no pooling window holds two values within rounding
 * of each other, which could route one interpolant's gradient to a neighbouring bin on one
 * side only. Every line prints max|diff| against G, for tightening on a GPU.
 * Also: n = 0 adds nothing and n < 0 fails with a message; the model's gradient buffer
 * (filled with a pattern first) and its parameters are bit-identical after every path call
 * (no weight gradient is formed); the same call twice gives the same bits (deterministic
 * algorithms only); the bf16 setting changes no bit (saliency is fp32 whatever it says);
 * the embeddings of hw_gpu_slenet_embed, which share the activation arena, still match the
 * CPU's afterwards (|gpu - C| <= 1e-4 |C| + 1e-4 max|C|, test_gpu_slenet's bound). */
#include "gpu_test_util.h"
#include "hitwin/gpu_slenet.h"
#include "hitwin/model.h"
#include "hitwin/nn.h"
#include "hitwin/saliency.h"

#define IG_STOL 1e-4 /* of the map's max */
#define IG_RTOL 1e-3

static NnRng g_rng;

/* dense Hi-C-like tiles: decay with the distance from the diagonal, noise, all > 0 */
static float *make_tiles(int n, int S) {
    const size_t S2 = (size_t)S * S;
    float *t = (float *)malloc((size_t)n * S2 * sizeof(float));
    for (size_t k = 0; k < (size_t)n * S2; k++) {
        int r = (int)(k % S2 / S), c = (int)(k % S);
        float u = nn_rng_uniform(&g_rng);
        t[k] = (5.0f + 95.0f * u) / sqrtf(1.0f + (float)abs(r - c));
    }
    return t;
}

static int gpu_path(void *ctx, const float *from, const float *to, const float *alpha, int n,
                    const float *other, int second, hw_ig_measure measure, double *gsum) {
    return hw_gpu_slenet_path_grad((hw_gpu_slenet *)ctx, from, to, alpha, n, other, second, measure,
                                   gsum);
}

/* what a path call added to gsum (from the common start g0), as floats for expect_close */
static float *added(const double *gsum, const double *g0, size_t n) {
    float *a = (float *)malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) a[i] = (float)(gsum[i] - g0[i]);
    return a;
}

typedef struct {
    hw_gpu *g;
    hw_model *m;
    hw_gpu_slenet *s;
    int S, D;
    float *x, *e;        /* prepared tiles [2, S, S] and their embeddings [2, D] */
    float *grads0;       /* the pattern put in the GPU gradient buffer */
    size_t n_params;
} fixture;

/* the GPU model's gradients still hold the pattern, and its parameters the host model's */
static void check_untouched(fixture *f, const char *when) {
    const size_t n = f->n_params;
    float *gp = host_floats(f->g, hw_gpu_slenet_grads(f->s, NULL), n);
    float *pp = host_floats(f->g, hw_gpu_slenet_params(f->s, NULL), n);
    char what[96];
    snprintf(what, sizeof what, "gradients untouched (%s)", when);
    expect_same_bits(what, gp, f->grads0, n * sizeof(float), sizeof(float));
    snprintf(what, sizeof what, "parameters untouched (%s)", when);
    expect_same_bits(what, pp, hw_model_params(f->m, NULL), n * sizeof(float), sizeof(float));
    free(gp);
    free(pp);
}

/* One path on both sides; returns max |C| of what it added. zero_scale > 0: the path's
 * gradient is zero in exact arithmetic (1 - cosine at the baseline, where both arguments are
 * the same embedding), so each side holds only its own rounding of it, a few ulps of the
 * embedding's scale, which the other side's slightly different embedding rounds otherwise:
 * both must stay below ZERO_TOL of zero_scale (a real gradient's max) instead. */
#define ZERO_TOL 1e-6
static double path_case(fixture *f, hw_ig_measure measure, int second, const char *name,
                        const float *alpha, int n, double zero_scale) {
    const size_t S2 = (size_t)f->S * f->S;
    /* ig.c's directions: 0 walks x2 -> x1 against e2, HW_IG_SECOND walks x1 -> x2 against
     * e1; HW_IG_BOTH walks x2 -> x1 against [e2, e1] (both directions on one path) */
    const int rev = second == HW_IG_SECOND;
    const float *from = f->x + (rev ? 0 : S2), *to = f->x + (rev ? S2 : 0);
    float *ends = (float *)malloc(2 * (size_t)f->D * sizeof(float));
    memcpy(ends, f->e + f->D, (size_t)f->D * sizeof(float));
    memcpy(ends + f->D, f->e, (size_t)f->D * sizeof(float));
    const float *other = second == HW_IG_BOTH ? ends : f->e + (rev ? 0 : f->D);
    double *g0 = (double *)malloc(S2 * sizeof(double)), *gc = (double *)malloc(S2 * sizeof(double));
    double *gg = (double *)malloc(S2 * sizeof(double)), *gg2 = (double *)malloc(S2 * sizeof(double));
    for (size_t p = 0; p < S2; p++) g0[p] = nn_rng_uniform(&g_rng) - 0.5;
    memcpy(gc, g0, S2 * sizeof(double));
    memcpy(gg, g0, S2 * sizeof(double));
    memcpy(gg2, g0, S2 * sizeof(double));
    if (hw_model_path_grad(f->m, from, to, alpha, n, other, second, measure, gc) != 0) {
        fprintf(stderr, "CPU path: %s\n", hw_error());
        exit(1);
    }
    GPU_OK(hw_gpu_slenet_path_grad(f->s, from, to, alpha, n, other, second, measure, gg));
    float *ac = added(gc, g0, S2), *ag = added(gg, g0, S2);
    char what[128];
    snprintf(what, sizeof what, "S %d %s second %d %s", f->S,
             measure == HW_IG_PAIRWISE ? "pairwise" : "cosine", second, name);
    double G = 0.0;
    for (size_t p = 0; p < S2; p++) G = fmax(G, fabs(ac[p]));
    if (zero_scale > 0.0) {
        double Gg = 0.0;
        for (size_t p = 0; p < S2; p++) Gg = fmax(Gg, fabs(ag[p]));
        printf("  %-34s max|C| %.3g, max|gpu| %.3g (zero: at most %.3g)\n", what, G, Gg,
               ZERO_TOL * zero_scale);
        if (!(G <= ZERO_TOL * zero_scale && Gg <= ZERO_TOL * zero_scale)) {
            fprintf(stderr, "%s: not zero within %g of %g\n", what, ZERO_TOL, zero_scale);
            test_failures++;
        }
    } else {
        expect_close(what, ag, ac, S2, 0.0, IG_RTOL, IG_STOL);
    }
    /* the same call again: the same bits */
    GPU_OK(hw_gpu_slenet_path_grad(f->s, from, to, alpha, n, other, second, measure, gg2));
    snprintf(what, sizeof what, "  repeated: same bits");
    expect_same_bits(what, gg2, gg, S2 * sizeof(double), sizeof(double));
    free(g0), free(gc), free(gg), free(gg2), free(ac), free(ag), free(ends);
    return G;
}

static void map_case(fixture *f, hw_ig_measure measure, int steps, int chunk) {
    const size_t S2 = (size_t)f->S * f->S;
    const float *x1 = f->x, *x2 = f->x + S2, *e1 = f->e, *e2 = f->e + f->D;
    float *mc = (float *)malloc(S2 * sizeof(float)), *mg = (float *)malloc(S2 * sizeof(float));
    if (hw_ig_map(f->m, x1, x2, e1, e2, steps, chunk, measure, mc) != 0) {
        fprintf(stderr, "CPU map: %s\n", hw_error());
        exit(1);
    }
    GPU_OK(hw_ig_map_path(gpu_path, f->s, f->S, f->D, x1, x2, e1, e2, steps, chunk, measure, HW_IG_RULE_REFERENCE, mg));
    char what[128];
    snprintf(what, sizeof what, "S %d IG map %s, %d steps, chunk %d", f->S,
             measure == HW_IG_PAIRWISE ? "pairwise" : "cosine", steps, chunk);
    expect_close(what, mg, mc, S2, 0.0, IG_RTOL, IG_STOL);
    free(mc), free(mg);
}

static void size_case(hw_gpu *g, int S, hw_loss_kind loss) {
    printf("image size %d (%s model)\n", S, loss == HW_LOSS_CONTRASTIVE ? "contrastive" : "triplet");
    hw_model_config cfg = {.image_size = S, .mask = 1, .dropout = 0.5f, .loss = loss,
                           .margin = 1.0f, .temperature = 0.07f};
    fixture f = {.g = g, .S = S};
    f.m = hw_model_create(&cfg, 11 + (uint64_t)S);
    if (!f.m) {
        fprintf(stderr, "%s\n", hw_error());
        exit(1);
    }
    f.D = hw_model_embed_dim(f.m);
    const size_t S2 = (size_t)S * S;
    float *tiles = make_tiles(2, S);
    f.x = (float *)malloc(2 * S2 * sizeof(float));
    f.e = (float *)malloc(2 * (size_t)f.D * sizeof(float));
    hw_model_prepare(f.m, tiles, 2, f.x, f.e);
    f.s = hw_gpu_slenet_create(g, f.m, 0);
    if (!f.s) {
        fprintf(stderr, "%s\n", hw_error());
        exit(1);
    }
    /* a pattern in the gradient buffer: no path call may change it */
    float *gdev = hw_gpu_slenet_grads(f.s, &f.n_params);
    f.grads0 = (float *)malloc(f.n_params * sizeof(float));
    for (size_t i = 0; i < f.n_params; i++) f.grads0[i] = nn_rng_uniform(&g_rng) - 0.5f;
    GPU_OK(hw_gpu_upload(g, gdev, f.grads0, f.n_params * sizeof(float)));

    float ramp[70], mid[5] = {0.1f, 0.3f, 0.5f, 0.7f, 0.9f}, zero[1] = {0.0f}, one[1] = {1.0f};
    for (int k = 0; k < 70; k++) ramp[k] = (float)k / 69.0f;
    const int sides[3] = {0, HW_IG_SECOND, HW_IG_BOTH};
    for (int q = 0; q < 2; q++) {
        const hw_ig_measure measure = q ? HW_IG_COSINE : HW_IG_PAIRWISE;
        for (int si = 0; si < 3; si++) {
            const int second = sides[si], both = second == HW_IG_BOTH;
            const double G = path_case(&f, measure, second, "70 alphas k/69 (alpha 0, two passes)",
                                       ramp, 70, 0.0);
            path_case(&f, measure, second, "5 alphas 0.1..0.9", mid, 5, 0.0);
            /* pairwise: the eps direction, the same bits on both sides; cosine: zero (with
             * both directions, the second one's gradient is not) */
            path_case(&f, measure, second, "alpha 0 alone", zero, 1,
                      measure == HW_IG_COSINE && !both ? G : 0.0);
            /* both directions at alpha 1: the to end against itself (HW_IG_BASELINE_TO) */
            if (both) path_case(&f, measure, second, "alpha 1 alone", one, 1, 0.0);
        }
        map_case(&f, measure, 100, 50);
        map_case(&f, measure, 100, 100);
    }
    check_untouched(&f, "after the paths");

    /* n = 0 adds nothing; n < 0 is refused */
    {
        double *gs = (double *)calloc(S2, sizeof(double));
        CHECK(hw_gpu_slenet_path_grad(f.s, f.x, f.x + S2, ramp, 0, f.e, 0, HW_IG_PAIRWISE, gs) == 0);
        int nonzero = 0;
        for (size_t p = 0; p < S2; p++) nonzero += gs[p] != 0.0;
        CHECK(nonzero == 0);
        CHECK(hw_gpu_slenet_path_grad(f.s, f.x, f.x + S2, ramp, -1, f.e, 0, HW_IG_PAIRWISE, gs) != 0);
        printf("  n = -1: %s\n", hw_error());
        free(gs);
    }

    /* the bf16 setting changes nothing: saliency is fp32 whatever it says */
    {
        double *a = (double *)calloc(S2, sizeof(double)), *b = (double *)calloc(S2, sizeof(double));
        GPU_OK(hw_gpu_slenet_path_grad(f.s, f.x + S2, f.x, ramp, 70, f.e + f.D, 0, HW_IG_PAIRWISE, a));
        GPU_OK(hw_gpu_slenet_set_precision(f.s, 1));
        GPU_OK(hw_gpu_slenet_path_grad(f.s, f.x + S2, f.x, ramp, 70, f.e + f.D, 0, HW_IG_PAIRWISE, b));
        GPU_OK(hw_gpu_slenet_set_precision(f.s, 0));
        expect_same_bits("bf16 setting: the fp32 path's bits", b, a, S2 * sizeof(double), sizeof(double));
        free(a), free(b);
    }
    check_untouched(&f, "after the bf16 path");

    /* the arena is shared with the embeddings: they still match the CPU's */
    {
        const int n = 3;
        float *t = make_tiles(n, S), *ec = (float *)malloc((size_t)n * f.D * sizeof(float)),
              *eg = (float *)malloc((size_t)n * f.D * sizeof(float));
        hw_model_embed(f.m, t, n, ec);
        GPU_OK(hw_gpu_slenet_embed(f.s, t, n, eg, NULL));
        expect_close("embeddings after the paths", eg, ec, (size_t)n * f.D, 0.0, 1e-4, 1e-4);
        free(t), free(ec), free(eg);
    }
    hw_gpu_slenet_free(f.s);
    hw_model_free(f.m);
    free(tiles), free(f.x), free(f.e), free(f.grads0);
}

int main(void) {
    GPU_SKIP_IF_NO_DEVICE();
    hw_gpu *g = gpu_test_open();
    if (!g) return 1;
    nn_rng_init(&g_rng, 0x5A11E9C7ULL);
    size_case(g, 40, HW_LOSS_TRIPLET);
    size_case(g, 224, HW_LOSS_CONTRASTIVE);
    hw_gpu_destroy(g);
    return TEST_RESULT();
}
