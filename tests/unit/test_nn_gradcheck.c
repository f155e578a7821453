/* Every backward in src/nn against central finite differences of its forward.
 *
 * The objective is L(x) = sum_k w_k out_k(x) with fixed random weights w (so dout = w),
 * accumulated in double; for a loss, L = w0 * loss. Each input element is perturbed by
 * +-h (h = 1e-3 relative to float inputs of size ~1, 1e-2 for ops linear in that input)
 * and the analytic gradient a is compared with the difference quotient f:
 *     |a - f| <= 1e-3 + 1e-2 |f|        (GRAD_ATOL, GRAD_RTOL)
 * Float rounding of the few outputs that depend on the perturbed element gives an
 * error ~ 1e-7 / h ~ 1e-4, well inside; a wrong factor, index or sign is far outside
 * (a self-test below shows a 5 % error in one element is caught). Inputs keep away from
 * kinks (pool ties, hinge edges, zero norms) by more than h.
 */
#include "hitwin/nn.h"
#include "test_util.h"

#include <stdlib.h>

#define GRAD_ATOL 1e-3
#define GRAD_RTOL 1e-2

typedef double (*objective_fn)(void *ctx);

static NnRng g_rng;

static float *randn(size_t n, float scale) {
    float *x = malloc(n * sizeof(float) + 1);
    nn_fill_normal(x, n, 0.0f, scale, &g_rng);
    return x;
}
static float *zeros(size_t n) { return calloc(n + 1, sizeof(float)); }

static double weighted_sum(const float *out, const float *w, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)out[i] * w[i];
    return s;
}

/* Compare analytic grad[0..n) of x with central differences; returns mismatches. When
 * quiet, mismatches are not counted as test failures (for the self-test). */
static int gradcheck_q(const char *what, float *x, const float *grad, size_t n, float h,
                       objective_fn f, void *ctx, int quiet) {
    int bad = 0;
    double max_abs_grad = 0.0, max_err = 0.0;
    for (size_t i = 0; i < n; i++) {
        float x0 = x[i];
        x[i] = x0 + h;
        double fp = f(ctx);
        x[i] = x0 - h;
        double fm = f(ctx);
        x[i] = x0;
        double hd = ((double)(x0 + h) - (double)(x0 - h)); /* the step actually taken */
        double fd = (fp - fm) / hd;
        double err = fabs(grad[i] - fd);
        if (fabs(fd) > max_abs_grad) max_abs_grad = fabs(fd);
        if (err > max_err) max_err = err;
        if (!(err <= GRAD_ATOL + GRAD_RTOL * fabs(fd))) {
            if (!quiet && bad < 5)
                fprintf(stderr, "  %s[%zu]: analytic %.7g, finite difference %.7g\n", what, i,
                        grad[i], fd);
            bad++;
        }
    }
    if (!quiet) {
        printf("%-32s n=%-5zu max|grad|=%-10.4g max err=%.3g%s\n", what, n, max_abs_grad, max_err,
               bad ? "  FAIL" : "");
        if (bad) test_failures++;
        /* a check of an all-zero gradient would prove nothing */
        if (max_abs_grad < 1e-3) {
            fprintf(stderr, "  %s: gradient is trivially zero\n", what);
            test_failures++;
        }
    }
    return bad;
}
#define gradcheck(what, x, grad, n, h, f, ctx) gradcheck_q(what, x, grad, n, h, f, ctx, 0)

/* ---- conv2d ------------------------------------------------------------------------ */
typedef struct {
    NnConv2dDims d;
    float *inp, *w, *b, *out, *wout, *scratch;
    size_t n_out;
} ConvCtx;

static double conv_obj(void *p) {
    ConvCtx *c = p;
    conv2d_forward(c->out, c->inp, c->w, c->b, c->scratch, &c->d);
    return weighted_sum(c->out, c->wout, c->n_out);
}

/* pooled: dout = w keeps one random element of each 2x2 block, the pattern of a max
 * pool's gradient (SLeNet), which takes the sparse weight gradient; the objective stays
 * linear, so the large step still applies. With AVX2 + FMA the kernels that ran are
 * checked against `direct` = {forward direct, dweight sparse, dinp direct}. */
static void test_conv_x(const char *name, NnConv2dDims d, int with_bias, int pooled, const int *direct) {
    ConvCtx c = {.d = d};
    const int OH = nn_conv2d_out_h(&d), OW = nn_conv2d_out_w(&d);
    size_t n_in = (size_t)d.B * d.C * d.H * d.W;
    size_t n_w = (size_t)d.OC * (d.C / d.groups) * d.KH * d.KW;
    c.n_out = (size_t)d.B * d.OC * OH * OW;
    c.inp = randn(n_in, 1.0f);
    c.w = randn(n_w, 0.5f);
    c.b = with_bias ? randn(d.OC, 0.5f) : NULL;
    c.out = zeros(c.n_out);
    c.wout = randn(c.n_out, 1.0f);
    if (pooled) {
        for (size_t i = 0; i < c.n_out; i++) {
            const size_t oh = i / OW % OH, ow = i % OW;
            const uint32_t pick = nn_rng_u32_at(7, i - (oh % 2) * OW - ow % 2) & 3; /* one per block */
            if (oh / 2 >= (size_t)OH / 2 || ow / 2 >= (size_t)OW / 2 || (oh % 2) * 2 + ow % 2 != pick)
                c.wout[i] = 0.0f;
        }
    }
    c.scratch = zeros(nn_conv2d_scratch_floats(&d));
    float *dinp = zeros(n_in), *dw = zeros(n_w), *db = zeros(d.OC);
    nn_conv2d_stats(NULL, 1);
    conv_obj(&c);
    conv2d_backward(dinp, dw, with_bias ? db : NULL, c.wout, c.inp, c.w, c.scratch, &d);
    NnConvStats st;
    nn_conv2d_stats(&st, 1);
    if (direct && nn_conv2d_direct_available()) {
        CHECK_INT_EQ(st.forward_direct, direct[0] ? d.B : 0);
        CHECK_INT_EQ(st.dweight_sparse, direct[1] ? d.B : 0);
        CHECK_INT_EQ(st.dinp_direct, direct[2] ? d.B : 0);
    }
    char what[96];
    /* conv is linear in each argument: a larger step costs no truncation error */
    snprintf(what, sizeof what, "conv2d %s dinp", name);
    gradcheck(what, c.inp, dinp, n_in, 1e-2f, conv_obj, &c);
    snprintf(what, sizeof what, "conv2d %s dweight", name);
    gradcheck(what, c.w, dw, n_w, 1e-2f, conv_obj, &c);
    if (with_bias) {
        snprintf(what, sizeof what, "conv2d %s dbias", name);
        gradcheck(what, c.b, db, d.OC, 1e-2f, conv_obj, &c);
    }
    /* gradients accumulate: a second backward doubles them */
    float *dw2 = zeros(n_w);
    conv2d_backward(NULL, dw2, NULL, c.wout, c.inp, c.w, c.scratch, &d);
    conv2d_backward(NULL, dw2, NULL, c.wout, c.inp, c.w, c.scratch, &d);
    for (size_t i = 0; i < n_w; i++) CHECK_NEAR(dw2[i], 2.0f * dw[i], 1e-5, 1e-5);
    free(dw2);
    free(c.inp), free(c.w), free(c.b), free(c.out), free(c.wout), free(c.scratch);
    free(dinp), free(dw), free(db);
}

static void test_conv(const char *name, NnConv2dDims d, int with_bias) { test_conv_x(name, d, with_bias, 0, NULL); }

/* ---- maxpool ------------------------------------------------------------------------ */
typedef struct {
    int B, C, H, W, k, s, p, OH, OW;
    float *inp, *out, *wout;
    int32_t *arg;
} PoolCtx;

static double pool_obj(void *p) {
    PoolCtx *c = p;
    maxpool2d_forward(c->out, c->arg, c->inp, c->B, c->C, c->H, c->W, c->k, c->s, c->p);
    return weighted_sum(c->out, c->wout, (size_t)c->B * c->C * c->OH * c->OW);
}

static void test_pool(int B, int C, int H, int W, int k, int s, int p) {
    PoolCtx c = {B, C, H, W, k, s, p, nn_pool_out_size(H, k, s, p), nn_pool_out_size(W, k, s, p),
                 NULL, NULL, NULL, NULL};
    size_t n_in = (size_t)B * C * H * W, n_out = (size_t)B * C * c.OH * c.OW;
    /* distinct values 0.05 apart (a shuffled ramp) so a 1e-3 step never changes an argmax */
    c.inp = zeros(n_in);
    for (size_t i = 0; i < n_in; i++) c.inp[i] = 0.05f * (float)i - 0.025f * (float)n_in;
    for (size_t i = n_in - 1; i > 0; i--) {
        size_t j = nn_rng_u32(&g_rng) % (i + 1);
        float t = c.inp[i];
        c.inp[i] = c.inp[j];
        c.inp[j] = t;
    }
    c.out = zeros(n_out);
    c.wout = randn(n_out, 1.0f);
    c.arg = calloc(n_out, sizeof(int32_t));
    float *dinp = zeros(n_in);
    pool_obj(&c);
    maxpool2d_backward(dinp, c.wout, c.arg, B, C, H, W, c.OH, c.OW);
    char what[96];
    snprintf(what, sizeof what, "maxpool k%d s%d p%d %dx%d", k, s, p, H, W);
    gradcheck(what, c.inp, dinp, n_in, 1e-3f, pool_obj, &c);
    free(c.inp), free(c.out), free(c.wout), free(c.arg), free(dinp);
}

/* ---- linear --------------------------------------------------------------------------- */
typedef struct {
    int B, IN, OUT;
    float *inp, *w, *b, *out, *wout;
} LinCtx;

static double lin_obj(void *p) {
    LinCtx *c = p;
    linear_forward(c->out, c->inp, c->w, c->b, c->B, c->IN, c->OUT);
    return weighted_sum(c->out, c->wout, (size_t)c->B * c->OUT);
}

static void test_linear(void) {
    LinCtx c = {3, 7, 5, NULL, NULL, NULL, NULL, NULL};
    c.inp = randn(21, 1.0f), c.w = randn(35, 0.5f), c.b = randn(5, 0.5f);
    c.out = zeros(15), c.wout = randn(15, 1.0f);
    float *dinp = zeros(21), *dw = zeros(35), *db = zeros(5);
    lin_obj(&c);
    linear_backward(dinp, dw, db, c.wout, c.inp, c.w, 3, 7, 5);
    gradcheck("linear dinp", c.inp, dinp, 21, 1e-2f, lin_obj, &c);
    gradcheck("linear dweight", c.w, dw, 35, 1e-2f, lin_obj, &c);
    gradcheck("linear dbias", c.b, db, 5, 1e-2f, lin_obj, &c);
    float *dw2 = zeros(35);
    linear_backward(NULL, dw2, NULL, c.wout, c.inp, c.w, 3, 7, 5);
    linear_backward(NULL, dw2, NULL, c.wout, c.inp, c.w, 3, 7, 5);
    for (int i = 0; i < 35; i++) CHECK_NEAR(dw2[i], 2.0f * dw[i], 1e-5, 1e-5);
    free(dw2);
    free(c.inp), free(c.w), free(c.b), free(c.out), free(c.wout), free(dinp), free(dw), free(db);
}

/* ---- elementwise: gelu, dropout, diagonal mask, max normalisation --------------------- */
typedef struct {
    int kind; /* 0 gelu, 1 dropout, 2 diagmask, 3 maxnorm */
    size_t n;
    float *inp, *out, *wout, *aux;
    uint8_t *mask;
    NnRng rng0;
} EwCtx;

static double ew_obj(void *p) {
    EwCtx *c = p;
    if (c->kind == 0) gelu_forward(c->out, c->inp, c->n);
    if (c->kind == 1) {
        NnRng r = c->rng0; /* same draws every evaluation */
        dropout_forward(c->out, c->mask, c->inp, 0.3f, &r, c->n);
    }
    if (c->kind == 2) diagmask_forward(c->out, c->inp, 3, 2, 6, 6);
    if (c->kind == 3) maxnorm_forward(c->out, c->aux, c->inp, 2, (int)(c->n / 2));
    return weighted_sum(c->out, c->wout, c->n);
}

static void test_elementwise(void) {
    size_t n = 72;
    EwCtx c = {0, n, randn(n, 2.0f), zeros(n), randn(n, 1.0f), zeros(2), malloc(n), {0, 0}};
    nn_rng_init(&c.rng0, 99);
    float *g = zeros(n);
    for (int kind = 0; kind < 4; kind++) {
        c.kind = kind;
        if (kind == 3) /* positive tiles with a clear maximum */
            for (size_t i = 0; i < n; i++) c.inp[i] = fabsf(c.inp[i]) + (i % 36 == 7 ? 6.0f : 0.0f);
        ew_obj(&c);
        memset(g, 0, n * sizeof(float));
        if (kind == 0) gelu_backward(g, c.wout, c.inp, n);
        if (kind == 1) dropout_backward(g, c.wout, c.mask, 0.3f, n);
        if (kind == 2) diagmask_backward(g, c.wout, 3, 2, 6, 6);
        if (kind == 3) maxnorm_backward(g, c.wout, c.inp, c.aux, 2, (int)(n / 2));
        static const char *names[] = {"gelu", "dropout p=0.3", "diagmask band 3", "maxnorm"};
        gradcheck(names[kind], c.inp, g, n, 1e-3f, ew_obj, &c);
    }
    free(c.inp), free(c.out), free(c.wout), free(c.aux), free(c.mask), free(g);
}

/* ---- softmax / cross-entropy ---------------------------------------------------------- */
typedef struct {
    int kind, B, C; /* 0 softmax (weighted), 1 CE, 2 double-softmax CE */
    float *logits, *p, *p2, *wout, w0;
    int32_t *t;
} SmCtx;

static double sm_obj(void *q) {
    SmCtx *c = q;
    float loss = 0.0f;
    if (c->kind == 0) {
        softmax_forward(c->p, c->logits, c->B, c->C);
        return weighted_sum(c->p, c->wout, (size_t)c->B * c->C);
    }
    if (c->kind == 1) crossentropy_forward(&loss, c->p, c->logits, c->t, c->B, c->C);
    if (c->kind == 2) double_softmax_ce_forward(&loss, c->p, c->p2, c->logits, c->t, c->B, c->C);
    return (double)c->w0 * loss;
}

static void test_softmax(void) {
    int B = 4, C = 3;
    int32_t t[4] = {0, 2, 1, 2};
    SmCtx c = {0, B, C, randn(12, 1.5f), zeros(12), zeros(12), randn(12, 1.0f), 0.7f, t};
    float *g = zeros(12);
    static const char *names[] = {"softmax", "cross-entropy (logits)", "double-softmax CE"};
    for (int kind = 0; kind < 3; kind++) {
        c.kind = kind;
        sm_obj(&c);
        memset(g, 0, sizeof(float) * 12);
        if (kind == 0) softmax_backward(g, c.wout, c.p, B, C);
        if (kind == 1) crossentropy_backward(g, c.w0, c.p, t, B, C);
        if (kind == 2) double_softmax_ce_backward(g, c.w0, c.p, c.p2, t, B, C);
        gradcheck(names[kind], c.logits, g, 12, 1e-3f, sm_obj, &c);
    }
    free(c.logits), free(c.p), free(c.p2), free(c.wout), free(g);
}

/* ---- l2 normalisation and distances --------------------------------------------------- */
typedef struct {
    int kind, B, D; /* 0 l2norm, 1 pairwise, 2 cosine */
    float *x1, *x2, *out, *wout;
} DistCtx;

static double dist_obj(void *q) {
    DistCtx *c = q;
    if (c->kind == 0) {
        l2norm_forward(c->out, c->x1, NN_L2NORM_EPS, c->B, c->D);
        return weighted_sum(c->out, c->wout, (size_t)c->B * c->D);
    }
    if (c->kind == 1) pairwise_distance_forward(c->out, c->x1, c->x2, NN_PAIRWISE_EPS, c->B, c->D);
    if (c->kind == 2) cosine_distance_forward(c->out, c->x1, c->x2, NN_COSINE_EPS, c->B, c->D);
    return weighted_sum(c->out, c->wout, (size_t)c->B);
}

static void test_distances(void) {
    int B = 4, D = 6;
    DistCtx c = {0, B, D, randn(24, 1.0f), randn(24, 1.0f), zeros(24), randn(24, 1.0f)};
    float *g1 = zeros(24), *g2 = zeros(24);
    dist_obj(&c);
    l2norm_backward(g1, c.wout, c.x1, NN_L2NORM_EPS, B, D);
    gradcheck("l2norm", c.x1, g1, 24, 1e-3f, dist_obj, &c);
    for (int kind = 1; kind < 3; kind++) {
        c.kind = kind;
        dist_obj(&c);
        memset(g1, 0, sizeof(float) * 24), memset(g2, 0, sizeof(float) * 24);
        if (kind == 1) pairwise_distance_backward(g1, g2, c.wout, c.x1, c.x2, c.out, NN_PAIRWISE_EPS, B, D);
        if (kind == 2) cosine_distance_backward(g1, g2, c.wout, c.x1, c.x2, NN_COSINE_EPS, B, D);
        gradcheck(kind == 1 ? "pairwise distance dx1" : "cosine distance dx1", c.x1, g1, 24, 1e-3f,
                  dist_obj, &c);
        gradcheck(kind == 1 ? "pairwise distance dx2" : "cosine distance dx2", c.x2, g2, 24, 1e-3f,
                  dist_obj, &c);
    }
    free(c.x1), free(c.x2), free(c.out), free(c.wout), free(g1), free(g2);
}

/* ---- losses, composed with their distance from embeddings ------------------------------ */
typedef struct {
    int kind, B, D, V; /* 0 contrastive, 1 triplet, 2 sincere */
    float *e1, *e2, *e3, *d1, *d2, *y, *S, w0;
    int32_t *labels;
} LossCtx;

static double loss_obj(void *q) {
    LossCtx *c = q;
    float loss = 0.0f;
    if (c->kind == 0) {
        pairwise_distance_forward(c->d1, c->e1, c->e2, NN_PAIRWISE_EPS, c->B, c->D);
        contrastive_loss_forward(&loss, c->d1, c->y, NN_CONTRASTIVE_MARGIN, c->B);
    } else if (c->kind == 1) {
        pairwise_distance_forward(c->d1, c->e1, c->e2, NN_TRIPLET_EPS_HTF, c->B, c->D);
        pairwise_distance_forward(c->d2, c->e1, c->e3, NN_TRIPLET_EPS_HTF, c->B, c->D);
        triplet_loss_forward(&loss, c->d1, c->d2, NN_TRIPLET_MARGIN, c->B);
    } else {
        sincere_loss_forward(&loss, c->S, c->e1, c->labels, NN_SINCERE_TEMPERATURE, c->B, c->V, c->D);
    }
    return (double)c->w0 * loss;
}

static void test_losses(void) {
    enum { B = 6, D = 5 };
    float y[B] = {0, 1, 1, 0, 1, 1};
    LossCtx c = {0, B, D, 1, randn(B * D, 1.0f), randn(B * D, 1.0f), randn(B * D, 1.0f), zeros(B),
                 zeros(B), y, zeros(B * B), 1.3f, NULL};
    /* pull pair 4 close so its hinge max(0, 2 - d) is active; pair 1 stays far (d > 2) */
    for (int k = 0; k < D; k++) c.e2[4 * D + k] = c.e1[4 * D + k] + 0.2f;
    for (int k = 0; k < D; k++) c.e2[1 * D + k] = c.e1[1 * D + k] + 2.0f;
    float *g1 = zeros(B * D), *g2 = zeros(B * D), *g3 = zeros(B * D), *dd1 = zeros(B),
          *dd2 = zeros(B);
    loss_obj(&c);
    CHECK(c.d1[4] < 1.9f && c.d1[1] > 2.1f);
    contrastive_loss_backward(dd1, c.w0, c.d1, y, NN_CONTRASTIVE_MARGIN, B);
    pairwise_distance_backward(g1, g2, dd1, c.e1, c.e2, c.d1, NN_PAIRWISE_EPS, B, D);
    gradcheck("contrastive de1", c.e1, g1, B * D, 1e-3f, loss_obj, &c);
    gradcheck("contrastive de2", c.e2, g2, B * D, 1e-3f, loss_obj, &c);

    c.kind = 1;
    /* triplets: 0-3 active hinge (n close to a), 4-5 inactive (n far) */
    for (int b = 0; b < B; b++)
        for (int k = 0; k < D; k++)
            c.e3[b * D + k] = c.e1[b * D + k] + (b < 4 ? 0.3f : 3.0f) * (k % 2 ? 1.0f : -1.0f);
    loss_obj(&c);
    for (int b = 0; b < B; b++) CHECK(fabsf(c.d1[b] - c.d2[b] + 1.0f) > 0.05f);
    memset(g1, 0, sizeof(float) * B * D), memset(g2, 0, sizeof(float) * B * D);
    memset(dd1, 0, sizeof(float) * B), memset(dd2, 0, sizeof(float) * B);
    triplet_loss_backward(dd1, dd2, c.w0, c.d1, c.d2, NN_TRIPLET_MARGIN, B);
    pairwise_distance_backward(g1, g2, dd1, c.e1, c.e2, c.d1, NN_TRIPLET_EPS_HTF, B, D);
    pairwise_distance_backward(g1, g3, dd2, c.e1, c.e3, c.d2, NN_TRIPLET_EPS_HTF, B, D);
    gradcheck("triplet danchor", c.e1, g1, B * D, 1e-3f, loss_obj, &c);
    gradcheck("triplet dpositive", c.e2, g2, B * D, 1e-3f, loss_obj, &c);
    gradcheck("triplet dnegative", c.e3, g3, B * D, 1e-3f, loss_obj, &c);

    /* SINCERE on 6 rows, 3 classes (one with 3 members), V = 1; then multiview 3 x 2 views */
    c.kind = 2;
    int32_t lab1[6] = {0, 0, 1, 1, 2, 0}, lab2[3] = {1, 0, 1};
    l2norm_forward(c.e1, c.e1, NN_L2NORM_EPS, B, D);
    for (int pass = 0; pass < 2; pass++) {
        c.labels = pass ? lab2 : lab1;
        c.V = pass ? 2 : 1;
        loss_obj(&c);
        memset(g1, 0, sizeof(float) * B * D);
        sincere_loss_backward(g1, c.w0, c.S, c.e1, c.labels, NN_SINCERE_TEMPERATURE, B, c.V, D);
        gradcheck(pass ? "multiview SINCERE V=2" : "SINCERE", c.e1, g1, B * D, 1e-3f, loss_obj, &c);
    }
    free(c.e1), free(c.e2), free(c.e3), free(c.d1), free(c.d2), free(c.S);
    free(g1), free(g2), free(g3), free(dd1), free(dd2);
}

/* ---- the checker itself must be able to fail ------------------------------------------ */
static void test_checker_detects_errors(void) {
    LinCtx c = {2, 3, 2, randn(6, 1.0f), randn(6, 1.0f), randn(2, 1.0f), zeros(4), randn(4, 1.0f)};
    float *dw = zeros(6);
    lin_obj(&c);
    linear_backward(NULL, dw, NULL, c.wout, c.inp, c.w, 2, 3, 2);
    CHECK(gradcheck_q("self-test exact", c.w, dw, 6, 1e-2f, lin_obj, &c, 1) == 0);
    int imax = 0; /* a 5 % error in the largest element */
    for (int i = 1; i < 6; i++) imax = fabsf(dw[i]) > fabsf(dw[imax]) ? i : imax;
    CHECK(fabsf(dw[imax]) > 0.5f);
    dw[imax] *= 1.05f;
    int caught = gradcheck_q("self-test wrong", c.w, dw, 6, 1e-2f, lin_obj, &c, 1);
    CHECK_INT_EQ(caught, 1);
    free(c.inp), free(c.w), free(c.b), free(c.out), free(c.wout), free(dw);
}

int main(void) {
    nn_rng_init(&g_rng, 20240601);
    test_checker_detects_errors();
    /* B, C, H, W, OC, KH, KW, stride, pad, groups */
    test_conv("3x3 s1 p1", (NnConv2dDims){2, 3, 7, 6, 4, 3, 3, 1, 1, 1}, 1);
    test_conv("3x3 s2 p1 g2", (NnConv2dDims){2, 4, 9, 7, 6, 3, 3, 2, 1, 2}, 1);
    test_conv("depthwise 3x3 s1 p1", (NnConv2dDims){1, 3, 6, 6, 3, 3, 3, 1, 1, 3}, 1);
    test_conv("5x5 s1 p0 (SLeNet)", (NnConv2dDims){2, 1, 9, 9, 2, 5, 5, 1, 0, 1}, 1);
    test_conv("5x3 s2 p2 no bias", (NnConv2dDims){1, 2, 8, 7, 3, 5, 3, 2, 2, 1}, 0);
    test_conv("1x1", (NnConv2dDims){2, 4, 3, 3, 5, 1, 1, 1, 0, 1}, 1);
    /* the direct kernels (src/nn/nn_conv2d_direct.c): odd widths, batch 1 and 3, partial
     * register tiles of output channels, the pooled dout of SLeNet */
    static const int fwd_dinp[3] = {1, 0, 1}, all[3] = {1, 1, 1};
    test_conv_x("5x5 B3 OW10 OC7", (NnConv2dDims){3, 2, 9, 14, 7, 5, 5, 1, 0, 1}, 1, 0, fwd_dinp);
    test_conv_x("5x5 B3 OW10 OC7 pooled", (NnConv2dDims){3, 2, 13, 14, 7, 5, 5, 1, 0, 1}, 1, 1, all);
    test_conv_x("5x5 B1 C6 OW17 OC16 pooled", (NnConv2dDims){1, 6, 12, 21, 16, 5, 5, 1, 0, 1}, 1, 1, all);
    test_conv_x("3x5 B2 OW9 OC5 pooled", (NnConv2dDims){2, 3, 8, 13, 5, 3, 5, 1, 0, 1}, 0, 1, all);
    test_pool(2, 3, 7, 9, 2, 2, 0);
    test_pool(1, 2, 7, 6, 3, 2, 1);
    test_linear();
    test_elementwise();
    test_softmax();
    test_distances();
    test_losses();
    return TEST_RESULT();
}
