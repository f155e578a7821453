/* Window and grid partition (MaxViT's block and grid attention): a permutation of [B, C, H, W]
 * into tokens [B, G, w w, C], and its inverse. Each direction's backward is the other
 * direction applied to the gradient, so one index map serves all four. */
#include "hitwin/nn_maxvit.h"

/* Pixel (y, x) of token t in group gi, for an H x W map and w x w token windows. */
static inline void pixel_of(NnPartition kind, int W, int H, int w, int gi, int t, int *y, int *x) {
    const int a = t / w, b = t % w; /* token row and column inside the window */
    if (kind == NN_PARTITION_WINDOW) {
        const int gw = W / w; /* windows per row */
        *y = (gi / gw) * w + a;
        *x = (gi % gw) * w + b;
    } else {
        const int gh = H / w, gw = W / w; /* dilation: the grid's step */
        *y = a * gh + gi / gw;
        *x = b * gw + gi % gw;
    }
}

/* dir 0: tokens (op)= img; dir 1: img (op)= tokens; accumulate: += instead of = */
static void move(float *dst, const float *src, int dir, int accumulate, NnPartition kind, int B, int C,
                 int H, int W, int w) {
    const int G = (H / w) * (W / w), P = w * w;
    for (int b = 0; b < B; b++)
        for (int gi = 0; gi < G; gi++)
            for (int t = 0; t < P; t++) {
                int y, x;
                pixel_of(kind, W, H, w, gi, t, &y, &x);
                const size_t tok = (((size_t)b * G + gi) * P + t) * C;
                for (int c = 0; c < C; c++) {
                    const size_t pix = (((size_t)b * C + c) * H + y) * W + x;
                    const size_t d = dir == 0 ? tok + c : pix, s = dir == 0 ? pix : tok + c;
                    dst[d] = accumulate ? dst[d] + src[s] : src[s];
                }
            }
}

void partition_forward(float *tokens, const float *img, NnPartition kind, int B, int C, int H,
                       int W, int w) {
    move(tokens, img, 0, 0, kind, B, C, H, W, w);
}

void partition_backward(float *dimg, const float *dtokens, NnPartition kind, int B, int C, int H,
                        int W, int w) {
    move(dimg, dtokens, 1, 1, kind, B, C, H, W, w);
}

void departition_forward(float *img, const float *tokens, NnPartition kind, int B, int C, int H,
                         int W, int w) {
    move(img, tokens, 1, 0, kind, B, C, H, W, w);
}

void departition_backward(float *dtokens, const float *dimg, NnPartition kind, int B, int C, int H,
                          int W, int w) {
    move(dtokens, dimg, 0, 1, kind, B, C, H, W, w);
}
