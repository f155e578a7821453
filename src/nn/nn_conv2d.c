/* 2-D convolution (NCHW, groups, stride, zero padding), per image either by the direct
 * kernels of nn_conv2d_direct.c (few channels, stride 1, no padding; a sparse dout in
 * backward) or as im2col + sgemm, the general path and the reference the direct one is
 * tested against (docs/nn.md, "Which conv path").
 * im2col: per image, the output rows are processed in blocks of R rows: the block's column
 * matrix [C*KH*KW, R*OW] is built in the caller's scratch (sized to stay in L2, so the
 * GEMM reads it hot; whole-image columns made the conv memory-bound) and reused across
 * blocks and images. Group g uses the contiguous row block g*(C/groups)*KH*KW of it. */
#include "hitwin/nn.h"

#include "nn_conv2d_direct.h"
#include "nn_conv2d_stats.h"

#include <cblas.h>
#include <string.h>

/* target floats of one column block (256 KiB) */
#ifndef NN_CONV_BLOCK_FLOATS
#define NN_CONV_BLOCK_FLOATS 65536
#endif

int nn_conv2d_out_h(const NnConv2dDims *d) { return (d->H + 2 * d->pad - d->KH) / d->stride + 1; }
int nn_conv2d_out_w(const NnConv2dDims *d) { return (d->W + 2 * d->pad - d->KW) / d->stride + 1; }

/* 1x1, stride 1, no padding: the image itself is the column matrix. */
static int is_pointwise(const NnConv2dDims *d) {
    return d->KH == 1 && d->KW == 1 && d->stride == 1 && d->pad == 0;
}

/* output rows per block */
static int block_rows(const NnConv2dDims *d) {
    size_t per_row = (size_t)d->C * d->KH * d->KW * nn_conv2d_out_w(d);
    int r = (int)(NN_CONV_BLOCK_FLOATS / (per_row ? per_row : 1));
    int OH = nn_conv2d_out_h(d);
    return r < 1 ? 1 : r > OH ? OH : r;
}

static size_t im2col_scratch_floats(const NnConv2dDims *d) {
    size_t col = (size_t)d->C * d->KH * d->KW * block_rows(d) * nn_conv2d_out_w(d);
    return 2 * col; /* col for forward/dweight + dcol for dinp */
}

size_t nn_conv2d_scratch_floats(const NnConv2dDims *d) {
    size_t s = im2col_scratch_floats(d);
    if (nn_direct_dweight_fits(d) || nn_direct_dinp_fits(d)) { /* whatever the path setting is later */
        size_t t = nn_direct_scratch_floats(d);
        s = t > s ? t : s;
    }
    return s;
}

/* ---- path choice and counters (process-wide: one thread per rank) ---------------------- */

static NnConvPath g_path = NN_CONV_AUTO;
static NnConvStats g_stats;

void nn_conv2d_set_path(NnConvPath path) { g_path = path; }
NnConvPath nn_conv2d_current_path(void) { return g_path; }
NnConvStats *nn_conv2d_stats_add(void) { return &g_stats; }

int nn_conv2d_direct_available(void) { return nn_direct_cpu_ok(); }

void nn_conv2d_stats(NnConvStats *stats, int reset) {
    if (stats) *stats = g_stats;
    if (reset) memset(&g_stats, 0, sizeof g_stats);
}

/* Output columns ow in [*lo, *hi) read input column iw = ow*s - pad + kw inside [0, W). */
static void valid_range(int W, int OW, int s, int pad, int kw, int *lo, int *hi) {
    int first = pad - kw; /* need ow*s >= first */
    *lo = first <= 0 ? 0 : (first + s - 1) / s;
    int last = W - 1 + pad - kw; /* need ow*s <= last */
    *hi = last < 0 ? 0 : last / s + 1;
    if (*hi > OW) *hi = OW;
    if (*lo > *hi) *lo = *hi;
}

/* columns of output rows [oh0, oh1): col[(c*KH + kh)*KW + kw][(oh - oh0)*OW + ow] */
static void im2col(float *col,       /* [C*KH*KW, (oh1-oh0)*OW] */
                   const float *img, /* [C, H, W] */
                   const NnConv2dDims *d, int OW, int oh0, int oh1) {
    const int s = d->stride, p = d->pad, N = (oh1 - oh0) * OW;
    for (int c = 0; c < d->C; c++) {
        for (int kh = 0; kh < d->KH; kh++) {
            for (int kw = 0; kw < d->KW; kw++) {
                float *row = col + ((size_t)(c * d->KH + kh) * d->KW + kw) * N;
                int lo, hi;
                valid_range(d->W, OW, s, p, kw, &lo, &hi);
                for (int oh = oh0; oh < oh1; oh++) {
                    float *dst = row + (size_t)(oh - oh0) * OW;
                    int ih = oh * s - p + kh;
                    if (ih < 0 || ih >= d->H) {
                        memset(dst, 0, sizeof(float) * OW);
                        continue;
                    }
                    /* ow >= lo keeps the index ow*s - p + kw non-negative */
                    const float *src = img + ((size_t)c * d->H + ih) * d->W;
                    for (int ow = 0; ow < lo; ow++) dst[ow] = 0.0f;
                    if (s == 1) {
                        if (hi > lo) memcpy(dst + lo, src + (lo - p + kw), sizeof(float) * (hi - lo));
                    } else {
                        for (int ow = lo; ow < hi; ow++) dst[ow] = src[ow * s - p + kw];
                    }
                    for (int ow = hi; ow < OW; ow++) dst[ow] = 0.0f;
                }
            }
        }
    }
}

/* Adjoint of im2col: scatter-add the block's column gradient into the image gradient. */
static void col2im_add(float *dimg,       /* [C, H, W] */
                       const float *dcol, /* [C*KH*KW, (oh1-oh0)*OW] */
                       const NnConv2dDims *d, int OW, int oh0, int oh1) {
    const int s = d->stride, p = d->pad, N = (oh1 - oh0) * OW;
    for (int c = 0; c < d->C; c++) {
        for (int kh = 0; kh < d->KH; kh++) {
            for (int kw = 0; kw < d->KW; kw++) {
                const float *row = dcol + ((size_t)(c * d->KH + kh) * d->KW + kw) * N;
                int lo, hi;
                valid_range(d->W, OW, s, p, kw, &lo, &hi);
                for (int oh = oh0; oh < oh1; oh++) {
                    int ih = oh * s - p + kh;
                    if (ih < 0 || ih >= d->H) continue;
                    const float *src = row + (size_t)(oh - oh0) * OW;
                    float *dst = dimg + ((size_t)c * d->H + ih) * d->W;
                    if (s == 1) { /* contiguous: lets the compiler vectorise */
                        float *dd = dst + (lo - p + kw);
                        const float *ss = src + lo;
                        for (int k = 0; k < hi - lo; k++) dd[k] += ss[k];
                    } else {
                        for (int ow = lo; ow < hi; ow++) dst[ow * s - p + kw] += src[ow];
                    }
                }
            }
        }
    }
}

/* sum with 8 independent partial sums (vectorisable without -ffast-math, and more
 * accurate than one running sum) */
static float sum_floats(const float *x, int n) {
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += x[i + k];
    float s = 0.0f;
    for (; i < n; i++) s += x[i];
    for (int k = 0; k < 8; k++) s += acc[k];
    return s;
}

/* one image by im2col + sgemm */
static void forward_image_im2col(float *o, const float *img, const float *weight, const float *bias,
                                 float *scratch, const NnConv2dDims *d) {
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d), OHW = OH * OW;
    const int G = d->groups, OCg = d->OC / G, K = (d->C / G) * d->KH * d->KW;
    const int pointwise = is_pointwise(d), R = pointwise ? OH : block_rows(d);
    if (bias) {
        for (int oc = 0; oc < d->OC; oc++)
            for (int i = 0; i < OHW; i++) o[(size_t)oc * OHW + i] = bias[oc];
    }
    for (int oh0 = 0; oh0 < OH; oh0 += R) {
        const int oh1 = oh0 + R < OH ? oh0 + R : OH, N = (oh1 - oh0) * OW;
        const float *col = img; /* pointwise: one block, the image itself */
        if (!pointwise) {
            im2col(scratch, img, d, OW, oh0, oh1);
            col = scratch;
        }
        for (int g = 0; g < G; g++) {
            /* out_g[:, block] (+)= W_g [OCg, K] @ col_g [K, N] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, OCg, N, K, 1.0f,
                        weight + (size_t)g * OCg * K, K, col + (size_t)g * K * N, N,
                        bias ? 1.0f : 0.0f, o + (size_t)g * OCg * OHW + (size_t)oh0 * OW, OHW);
        }
    }
}

void conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                    float *scratch, const NnConv2dDims *d) {
    const size_t in_sz = (size_t)d->C * d->H * d->W;
    const size_t out_sz = (size_t)d->OC * nn_conv2d_out_h(d) * nn_conv2d_out_w(d);
    const int direct = g_path == NN_CONV_AUTO && nn_direct_forward_fits(d);
    for (int b = 0; b < d->B; b++) {
        if (direct)
            nn_direct_forward_image(out + b * out_sz, inp + b * in_sz, weight, bias, d);
        else
            forward_image_im2col(out + b * out_sz, inp + b * in_sz, weight, bias, scratch, d);
    }
    if (direct)
        g_stats.forward_direct += (uint64_t)d->B;
    else
        g_stats.forward_im2col += (uint64_t)d->B;
}

/* one image by im2col + sgemm (dimg may be NULL) */
static void backward_image_im2col(float *dimg, float *dweight, float *dbias, const float *dout_b,
                                  const float *img, const float *weight, float *scratch,
                                  const NnConv2dDims *d) {
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d), OHW = OH * OW;
    const int G = d->groups, OCg = d->OC / G, K = (d->C / G) * d->KH * d->KW;
    const int pointwise = is_pointwise(d), R = pointwise ? OH : block_rows(d);
    float *col = scratch;
    float *dcol = scratch + im2col_scratch_floats(d) / 2;
    if (dbias) {
        for (int oc = 0; oc < d->OC; oc++) dbias[oc] += sum_floats(dout_b + (size_t)oc * OHW, OHW);
    }
    for (int oh0 = 0; oh0 < OH && (dweight || dimg); oh0 += R) {
        const int oh1 = oh0 + R < OH ? oh0 + R : OH, N = (oh1 - oh0) * OW;
        const float *dout_blk = dout_b + (size_t)oh0 * OW; /* row stride OHW */
        if (dweight) {
            const float *c = img;
            if (!pointwise) {
                im2col(col, img, d, OW, oh0, oh1);
                c = col;
            }
            for (int g = 0; g < G; g++) {
                /* dW_g [OCg, K] += dout_g[:, block] [OCg, N] @ col_g^T [N, K] */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, OCg, K, N, 1.0f,
                            dout_blk + (size_t)g * OCg * OHW, OHW, c + (size_t)g * K * N, N,
                            1.0f, dweight + (size_t)g * OCg * K, K);
            }
        }
        if (dimg) {
            for (int g = 0; g < G; g++) {
                /* dcol_g [K, N] = W_g^T [K, OCg] @ dout_g[:, block] [OCg, N]; pointwise
                 * adds into dinp directly */
                float *dst = pointwise ? dimg + (size_t)g * K * OHW : dcol + (size_t)g * K * N;
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, N, OCg, 1.0f,
                            weight + (size_t)g * OCg * K, K, dout_blk + (size_t)g * OCg * OHW,
                            OHW, pointwise ? 1.0f : 0.0f, dst, N);
            }
            if (!pointwise) col2im_add(dimg, dcol, d, OW, oh0, oh1);
        }
    }
}

void conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, float *scratch, const NnConv2dDims *d) {
    const size_t in_sz = (size_t)d->C * d->H * d->W;
    const size_t out_sz = (size_t)d->OC * nn_conv2d_out_h(d) * nn_conv2d_out_w(d);
    const int sparse_ok = g_path == NN_CONV_AUTO && (dweight || dbias) && nn_direct_dweight_fits(d);
    const int dinp_direct = g_path == NN_CONV_AUTO && dinp && nn_direct_dinp_fits(d);
    for (int b = 0; b < d->B; b++) {
        const float *dout_b = dout + b * out_sz, *img = inp + b * in_sz;
        float *dimg = dinp ? dinp + b * in_sz : NULL;
        /* the sparse weight gradient declines a dense dout (and changes nothing then) */
        const int w_done = sparse_ok && nn_direct_dweight_image(dweight, dbias, dout_b, img, scratch, d);
        if (!w_done || (dimg && !dinp_direct)) {
            backward_image_im2col(dinp_direct ? NULL : dimg, w_done ? NULL : dweight,
                                  w_done ? NULL : dbias, dout_b, img, weight, scratch, d);
        }
        if (dimg && dinp_direct) nn_direct_dinp_image(dimg, dout_b, weight, scratch, d);
        if (dweight || dbias) {
            if (w_done)
                g_stats.dweight_sparse++;
            else
                g_stats.dweight_im2col++;
        }
        if (dimg) {
            if (dinp_direct)
                g_stats.dinp_direct++;
            else
                g_stats.dinp_im2col++;
        }
    }
}
