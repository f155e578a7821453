/* Every CUDA op of gpu_ops.h against the C op of src/nn (and optim.c) on the same random
 * inputs (fixed seeds), forward and backward. Skips (77) where no CUDA device is visible.
 *
 * Backward checks start every gradient buffer from the same random values on both sides,
 * so a backward that overwrites instead of adding (+=) fails; NULL gradients are passed
 * where the model passes them.
 *
 * Tolerances, fp32 throughout (TF32 is off, and test_tf32_off proves it):
 *   EXACT  bit-identical: dropout (mask, output, backward), max-pool (output, argmax,
 *          backward), diagonal mask, linear's dbias, Adam and Adagrad over 10 steps.
 *          These do the C op's float operations in its order, so any difference is a bug.
 *   ELEM   |gpu - C| <= 1e-6 + 1e-5 |C|: element-wise and row ops (GELU, softmax and the
 *          CEs, l2norm, maxnorm, distances, contrastive, triplet). Both sides sum rows in
 *          double; what differs is erff/expf/log (1-2 ulp) and fused multiply-adds.
 *   GEMM   |gpu - C| <= 1e-4 |C| + 2e-5 max|C|: cuBLAS/cuDNN against OpenBLAS (linear,
 *          conv, SINCERE), whose sums run in other orders; the error of a sum of products
 *          scales with the terms, hence the max|C| part. TF32 (inputs rounded to 10
 *          mantissa bits, ~5e-4 each) has its own exact probe, test_tf32_off.
 *   GEMM_BIG  the same with 1e-4 max|C|: reductions over 10^4-10^5 terms (linear with
 *          IN = 44,944, the full-size SLeNet conv1 dweight over 2 x 220 x 220 outputs).
 *
 * bf16 (the mixed-precision ops, docs/gpu.md "Precision"):
 *   casts  gpu_cast_to_bf16 bit-identical to hw_bf16_bits (nn_bf16.h) on special values
 *          (ties, overflow, subnormals, signed zeros, inf) and random ones; NaN stays NaN (the
 *          GPU's NaN is canonical, so only NaN-ness is compared); widening and adding exact.
 *   BF16   conv2d and linear, forward and backward, against the C op run in fp32 on the
 *          same bf16-rounded inputs, weights and dout (the GPU casts them again: exact), so
 *          every product is the same exact fp32 value on both sides and what differs is how
 *          the K products of an output are summed, plus the rounding of bf16 outputs:
 *            |gpu - C| <= r |M| + 6 sqrt(K) 2^-23 A + 2^-22 |C|
 *          A = sum of |a b| over the output's K products (the C op run on |a| and |b|);
 *          6 sqrt(K) 2^-23 A is the probabilistic bound of a K-term fp32 sum (Higham and
 *          Mary 2019: lambda sqrt(K) u A, here lambda 4 on the GPU with u = 2^-23, since
 *          tensor cores may truncate when aligning the products, and lambda 4 with
 *          u = 2^-24 in OpenBLAS: 4 (2^-23 + 2^-24) = 6 x 2^-23); worst-case K u A would be
 *          too loose to see a wrong index in linear.1 (K = 44,944). r = 2^-8 where the
 *          output was rounded to bf16 (half an ulp is 2^-9 of |M|; twice that for the
 *          rounding of the sum's own error) with M the output before the fp32 parts (the
 *          conv's bias, the gradient buffer's earlier values) were added; r = 0 for
 *          linear's fp32 outputs. 2^-22 |C| covers the final fp32 addition on both sides.
 *          K: forward C KH KW (conv) or IN (linear); conv dinp OC KH KW, linear dinp OUT;
 *          conv dweight B OH OW, linear dweight B. conv dbias and linear dbias sum the fp32
 *          dout as the fp32 ops do (GEMM, and bit-identical).
 */
#include "gpu_test_util.h"
#include "hitwin/gpu_ops.h"
#include "hitwin/model.h"
#include "hitwin/nn.h"
#include "hitwin/nn_bf16.h"

#include "gpu_op_test.h"


/* ---- TF32 probe ------------------------------------------------------------------------
 * x = 1 + 2^-12 needs 13 mantissa bits; TF32 keeps 10 and reads it as 1, so a TF32 product
 * or convolution of k such values comes out k x (1 - 2.4e-4). In fp32 the results below are
 * exact for GEMM and direct algorithms; FFT and Winograd convolutions round their
 * transforms, ~1e-6 relative. The bound rel 2e-5 sits ten times from both. */
#define TF32_PROBE 0.0, 2e-5, 0.0

static void test_tf32_off(hw_gpu *g) {
    printf("tf32 probe\n");
    const float x = 1.0f + 0x1p-12f;
    float inp[25], w[16], out;
    for (int i = 0; i < 25; i++) inp[i] = x;
    for (int i = 0; i < 16; i++) w[i] = 1.0f;
    float *d_inp = dev_from(g, inp, sizeof inp), *d_w = dev_from(g, w, sizeof w);
    float *d_out = dev_alloc(sizeof(float));
    GPU_OK(gpu_linear_forward(g, d_out, d_inp, d_w, NULL, 1, 16, 1));
    GPU_OK(hw_gpu_download(g, &out, d_out, sizeof out));
    float want = 16.0f * x;
    expect_close("linear 16 x (1 + 2^-12)", &out, &want, 1, TF32_PROBE);
    /* conv 3x3 of ones over a 3x3 image of x: 9 x */
    NnConv2dDims d = {1, 1, 3, 3, 1, 3, 3, 1, 0, 1};
    GPU_OK(gpu_conv2d_forward(g, d_out, d_inp, d_w, NULL, &d));
    GPU_OK(hw_gpu_download(g, &out, d_out, sizeof out));
    want = 9.0f * x;
    expect_close("conv2d 3x3 of (1 + 2^-12)", &out, &want, 1, TF32_PROBE);
    /* dweight = sum over the 3x3 outputs of dout * inp: a 5x5 input of x and dout = 1 give
     * 9 x in each weight; dinp of a 1x1 output through a 3x3 kernel of x is x each */
    float dw[9], want9[9];
    for (int i = 0; i < 9; i++) want9[i] = 9.0f * x;
    NnConv2dDims d5 = {1, 1, 5, 5, 1, 3, 3, 1, 0, 1};
    float *d_dw = dev_alloc(sizeof dw);
    GPU_OK(hw_gpu_zero(g, d_dw, sizeof dw));
    GPU_OK(gpu_conv2d_backward(g, NULL, d_dw, NULL, d_w, d_inp, d_w, &d5));
    GPU_OK(hw_gpu_download(g, dw, d_dw, sizeof dw));
    expect_close("conv2d dweight of (1 + 2^-12)", dw, want9, 9, TF32_PROBE);
    float dx[9];
    GPU_OK(hw_gpu_zero(g, d_dw, sizeof dw));
    GPU_OK(gpu_conv2d_backward(g, d_dw, NULL, NULL, d_w, d_w, d_inp, &d));
    GPU_OK(hw_gpu_download(g, dx, d_dw, sizeof dx));
    for (int i = 0; i < 9; i++) want9[i] = x;
    expect_close("conv2d dinp of (1 + 2^-12)", dx, want9, 9, TF32_PROBE);
    dev_release_all();
}

/* ---- conv2d ----------------------------------------------------------------------------- */
static void conv_case(hw_gpu *g, const char *name, NnConv2dDims d, int with_bias, int with_dinp,
                      int big) {
    printf("conv2d %s\n", name);
    const int OH = nn_conv2d_out_h(&d), OW = nn_conv2d_out_w(&d);
    const size_t nin = (size_t)d.B * d.C * d.H * d.W, nout = (size_t)d.B * d.OC * OH * OW;
    const size_t nw = (size_t)d.OC * (d.C / d.groups) * d.KH * d.KW;
    float *inp = uniform(nin, 0.0f, 1.0f), *w = uniform(nw, -0.3f, 0.3f);
    float *bias = uniform(d.OC, -0.5f, 0.5f), *dout = uniform(nout, -1.0f, 1.0f);
    float *dinp0 = uniform(nin, -1.0f, 1.0f), *dw0 = uniform(nw, -1.0f, 1.0f);
    float *db0 = uniform(d.OC, -1.0f, 1.0f);
    float *out = (float *)malloc(nout * sizeof(float));
    float *scratch = (float *)malloc(nn_conv2d_scratch_floats(&d) * sizeof(float));
    conv2d_forward(out, inp, w, with_bias ? bias : NULL, scratch, &d);
    float *dinp = host_copy(dinp0, nin), *dw = host_copy(dw0, nw), *db = host_copy(db0, d.OC);
    conv2d_backward(with_dinp ? dinp : NULL, dw, with_bias ? db : NULL, dout, inp, w, scratch, &d);

    float *d_inp = dev_from(g, inp, nin * 4), *d_w = dev_from(g, w, nw * 4);
    float *d_bias = dev_from(g, bias, d.OC * 4), *d_dout = dev_from(g, dout, nout * 4);
    float *d_out = dev_alloc(nout * 4), *d_dinp = dev_from(g, dinp0, nin * 4);
    float *d_dw = dev_from(g, dw0, nw * 4), *d_db = dev_from(g, db0, d.OC * 4);
    /* twice: the second call takes the cached plan */
    for (int rep = 0; rep < 2; rep++)
        GPU_OK(gpu_conv2d_forward(g, d_out, d_inp, d_w, with_bias ? d_bias : NULL, &d));
    GPU_OK(gpu_conv2d_backward(g, with_dinp ? d_dinp : NULL, d_dw, with_bias ? d_db : NULL, d_dout,
                               d_inp, d_w, &d));
    float *h;
    if (big) {
        expect_close("out", h = host_floats(g, d_out, nout), out, nout, GEMM_BIG), free(h);
        expect_close("dweight", h = host_floats(g, d_dw, nw), dw, nw, GEMM_BIG), free(h);
    } else {
        expect_close("out", h = host_floats(g, d_out, nout), out, nout, GEMM), free(h);
        expect_close("dweight", h = host_floats(g, d_dw, nw), dw, nw, GEMM), free(h);
    }
    if (with_dinp) expect_close("dinp", h = host_floats(g, d_dinp, nin), dinp, nin, GEMM), free(h);
    if (with_bias) expect_close("dbias", h = host_floats(g, d_db, d.OC), db, d.OC, GEMM), free(h);
    free(inp), free(w), free(bias), free(dout), free(dinp0), free(dw0), free(db0), free(out);
    free(scratch), free(dinp), free(dw), free(db);
    dev_release_all();
}

static void test_conv2d(hw_gpu *g) {
    /*                                  B  C   H   W  OC KH KW s  p  groups */
    conv_case(g, "SLeNet conv1 at 40 (no dinp)", (NnConv2dDims){2, 1, 40, 40, 6, 5, 5, 1, 0, 1}, 1, 0, 0);
    conv_case(g, "SLeNet conv2 at 40", (NnConv2dDims){2, 6, 18, 18, 16, 5, 5, 1, 0, 1}, 1, 1, 0);
    conv_case(g, "3x3 s2 p1 groups 2, 9x11", (NnConv2dDims){3, 4, 9, 11, 6, 3, 3, 2, 1, 2}, 1, 1, 0);
    conv_case(g, "depthwise 3x3 p1", (NnConv2dDims){2, 4, 10, 10, 4, 3, 3, 1, 1, 4}, 1, 1, 0);
    conv_case(g, "5x3 s2 p2 no bias", (NnConv2dDims){2, 3, 12, 9, 4, 5, 3, 2, 2, 1}, 0, 1, 0);
    conv_case(g, "1x1 no bias", (NnConv2dDims){2, 3, 7, 7, 5, 1, 1, 1, 0, 1}, 0, 1, 0);
    conv_case(g, "SLeNet conv1 at 224", (NnConv2dDims){2, 1, 224, 224, 6, 5, 5, 1, 0, 1}, 1, 0, 1);
}

/* ---- bf16 casts, conv2d and linear ------------------------------------------------------- */

/* bits of a host array, rounded to bf16 (nn_bf16.h) */
static uint16_t *bf16_bits(const float *x, size_t n) {
    uint16_t *b = (uint16_t *)malloc(n * sizeof(uint16_t) + 1);
    for (size_t i = 0; i < n; i++) b[i] = hw_bf16_bits(x[i]);
    return b;
}

static float *abs_of(const float *x, size_t n) {
    float *a = (float *)malloc(n * sizeof(float) + 1);
    for (size_t i = 0; i < n; i++) a[i] = fabsf(x[i]);
    return a;
}

/* the header's BF16 bound per element: r |M| + 6 sqrt(K) 2^-23 A + 2^-22 |C| */
static double *bf16_bounds(const float *C, const float *M, const float *A, size_t n, double r,
                           size_t K) {
    double *b = (double *)malloc(n * sizeof(double) + 1);
    const double acc = 6.0 * sqrt((double)K) * 0x1p-23;
    for (size_t i = 0; i < n; i++)
        b[i] = r * fabs((double)M[i]) + acc * A[i] + 0x1p-22 * fabs((double)C[i]);
    return b;
}

static void test_bf16_casts(hw_gpu *g) {
    printf("bf16 casts\n");
    const size_t n = 100000;
    float *x = uniform(n, -4.0f, 4.0f);
    /* random bit patterns in the second half: every exponent, subnormals included */
    for (size_t i = n / 2; i < n; i++) {
        uint32_t u = nn_rng_u32(&g_rng);
        memcpy(&x[i], &u, 4);
    }
    const float special[] = {1.0f, 1.0f + 0x1p-8f, 1.0f + 3.0f * 0x1p-8f, 1.0f + 3.0f * 0x1p-9f,
                             -(1.0f + 0x1p-8f), 0x1.fep127f, 0x1.ff0p127f, 0x1.fffffep127f,
                             INFINITY, -INFINITY, 0.0f, -0.0f, 0x1p-149f, 0x1p-134f, 0x1.8p-133f,
                             0x1p-133f, 0x1.fffffcp-127f, NAN, -NAN};
    memcpy(x, special, sizeof special);
    uint16_t *want = bf16_bits(x, n), *got = (uint16_t *)malloc(n * 2);
    float *d_x = dev_from(g, x, n * 4), *d_w = dev_alloc(n * 4);
    hw_bf16 *d_b = (hw_bf16 *)dev_alloc(n * 2);
    GPU_OK(gpu_cast_to_bf16(g, d_b, d_x, n));
    GPU_OK(hw_gpu_download(g, got, d_b, n * 2));
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const int nan_want = (want[i] & 0x7fff) > 0x7f80, nan_got = (got[i] & 0x7fff) > 0x7f80;
        if (nan_want ? !nan_got : got[i] != want[i]) {
            if (bad < 5) {
                uint32_t u;
                memcpy(&u, &x[i], 4);
                fprintf(stderr, "  bf16 of %a (0x%08x): gpu 0x%04x, host 0x%04x\n", (double)x[i],
                        (unsigned)u, got[i], want[i]);
            }
            bad++;
        }
    }
    printf("  %-34s n %-8zu %zu differ from hw_bf16_bits\n", "gpu_cast_to_bf16", n, bad);
    CHECK(bad == 0);
    /* widening is exact, and add adds the widened value */
    float *wide = (float *)malloc(n * 4), *acc = uniform(n, -1.0f, 1.0f), *acc_want = host_copy(acc, n);
    for (size_t i = 0; i < n; i++) wide[i] = hw_bf16_value(want[i]), acc_want[i] += wide[i];
    GPU_OK(gpu_cast_from_bf16(g, d_w, d_b, n));
    float *h = host_floats(g, d_w, n);
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) wrong += !(h[i] == wide[i] || (isnan(h[i]) && isnan(wide[i])) ||
                                              (h[i] == 0.0f && wide[i] == 0.0f));
    printf("  %-34s n %-8zu %zu not exact\n", "gpu_cast_from_bf16", n, wrong);
    CHECK(wrong == 0);
    free(h);
    /* the first half for the sum: uniform values, but also the special values at its start,
     * NaN among them. The GPU's NaN is canonical (0x7fff) where the host keeps the input's
     * sign and payload, so a NaN sum compares by NaN-ness; every other sum bit for bit. */
    const size_t nf = n / 2;
    GPU_OK(hw_gpu_upload(g, d_w, acc, nf * 4));
    GPU_OK(gpu_add_bf16(g, d_w, d_b, nf));
    h = host_floats(g, d_w, nf);
    size_t off = 0;
    for (size_t i = 0; i < nf; i++) {
        const int same = memcmp(&h[i], &acc_want[i], 4) == 0 || (isnan(h[i]) && isnan(acc_want[i]));
        if (!same && off++ < 5)
            fprintf(stderr, "  gpu_add_bf16[%zu]: gpu %a, host %a\n", i, (double)h[i],
                    (double)acc_want[i]);
    }
    printf("  %-34s n %-8zu %zu differ in their bits (NaN: NaN-ness)\n", "gpu_add_bf16", nf, off);
    CHECK(off == 0);
    free(h);
    free(x), free(want), free(got), free(wide), free(acc), free(acc_want);
    dev_release_all();
}

static void conv_bf16_case(hw_gpu *g, const char *name, NnConv2dDims d, int with_bias,
                           int with_dinp) {
    printf("conv2d bf16 %s\n", name);
    const int OH = nn_conv2d_out_h(&d), OW = nn_conv2d_out_w(&d);
    const size_t nin = (size_t)d.B * d.C * d.H * d.W, nout = (size_t)d.B * d.OC * OH * OW;
    const size_t nw = (size_t)d.OC * (d.C / d.groups) * d.KH * d.KW;
    float *inp = uniform(nin, 0.0f, 1.0f), *w = uniform(nw, -0.3f, 0.3f);
    float *bias = uniform(d.OC, -0.5f, 0.5f), *dout = uniform(nout, -1.0f, 1.0f);
    hw_bf16_round_array(inp, inp, nin);
    hw_bf16_round_array(w, w, nw);
    hw_bf16_round_array(dout, dout, nout);
    float *dinp0 = uniform(nin, -1.0f, 1.0f), *dw0 = uniform(nw, -1.0f, 1.0f);
    float *db0 = uniform(d.OC, -1.0f, 1.0f);
    float *scratch = (float *)malloc(nn_conv2d_scratch_floats(&d) * sizeof(float));
    /* the C op on the rounded operands: out, and the gradients added into dinp0, dw0, db0 */
    float *out = (float *)malloc(nout * 4);
    conv2d_forward(out, inp, w, with_bias ? bias : NULL, scratch, &d);
    float *dinp = host_copy(dinp0, nin), *dw = host_copy(dw0, nw), *db = host_copy(db0, d.OC);
    conv2d_backward(with_dinp ? dinp : NULL, dw, with_bias ? db : NULL, dout, inp, w, scratch, &d);
    /* M: the outputs alone (no bias, from zero gradients); A: the sums of |a b| */
    float *m_out = (float *)malloc(nout * 4), *m_dinp = (float *)calloc(nin, 4), *m_dw = (float *)calloc(nw, 4);
    conv2d_forward(m_out, inp, w, NULL, scratch, &d);
    conv2d_backward(m_dinp, m_dw, NULL, dout, inp, w, scratch, &d);
    float *ainp = abs_of(inp, nin), *aw = abs_of(w, nw), *adout = abs_of(dout, nout);
    float *a_out = (float *)malloc(nout * 4), *a_dinp = (float *)calloc(nin, 4), *a_dw = (float *)calloc(nw, 4);
    conv2d_forward(a_out, ainp, aw, NULL, scratch, &d);
    conv2d_backward(a_dinp, a_dw, NULL, adout, ainp, aw, scratch, &d);

    uint16_t *binp = bf16_bits(inp, nin), *bw = bf16_bits(w, nw);
    hw_bf16 *d_inp = (hw_bf16 *)dev_from(g, binp, nin * 2), *d_w = (hw_bf16 *)dev_from(g, bw, nw * 2);
    float *d_bias = dev_from(g, bias, d.OC * 4), *d_dout = dev_from(g, dout, nout * 4);
    float *d_out = dev_alloc(nout * 4), *d_dinp = dev_from(g, dinp0, nin * 4);
    float *d_dw = dev_from(g, dw0, nw * 4), *d_db = dev_from(g, db0, d.OC * 4);
    void *d_scratch = dev_alloc(gpu_conv2d_bf16_scratch_bytes(&d));
    const int native = gpu_conv2d_bf16_native(g, &d);
    printf("  cuDNN bf16 algorithms: forward %s, backward data %s, backward filter %s\n",
           native & 1 ? "bf16" : "fp32 fallback", native & 2 ? "bf16" : "fp32 fallback",
           native & 4 ? "bf16" : "fp32 fallback");
    CHECK(native >= 0);
    for (int rep = 0; rep < 2; rep++) /* the second call takes the cached plan */
        GPU_OK(gpu_conv2d_forward_bf16(g, d_out, d_inp, d_w, with_bias ? d_bias : NULL, d_scratch, &d));
    GPU_OK(gpu_conv2d_backward_bf16(g, with_dinp ? d_dinp : NULL, d_dw, with_bias ? d_db : NULL,
                                    d_dout, d_inp, d_w, d_scratch, &d));
    const double r = 0x1p-8;
    float *h;
    double *b;
    b = bf16_bounds(out, m_out, a_out, nout, r, (size_t)(d.C / d.groups) * d.KH * d.KW);
    expect_within("out", h = host_floats(g, d_out, nout), out, b, nout), free(h), free(b);
    b = bf16_bounds(dw, m_dw, a_dw, nw, r, (size_t)d.B * OH * OW);
    expect_within("dweight", h = host_floats(g, d_dw, nw), dw, b, nw), free(h), free(b);
    if (with_dinp) {
        b = bf16_bounds(dinp, m_dinp, a_dinp, nin, r, (size_t)(d.OC / d.groups) * d.KH * d.KW);
        expect_within("dinp", h = host_floats(g, d_dinp, nin), dinp, b, nin), free(h), free(b);
    } else {
        expect_same_bits("dinp untouched", h = host_floats(g, d_dinp, nin), dinp0, nin * 4, 4), free(h);
    }
    if (with_bias) expect_close("dbias", h = host_floats(g, d_db, d.OC), db, d.OC, GEMM), free(h);
    free(inp), free(w), free(bias), free(dout), free(dinp0), free(dw0), free(db0), free(scratch);
    free(out), free(dinp), free(dw), free(db), free(m_out), free(m_dinp), free(m_dw);
    free(ainp), free(aw), free(adout), free(a_out), free(a_dinp), free(a_dw), free(binp), free(bw);
    dev_release_all();
}

static void linear_bf16_case(hw_gpu *g, const char *name, int B, int IN, int OUT, int with_bias,
                             int with_dinp) {
    printf("linear bf16 %s\n", name);
    const size_t ni = (size_t)B * IN, no = (size_t)B * OUT, nw = (size_t)OUT * IN;
    float *inp = uniform(ni, -1.0f, 1.0f), *w = uniform(nw, -0.1f, 0.1f);
    float *bias = uniform(OUT, -0.5f, 0.5f), *dout = uniform(no, -1.0f, 1.0f);
    hw_bf16_round_array(inp, inp, ni);
    hw_bf16_round_array(w, w, nw);
    hw_bf16_round_array(dout, dout, no);
    float *dinp0 = uniform(ni, -1.0f, 1.0f), *dw0 = uniform(nw, -1.0f, 1.0f);
    float *db0 = uniform(OUT, -1.0f, 1.0f), *out = (float *)malloc(no * 4);
    float *dinp = host_copy(dinp0, ni), *dw = host_copy(dw0, nw), *db = host_copy(db0, OUT);
    linear_forward(out, inp, w, with_bias ? bias : NULL, B, IN, OUT);
    linear_backward(with_dinp ? dinp : NULL, dw, with_bias ? db : NULL, dout, inp, w, B, IN, OUT);
    float *ainp = abs_of(inp, ni), *aw = abs_of(w, nw), *adout = abs_of(dout, no);
    float *a_out = (float *)malloc(no * 4), *a_dinp = (float *)calloc(ni, 4), *a_dw = (float *)calloc(nw, 4);
    linear_forward(a_out, ainp, aw, NULL, B, IN, OUT);
    linear_backward(a_dinp, a_dw, NULL, adout, ainp, aw, B, IN, OUT);

    uint16_t *binp = bf16_bits(inp, ni), *bw = bf16_bits(w, nw);
    hw_bf16 *d_inp = (hw_bf16 *)dev_from(g, binp, ni * 2), *d_w = (hw_bf16 *)dev_from(g, bw, nw * 2);
    float *d_bias = dev_from(g, bias, OUT * 4), *d_dout = dev_from(g, dout, no * 4);
    float *d_out = dev_alloc(no * 4), *d_dinp = dev_from(g, dinp0, ni * 4);
    float *d_dw = dev_from(g, dw0, nw * 4), *d_db = dev_from(g, db0, OUT * 4);
    hw_bf16 *d_scratch = (hw_bf16 *)dev_alloc(no * 2);
    GPU_OK(gpu_linear_forward_bf16(g, d_out, d_inp, d_w, with_bias ? d_bias : NULL, B, IN, OUT));
    GPU_OK(gpu_linear_backward_bf16(g, with_dinp ? d_dinp : NULL, d_dw, with_bias ? d_db : NULL,
                                    d_dout, d_inp, d_w, d_scratch, B, IN, OUT));
    float *h;
    double *b;
    /* fp32 outputs: no bf16 rounding term (M unused with r = 0) */
    b = bf16_bounds(out, out, a_out, no, 0.0, (size_t)IN);
    expect_within("out", h = host_floats(g, d_out, no), out, b, no), free(h), free(b);
    b = bf16_bounds(dw, dw, a_dw, nw, 0.0, (size_t)B);
    expect_within("dweight", h = host_floats(g, d_dw, nw), dw, b, nw), free(h), free(b);
    if (with_dinp) {
        b = bf16_bounds(dinp, dinp, a_dinp, ni, 0.0, (size_t)OUT);
        expect_within("dinp", h = host_floats(g, d_dinp, ni), dinp, b, ni), free(h), free(b);
    }
    if (with_bias) expect_same_bits("dbias", h = host_floats(g, d_db, OUT), db, OUT * 4, 4), free(h);
    free(inp), free(w), free(bias), free(dout), free(dinp0), free(dw0), free(db0), free(out);
    free(dinp), free(dw), free(db), free(ainp), free(aw), free(adout), free(a_out), free(a_dinp);
    free(a_dw), free(binp), free(bw);
    dev_release_all();
}

static void test_bf16_ops(hw_gpu *g) {
    test_bf16_casts(g);
    /*                                       B  C   H   W  OC KH KW s  p  groups */
    conv_bf16_case(g, "SLeNet conv1 at 40 (no dinp)", (NnConv2dDims){4, 1, 40, 40, 6, 5, 5, 1, 0, 1}, 1, 0);
    conv_bf16_case(g, "SLeNet conv2 at 40", (NnConv2dDims){4, 6, 18, 18, 16, 5, 5, 1, 0, 1}, 1, 1);
    conv_bf16_case(g, "3x3 s2 p1 groups 2, no bias", (NnConv2dDims){3, 4, 9, 11, 6, 3, 3, 2, 1, 2}, 0, 1);
    conv_bf16_case(g, "SLeNet conv1 at 224", (NnConv2dDims){2, 1, 224, 224, 6, 5, 5, 1, 0, 1}, 1, 0);
    conv_bf16_case(g, "SLeNet conv2 at 224", (NnConv2dDims){2, 6, 110, 110, 16, 5, 5, 1, 0, 1}, 1, 1);
    linear_bf16_case(g, "5 x 37 -> 11", 5, 37, 11, 1, 1);
    linear_bf16_case(g, "8 x 120 -> 83 (linear.3)", 8, 120, 83, 1, 1);
    linear_bf16_case(g, "7 x 120 -> 83 no bias", 7, 120, 83, 0, 1);
    linear_bf16_case(g, "4 x 44944 -> 120 (linear.1 at 224)", 4, 44944, 120, 1, 1);
}

/* ---- maxpool ---------------------------------------------------------------------------- */
static void pool_case(hw_gpu *g, const char *name, int B, int C, int H, int W, int k, int s, int p) {
    printf("maxpool2d %s\n", name);
    const int OH = nn_pool_out_size(H, k, s, p), OW = nn_pool_out_size(W, k, s, p);
    const size_t nin = (size_t)B * C * H * W, nout = (size_t)B * C * OH * OW;
    /* quarter steps in [-2, 2]: many ties, so the first-maximum rule is exercised */
    float *inp = uniform(nin, -2.0f, 2.0f);
    for (size_t i = 0; i < nin; i++) inp[i] = roundf(inp[i] * 4.0f) / 4.0f;
    inp[nin / 3] = NAN; /* NaN is taken as the maximum */
    inp[nin / 2] = -INFINITY;
    float *out = (float *)malloc(nout * 4), *dout = uniform(nout, -1.0f, 1.0f);
    int32_t *am = (int32_t *)malloc(nout * 4);
    float *dinp0 = uniform(nin, -1.0f, 1.0f), *dinp = host_copy(dinp0, nin);
    maxpool2d_forward(out, am, inp, B, C, H, W, k, s, p);
    maxpool2d_backward(dinp, dout, am, B, C, H, W, OH, OW);

    float *d_inp = dev_from(g, inp, nin * 4), *d_out = dev_alloc(nout * 4);
    int32_t *d_am = (int32_t *)dev_alloc(nout * 4);
    float *d_dout = dev_from(g, dout, nout * 4), *d_dinp = dev_from(g, dinp0, nin * 4);
    GPU_OK(gpu_maxpool2d_forward(g, d_out, d_am, d_inp, B, C, H, W, k, s, p));
    GPU_OK(gpu_maxpool2d_backward(g, d_dinp, d_dout, d_am, B, C, H, W, k, s, p));
    float *h = host_floats(g, d_out, nout);
    int32_t *ham = (int32_t *)malloc(nout * 4);
    GPU_OK(hw_gpu_download(g, ham, d_am, nout * 4));
    expect_same_bits("out", h, out, nout * 4, 4), free(h);
    expect_same_bits("argmax", ham, am, nout * 4, 4);
    expect_same_bits("dinp", h = host_floats(g, d_dinp, nin), dinp, nin * 4, 4), free(h);
    free(inp), free(out), free(dout), free(am), free(dinp0), free(dinp), free(ham);
    dev_release_all();
}

static void test_maxpool(hw_gpu *g) {
    pool_case(g, "2x2 s2 (SLeNet), odd 13x15", 2, 3, 13, 15, 2, 2, 0);
    pool_case(g, "3x3 s2 p1 (overlapping, padded)", 2, 2, 11, 10, 3, 2, 1);
    pool_case(g, "3x3 s1 (overlapping)", 1, 2, 9, 9, 3, 1, 0);
}

/* ---- linear ----------------------------------------------------------------------------- */
static void linear_case(hw_gpu *g, const char *name, int B, int IN, int OUT, int with_bias,
                        int with_dinp, int big) {
    printf("linear %s\n", name);
    const size_t ni = (size_t)B * IN, no = (size_t)B * OUT, nw = (size_t)OUT * IN;
    float *inp = uniform(ni, -1.0f, 1.0f), *w = uniform(nw, -0.1f, 0.1f);
    float *bias = uniform(OUT, -0.5f, 0.5f), *dout = uniform(no, -1.0f, 1.0f);
    float *dinp0 = uniform(ni, -1.0f, 1.0f), *dw0 = uniform(nw, -1.0f, 1.0f);
    float *db0 = uniform(OUT, -1.0f, 1.0f), *out = (float *)malloc(no * 4);
    float *dinp = host_copy(dinp0, ni), *dw = host_copy(dw0, nw), *db = host_copy(db0, OUT);
    linear_forward(out, inp, w, with_bias ? bias : NULL, B, IN, OUT);
    linear_backward(with_dinp ? dinp : NULL, dw, with_bias ? db : NULL, dout, inp, w, B, IN, OUT);

    float *d_inp = dev_from(g, inp, ni * 4), *d_w = dev_from(g, w, nw * 4);
    float *d_bias = dev_from(g, bias, OUT * 4), *d_dout = dev_from(g, dout, no * 4);
    float *d_out = dev_alloc(no * 4), *d_dinp = dev_from(g, dinp0, ni * 4);
    float *d_dw = dev_from(g, dw0, nw * 4), *d_db = dev_from(g, db0, OUT * 4);
    GPU_OK(gpu_linear_forward(g, d_out, d_inp, d_w, with_bias ? d_bias : NULL, B, IN, OUT));
    GPU_OK(gpu_linear_backward(g, with_dinp ? d_dinp : NULL, d_dw, with_bias ? d_db : NULL, d_dout,
                               d_inp, d_w, B, IN, OUT));
    float *h;
    if (big)
        expect_close("out", h = host_floats(g, d_out, no), out, no, GEMM_BIG), free(h);
    else
        expect_close("out", h = host_floats(g, d_out, no), out, no, GEMM), free(h);
    expect_close("dweight", h = host_floats(g, d_dw, nw), dw, nw, GEMM), free(h);
    if (with_dinp) expect_close("dinp", h = host_floats(g, d_dinp, ni), dinp, ni, GEMM), free(h);
    if (with_bias) expect_same_bits("dbias", h = host_floats(g, d_db, OUT), db, OUT * 4, 4), free(h);
    free(inp), free(w), free(bias), free(dout), free(dinp0), free(dw0), free(db0), free(out);
    free(dinp), free(dw), free(db);
    dev_release_all();
}

static void test_linear(hw_gpu *g) {
    linear_case(g, "5 x 37 -> 11", 5, 37, 11, 1, 1, 0);
    linear_case(g, "7 x 120 -> 83 no bias", 7, 120, 83, 0, 1, 0);
    linear_case(g, "3 x 83 -> 2 (head)", 3, 83, 2, 1, 1, 0);
    linear_case(g, "4 x 44944 -> 120 (FC1 at 224, no dinp)", 4, 44944, 120, 1, 0, 1);
}

/* ---- GELU and dropout ------------------------------------------------------------------- */
static void test_gelu(hw_gpu *g) {
    printf("gelu\n");
    const size_t n = 10007;
    float *x = uniform(n, -6.0f, 6.0f), *dout = uniform(n, -1.0f, 1.0f);
    x[0] = 0.0f, x[1] = -0.0f, x[2] = 20.0f, x[3] = -20.0f, x[4] = 1e-20f;
    float *out = (float *)malloc(n * 4), *dinp0 = uniform(n, -1.0f, 1.0f), *dinp = host_copy(dinp0, n);
    gelu_forward(out, x, n);
    gelu_backward(dinp, dout, x, n);
    float *d_x = dev_from(g, x, n * 4), *d_out = dev_alloc(n * 4), *d_dout = dev_from(g, dout, n * 4);
    float *d_dinp = dev_from(g, dinp0, n * 4);
    GPU_OK(gpu_gelu_forward(g, d_out, d_x, n));
    GPU_OK(gpu_gelu_backward(g, d_dinp, d_dout, d_x, n));
    float *h;
    expect_close("out", h = host_floats(g, d_out, n), out, n, ELEM), free(h);
    expect_close("dinp", h = host_floats(g, d_dinp, n), dinp, n, ELEM), free(h);
    /* in place, as the C op allows */
    GPU_OK(gpu_gelu_forward(g, d_x, d_x, n));
    expect_close("out (in place)", h = host_floats(g, d_x, n), out, n, ELEM), free(h);
    free(x), free(dout), free(out), free(dinp0), free(dinp);
    dev_release_all();
}

static void dropout_case(hw_gpu *g, float p, uint64_t seed, uint64_t counter, size_t rows,
                         size_t cols, uint64_t row_draws) {
    printf("dropout p %.2f, %zu rows of %zu, row stride %llu draws\n", (double)p, rows, cols,
           (unsigned long long)row_draws);
    const size_t n = rows * cols;
    float *x = uniform(n, -3.0f, 3.0f), *dout = uniform(n, -1.0f, 1.0f);
    float *out = (float *)malloc(n * 4), *dinp0 = uniform(n, -1.0f, 1.0f), *dinp = host_copy(dinp0, n);
    uint8_t *mask = (uint8_t *)malloc(n), *hmask = (uint8_t *)malloc(n);
    /* some -0 gradients: a dropped element adds +0 in the C op, which makes them +0 */
    for (size_t i = 0; i < n; i += 7) dinp0[i] = dinp[i] = -0.0f;
    for (size_t r = 0; r < rows; r++) { /* the model's per-row generator */
        NnRng rng = {seed, counter + r * row_draws};
        dropout_forward(out + r * cols, mask + r * cols, x + r * cols, p, &rng, cols);
    }
    dropout_backward(dinp, dout, mask, p, n);
    float *d_x = dev_from(g, x, n * 4), *d_out = dev_alloc(n * 4), *d_dout = dev_from(g, dout, n * 4);
    float *d_dinp = dev_from(g, dinp0, n * 4);
    uint8_t *d_mask = (uint8_t *)dev_alloc(n);
    GPU_OK(gpu_dropout_forward(g, d_out, d_mask, d_x, p, seed, counter, rows, cols, row_draws));
    GPU_OK(gpu_dropout_backward(g, d_dinp, d_dout, d_mask, p, n));
    GPU_OK(hw_gpu_download(g, hmask, d_mask, n));
    float *h;
    expect_same_bits("mask", hmask, mask, n, 1);
    expect_same_bits("out", h = host_floats(g, d_out, n), out, n * 4, 4), free(h);
    expect_same_bits("dinp", h = host_floats(g, d_dinp, n), dinp, n * 4, 4), free(h);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) kept += mask[i];
    /* a sanity bound, not a statistics test (test_nn_rng has that): a mask of all ones or
     * all zeros would make the comparison above vacuous */
    if (p > 0.0f && p < 1.0f) CHECK(kept > 0 && kept < n);
    free(x), free(dout), free(out), free(dinp0), free(dinp), free(mask), free(hmask);
    dev_release_all();
}

static void test_dropout(hw_gpu *g) {
    dropout_case(g, 0.5f, 30004ULL ^ 0xD50B0D50B0D50B0DULL, 0, 1, 44944, 0);
    /* the model's layout: counter = step << 40, rows = items of one view of 3, stride 3F */
    dropout_case(g, 0.5f, 0x123456789ABCDEFULL, 7ULL << 40, 4, 1000, 3000);
    /* view 2 of 3 of the view-major batch: its 4 rows start at counter + 2F, 3F apart, so row
     * i draws at counter + (3 i + 2) F, the CPU model's place for item i, view 2 */
    dropout_case(g, 0.5f, 0x123456789ABCDEFULL, (7ULL << 40) + 2 * 1000, 4, 1000, 3000);
    dropout_case(g, 0.1f, 42, 12345, 3, 777, 777);
    dropout_case(g, 0.0f, 1, 0, 2, 100, 100); /* copy, mask of ones */
    dropout_case(g, 1.0f, 1, 0, 2, 100, 100); /* zeroes */
}

/* ---- softmax and cross-entropy ---------------------------------------------------------- */
static void ce_case(hw_gpu *g, int B, int C) {
    printf("softmax / cross-entropy / double softmax, B %d, C %d\n", B, C);
    const size_t n = (size_t)B * C;
    float *logits = uniform(n, -4.0f, 4.0f), *dprobs = uniform(n, -1.0f, 1.0f);
    int32_t *t = (int32_t *)malloc(B * 4);
    for (int b = 0; b < B; b++) t[b] = (int32_t)(nn_rng_u32(&g_rng) % C);
    float *probs = (float *)malloc(n * 4), *probs2 = (float *)malloc(n * 4);
    float *d0 = uniform(n, -1.0f, 1.0f), *ds = host_copy(d0, n), *dce = host_copy(d0, n);
    float *ddce = host_copy(d0, n), loss_ce, loss_dce;
    softmax_forward(probs, logits, B, C);
    softmax_backward(ds, dprobs, probs, B, C);
    float *sm = host_copy(probs, n);
    crossentropy_forward(&loss_ce, probs, logits, t, B, C);
    crossentropy_backward(dce, 0.75f, probs, t, B, C);
    double_softmax_ce_forward(&loss_dce, probs, probs2, logits, t, B, C);
    double_softmax_ce_backward(ddce, 2.0f, probs, probs2, t, B, C);

    float *d_logits = dev_from(g, logits, n * 4), *d_dprobs = dev_from(g, dprobs, n * 4);
    int32_t *d_t = (int32_t *)dev_from(g, t, B * 4);
    float *d_p = dev_alloc(n * 4), *d_p2 = dev_alloc(n * 4), *d_loss = dev_alloc(8);
    float *d_ds = dev_from(g, d0, n * 4), *d_dce = dev_from(g, d0, n * 4), *d_ddce = dev_from(g, d0, n * 4);
    float *h, hl;
    GPU_OK(gpu_softmax_forward(g, d_p, d_logits, B, C));
    expect_close("softmax", h = host_floats(g, d_p, n), sm, n, ELEM), free(h);
    GPU_OK(gpu_softmax_backward(g, d_ds, d_dprobs, d_p, B, C));
    expect_close("softmax dlogits", h = host_floats(g, d_ds, n), ds, n, ELEM), free(h);
    GPU_OK(gpu_crossentropy_forward(g, d_loss, d_p, d_logits, d_t, B, C));
    GPU_OK(hw_gpu_download(g, &hl, d_loss, 4));
    expect_close("ce loss", &hl, &loss_ce, 1, ELEM);
    GPU_OK(gpu_crossentropy_backward(g, d_dce, 0.75f, d_p, d_t, B, C));
    expect_close("ce dlogits", h = host_floats(g, d_dce, n), dce, n, ELEM), free(h);
    GPU_OK(gpu_double_softmax_ce_forward(g, d_loss, d_p, d_p2, d_logits, d_t, B, C));
    GPU_OK(hw_gpu_download(g, &hl, d_loss, 4));
    expect_close("double softmax ce loss", &hl, &loss_dce, 1, ELEM);
    expect_close("double softmax probs", h = host_floats(g, d_p, n), probs, n, ELEM), free(h);
    expect_close("double softmax probs2", h = host_floats(g, d_p2, n), probs2, n, ELEM), free(h);
    GPU_OK(gpu_double_softmax_ce_backward(g, d_ddce, 2.0f, d_p, d_p2, d_t, B, C));
    expect_close("double softmax dlogits", h = host_floats(g, d_ddce, n), ddce, n, ELEM), free(h);
    free(logits), free(dprobs), free(t), free(probs), free(probs2), free(d0), free(ds), free(dce);
    free(ddce), free(sm);
    dev_release_all();
}

/* ---- l2norm, maxnorm, diagonal mask ----------------------------------------------------- */
static void test_l2norm(hw_gpu *g) {
    printf("l2norm\n");
    const int B = 9, D = 83;
    const size_t n = (size_t)B * D;
    float *x = uniform(n, -1.0f, 1.0f), *dout = uniform(n, -1.0f, 1.0f);
    for (int i = 0; i < D; i++) x[2 * D + i] = 0.0f;          /* zero row: the eps clamp */
    for (int i = 0; i < D; i++) x[5 * D + i] *= 1e-14f;       /* below eps as well */
    float *out = (float *)malloc(n * 4), *dinp0 = uniform(n, -1.0f, 1.0f), *dinp = host_copy(dinp0, n);
    l2norm_forward(out, x, NN_L2NORM_EPS, B, D);
    l2norm_backward(dinp, dout, x, NN_L2NORM_EPS, B, D);
    float *d_x = dev_from(g, x, n * 4), *d_out = dev_alloc(n * 4), *d_dout = dev_from(g, dout, n * 4);
    float *d_dinp = dev_from(g, dinp0, n * 4), *h;
    GPU_OK(gpu_l2norm_forward(g, d_out, d_x, NN_L2NORM_EPS, B, D));
    GPU_OK(gpu_l2norm_backward(g, d_dinp, d_dout, d_x, NN_L2NORM_EPS, B, D));
    expect_close("out", h = host_floats(g, d_out, n), out, n, ELEM), free(h);
    /* the clamped rows' gradient is dout / 1e-12: relative tolerance only matters there */
    expect_close("dinp", h = host_floats(g, d_dinp, n), dinp, n, ELEM), free(h);
    free(x), free(dout), free(out), free(dinp0), free(dinp);
    dev_release_all();
}

static void test_maxnorm(hw_gpu *g) {
    printf("maxnorm\n");
    const int B = 5, N = 40 * 40;
    const size_t n = (size_t)B * N;
    float *x = uniform(n, 0.0f, 50.0f), *dout = uniform(n, -1.0f, 1.0f);
    for (int i = 0; i < N; i++) x[N + i] = roundf(x[N + i] / 10.0f); /* sample 1: tied maxima */
    for (int i = 0; i < N; i++) x[2 * N + i] = 0.0f;                 /* sample 2: the guard */
    for (int i = 0; i < N; i++) x[3 * N + i] = -x[3 * N + i] - 1.0f; /* sample 3: all negative */
    x[4 * N + 17] = NAN; /* sample 4: a NaN after the first element is skipped by the max */
    float *out = (float *)malloc(n * 4), *mx = (float *)malloc(B * 4);
    float *dinp0 = uniform(n, -1.0f, 1.0f), *dinp = host_copy(dinp0, n);
    maxnorm_forward(out, mx, x, B, N);
    maxnorm_backward(dinp, dout, x, mx, B, N);
    float *d_x = dev_from(g, x, n * 4), *d_out = dev_alloc(n * 4), *d_mx = dev_alloc(B * 4);
    float *d_dout = dev_from(g, dout, n * 4), *d_dinp = dev_from(g, dinp0, n * 4), *h;
    GPU_OK(gpu_maxnorm_forward(g, d_out, d_mx, d_x, B, N));
    GPU_OK(gpu_maxnorm_backward(g, d_dinp, d_dout, d_x, d_mx, B, N));
    expect_same_bits("maxval", h = host_floats(g, d_mx, B), mx, B * 4, 4), free(h);
    expect_close("out", h = host_floats(g, d_out, n), out, n, ELEM), free(h);
    expect_close("dinp", h = host_floats(g, d_dinp, n), dinp, n, ELEM), free(h);
    /* in place, as the model normalises its input buffer */
    GPU_OK(gpu_maxnorm_forward(g, d_x, d_mx, d_x, B, N));
    expect_close("out (in place)", h = host_floats(g, d_x, n), out, n, ELEM), free(h);
    /* a NaN first element makes the C op's max NaN */
    float y[4] = {NAN, 1.0f, 5.0f, 2.0f}, yo[4], ym, *d_y = dev_from(g, y, sizeof y), hm;
    maxnorm_forward(yo, &ym, y, 1, 4);
    GPU_OK(gpu_maxnorm_forward(g, d_y, d_mx, d_y, 1, 4));
    GPU_OK(hw_gpu_download(g, &hm, d_mx, 4));
    CHECK(isnan(ym) && isnan(hm));
    free(x), free(dout), free(out), free(mx), free(dinp0), free(dinp);
    dev_release_all();
}

static void test_diagmask(hw_gpu *g) {
    printf("diagmask\n");
    const int BC = 3, H = 17, W = 17;
    const size_t n = (size_t)BC * H * W;
    float *x = uniform(n, -1.0f, 1.0f), *out = (float *)malloc(n * 4);
    float *dinp0 = uniform(n, -1.0f, 1.0f), *dinp = host_copy(dinp0, n);
    diagmask_forward(out, x, NN_DIAG_MASK_BAND, BC, H, W);
    diagmask_backward(dinp, x, NN_DIAG_MASK_BAND, BC, H, W);
    float *d_x = dev_from(g, x, n * 4), *d_out = dev_alloc(n * 4), *d_dinp = dev_from(g, dinp0, n * 4), *h;
    GPU_OK(gpu_diagmask_forward(g, d_out, d_x, NN_DIAG_MASK_BAND, BC, H, W));
    GPU_OK(gpu_diagmask_backward(g, d_dinp, d_x, NN_DIAG_MASK_BAND, BC, H, W));
    expect_same_bits("out", h = host_floats(g, d_out, n), out, n * 4, 4), free(h);
    expect_same_bits("dinp", h = host_floats(g, d_dinp, n), dinp, n * 4, 4), free(h);
    free(x), free(out), free(dinp0), free(dinp);
    dev_release_all();
}

/* ---- distances -------------------------------------------------------------------------- */
static void distance_case(hw_gpu *g, int cosine, float eps, int with_dx2) {
    printf("%s distance, eps %g%s\n", cosine ? "cosine" : "pairwise", (double)eps,
           with_dx2 ? "" : ", dx2 NULL");
    const int B = 33, D = 83;
    const size_t n = (size_t)B * D;
    float *x1 = uniform(n, -1.0f, 1.0f), *x2 = uniform(n, -1.0f, 1.0f), *dd = uniform(B, -1.0f, 1.0f);
    memcpy(x2 + 4 * D, x1 + 4 * D, D * 4); /* identical rows: d = 0 when eps = 0 */
    for (int i = 0; i < D; i++) x1[7 * D + i] = 0.0f; /* a zero row: cosine's clamp */
    float *dist = (float *)malloc(B * 4), *dx10 = uniform(n, -1.0f, 1.0f), *dx20 = uniform(n, -1.0f, 1.0f);
    float *dx1 = host_copy(dx10, n), *dx2 = host_copy(dx20, n);
    if (cosine) {
        cosine_distance_forward(dist, x1, x2, eps, B, D);
        cosine_distance_backward(dx1, with_dx2 ? dx2 : NULL, dd, x1, x2, eps, B, D);
    } else {
        pairwise_distance_forward(dist, x1, x2, eps, B, D);
        pairwise_distance_backward(dx1, with_dx2 ? dx2 : NULL, dd, x1, x2, dist, eps, B, D);
    }
    float *d_x1 = dev_from(g, x1, n * 4), *d_x2 = dev_from(g, x2, n * 4), *d_dd = dev_from(g, dd, B * 4);
    float *d_dist = dev_alloc(B * 4), *d_dx1 = dev_from(g, dx10, n * 4), *d_dx2 = dev_from(g, dx20, n * 4), *h;
    if (cosine) {
        GPU_OK(gpu_cosine_distance_forward(g, d_dist, d_x1, d_x2, eps, B, D));
        GPU_OK(gpu_cosine_distance_backward(g, d_dx1, with_dx2 ? d_dx2 : NULL, d_dd, d_x1, d_x2, eps, B, D));
    } else {
        GPU_OK(gpu_pairwise_distance_forward(g, d_dist, d_x1, d_x2, eps, B, D));
        GPU_OK(gpu_pairwise_distance_backward(g, d_dx1, with_dx2 ? d_dx2 : NULL, d_dd, d_x1, d_x2,
                                              d_dist, eps, B, D));
    }
    expect_close("dist", h = host_floats(g, d_dist, B), dist, B, ELEM), free(h);
    expect_close("dx1", h = host_floats(g, d_dx1, n), dx1, n, ELEM), free(h);
    /* with dx2 NULL the buffer must come back untouched */
    expect_close("dx2", h = host_floats(g, d_dx2, n), with_dx2 ? dx2 : dx20, n, ELEM), free(h);
    free(x1), free(x2), free(dd), free(dist), free(dx10), free(dx20), free(dx1), free(dx2);
    dev_release_all();
}

/* ---- losses ----------------------------------------------------------------------------- */
static void test_contrastive_triplet(hw_gpu *g) {
    printf("contrastive and triplet losses\n");
    const int B = 50;
    float *d = uniform(B, 0.0f, 3.0f), *d2 = uniform(B, 0.0f, 3.0f), *y = (float *)malloc(B * 4);
    for (int b = 0; b < B; b++) y[b] = (float)(nn_rng_u32(&g_rng) & 1);
    d[3] = 0.5f, d2[3] = 1.5f; /* triplet hinge exactly 0 at margin 1: the gradient passes */
    float *g0 = uniform(B, -1.0f, 1.0f), *g1 = uniform(B, -1.0f, 1.0f);
    float *gc = host_copy(g0, B), *ga = host_copy(g0, B), *gn = host_copy(g1, B), lc, lt, hl;
    contrastive_loss_forward(&lc, d, y, NN_CONTRASTIVE_MARGIN, B);
    contrastive_loss_backward(gc, 2.0f, d, y, NN_CONTRASTIVE_MARGIN, B);
    triplet_loss_forward(&lt, d, d2, NN_TRIPLET_MARGIN, B);
    triplet_loss_backward(ga, gn, 0.5f, d, d2, NN_TRIPLET_MARGIN, B);
    float *d_d = dev_from(g, d, B * 4), *d_d2 = dev_from(g, d2, B * 4), *d_y = dev_from(g, y, B * 4);
    float *d_gc = dev_from(g, g0, B * 4), *d_ga = dev_from(g, g0, B * 4), *d_gn = dev_from(g, g1, B * 4);
    float *d_loss = dev_alloc(8), *h;
    GPU_OK(gpu_contrastive_loss_forward(g, d_loss, d_d, d_y, NN_CONTRASTIVE_MARGIN, B));
    GPU_OK(hw_gpu_download(g, &hl, d_loss, 4));
    expect_close("contrastive loss", &hl, &lc, 1, ELEM);
    GPU_OK(gpu_contrastive_loss_backward(g, d_gc, 2.0f, d_d, d_y, NN_CONTRASTIVE_MARGIN, B));
    expect_close("contrastive ddist", h = host_floats(g, d_gc, B), gc, B, ELEM), free(h);
    GPU_OK(gpu_triplet_loss_forward(g, d_loss, d_d, d_d2, NN_TRIPLET_MARGIN, B));
    GPU_OK(hw_gpu_download(g, &hl, d_loss, 4));
    expect_close("triplet loss", &hl, &lt, 1, ELEM);
    GPU_OK(gpu_triplet_loss_backward(g, d_ga, d_gn, 0.5f, d_d, d_d2, NN_TRIPLET_MARGIN, B));
    expect_close("triplet dd_ap", h = host_floats(g, d_ga, B), ga, B, ELEM), free(h);
    expect_close("triplet dd_an", h = host_floats(g, d_gn, B), gn, B, ELEM), free(h);
    free(d), free(d2), free(y), free(g0), free(g1), free(gc), free(ga), free(gn);
    dev_release_all();
}

static void sincere_case(hw_gpu *g, const char *name, int N, int V, const int32_t *labels) {
    printf("sincere %s (N %d, V %d)\n", name, N, V);
    const int D = 83;
    const size_t n = (size_t)N * D;
    float *raw = uniform(n, -1.0f, 1.0f), *z = (float *)malloc(n * 4);
    l2norm_forward(z, raw, NN_L2NORM_EPS, N, D);
    float *logits = (float *)malloc((size_t)N * N * 4), *dz0 = uniform(n, -0.1f, 0.1f);
    float *dz = host_copy(dz0, n), loss, hl;
    sincere_loss_forward(&loss, logits, z, labels, NN_SINCERE_TEMPERATURE, N, V, D);
    sincere_loss_backward(dz, 0.5f, logits, z, labels, NN_SINCERE_TEMPERATURE, N, V, D);
    float *d_z = dev_from(g, z, n * 4), *d_logits = dev_alloc((size_t)N * N * 4);
    float *d_scr = dev_alloc((size_t)N * N * 4), *d_dz = dev_from(g, dz0, n * 4), *d_loss = dev_alloc(8), *h;
    int32_t *d_lab = (int32_t *)dev_from(g, labels, (size_t)(N / V) * 4);
    GPU_OK(gpu_sincere_loss_forward(g, d_loss, d_logits, d_z, d_lab, NN_SINCERE_TEMPERATURE, N, V, D));
    GPU_OK(gpu_sincere_loss_backward(g, d_dz, d_scr, 0.5f, d_logits, d_z, d_lab,
                                     NN_SINCERE_TEMPERATURE, N, V, D));
    GPU_OK(hw_gpu_download(g, &hl, d_loss, 4));
    expect_close("loss", &hl, &loss, 1, GEMM);
    expect_close("logits", h = host_floats(g, d_logits, (size_t)N * N), logits, (size_t)N * N, GEMM), free(h);
    expect_close("dz", h = host_floats(g, d_dz, n), dz, n, GEMM), free(h);
    free(raw), free(z), free(logits), free(dz0), free(dz);
    dev_release_all();
}

static void test_sincere(hw_gpu *g) {
    const int32_t multiview[4] = {0, 1, 0, 2};     /* 4 items x 3 views, a class seen once */
    const int32_t plain[6] = {0, 0, 1, 1, 1, 2};   /* row 5 has no positive: the guard */
    const int32_t one_class[2] = {1, 1};           /* no negatives at all */
    int32_t many[64];
    for (int i = 0; i < 64; i++) many[i] = i % 5;  /* wider than a block's 128 threads */
    sincere_case(g, "multiview", 12, 3, multiview);
    sincere_case(g, "plain, anchor without positive", 6, 1, plain);
    sincere_case(g, "one class", 4, 2, one_class);
    sincere_case(g, "N 256", 256, 4, many);
}

/* ---- optimisers ------------------------------------------------------------------------- */
static void optim_case(hw_gpu *g, hw_optim_kind kind, float lr) {
    printf("%s lr %g, 10 steps\n", kind == HW_OPTIM_ADAM ? "adam" : "adagrad", (double)lr);
    const size_t n = 10007;
    float *p = uniform(n, -0.5f, 0.5f), *grad = (float *)malloc(n * 4);
    float *d_p = dev_from(g, p, n * 4), *d_g = dev_alloc(n * 4), *h;
    hw_optim o;
    hw_gpu_optim go;
    hw_optim_init(&o, kind, lr, n);
    GPU_OK(hw_gpu_optim_init(g, &go, kind, lr, n));
    for (int step = 0; step < 10; step++) {
        nn_fill_uniform(grad, n, -1.0f, 1.0f, &g_rng);
        grad[0] = 0.0f, grad[1] = 1e-30f, grad[2] = -3e4f; /* zero, tiny and large gradients */
        GPU_OK(hw_gpu_upload(g, d_g, grad, n * 4));
        hw_optim_step(&o, p, grad);
        GPU_OK(hw_gpu_optim_step(g, &go, d_p, d_g));
    }
    CHECK_INT_EQ(go.step, o.step);
    expect_same_bits("params", h = host_floats(g, d_p, n), p, n * 4, 4), free(h);
    expect_same_bits("v", h = host_floats(g, go.v, n), o.v, n * 4, 4), free(h);
    if (kind == HW_OPTIM_ADAM) expect_same_bits("m", h = host_floats(g, go.m, n), o.m, n * 4, 4), free(h);
    hw_optim_free(&o);
    hw_gpu_optim_free(&go);
    free(p), free(grad);
    dev_release_all();
}

/* ---- errors become messages ------------------------------------------------------------- */
static void test_errors(hw_gpu *g) {
    printf("errors\n");
    hw_gpu *bad = hw_gpu_create(4096);
    CHECK(bad == NULL);
    printf("  bad device: %s\n", hw_error());
    CHECK(strstr(hw_error(), "cudaSetDevice") != NULL);
    void *p = NULL;
    CHECK(hw_gpu_alloc(&p, (size_t)1 << 52) == -1); /* 4 PiB */
    printf("  huge alloc: %s\n", hw_error());
    CHECK(strstr(hw_error(), "out of device memory") != NULL);
    NnConv2dDims d = {1, 3, 8, 8, 4, 3, 3, 1, 0, 2}; /* C = 3 is not divisible by groups = 2 */
    CHECK(gpu_conv2d_forward(g, NULL, NULL, NULL, NULL, &d) == -1);
    printf("  bad conv: %s\n", hw_error());
    CHECK(strstr(hw_error(), "invalid shape") != NULL);
    /* the context still works after the failures */
    float x = 2.0f, y = 0.0f, *d_x = dev_from(g, &x, 4), *d_y = dev_alloc(4);
    GPU_OK(gpu_diagmask_forward(g, d_y, d_x, 0, 1, 1, 1));
    GPU_OK(hw_gpu_download(g, &y, d_y, 4));
    CHECK(y == 2.0f);
    dev_release_all();
}

int main(void) {
    GPU_SKIP_IF_NO_DEVICE();
    hw_gpu *g = gpu_test_open();
    if (!g) return 1;
    nn_rng_init(&g_rng, 20240611);
    test_tf32_off(g);
    test_conv2d(g);
    test_maxpool(g);
    test_linear(g);
    test_bf16_ops(g);
    test_gelu(g);
    test_dropout(g);
    ce_case(g, 37, 2);
    ce_case(g, 300, 5);
    test_l2norm(g);
    test_maxnorm(g);
    test_diagmask(g);
    distance_case(g, 0, NN_PAIRWISE_EPS, 1);
    distance_case(g, 0, 0.0f, 0);
    distance_case(g, 1, NN_COSINE_EPS, 1);
    distance_case(g, 1, NN_COSINE_EPS, 0);
    test_contrastive_triplet(g);
    test_sincere(g);
    optim_case(g, HW_OPTIM_ADAM, 1e-3f);
    optim_case(g, HW_OPTIM_ADAM, 1e-4f);
    optim_case(g, HW_OPTIM_ADAGRAD, 1e-2f);
    test_errors(g);
    GPU_OK(hw_gpu_sync(g));
    hw_gpu_destroy(g);
    return TEST_RESULT();
}
