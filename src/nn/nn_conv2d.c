/* 2-D convolution (NCHW, groups, stride, zero padding) as im2col + sgemm per image.
 * One image's column matrix [C*KH*KW, OH*OW] lives in the caller's scratch and is reused
 * across the batch; group g uses the contiguous row block g*(C/groups)*KH*KW. */
#include "hitwin/nn.h"

#include <cblas.h>
#include <string.h>

int nn_conv2d_out_h(const NnConv2dDims *d) { return (d->H + 2 * d->pad - d->KH) / d->stride + 1; }
int nn_conv2d_out_w(const NnConv2dDims *d) { return (d->W + 2 * d->pad - d->KW) / d->stride + 1; }

/* 1x1, stride 1, no padding: the image itself is the column matrix. */
static int is_pointwise(const NnConv2dDims *d) {
    return d->KH == 1 && d->KW == 1 && d->stride == 1 && d->pad == 0;
}

size_t nn_conv2d_scratch_floats(const NnConv2dDims *d) {
    size_t col = (size_t)d->C * d->KH * d->KW * nn_conv2d_out_h(d) * nn_conv2d_out_w(d);
    return 2 * col; /* col for forward/dweight + dcol for dinp */
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

static void im2col(float *col,       /* [C*KH*KW, OH*OW] */
                   const float *img, /* [C, H, W] */
                   const NnConv2dDims *d, int OH, int OW) {
    const int s = d->stride, p = d->pad;
    for (int c = 0; c < d->C; c++) {
        for (int kh = 0; kh < d->KH; kh++) {
            for (int kw = 0; kw < d->KW; kw++) {
                float *row = col + ((size_t)(c * d->KH + kh) * d->KW + kw) * OH * OW;
                int lo, hi;
                valid_range(d->W, OW, s, p, kw, &lo, &hi);
                for (int oh = 0; oh < OH; oh++) {
                    float *dst = row + (size_t)oh * OW;
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

/* Adjoint of im2col: scatter-add the column gradient back into the image gradient. */
static void col2im_add(float *dimg,       /* [C, H, W] */
                       const float *dcol, /* [C*KH*KW, OH*OW] */
                       const NnConv2dDims *d, int OH, int OW) {
    const int s = d->stride, p = d->pad;
    for (int c = 0; c < d->C; c++) {
        for (int kh = 0; kh < d->KH; kh++) {
            for (int kw = 0; kw < d->KW; kw++) {
                const float *row = dcol + ((size_t)(c * d->KH + kh) * d->KW + kw) * OH * OW;
                int lo, hi;
                valid_range(d->W, OW, s, p, kw, &lo, &hi);
                for (int oh = 0; oh < OH; oh++) {
                    int ih = oh * s - p + kh;
                    if (ih < 0 || ih >= d->H) continue;
                    const float *src = row + (size_t)oh * OW;
                    float *dst = dimg + ((size_t)c * d->H + ih) * d->W;
                    for (int ow = lo; ow < hi; ow++) dst[ow * s - p + kw] += src[ow];
                }
            }
        }
    }
}

void conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                    float *scratch, const NnConv2dDims *d) {
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d), OHW = OH * OW;
    const int G = d->groups, OCg = d->OC / G, K = (d->C / G) * d->KH * d->KW;
    const size_t in_sz = (size_t)d->C * d->H * d->W, out_sz = (size_t)d->OC * OHW;
    for (int b = 0; b < d->B; b++) {
        const float *img = inp + b * in_sz;
        float *o = out + b * out_sz;
        const float *col = img;
        if (!is_pointwise(d)) {
            im2col(scratch, img, d, OH, OW);
            col = scratch;
        }
        if (bias) {
            for (int oc = 0; oc < d->OC; oc++)
                for (int i = 0; i < OHW; i++) o[(size_t)oc * OHW + i] = bias[oc];
        }
        for (int g = 0; g < G; g++) {
            /* out_g [OCg, OHW] (+)= W_g [OCg, K] @ col_g [K, OHW] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, OCg, OHW, K, 1.0f,
                        weight + (size_t)g * OCg * K, K, col + (size_t)g * K * OHW, OHW,
                        bias ? 1.0f : 0.0f, o + (size_t)g * OCg * OHW, OHW);
        }
    }
}

void conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, float *scratch, const NnConv2dDims *d) {
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d), OHW = OH * OW;
    const int G = d->groups, OCg = d->OC / G, K = (d->C / G) * d->KH * d->KW;
    const size_t in_sz = (size_t)d->C * d->H * d->W, out_sz = (size_t)d->OC * OHW;
    const int pointwise = is_pointwise(d);
    float *col = scratch;
    float *dcol = scratch + nn_conv2d_scratch_floats(d) / 2;
    for (int b = 0; b < d->B; b++) {
        const float *dout_b = dout + b * out_sz;
        if (dbias) {
            for (int oc = 0; oc < d->OC; oc++) {
                const float *r = dout_b + (size_t)oc * OHW;
                float sum = 0.0f;
                for (int i = 0; i < OHW; i++) sum += r[i];
                dbias[oc] += sum;
            }
        }
        if (dweight) {
            const float *c = inp + b * in_sz;
            if (!pointwise) {
                im2col(col, inp + b * in_sz, d, OH, OW);
                c = col;
            }
            for (int g = 0; g < G; g++) {
                /* dW_g [OCg, K] += dout_g [OCg, OHW] @ col_g^T [OHW, K] */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, OCg, K, OHW, 1.0f,
                            dout_b + (size_t)g * OCg * OHW, OHW, c + (size_t)g * K * OHW, OHW,
                            1.0f, dweight + (size_t)g * OCg * K, K);
            }
        }
        if (dinp) {
            float *dimg = dinp + b * in_sz;
            for (int g = 0; g < G; g++) {
                /* dcol_g [K, OHW] = W_g^T [K, OCg] @ dout_g [OCg, OHW]; pointwise adds into
                 * dinp directly */
                float *dst = pointwise ? dimg + (size_t)g * K * OHW : dcol + (size_t)g * K * OHW;
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, OHW, OCg, 1.0f,
                            weight + (size_t)g * OCg * K, K, dout_b + (size_t)g * OCg * OHW, OHW,
                            pointwise ? 1.0f : 0.0f, dst, OHW);
            }
            if (!pointwise) col2im_add(dimg, dcol, d, OH, OW);
        }
    }
}
