/* The shape of a MaxViT: torchvision's maxvit_t layout for any hw_maxvit_arch (model.h), in one
 * place for the CPU backbone (src/model/maxvit.c) and its CUDA twin (src/cuda/maxvit_cuda.c),
 * so that the two cannot disagree on a stride, a width or a stochastic-depth slot. */
#ifndef HITWIN_MAXVIT_GEOMETRY_H
#define HITWIN_MAXVIT_GEOMETRY_H

#include "hitwin/model.h"

#define HW_MAXVIT_EXPANSION 4    /* MBConv's middle width = 4 x its output's */
#define HW_MAXVIT_SQUEEZE_DIV 4  /* squeeze-excitation width = output / 4 */
#define HW_MAXVIT_MLP_RATIO 4    /* attention MLP hidden width = 4 x channels */
#define HW_MAXVIT_SD_PER_LAYER 5 /* stochastic-depth draws a layer: MBConv, window attention +
                                    MLP, grid attention + MLP */
#define HW_MAXVIT_EMBED_MULTI 512 /* SMaxViTMulti's projection width */

typedef struct {
    int block, index;      /* block b of the architecture, layer `index` within it */
    int cin, cout;         /* channels in and out */
    int mid, squeeze;      /* MBConv's expanded width and its squeeze-excitation's */
    int stride;            /* 2 for a block's first layer (it halves the side), else 1 */
    int in_side, out_side; /* square feature maps */
    int heads;             /* attention heads (cout / head_dim) */
    float p_sd;            /* stochastic depth of its residuals: linspace(0, p_max, n_layers) */
    int sd_slot;           /* its first draw of a tile's HW_MAXVIT_SD_PER_LAYER: the MBConv's;
                              window attention sd_slot + 1, its MLP + 2, grid + 3 and + 4 */
    char prefix[48];       /* its state_dict names begin "blocks.<b>.layers.<l>.layers." */
} hw_maxvit_layer;

/* maxvit_t's numbers where the architecture is all zero (config without `maxvit:`) */
hw_maxvit_arch hw_maxvit_resolved(const hw_maxvit_arch *a);
/* a 3x3 convolution's output side at stride 2 and padding 1 (the stem's, each block's) */
int hw_maxvit_conv_out(int side);
/* the layers of all blocks */
int hw_maxvit_n_layers(const hw_maxvit_arch *a);
/* every layer of the resolved architecture a at tile side S, in order, into
 * out[hw_maxvit_n_layers(a)]; block_end[b] = the index of block b's last layer. Returns the
 * sum of the blocks' channels (the width of SMaxViTMulti's concatenation). */
int hw_maxvit_layers(const hw_maxvit_arch *a, int S, hw_maxvit_layer *out, int *block_end);

#endif
