/* Average pools: AvgPool2d with count_include_pad (MBConv's strided projection path) and the
 * global average pool (squeeze-excitation, the embedding, the multiscale concat). */
#include "hitwin/nn_maxvit.h"

void avgpool2d_forward(float *out, const float *inp, int B, int C, int H, int W, int kernel,
                       int stride, int pad) {
    const int OH = (H + 2 * pad - kernel) / stride + 1, OW = (W + 2 * pad - kernel) / stride + 1;
    const float inv = 1.0f / (float)(kernel * kernel); /* padding counts as zeros */
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        const float *x = inp + bc * H * W;
        float *o = out + bc * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float s = 0.0f;
                for (int kh = 0; kh < kernel; kh++) {
                    const int h = oh * stride - pad + kh;
                    if (h < 0 || h >= H) continue;
                    for (int kw = 0; kw < kernel; kw++) {
                        const int w = ow * stride - pad + kw;
                        if (w >= 0 && w < W) s += x[h * W + w];
                    }
                }
                o[oh * OW + ow] = s * inv;
            }
    }
}

void avgpool2d_backward(float *dinp, const float *dout, int B, int C, int H, int W, int kernel,
                        int stride, int pad) {
    const int OH = (H + 2 * pad - kernel) / stride + 1, OW = (W + 2 * pad - kernel) / stride + 1;
    const float inv = 1.0f / (float)(kernel * kernel);
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        float *dx = dinp + bc * H * W;
        const float *g = dout + bc * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                const float v = g[oh * OW + ow] * inv;
                for (int kh = 0; kh < kernel; kh++) {
                    const int h = oh * stride - pad + kh;
                    if (h < 0 || h >= H) continue;
                    for (int kw = 0; kw < kernel; kw++) {
                        const int w = ow * stride - pad + kw;
                        if (w >= 0 && w < W) dx[h * W + w] += v;
                    }
                }
            }
    }
}

void global_avgpool_forward(float *out, int ld, const float *inp, int B, int C, int HW) {
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            const float *x = inp + ((size_t)b * C + c) * HW;
            double s = 0.0;
            for (int i = 0; i < HW; i++) s += x[i];
            out[(size_t)b * ld + c] = (float)(s / HW);
        }
}

void global_avgpool_backward(float *dinp, const float *dout, int ld, int B, int C, int HW) {
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            const float g = dout[(size_t)b * ld + c] / (float)HW;
            float *dx = dinp + ((size_t)b * C + c) * HW;
            for (int i = 0; i < HW; i++) dx[i] += g;
        }
}
