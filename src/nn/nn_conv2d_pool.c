/* conv2d then a 2x2 stride-2 max pool as one op (SLeNet's two conv blocks). With the
 * direct kernels the conv output never reaches memory: forward makes two conv rows at a
 * time and pools them while they are in L1; backward lists the pooled gradient's entries
 * at their argmax directly, instead of scattering them into a zeroed conv-sized buffer
 * and scanning it again. For a 224 tile that skips writing and reading 1.9 MB (conv1
 * and conv2 outputs) forward and about as much backward, which cost as much as the
 * arithmetic. Elsewhere (no AVX2, shapes the direct kernels refuse, NN_CONV_IM2COL) it is
 * exactly conv2d_forward + maxpool2d_forward and maxpool2d_backward + conv2d_backward. */
#include "hitwin/nn.h"

#include "nn_conv2d_direct.h"
#include "nn_conv2d_stats.h"

#include <string.h>

static int fused_forward_fits(const NnConv2dDims *d) {
    return nn_conv2d_current_path() == NN_CONV_AUTO && nn_direct_forward_fits(d) &&
           nn_conv2d_out_h(d) >= 2 && nn_conv2d_out_w(d) >= 2;
}

void conv2d_maxpool_forward(float *pooled, int32_t *argmax, float *conv_out, const float *inp,
                            const float *weight, const float *bias, float *scratch, const NnConv2dDims *d) {
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d);
    if (!fused_forward_fits(d)) {
        conv2d_forward(conv_out, inp, weight, bias, scratch, d);
        maxpool2d_forward(pooled, argmax, conv_out, d->B, d->OC, OH, OW, 2, 2, 0);
        return;
    }
    const size_t in_sz = (size_t)d->C * d->H * d->W, p_sz = (size_t)d->OC * (OH / 2) * (OW / 2);
    for (int b = 0; b < d->B; b++)
        nn_direct_forward_pool_image(pooled + b * p_sz, argmax + b * p_sz, inp + b * in_sz, weight, bias,
                                     scratch, d);
    nn_conv2d_stats_add()->pool_fused_forward += (uint64_t)d->B;
}

void conv2d_maxpool_backward(float *dinp, float *dweight, float *dbias, float *dconv_out,
                             const float *dpooled, const int32_t *argmax, const float *inp,
                             const float *weight, float *scratch, const NnConv2dDims *d) {
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d), POH = OH / 2, POW = OW / 2;
    const size_t in_sz = (size_t)d->C * d->H * d->W, p_sz = (size_t)d->OC * POH * POW;
    const size_t out_sz = (size_t)d->OC * OH * OW;
    const int fused = nn_conv2d_current_path() == NN_CONV_AUTO && nn_direct_dweight_fits(d) &&
                      (!dinp || nn_direct_dinp_fits(d)) && OH >= 2 && OW >= 2;
    for (int b = 0; b < d->B; b++) {
        float *dimg = dinp ? dinp + b * in_sz : NULL;
        if (fused && nn_direct_backward_pool_image(dimg, dweight, dbias, dpooled + b * p_sz, argmax + b * p_sz,
                                                   inp + b * in_sz, weight, scratch, d)) {
            nn_conv2d_stats_add()->pool_fused_backward++;
            continue;
        }
        /* this image unfused: its conv gradient in dconv_out's slot b */
        NnConv2dDims one = *d;
        one.B = 1;
        float *dconv = dconv_out + b * out_sz;
        memset(dconv, 0, out_sz * sizeof(float));
        maxpool2d_backward(dconv, dpooled + b * p_sz, argmax + b * p_sz, 1, d->OC, OH, OW, POH, POW);
        conv2d_backward(dimg, dweight, dbias, dconv, inp + b * in_sz, weight, scratch, &one);
    }
}
