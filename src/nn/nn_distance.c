/* Row-wise distances between two batches of embeddings, with PyTorch's epsilons. */
#include "hitwin/nn.h"

#include <math.h>

void pairwise_distance_forward(float *dist, const float *x1, const float *x2, float eps, int B, int D) {
    for (int b = 0; b < B; b++) {
        const float *a = x1 + (size_t)b * D, *c = x2 + (size_t)b * D;
        double ss = 0.0;
        for (int i = 0; i < D; i++) {
            float t = a[i] - c[i] + eps;
            ss += (double)t * t;
        }
        dist[b] = (float)sqrt(ss);
    }
}

void pairwise_distance_backward(float *dx1, float *dx2, const float *ddist, const float *x1,
                                const float *x2, const float *dist, float eps, int B, int D) {
    for (int b = 0; b < B; b++) {
        if (dist[b] == 0.0f) continue; /* subgradient 0, as torch's norm backward */
        const float *a = x1 + (size_t)b * D, *c = x2 + (size_t)b * D;
        const float s = ddist[b] / dist[b];
        for (int i = 0; i < D; i++) {
            float g = s * (a[i] - c[i] + eps);
            if (dx1) dx1[(size_t)b * D + i] += g;
            if (dx2) dx2[(size_t)b * D + i] -= g;
        }
    }
}

/* the two norms and the dot product of one row pair */
static void cos_parts(const float *a, const float *c, int D, double *n1, double *n2, double *dot) {
    double s1 = 0.0, s2 = 0.0, s12 = 0.0;
    for (int i = 0; i < D; i++) {
        s1 += (double)a[i] * a[i];
        s2 += (double)c[i] * c[i];
        s12 += (double)a[i] * c[i];
    }
    *n1 = sqrt(s1);
    *n2 = sqrt(s2);
    *dot = s12;
}

void cosine_distance_forward(float *dist, const float *x1, const float *x2, float eps, int B, int D) {
    for (int b = 0; b < B; b++) {
        double n1, n2, dot;
        cos_parts(x1 + (size_t)b * D, x2 + (size_t)b * D, D, &n1, &n2, &dot);
        double c1 = n1 > eps ? n1 : eps, c2 = n2 > eps ? n2 : eps;
        dist[b] = (float)(1.0 - dot / (c1 * c2));
    }
}

void cosine_distance_backward(float *dx1, float *dx2, const float *ddist, const float *x1,
                              const float *x2, float eps, int B, int D) {
    for (int b = 0; b < B; b++) {
        const float *a = x1 + (size_t)b * D, *c = x2 + (size_t)b * D;
        double n1, n2, dot;
        cos_parts(a, c, D, &n1, &n2, &dot);
        const int clamp1 = !(n1 > eps), clamp2 = !(n2 > eps);
        double c1 = clamp1 ? eps : n1, c2 = clamp2 ? eps : n2;
        double cosv = dot / (c1 * c2);
        double g = -(double)ddist[b]; /* d(1 - cos) = -dcos */
        /* dcos/dx1 = x2/(c1 c2) - cos x1 / n1^2 (second term absent when clamped) */
        double k12 = g / (c1 * c2);
        double k11 = clamp1 ? 0.0 : g * cosv / (n1 * n1);
        double k22 = clamp2 ? 0.0 : g * cosv / (n2 * n2);
        for (int i = 0; i < D; i++) {
            if (dx1) dx1[(size_t)b * D + i] += (float)(k12 * c[i] - k11 * a[i]);
            if (dx2) dx2[(size_t)b * D + i] += (float)(k12 * a[i] - k22 * c[i]);
        }
    }
}
