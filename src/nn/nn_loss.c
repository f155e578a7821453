/* Metric-learning losses of the reference: contrastive (4.1), triplet margin (4.3) and
 * (Multiview)SINCERE (4.4). Contrastive and triplet take distances from nn_distance.c. */
#include "hitwin/nn.h"

#include <cblas.h>
#include <math.h>

void contrastive_loss_forward(float *loss, const float *dist, const float *y, float margin, int B) {
    double total = 0.0;
    for (int b = 0; b < B; b++) {
        double d = dist[b], h = margin - d;
        if (h < 0.0) h = 0.0;
        total += (1.0 - y[b]) * d * d + y[b] * h * h;
    }
    *loss = (float)(total / B);
}

void contrastive_loss_backward(float *ddist, float dloss, const float *dist, const float *y,
                               float margin, int B) {
    const float s = dloss / (float)B;
    for (int b = 0; b < B; b++) {
        float d = dist[b], h = margin - d;
        if (h < 0.0f) h = 0.0f;
        ddist[b] += s * (2.0f * (1.0f - y[b]) * d - 2.0f * y[b] * h);
    }
}

void triplet_loss_forward(float *loss, const float *d_ap, const float *d_an, float margin, int B) {
    double total = 0.0;
    for (int b = 0; b < B; b++) {
        double h = (double)d_ap[b] - d_an[b] + margin;
        total += h > 0.0 ? h : 0.0;
    }
    *loss = (float)(total / B);
}

void triplet_loss_backward(float *dd_ap, float *dd_an, float dloss, const float *d_ap,
                           const float *d_an, float margin, int B) {
    const float s = dloss / (float)B;
    for (int b = 0; b < B; b++) {
        /* torch's clamp_min passes the gradient where the argument is >= 0 */
        if (d_ap[b] - d_an[b] + margin >= 0.0f) {
            dd_ap[b] += s;
            dd_an[b] -= s;
        }
    }
}

/* log(sum over n with label != label(i) of exp(S_in)), -inf when there are none */
static double neg_logsumexp(const float *Srow, const int32_t *labels, int i, int N, int V) {
    double m = -INFINITY;
    for (int n = 0; n < N; n++)
        if (labels[n / V] != labels[i / V] && Srow[n] > m) m = Srow[n];
    if (m == -INFINITY) return m;
    double sum = 0.0;
    for (int n = 0; n < N; n++)
        if (labels[n / V] != labels[i / V]) sum += exp(Srow[n] - m);
    return m + log(sum);
}

/* log(e^a + e^b) with b possibly -inf */
static double logaddexp(double a, double b) {
    if (b == -INFINITY) return a;
    double m = a > b ? a : b;
    return m + log(exp(a - m) + exp(b - m));
}

void sincere_loss_forward(float *loss, float *logits, const float *z, const int32_t *labels,
                          float tau, int N, int V, int D) {
    /* S [N, N] = z z^T / tau */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, D, 1.0f / tau, z, D, z, D, 0.0f,
                logits, N);
    double total = 0.0;
    for (int i = 0; i < N; i++) {
        const float *S = logits + (size_t)i * N;
        double lneg = neg_logsumexp(S, labels, i, N, V);
        double acc = 0.0;
        int npos = 0;
        for (int p = 0; p < N; p++) {
            if (p == i || labels[p / V] != labels[i / V]) continue;
            acc += logaddexp(S[p], lneg) - S[p];
            npos++;
        }
        if (npos) total += acc / npos;
    }
    *loss = (float)(total / N);
}

void sincere_loss_backward(float *dz, float dloss, const float *logits, const float *z,
                           const int32_t *labels, float tau, int N, int V, int D) {
    /* G_ij = dL/dS_ij; S symmetric in z, so dz_i += G_ij z_j / tau and dz_j += G_ij z_i / tau */
    for (int i = 0; i < N; i++) {
        const float *S = logits + (size_t)i * N;
        int npos = 0;
        for (int p = 0; p < N; p++) npos += p != i && labels[p / V] == labels[i / V];
        if (!npos) continue;
        const double c = (double)dloss / ((double)N * npos);
        double lneg = neg_logsumexp(S, labels, i, N, V);
        /* positives: dl_ip/dS_ip = sigma_ip - 1, sigma_ip = e^S_ip / (e^S_ip + sum_n e^S_in);
         * negatives: dl_ip/dS_in = e^S_in / (...) = e^(S_in - lneg) (1 - sigma_ip) */
        double rest = 0.0; /* sum_p (1 - sigma_ip) */
        for (int j = 0; j < N; j++) {
            if (j == i || labels[j / V] != labels[i / V]) continue;
            double one_minus_sigma = lneg == -INFINITY ? 0.0 : exp(lneg - logaddexp(S[j], lneg));
            rest += one_minus_sigma;
            float g = (float)(c * -one_minus_sigma / tau);
            for (int k = 0; k < D; k++) {
                dz[(size_t)i * D + k] += g * z[(size_t)j * D + k];
                dz[(size_t)j * D + k] += g * z[(size_t)i * D + k];
            }
        }
        if (lneg == -INFINITY) continue;
        for (int j = 0; j < N; j++) {
            if (labels[j / V] == labels[i / V]) continue;
            float g = (float)(c * exp(S[j] - lneg) * rest / tau);
            for (int k = 0; k < D; k++) {
                dz[(size_t)i * D + k] += g * z[(size_t)j * D + k];
                dz[(size_t)j * D + k] += g * z[(size_t)i * D + k];
            }
        }
    }
}
