/* SLeNet-sized convolutions: correctness against direct loops at full tile size (2
 * tiles), then the time of conv1/pool1/conv2/pool2 forward + backward for a batch of
 * HW_BENCH_BATCH tiles (default 32; the timing is printed, not asserted; process CPU
 * time unless HW_BENCH_WALL=1, so with a multi-threaded BLAS it sums over threads).
 *
 * Direct loops accumulate in double; tolerance |ours - direct| <= 1e-4 + 1e-4 |direct|
 * (float sums of up to 2 x 11,236 terms of size ~1 in dweight).
 */
#include "hitwin/nn.h"
#include "test_util.h"

#include <stdlib.h>
#include <time.h>

/* CPU time of the process by default: the test machines are shared, and wall time
 * there measures the neighbours; HW_BENCH_WALL=1 switches to wall-clock time. */
static int g_wall;
static double now_ms(void) {
    struct timespec ts;
    clock_gettime(g_wall ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static float *alloc_randn(size_t n, float std, NnRng *r) {
    float *x = malloc(n * sizeof(float));
    nn_fill_normal(x, n, 0.0f, std, r);
    return x;
}

/* out, dinp (+=), dweight (+=) of a groups=1 conv by direct summation */
static void conv_direct(double *out, double *dinp, double *dw, const float *inp, const float *w,
                        const float *bias, const float *dout, const NnConv2dDims *d) {
    int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d);
    for (int b = 0; b < d->B; b++)
        for (int oc = 0; oc < d->OC; oc++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    size_t oi = (((size_t)b * d->OC + oc) * OH + oh) * OW + ow;
                    double acc = bias[oc], g = dout[oi];
                    for (int c = 0; c < d->C; c++)
                        for (int kh = 0; kh < d->KH; kh++)
                            for (int kw = 0; kw < d->KW; kw++) {
                                int ih = oh * d->stride - d->pad + kh, iw = ow * d->stride - d->pad + kw;
                                if (ih < 0 || ih >= d->H || iw < 0 || iw >= d->W) continue;
                                size_t ii = (((size_t)b * d->C + c) * d->H + ih) * d->W + iw;
                                size_t wi = (((size_t)oc * d->C + c) * d->KH + kh) * d->KW + kw;
                                acc += (double)w[wi] * inp[ii];
                                dinp[ii] += (double)w[wi] * g;
                                dw[wi] += (double)inp[ii] * g;
                            }
                    out[oi] = acc;
                }
}

static void compare(const char *what, const float *got, const double *ref, size_t n) {
    int bad = 0;
    double max_err = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs(got[i] - ref[i]);
        if (err > max_err) max_err = err;
        if (!(err <= 1e-4 + 1e-4 * fabs(ref[i]))) {
            if (bad++ < 3) fprintf(stderr, "  %s[%zu] = %.8g, direct %.8g\n", what, i, got[i], ref[i]);
        }
    }
    printf("%-18s vs direct: n=%-8zu max err=%.3g%s\n", what, n, max_err, bad ? "  FAIL" : "");
    if (bad) test_failures++;
}

static void check_against_direct(NnConv2dDims d, const char *name, NnRng *r) {
    size_t n_in = (size_t)d.B * d.C * d.H * d.W, n_w = (size_t)d.OC * d.C * d.KH * d.KW;
    size_t n_out = (size_t)d.B * d.OC * nn_conv2d_out_h(&d) * nn_conv2d_out_w(&d);
    float *x = alloc_randn(n_in, 1.0f, r), *w = alloc_randn(n_w, 0.2f, r);
    float *b = alloc_randn(d.OC, 0.2f, r), *dout = alloc_randn(n_out, 1.0f, r);
    float *out = calloc(n_out, sizeof(float)), *dx = calloc(n_in, sizeof(float));
    float *dw = calloc(n_w, sizeof(float)), *db = calloc(d.OC, sizeof(float));
    float *scratch = malloc(nn_conv2d_scratch_floats(&d) * sizeof(float));
    double *rout = calloc(n_out, sizeof(double)), *rdx = calloc(n_in, sizeof(double));
    double *rdw = calloc(n_w, sizeof(double));
    conv2d_forward(out, x, w, b, scratch, &d);
    conv2d_backward(dx, dw, db, dout, x, w, scratch, &d);
    conv_direct(rout, rdx, rdw, x, w, b, dout, &d);
    char what[64];
    snprintf(what, sizeof what, "%s out", name);
    compare(what, out, rout, n_out);
    snprintf(what, sizeof what, "%s dinp", name);
    compare(what, dx, rdx, n_in);
    snprintf(what, sizeof what, "%s dweight", name);
    compare(what, dw, rdw, n_w);
    free(x), free(w), free(b), free(dout), free(out), free(dx), free(dw), free(db), free(scratch);
    free(rout), free(rdx), free(rdw);
}

int main(void) {
    NnRng r;
    nn_rng_init(&r, 3);
    check_against_direct((NnConv2dDims){2, 1, 224, 224, 6, 5, 5, 1, 0, 1}, "conv1", &r);
    check_against_direct((NnConv2dDims){2, 6, 110, 110, 16, 5, 5, 1, 0, 1}, "conv2", &r);
    check_against_direct((NnConv2dDims){1, 3, 31, 29, 4, 3, 3, 2, 1, 1}, "3x3 s2 p1", &r);

    g_wall = getenv("HW_BENCH_WALL") && atoi(getenv("HW_BENCH_WALL"));
    const char *env = getenv("HW_BENCH_BATCH");
    int B = env ? atoi(env) : 32;
    if (B < 1) B = 32;
    NnConv2dDims c1 = {B, 1, 224, 224, 6, 5, 5, 1, 0, 1};
    NnConv2dDims c2 = {B, 6, 110, 110, 16, 5, 5, 1, 0, 1};
    size_t n_x = (size_t)B * 224 * 224, n_a1 = (size_t)B * 6 * 220 * 220, n_p1 = (size_t)B * 6 * 110 * 110;
    size_t n_a2 = (size_t)B * 16 * 106 * 106, n_p2 = (size_t)B * 16 * 53 * 53;
    size_t n_scr = nn_conv2d_scratch_floats(&c1) > nn_conv2d_scratch_floats(&c2)
                       ? nn_conv2d_scratch_floats(&c1) : nn_conv2d_scratch_floats(&c2);
    float *x = alloc_randn(n_x, 1.0f, &r), *scratch = malloc(n_scr * sizeof(float));
    float *w1 = malloc(150 * 4), *b1 = malloc(6 * 4), *w2 = malloc(2400 * 4), *b2 = malloc(16 * 4);
    float *dw1 = calloc(150, 4), *db1 = calloc(6, 4), *dw2 = calloc(2400, 4), *db2 = calloc(16, 4);
    nn_init_conv2d(w1, b1, 6, 1, 5, 5, &r);
    nn_init_conv2d(w2, b2, 16, 6, 5, 5, &r);
    float *a1 = malloc(n_a1 * 4), *p1 = malloc(n_p1 * 4), *a2 = malloc(n_a2 * 4), *p2 = malloc(n_p2 * 4);
    int32_t *i1 = malloc(n_p1 * 4), *i2 = malloc(n_p2 * 4);
    float *dp2 = alloc_randn(n_p2, 1.0f, &r);
    float *da2 = malloc(n_a2 * 4), *dp1 = malloc(n_p1 * 4), *da1 = malloc(n_a1 * 4);

    /* each op of the stack timed alone, best of 3, for both conv paths */
    enum { C1F, P1F, C2F, P2F, P2B, C2B, P1B, C1B, NOPS };
    static const char *names[NOPS] = {"conv1 fwd", "pool1 fwd", "conv2 fwd", "pool2 fwd",
                                      "pool2 bwd", "conv2 bwd", "pool1 bwd", "conv1 bwd (dW)"};
    double best[2][NOPS];
    NnConvStats st[2];
    for (int path = 0; path < 2; path++) {
        nn_conv2d_set_path(path == 0 ? NN_CONV_AUTO : NN_CONV_IM2COL);
        nn_conv2d_stats(NULL, 1);
        for (int k = 0; k < NOPS; k++) best[path][k] = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            double t[NOPS + 1];
            t[0] = now_ms();
            conv2d_forward(a1, x, w1, b1, scratch, &c1);
            t[1] = now_ms();
            maxpool2d_forward(p1, i1, a1, B, 6, 220, 220, 2, 2, 0);
            t[2] = now_ms();
            conv2d_forward(a2, p1, w2, b2, scratch, &c2);
            t[3] = now_ms();
            maxpool2d_forward(p2, i2, a2, B, 16, 106, 106, 2, 2, 0);
            t[4] = now_ms();
            memset(da2, 0, n_a2 * 4), memset(dp1, 0, n_p1 * 4), memset(da1, 0, n_a1 * 4);
            maxpool2d_backward(da2, dp2, i2, B, 16, 106, 106, 53, 53);
            t[5] = now_ms();
            conv2d_backward(dp1, dw2, db2, da2, p1, w2, scratch, &c2);
            t[6] = now_ms();
            maxpool2d_backward(da1, dp1, i1, B, 6, 220, 220, 110, 110);
            t[7] = now_ms();
            conv2d_backward(NULL, dw1, db1, da1, x, w1, scratch, &c1); /* the input needs no grad */
            t[8] = now_ms();
            for (int k = 0; k < NOPS; k++)
                best[path][k] = t[k + 1] - t[k] < best[path][k] ? t[k + 1] - t[k] : best[path][k];
        }
        nn_conv2d_stats(&st[path], 1);
    }
    nn_conv2d_set_path(NN_CONV_AUTO);
    printf("SLeNet conv stack, batch %d, %s time per op, best of 3 (ms):\n", B, g_wall ? "wall" : "process CPU");
    printf("  %-16s %10s %10s\n", "op", "auto", "im2col");
    double tot[2] = {0, 0};
    for (int k = 0; k < NOPS; k++) {
        printf("  %-16s %10.1f %10.1f\n", names[k], best[0][k], best[1][k]);
        tot[0] += best[0][k], tot[1] += best[1][k];
    }
    printf("  %-16s %10.1f %10.1f   (%.2f / %.2f ms per tile)\n", "total", tot[0], tot[1], tot[0] / B, tot[1] / B);
    /* the stack as SLeNet runs it: conv + pool as one op (nn_conv2d_pool.c) */
    double fused[4] = {1e30, 1e30, 1e30, 1e30};
    nn_conv2d_stats(NULL, 1);
    for (int rep = 0; rep < 3; rep++) {
        double t[5];
        t[0] = now_ms();
        conv2d_maxpool_forward(p1, i1, a1, x, w1, b1, scratch, &c1);
        t[1] = now_ms();
        conv2d_maxpool_forward(p2, i2, a2, p1, w2, b2, scratch, &c2);
        t[2] = now_ms();
        memset(dp1, 0, n_p1 * 4);
        conv2d_maxpool_backward(dp1, dw2, db2, da2, dp2, i2, p1, w2, scratch, &c2);
        t[3] = now_ms();
        conv2d_maxpool_backward(NULL, dw1, db1, da1, dp1, i1, x, w1, scratch, &c1);
        t[4] = now_ms();
        for (int k = 0; k < 4; k++) fused[k] = t[k + 1] - t[k] < fused[k] ? t[k + 1] - t[k] : fused[k];
    }
    NnConvStats sf;
    nn_conv2d_stats(&sf, 1);
    const double ft = fused[0] + fused[1] + fused[2] + fused[3];
    printf("  conv2d_maxpool (as SLeNet): conv1+pool1 fwd %.1f, conv2+pool2 fwd %.1f, bwd2 %.1f, bwd1 %.1f,"
           " total %.1f ms (%.2f ms per tile; %llu of %d images fused)\n", fused[0], fused[1], fused[2],
           fused[3], ft, ft / B, (unsigned long long)sf.pool_fused_backward, 2 * 3 * B);
    printf("  images (auto): forward %llu direct / %llu im2col, dweight %llu sparse / %llu im2col, "
           "dinp %llu direct / %llu im2col\n",
           (unsigned long long)st[0].forward_direct, (unsigned long long)st[0].forward_im2col,
           (unsigned long long)st[0].dweight_sparse, (unsigned long long)st[0].dweight_im2col,
           (unsigned long long)st[0].dinp_direct, (unsigned long long)st[0].dinp_im2col);
    /* the forced path really is im2col everywhere */
    CHECK(st[1].forward_direct == 0 && st[1].dweight_sparse == 0 && st[1].dinp_direct == 0);
    CHECK(isfinite(dw1[0]) && isfinite(dw2[0]));
    free(x), free(scratch), free(w1), free(b1), free(w2), free(b2), free(dw1), free(db1), free(dw2), free(db2);
    free(a1), free(p1), free(a2), free(p2), free(i1), free(i2), free(dp2), free(da2), free(dp1), free(da1);
    return TEST_RESULT();
}
