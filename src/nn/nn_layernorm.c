/* LayerNorm over the last dimension (the transformer blocks' norm on [tokens, C]), with the
 * biased variance as torch; row statistics in double. */
#include "hitwin/nn_maxvit.h"

#include <math.h>

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *gamma,
                       const float *beta, float eps, int N, int C) {
    for (int r = 0; r < N; r++) {
        const float *x = inp + (size_t)r * C;
        float *o = out + (size_t)r * C;
        double s = 0.0;
        for (int i = 0; i < C; i++) s += x[i];
        const double mu = s / C;
        double ss = 0.0;
        for (int i = 0; i < C; i++) ss += (x[i] - mu) * (x[i] - mu);
        const double rs = 1.0 / sqrt(ss / C + eps);
        mean[r] = (float)mu;
        rstd[r] = (float)rs;
        for (int i = 0; i < C; i++) o[i] = (float)((x[i] - mu) * rs) * gamma[i] + beta[i];
    }
}

void layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                        const float *mean, const float *rstd, const float *gamma, int N, int C) {
    for (int r = 0; r < N; r++) {
        const float *x = inp + (size_t)r * C, *g = dout + (size_t)r * C;
        const double mu = mean[r], rs = rstd[r];
        /* with gx = g gamma: dx = rs (gx - mean(gx) - xhat mean(gx xhat)) */
        double sgx = 0.0, sgxx = 0.0;
        for (int i = 0; i < C; i++) {
            const double xhat = (x[i] - mu) * rs, gx = (double)g[i] * gamma[i];
            sgx += gx;
            sgxx += gx * xhat;
            if (dgamma) dgamma[i] += (float)(g[i] * xhat);
            if (dbeta) dbeta[i] += g[i];
        }
        if (!dinp) continue;
        float *dx = dinp + (size_t)r * C;
        const double m1 = sgx / C, m2 = sgxx / C;
        for (int i = 0; i < C; i++) {
            const double xhat = (x[i] - mu) * rs;
            dx[i] += (float)(rs * ((double)g[i] * gamma[i] - m1 - xhat * m2));
        }
    }
}
