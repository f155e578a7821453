/* Max pooling with stored argmax, as torch.nn.MaxPool2d (floor mode, implicit -inf
 * padding, first maximum wins, a NaN is taken as the maximum). */
#include "hitwin/nn.h"

#include "nn_conv2d_direct.h" /* nn_direct_cpu_ok: AVX2 + FMA present; nn_pool2x2_row_avx2 */

#include <math.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define NN_HAVE_AVX2_POOL 1
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma")))

/* take v where v > m or v is NaN: the scalar rule below, 8 lanes at a time */
#define POOL_TAKE(v, m) _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q))

/* 2x2 stride 2, one output row: 8 outputs per step from 16 columns of both input rows,
 * split into even and odd columns; the four candidates are compared in the scalar order
 * (r0 even, r0 odd, r1 even, r1 odd) so ties and NaNs resolve identically. base is the
 * plane index of r0[0]; r1's elements are W further on. */
AVX2 void nn_pool2x2_row_avx2(float *out, int32_t *argmax, const float *r0, const float *r1, int32_t base,
                              int W, int OW) {
    const __m256i lane2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    int ow = 0;
    for (; ow + 8 <= OW; ow += 8) {
        /* shuffle_ps picks within 128-bit halves; permute4x64 (0xD8) restores the order */
        const __m256 a0 = _mm256_loadu_ps(r0 + 2 * ow), b0 = _mm256_loadu_ps(r0 + 2 * ow + 8);
        const __m256 a1 = _mm256_loadu_ps(r1 + 2 * ow), b1 = _mm256_loadu_ps(r1 + 2 * ow + 8);
#define EVEN(a, b) _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8))
#define ODD(a, b) _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8))
        const __m256 e0 = EVEN(a0, b0), o0 = ODD(a0, b0), e1 = EVEN(a1, b1), o1 = ODD(a1, b1);
#undef EVEN
#undef ODD
        const __m256i i0 = _mm256_add_epi32(_mm256_set1_epi32(base + 2 * ow), lane2);
        __m256 m = e0, take;
        __m256i mi = i0;
        take = POOL_TAKE(o0, m);
        m = _mm256_blendv_ps(m, o0, take);
        mi = _mm256_blendv_epi8(mi, _mm256_add_epi32(i0, _mm256_set1_epi32(1)), _mm256_castps_si256(take));
        take = POOL_TAKE(e1, m);
        m = _mm256_blendv_ps(m, e1, take);
        mi = _mm256_blendv_epi8(mi, _mm256_add_epi32(i0, _mm256_set1_epi32(W)), _mm256_castps_si256(take));
        take = POOL_TAKE(o1, m);
        m = _mm256_blendv_ps(m, o1, take);
        mi = _mm256_blendv_epi8(mi, _mm256_add_epi32(i0, _mm256_set1_epi32(W + 1)), _mm256_castps_si256(take));
        _mm256_storeu_ps(out + ow, m);
        _mm256_storeu_si256((__m256i *)(argmax + ow), mi);
    }
    for (; ow < OW; ow++) { /* the scalar rule, as maxpool_2x2 */
        const int32_t i0 = base + 2 * ow;
        float m = r0[2 * ow];
        int32_t mi = i0;
        const float v[3] = {r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]};
        const int32_t vi[3] = {i0 + 1, i0 + W, i0 + W + 1};
        for (int k = 0; k < 3; k++)
            if (v[k] > m || v[k] != v[k]) m = v[k], mi = vi[k];
        out[ow] = m;
        argmax[ow] = mi;
    }
}

static void maxpool_2x2_avx2(float *out, int32_t *argmax, const float *x, int W, int OH, int OW) {
    for (int oh = 0; oh < OH; oh++) {
        const float *r0 = x + (size_t)(2 * oh) * W;
        nn_pool2x2_row_avx2(out + (size_t)oh * OW, argmax + (size_t)oh * OW, r0, r0 + W, 2 * oh * W, W, OW);
    }
}

/* dx[a] += g for one plane where every output's argmax usually lies in its own 2x2 block
 * (2x2 stride 2; true for any pool whose argmax happens to fall there): 8 outputs add
 * their gradient to the block position their argmax names, written back as two rows of
 * 16; a group with an argmax elsewhere (overlapping windows) goes through the scatter. */
static AVX2 void maxpool_backward_blocks_avx2(float *dx, const float *g, const int32_t *a, int W, int OH, int OW) {
    const __m256i lane2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    const __m256 zero = _mm256_setzero_ps();
    for (int oh = 0; oh < OH; oh++) {
        float *r0 = dx + (size_t)(2 * oh) * W, *r1 = r0 + W;
        const float *go = g + (size_t)oh * OW;
        const int32_t *ao = a + (size_t)oh * OW;
        int ow = 0;
        for (; ow + 8 <= OW; ow += 8) {
            const __m256i i0 = _mm256_add_epi32(_mm256_set1_epi32(2 * oh * W + 2 * ow), lane2);
            const __m256i ai = _mm256_loadu_si256((const __m256i *)(ao + ow));
            const __m256 gv = _mm256_loadu_ps(go + ow);
            const __m256 s00 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(ai, i0));
            const __m256 s01 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(ai, _mm256_add_epi32(i0, _mm256_set1_epi32(1))));
            const __m256 s10 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(ai, _mm256_add_epi32(i0, _mm256_set1_epi32(W))));
            const __m256 s11 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(ai, _mm256_add_epi32(i0, _mm256_set1_epi32(W + 1))));
            const __m256 inblock = _mm256_or_ps(_mm256_or_ps(s00, s01), _mm256_or_ps(s10, s11));
            if (_mm256_movemask_ps(inblock) != 0xFF) {
                for (int k = 0; k < 8; k++) dx[ao[ow + k]] += go[ow + k];
                continue;
            }
            /* blend, not and: a NaN or inf gradient must not turn the other three into NaN */
            const __m256 v00 = _mm256_blendv_ps(zero, gv, s00), v01 = _mm256_blendv_ps(zero, gv, s01);
            const __m256 v10 = _mm256_blendv_ps(zero, gv, s10), v11 = _mm256_blendv_ps(zero, gv, s11);
            /* interleave even/odd columns back: lanes (e0 o0 e1 o1 ...) over 16 floats */
            const __m256 lo0 = _mm256_unpacklo_ps(v00, v01), hi0 = _mm256_unpackhi_ps(v00, v01);
            const __m256 lo1 = _mm256_unpacklo_ps(v10, v11), hi1 = _mm256_unpackhi_ps(v10, v11);
            float *p0 = r0 + 2 * ow, *p1 = r1 + 2 * ow;
            _mm256_storeu_ps(p0, _mm256_add_ps(_mm256_loadu_ps(p0), _mm256_permute2f128_ps(lo0, hi0, 0x20)));
            _mm256_storeu_ps(p0 + 8, _mm256_add_ps(_mm256_loadu_ps(p0 + 8), _mm256_permute2f128_ps(lo0, hi0, 0x31)));
            _mm256_storeu_ps(p1, _mm256_add_ps(_mm256_loadu_ps(p1), _mm256_permute2f128_ps(lo1, hi1, 0x20)));
            _mm256_storeu_ps(p1 + 8, _mm256_add_ps(_mm256_loadu_ps(p1 + 8), _mm256_permute2f128_ps(lo1, hi1, 0x31)));
        }
        for (; ow < OW; ow++) dx[ao[ow]] += go[ow];
    }
}
#endif

int nn_pool_out_size(int in, int kernel, int stride, int pad) {
    return (in + 2 * pad - kernel) / stride + 1;
}

/* 2x2 stride 2 without padding (SLeNet): branch-free selects, same tie/NaN rule */
static void maxpool_2x2(float *out, int32_t *argmax, const float *x, int H, int W, int OH, int OW) {
    for (int oh = 0; oh < OH; oh++) {
        const float *r0 = x + (size_t)(2 * oh) * W, *r1 = r0 + W;
        for (int ow = 0; ow < OW; ow++) {
            int i0 = 2 * oh * W + 2 * ow;
            float m = r0[2 * ow];
            int32_t mi = i0;
            float v = r0[2 * ow + 1];
            int take = (v > m) | (v != v);
            m = take ? v : m, mi = take ? i0 + 1 : mi;
            v = r1[2 * ow];
            take = (v > m) | (v != v);
            m = take ? v : m, mi = take ? i0 + W : mi;
            v = r1[2 * ow + 1];
            take = (v > m) | (v != v);
            m = take ? v : m, mi = take ? i0 + W + 1 : mi;
            out[oh * OW + ow] = m;
            argmax[oh * OW + ow] = mi;
        }
    }
    (void)H;
}

void maxpool2d_forward(float *out, int32_t *argmax, const float *inp, int B, int C, int H, int W,
                       int kernel, int stride, int pad) {
    const int OH = nn_pool_out_size(H, kernel, stride, pad);
    const int OW = nn_pool_out_size(W, kernel, stride, pad);
    for (size_t plane = 0; plane < (size_t)B * C; plane++) {
        const float *x = inp + plane * H * W;
        float *o = out + plane * OH * OW;
        int32_t *a = argmax + plane * OH * OW;
        if (kernel == 2 && stride == 2 && pad == 0) {
#ifdef NN_HAVE_AVX2_POOL
            if (nn_direct_cpu_ok()) {
                maxpool_2x2_avx2(o, a, x, W, OH, OW);
                continue;
            }
#endif
            maxpool_2x2(o, a, x, H, W, OH, OW);
            continue;
        }
        for (int oh = 0; oh < OH; oh++) {
            int h0 = oh * stride - pad, h1 = h0 + kernel;
            if (h0 < 0) h0 = 0;
            if (h1 > H) h1 = H;
            for (int ow = 0; ow < OW; ow++) {
                int w0 = ow * stride - pad, w1 = w0 + kernel;
                if (w0 < 0) w0 = 0;
                if (w1 > W) w1 = W;
                float m = -INFINITY;
                int32_t mi = h0 * W + w0;
                for (int h = h0; h < h1; h++) {
                    for (int w = w0; w < w1; w++) {
                        float v = x[h * W + w];
                        if (v > m || isnan(v)) { /* torch's rule: a later NaN wins too */
                            m = v;
                            mi = h * W + w;
                        }
                    }
                }
                o[oh * OW + ow] = m;
                a[oh * OW + ow] = mi;
            }
        }
    }
}

void maxpool2d_backward(float *dinp, const float *dout, const int32_t *argmax, int B, int C, int H,
                        int W, int OH, int OW) {
#ifdef NN_HAVE_AVX2_POOL
    const int blocks = nn_direct_cpu_ok() && 2 * OH <= H && 2 * OW <= W;
#endif
    for (size_t plane = 0; plane < (size_t)B * C; plane++) {
        float *dx = dinp + plane * H * W;
        const float *g = dout + plane * OH * OW;
        const int32_t *a = argmax + plane * OH * OW;
#ifdef NN_HAVE_AVX2_POOL
        if (blocks) {
            maxpool_backward_blocks_avx2(dx, g, a, W, OH, OW);
            continue;
        }
#endif
        for (int i = 0; i < OH * OW; i++) dx[a[i]] += g[i];
    }
}
