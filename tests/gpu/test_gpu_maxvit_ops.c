/* Every CUDA twin of gpu_ops_maxvit.h (and the depthwise convolutions through gpu_conv2d)
 * against the C op of nn_maxvit.h / nn.h, forward and backward, on random inputs of MaxViT's
 * shapes (2 tiles at 224: stage 1 maps of 64 channels at 56x56, MBConv's 256-channel
 * expansion, 49-token windows with heads of 32 channels). Skips (77) without a CUDA device.
 *
 * Every gradient buffer starts from the same random values on both sides, so a backward
 * that overwrites instead of adding fails. Backward ops get the C forward's saved tensors
 * (mean, rstd, probs, ...) on both sides, so each direction is checked on its own.
 *
 * Tolerances (docs/maxvit.md "CUDA twins"; the classes of test_gpu_ops.c plus NORM):
 *   EXACT  bit-identical: partition and departition (all four directions, window and grid),
 *          avgpool2d forward and backward, the global pool's backward, stochastic depth
 *          (scale, out, dinp). They do the C op's float operations in its order (moves, or
 *          adds in the C loop's order with FMA contraction ruled out), so any difference is
 *          a bug, not rounding.
 *   ELEM   |gpu - C| <= 1e-6 + 1e-5 |C|: SiLU, sigmoid (expf 1-2 ulp), the global pool and
 *          the norms' saved statistics and gradients (sums in double on both sides, in other
 *          orders: the double rounding vanishes in the float result; BatchNorm's dgamma/dbeta
 *          and both norms' dinp are double-sum results too).
 *   NORM   |gpu - C| <= 1e-6 + 1e-5 |C| + 1e-6 max|C|: BatchNorm and LayerNorm outputs,
 *          x a + k with a, k (float) from double statistics: a 1-ulp difference in a or k
 *          moves an output by ~6e-8 of |x a| or |k|, which can exceed 1e-5 |C| where the
 *          two cancel; max|C| (a few units for normalised data) bounds both terms.
 *   GEMM   |gpu - C| <= 1e-4 |C| + 2e-5 max|C|: sums of products in float in another order
 *          (cuBLAS/cuDNN against OpenBLAS or the C loops; FMA on the GPU): conv1x1,
 *          depthwise conv, attention (out, probs, dqkv), squeeze-excitation, multiscale,
 *          LayerNorm's dgamma/dbeta (the C op sums 6,272 rows in float).
 *   GEMM_BIG  1e-4 |C| + 1e-4 max|C|: the attention table's gradient, which the C op sums in
 *          float over every group and token pair (6,272 terms per entry here).
 *
 * Self-checks (the comparisons can fail): a result perturbed by 4x its bound must be
 * flagged by each class's comparison, a bit flip by the EXACT one, and the GPU's window
 * partition compared with the C grid partition must differ.
 */
#include "gpu_test_util.h"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_ops_maxvit.h"
#include "hitwin/nn.h"
#include "hitwin/nn_maxvit.h"

#include "gpu_op_test.h"

#define NORM 1e-6, 1e-5, 1e-6 /* ELEM + 1e-6 max|C|: x a and k cancel in a norm */

static float *zeros(size_t n) { return (float *)calloc(n + 1, sizeof(float)); }

static float *dev(hw_gpu *g, const float *h, size_t n) { return (float *)dev_from(g, h, n * sizeof(float)); }

/* download n floats from d and compare with ref */
static void cmp(hw_gpu *g, const char *what, const float *d, const float *ref, size_t n, double atol,
                double rtol, double stol) {
    float *h = host_floats(g, d, n);
    expect_close(what, h, ref, n, atol, rtol, stol);
    free(h);
}

static void cmp_bits(hw_gpu *g, const char *what, const float *d, const float *ref, size_t n) {
    float *h = host_floats(g, d, n);
    expect_same_bits(what, h, ref, n * sizeof(float), sizeof(float));
    free(h);
}

/* ---- self-checks: the comparisons must flag a wrong result ------------------------------- */

/* gpu with element n/2 moved 4 bounds away from ref must fail expect_close */
static void must_flag_close(const char *what, const float *gpu, const float *ref, size_t n,
                            double atol, double rtol, double stol) {
    double scale = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(ref[i]) && fabs(ref[i]) > scale) scale = fabs(ref[i]);
    float *bad = host_copy(gpu, n);
    const size_t i = n / 2;
    const double bound = atol + rtol * fabs(ref[i]) + stol * scale;
    bad[i] = (float)(ref[i] + 4.0 * bound + 1e-30);
    const int before = test_failures;
    char label[96];
    snprintf(label, sizeof label, "self-check %s (must FAIL)", what);
    expect_close(label, bad, ref, n, atol, rtol, stol);
    const int flagged = test_failures > before;
    test_failures = before;
    printf("  self-check %s: perturbation of 4x the bound %s\n", what,
           flagged ? "flagged, as required" : "NOT flagged");
    if (!flagged) {
        fprintf(stderr, "self-check %s: a result 4 bounds off passed the comparison\n", what);
        test_failures++;
    }
    free(bad);
}

static void must_flag_bits(const char *what, const float *gpu, const float *ref, size_t n) {
    float *bad = host_copy(gpu, n);
    uint32_t u;
    memcpy(&u, &bad[n / 2], 4);
    u ^= 1u; /* one ulp */
    memcpy(&bad[n / 2], &u, 4);
    const int before = test_failures;
    char label[96];
    snprintf(label, sizeof label, "self-check %s (must DIFFER)", what);
    expect_same_bits(label, bad, ref, n * sizeof(float), sizeof(float));
    const int flagged = test_failures > before;
    test_failures = before;
    printf("  self-check %s: one flipped bit %s\n", what, flagged ? "flagged, as required" : "NOT flagged");
    if (!flagged) {
        fprintf(stderr, "self-check %s: a flipped bit passed the exact comparison\n", what);
        test_failures++;
    }
    free(bad);
}

/* ---- BatchNorm2d ------------------------------------------------------------------------- */
static void batchnorm_case(hw_gpu *g, const char *name, int B, int C, int HW, int train,
                           int self_check) {
    printf("batchnorm2d %s (%s) B %d C %d HW %d\n", name, train ? "train" : "eval", B, C, HW);
    const size_t n = (size_t)B * C * HW;
    float *x = uniform(n, -1.0f, 3.0f), *gamma = uniform(C, 0.5f, 1.5f), *beta = uniform(C, -0.5f, 0.5f);
    float *rm0 = uniform(C, -0.2f, 0.2f), *rv0 = uniform(C, 0.5f, 2.0f), *dout = uniform(n, -1.0f, 1.0f);
    float *dx0 = uniform(n, -1.0f, 1.0f), *dg0 = uniform(C, -1.0f, 1.0f), *db0 = uniform(C, -1.0f, 1.0f);
    float *out = zeros(n), *mean = zeros(C), *rstd = zeros(C);
    float *rm = host_copy(rm0, C), *rv = host_copy(rv0, C);
    float *dx = host_copy(dx0, n), *dg = host_copy(dg0, C), *db = host_copy(db0, C);
    batchnorm2d_forward(out, mean, rstd, rm, rv, x, gamma, beta, train, NN_MAXVIT_BN_MOMENTUM,
                        NN_MAXVIT_BN_EPS, B, C, HW);
    batchnorm2d_backward(dx, dg, db, dout, x, mean, rstd, gamma, train, B, C, HW);

    float *d_x = dev(g, x, n), *d_gamma = dev(g, gamma, C), *d_beta = dev(g, beta, C);
    float *d_rm = dev(g, rm0, C), *d_rv = dev(g, rv0, C), *d_out = dev_alloc(n * 4);
    float *d_mean = dev_alloc(C * 4), *d_rstd = dev_alloc(C * 4);
    GPU_OK(gpu_batchnorm2d_forward(g, d_out, d_mean, d_rstd, d_rm, d_rv, d_x, d_gamma, d_beta, train,
                                   NN_MAXVIT_BN_MOMENTUM, NN_MAXVIT_BN_EPS, B, C, HW));
    float *h_out = host_floats(g, d_out, n);
    expect_close("out", h_out, out, n, NORM);
    if (self_check) must_flag_close("NORM (batchnorm out)", h_out, out, n, NORM);
    free(h_out);
    cmp(g, "mean", d_mean, mean, C, ELEM);
    cmp(g, "rstd", d_rstd, rstd, C, ELEM);
    cmp(g, "running_mean", d_rm, rm, C, ELEM);
    cmp(g, "running_var", d_rv, rv, C, ELEM);
    /* backward from the C forward's saved statistics */
    float *d_dout = dev(g, dout, n), *d_dx = dev(g, dx0, n), *d_dg = dev(g, dg0, C), *d_db = dev(g, db0, C);
    GPU_OK(hw_gpu_upload(g, d_mean, mean, C * 4));
    GPU_OK(hw_gpu_upload(g, d_rstd, rstd, C * 4));
    GPU_OK(gpu_batchnorm2d_backward(g, d_dx, d_dg, d_db, d_dout, d_x, d_mean, d_rstd, d_gamma, train,
                                    B, C, HW));
    cmp(g, "dinp", d_dx, dx, n, ELEM);
    cmp(g, "dgamma", d_dg, dg, C, ELEM);
    cmp(g, "dbeta", d_db, db, C, ELEM);
    free(x), free(gamma), free(beta), free(rm0), free(rv0), free(dout), free(dx0), free(dg0), free(db0);
    free(out), free(mean), free(rstd), free(rm), free(rv), free(dx), free(dg), free(db);
    dev_release_all();
}

/* ---- LayerNorm --------------------------------------------------------------------------- */
static void layernorm_case(hw_gpu *g, int N, int C) {
    printf("layernorm N %d C %d\n", N, C);
    const size_t n = (size_t)N * C;
    float *x = uniform(n, -1.0f, 3.0f), *gamma = uniform(C, 0.5f, 1.5f), *beta = uniform(C, -0.5f, 0.5f);
    float *dout = uniform(n, -1.0f, 1.0f), *dx0 = uniform(n, -1.0f, 1.0f);
    float *dg0 = uniform(C, -1.0f, 1.0f), *db0 = uniform(C, -1.0f, 1.0f);
    float *out = zeros(n), *mean = zeros(N), *rstd = zeros(N);
    float *dx = host_copy(dx0, n), *dg = host_copy(dg0, C), *db = host_copy(db0, C);
    layernorm_forward(out, mean, rstd, x, gamma, beta, NN_LAYERNORM_EPS, N, C);
    layernorm_backward(dx, dg, db, dout, x, mean, rstd, gamma, N, C);

    float *d_x = dev(g, x, n), *d_gamma = dev(g, gamma, C), *d_beta = dev(g, beta, C);
    float *d_out = dev_alloc(n * 4), *d_mean = dev_alloc(N * 4), *d_rstd = dev_alloc(N * 4);
    GPU_OK(gpu_layernorm_forward(g, d_out, d_mean, d_rstd, d_x, d_gamma, d_beta, NN_LAYERNORM_EPS, N, C));
    cmp(g, "out", d_out, out, n, NORM);
    cmp(g, "mean", d_mean, mean, N, ELEM);
    cmp(g, "rstd", d_rstd, rstd, N, ELEM);
    float *d_dout = dev(g, dout, n), *d_dx = dev(g, dx0, n), *d_dg = dev(g, dg0, C), *d_db = dev(g, db0, C);
    float *d_scratch = dev_alloc(gpu_layernorm_backward_scratch_floats(N, C) * 4);
    GPU_OK(hw_gpu_upload(g, d_mean, mean, N * 4));
    GPU_OK(hw_gpu_upload(g, d_rstd, rstd, N * 4));
    GPU_OK(gpu_layernorm_backward(g, d_dx, d_dg, d_db, d_dout, d_x, d_mean, d_rstd, d_gamma, d_scratch, N, C));
    cmp(g, "dinp", d_dx, dx, n, ELEM);
    cmp(g, "dgamma", d_dg, dg, C, GEMM);
    cmp(g, "dbeta", d_db, db, C, GEMM);
    /* the parameter gradients alone (dinp NULL) leave dinp alone */
    GPU_OK(hw_gpu_upload(g, d_dx, dx0, n * 4));
    GPU_OK(gpu_layernorm_backward(g, NULL, d_dg, NULL, d_dout, d_x, d_mean, d_rstd, d_gamma, d_scratch, N, C));
    cmp_bits(g, "dinp untouched (NULL)", d_dx, dx0, n);
    free(x), free(gamma), free(beta), free(dout), free(dx0), free(dg0), free(db0);
    free(out), free(mean), free(rstd), free(dx), free(dg), free(db);
    dev_release_all();
}

/* ---- SiLU, sigmoid ------------------------------------------------------------------------ */
static void test_silu_sigmoid(hw_gpu *g) {
    printf("silu, sigmoid\n");
    const size_t n = 100003;
    float *x = uniform(n, -12.0f, 12.0f), *dout = uniform(n, -1.0f, 1.0f), *dx0 = uniform(n, -1.0f, 1.0f);
    float *y = zeros(n), *s = zeros(n), *dxs = host_copy(dx0, n), *dxg = host_copy(dx0, n);
    silu_forward(y, x, n);
    silu_backward(dxs, dout, x, n);
    sigmoid_forward(s, x, n);
    sigmoid_backward(dxg, dout, s, n);
    float *d_x = dev(g, x, n), *d_dout = dev(g, dout, n), *d_y = dev_alloc(n * 4);
    float *d_dx = dev(g, dx0, n);
    GPU_OK(gpu_silu_forward(g, d_y, d_x, n));
    cmp(g, "silu out", d_y, y, n, ELEM);
    GPU_OK(gpu_silu_backward(g, d_dx, d_dout, d_x, n));
    cmp(g, "silu dinp", d_dx, dxs, n, ELEM);
    GPU_OK(gpu_sigmoid_forward(g, d_y, d_x, n));
    cmp(g, "sigmoid out", d_y, s, n, ELEM);
    GPU_OK(hw_gpu_upload(g, d_dx, dx0, n * 4));
    GPU_OK(hw_gpu_upload(g, d_y, s, n * 4)); /* the backward from the C op's output */
    GPU_OK(gpu_sigmoid_backward(g, d_dx, d_dout, d_y, n));
    cmp(g, "sigmoid dinp", d_dx, dxg, n, ELEM);
    free(x), free(dout), free(dx0), free(y), free(s), free(dxs), free(dxg);
    dev_release_all();
}

/* ---- average pools ------------------------------------------------------------------------- */
static void avgpool_case(hw_gpu *g, int B, int C, int H, int W, int k, int st, int pad, int self_check) {
    printf("avgpool2d %dx%d stride %d pad %d on [%d, %d, %d, %d]\n", k, k, st, pad, B, C, H, W);
    const int OH = (H + 2 * pad - k) / st + 1, OW = (W + 2 * pad - k) / st + 1;
    const size_t ni = (size_t)B * C * H * W, no = (size_t)B * C * OH * OW;
    float *x = uniform(ni, -1.0f, 1.0f), *dout = uniform(no, -1.0f, 1.0f), *dx0 = uniform(ni, -1.0f, 1.0f);
    float *out = zeros(no), *dx = host_copy(dx0, ni);
    avgpool2d_forward(out, x, B, C, H, W, k, st, pad);
    avgpool2d_backward(dx, dout, B, C, H, W, k, st, pad);
    float *d_x = dev(g, x, ni), *d_out = dev_alloc(no * 4), *d_dout = dev(g, dout, no), *d_dx = dev(g, dx0, ni);
    GPU_OK(gpu_avgpool2d_forward(g, d_out, d_x, B, C, H, W, k, st, pad));
    GPU_OK(gpu_avgpool2d_backward(g, d_dx, d_dout, B, C, H, W, k, st, pad));
    float *h_out = host_floats(g, d_out, no);
    expect_same_bits("out", h_out, out, no * 4, 4);
    if (self_check) must_flag_bits("EXACT (avgpool out)", h_out, out, no);
    free(h_out);
    cmp_bits(g, "dinp", d_dx, dx, ni);
    free(x), free(dout), free(dx0), free(out), free(dx);
    dev_release_all();
}

/* the global pool into a column block of a wider row (ld > C, at column offset `off`) */
static void global_avgpool_case(hw_gpu *g, int B, int C, int HW, int ld, int off) {
    printf("global avgpool [%d, %d, %d] into ld %d at column %d\n", B, C, HW, ld, off);
    const size_t ni = (size_t)B * C * HW, no = (size_t)B * ld;
    float *x = uniform(ni, -1.0f, 2.0f), *out0 = uniform(no, -9.0f, 9.0f), *dout = uniform(no, -1.0f, 1.0f);
    float *dx0 = uniform(ni, -1.0f, 1.0f), *out = host_copy(out0, no), *dx = host_copy(dx0, ni);
    global_avgpool_forward(out + off, ld, x, B, C, HW);
    global_avgpool_backward(dx, dout + off, ld, B, C, HW);
    float *d_x = dev(g, x, ni), *d_out = dev(g, out0, no), *d_dout = dev(g, dout, no), *d_dx = dev(g, dx0, ni);
    GPU_OK(gpu_global_avgpool_forward(g, d_out + off, ld, d_x, B, C, HW));
    GPU_OK(gpu_global_avgpool_backward(g, d_dx, d_dout + off, ld, B, C, HW));
    cmp(g, "out (other columns untouched)", d_out, out, no, ELEM);
    cmp_bits(g, "dinp", d_dx, dx, ni);
    free(x), free(out0), free(dout), free(dx0), free(out), free(dx);
    dev_release_all();
}

/* ---- convolutions: 1x1 as GEMM (gpu_conv1x1), depthwise 3x3 (gpu_conv2d, cuDNN) ---------- */
static void conv1x1_case(hw_gpu *g, int B, int C, int OC, int H, int with_bias) {
    printf("conv1x1 %d -> %d at %dx%d, B %d%s\n", C, OC, H, H, B, with_bias ? ", bias" : "");
    NnConv2dDims d = {B, C, H, H, OC, 1, 1, 1, 0, 1};
    const int HW = H * H;
    const size_t ni = (size_t)B * C * HW, no = (size_t)B * OC * HW, nw = (size_t)OC * C;
    float *x = uniform(ni, -1.0f, 1.0f), *w = uniform(nw, -0.2f, 0.2f), *bias = uniform(OC, -0.5f, 0.5f);
    float *dout = uniform(no, -1.0f, 1.0f), *dx0 = uniform(ni, -1.0f, 1.0f), *dw0 = uniform(nw, -1.0f, 1.0f);
    float *db0 = uniform(OC, -1.0f, 1.0f), *out = zeros(no);
    float *dx = host_copy(dx0, ni), *dw = host_copy(dw0, nw), *db = host_copy(db0, OC);
    float *scratch = zeros(nn_conv2d_scratch_floats(&d));
    conv2d_forward(out, x, w, with_bias ? bias : NULL, scratch, &d);
    conv2d_backward(dx, dw, with_bias ? db : NULL, dout, x, w, scratch, &d);
    float *d_x = dev(g, x, ni), *d_w = dev(g, w, nw), *d_b = dev(g, bias, OC), *d_out = dev_alloc(no * 4);
    float *d_dout = dev(g, dout, no), *d_dx = dev(g, dx0, ni), *d_dw = dev(g, dw0, nw), *d_db = dev(g, db0, OC);
    GPU_OK(gpu_conv1x1_forward(g, d_out, d_x, d_w, with_bias ? d_b : NULL, B, C, OC, HW));
    GPU_OK(gpu_conv1x1_backward(g, d_dx, d_dw, with_bias ? d_db : NULL, d_dout, d_x, d_w, B, C, OC, HW));
    cmp(g, "out", d_out, out, no, GEMM);
    cmp(g, "dinp", d_dx, dx, ni, GEMM);
    cmp(g, "dweight", d_dw, dw, nw, GEMM);
    if (with_bias) cmp(g, "dbias", d_db, db, OC, GEMM);
    free(x), free(w), free(bias), free(dout), free(dx0), free(dw0), free(db0), free(out);
    free(dx), free(dw), free(db), free(scratch);
    dev_release_all();
}

static void depthwise_case(hw_gpu *g, int B, int C, int H, int stride) {
    printf("depthwise conv 3x3 stride %d, %d channels at %dx%d, B %d (gpu_conv2d, cuDNN)\n", stride, C, H,
           H, B);
    NnConv2dDims d = {B, C, H, H, C, 3, 3, stride, 1, C};
    const int OH = nn_conv2d_out_h(&d), OW = nn_conv2d_out_w(&d);
    const size_t ni = (size_t)B * C * H * H, no = (size_t)B * C * OH * OW, nw = (size_t)C * 9;
    float *x = uniform(ni, -1.0f, 1.0f), *w = uniform(nw, -0.3f, 0.3f), *dout = uniform(no, -1.0f, 1.0f);
    float *dx0 = uniform(ni, -1.0f, 1.0f), *dw0 = uniform(nw, -1.0f, 1.0f), *out = zeros(no);
    float *dx = host_copy(dx0, ni), *dw = host_copy(dw0, nw), *scratch = zeros(nn_conv2d_scratch_floats(&d));
    conv2d_forward(out, x, w, NULL, scratch, &d); /* MBConv's conv_b has no bias */
    conv2d_backward(dx, dw, NULL, dout, x, w, scratch, &d);
    float *d_x = dev(g, x, ni), *d_w = dev(g, w, nw), *d_out = dev_alloc(no * 4), *d_dout = dev(g, dout, no);
    float *d_dx = dev(g, dx0, ni), *d_dw = dev(g, dw0, nw);
    GPU_OK(gpu_conv2d_forward(g, d_out, d_x, d_w, NULL, &d));
    GPU_OK(gpu_conv2d_backward(g, d_dx, d_dw, NULL, d_dout, d_x, d_w, &d));
    cmp(g, "out", d_out, out, no, GEMM);
    cmp(g, "dinp", d_dx, dx, ni, GEMM);
    cmp(g, "dweight", d_dw, dw, nw, GEMM);
    free(x), free(w), free(dout), free(dx0), free(dw0), free(out), free(dx), free(dw), free(scratch);
    dev_release_all();
}

/* ---- squeeze-excitation -------------------------------------------------------------------- */
static void squeeze_excite_case(hw_gpu *g, int B, int C, int SQ, int HW) {
    printf("squeeze-excitation B %d C %d SQ %d HW %d\n", B, C, SQ, HW);
    const size_t n = (size_t)B * C * HW, BC = (size_t)B * C, BS = (size_t)B * SQ;
    float *x = uniform(n, -1.0f, 2.0f), *w1 = uniform((size_t)SQ * C, -0.3f, 0.3f), *b1 = uniform(SQ, -0.5f, 0.5f);
    float *w2 = uniform((size_t)C * SQ, -0.5f, 0.5f), *b2 = uniform(C, -0.5f, 0.5f), *dout = uniform(n, -1.0f, 1.0f);
    float *dx0 = uniform(n, -1.0f, 1.0f), *dw10 = uniform((size_t)SQ * C, -1.0f, 1.0f), *db10 = uniform(SQ, -1.0f, 1.0f);
    float *dw20 = uniform((size_t)C * SQ, -1.0f, 1.0f), *db20 = uniform(C, -1.0f, 1.0f);
    float *out = zeros(n), *dx = host_copy(dx0, n), *dw1 = host_copy(dw10, (size_t)SQ * C), *db1 = host_copy(db10, SQ);
    float *dw2 = host_copy(dw20, (size_t)C * SQ), *db2 = host_copy(db20, C), *scratch = zeros(2 * BC + BS);
    NnSeSaved sv = {zeros(BC), zeros(BS), zeros(BS), zeros(BC)};
    squeeze_excite_forward(out, &sv, x, w1, b1, w2, b2, B, C, SQ, HW);
    squeeze_excite_backward(dx, dw1, db1, dw2, db2, dout, &sv, x, w1, w2, scratch, B, C, SQ, HW);

    NnSeSaved dsv = {dev_alloc(BC * 4), dev_alloc(BS * 4), dev_alloc(BS * 4), dev_alloc(BC * 4)};
    float *d_x = dev(g, x, n), *d_w1 = dev(g, w1, (size_t)SQ * C), *d_b1 = dev(g, b1, SQ);
    float *d_w2 = dev(g, w2, (size_t)C * SQ), *d_b2 = dev(g, b2, C), *d_out = dev_alloc(n * 4);
    GPU_OK(gpu_squeeze_excite_forward(g, d_out, &dsv, d_x, d_w1, d_b1, d_w2, d_b2, B, C, SQ, HW));
    cmp(g, "pooled", dsv.pooled, sv.pooled, BC, ELEM);
    cmp(g, "fc1 out", dsv.h, sv.h, BS, GEMM);
    cmp(g, "silu out", dsv.a, sv.a, BS, GEMM);
    cmp(g, "gate", dsv.gate, sv.gate, BC, GEMM);
    cmp(g, "out", d_out, out, n, GEMM);
    /* backward from the C forward's saved tensors */
    GPU_OK(hw_gpu_upload(g, dsv.pooled, sv.pooled, BC * 4));
    GPU_OK(hw_gpu_upload(g, dsv.h, sv.h, BS * 4));
    GPU_OK(hw_gpu_upload(g, dsv.a, sv.a, BS * 4));
    GPU_OK(hw_gpu_upload(g, dsv.gate, sv.gate, BC * 4));
    float *d_dout = dev(g, dout, n), *d_dx = dev(g, dx0, n), *d_dw1 = dev(g, dw10, (size_t)SQ * C);
    float *d_db1 = dev(g, db10, SQ), *d_dw2 = dev(g, dw20, (size_t)C * SQ), *d_db2 = dev(g, db20, C);
    float *d_scratch = dev_alloc((2 * BC + BS) * 4);
    GPU_OK(gpu_squeeze_excite_backward(g, d_dx, d_dw1, d_db1, d_dw2, d_db2, d_dout, &dsv, d_x, d_w1, d_w2,
                                       d_scratch, B, C, SQ, HW));
    cmp(g, "dinp", d_dx, dx, n, GEMM);
    cmp(g, "dfc1.weight", d_dw1, dw1, (size_t)SQ * C, GEMM);
    cmp(g, "dfc1.bias", d_db1, db1, SQ, GEMM);
    cmp(g, "dfc2.weight", d_dw2, dw2, (size_t)C * SQ, GEMM);
    cmp(g, "dfc2.bias", d_db2, db2, C, GEMM);
    free(x), free(w1), free(b1), free(w2), free(b2), free(dout), free(dx0), free(dw10), free(db10);
    free(dw20), free(db20), free(out), free(dx), free(dw1), free(db1), free(dw2), free(db2), free(scratch);
    free(sv.pooled), free(sv.h), free(sv.a), free(sv.gate);
    dev_release_all();
}

/* ---- partition ------------------------------------------------------------------------------ */
static void partition_case(hw_gpu *g, NnPartition kind, int B, int C, int H, int W, int self_check) {
    const int w = NN_MAXVIT_WINDOW;
    printf("%s partition [%d, %d, %d, %d], %dx%d\n", kind == NN_PARTITION_GRID ? "grid" : "window", B, C,
           H, W, w, w);
    const size_t n = (size_t)B * C * H * W;
    float *img = uniform(n, -1.0f, 1.0f), *tok = uniform(n, -1.0f, 1.0f), *acc0 = uniform(n, -1.0f, 1.0f);
    float *t_fwd = zeros(n), *i_bwd = host_copy(acc0, n), *i_fwd = zeros(n), *t_bwd = host_copy(acc0, n);
    partition_forward(t_fwd, img, kind, B, C, H, W, w);
    partition_backward(i_bwd, tok, kind, B, C, H, W, w);
    departition_forward(i_fwd, tok, kind, B, C, H, W, w);
    departition_backward(t_bwd, img, kind, B, C, H, W, w);
    float *d_img = dev(g, img, n), *d_tok = dev(g, tok, n), *d_out = dev_alloc(n * 4), *d_acc = dev(g, acc0, n);
    GPU_OK(gpu_partition_forward(g, d_out, d_img, kind, B, C, H, W, w));
    float *h = host_floats(g, d_out, n);
    expect_same_bits("partition forward", h, t_fwd, n * 4, 4);
    if (self_check) {
        must_flag_bits("EXACT (partition)", h, t_fwd, n);
        /* the other kind's tokens must differ: the test tells window from grid */
        float *other = zeros(n);
        partition_forward(other, img, kind == NN_PARTITION_GRID ? NN_PARTITION_WINDOW : NN_PARTITION_GRID, B, C, H,
                          W, w);
        const int before = test_failures;
        expect_same_bits("self-check: vs the other kind (must DIFFER)", h, other, n * 4, 4);
        const int flagged = test_failures > before;
        test_failures = before;
        printf("  self-check window vs grid: %s\n", flagged ? "told apart, as required" : "NOT told apart");
        if (!flagged) test_failures++;
        free(other);
    }
    free(h);
    GPU_OK(gpu_partition_backward(g, d_acc, d_tok, kind, B, C, H, W, w));
    cmp_bits(g, "partition backward", d_acc, i_bwd, n);
    GPU_OK(gpu_departition_forward(g, d_out, d_tok, kind, B, C, H, W, w));
    cmp_bits(g, "departition forward", d_out, i_fwd, n);
    GPU_OK(hw_gpu_upload(g, d_acc, acc0, n * 4));
    GPU_OK(gpu_departition_backward(g, d_acc, d_img, kind, B, C, H, W, w));
    cmp_bits(g, "departition backward", d_acc, t_bwd, n);
    free(img), free(tok), free(acc0), free(t_fwd), free(i_bwd), free(i_fwd), free(t_bwd);
    dev_release_all();
}

/* ---- attention -------------------------------------------------------------------------- */
static void attention_case(hw_gpu *g, int BG, int C, int NH, int self_check) {
    const int w = NN_MAXVIT_WINDOW, P = w * w, NT = (2 * w - 1) * (2 * w - 1);
    printf("relpos attention %d groups of %d tokens, C %d, %d heads of %d\n", BG, P, C, NH, C / NH);
    const size_t nq = (size_t)BG * P * 3 * C, no = (size_t)BG * P * C, np = (size_t)BG * NH * P * P;
    const size_t nt = (size_t)NT * NH;
    float *qkv = uniform(nq, -1.0f, 1.0f), *table = uniform(nt, -0.5f, 0.5f), *dout = uniform(no, -1.0f, 1.0f);
    float *dq0 = uniform(nq, -1.0f, 1.0f), *dt0 = uniform(nt, -1.0f, 1.0f);
    float *out = zeros(no), *probs = zeros(np), *dq = host_copy(dq0, nq), *dt = host_copy(dt0, nt);
    float *scratch = zeros(2 * (size_t)P * P);
    relpos_attention_forward(out, probs, qkv, table, BG, w, C, NH);
    relpos_attention_backward(dq, dt, dout, qkv, probs, scratch, BG, w, C, NH);
    float *d_qkv = dev(g, qkv, nq), *d_table = dev(g, table, nt), *d_out = dev_alloc(no * 4);
    float *d_probs = dev_alloc(np * 4);
    GPU_OK(gpu_relpos_attention_forward(g, d_out, d_probs, d_qkv, d_table, BG, w, C, NH));
    float *h = host_floats(g, d_out, no);
    expect_close("out", h, out, no, GEMM);
    if (self_check) must_flag_close("GEMM (attention out)", h, out, no, GEMM);
    free(h);
    cmp(g, "probs", d_probs, probs, np, GEMM);
    GPU_OK(hw_gpu_upload(g, d_probs, probs, np * 4)); /* the backward from the C op's probs */
    float *d_dout = dev(g, dout, no), *d_dq = dev(g, dq0, nq), *d_dt = dev(g, dt0, nt);
    float *d_scratch = dev_alloc(np * 4);
    GPU_OK(gpu_relpos_attention_backward(g, d_dq, d_dt, d_dout, d_qkv, d_probs, d_scratch, BG, w, C, NH));
    cmp(g, "dqkv", d_dq, dq, nq, GEMM);
    h = host_floats(g, d_dt, nt);
    expect_close("dtable", h, dt, nt, GEMM_BIG);
    if (self_check) must_flag_close("GEMM_BIG (attention dtable)", h, dt, nt, GEMM_BIG);
    free(h);
    /* the table gradient alone (dqkv NULL), as saliency's frozen-input case would not need */
    GPU_OK(hw_gpu_upload(g, d_dt, dt0, nt * 4));
    GPU_OK(gpu_relpos_attention_backward(g, NULL, d_dt, d_dout, d_qkv, d_probs, d_scratch, BG, w, C, NH));
    cmp(g, "dtable (dqkv NULL)", d_dt, dt, nt, GEMM_BIG);
    free(qkv), free(table), free(dout), free(dq0), free(dt0), free(out), free(probs), free(dq), free(dt);
    free(scratch);
    dev_release_all();
}

/* ---- stochastic depth --------------------------------------------------------------------- */
/* the model's layout (maxvit.c sd_fwd): rows v n + i draw at counter + (i views + v) dpt */
static void stochastic_depth_case(hw_gpu *g, float p, int train, int n, int views, uint64_t dpt,
                                  size_t N, int self_check) {
    printf("stochastic depth p %.2f %s, %d tiles x %d views, %zu per row, %llu draws per tile\n", p,
           train ? "train" : "eval", n, views, N, (unsigned long long)dpt);
    const int B = n * views;
    const uint64_t seed = 0xD50B0D50B0D50B0DULL, counter = 123456789;
    const size_t tot = (size_t)B * N;
    float *x = uniform(tot, -1.0f, 1.0f), *dout = uniform(tot, -1.0f, 1.0f), *dx0 = uniform(tot, -1.0f, 1.0f);
    float *out = zeros(tot), *scale = zeros(B), *dx = host_copy(dx0, tot);
    for (int v = 0; v < views; v++)
        for (int i = 0; i < n; i++) {
            const size_t row = (size_t)v * n + i;
            NnRng rng = {seed, counter + ((uint64_t)i * views + v) * dpt};
            stochastic_depth_forward(out + row * N, scale + row, x + row * N, p, train, &rng, 1, N);
        }
    stochastic_depth_backward(dx, dout, scale, B, N);
    int dropped = 0;
    for (int r = 0; r < B; r++) dropped += scale[r] == 0.0f;
    printf("  rows dropped by the C op: %d of %d\n", dropped, B);
    if (train && p > 0.0f) CHECK(dropped > 0 && dropped < B); /* both branches exercised */
    float *d_x = dev(g, x, tot), *d_out = dev_alloc(tot * 4), *d_scale = dev_alloc(B * 4);
    float *d_dout = dev(g, dout, tot), *d_dx = dev(g, dx0, tot);
    GPU_OK(gpu_stochastic_depth_forward(g, d_out, d_scale, d_x, p, train, seed, counter, views, dpt, B, N));
    GPU_OK(gpu_stochastic_depth_backward(g, d_dx, d_dout, d_scale, B, N));
    float *h = host_floats(g, d_scale, B);
    expect_same_bits("scale", h, scale, B * 4, 4);
    if (self_check) must_flag_bits("EXACT (stochastic depth scale)", h, scale, B);
    free(h);
    cmp_bits(g, "out", d_out, out, tot);
    cmp_bits(g, "dinp", d_dx, dx, tot);
    free(x), free(dout), free(dx0), free(out), free(scale), free(dx);
    dev_release_all();
}

/* the C op's own form: one generator, row b at counter + b (views 1, one draw per row) */
static void stochastic_depth_plain_case(hw_gpu *g) {
    printf("stochastic depth, the C op's form (rows at counter + b)\n");
    const int B = 40;
    const size_t N = 100;
    const float p = 0.3f;
    NnRng rng = {77, 1000};
    float *x = uniform((size_t)B * N, -1.0f, 1.0f), *out = zeros((size_t)B * N), *scale = zeros(B);
    stochastic_depth_forward(out, scale, x, p, 1, &rng, B, N);
    float *d_x = dev(g, x, (size_t)B * N), *d_out = dev_alloc((size_t)B * N * 4), *d_scale = dev_alloc(B * 4);
    GPU_OK(gpu_stochastic_depth_forward(g, d_out, d_scale, d_x, p, 1, 77, 1000, 1, 1, B, N));
    cmp_bits(g, "scale", d_scale, scale, B);
    cmp_bits(g, "out", d_out, out, (size_t)B * N);
    free(x), free(out), free(scale);
    dev_release_all();
}

/* ---- multiscale embedding ------------------------------------------------------------------ */
static void multiscale_case(hw_gpu *g, int B, int D) {
    enum { NS = 4 };
    const int C[NS] = {64, 128, 256, 512}, HW[NS] = {56 * 56, 28 * 28, 14 * 14, 7 * 7};
    int CT = 0;
    for (int s = 0; s < NS; s++) CT += C[s];
    printf("multiscale embed B %d, maxvit_t's 4 stages (%d channels) -> %d\n", B, CT, D);
    float *maps[NS], *dmaps0[NS], *dmaps[NS], *d_maps[NS], *d_dmaps[NS];
    size_t nm[NS];
    for (int s = 0; s < NS; s++) {
        nm[s] = (size_t)B * C[s] * HW[s];
        maps[s] = uniform(nm[s], -1.0f, 2.0f);
        dmaps0[s] = uniform(nm[s], -1.0f, 1.0f);
        dmaps[s] = host_copy(dmaps0[s], nm[s]);
    }
    const size_t nw = (size_t)D * CT;
    float *w = uniform(nw, -0.05f, 0.05f), *dout = uniform((size_t)B * D, -1.0f, 1.0f), *dw0 = uniform(nw, -1.0f, 1.0f);
    float *out = zeros((size_t)B * D), *cat = zeros((size_t)B * CT), *dcat = zeros((size_t)B * CT);
    float *dw = host_copy(dw0, nw);
    multiscale_embed_forward(out, cat, (const float *const *)maps, C, HW, NS, w, B, D);
    multiscale_embed_backward(dmaps, dw, dcat, dout, cat, w, C, HW, NS, B, D);
    for (int s = 0; s < NS; s++) {
        d_maps[s] = dev(g, maps[s], nm[s]);
        d_dmaps[s] = dev(g, dmaps0[s], nm[s]);
    }
    float *d_w = dev(g, w, nw), *d_out = dev_alloc((size_t)B * D * 4), *d_cat = dev_alloc((size_t)B * CT * 4);
    float *d_dcat = dev_alloc((size_t)B * CT * 4), *d_dout = dev(g, dout, (size_t)B * D), *d_dw = dev(g, dw0, nw);
    GPU_OK(gpu_multiscale_embed_forward(g, d_out, d_cat, (const float *const *)d_maps, C, HW, NS, d_w, B, D));
    cmp(g, "cat", d_cat, cat, (size_t)B * CT, ELEM);
    cmp(g, "out", d_out, out, (size_t)B * D, GEMM);
    GPU_OK(hw_gpu_upload(g, d_cat, cat, (size_t)B * CT * 4));
    GPU_OK(gpu_multiscale_embed_backward(g, d_dmaps, d_dw, d_dcat, d_dout, d_cat, d_w, C, HW, NS, B, D));
    cmp(g, "dweight", d_dw, dw, nw, GEMM);
    static const char *names[NS] = {"dmap 0", "dmap 1", "dmap 2", "dmap 3"};
    for (int s = 0; s < NS; s++) cmp(g, names[s], d_dmaps[s], dmaps[s], nm[s], GEMM);
    for (int s = 0; s < NS; s++) free(maps[s]), free(dmaps0[s]), free(dmaps[s]);
    free(w), free(dout), free(dw0), free(out), free(cat), free(dcat), free(dw);
    dev_release_all();
}

/* ---- refusals -------------------------------------------------------------------------------- */
static void test_refusals(hw_gpu *g) {
    printf("refusals\n");
    CHECK(gpu_relpos_attention_forward(g, NULL, NULL, NULL, NULL, 1, 7, 30, 4) == -1);
    printf("  %s\n", hw_error());
    CHECK(strstr(hw_error(), "do not split into 4 heads") != NULL);
    CHECK(gpu_partition_forward(g, NULL, NULL, NN_PARTITION_WINDOW, 1, 1, 15, 14, 7) == -1);
    printf("  %s\n", hw_error());
    CHECK(strstr(hw_error(), "not a multiple") != NULL);
    CHECK(gpu_layernorm_backward(g, NULL, (float *)1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 4, 4) == -1);
    printf("  %s\n", hw_error());
}

int main(void) {
    GPU_SKIP_IF_NO_DEVICE();
    hw_gpu *g = gpu_test_open();
    if (!g) return 1;
    nn_rng_init(&g_rng, 20250115);
    /* stage 1 of maxvit_t for one view of 2 tiles: 64 channels at 56x56; MBConv's 256-wide
     * expansion; odd small shapes for the index arithmetic */
    batchnorm_case(g, "stage 1", 2, 64, 56 * 56, 1, 1);
    batchnorm_case(g, "stage 1", 2, 64, 56 * 56, 0, 0);
    batchnorm_case(g, "MBConv expansion", 2, 256, 28 * 28, 1, 0);
    batchnorm_case(g, "odd", 3, 5, 7 * 9, 1, 0);
    layernorm_case(g, 2 * 56 * 56, 64);
    layernorm_case(g, 37, 512);
    test_silu_sigmoid(g);
    avgpool_case(g, 2, 64, 56, 56, 3, 2, 1, 1);
    avgpool_case(g, 1, 3, 7, 9, 3, 2, 1, 0);
    avgpool_case(g, 1, 2, 8, 8, 3, 1, 1, 0);
    global_avgpool_case(g, 2, 64, 56 * 56, 960, 0);
    global_avgpool_case(g, 3, 128, 28 * 28, 960, 64);
    conv1x1_case(g, 2, 64, 256, 56, 0);  /* conv_a */
    conv1x1_case(g, 2, 256, 64, 28, 1);  /* conv_c */
    conv1x1_case(g, 3, 5, 7, 9, 1);
    depthwise_case(g, 2, 256, 56, 2); /* conv_b of block 0 (stride 2) */
    depthwise_case(g, 2, 256, 28, 1);
    depthwise_case(g, 2, 8, 9, 2);
    squeeze_excite_case(g, 2, 256, 16, 28 * 28);
    squeeze_excite_case(g, 3, 12, 3, 25);
    partition_case(g, NN_PARTITION_WINDOW, 2, 64, 56, 56, 1);
    partition_case(g, NN_PARTITION_GRID, 2, 64, 56, 56, 1);
    partition_case(g, NN_PARTITION_WINDOW, 1, 3, 14, 21, 0);
    partition_case(g, NN_PARTITION_GRID, 1, 3, 14, 21, 0);
    attention_case(g, 2 * 64, 64, 2, 1); /* stage 1: 64 windows per tile, heads of 32 */
    attention_case(g, 2 * 4, 256, 8, 0); /* stage 3 at 14x14 */
    attention_case(g, 3, 16, 4, 0);      /* heads of 4 */
    stochastic_depth_case(g, 0.5f, 1, 8, 3, 55, 64 * 28 * 28, 1);
    stochastic_depth_case(g, 0.2f, 0, 4, 2, 55, 1000, 0);
    stochastic_depth_case(g, 0.0f, 1, 4, 2, 55, 1000, 0);
    stochastic_depth_plain_case(g);
    multiscale_case(g, 2, 512);
    test_refusals(g);
    GPU_OK(hw_gpu_sync(g));
    hw_gpu_destroy(g);
    return TEST_RESULT();
}
