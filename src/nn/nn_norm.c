/* L2 normalisation (F.normalize) and the reference's per-sample max normalisation. */
#include "hitwin/nn.h"

#include <math.h>

static double row_norm(const float *x, int D) {
    double ss = 0.0;
    for (int i = 0; i < D; i++) ss += (double)x[i] * x[i];
    return sqrt(ss);
}

void l2norm_forward(float *out, const float *inp, float eps, int B, int D) {
    for (int b = 0; b < B; b++) {
        const float *x = inp + (size_t)b * D;
        double n = row_norm(x, D);
        float inv = (float)(1.0 / (n > eps ? n : eps));
        for (int i = 0; i < D; i++) out[(size_t)b * D + i] = x[i] * inv;
    }
}

void l2norm_backward(float *dinp, const float *dout, const float *inp, float eps, int B, int D) {
    for (int b = 0; b < B; b++) {
        const float *x = inp + (size_t)b * D, *g = dout + (size_t)b * D;
        float *dx = dinp + (size_t)b * D;
        double n = row_norm(x, D);
        if (n > eps) {
            /* d(x/n) = g/n - x (x.g)/n^3 */
            double dot = 0.0;
            for (int i = 0; i < D; i++) dot += (double)x[i] * g[i];
            float a = (float)(1.0 / n), c = (float)(dot / (n * n * n));
            for (int i = 0; i < D; i++) dx[i] += g[i] * a - x[i] * c;
        } else { /* the clamp is active: out = x / eps */
            for (int i = 0; i < D; i++) dx[i] += g[i] / eps;
        }
    }
}

void maxnorm_forward(float *out, float *maxval, const float *inp, int B, int N) {
    for (int b = 0; b < B; b++) {
        const float *x = inp + (size_t)b * N;
        float *o = out + (size_t)b * N;
        float m = x[0];
        for (int i = 1; i < N; i++) m = x[i] > m ? x[i] : m;
        maxval[b] = m;
        float inv = m != 0.0f ? 1.0f / m : 1.0f;
        for (int i = 0; i < N; i++) o[i] = x[i] * inv;
    }
}

void maxnorm_backward(float *dinp, const float *dout, const float *inp, const float *maxval, int B,
                      int N) {
    for (int b = 0; b < B; b++) {
        const float *x = inp + (size_t)b * N, *g = dout + (size_t)b * N;
        float *dx = dinp + (size_t)b * N;
        const float m = maxval[b];
        if (m == 0.0f) { /* guarded pass-through */
            for (int i = 0; i < N; i++) dx[i] += g[i];
            continue;
        }
        /* y_i = x_i / m: dx_i += g_i / m; dm = -sum_i g_i x_i / m^2, shared by the ties */
        double dot = 0.0;
        int ties = 0;
        for (int i = 0; i < N; i++) {
            dot += (double)g[i] * x[i];
            ties += x[i] == m;
        }
        const float inv = 1.0f / m;
        const float dm = (float)(-dot / ((double)m * m) / (ties ? ties : 1));
        for (int i = 0; i < N; i++) dx[i] += g[i] * inv + (x[i] == m ? dm : 0.0f);
    }
}
