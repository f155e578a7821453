// SMaxViTMulti's embedding (nn_multiscale.c) on the device: each stage's global average pool
// written into its column block of cat [B, sum C_s], then a bias-free gpu_linear. Composed
// of existing ops: no kernel of its own.
#include "gpu_internal.cuh"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_ops_maxvit.h"

static int total_channels(const int *C, int n) {
    int t = 0;
    for (int s = 0; s < n; s++) t += C[s];
    return t;
}

extern "C" int gpu_multiscale_embed_forward(hw_gpu *g, float *out, float *cat,
                                            const float *const *maps, const int *C, const int *HW,
                                            int n, const float *weight, int B, int D) {
    const int CT = total_channels(C, n);
    for (int s = 0, off = 0; s < n; off += C[s], s++)
        if (gpu_global_avgpool_forward(g, cat + off, CT, maps[s], B, C[s], HW[s])) return -1;
    return gpu_linear_forward(g, out, cat, weight, NULL, B, CT, D);
}

extern "C" int gpu_multiscale_embed_backward(hw_gpu *g, float *const *dmaps, float *dweight,
                                             float *dcat, const float *dout, const float *cat,
                                             const float *weight, const int *C, const int *HW,
                                             int n, int B, int D) {
    const int CT = total_channels(C, n);
    if (hw_gpu_zero(g, dcat, (size_t)B * CT * sizeof(float)) ||
        gpu_linear_backward(g, dcat, dweight, NULL, dout, cat, weight, B, CT, D))
        return -1;
    for (int s = 0, off = 0; s < n; off += C[s], s++)
        if (dmaps[s] && gpu_global_avgpool_backward(g, dmaps[s], dcat + off, CT, B, C[s], HW[s]))
            return -1;
    return 0;
}
