/* The MaxViT ops (nn_maxvit.h) against PyTorch: tests/data/maxvit_ops_fixture.bin, written by
 * tests/fixtures/make_maxvit_op_fixtures.py (torch computes in float64 from float32 inputs).
 *
 * Tolerance, every output and gradient: |ours - torch| <= 1e-5 + 1e-4 |torch| (FIX_ATOL,
 * FIX_RTOL), as test_nn_torch: float32 sums over at most a few hundred terms stay within ~1e-6
 * relative, while a wrong formula (an eps, a biased for an unbiased variance, a scale by the
 * head width instead of the channel count, a transposed partition) misses by far more. The
 * partitions are permutations and must match exactly. */
#include "hitwin/nn_maxvit.h"
#include "fixture_reader.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#define FIX_ATOL 1e-5
#define FIX_RTOL 1e-4
#define FIX_PATH "tests/data/maxvit_ops_fixture.bin"

static float *buf(size_t n) { return calloc(n + 1, sizeof(float)); }

static void compare_tol(const char *name, const float *got, size_t n, double atol, double rtol) {
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
        if (!(err <= atol + rtol * fabs(b))) {
            if (bad < 3) fprintf(stderr, "  %s[%zu] = %.8g, torch %.8g\n", name, i, a, b);
            bad++;
        }
    }
    printf("%-24s n=%-5zu max err=%.3g%s\n", name, n, max_err, bad ? "  FAIL" : "");
    if (bad) test_failures++;
}
static void compare(const char *name, const float *got, size_t n) {
    compare_tol(name, got, n, FIX_ATOL, FIX_RTOL);
}

static const float *D(const char *name) { return get(name)->data; }

static void test_batchnorm(int train) {
    const int B = 3, C = 4, HW = 25;
    const size_t n = (size_t)B * C * HW;
    const char *p = train ? "bn_train" : "bn_eval";
    char k[64];
#define K(s) (snprintf(k, sizeof k, "%s.%s", p, s), k)
    float *out = buf(n), *mean = buf(C), *rstd = buf(C), *rm = buf(C), *rv = buf(C);
    float *dx = buf(n), *dg = buf(C), *db = buf(C);
    memcpy(rm, D(K("running_mean0")), C * sizeof(float));
    memcpy(rv, D(K("running_var0")), C * sizeof(float));
    batchnorm2d_forward(out, mean, rstd, rm, rv, D(K("x")), D(K("gamma")), D(K("beta")), train,
                        NN_MAXVIT_BN_MOMENTUM, NN_MAXVIT_BN_EPS, B, C, HW);
    compare(K("out"), out, n);
    compare(K("running_mean"), rm, C);
    compare(K("running_var"), rv, C);
    batchnorm2d_backward(dx, dg, db, D(K("dout")), D(K("x")), mean, rstd, D(K("gamma")), train, B, C, HW);
    compare(K("dx"), dx, n);
    compare(K("dgamma"), dg, C);
    compare(K("dbeta"), db, C);
#undef K
    free(out), free(mean), free(rstd), free(rm), free(rv), free(dx), free(dg), free(db);
}

static void test_layernorm(void) {
    const int N = 6, C = 8;
    float *out = buf(N * C), *mean = buf(N), *rstd = buf(N), *dx = buf(N * C), *dg = buf(C), *db = buf(C);
    layernorm_forward(out, mean, rstd, D("ln.x"), D("ln.gamma"), D("ln.beta"), NN_LAYERNORM_EPS, N, C);
    compare("ln.out", out, N * C);
    layernorm_backward(dx, dg, db, D("ln.dout"), D("ln.x"), mean, rstd, D("ln.gamma"), N, C);
    compare("ln.dx", dx, N * C);
    compare("ln.dgamma", dg, C);
    compare("ln.dbeta", db, C);
    free(out), free(mean), free(rstd), free(dx), free(dg), free(db);
}

static void test_gates(void) {
    const size_t n = 40;
    float *out = buf(n), *dx = buf(n);
    silu_forward(out, D("silu.x"), n);
    compare("silu.out", out, n);
    silu_backward(dx, D("silu.dout"), D("silu.x"), n);
    compare("silu.dx", dx, n);
    memset(dx, 0, n * sizeof(float));
    sigmoid_forward(out, D("sigmoid.x"), n);
    compare("sigmoid.out", out, n);
    sigmoid_backward(dx, D("sigmoid.dout"), out, n);
    compare("sigmoid.dx", dx, n);
    free(out), free(dx);
}

static void test_pools(void) {
    float *out = buf(2 * 3 * 4 * 3), *dx = buf(2 * 3 * 7 * 6);
    avgpool2d_forward(out, D("avgpool.x"), 2, 3, 7, 6, 3, 2, 1);
    compare("avgpool.out", out, 2 * 3 * 4 * 3);
    avgpool2d_backward(dx, D("avgpool.dout"), 2, 3, 7, 6, 3, 2, 1);
    compare("avgpool.dx", dx, 2 * 3 * 7 * 6);
    free(out), free(dx);
    float *g = buf(6), *dg = buf(2 * 3 * 20);
    global_avgpool_forward(g, 3, D("gap.x"), 2, 3, 20);
    compare("gap.out", g, 6);
    global_avgpool_backward(dg, D("gap.dout"), 3, 2, 3, 20);
    compare("gap.dx", dg, 2 * 3 * 20);
    free(g), free(dg);
}

static void test_squeeze_excite(void) {
    const int B = 2, C = 8, SQ = 2, HW = 9;
    const size_t n = (size_t)B * C * HW;
    NnSeSaved sv = {buf(B * C), buf(B * SQ), buf(B * SQ), buf(B * C)};
    float *out = buf(n), *dx = buf(n), *dw1 = buf(SQ * C), *db1 = buf(SQ), *dw2 = buf(C * SQ), *db2 = buf(C);
    float *scratch = buf(2 * B * C + B * SQ);
    squeeze_excite_forward(out, &sv, D("se.x"), D("se.w1"), D("se.b1"), D("se.w2"), D("se.b2"), B, C, SQ, HW);
    compare("se.out", out, n);
    squeeze_excite_backward(dx, dw1, db1, dw2, db2, D("se.dout"), &sv, D("se.x"), D("se.w1"), D("se.w2"),
                            scratch, B, C, SQ, HW);
    compare("se.dx", dx, n);
    compare("se.dw1", dw1, SQ * C);
    compare("se.db1", db1, SQ);
    compare("se.dw2", dw2, C * SQ);
    compare("se.db2", db2, C);
    free(sv.pooled), free(sv.h), free(sv.a), free(sv.gate);
    free(out), free(dx), free(dw1), free(db1), free(dw2), free(db2), free(scratch);
}

static void test_partition(void) {
    const int B = 2, C = 3, H = 14, W = 14;
    const size_t n = (size_t)B * C * H * W;
    float *tok = buf(n), *back = buf(n);
    partition_forward(tok, D("partition.x"), NN_PARTITION_WINDOW, B, C, H, W, NN_MAXVIT_WINDOW);
    compare_tol("partition.window", tok, n, 0.0, 0.0);
    departition_forward(back, tok, NN_PARTITION_WINDOW, B, C, H, W, NN_MAXVIT_WINDOW);
    CHECK(memcmp(back, D("partition.x"), n * sizeof(float)) == 0);
    partition_forward(tok, D("partition.x"), NN_PARTITION_GRID, B, C, H, W, NN_MAXVIT_WINDOW);
    compare_tol("partition.grid", tok, n, 0.0, 0.0);
    departition_forward(back, tok, NN_PARTITION_GRID, B, C, H, W, NN_MAXVIT_WINDOW);
    CHECK(memcmp(back, D("partition.x"), n * sizeof(float)) == 0);
    free(tok), free(back);
}

static void test_attention(const char *p, int BG, int w, int C, int NH) {
    const int P = w * w, T = (2 * w - 1) * (2 * w - 1);
    char k[64];
#define K(s) (snprintf(k, sizeof k, "%s.%s", p, s), k)
    float *out = buf((size_t)BG * P * C), *probs = buf((size_t)BG * NH * P * P);
    float *dqkv = buf((size_t)BG * P * 3 * C), *dtable = buf((size_t)T * NH), *scratch = buf(2 * P * P);
    relpos_attention_forward(out, probs, D(K("qkv")), D(K("table")), BG, w, C, NH);
    compare(K("out"), out, (size_t)BG * P * C);
    compare(K("probs"), probs, (size_t)BG * NH * P * P);
    relpos_attention_backward(dqkv, dtable, D(K("dout")), D(K("qkv")), probs, scratch, BG, w, C, NH);
    compare(K("dqkv"), dqkv, (size_t)BG * P * 3 * C);
    compare(K("dtable"), dtable, (size_t)T * NH);
#undef K
    free(out), free(probs), free(dqkv), free(dtable), free(scratch);
}

/* the depthwise 3x3 stride 2 and the 1x1 conv are nn.h's conv2d */
static void test_convs(void) {
    NnConv2dDims dw = {2, 4, 7, 7, 4, 3, 3, 2, 1, 4};
    float *out = buf(2 * 4 * 4 * 4), *dx = buf(2 * 4 * 49), *dwt = buf(4 * 9);
    float *scratch = buf(nn_conv2d_scratch_floats(&dw));
    conv2d_forward(out, D("dw_s2.x"), D("dw_s2.w"), NULL, scratch, &dw);
    compare("dw_s2.out", out, 2 * 4 * 4 * 4);
    conv2d_backward(dx, dwt, NULL, D("dw_s2.dout"), D("dw_s2.x"), D("dw_s2.w"), scratch, &dw);
    compare("dw_s2.dx", dx, 2 * 4 * 49);
    compare("dw_s2.dw", dwt, 4 * 9);
    free(out), free(dx), free(dwt), free(scratch);
    NnConv2dDims pw = {2, 6, 5, 5, 8, 1, 1, 1, 0, 1};
    out = buf(2 * 8 * 25), dx = buf(2 * 6 * 25), dwt = buf(8 * 6);
    float *db = buf(8);
    scratch = buf(nn_conv2d_scratch_floats(&pw));
    conv2d_forward(out, D("pw.x"), D("pw.w"), D("pw.b"), scratch, &pw);
    compare("pw.out", out, 2 * 8 * 25);
    conv2d_backward(dx, dwt, db, D("pw.dout"), D("pw.x"), D("pw.w"), scratch, &pw);
    compare("pw.dx", dx, 2 * 6 * 25);
    compare("pw.dw", dwt, 8 * 6);
    compare("pw.db", db, 8);
    free(out), free(dx), free(dwt), free(db), free(scratch);
}

static void test_multiscale(void) {
    const int C[2] = {3, 5}, HW[2] = {16, 4}, B = 2, Dm = 6;
    const float *maps[2] = {D("multiscale.m0"), D("multiscale.m1")};
    float *out = buf(B * Dm), *cat = buf(B * 8), *dcat = buf(B * 8), *dw = buf(Dm * 8);
    float *dm0 = buf(2 * 3 * 16), *dm1 = buf(2 * 5 * 4);
    float *dmaps[2] = {dm0, dm1};
    multiscale_embed_forward(out, cat, maps, C, HW, 2, D("multiscale.w"), B, Dm);
    compare("multiscale.out", out, B * Dm);
    multiscale_embed_backward(dmaps, dw, dcat, D("multiscale.dout"), cat, D("multiscale.w"), C, HW, 2, B, Dm);
    compare("multiscale.dm0", dm0, 2 * 3 * 16);
    compare("multiscale.dm1", dm1, 2 * 5 * 4);
    compare("multiscale.dw", dw, Dm * 8);
    free(out), free(cat), free(dcat), free(dw), free(dm0), free(dm1);
}

int main(void) {
    if (!fix_load(FIX_PATH, "tests/fixtures/make_maxvit_op_fixtures.py")) return 1;
    test_batchnorm(1);
    test_batchnorm(0);
    test_layernorm();
    test_gates();
    test_pools();
    test_squeeze_excite();
    test_partition();
    test_attention("attn", 3, 3, 8, 2);
    test_attention("attn7", 1, 7, 4, 2);
    test_convs();
    test_multiscale();
    for (int i = 0; i < g_count; i++) free(g_arr[i].data);
    free(g_arr);
    return TEST_RESULT();
}
