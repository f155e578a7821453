/* Every MaxViT op's backward (nn_maxvit.h) against central finite differences of its forward.
 *
 * As test_nn_gradcheck: the objective is L(x) = sum_k w_k out_k(x) with fixed random w (so
 * dout = w), accumulated in double; each input element is moved by +-h (h = 1e-2: the inputs
 * are ~1 and the ops smooth) and the analytic gradient a is compared with the quotient f:
 *     |a - f| <= 1e-3 + 1e-2 |f|        (GRAD_ATOL, GRAD_RTOL)
 * The truncation error of a central difference is ~h^2 |f'''| ~ 1e-4 and the float rounding
 * ~1e-7 / h ~ 1e-5, both well inside; a wrong factor, index or sign is far outside (the
 * self-test makes one element 5 % wrong and requires the check to catch it). BatchNorm is
 * checked in training mode (the gradient through the batch statistics) and in eval mode.
 * Stochastic depth is also checked for its drop rate and scale. */
#include "hitwin/nn_maxvit.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#define GRAD_ATOL 1e-3
#define GRAD_RTOL 1e-2
#define H_STEP 1e-2f

typedef double (*objective_fn)(void *ctx);

static NnRng g_rng;

static float *randn(size_t n, float scale) {
    float *x = malloc(n * sizeof(float) + 4);
    nn_fill_normal(x, n, 0.0f, scale, &g_rng);
    return x;
}
static float *zeros(size_t n) { return calloc(n + 1, sizeof(float)); }

static double weighted_sum(const float *out, const float *w, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)out[i] * w[i];
    return s;
}

static int gradcheck_q(const char *what, float *x, const float *grad, size_t n, objective_fn f,
                       void *ctx, int quiet) {
    int bad = 0;
    double max_abs = 0.0, max_err = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float x0 = x[i];
        x[i] = x0 + H_STEP;
        const double fp = f(ctx);
        x[i] = x0 - H_STEP;
        const double fm = f(ctx);
        x[i] = x0;
        const double fd = (fp - fm) / ((double)(x0 + H_STEP) - (double)(x0 - H_STEP));
        const double err = fabs(grad[i] - fd);
        if (fabs(fd) > max_abs) max_abs = fabs(fd);
        if (err > max_err) max_err = err;
        if (!(err <= GRAD_ATOL + GRAD_RTOL * fabs(fd))) {
            if (!quiet && bad < 5)
                fprintf(stderr, "  %s[%zu]: analytic %.7g, finite difference %.7g\n", what, i, grad[i], fd);
            bad++;
        }
    }
    if (!quiet) {
        printf("%-28s n=%-5zu max|grad|=%-10.4g max err=%.3g%s\n", what, n, max_abs, max_err,
               bad ? "  FAIL" : "");
        if (bad) test_failures++;
        if (max_abs < 1e-3) { /* an all-zero gradient would prove nothing */
            fprintf(stderr, "  %s: gradient is trivially zero\n", what);
            test_failures++;
        }
    }
    return bad;
}
#define gradcheck(what, x, grad, n, f, ctx) gradcheck_q(what, x, grad, n, f, ctx, 0)

/* ---- BatchNorm2d --------------------------------------------------------------------------- */
typedef struct {
    int train, B, C, HW;
    float *x, *gamma, *beta, *rm, *rv, *out, *mean, *rstd, *w;
} BnCtx;

static double bn_obj(void *p) {
    BnCtx *c = p;
    /* training mode without running buffers: the objective must not change them */
    batchnorm2d_forward(c->out, c->mean, c->rstd, c->train ? NULL : c->rm, c->train ? NULL : c->rv,
                        c->x, c->gamma, c->beta, c->train, NN_MAXVIT_BN_MOMENTUM, NN_MAXVIT_BN_EPS,
                        c->B, c->C, c->HW);
    return weighted_sum(c->out, c->w, (size_t)c->B * c->C * c->HW);
}

static void test_batchnorm(int train) {
    BnCtx c = {.train = train, .B = 3, .C = 4, .HW = 6};
    const size_t n = (size_t)c.B * c.C * c.HW;
    c.x = randn(n, 1.5f), c.gamma = randn(c.C, 0.5f), c.beta = randn(c.C, 0.5f), c.w = randn(n, 1.0f);
    for (int i = 0; i < c.C; i++) c.gamma[i] += 1.0f;
    c.rm = randn(c.C, 0.5f), c.rv = zeros(c.C);
    for (int i = 0; i < c.C; i++) c.rv[i] = 0.5f + (float)i * 0.3f;
    c.out = zeros(n), c.mean = zeros(c.C), c.rstd = zeros(c.C);
    float *dx = zeros(n), *dg = zeros(c.C), *db = zeros(c.C);
    bn_obj(&c);
    batchnorm2d_backward(dx, dg, db, c.w, c.x, c.mean, c.rstd, c.gamma, train, c.B, c.C, c.HW);
    gradcheck(train ? "batchnorm train dx" : "batchnorm eval dx", c.x, dx, n, bn_obj, &c);
    gradcheck(train ? "batchnorm train dgamma" : "batchnorm eval dgamma", c.gamma, dg, c.C, bn_obj, &c);
    gradcheck(train ? "batchnorm train dbeta" : "batchnorm eval dbeta", c.beta, db, c.C, bn_obj, &c);
    if (train) { /* self-test: a 5 % error in one element must be caught */
        dx[5] *= 1.05f;
        if (fabs(dx[5]) > 0.05 && !gradcheck_q("self-test", c.x, dx, n, bn_obj, &c, 1)) {
            fprintf(stderr, "self-test: a 5 %% gradient error went unnoticed\n");
            test_failures++;
        }
    }
    free(c.x), free(c.gamma), free(c.beta), free(c.w), free(c.rm), free(c.rv), free(c.out);
    free(c.mean), free(c.rstd), free(dx), free(dg), free(db);
}

/* ---- LayerNorm ----------------------------------------------------------------------------- */
typedef struct {
    int N, C;
    float *x, *gamma, *beta, *out, *mean, *rstd, *w;
} LnCtx;

static double ln_obj(void *p) {
    LnCtx *c = p;
    layernorm_forward(c->out, c->mean, c->rstd, c->x, c->gamma, c->beta, NN_LAYERNORM_EPS, c->N, c->C);
    return weighted_sum(c->out, c->w, (size_t)c->N * c->C);
}

static void test_layernorm(void) {
    LnCtx c = {.N = 5, .C = 8};
    const size_t n = (size_t)c.N * c.C;
    c.x = randn(n, 1.5f), c.gamma = randn(c.C, 1.0f), c.beta = randn(c.C, 0.5f), c.w = randn(n, 1.0f);
    c.out = zeros(n), c.mean = zeros(c.N), c.rstd = zeros(c.N);
    float *dx = zeros(n), *dg = zeros(c.C), *db = zeros(c.C);
    ln_obj(&c);
    layernorm_backward(dx, dg, db, c.w, c.x, c.mean, c.rstd, c.gamma, c.N, c.C);
    gradcheck("layernorm dx", c.x, dx, n, ln_obj, &c);
    gradcheck("layernorm dgamma", c.gamma, dg, c.C, ln_obj, &c);
    gradcheck("layernorm dbeta", c.beta, db, c.C, ln_obj, &c);
    free(c.x), free(c.gamma), free(c.beta), free(c.w), free(c.out), free(c.mean), free(c.rstd);
    free(dx), free(dg), free(db);
}

/* ---- SiLU, sigmoid, pools, partitions: one input, one output ---------------------------------- */
typedef void (*unary_fwd)(float *out, const float *inp, const int *dims);
typedef struct {
    unary_fwd f;
    const int *dims;
    float *x, *out, *w;
    size_t n_out;
} UnCtx;

static double un_obj(void *p) {
    UnCtx *c = p;
    c->f(c->out, c->x, c->dims);
    return weighted_sum(c->out, c->w, c->n_out);
}

static void f_silu(float *o, const float *x, const int *d) { silu_forward(o, x, (size_t)d[0]); }
static void f_sigmoid(float *o, const float *x, const int *d) { sigmoid_forward(o, x, (size_t)d[0]); }
static void f_avgpool(float *o, const float *x, const int *d) {
    avgpool2d_forward(o, x, d[0], d[1], d[2], d[3], 3, 2, 1);
}
static void f_gap(float *o, const float *x, const int *d) { global_avgpool_forward(o, d[1], x, d[0], d[1], d[2] * d[3]); }
static void f_part(float *o, const float *x, const int *d) {
    partition_forward(o, x, (NnPartition)d[4], d[0], d[1], d[2], d[3], NN_MAXVIT_WINDOW);
}
static void f_depart(float *o, const float *x, const int *d) {
    departition_forward(o, x, (NnPartition)d[4], d[0], d[1], d[2], d[3], NN_MAXVIT_WINDOW);
}

static void test_unary(const char *what, unary_fwd f, const int *dims, size_t n_in, size_t n_out,
                       void (*bwd)(float *dx, const float *dout, const UnCtx *c)) {
    UnCtx c = {f, dims, randn(n_in, 1.5f), zeros(n_out), randn(n_out, 1.0f), n_out};
    float *dx = zeros(n_in);
    un_obj(&c);
    bwd(dx, c.w, &c);
    gradcheck(what, c.x, dx, n_in, un_obj, &c);
    free(c.x), free(c.out), free(c.w), free(dx);
}

static void b_silu(float *dx, const float *g, const UnCtx *c) { silu_backward(dx, g, c->x, (size_t)c->dims[0]); }
static void b_sigmoid(float *dx, const float *g, const UnCtx *c) { sigmoid_backward(dx, g, c->out, (size_t)c->dims[0]); }
static void b_avgpool(float *dx, const float *g, const UnCtx *c) {
    avgpool2d_backward(dx, g, c->dims[0], c->dims[1], c->dims[2], c->dims[3], 3, 2, 1);
}
static void b_gap(float *dx, const float *g, const UnCtx *c) {
    global_avgpool_backward(dx, g, c->dims[1], c->dims[0], c->dims[1], c->dims[2] * c->dims[3]);
}
static void b_part(float *dx, const float *g, const UnCtx *c) {
    const int *d = c->dims;
    partition_backward(dx, g, (NnPartition)d[4], d[0], d[1], d[2], d[3], NN_MAXVIT_WINDOW);
}
static void b_depart(float *dx, const float *g, const UnCtx *c) {
    const int *d = c->dims;
    departition_backward(dx, g, (NnPartition)d[4], d[0], d[1], d[2], d[3], NN_MAXVIT_WINDOW);
}

/* ---- squeeze-excitation ---------------------------------------------------------------------- */
typedef struct {
    int B, C, SQ, HW;
    float *x, *w1, *b1, *w2, *b2, *out, *w;
    NnSeSaved sv;
} SeCtx;

static double se_obj(void *p) {
    SeCtx *c = p;
    squeeze_excite_forward(c->out, &c->sv, c->x, c->w1, c->b1, c->w2, c->b2, c->B, c->C, c->SQ, c->HW);
    return weighted_sum(c->out, c->w, (size_t)c->B * c->C * c->HW);
}

static void test_squeeze_excite(void) {
    SeCtx c = {.B = 2, .C = 8, .SQ = 2, .HW = 4};
    const size_t n = (size_t)c.B * c.C * c.HW;
    c.x = randn(n, 1.0f), c.w = randn(n, 1.0f);
    c.w1 = randn(c.SQ * c.C, 0.7f), c.b1 = randn(c.SQ, 0.5f), c.w2 = randn(c.C * c.SQ, 0.7f), c.b2 = randn(c.C, 0.5f);
    c.out = zeros(n);
    c.sv = (NnSeSaved){zeros(c.B * c.C), zeros(c.B * c.SQ), zeros(c.B * c.SQ), zeros(c.B * c.C)};
    float *dx = zeros(n), *dw1 = zeros(c.SQ * c.C), *db1 = zeros(c.SQ), *dw2 = zeros(c.C * c.SQ), *db2 = zeros(c.C);
    float *scratch = zeros(2 * c.B * c.C + c.B * c.SQ);
    se_obj(&c);
    squeeze_excite_backward(dx, dw1, db1, dw2, db2, c.w, &c.sv, c.x, c.w1, c.w2, scratch, c.B, c.C, c.SQ, c.HW);
    gradcheck("squeeze-excite dx", c.x, dx, n, se_obj, &c);
    gradcheck("squeeze-excite dw1", c.w1, dw1, c.SQ * c.C, se_obj, &c);
    gradcheck("squeeze-excite db1", c.b1, db1, c.SQ, se_obj, &c);
    gradcheck("squeeze-excite dw2", c.w2, dw2, c.C * c.SQ, se_obj, &c);
    gradcheck("squeeze-excite db2", c.b2, db2, c.C, se_obj, &c);
    free(c.x), free(c.w), free(c.w1), free(c.b1), free(c.w2), free(c.b2), free(c.out);
    free(c.sv.pooled), free(c.sv.h), free(c.sv.a), free(c.sv.gate);
    free(dx), free(dw1), free(db1), free(dw2), free(db2), free(scratch);
}

/* ---- relative-position attention ------------------------------------------------------------- */
typedef struct {
    int BG, w, C, NH;
    float *qkv, *table, *out, *probs, *wt;
} AttCtx;

static double att_obj(void *p) {
    AttCtx *c = p;
    relpos_attention_forward(c->out, c->probs, c->qkv, c->table, c->BG, c->w, c->C, c->NH);
    return weighted_sum(c->out, c->wt, (size_t)c->BG * c->w * c->w * c->C);
}

static void test_attention(void) {
    AttCtx c = {.BG = 2, .w = 3, .C = 8, .NH = 2};
    const int P = c.w * c.w, T = (2 * c.w - 1) * (2 * c.w - 1);
    const size_t nq = (size_t)c.BG * P * 3 * c.C, no = (size_t)c.BG * P * c.C;
    c.qkv = randn(nq, 1.0f), c.table = randn((size_t)T * c.NH, 0.5f), c.wt = randn(no, 1.0f);
    c.out = zeros(no), c.probs = zeros((size_t)c.BG * c.NH * P * P);
    float *dqkv = zeros(nq), *dtable = zeros((size_t)T * c.NH), *scratch = zeros(2 * P * P);
    att_obj(&c);
    relpos_attention_backward(dqkv, dtable, c.wt, c.qkv, c.probs, scratch, c.BG, c.w, c.C, c.NH);
    gradcheck("relpos attention dqkv", c.qkv, dqkv, nq, att_obj, &c);
    gradcheck("relpos attention dtable", c.table, dtable, (size_t)T * c.NH, att_obj, &c);
    free(c.qkv), free(c.table), free(c.wt), free(c.out), free(c.probs), free(dqkv), free(dtable), free(scratch);
}

/* ---- stochastic depth -------------------------------------------------------------------------- */
typedef struct {
    float *x, *out, *scale, *w;
    int B;
    size_t N;
} SdCtx;

static double sd_obj(void *p) {
    SdCtx *c = p;
    NnRng rng = {99, 1000}; /* the same draws every time */
    stochastic_depth_forward(c->out, c->scale, c->x, 0.5f, 1, &rng, c->B, c->N);
    return weighted_sum(c->out, c->w, (size_t)c->B * c->N);
}

static void test_stochastic_depth(void) {
    SdCtx c = {NULL, NULL, NULL, NULL, 8, 5};
    const size_t n = (size_t)c.B * c.N;
    c.x = randn(n, 1.0f), c.out = zeros(n), c.scale = zeros(c.B), c.w = randn(n, 1.0f);
    float *dx = zeros(n);
    sd_obj(&c);
    stochastic_depth_backward(dx, c.w, c.scale, c.B, c.N);
    int kept = 0;
    for (int b = 0; b < c.B; b++) kept += c.scale[b] != 0.0f;
    CHECK(kept > 0 && kept < c.B); /* both branches of the row mask are exercised */
    gradcheck("stochastic depth dx", c.x, dx, n, sd_obj, &c);

    /* the rate and the scale over many rows; eval and p = 0 are the identity without draws */
    enum { ROWS = 20000 };
    float *ones = malloc(ROWS * sizeof(float)), *o = malloc(ROWS * sizeof(float)), *s = malloc(ROWS * sizeof(float));
    for (int i = 0; i < ROWS; i++) ones[i] = 1.0f;
    NnRng rng = {7, 0};
    stochastic_depth_forward(o, s, ones, 0.2f, 1, &rng, ROWS, 1);
    int dropped = 0, bad_scale = 0;
    for (int i = 0; i < ROWS; i++) {
        dropped += o[i] == 0.0f;
        bad_scale += o[i] != 0.0f && o[i] != 1.0f / 0.8f;
    }
    /* binomial sd sqrt(0.16 / 20000) = 0.0028: 0.2 +- 0.015 is more than 5 sd */
    printf("stochastic depth: dropped %.4f of %d rows at p = 0.2\n", dropped / (double)ROWS, ROWS);
    CHECK(fabs(dropped / (double)ROWS - 0.2) < 0.015);
    CHECK_INT_EQ(bad_scale, 0);
    CHECK_INT_EQ(rng.counter, (uint64_t)ROWS);
    stochastic_depth_forward(o, s, ones, 0.2f, 0, &rng, ROWS, 1);
    stochastic_depth_forward(o + 1, s, ones, 0.0f, 1, &rng, ROWS - 1, 1);
    int changed = 0;
    for (int i = 0; i < ROWS; i++) changed += o[i] != 1.0f;
    CHECK_INT_EQ(changed, 0);
    CHECK_INT_EQ(rng.counter, (uint64_t)ROWS);
    free(ones), free(o), free(s);
    free(c.x), free(c.out), free(c.scale), free(c.w), free(dx);
}

/* ---- multiscale concat + projection ------------------------------------------------------------ */
typedef struct {
    float *m0, *m1, *wt, *out, *cat, *w;
} MsCtx;
static const int MS_C[2] = {3, 4}, MS_HW[2] = {9, 4}, MS_B = 2, MS_D = 5;

static double ms_obj(void *p) {
    MsCtx *c = p;
    const float *maps[2] = {c->m0, c->m1};
    multiscale_embed_forward(c->out, c->cat, maps, MS_C, MS_HW, 2, c->wt, MS_B, MS_D);
    return weighted_sum(c->out, c->w, MS_B * MS_D);
}

static void test_multiscale(void) {
    MsCtx c = {randn(MS_B * 3 * 9, 1.0f), randn(MS_B * 4 * 4, 1.0f), randn(MS_D * 7, 1.0f), zeros(MS_B * MS_D),
               zeros(MS_B * 7), randn(MS_B * MS_D, 1.0f)};
    float *dm0 = zeros(MS_B * 3 * 9), *dm1 = zeros(MS_B * 4 * 4), *dw = zeros(MS_D * 7), *dcat = zeros(MS_B * 7);
    float *dmaps[2] = {dm0, dm1};
    ms_obj(&c);
    multiscale_embed_backward(dmaps, dw, dcat, c.w, c.cat, c.wt, MS_C, MS_HW, 2, MS_B, MS_D);
    gradcheck("multiscale dmap0", c.m0, dm0, MS_B * 3 * 9, ms_obj, &c);
    gradcheck("multiscale dmap1", c.m1, dm1, MS_B * 4 * 4, ms_obj, &c);
    gradcheck("multiscale dweight", c.wt, dw, MS_D * 7, ms_obj, &c);
    free(c.m0), free(c.m1), free(c.wt), free(c.out), free(c.cat), free(c.w);
    free(dm0), free(dm1), free(dw), free(dcat);
}

int main(void) {
    nn_rng_init(&g_rng, 20261206);
    test_batchnorm(1);
    test_batchnorm(0);
    test_layernorm();
    static const int d_vec[1] = {30}, d_pool[4] = {2, 3, 7, 6};
    static const int d_win[5] = {1, 2, 14, 14, NN_PARTITION_WINDOW}, d_grid[5] = {1, 2, 14, 14, NN_PARTITION_GRID};
    test_unary("silu dx", f_silu, d_vec, 30, 30, b_silu);
    test_unary("sigmoid dx", f_sigmoid, d_vec, 30, 30, b_sigmoid);
    test_unary("avgpool 3/2/1 dx", f_avgpool, d_pool, 2 * 3 * 42, 2 * 3 * 12, b_avgpool);
    test_unary("global avgpool dx", f_gap, d_pool, 2 * 3 * 42, 2 * 3, b_gap);
    test_unary("window partition dx", f_part, d_win, 392, 392, b_part);
    test_unary("grid partition dx", f_part, d_grid, 392, 392, b_part);
    test_unary("window departition dx", f_depart, d_win, 392, 392, b_depart);
    test_unary("grid departition dx", f_depart, d_grid, 392, 392, b_depart);
    test_squeeze_excite();
    test_attention();
    test_stochastic_depth();
    test_multiscale();
    return TEST_RESULT();
}
