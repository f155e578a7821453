/* The shape of a MaxViT (include/hitwin/maxvit_geometry.h): torchvision's maxvit_t, whose
 * blocks each open with a stride-2 MBConv, and whose stochastic depth grows linearly over all
 * layers from 0 to the architecture's last value. */
#include <stdio.h>

#include "hitwin/maxvit_geometry.h"

hw_maxvit_arch hw_maxvit_resolved(const hw_maxvit_arch *a) {
    if (a->n_blocks > 0) return *a;
    return (hw_maxvit_arch){.n_blocks = 4, .stem_channels = 64, .channels = {64, 128, 256, 512},
                            .layers = {2, 2, 5, 2}, .head_dim = 32, .stochastic_depth = 0.2f};
}

int hw_maxvit_conv_out(int side) { return (side + 2 - 3) / 2 + 1; }

int hw_maxvit_n_layers(const hw_maxvit_arch *a) {
    int n = 0;
    for (int b = 0; b < a->n_blocks; b++) n += a->layers[b];
    return n;
}

int hw_maxvit_layers(const hw_maxvit_arch *a, int S, hw_maxvit_layer *out, int *block_end) {
    const int n_layers = hw_maxvit_n_layers(a);
    int li = 0, side = hw_maxvit_conv_out(S), cin = a->stem_channels, total_c = 0;
    for (int b = 0; b < a->n_blocks; b++) {
        const int cout = a->channels[b], out_side = hw_maxvit_conv_out(side);
        total_c += cout;
        for (int l = 0; l < a->layers[b]; l++, li++) {
            hw_maxvit_layer *L = &out[li];
            L->block = b, L->index = l;
            L->cin = l == 0 ? cin : cout;
            L->cout = cout;
            L->mid = HW_MAXVIT_EXPANSION * cout;
            L->squeeze = cout / HW_MAXVIT_SQUEEZE_DIV;
            L->stride = l == 0 ? 2 : 1;
            L->in_side = l == 0 ? side : out_side;
            L->out_side = out_side;
            L->heads = cout / a->head_dim;
            /* linspace(0, p_max, n_layers): the same p for the layer's residuals */
            L->p_sd = n_layers > 1 ? a->stochastic_depth * (float)li / (float)(n_layers - 1) : 0.0f;
            L->sd_slot = li * HW_MAXVIT_SD_PER_LAYER;
            snprintf(L->prefix, sizeof L->prefix, "blocks.%d.layers.%d.layers.", b, l);
        }
        block_end[b] = li - 1;
        side = out_side;
        cin = cout;
    }
    return total_c;
}
