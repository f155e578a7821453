// Window and grid partition (nn_partition.c) on the device: a permutation of [B, C, H, W]
// into tokens [B, G, w w, C] and back. A thread per element computes the C op's index map;
// the backward directions add one term per element (__fadd_rn: nothing to fuse, but said
// explicitly), so all four are bit-identical to the C op.
//
// Threads run over the TOKEN layout (c fastest), so token reads/writes are coalesced and the
// image side strides by H W; the image side of MaxViT's maps is a few MB, so this is a
// memory-bound copy either way. A tiled transpose through shared memory would coalesce both
// sides if the benchmark shows it matters.
#include "gpu_internal.cuh"
#include "hitwin/gpu_ops_maxvit.h"

// Pixel offset (inside one image's channel plane) of token t in group gi: nn_partition.c's
// pixel_of.
__device__ __forceinline__ static int pixel_of(int grid, int H, int W, int w, int gi, int t) {
    const int a = t / w, b = t % w;
    int y, x;
    if (!grid) {
        const int gw = W / w;
        y = (gi / gw) * w + a;
        x = (gi % gw) * w + b;
    } else {
        const int gh = H / w, gw = W / w;
        y = a * gh + gi / gw;
        x = b * gw + gi % gw;
    }
    return y * W + x;
}

// to_tokens: dst is tokens, src the image; else the reverse. accumulate: += instead of =.
__global__ static void partition_kernel(float *dst, const float *src, int to_tokens,
                                        int accumulate, int grid, int C, int H, int W, int w,
                                        int G, int P, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        // i indexes tokens [B, G, P, C]
        const int c = (int)(i % C);
        const size_t bgt = i / C;
        const int t = (int)(bgt % P), gi = (int)((bgt / P) % G);
        const size_t b = bgt / ((size_t)P * G);
        const size_t pix = ((b * C + c) * H) * (size_t)W + pixel_of(grid, H, W, w, gi, t);
        const size_t d = to_tokens ? i : pix, s = to_tokens ? pix : i;
        dst[d] = accumulate ? __fadd_rn(dst[d], src[s]) : src[s];
    }
}

static int launch(hw_gpu *g, float *dst, const float *src, int to_tokens, int accumulate,
                  NnPartition kind, int B, int C, int H, int W, int w) {
    if (w <= 0 || H % w || W % w)
        return hw_fail("gpu partition: a %dx%d map is not a multiple of the %dx%d partition", H, W,
                       w, w);
    const int G = (H / w) * (W / w), P = w * w;
    const size_t n = (size_t)B * G * P * C;
    if (!n) return 0;
    partition_kernel<<<hw_grid(n, 256), 256, 0, g->stream>>>(
        dst, src, to_tokens, accumulate, kind == NN_PARTITION_GRID, C, H, W, w, G, P, n);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_partition_forward(hw_gpu *g, float *tokens, const float *img, NnPartition kind,
                                     int B, int C, int H, int W, int w) {
    return launch(g, tokens, img, 1, 0, kind, B, C, H, W, w);
}

extern "C" int gpu_partition_backward(hw_gpu *g, float *dimg, const float *dtokens,
                                      NnPartition kind, int B, int C, int H, int W, int w) {
    return launch(g, dimg, dtokens, 0, 1, kind, B, C, H, W, w);
}

extern "C" int gpu_departition_forward(hw_gpu *g, float *img, const float *tokens,
                                       NnPartition kind, int B, int C, int H, int W, int w) {
    return launch(g, img, tokens, 0, 0, kind, B, C, H, W, w);
}

extern "C" int gpu_departition_backward(hw_gpu *g, float *dtokens, const float *dimg,
                                        NnPartition kind, int B, int C, int H, int W, int w) {
    return launch(g, dtokens, dimg, 1, 1, kind, B, C, H, W, w);
}
