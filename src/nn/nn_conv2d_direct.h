/* Internal to src/nn: the direct convolution kernels of nn_conv2d_direct.c, which
 * nn_conv2d.c dispatches to by shape (docs/nn.md, "Which conv path"). */
#ifndef HITWIN_NN_CONV2D_DIRECT_H
#define HITWIN_NN_CONV2D_DIRECT_H

#include "hitwin/nn.h"

#include <stddef.h>

/* 1 when this CPU has AVX2 and FMA (checked once); the direct kernels need both. */
int nn_direct_cpu_ok(void);

/* Shapes the direct forward handles: stride 1, no padding, groups 1, OW >= 8, few
 * channels (where im2col + sgemm is limited by packing, not by arithmetic). */
int nn_direct_forward_fits(const NnConv2dDims *d);
/* Shapes the sparse weight gradient handles: stride 1, no padding, groups 1, KW <= 8. */
int nn_direct_dweight_fits(const NnConv2dDims *d);
/* Shapes the direct input gradient handles (its transposed conv fits the forward). */
int nn_direct_dinp_fits(const NnConv2dDims *d);

/* Floats of scratch nn_direct_dweight_image and nn_direct_dinp_image need. */
size_t nn_direct_scratch_floats(const NnConv2dDims *d);

/* One image: out = bias + conv(img, weight) (written, not added). */
void nn_direct_forward_image(float *out,          /* [OC, OH, OW] */
                             const float *img,    /* [C, H, W] */
                             const float *weight, /* [OC, C, KH, KW] */
                             const float *bias,   /* [OC] or NULL */
                             const NnConv2dDims *d);

/* One image's dbias and dweight (+=) for a dout whose nonzeros are few (a max pool's
 * gradient has one in four): the nonzeros of each output channel are listed once, then
 * dweight gathers the input rows at them, a quarter of the dense work. Returns 0 and
 * changes nothing when more than a third of the image's dout is nonzero, or a nonzero is
 * not finite: the caller then takes the dense path for this image. */
int nn_direct_dweight_image(float *dweight,      /* [OC, C, KH, KW] or NULL */
                            float *dbias,        /* [OC] or NULL */
                            const float *dout,   /* [OC, OH, OW] */
                            const float *img,    /* [C, H, W] */
                            float *scratch,      /* nn_direct_scratch_floats(d) */
                            const NnConv2dDims *d);

/* One image's input gradient (+=), dense: the forward kernel on dout zero-padded by
 * KH-1, KW-1 with the weights flipped and transposed ([C, OC, KH, KW]). */
void nn_direct_dinp_image(float *dimg,         /* [C, H, W] */
                          const float *dout,   /* [OC, OH, OW] */
                          const float *weight, /* [OC, C, KH, KW] */
                          float *scratch,      /* nn_direct_scratch_floats(d) */
                          const NnConv2dDims *d);

/* ---- conv + 2x2 max pool in one pass (nn_conv2d_pool.c) --------------------------- */

/* One image of conv then 2x2/2 max pool: conv rows are made two at a time in scratch and
 * pooled at once, so the conv output never goes to memory. Same values and argmax (into
 * the conv output plane) as the two ops. Needs nn_direct_forward_fits(d). */
void nn_direct_forward_pool_image(float *pooled,       /* [OC, OH/2, OW/2] */
                                  int32_t *argmax,     /* [OC, OH/2, OW/2] */
                                  const float *img,    /* [C, H, W] */
                                  const float *weight, /* [OC, C, KH, KW] */
                                  const float *bias,   /* [OC] or NULL */
                                  float *scratch,      /* nn_direct_scratch_floats(d) */
                                  const NnConv2dDims *d);

/* One image's backward of conv then 2x2/2 max pool from the pooled gradient: the nonzero
 * entries come straight from (dpooled, argmax), no dense conv gradient is made except the
 * padded one dinp needs, per image. dimg/dweight/dbias add. Returns 0 and changes
 * nothing when a dpooled value is not finite or an argmax lies outside its 2x2 block (not
 * from a 2x2/2 pool): the caller then takes the unfused path. Needs
 * nn_direct_dweight_fits(d) and, when dimg is given, nn_direct_dinp_fits(d). */
int nn_direct_backward_pool_image(float *dimg,            /* [C, H, W] or NULL */
                                  float *dweight,         /* [OC, C, KH, KW] or NULL */
                                  float *dbias,           /* [OC] or NULL */
                                  const float *dpooled,   /* [OC, OH/2, OW/2] */
                                  const int32_t *argmax,  /* [OC, OH/2, OW/2] */
                                  const float *img,       /* [C, H, W] */
                                  const float *weight,    /* [OC, C, KH, KW] */
                                  float *scratch,         /* nn_direct_scratch_floats(d) */
                                  const NnConv2dDims *d);

/* nn_pool.c: one output row of a 2x2/2 max pool (AVX2); base is the plane index of r0[0],
 * r1's elements are W further on. */
void nn_pool2x2_row_avx2(float *out, int32_t *argmax, const float *r0, const float *r1, int32_t base,
                         int W, int OW);

#endif
