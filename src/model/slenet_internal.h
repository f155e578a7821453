/* SLeNet's private state behind hw_model.bb_state: geometry, its tensors' table indices and
 * its activations in the model's arena. Shared by slenet.c (the layers) and
 * slenet_saliency.c (the input-gradient passes). */
#ifndef HITWIN_SLENET_INTERNAL_H
#define HITWIN_SLENET_INTERNAL_H

#include "model_internal.h"

#include <stdint.h>

#define HW_SLENET_C1 6    /* features.0 output channels */
#define HW_SLENET_C2 16   /* features.2 output channels */
#define HW_SLENET_K 5     /* both conv kernels */
#define HW_SLENET_H1 120  /* linear.1 width */
#define HW_SLENET_D 83    /* linear.3 width = embedding */

enum { T_CONV1_W, T_CONV1_B, T_CONV2_W, T_CONV2_B, T_FC1_W, T_FC1_B, T_FC2_W, T_FC2_B };

/* Saved activations for all N = n * views tiles of a batch, view-major (row v * n + i is item
 * i's view v), all pointing into the arena. The input is the wrapper's m->x, the embedding
 * its m->emb. */
typedef struct {
    /* geometry: S -> conv C1xC1 -> pool P1 -> conv C2 -> pool P2, F = 16 P2 P2 */
    int C1, P1, C2, P2, F;
    float *p1;       /* [n, 6, P1, P1] features.1 output = features.2 input */
    int32_t *a1;     /* [n, 6, P1, P1] features.1 argmax */
    int32_t *a2;     /* [n, 16, P2, P2] features.3 argmax */
    float *drop;     /* [n, F]         linear.0 (dropout) output = linear.1 input */
    uint8_t *dmask;  /* [n, F]         dropout keep mask */
    float *h1;       /* [n, 120]       linear.1 output */
    float *g1;       /* [n, 120]       GELU output = linear.3 input */
    float *h2;       /* [n, 83]        linear.3 output */
    float *c1;       /* [n, 6, C1, C1]  conv1 output; dconv1 in backward */
    float *c2;       /* [n, 16, C2, C2] conv2 output; dconv2 in backward */
    float *p2;       /* [n, F]          pool2 output; dpool2 / ddrop in backward */
    float *dp1;      /* [n, 6, P1, P1] */
    float *dh1, *dg1, *dh2; /* [n, 120], [n, 120], [n, 83] */
    float *conv_scratch;
} hw_slenet;

static inline hw_slenet *hw_slenet_of(hw_model *m) { return (hw_slenet *)m->bb_state; }

/* saliency hooks (slenet_saliency.c) */
int hw_slenet_feature_geometry(const hw_model *m, hw_feature_geometry *g);
int hw_slenet_conv2_maps(hw_model *m, const float *x, int n, float *maps);
int hw_slenet_distance_grad(hw_model *m, const float *x, int n, const float *other, const uint8_t *role,
                            hw_ig_measure measure, float *dist, float *dx);
int hw_slenet_path_grad(hw_model *m, const float *from, const float *to, const float *alpha, int n,
                        const float *other, int second, hw_ig_measure measure, double *gsum);

#endif
