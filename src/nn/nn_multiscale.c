/* SMaxViTMulti's embedding (reference.md 3.5): the global average pool of every stage's
 * output, concatenated ([64, 128, 256, 512] -> 960 for maxvit_t), then a Linear without bias. */
#include "hitwin/nn_maxvit.h"

#include <string.h>

static int total_channels(const int *C, int n) {
    int t = 0;
    for (int s = 0; s < n; s++) t += C[s];
    return t;
}

void multiscale_embed_forward(float *out, float *cat, const float *const *maps, const int *C,
                              const int *HW, int n, const float *weight, int B, int D) {
    const int CT = total_channels(C, n);
    for (int s = 0, off = 0; s < n; off += C[s], s++)
        global_avgpool_forward(cat + off, CT, maps[s], B, C[s], HW[s]);
    linear_forward(out, cat, weight, NULL, B, CT, D);
}

void multiscale_embed_backward(float *const *dmaps, float *dweight, float *dcat, const float *dout,
                               const float *cat, const float *weight, const int *C, const int *HW,
                               int n, int B, int D) {
    const int CT = total_channels(C, n);
    memset(dcat, 0, (size_t)B * CT * sizeof(float));
    linear_backward(dcat, dweight, NULL, dout, cat, weight, B, CT, D);
    for (int s = 0, off = 0; s < n; off += C[s], s++)
        if (dmaps[s]) global_avgpool_backward(dmaps[s], dcat + off, CT, B, C[s], HW[s]);
}
