/* The CPU nn ops against PyTorch: tests/data/nn_ops_fixture.bin, written by
 * tests/fixtures/make_nn_fixtures.py (torch computes in float64 from float32 inputs).
 *
 * Tolerance, every output and gradient: |ours - torch| <= 1e-5 + 1e-4 |torch|
 * (FIX_ATOL, FIX_RTOL): float32 accumulation over at most a few hundred terms stays
 * within ~1e-6 relative; an op that differs from torch in a formula (an eps, a mean
 * versus a sum, a clamp) misses by orders of magnitude more.
 *
 * Every conv case runs twice: with the kernels conv2d picks (NN_CONV_AUTO: direct forward
 * and input gradient, sparse weight gradient after a pool) and forced to im2col + sgemm;
 * the counters of nn_conv2d_stats show that the direct kernels really ran where they apply.
 */
#include "hitwin/nn.h"
#include "fixture_reader.h"
#include "test_util.h"

#include <stdint.h>
#include <stdlib.h>

#define FIX_ATOL 1e-5
#define FIX_RTOL 1e-4
#define FIX_PATH "tests/data/nn_ops_fixture.bin"

static int load_fixture(const char *path) { return fix_load(path, "tests/fixtures/make_nn_fixtures.py"); }

/* a fresh zeroed buffer with n floats */
static float *buf(size_t n) { return calloc(n + 1, sizeof(float)); }

/* integer labels stored as float */
static int32_t *ints(const FixArray *a) {
    int32_t *t = calloc(a->n + 1, sizeof(int32_t));
    for (size_t i = 0; i < a->n; i++) t[i] = (int32_t)a->data[i];
    return t;
}

static void compare(const char *name, const float *got, size_t n) {
    const FixArray *ref = get(name);
    if (ref->n != n) {
        fprintf(stderr, "%s: %zu values, fixture has %zu\n", name, n, ref->n);
        test_failures++;
        return;
    }
    int bad = 0;
    double max_err = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = got[i], b = ref->data[i], err = fabs(a - b);
        if (err > max_err || isnan(err)) max_err = err;
        if (!(err <= FIX_ATOL + FIX_RTOL * fabs(b))) {
            if (bad < 3) fprintf(stderr, "  %s[%zu] = %.8g, torch %.8g\n", name, i, a, b);
            bad++;
        }
    }
    printf("%-22s n=%-5zu max err=%.3g%s\n", name, n, max_err, bad ? "  FAIL" : "");
    if (bad) test_failures++;
}

static const char *path_name(NnConvPath path) { return path == NN_CONV_AUTO ? "auto" : "im2col"; }

static void test_conv_path(const char *name, int B, int C, int H, int W, int OC, int KH, int KW, int s,
                           int p, int g, int bias, NnConvPath path) {
    NnConv2dDims d = {B, C, H, W, OC, KH, KW, s, p, g};
    char k[96];
#define KEY(suffix) (snprintf(k, sizeof k, "%s.%s", name, suffix), k)
    const FixArray *x = get(KEY("x")), *w = get(KEY("w")), *dout = get(KEY("dout"));
    const float *b = bias ? get(KEY("b"))->data : NULL;
    size_t n_out = (size_t)B * OC * nn_conv2d_out_h(&d) * nn_conv2d_out_w(&d);
    size_t n_w = (size_t)OC * (C / g) * KH * KW;
    CHECK_INT_EQ(x->n, (size_t)B * C * H * W);
    CHECK_INT_EQ(dout->n, n_out);
    if (x->n != (size_t)B * C * H * W || dout->n != n_out) return;
    printf("[%s]\n", path_name(path));
    nn_conv2d_set_path(path);
    float *out = buf(n_out), *scratch = buf(nn_conv2d_scratch_floats(&d));
    float *dx = buf(x->n), *dw = buf(n_w), *db = buf(OC);
    conv2d_forward(out, x->data, w->data, b, scratch, &d);
    compare(KEY("out"), out, n_out);
    conv2d_backward(dx, dw, bias ? db : NULL, dout->data, x->data, w->data, scratch, &d);
    compare(KEY("dx"), dx, x->n);
    compare(KEY("dw"), dw, n_w);
    if (bias) compare(KEY("db"), db, OC);
#undef KEY
    nn_conv2d_set_path(NN_CONV_AUTO);
    free(out), free(scratch), free(dx), free(dw), free(db);
}

static void test_conv(const char *name, int B, int C, int H, int W, int OC, int KH, int KW, int s,
                      int p, int g, int bias) {
    test_conv_path(name, B, C, H, W, OC, KH, KW, s, p, g, bias, NN_CONV_AUTO);
    test_conv_path(name, B, C, H, W, OC, KH, KW, s, p, g, bias, NN_CONV_IM2COL);
}

/* 5x5 conv then a 2x2 max pool (ours); the conv's backward gets the pool's gradient, one
 * nonzero per 2x2 block. Returns the conv counters of the run. */
static NnConvStats test_conv_pool(const char *name, int B, int C, int H, int W, int OC, NnConvPath path) {
    NnConv2dDims d = {B, C, H, W, OC, 5, 5, 1, 0, 1};
    const int OH = nn_conv2d_out_h(&d), OW = nn_conv2d_out_w(&d), PH = OH / 2, PW = OW / 2;
    char k[96];
#define KEY(suffix) (snprintf(k, sizeof k, "%s.%s", name, suffix), k)
    const FixArray *x = get(KEY("x")), *w = get(KEY("w")), *b = get(KEY("b")), *dpool = get(KEY("dpool"));
    const size_t n_out = (size_t)B * OC * OH * OW, n_pool = (size_t)B * OC * PH * PW;
    NnConvStats st = {0};
    CHECK_INT_EQ(x->n, (size_t)B * C * H * W);
    CHECK_INT_EQ(dpool->n, n_pool);
    if (x->n != (size_t)B * C * H * W || dpool->n != n_pool) return st;
    printf("[%s]\n", path_name(path));
    nn_conv2d_set_path(path);
    nn_conv2d_stats(NULL, 1);
    float *out = buf(n_out), *pooled = buf(n_pool), *dout = buf(n_out), *scratch = buf(nn_conv2d_scratch_floats(&d));
    float *dx = buf(x->n), *dw = buf(w->n), *db = buf(OC);
    int32_t *arg = calloc(n_pool, sizeof(int32_t));
    conv2d_forward(out, x->data, w->data, b->data, scratch, &d);
    compare(KEY("out"), out, n_out);
    maxpool2d_forward(pooled, arg, out, B, OC, OH, OW, 2, 2, 0);
    maxpool2d_backward(dout, dpool->data, arg, B, OC, OH, OW, PH, PW);
    compare(KEY("dout"), dout, n_out);
    conv2d_backward(dx, dw, db, dout, x->data, w->data, scratch, &d);
    compare(KEY("dx"), dx, x->n);
    compare(KEY("dw"), dw, w->n);
    compare(KEY("db"), db, OC);
    /* the same as one op: pooled against the pool of torch's conv output, gradients against
     * torch's; the conv output buffer only serves the unfused case, so it is poisoned */
    printf("[%s, conv2d_maxpool]\n", path_name(path));
    float *pooled2 = buf(n_pool), *torch_pooled = buf(n_pool);
    int32_t *arg2 = calloc(n_pool, sizeof(int32_t));
    for (size_t i = 0; i < n_out; i++) out[i] = NAN, dout[i] = NAN;
    memset(dx, 0, x->n * sizeof(float)), memset(dw, 0, w->n * sizeof(float)), memset(db, 0, OC * sizeof(float));
    conv2d_maxpool_forward(pooled2, arg2, out, x->data, w->data, b->data, scratch, &d);
    maxpool2d_forward(torch_pooled, arg, get(KEY("out"))->data, B, OC, OH, OW, 2, 2, 0);
    for (size_t i = 0; i < n_pool; i++) {
        const float t = torch_pooled[i];
        if (!(fabs(pooled2[i] - t) <= FIX_ATOL + FIX_RTOL * fabs(t))) {
            fprintf(stderr, "  %s pooled[%zu] = %.8g, pool of torch's conv %.8g\n", name, i, pooled2[i], t);
            test_failures++;
            break;
        }
    }
    conv2d_maxpool_backward(dx, dw, db, dout, dpool->data, arg2, x->data, w->data, scratch, &d);
    compare(KEY("dx"), dx, x->n);
    compare(KEY("dw"), dw, w->n);
    compare(KEY("db"), db, OC);
    free(pooled2), free(torch_pooled), free(arg2);
#undef KEY
    nn_conv2d_stats(&st, 1);
    nn_conv2d_set_path(NN_CONV_AUTO);
    free(out), free(pooled), free(dout), free(scratch), free(dx), free(dw), free(db), free(arg);
    return st;
}

/* both paths; with AVX2 + FMA the automatic one must have used every direct kernel */
static void test_conv_pool_paths(const char *name, int B, int C, int H, int W, int OC) {
    NnConvStats a = test_conv_pool(name, B, C, H, W, OC, NN_CONV_AUTO);
    NnConvStats i = test_conv_pool(name, B, C, H, W, OC, NN_CONV_IM2COL);
    CHECK(i.forward_direct == 0 && i.dweight_sparse == 0 && i.dinp_direct == 0);
    CHECK(i.pool_fused_forward == 0 && i.pool_fused_backward == 0);
    CHECK_INT_EQ(i.forward_im2col, (uint64_t)2 * B); /* the two ops, then conv2d_maxpool unfused */
    if (nn_conv2d_direct_available()) {
        CHECK_INT_EQ(a.forward_direct, (uint64_t)B);
        CHECK_INT_EQ(a.dweight_sparse, (uint64_t)B);
        CHECK_INT_EQ(a.dinp_direct, (uint64_t)B);
        CHECK_INT_EQ(a.pool_fused_forward, (uint64_t)B);
        CHECK_INT_EQ(a.pool_fused_backward, (uint64_t)B);
    } else {
        printf("(no AVX2 + FMA here: the direct kernels are not used)\n");
    }
}

static void test_pool(const char *name, int k, int s, int p) {
    char key[96];
    snprintf(key, sizeof key, "%s.x", name);
    const FixArray *x = get(key);
    if (x->ndim != 4) return;
    int B = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    int OH = nn_pool_out_size(H, k, s, p), OW = nn_pool_out_size(W, k, s, p);
    size_t n_out = (size_t)B * C * OH * OW;
    float *out = buf(n_out), *dx = buf(x->n);
    int32_t *arg = calloc(n_out, sizeof(int32_t));
    maxpool2d_forward(out, arg, x->data, B, C, H, W, k, s, p);
    snprintf(key, sizeof key, "%s.out", name);
    compare(key, out, n_out);
    snprintf(key, sizeof key, "%s.dout", name);
    maxpool2d_backward(dx, get(key)->data, arg, B, C, H, W, OH, OW);
    snprintf(key, sizeof key, "%s.dx", name);
    compare(key, dx, x->n);
    free(out), free(dx), free(arg);
}

static void test_linear(void) {
    const FixArray *x = get("linear.x"), *w = get("linear.w");
    int B = x->dims[0], IN = x->dims[1], OUT = w->dims[0];
    float *out = buf((size_t)B * OUT), *dx = buf(x->n), *dw = buf(w->n), *db = buf(OUT);
    linear_forward(out, x->data, w->data, get("linear.b")->data, B, IN, OUT);
    compare("linear.out", out, (size_t)B * OUT);
    linear_backward(dx, dw, db, get("linear.dout")->data, x->data, w->data, B, IN, OUT);
    compare("linear.dx", dx, x->n);
    compare("linear.dw", dw, w->n);
    compare("linear.db", db, OUT);
    free(out), free(dx), free(dw), free(db);
}

static void test_gelu_softmax(void) {
    const FixArray *x = get("gelu.x");
    float *out = buf(x->n), *dx = buf(x->n);
    gelu_forward(out, x->data, x->n);
    compare("gelu.out", out, x->n);
    gelu_backward(dx, get("gelu.dout")->data, x->data, x->n);
    compare("gelu.dx", dx, x->n);
    free(out), free(dx);

    x = get("softmax.x");
    int B = x->dims[0], C = x->dims[1];
    out = buf(x->n), dx = buf(x->n);
    softmax_forward(out, x->data, B, C);
    compare("softmax.out", out, x->n);
    softmax_backward(dx, get("softmax.dout")->data, out, B, C);
    compare("softmax.dx", dx, x->n);
    free(out), free(dx);

    float loss;
    x = get("ce.x");
    B = x->dims[0], C = x->dims[1];
    int32_t *t = ints(get("ce.t"));
    float *probs = buf(x->n);
    dx = buf(x->n);
    crossentropy_forward(&loss, probs, x->data, t, B, C);
    compare("ce.loss", &loss, 1);
    crossentropy_backward(dx, 1.0f, probs, t, B, C);
    compare("ce.dx", dx, x->n);
    free(t), free(probs), free(dx);

    x = get("dsce.x");
    B = x->dims[0], C = x->dims[1];
    t = ints(get("dsce.t"));
    probs = buf(x->n), dx = buf(x->n);
    float *probs2 = buf(x->n);
    double_softmax_ce_forward(&loss, probs, probs2, x->data, t, B, C);
    compare("dsce.probs", probs, x->n);
    compare("dsce.loss", &loss, 1);
    double_softmax_ce_backward(dx, 1.0f, probs, probs2, t, B, C);
    compare("dsce.dx", dx, x->n);
    free(t), free(probs), free(probs2), free(dx);
}

static void test_norms(void) {
    const FixArray *x = get("l2norm.x");
    int B = x->dims[0], D = x->dims[1];
    float *out = buf(x->n), *dx = buf(x->n);
    l2norm_forward(out, x->data, NN_L2NORM_EPS, B, D);
    compare("l2norm.out", out, x->n);
    l2norm_backward(dx, get("l2norm.dout")->data, x->data, NN_L2NORM_EPS, B, D);
    compare("l2norm.dx", dx, x->n);
    free(out), free(dx);

    x = get("maxnorm.x");
    B = x->dims[0];
    int N = (int)(x->n / B);
    float *maxval = buf(B);
    out = buf(x->n), dx = buf(x->n);
    maxnorm_forward(out, maxval, x->data, B, N);
    compare("maxnorm.out", out, x->n);
    maxnorm_backward(dx, get("maxnorm.dout")->data, x->data, maxval, B, N);
    compare("maxnorm.dx", dx, x->n);
    free(out), free(dx), free(maxval);
}

static void test_distances(void) {
    for (int kind = 0; kind < 2; kind++) {
        const char *pre = kind ? "cosdist" : "pdist";
        char k[64];
#define KEY(suffix) (snprintf(k, sizeof k, "%s.%s", pre, suffix), k)
        const FixArray *x1 = get(KEY("x1")), *x2 = get(KEY("x2"));
        int B = x1->dims[0], D = x1->dims[1];
        float *out = buf(B), *dx1 = buf(x1->n), *dx2 = buf(x2->n);
        if (kind == 0) pairwise_distance_forward(out, x1->data, x2->data, NN_PAIRWISE_EPS, B, D);
        else cosine_distance_forward(out, x1->data, x2->data, NN_COSINE_EPS, B, D);
        compare(KEY("out"), out, B);
        const float *dout = get(KEY("dout"))->data;
        if (kind == 0)
            pairwise_distance_backward(dx1, dx2, dout, x1->data, x2->data, out, NN_PAIRWISE_EPS, B, D);
        else cosine_distance_backward(dx1, dx2, dout, x1->data, x2->data, NN_COSINE_EPS, B, D);
        compare(KEY("dx1"), dx1, x1->n);
        compare(KEY("dx2"), dx2, x2->n);
#undef KEY
        free(out), free(dx1), free(dx2);
    }
}

static void test_losses(void) {
    float loss;
    /* contrastive: pairwise distance (eps 1e-6) then the margin-2 loss */
    const FixArray *e1 = get("contrastive.e1"), *e2 = get("contrastive.e2");
    int B = e1->dims[0], D = e1->dims[1];
    float *d = buf(B), *dd = buf(B), *de1 = buf(e1->n), *de2 = buf(e2->n);
    const float *y = get("contrastive.y")->data;
    pairwise_distance_forward(d, e1->data, e2->data, NN_PAIRWISE_EPS, B, D);
    compare("contrastive.dist", d, B);
    contrastive_loss_forward(&loss, d, y, NN_CONTRASTIVE_MARGIN, B);
    compare("contrastive.loss", &loss, 1);
    contrastive_loss_backward(dd, 1.0f, d, y, NN_CONTRASTIVE_MARGIN, B);
    pairwise_distance_backward(de1, de2, dd, e1->data, e2->data, d, NN_PAIRWISE_EPS, B, D);
    compare("contrastive.de1", de1, e1->n);
    compare("contrastive.de2", de2, e2->n);
    free(d), free(dd), free(de1), free(de2);

    /* triplet as HTF builds it: eps 1e-7 */
    const FixArray *a = get("triplet.a"), *p = get("triplet.p"), *n = get("triplet.n");
    B = a->dims[0], D = a->dims[1];
    float *dap = buf(B), *dan = buf(B), *ddap = buf(B), *ddan = buf(B);
    float *da = buf(a->n), *dp = buf(a->n), *dn = buf(a->n);
    pairwise_distance_forward(dap, a->data, p->data, NN_TRIPLET_EPS_HTF, B, D);
    pairwise_distance_forward(dan, a->data, n->data, NN_TRIPLET_EPS_HTF, B, D);
    triplet_loss_forward(&loss, dap, dan, NN_TRIPLET_MARGIN, B);
    compare("triplet.loss", &loss, 1);
    triplet_loss_backward(ddap, ddan, 1.0f, dap, dan, NN_TRIPLET_MARGIN, B);
    pairwise_distance_backward(da, dp, ddap, a->data, p->data, dap, NN_TRIPLET_EPS_HTF, B, D);
    pairwise_distance_backward(da, dn, ddan, a->data, n->data, dan, NN_TRIPLET_EPS_HTF, B, D);
    compare("triplet.da", da, a->n);
    compare("triplet.dp", dp, p->n);
    compare("triplet.dn", dn, n->n);
    free(dap), free(dan), free(ddap), free(ddan), free(da), free(dp), free(dn);

    /* SINCERE after F.normalize: plain (V = 1) and multiview (HTF's [2, V, D] call) */
    for (int mv = 0; mv < 2; mv++) {
        const char *pre = mv ? "mvsincere" : "sincere";
        char k[64];
#define KEY(suffix) (snprintf(k, sizeof k, "%s.%s", pre, suffix), k)
        const FixArray *zr = get(KEY("zraw"));
        int V = mv ? zr->dims[1] : 1;
        D = zr->dims[zr->ndim - 1];
        int N = (int)(zr->n / D);
        int32_t *labels = ints(get(KEY("labels")));
        float *z = buf(zr->n), *S = buf((size_t)N * N), *dz = buf(zr->n), *dzr = buf(zr->n);
        l2norm_forward(z, zr->data, NN_L2NORM_EPS, N, D);
        sincere_loss_forward(&loss, S, z, labels, NN_SINCERE_TEMPERATURE, N, V, D);
        compare(KEY("loss"), &loss, 1);
        sincere_loss_backward(dz, 1.0f, S, z, labels, NN_SINCERE_TEMPERATURE, N, V, D);
        l2norm_backward(dzr, dz, zr->data, NN_L2NORM_EPS, N, D);
        compare(KEY("dzraw"), dzr, zr->n);
#undef KEY
        free(labels), free(z), free(S), free(dz), free(dzr);
    }
}

int main(void) {
    if (!load_fixture(FIX_PATH)) return 1;
    test_conv("conv_slenet", 2, 1, 12, 12, 3, 5, 5, 1, 0, 1, 1);
    test_conv("conv_s2p1g2", 2, 4, 9, 7, 6, 3, 3, 2, 1, 2, 1);
    test_conv("conv_dw", 2, 4, 6, 6, 4, 3, 3, 1, 1, 4, 1);
    test_conv("conv_1x1", 2, 6, 5, 5, 8, 1, 1, 1, 0, 1, 0);
    test_conv_pool_paths("conv_pool", 2, 6, 12, 21, 7);
    test_conv_pool_paths("conv_pool1", 1, 1, 20, 28, 6);
    test_pool("pool_k2s2", 2, 2, 0);
    test_pool("pool_k3s2p1", 3, 2, 1);
    test_linear();
    test_gelu_softmax();
    test_norms();
    test_distances();
    test_losses();
    for (int i = 0; i < g_count; i++) free(g_arr[i].data);
    free(g_arr);
    return TEST_RESULT();
}
