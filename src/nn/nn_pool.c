/* Max pooling with stored argmax, as torch.nn.MaxPool2d (floor mode, implicit -inf
 * padding, first maximum wins, NaN propagates). */
#include "hitwin/nn.h"

#include <math.h>

int nn_pool_out_size(int in, int kernel, int stride, int pad) {
    return (in + 2 * pad - kernel) / stride + 1;
}

void maxpool2d_forward(float *out, int32_t *argmax, const float *inp, int B, int C, int H, int W,
                       int kernel, int stride, int pad) {
    const int OH = nn_pool_out_size(H, kernel, stride, pad);
    const int OW = nn_pool_out_size(W, kernel, stride, pad);
    for (size_t plane = 0; plane < (size_t)B * C; plane++) {
        const float *x = inp + plane * H * W;
        float *o = out + plane * OH * OW;
        int32_t *a = argmax + plane * OH * OW;
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
                        if (v > m || isnan(v)) {
                            m = v;
                            mi = h * W + w;
                            if (isnan(v)) goto done;
                        }
                    }
                }
            done:
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
