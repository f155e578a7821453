// Integrated gradients on the GPU SLeNet (gpu_slenet.h: hw_gpu_slenet_path_grad), op for op
// as src/model/slenet_saliency.c's hw_slenet_path_grad: on prepared inputs (the caller applied
// the normalisation and the mask), in evaluation mode (no dropout), with the gradient of the
// embedding distance taken down to the input and none into the weights.
//
// One call is one straight path from -> to, n interpolants measured against one embedding:
//  - conv1 is linear, so the interpolants' conv1 outputs are base + alpha slope, with
//    base = conv1(from) + bias and slope = conv1(to - from): two convolutions of one tile;
//  - passes of up to HW_GPU_IG_PASS interpolants through pool, conv2, pool, linear-GELU twice,
//    in the activation arena (reserved as hw_gpu_slenet_embed's chunks are); the distance's
//    gradient per row (ig_distance_kernel: hw_ig_distance's double arithmetic, operation for
//    operation); back to conv1's pooled output through the input-gradient half of each
//    backward op only (NULL weight and bias gradients: the model's gradient buffer, which
//    training owns, is never touched, and no 44,944 x 120 weight GEMM is paid for);
//  - the rows' conv1-output gradients summed (pool_backward_rowsum_kernel, in row order as the
//    C loop adds them), and one transposed convolution of the sum after the last pass gives
//    the sum of the input gradients, downloaded and added into the host's double gsum.
// Always fp32, whatever hw_gpu_slenet_set_precision says: the ops are called directly, never
// through slenet_cuda.cu's bf16 wrappers. An attribution is a mean of gradients along a path,
// and bf16's 2^-9 roundings four layers deep would sit well above the differences it shows;
// the saliency stage's model is fp32 in any case (a new GPU model's precision).
#include <stdlib.h>

#include "slenet_cuda_internal.cuh"

// d = to - from
__global__ static void diff_kernel(float *d, const float *to, const float *from, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        d[i] = __fsub_rn(to[i], from[i]);
}

// c1[i, q] = base[q] + alpha[i] slope[q] for rows i < k of Q values: the C loop's float
// multiply and add, each rounded (no FMA), so a row of alpha 0 is base exactly
__global__ static void path_kernel(float *c1, const float *base, const float *slope,
                                   const float *alpha, int k, size_t Q) {
    const size_t n = (size_t)k * Q;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const size_t q = i % Q;
        c1[i] = __fadd_rn(base[q], __fmul_rn(alpha[i / Q], slope[q]));
    }
}

// hw_ig_distance's gradient of D(a, b) with respect to a (grad_b 0) or b (grad_b 1), D values,
// into g (subtract 0) or subtracted from g (subtract 1: g - grad, each rounded as the C loop's
// float subtraction). The sequential double sums are the C loop's, in its order, with every
// operation explicitly rounded (nvcc would otherwise fuse them into FMAs).
__device__ static void distance_grad(float *g, const float *a, const float *b, int D, int grad_b,
                                     int cosine, int subtract) {
    if (!cosine) { // torch.pairwise_distance: ||a - b + 1e-6||
        const double sign = grad_b ? -1.0 : 1.0;
        double ss = 0.0;
        for (int j = 0; j < D; j++) {
            const double d = __dadd_rn(__dsub_rn((double)a[j], (double)b[j]), 1e-6);
            ss = __dadd_rn(ss, __dmul_rn(d, d));
        }
        const double dist = __dsqrt_rn(ss);
        for (int j = 0; j < D; j++) {
            const double d = __dadd_rn(__dsub_rn((double)a[j], (double)b[j]), 1e-6);
            const float v = dist > 0.0 ? (float)__ddiv_rn(__dmul_rn(sign, d), dist) : 0.0f;
            g[j] = subtract ? __fsub_rn(g[j], v) : v;
        }
        return;
    }
    if (grad_b) { // 1 - cosine is symmetric
        const float *t = a;
        a = b;
        b = t;
    }
    // 1 - a.b / max(|a| |b|, 1e-8)
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (int j = 0; j < D; j++) {
        ab = __dadd_rn(ab, __dmul_rn((double)a[j], (double)b[j]));
        aa = __dadd_rn(aa, __dmul_rn((double)a[j], (double)a[j]));
        bb = __dadd_rn(bb, __dmul_rn((double)b[j], (double)b[j]));
    }
    double den = __dmul_rn(__dsqrt_rn(aa), __dsqrt_rn(bb));
    const int clamped = den < 1e-8;
    if (clamped) den = 1e-8;
    const double cs = __ddiv_rn(ab, den);
    for (int j = 0; j < D; j++) {
        // d(1 - cos)/da = -(b / den - cos a / |a|^2); with the clamp den is a constant
        double gj = __ddiv_rn((double)b[j], den);
        if (!clamped && aa > 0.0) gj = __dsub_rn(gj, __ddiv_rn(__dmul_rn(cs, (double)a[j]), aa));
        const float v = (float)-gj;
        g[j] = subtract ? __fsub_rn(g[j], v) : v;
    }
}

// demb[i] = the gradient of D with respect to emb[i] (hw_ig_row_gradient), rows i < k of D
// values, with the row's role as hw_ig_path_role gives it for `second`: D(emb_i, o) or, with
// HW_IG_SECOND, D(o, emb_i); o = other, or emb_i itself on a row of alpha 0 (HW_IG_BASELINE:
// the reference's two forwards of the baseline are equal, and so the pairwise eps alone sets
// the direction there). With HW_IG_BOTH, other is [from's, to's] embedding and the gradient
// is that of D(emb_i, from's) - D(to's, emb_i), to's being emb_i itself at alpha 1. One thread
// per row: D is 83 wide, k at most HW_GPU_IG_PASS.
__global__ static void ig_distance_kernel(float *demb, const float *emb, const float *other,
                                          const float *alpha, int k, int D, int second,
                                          int cosine) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= k) return;
    const float *e = emb + (size_t)i * D, *o = alpha[i] == 0.0f ? e : other;
    float *g = demb + (size_t)i * D;
    if (second & HW_IG_BOTH) {
        const float *to = alpha[i] == 1.0f ? e : other + D;
        distance_grad(g, e, o, D, 0, cosine, 0);
        distance_grad(g, to, e, D, 1, cosine, 1);
        return;
    }
    if (second) distance_grad(g, o, e, D, 1, cosine, 0);
    else distance_grad(g, e, o, D, 0, cosine, 0);
}

// dsum[c, h, w] += the pooled gradients dp1[i, c, oh, ow] of the outputs whose argmax is
// (h, w), over rows i < k: maxpool2d_backward of each row into the same [C, H, W] sum, as the
// C loop calls it row by row. Gathered per element in row order, then output order, which is
// the sequence of additions the C loop makes into that element: no atomics, deterministic.
__global__ static void pool_backward_rowsum_kernel(float *dsum, const float *dp1,
                                                   const int32_t *argmax, int k, int C, int H,
                                                   int W, int OH, int OW, int kernel,
                                                   int stride) {
    const size_t n = (size_t)C * H * W, plane = (size_t)OH * OW;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const int c = (int)(i / ((size_t)H * W));
        const int w = (int)(i % W), h = (int)(i / W % H), self = h * W + w;
        // outputs whose window [o stride, o stride + kernel) holds h (w alike); no padding
        const int oh0 = max(0, (h - kernel + stride) / stride), oh1 = min(OH - 1, h / stride);
        const int ow0 = max(0, (w - kernel + stride) / stride), ow1 = min(OW - 1, w / stride);
        float acc = dsum[i];
        for (int r = 0; r < k; r++) {
            const size_t at = ((size_t)r * C + c) * plane;
            const int32_t *a = argmax + at;
            const float *g = dp1 + at;
            for (int oh = oh0; oh <= oh1; oh++)
                for (int ow = ow0; ow <= ow1; ow++)
                    if (a[oh * OW + ow] == self) acc += g[oh * OW + ow];
        }
        dsum[i] = acc;
    }
}

// ---- the path's own buffers (path_scratch) ---------------------------------------------------

static void scratch_layout(hw_gpu_slenet *s, carver *c) {
    const size_t S2 = (size_t)s->S * s->S, Q = (size_t)s->C1 * s->CS1 * s->CS1;
    path_scratch *w = &s->ig;
    w->from = carve<float>(c, S2);
    w->to = carve<float>(c, S2);
    w->d = carve<float>(c, S2);
    w->base = carve<float>(c, Q);
    w->slope = carve<float>(c, Q);
    w->dsum = carve<float>(c, Q);
    w->dx = carve<float>(c, S2);
    w->other = carve<float>(c, 2 * (size_t)s->D); // HW_IG_BOTH: from's and to's
    w->alpha = carve<float>(c, HW_GPU_IG_PASS);
}

static int scratch(hw_gpu_slenet *s) {
    if (s->ig.mem) return 0;
    carver c = {NULL, 0};
    scratch_layout(s, &c);
    if (hw_gpu_alloc(&s->ig.mem, c.off))
        return hw_fail_prefix("cuda slenet: integrated-gradient buffers");
    c.base = (char *)s->ig.mem; // cudaMalloc is 256-byte aligned
    c.off = 0;
    scratch_layout(s, &c);
    return 0;
}

// ---- one pass of k interpolants ------------------------------------------------------------

// slenet_saliency.c's rest_forward_backward after the interpolants' conv1 outputs, for rows
// whose alphas are in s->ig.alpha: forward, the distance's gradient, backward to conv1's
// pooled output, and that gradient through each row's pooling added into s->ig.dsum.
static int pass(hw_gpu_slenet *s, int k, int second, hw_ig_measure measure) {
    hw_gpu *g = s->g;
    acts *a = &s->act;
    path_scratch *w = &s->ig;
    const size_t K = (size_t)k, F = (size_t)s->F, H1 = (size_t)s->H1, D = (size_t)s->D;
    const size_t Q = (size_t)s->C1 * s->CS1 * s->CS1, fs = sizeof(float);
    const size_t nc2 = K * s->C2 * s->CS2 * s->CS2, np1 = K * s->C1 * s->P1 * s->P1;
    path_kernel<<<hw_grid(K * Q, 256), 256, 0, g->stream>>>(s->c1, w->base, w->slope, w->alpha,
                                                             k, Q);
    HW_LAUNCH_CHECK();
    NnConv2dDims d2 = conv2_dims(s, k);
    if (gpu_maxpool2d_forward(g, a->p1, a->a1, s->c1, k, s->C1, s->CS1, s->CS1, 2, 2, 0) ||
        gpu_conv2d_forward(g, s->c2, a->p1, P(s, W2), P(s, B2), &d2) ||
        gpu_maxpool2d_forward(g, s->p2, a->a2, s->c2, k, s->C2, s->CS2, s->CS2, 2, 2, 0) ||
        // evaluation mode: no dropout, linear.1 reads the pooled features themselves
        gpu_linear_forward(g, a->h1, s->p2, P(s, FC1W), P(s, FC1B), k, s->F, s->H1) ||
        gpu_gelu_forward(g, a->g1, a->h1, K * H1) ||
        gpu_linear_forward(g, a->h2, a->g1, P(s, FC2W), P(s, FC2B), k, s->H1, s->D) ||
        gpu_gelu_forward(g, a->emb, a->h2, K * D))
        return -1;
    ig_distance_kernel<<<(k + 63) / 64, 64, 0, g->stream>>>(s->demb, a->emb, w->other, w->alpha, k,
                                                            s->D, second,
                                                            measure == HW_IG_COSINE);
    HW_LAUNCH_CHECK();
    // backward, input gradients only. conv1's output has been pooled (its argmax a1 is all
    // the backward needs), so its room holds dp2 [k, F]; conv2's output likewise holds dc2.
    float *dp2 = s->c1, *dc2 = s->c2;
    if (hw_gpu_zero(g, s->dh2, K * D * fs) || gpu_gelu_backward(g, s->dh2, s->demb, a->h2, K * D) ||
        hw_gpu_zero(g, s->dg1, K * H1 * fs) ||
        gpu_linear_backward(g, s->dg1, NULL, NULL, s->dh2, a->g1, P(s, FC2W), k, s->H1, s->D) ||
        hw_gpu_zero(g, s->dh1, K * H1 * fs) || gpu_gelu_backward(g, s->dh1, s->dg1, a->h1, K * H1) ||
        hw_gpu_zero(g, dp2, K * F * fs) ||
        gpu_linear_backward(g, dp2, NULL, NULL, s->dh1, s->p2, P(s, FC1W), k, s->F, s->H1) ||
        hw_gpu_zero(g, dc2, nc2 * fs) ||
        gpu_maxpool2d_backward(g, dc2, dp2, a->a2, k, s->C2, s->CS2, s->CS2, 2, 2, 0) ||
        hw_gpu_zero(g, s->dp1, np1 * fs) ||
        gpu_conv2d_backward(g, s->dp1, NULL, NULL, dc2, a->p1, P(s, W2), &d2))
        return -1;
    pool_backward_rowsum_kernel<<<hw_grid(Q, 256), 256, 0, g->stream>>>(
        w->dsum, s->dp1, a->a1, k, s->C1, s->CS1, s->CS1, s->P1, s->P1, 2, 2);
    HW_LAUNCH_CHECK();
    return 0;
}

extern "C" int hw_gpu_slenet_path_grad(hw_gpu_slenet *s, const float *from, const float *to,
                                       const float *alpha, int n, const float *other, int second,
                                       hw_ig_measure measure, double *gsum) {
    if (n < 0) return hw_fail("cuda slenet: a path of %d interpolants", n);
    if (n == 0) return 0; // the C path adds the transposed convolution of zeros: nothing
    hw_gpu *g = s->g;
    const size_t S2 = (size_t)s->S * s->S, Q = (size_t)s->C1 * s->CS1 * s->CS1, fs = sizeof(float);
    path_scratch *w = &s->ig;
    if (scratch(s) || hw_gpu_slenet_reserve(s, n < HW_GPU_IG_PASS ? n : HW_GPU_IG_PASS, 1))
        return -1;
    if (hw_gpu_upload(g, w->from, from, S2 * fs) || hw_gpu_upload(g, w->to, to, S2 * fs) ||
        hw_gpu_upload(g, w->other, other, (second & HW_IG_BOTH ? 2 : 1) * (size_t)s->D * fs))
        return -1;
    diff_kernel<<<hw_grid(S2, 256), 256, 0, g->stream>>>(w->d, w->to, w->from, S2);
    HW_LAUNCH_CHECK();
    // conv1(from + a d) = (W * from + b) + a (W * d): two convolutions for the whole path
    NnConv2dDims one = conv1_dims(s, 1);
    if (gpu_conv2d_forward(g, w->base, w->from, P(s, W1), P(s, B1), &one) ||
        gpu_conv2d_forward(g, w->slope, w->d, P(s, W1), NULL, &one) ||
        hw_gpu_zero(g, w->dsum, Q * fs))
        return -1;
    for (int i0 = 0; i0 < n; i0 += HW_GPU_IG_PASS) {
        const int k = n - i0 < HW_GPU_IG_PASS ? n - i0 : HW_GPU_IG_PASS;
        // the upload waits for the stream, so the previous pass has read its alphas
        if (hw_gpu_upload(g, w->alpha, alpha + i0, (size_t)k * fs) || pass(s, k, second, measure))
            return -1;
    }
    // conv1's input gradient is linear in its output gradient: one transposed convolution of
    // the summed gradients is the sum of the n input gradients
    if (hw_gpu_zero(g, w->dx, S2 * fs) ||
        gpu_conv2d_backward(g, w->dx, NULL, NULL, w->dsum, NULL, P(s, W1), &one))
        return -1;
    float *dx = (float *)malloc(S2 * fs);
    if (!dx) return hw_fail("cuda slenet: out of host memory");
    int rc = hw_gpu_download(g, dx, w->dx, S2 * fs);
    if (!rc)
        for (size_t p = 0; p < S2; p++) gsum[p] += dx[p];
    free(dx);
    return rc;
}
