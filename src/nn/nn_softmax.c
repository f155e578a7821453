/* Softmax, cross-entropy on logits (nn.CrossEntropyLoss, mean) and the reference head's
 * double softmax (CrossEntropyLoss applied to softmax probabilities, reference 4.2). */
#include "hitwin/nn.h"

#include <math.h>

static void softmax_row(float *p, const float *x, int C) {
    float m = x[0];
    for (int c = 1; c < C; c++) m = x[c] > m ? x[c] : m;
    double sum = 0.0;
    for (int c = 0; c < C; c++) {
        p[c] = expf(x[c] - m);
        sum += p[c];
    }
    float inv = (float)(1.0 / sum);
    for (int c = 0; c < C; c++) p[c] *= inv;
}

/* log sum_c exp(x_c), stable */
static double logsumexp_row(const float *x, int C) {
    float m = x[0];
    for (int c = 1; c < C; c++) m = x[c] > m ? x[c] : m;
    double sum = 0.0;
    for (int c = 0; c < C; c++) sum += exp((double)x[c] - m);
    return m + log(sum);
}

void softmax_forward(float *probs, const float *logits, int B, int C) {
    for (int b = 0; b < B; b++) softmax_row(probs + (size_t)b * C, logits + (size_t)b * C, C);
}

void softmax_backward(float *dlogits, const float *dprobs, const float *probs, int B, int C) {
    for (int b = 0; b < B; b++) {
        const float *p = probs + (size_t)b * C, *dp = dprobs + (size_t)b * C;
        float *dx = dlogits + (size_t)b * C;
        double dot = 0.0;
        for (int c = 0; c < C; c++) dot += (double)dp[c] * p[c];
        for (int c = 0; c < C; c++) dx[c] += p[c] * (dp[c] - (float)dot);
    }
}

void crossentropy_forward(float *loss, float *probs, const float *logits, const int32_t *targets,
                          int B, int C) {
    double total = 0.0;
    for (int b = 0; b < B; b++) {
        const float *x = logits + (size_t)b * C;
        softmax_row(probs + (size_t)b * C, x, C);
        total += logsumexp_row(x, C) - x[targets[b]];
    }
    *loss = (float)(total / B);
}

void crossentropy_backward(float *dlogits, float dloss, const float *probs, const int32_t *targets,
                           int B, int C) {
    const float s = dloss / (float)B;
    for (int b = 0; b < B; b++) {
        const float *p = probs + (size_t)b * C;
        float *dx = dlogits + (size_t)b * C;
        for (int c = 0; c < C; c++) dx[c] += s * (p[c] - (c == targets[b] ? 1.0f : 0.0f));
    }
}

void double_softmax_ce_forward(float *loss, float *probs, float *probs2, const float *logits,
                               const int32_t *targets, int B, int C) {
    softmax_forward(probs, logits, B, C);
    crossentropy_forward(loss, probs2, probs, targets, B, C);
}

void double_softmax_ce_backward(float *dlogits, float dloss, const float *probs, const float *probs2,
                                const int32_t *targets, int B, int C) {
    const float s = dloss / (float)B;
    for (int b = 0; b < B; b++) {
        const float *p = probs + (size_t)b * C, *q = probs2 + (size_t)b * C;
        float *dx = dlogits + (size_t)b * C;
        /* dL/dp_c = s (q_c - [c == t]); then back through the first softmax */
        double dot = 0.0;
        for (int c = 0; c < C; c++) dot += (double)s * (q[c] - (c == targets[b])) * p[c];
        for (int c = 0; c < C; c++) {
            float dp = s * (q[c] - (c == targets[b] ? 1.0f : 0.0f));
            dx[c] += p[c] * (dp - (float)dot);
        }
    }
}
