/* Max pooling with stored argmax, as torch.nn.MaxPool2d (floor mode, implicit -inf
 * padding, first maximum wins, a NaN is taken as the maximum). */
#include "hitwin/nn.h"

#include <math.h>

int nn_pool_out_size(int in, int kernel, int stride, int pad) {
    return (in + 2 * pad - kernel) / stride + 1;
}

/* 2x2 stride 2 without padding (SLeNet): branch-free selects, same tie/NaN rule */
static void maxpool_2x2(float *out, int32_t *argmax, const float *x, int H, int W, int OH, int OW) {
    for (int oh = 0; oh < OH; oh++) {
        const float *r0 = x + (size_t)(2 * oh) * W, *r1 = r0 + W;
        for (int ow = 0; ow < OW; ow++) {
            int i0 = 2 * oh * W + 2 * ow;
            float m = r0[2 * ow];
            int32_t mi = i0;
            float v = r0[2 * ow + 1];
            int take = (v > m) | (v != v);
            m = take ? v : m, mi = take ? i0 + 1 : mi;
            v = r1[2 * ow];
            take = (v > m) | (v != v);
            m = take ? v : m, mi = take ? i0 + W : mi;
            v = r1[2 * ow + 1];
            take = (v > m) | (v != v);
            m = take ? v : m, mi = take ? i0 + W + 1 : mi;
            out[oh * OW + ow] = m;
            argmax[oh * OW + ow] = mi;
        }
    }
    (void)H;
}

void maxpool2d_forward(float *out, int32_t *argmax, const float *inp, int B, int C, int H, int W,
                       int kernel, int stride, int pad) {
    const int OH = nn_pool_out_size(H, kernel, stride, pad);
    const int OW = nn_pool_out_size(W, kernel, stride, pad);
    for (size_t plane = 0; plane < (size_t)B * C; plane++) {
        const float *x = inp + plane * H * W;
        float *o = out + plane * OH * OW;
        int32_t *a = argmax + plane * OH * OW;
        if (kernel == 2 && stride == 2 && pad == 0) {
            maxpool_2x2(o, a, x, H, W, OH, OW);
            continue;
        }
        for (int oh = 0; oh < OH; oh++) {
            int h0 = oh * stride - pad, h1 = h0 + kernel;
            if (h0 < 0) h0 = 0;
            if (h1 > H) h1 = H;
            for (int ow = 0; ow < OW; ow++) {
                int w0 = ow * stride - pad, w1 = w0 + kernel;
                if (w0 < 0) w0 = 0;
                if (w1 > W) w1 = W;
                float m = -INFINITY;
                int32_t mi = h0 * W + w0;
                for (int h = h0; h < h1; h++) {
                    for (int w = w0; w < w1; w++) {
                        float v = x[h * W + w];
                        if (v > m || isnan(v)) { /* torch's rule: a later NaN wins too */
                            m = v;
                            mi = h * W + w;
                        }
                    }
                }
                o[oh * OW + ow] = m;
                a[oh * OW + ow] = mi;
            }
        }
    }
}

void maxpool2d_backward(float *dinp, const float *dout, const int32_t *argmax, int B, int C, int H,
                        int W, int OH, int OW) {
    for (size_t plane = 0; plane < (size_t)B * C; plane++) {
        float *dx = dinp + plane * H * W;
        const float *g = dout + plane * OH * OW;
        const int32_t *a = argmax + plane * OH * OW;
        for (int i = 0; i < OH * OW; i++) dx[a[i]] += g[i];
    }
}
