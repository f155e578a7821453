// Metric-learning losses (nn_loss.c): contrastive and triplet on distances, and
// (Multiview)SINCERE on unit-norm rows.
//
// Batch means are summed by one block in double (deterministic, as close to the C op's
// double sum as a tree order allows). SINCERE runs a block per anchor row over the logits
// S = z z^T / tau (cuBLAS), with the per-row terms summed by a second one-block kernel; its
// backward writes the gradient G = dL/dS (already divided by tau) into the caller's N x N
// scratch, then dz += G z + G^T z as two GEMMs, the two halves of the C op's symmetric
// update.
#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_ops.h"

#define HW_LOSS_BLOCK 256

__global__ static void contrastive_forward_kernel(float *loss, const float *dist, const float *y,
                                                  float margin, int B) {
    double total = 0.0;
    for (int b = threadIdx.x; b < B; b += blockDim.x) {
        double d = dist[b], h = margin - d;
        if (h < 0.0) h = 0.0;
        total += (1.0 - y[b]) * d * d + y[b] * h * h;
    }
    total = hw_block_sum(total);
    if (threadIdx.x == 0) *loss = (float)(total / B);
}

__global__ static void contrastive_backward_kernel(float *ddist, float s, const float *dist,
                                                   const float *y, float margin, int B) {
    for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < B; b += gridDim.x * blockDim.x) {
        float d = dist[b], h = margin - d;
        if (h < 0.0f) h = 0.0f;
        ddist[b] += s * (2.0f * (1.0f - y[b]) * d - 2.0f * y[b] * h);
    }
}

__global__ static void triplet_forward_kernel(float *loss, const float *d_ap, const float *d_an,
                                              float margin, int B) {
    double total = 0.0;
    for (int b = threadIdx.x; b < B; b += blockDim.x) {
        double h = (double)d_ap[b] - d_an[b] + margin;
        total += h > 0.0 ? h : 0.0;
    }
    total = hw_block_sum(total);
    if (threadIdx.x == 0) *loss = (float)(total / B);
}

__global__ static void triplet_backward_kernel(float *dd_ap, float *dd_an, float s,
                                               const float *d_ap, const float *d_an, float margin,
                                               int B) {
    for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < B; b += gridDim.x * blockDim.x) {
        // torch's clamp_min passes the gradient where the argument is >= 0
        if (d_ap[b] - d_an[b] + margin >= 0.0f) {
            dd_ap[b] += s;
            dd_an[b] -= s;
        }
    }
}

// ---- SINCERE ----------------------------------------------------------------------------

__device__ static double logaddexp(double a, double b) {
    if (b == -INFINITY) return a;
    double m = a > b ? a : b;
    return m + log(exp(a - m) + exp(b - m));
}

// log(sum over the negatives n of row i of exp(S_in)), -inf when there are none; the
// number of positives (same label, not i) in *npos. Every thread of the block gets both.
__device__ static double row_negatives(const float *S, const int32_t *labels, int i, int N, int V,
                                       int *npos) {
    const int32_t li = labels[i / V];
    float m = -INFINITY;
    int np = 0;
    for (int n = threadIdx.x; n < N; n += blockDim.x) {
        if (labels[n / V] != li)
            m = fmaxf(m, S[n]);
        else
            np += n != i;
    }
    m = hw_block_max(m);
    *npos = hw_block_sum_int(np);
    if (m == -INFINITY) return -INFINITY;
    double sum = 0.0;
    for (int n = threadIdx.x; n < N; n += blockDim.x)
        if (labels[n / V] != li) sum += exp((double)S[n] - m);
    return m + log(hw_block_sum(sum));
}

// term[i] = mean over the positives p of row i of logaddexp(S_ip, lneg) - S_ip (0 if none)
__global__ static void sincere_rows_kernel(double *term, const float *logits,
                                           const int32_t *labels, int N, int V) {
    const int i = blockIdx.x;
    const float *S = logits + (size_t)i * N;
    int npos;
    const double lneg = row_negatives(S, labels, i, N, V, &npos);
    const int32_t li = labels[i / V];
    double acc = 0.0;
    for (int p = threadIdx.x; p < N; p += blockDim.x)
        if (p != i && labels[p / V] == li) acc += logaddexp(S[p], lneg) - S[p];
    acc = hw_block_sum(acc);
    if (threadIdx.x == 0) term[i] = npos ? acc / npos : 0.0;
}

__global__ static void sum_terms_kernel(float *loss, const double *term, int N) {
    double total = 0.0;
    for (int i = threadIdx.x; i < N; i += blockDim.x) total += term[i];
    total = hw_block_sum(total);
    if (threadIdx.x == 0) *loss = (float)(total / N);
}

// Row i of G = dL/dS / tau (nn_loss.c's g values): positives c (sigma_ip - 1) / tau,
// negatives c e^(S_in - lneg) sum_p (1 - sigma_ip) / tau, c = dloss / (N |P(i)|).
__global__ static void sincere_grad_rows_kernel(float *G, const float *logits,
                                                const int32_t *labels, float dloss, float tau,
                                                int N, int V) {
    const int i = blockIdx.x;
    const float *S = logits + (size_t)i * N;
    float *Gi = G + (size_t)i * N;
    int npos;
    const double lneg = row_negatives(S, labels, i, N, V, &npos);
    const int32_t li = labels[i / V];
    if (!npos) { // an anchor without positives adds nothing (the C op's guard)
        for (int j = threadIdx.x; j < N; j += blockDim.x) Gi[j] = 0.0f;
        return;
    }
    const double c = (double)dloss / ((double)N * npos);
    double rest = 0.0; // sum_p (1 - sigma_ip)
    for (int j = threadIdx.x; j < N; j += blockDim.x)
        if (j != i && labels[j / V] == li)
            rest += lneg == -INFINITY ? 0.0 : exp(lneg - logaddexp(S[j], lneg));
    rest = hw_block_sum(rest);
    for (int j = threadIdx.x; j < N; j += blockDim.x) {
        float gij = 0.0f;
        if (labels[j / V] != li) {
            if (lneg != -INFINITY) gij = (float)(c * exp(S[j] - lneg) * rest / tau);
        } else if (j != i) {
            double oms = lneg == -INFINITY ? 0.0 : exp(lneg - logaddexp(S[j], lneg));
            gij = (float)(c * -oms / tau);
        }
        Gi[j] = gij;
    }
}

extern "C" int gpu_contrastive_loss_forward(hw_gpu *g, float *loss, const float *dist,
                                            const float *y, float margin, int B) {
    contrastive_forward_kernel<<<1, HW_LOSS_BLOCK, 0, g->stream>>>(loss, dist, y, margin, B);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_contrastive_loss_backward(hw_gpu *g, float *ddist, float dloss,
                                             const float *dist, const float *y, float margin,
                                             int B) {
    const float s = dloss / (float)B;
    contrastive_backward_kernel<<<hw_grid((size_t)B, 128), 128, 0, g->stream>>>(ddist, s, dist, y,
                                                                               margin, B);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_triplet_loss_forward(hw_gpu *g, float *loss, const float *d_ap,
                                        const float *d_an, float margin, int B) {
    triplet_forward_kernel<<<1, HW_LOSS_BLOCK, 0, g->stream>>>(loss, d_ap, d_an, margin, B);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_triplet_loss_backward(hw_gpu *g, float *dd_ap, float *dd_an, float dloss,
                                         const float *d_ap, const float *d_an, float margin,
                                         int B) {
    const float s = dloss / (float)B;
    triplet_backward_kernel<<<hw_grid((size_t)B, 128), 128, 0, g->stream>>>(dd_ap, dd_an, s, d_ap,
                                                                           d_an, margin, B);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_sincere_loss_forward(hw_gpu *g, float *loss, float *logits, const float *z,
                                        const int32_t *labels, float tau, int N, int V, int D) {
    if (N < 1 || V < 1 || N % V)
        return hw_fail("cuda sincere: %d rows are not a whole number of %d-view items", N, V);
    // S [N, N] = z z^T / tau; row-major S is column-major S^T = (z^T)^T z^T, z's memory = z^T
    const float alpha = 1.0f / tau, zero = 0.0f;
    HW_CUBLAS_CHECK(cublasSgemm(g->cublas, CUBLAS_OP_T, CUBLAS_OP_N, N, N, D, &alpha, z, D, z, D,
                                &zero, logits, N));
    void *ws = NULL; // the per-row terms: the context's workspace is free between ops
    if (hw_gpu_workspace(g, (size_t)N * sizeof(double), &ws)) return -1;
    sincere_rows_kernel<<<N, 128, 0, g->stream>>>((double *)ws, logits, labels, N, V);
    HW_LAUNCH_CHECK();
    sum_terms_kernel<<<1, HW_LOSS_BLOCK, 0, g->stream>>>(loss, (const double *)ws, N);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int gpu_sincere_loss_backward(hw_gpu *g, float *dz, float *scratch, float dloss,
                                         const float *logits, const float *z,
                                         const int32_t *labels, float tau, int N, int V, int D) {
    if (N < 1 || V < 1 || N % V)
        return hw_fail("cuda sincere: %d rows are not a whole number of %d-view items", N, V);
    float *G = scratch;
    sincere_grad_rows_kernel<<<N, 128, 0, g->stream>>>(G, logits, labels, dloss, tau, N, V);
    HW_LAUNCH_CHECK();
    const float one = 1.0f;
    // dz [N, D] += G z: column-major dz^T [D, N] += z^T [D, N] . G^T [N, N]
    HW_CUBLAS_CHECK(cublasSgemm(g->cublas, CUBLAS_OP_N, CUBLAS_OP_N, D, N, N, &one, z, D, G, N,
                                &one, dz, D));
    // dz += G^T z: dz^T += z^T . G
    HW_CUBLAS_CHECK(cublasSgemm(g->cublas, CUBLAS_OP_N, CUBLAS_OP_T, D, N, N, &one, z, D, G, N,
                                &one, dz, D));
    return 0;
}
