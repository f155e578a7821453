/* Fully connected layer, torch.nn.Linear layout (weight [OUT, IN]), via sgemm. */
#include "hitwin/nn.h"

#include <cblas.h>

void linear_forward(float *out, const float *inp, const float *weight, const float *bias, int B,
                    int IN, int OUT) {
    if (bias) {
        for (int b = 0; b < B; b++)
            for (int o = 0; o < OUT; o++) out[(size_t)b * OUT + o] = bias[o];
    }
    /* out [B, OUT] (+)= inp [B, IN] @ W^T [IN, OUT] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, OUT, IN, 1.0f, inp, IN, weight, IN,
                bias ? 1.0f : 0.0f, out, OUT);
}

void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *weight, int B, int IN, int OUT) {
    if (dinp) /* dinp [B, IN] += dout [B, OUT] @ W [OUT, IN] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, IN, OUT, 1.0f, dout, OUT, weight,
                    IN, 1.0f, dinp, IN);
    if (dweight) /* dW [OUT, IN] += dout^T [OUT, B] @ inp [B, IN] */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OUT, IN, B, 1.0f, dout, OUT, inp, IN,
                    1.0f, dweight, IN);
    if (dbias) {
        for (int b = 0; b < B; b++)
            for (int o = 0; o < OUT; o++) dbias[o] += dout[(size_t)b * OUT + o];
    }
}
