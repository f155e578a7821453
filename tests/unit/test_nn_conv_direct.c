/* The direct conv kernels (src/nn/nn_conv2d_direct.c) against the im2col + sgemm path,
 * on SLeNet's two convs and on odd shapes: output widths that are not a multiple of 8
 * (the last 8-lane tile overlaps the one before it), batch 1 and 3, output-channel
 * counts that leave a partial register tile, KH != KW, KW = 8, shapes the direct kernels
 * refuse (stride 2, more than 16 input channels, rows narrower than 8).
 *
 * For every shape conv2d_forward / conv2d_backward run once with NN_CONV_AUTO and once
 * forced to NN_CONV_IM2COL, from identical gradient buffers that already hold values
 * (backward adds). dout is dense, pooled (one nonzero per 2x2 block, what a max pool's
 * backward gives; the sparse weight gradient), all zero, or pooled with one inf (which
 * the sparse path must refuse). Tolerance:
 *     |auto - im2col| <= 1e-5 (1 + max|im2col|) + 1e-4 |im2col|
 * per tensor: both paths sum the same products in float, in different orders, and a
 * weight-gradient element is a sum of up to 2 x 12,100 products whose rounding error
 * scales with the tensor's magnitude, not the element's (cancellation). Non-finite
 * values must sit at the same places in both. The counters of nn_conv2d_stats must show
 * the kernels each shape is meant to take; a self-test shows an error of 1e-3 relative
 * in one element is caught.
 */
#include "hitwin/nn.h"
#include "test_util.h"

#include <stdlib.h>

#define ATOL 1e-5
#define RTOL 1e-4

static NnRng g_rng;

static float *randn(size_t n) {
    float *x = malloc((n + 1) * sizeof(float));
    nn_fill_normal(x, n, 0.0f, 1.0f, &g_rng);
    return x;
}

static float *copy(const float *x, size_t n) {
    float *y = malloc((n + 1) * sizeof(float));
    memcpy(y, x, n * sizeof(float));
    return y;
}

/* number of elements out of tolerance (printed unless quiet) */
static int mismatches(const char *what, const float *got, const float *ref, size_t n, int quiet) {
    double scale = 0.0, max_err = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(ref[i]) && fabs(ref[i]) > scale) scale = fabs(ref[i]);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        int ok;
        if (!isfinite(ref[i]) || !isfinite(got[i])) {
            ok = (isnan(ref[i]) && isnan(got[i])) || got[i] == ref[i]; /* same inf or both NaN */
        } else {
            double err = fabs((double)got[i] - ref[i]);
            if (err > max_err) max_err = err;
            ok = err <= ATOL * (1.0 + scale) + RTOL * fabs(ref[i]);
        }
        if (!ok) {
            if (!quiet && bad < 3) fprintf(stderr, "  %s[%zu]: auto %.8g, im2col %.8g\n", what, i, got[i], ref[i]);
            bad++;
        }
    }
    if (!quiet) printf("  %-8s n=%-8zu max err=%.3g (scale %.3g)%s\n", what, n, max_err, scale, bad ? "  FAIL" : "");
    return bad;
}

static void compare(const char *what, const float *got, const float *ref, size_t n) {
    if (mismatches(what, got, ref, n, 0)) test_failures++;
}

typedef enum { DOUT_DENSE, DOUT_POOLED, DOUT_ZERO, DOUT_POOLED_INF } dout_kind;
static const char *kind_name[] = {"dense", "pooled", "zero", "pooled+inf"};

/* dout as kind says; pooled: one nonzero at a random place of each full 2x2 block (floor
 * mode: an odd last row or column stays zero) */
static void fill_dout(float *dout, const NnConv2dDims *d, dout_kind kind) {
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d);
    const size_t n = (size_t)d->B * d->OC * OH * OW;
    if (kind == DOUT_DENSE) {
        nn_fill_normal(dout, n, 0.0f, 1.0f, &g_rng);
        return;
    }
    memset(dout, 0, n * sizeof(float));
    if (kind == DOUT_ZERO) return;
    for (size_t plane = 0; plane < (size_t)d->B * d->OC; plane++)
        for (int ph = 0; ph < OH / 2; ph++)
            for (int pw = 0; pw < OW / 2; pw++) {
                uint32_t r = nn_rng_u32(&g_rng);
                int oh = 2 * ph + (r & 1), ow = 2 * pw + (r >> 1 & 1);
                dout[(plane * OH + oh) * OW + ow] = nn_rng_normal(&g_rng);
            }
    if (kind == DOUT_POOLED_INF) dout[(size_t)(OH / 2) * OW + 2 * (OW / 4) + 1] = INFINITY;
}

/* what a shape is meant to take with NN_CONV_AUTO on an AVX2 + FMA CPU */
typedef struct {
    int forward_direct, dweight_sparse, dinp_direct;
} expect;

static void run_case(const char *name, NnConv2dDims d, expect e, dout_kind kind) {
    const int OH = nn_conv2d_out_h(&d), OW = nn_conv2d_out_w(&d);
    const size_t n_in = (size_t)d.B * d.C * d.H * d.W, n_w = (size_t)d.OC * d.C / d.groups * d.KH * d.KW;
    const size_t n_out = (size_t)d.B * d.OC * OH * OW;
    printf("%s: B=%d C=%d %dx%d OC=%d %dx%d s%d p%d, dout %s\n", name, d.B, d.C, d.H, d.W, d.OC, d.KH,
           d.KW, d.stride, d.pad, kind_name[kind]);
    float *x = randn(n_in), *w = randn(n_w), *b = randn(d.OC), *dout = malloc((n_out + 1) * sizeof(float));
    fill_dout(dout, &d, kind);
    float *dx0 = randn(n_in), *dw0 = randn(n_w), *db0 = randn(d.OC); /* backward adds to these */
    float *scratch = malloc(nn_conv2d_scratch_floats(&d) * sizeof(float));
    float *out[2], *dx[2], *dw[2], *db[2], *dw_only[2], *dx_only[2];
    NnConvStats st[2];
    for (int p = 0; p < 2; p++) {
        nn_conv2d_set_path(p == 0 ? NN_CONV_AUTO : NN_CONV_IM2COL);
        nn_conv2d_stats(NULL, 1);
        out[p] = malloc((n_out + 1) * sizeof(float));
        dx[p] = copy(dx0, n_in), dw[p] = copy(dw0, n_w), db[p] = copy(db0, d.OC);
        dw_only[p] = copy(dw0, n_w), dx_only[p] = copy(dx0, n_in);
        conv2d_forward(out[p], x, w, b, scratch, &d);
        conv2d_backward(dx[p], dw[p], db[p], dout, x, w, scratch, &d);
        conv2d_backward(NULL, dw_only[p], NULL, dout, x, w, scratch, &d); /* conv1: no dinp */
        conv2d_backward(dx_only[p], NULL, NULL, dout, x, w, scratch, &d);
        nn_conv2d_stats(&st[p], 1);
    }
    nn_conv2d_set_path(NN_CONV_AUTO);
    compare("out", out[0], out[1], n_out);
    compare("dinp", dx[0], dx[1], n_in);
    compare("dweight", dw[0], dw[1], n_w);
    compare("dbias", db[0], db[1], d.OC);
    compare("dW only", dw_only[0], dw_only[1], n_w);
    compare("dx only", dx_only[0], dx_only[1], n_in);

    /* which kernels ran: per image, forward once, dweight twice, dinp twice */
    const uint64_t B = (uint64_t)d.B;
    CHECK(st[1].forward_direct == 0 && st[1].dweight_sparse == 0 && st[1].dinp_direct == 0);
    CHECK_INT_EQ(st[1].forward_im2col + st[1].dweight_im2col + st[1].dinp_im2col, 5 * B);
    if (nn_conv2d_direct_available()) {
        /* a dense dout is refused, and the image holding the inf (image 0) */
        const uint64_t sparse_images = !e.dweight_sparse || kind == DOUT_DENSE ? 0
                                       : kind == DOUT_POOLED_INF                 ? B - 1
                                                                                 : B;
        CHECK_INT_EQ(st[0].forward_direct, e.forward_direct ? B : 0);
        CHECK_INT_EQ(st[0].dweight_sparse, 2 * sparse_images);
        CHECK_INT_EQ(st[0].dinp_direct, e.dinp_direct ? 2 * B : 0);
        CHECK_INT_EQ(st[0].forward_direct + st[0].forward_im2col, B);
        CHECK_INT_EQ(st[0].dweight_sparse + st[0].dweight_im2col, 2 * B);
        CHECK_INT_EQ(st[0].dinp_direct + st[0].dinp_im2col, 2 * B);
    }
    for (int p = 0; p < 2; p++) free(out[p]), free(dx[p]), free(dw[p]), free(db[p]), free(dw_only[p]), free(dx_only[p]);
    free(x), free(w), free(b), free(dout), free(dx0), free(dw0), free(db0), free(scratch);
}

/* ---- conv2d_maxpool_* (nn_conv2d_pool.c) against the two ops ------------------------- */

/* Fused (AUTO) against conv2d + maxpool2d with the same kernels (AUTO: the conv values
 * are bit-identical, so pooled and argmax must be equal) and against the im2col path
 * (tolerance above; argmax compared through the pooled values). dpooled has zeros (as
 * after dropout) and, with inf, one non-finite value in image 0 (that image is unfused). */
static void run_fused_case(const char *name, NnConv2dDims d, int with_dinp, int with_inf, int fused_fwd,
                           int fused_bwd) {
    const int OH = nn_conv2d_out_h(&d), OW = nn_conv2d_out_w(&d), POH = OH / 2, POW = OW / 2;
    const size_t n_in = (size_t)d.B * d.C * d.H * d.W, n_w = (size_t)d.OC * d.C * d.KH * d.KW;
    const size_t n_out = (size_t)d.B * d.OC * OH * OW, n_p = (size_t)d.B * d.OC * POH * POW;
    printf("fused %s: B=%d C=%d %dx%d OC=%d %dx%d%s%s\n", name, d.B, d.C, d.H, d.W, d.OC, d.KH, d.KW,
           with_dinp ? "" : ", no dinp", with_inf ? ", inf" : "");
    float *x = randn(n_in), *w = randn(n_w), *b = randn(d.OC), *dp = randn(n_p);
    for (size_t i = 0; i < n_p; i += 3) dp[i] = 0.0f;
    if (with_inf) dp[n_p / d.B / 2] = INFINITY;
    float *scratch = malloc(nn_conv2d_scratch_floats(&d) * sizeof(float));
    float *conv = malloc((n_out + 1) * 4), *dconv = malloc((n_out + 1) * 4);
    float *pooled[3], *dx[3], *dw[3], *db[3];
    int32_t *arg[3];
    float *dx0 = randn(n_in), *dw0 = randn(n_w), *db0 = randn(d.OC);
    NnConvStats st;
    for (int v = 0; v < 3; v++) { /* 0 fused, 1 two ops (auto), 2 two ops (im2col) */
        pooled[v] = malloc((n_p + 1) * 4), arg[v] = malloc((n_p + 1) * 4);
        dx[v] = copy(dx0, n_in), dw[v] = copy(dw0, n_w), db[v] = copy(db0, d.OC);
        nn_conv2d_set_path(v == 2 ? NN_CONV_IM2COL : NN_CONV_AUTO);
        nn_conv2d_stats(NULL, 1);
        if (v == 0) {
            conv2d_maxpool_forward(pooled[v], arg[v], conv, x, w, b, scratch, &d);
            conv2d_maxpool_backward(with_dinp ? dx[v] : NULL, dw[v], db[v], dconv, dp, arg[0], x, w, scratch, &d);
            nn_conv2d_stats(&st, 1);
        } else {
            conv2d_forward(conv, x, w, b, scratch, &d);
            maxpool2d_forward(pooled[v], arg[v], conv, d.B, d.OC, OH, OW, 2, 2, 0);
            memset(dconv, 0, n_out * 4);
            maxpool2d_backward(dconv, dp, arg[0], d.B, d.OC, OH, OW, POH, POW);
            conv2d_backward(with_dinp ? dx[v] : NULL, dw[v], db[v], dconv, x, w, scratch, &d);
        }
    }
    nn_conv2d_set_path(NN_CONV_AUTO);
    int bad = 0;
    for (size_t i = 0; i < n_p; i++) bad += arg[0][i] != arg[1][i] || pooled[0][i] != pooled[1][i];
    printf("  pooled, argmax vs two ops (auto): %d differ (exact)%s\n", bad, bad ? "  FAIL" : "");
    if (bad) test_failures++;
    compare("pooled", pooled[0], pooled[2], n_p);
    for (int v = 1; v < 3; v++) {
        printf(" vs two ops (%s):\n", v == 1 ? "auto" : "im2col");
        compare("dinp", dx[0], dx[v], n_in);
        compare("dweight", dw[0], dw[v], n_w);
        compare("dbias", db[0], db[v], d.OC);
    }
    if (nn_conv2d_direct_available()) {
        CHECK_INT_EQ(st.pool_fused_forward, fused_fwd ? (uint64_t)d.B : 0);
        CHECK_INT_EQ(st.pool_fused_backward, fused_bwd ? (uint64_t)(d.B - with_inf) : 0);
    }
    for (int v = 0; v < 3; v++) free(pooled[v]), free(arg[v]), free(dx[v]), free(dw[v]), free(db[v]);
    free(x), free(w), free(b), free(dp), free(scratch), free(conv), free(dconv), free(dx0), free(dw0), free(db0);
}

/* ---- max pool (AVX2 2x2 forward and block backward, nn_pool.c) against plain loops ---- */

/* torch's rule by hand: first maximum wins, a NaN is taken */
static void pool_reference(float *out, int32_t *arg, const float *x, int B, int C, int H, int W, int k,
                           int s, int pad, int OH, int OW) {
    for (int pl = 0; pl < B * C; pl++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float m = -INFINITY;
                int32_t mi = -1;
                for (int h = oh * s - pad; h < oh * s - pad + k; h++)
                    for (int w = ow * s - pad; w < ow * s - pad + k; w++) {
                        if (h < 0 || h >= H || w < 0 || w >= W) continue;
                        float v = x[((size_t)pl * H + h) * W + w];
                        if (mi < 0 || v > m || isnan(v)) m = v, mi = h * W + w;
                    }
                out[((size_t)pl * OH + oh) * OW + ow] = m;
                arg[((size_t)pl * OH + oh) * OW + ow] = mi;
            }
}

static void test_pool(int B, int C, int H, int W, int k, int s, int pad) {
    const int OH = nn_pool_out_size(H, k, s, pad), OW = nn_pool_out_size(W, k, s, pad);
    const size_t n_in = (size_t)B * C * H * W, n_out = (size_t)B * C * OH * OW;
    float *x = randn(n_in), *out = malloc(n_out * 4), *ref = malloc(n_out * 4), *g = randn(n_out);
    int32_t *arg = malloc(n_out * 4), *rarg = malloc(n_out * 4);
    for (size_t i = 0; i < n_in; i++) x[i] = roundf(x[i] * 2.0f) / 2.0f; /* many ties */
    for (size_t i = 5; i < n_in; i += 97) x[i] = NAN;
    maxpool2d_forward(out, arg, x, B, C, H, W, k, s, pad);
    pool_reference(ref, rarg, x, B, C, H, W, k, s, pad, OH, OW);
    int bad = 0;
    for (size_t i = 0; i < n_out; i++)
        bad += arg[i] != rarg[i] || !(out[i] == ref[i] || (isnan(out[i]) && isnan(ref[i])));
    float *dx = randn(n_in), *rdx = copy(dx, n_in);
    maxpool2d_backward(dx, g, arg, B, C, H, W, OH, OW);
    for (size_t pl = 0; pl < (size_t)B * C; pl++)
        for (int i = 0; i < OH * OW; i++) rdx[pl * H * W + rarg[pl * OH * OW + i]] += g[pl * OH * OW + i];
    for (size_t i = 0; i < n_in; i++) bad += !(dx[i] == rdx[i]);
    printf("maxpool k%d s%d p%d on %dx%dx%dx%d: %d mismatches (exact)%s\n", k, s, pad, B, C, H, W, bad, bad ? "  FAIL" : "");
    if (bad) test_failures++;
    free(x), free(out), free(ref), free(g), free(arg), free(rarg), free(dx), free(rdx);
}

/* the comparison catches a small error in one element of a large tensor */
static void self_test(void) {
    const size_t n = 4096;
    float *ref = randn(n), *got = copy(ref, n);
    got[1234] *= 1.0f + 1e-3f;
    got[1234] += 1e-3f; /* also when the element is near zero */
    CHECK(mismatches("selftest", got, ref, n, 1) == 1);
    CHECK(mismatches("selftest", ref, ref, n, 1) == 0);
    free(ref), free(got);
}

int main(void) {
    nn_rng_init(&g_rng, 20250601);
    self_test();
    test_pool(2, 3, 37, 41, 2, 2, 0); /* OW 20: 8-lane groups and a tail */
    test_pool(1, 2, 220, 220, 2, 2, 0);
    test_pool(3, 1, 11, 37, 3, 2, 0); /* overlapping windows: the block backward falls back */
    test_pool(3, 1, 9, 19, 3, 2, 1);
    test_pool(2, 2, 16, 35, 2, 2, 1); /* padded 2x2: argmax outside the output's block */
    if (!nn_conv2d_direct_available()) printf("no AVX2 + FMA: both runs take im2col (path counters not checked)\n");
    const expect all = {1, 1, 1};
    /* SLeNet at full size, 2 tiles (conv1 in training passes dinp = NULL; both are run) */
    run_case("SLeNet conv1", (NnConv2dDims){2, 1, 224, 224, 6, 5, 5, 1, 0, 1}, all, DOUT_POOLED);
    run_case("SLeNet conv2", (NnConv2dDims){2, 6, 110, 110, 16, 5, 5, 1, 0, 1}, all, DOUT_POOLED);
    run_case("SLeNet conv2", (NnConv2dDims){1, 6, 110, 110, 16, 5, 5, 1, 0, 1}, all, DOUT_DENSE);
    /* odd widths, batches and channel counts */
    run_case("OW 9, OC 7", (NnConv2dDims){1, 3, 13, 13, 7, 5, 5, 1, 0, 1}, all, DOUT_POOLED);
    run_case("OW 9, OC 7", (NnConv2dDims){1, 3, 13, 13, 7, 5, 5, 1, 0, 1}, all, DOUT_DENSE);
    run_case("OW 26, OC 13, 3x5", (NnConv2dDims){3, 2, 20, 30, 13, 3, 5, 1, 0, 1}, all, DOUT_POOLED);
    run_case("OW 15, OC 5, 5x3", (NnConv2dDims){3, 4, 11, 17, 5, 5, 3, 1, 0, 1}, all, DOUT_POOLED);
    run_case("OW 15, OC 5, 5x3", (NnConv2dDims){3, 4, 11, 17, 5, 5, 3, 1, 0, 1}, all, DOUT_ZERO);
    run_case("1x1", (NnConv2dDims){3, 5, 9, 11, 4, 1, 1, 1, 0, 1}, all, DOUT_POOLED);
    run_case("SLeNet-like, inf", (NnConv2dDims){2, 6, 30, 27, 16, 5, 5, 1, 0, 1}, all, DOUT_POOLED_INF);
    /* conv + pool as one op */
    run_fused_case("SLeNet conv1", (NnConv2dDims){2, 1, 224, 224, 6, 5, 5, 1, 0, 1}, 0, 0, 1, 1);
    run_fused_case("SLeNet conv2", (NnConv2dDims){2, 6, 110, 110, 16, 5, 5, 1, 0, 1}, 1, 0, 1, 1);
    run_fused_case("SLeNet conv2", (NnConv2dDims){2, 6, 110, 110, 16, 5, 5, 1, 0, 1}, 1, 1, 1, 1);
    run_fused_case("odd OH 9 OW 15", (NnConv2dDims){3, 3, 13, 19, 7, 5, 5, 1, 0, 1}, 1, 1, 1, 1);
    run_fused_case("B1 OW 8 3x3", (NnConv2dDims){1, 2, 11, 10, 5, 3, 3, 1, 0, 1}, 1, 0, 1, 1);
    run_fused_case("OW 6", (NnConv2dDims){2, 2, 10, 10, 3, 5, 5, 1, 0, 1}, 1, 0, 0, 1);
    run_fused_case("W 7, no dinp", (NnConv2dDims){2, 2, 9, 7, 3, 3, 3, 1, 0, 1}, 0, 0, 0, 1);
    run_fused_case("W 7", (NnConv2dDims){2, 2, 9, 7, 3, 3, 3, 1, 0, 1}, 1, 0, 0, 0);
    run_fused_case("C 17", (NnConv2dDims){1, 17, 12, 12, 4, 3, 3, 1, 0, 1}, 1, 0, 0, 0);
    /* shapes some or all direct kernels refuse */
    run_case("KW 8, OW 5", (NnConv2dDims){1, 1, 9, 12, 2, 7, 8, 1, 0, 1}, (expect){0, 1, 1}, DOUT_POOLED);
    run_case("W 7", (NnConv2dDims){2, 2, 8, 7, 3, 3, 3, 1, 0, 1}, (expect){0, 1, 0}, DOUT_POOLED);
    run_case("C 17", (NnConv2dDims){1, 17, 12, 12, 4, 3, 3, 1, 0, 1}, (expect){0, 0, 1}, DOUT_POOLED);
    run_case("OC 17", (NnConv2dDims){1, 4, 12, 12, 17, 3, 3, 1, 0, 1}, (expect){1, 1, 0}, DOUT_POOLED);
    run_case("stride 2", (NnConv2dDims){2, 3, 15, 15, 4, 3, 3, 2, 1, 1}, (expect){0, 0, 0}, DOUT_POOLED);
    run_case("pad 1", (NnConv2dDims){1, 3, 12, 12, 4, 3, 3, 1, 1, 1}, (expect){0, 0, 0}, DOUT_POOLED);
    run_case("groups 2", (NnConv2dDims){1, 4, 12, 12, 4, 3, 3, 1, 0, 2}, (expect){0, 0, 0}, DOUT_POOLED);
    return TEST_RESULT();
}
