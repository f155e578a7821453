// Softmax, cross-entropy on logits and the reference head's double softmax (nn_softmax.c).
//
// The classes are few (2 for the head), so one thread takes a whole row and runs the C op's
// loops on it; the batch mean is one block summing the rows' terms in double. Only expf/exp
// and log differ from the C library's by an ulp or so.
#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_ops.h"

#define HW_LOSS_BLOCK 256 // one block sums a loss over the batch

__device__ static void softmax_row(float *p, const float *x, int C) {
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

__device__ static double logsumexp_row(const float *x, int C) {
    float m = x[0];
    for (int c = 1; c < C; c++) m = x[c] > m ? x[c] : m;
    double sum = 0.0;
    for (int c = 0; c < C; c++) sum += exp((double)x[c] - m);
    return m + log(sum);
}

__global__ static void softmax_forward_kernel(float *probs, const float *logits, int B, int C) {
    for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < B; b += gridDim.x * blockDim.x)
        softmax_row(probs + (size_t)b * C, logits + (size_t)b * C, C);
}

__global__ static void softmax_backward_kernel(float *dlogits, const float *dprobs,
                                               const float *probs, int B, int C) {
    for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < B; b += gridDim.x * blockDim.x) {
        const float *p = probs + (size_t)b * C, *dp = dprobs + (size_t)b * C;
        float *dx = dlogits + (size_t)b * C;
        double dot = 0.0;
        for (int c = 0; c < C; c++) dot += (double)dp[c] * p[c];
        for (int c = 0; c < C; c++) dx[c] += p[c] * (dp[c] - (float)dot);
    }
}

// loss = mean_b -log softmax(logits_b)[t_b]; probs saved. One block.
__global__ static void crossentropy_forward_kernel(float *loss, float *probs, const float *logits,
                                                   const int32_t *targets, int B, int C) {
    double total = 0.0;
    for (int b = threadIdx.x; b < B; b += blockDim.x) {
        const float *x = logits + (size_t)b * C;
        softmax_row(probs + (size_t)b * C, x, C);
        total += logsumexp_row(x, C) - x[targets[b]];
    }
    total = hw_block_sum(total);
    if (threadIdx.x == 0) *loss = (float)(total / B);
}

__global__ static void crossentropy_backward_kernel(float *dlogits, float s, const float *probs,
                                                    const int32_t *targets, int B, int C) {
    for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < B; b += gridDim.x * blockDim.x) {
        const float *p = probs + (size_t)b * C;
        float *dx = dlogits + (size_t)b * C;
        for (int c = 0; c < C; c++) dx[c] += s * (p[c] - (c == targets[b] ? 1.0f : 0.0f));
    }
}

// p = softmax(logits), loss = CE(p as logits); probs = p and probs2 = softmax(p) saved
__global__ static void double_softmax_ce_forward_kernel(float *loss, float *probs, float *probs2,
                                                        const float *logits,
                                                        const int32_t *targets, int B, int C) {
    double total = 0.0;
    for (int b = threadIdx.x; b < B; b += blockDim.x) {
        float *p = probs + (size_t)b * C;
        softmax_row(p, logits + (size_t)b * C, C);
        softmax_row(probs2 + (size_t)b * C, p, C);
        total += logsumexp_row(p, C) - p[targets[b]];
    }
    total = hw_block_sum(total);
    if (threadIdx.x == 0) *loss = (float)(total / B);
}

__global__ static void double_softmax_ce_backward_kernel(float *dlogits, float s,
                                                         const float *probs, const float *probs2,
                                                         const int32_t *targets, int B, int C) {
    for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < B; b += gridDim.x * blockDim.x) {
        const float *p = probs + (size_t)b * C, *q = probs2 + (size_t)b * C;
        float *dx = dlogits + (size_t)b * C;
        double dot = 0.0;
        for (int c = 0; c < C; c++) dot += (double)s * (q[c] - (c == targets[b])) * p[c];
        for (int c = 0; c < C; c++) {
            float dp = s * (q[c] - (c == targets[b] ? 1.0f : 0.0f));
            dx[c] += p[c] * (dp - (float)dot);
        }
    }
}

extern "C" int gpu_softmax_forward(hw_gpu *g, float *probs, const float *logits, int B, int C) {
    softmax_forward_kernel<<<hw_grid((size_t)B, 128), 128, 0, g->stream>>>(probs, logits, B, C);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_softmax_backward(hw_gpu *g, float *dlogits, const float *dprobs,
                                    const float *probs, int B, int C) {
    softmax_backward_kernel<<<hw_grid((size_t)B, 128), 128, 0, g->stream>>>(dlogits, dprobs, probs,
                                                                           B, C);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_crossentropy_forward(hw_gpu *g, float *loss, float *probs, const float *logits,
                                        const int32_t *targets, int B, int C) {
    crossentropy_forward_kernel<<<1, HW_LOSS_BLOCK, 0, g->stream>>>(loss, probs, logits, targets, B,
                                                                    C);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_crossentropy_backward(hw_gpu *g, float *dlogits, float dloss, const float *probs,
                                         const int32_t *targets, int B, int C) {
    const float s = dloss / (float)B;
    crossentropy_backward_kernel<<<hw_grid((size_t)B, 128), 128, 0, g->stream>>>(dlogits, s, probs,
                                                                                targets, B, C);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_double_softmax_ce_forward(hw_gpu *g, float *loss, float *probs, float *probs2,
                                             const float *logits, const int32_t *targets, int B,
                                             int C) {
    double_softmax_ce_forward_kernel<<<1, HW_LOSS_BLOCK, 0, g->stream>>>(loss, probs, probs2,
                                                                         logits, targets, B, C);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_double_softmax_ce_backward(hw_gpu *g, float *dlogits, float dloss,
                                              const float *probs, const float *probs2,
                                              const int32_t *targets, int B, int C) {
    const float s = dloss / (float)B;
    double_softmax_ce_backward_kernel<<<hw_grid((size_t)B, 128), 128, 0, g->stream>>>(
        dlogits, s, probs, probs2, targets, B, C);
    HW_LAUNCH_CHECK();
    return 0;
}
