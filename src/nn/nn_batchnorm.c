/* BatchNorm2d as torch computes it: batch statistics over (B, HW) with the biased variance
 * for normalising and the unbiased one for the running variance; evaluation uses the running
 * statistics. Sums are in double: a channel of stage 1 holds B x 56 x 56 values. */
#include "hitwin/nn_maxvit.h"

#include <math.h>

void batchnorm2d_forward(float *out, float *mean, float *rstd, float *running_mean,
                         float *running_var, const float *inp, const float *gamma, const float *beta,
                         int train, float momentum, float eps, int B, int C, int HW) {
    const double n = (double)B * HW;
    for (int c = 0; c < C; c++) {
        double mu, var;
        if (train) {
            double s = 0.0;
            for (int b = 0; b < B; b++) {
                const float *x = inp + ((size_t)b * C + c) * HW;
                for (int i = 0; i < HW; i++) s += x[i];
            }
            mu = s / n;
            double ss = 0.0;
            for (int b = 0; b < B; b++) {
                const float *x = inp + ((size_t)b * C + c) * HW;
                for (int i = 0; i < HW; i++) ss += (x[i] - mu) * (x[i] - mu);
            }
            var = ss / n;
            if (running_mean)
                running_mean[c] = (float)((1.0 - momentum) * running_mean[c] + momentum * mu);
            if (running_var) /* torch keeps the unbiased variance; one value has none */
                running_var[c] = (float)((1.0 - momentum) * running_var[c] +
                                         momentum * (n > 1.0 ? var * n / (n - 1.0) : var));
        } else {
            mu = running_mean[c];
            var = running_var[c];
        }
        const double r = 1.0 / sqrt(var + eps);
        mean[c] = (float)mu;
        rstd[c] = (float)r;
        /* out = (x - mu) r gamma + beta, as one multiply-add per element */
        const float a = (float)(r * gamma[c]), k = (float)(beta[c] - mu * r * gamma[c]);
        for (int b = 0; b < B; b++) {
            const float *x = inp + ((size_t)b * C + c) * HW;
            float *o = out + ((size_t)b * C + c) * HW;
            for (int i = 0; i < HW; i++) o[i] = x[i] * a + k;
        }
    }
}

void batchnorm2d_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                          const float *inp, const float *mean, const float *rstd, const float *gamma,
                          int train, int B, int C, int HW) {
    const double n = (double)B * HW;
    for (int c = 0; c < C; c++) {
        /* sum of dout and of dout * xhat, xhat = (x - mean) rstd */
        double sg = 0.0, sgx = 0.0;
        for (int b = 0; b < B; b++) {
            const float *x = inp + ((size_t)b * C + c) * HW, *g = dout + ((size_t)b * C + c) * HW;
            for (int i = 0; i < HW; i++) {
                sg += g[i];
                sgx += (double)g[i] * ((x[i] - mean[c]) * rstd[c]);
            }
        }
        if (dgamma) dgamma[c] += (float)sgx;
        if (dbeta) dbeta[c] += (float)sg;
        if (!dinp) continue;
        const double gr = (double)gamma[c] * rstd[c];
        /* train: dx = gamma rstd (g - mean(g) - xhat mean(g xhat)); eval: dx = gamma rstd g */
        const double mg = train ? sg / n : 0.0, mgx = train ? sgx / n : 0.0;
        for (int b = 0; b < B; b++) {
            const float *x = inp + ((size_t)b * C + c) * HW, *g = dout + ((size_t)b * C + c) * HW;
            float *dx = dinp + ((size_t)b * C + c) * HW;
            for (int i = 0; i < HW; i++) {
                const double xhat = (x[i] - mean[c]) * (double)rstd[c];
                dx[i] += (float)(gr * (g[i] - mg - xhat * mgx));
            }
        }
    }
}
