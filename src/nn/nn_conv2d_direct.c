/* Direct convolution kernels for few channels (SLeNet's 1->6 and 6->16 5x5 convs), AVX2 +
 * FMA, chosen at run time; nn_conv2d.c falls back to im2col + sgemm elsewhere.
 *
 * Why: with M = 6 or 16 output channels the sgemm of im2col spends a third of its time
 * packing, and the column matrix is 25x (150/6x) the image. Here the image is read in
 * place:
 *  - forward: a tile of up to 6 output channels x 16 columns lives in 12 ymm registers;
 *    each tap (c, kh, kw) loads 2 input vectors and broadcasts 6 weights for 12 FMAs.
 *  - input gradient: the forward kernel on dout zero-padded by KH-1, KW-1 with the
 *    weights transposed and flipped (dense: scattering 5-wide weight rows at the nonzeros
 *    was slower, its 8-lane read-modify-writes cost ~3 cycles a row).
 *  - weight gradient: after a max pool only one dout in four is nonzero. Listing the
 *    nonzeros of each output channel once lets dweight gather 8-lane input rows at them
 *    (KW <= 8 lanes used), a quarter of the dense work. A dense dout (more than a third
 *    nonzero) goes to im2col instead.
 *  - conv + 2x2 max pool (nn_conv2d_pool.c): conv rows pooled while in L1; the entries
 *    taken straight from the pooled gradient and its argmax.
 * Entries whose 8 lanes would run past the end of an input row ("edge" entries) use
 * masked loads, so nothing outside the row is read.
 */
#include "nn_conv2d_direct.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define NN_HAVE_AVX2_KERNELS 1
#include <immintrin.h>
#endif

/* Limits of the register tiles below. */
#define FWD_MAX_OC 6     /* output channels per forward tile */
#define FWD_MAX_V 2      /* 8-float vectors per forward tile */
#define DW_MAX_ROWS 12   /* (c, kh) rows of dweight accumulated in registers at once */
#define DW_CHUNK 64      /* entries summed in registers before they are added to memory */
#define DIRECT_MAX_C 16  /* beyond these channel counts sgemm's arithmetic dominates */
#define DIRECT_MAX_OC 64

static int shape_basics(const NnConv2dDims *d) {
    return d->stride == 1 && d->pad == 0 && d->groups == 1 && d->KW <= 8 && d->KH >= 1 &&
           d->KW >= 1 && d->H >= d->KH && d->W >= d->KW &&
           (size_t)d->C * d->H * d->W < ((size_t)1 << 29); /* entry codes and row offsets are int32 */
}

int nn_direct_forward_fits(const NnConv2dDims *d) {
    return nn_direct_cpu_ok() && shape_basics(d) && nn_conv2d_out_w(d) >= 8 && d->C <= DIRECT_MAX_C &&
           d->OC <= DIRECT_MAX_OC;
}

int nn_direct_dweight_fits(const NnConv2dDims *d) {
    return nn_direct_cpu_ok() && shape_basics(d) && d->C <= DIRECT_MAX_C && d->OC <= DIRECT_MAX_OC;
}

int nn_direct_dinp_fits(const NnConv2dDims *d) { /* the transposed conv's forward fits */
    return nn_direct_cpu_ok() && shape_basics(d) && d->W >= 8 && d->OC <= DIRECT_MAX_C &&
           d->C <= DIRECT_MAX_OC;
}

/* nonzeros of one image's dout that the sparse path still takes */
static size_t entry_cap(const NnConv2dDims *d) {
    return (size_t)d->OC * nn_conv2d_out_h(d) * nn_conv2d_out_w(d) / 3;
}

/* scratch of dweight: dwpad [OC*C*KH][8] | roff [C*KH] | start [OC+1] | code [cap+8] |
 * g [cap+8] (int32 and float share the float-sized slots); of dinp: flipped weights |
 * padded dout [OC, H+KH-1, W+KW-1]. */
size_t nn_direct_scratch_floats(const NnConv2dDims *d) {
    size_t rows = (size_t)d->C * d->KH;
    size_t dw = (size_t)d->OC * rows * 8 + rows + (size_t)d->OC + 1 + 2 * (entry_cap(d) + 8);
    size_t di = (size_t)d->OC * rows * d->KW + (size_t)d->OC * (d->H + d->KH - 1) * (d->W + d->KW - 1);
    size_t fp = (size_t)d->OC * 2 * nn_conv2d_out_w(d); /* fused forward: two conv rows */
    size_t m = dw > di ? dw : di;
    return (m > fp ? m : fp) + 16;
}

#ifdef NN_HAVE_AVX2_KERNELS

/* lane indices of the set bits of each 8-bit mask, in order: the left-pack of a vector */
static int32_t pack_lut[256][8];

static void build_pack_lut(void) {
    for (int m = 0; m < 256; m++) {
        int k = 0;
        for (int l = 0; l < 8; l++)
            if (m >> l & 1) pack_lut[m][k++] = l;
        while (k < 8) pack_lut[m][k++] = 0;
    }
}

int nn_direct_cpu_ok(void) {
    static int ok = -1;
    if (ok < 0) {
        __builtin_cpu_init();
        ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        if (ok) build_pack_lut();
    }
    return ok;
}

#define AVX2 __attribute__((target("avx2,fma")))
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* ---- forward ------------------------------------------------------------------------ */

/* Output row oh of channels oc0 .. oc0+OCB-1 into out_row (channel oc0's row; channel
 * oc0+o's is o*plane floats further), in tiles of V vectors; add: out += conv (bias
 * ignored) instead of out = bias + conv. The last tile is shifted left to end at OW
 * (OW >= 8 V); it recomputes columns the tile before it did, which is harmless when
 * writing and is masked out of the store when adding. */
ALWAYS_INLINE AVX2 void fwd_row(float *out_row, size_t plane, const float *img, const float *w,
                                const float *bias, int add, const int OCB, const int V, int oc0,
                                int oh, const NnConv2dDims *d) {
    const int C = d->C, H = d->H, W = d->W, KH = d->KH, KW = d->KW;
    const int OW = nn_conv2d_out_w(d);
    const size_t OHW = plane;
    const size_t wstride = (size_t)C * KH * KW;
    const float *w0 = w + oc0 * wstride;
    for (int x = 0; x < OW; x += 8 * V) {
        const int ow0 = x + 8 * V <= OW ? x : OW - 8 * V;
        float *dst = out_row + ow0;
        /* the products are summed from 0 and the bias (or the old value) added last, as
         * sgemm's beta = 1 does: the sum rounds relative to its own size */
        __m256 acc[FWD_MAX_OC][FWD_MAX_V];
#pragma GCC unroll 6
        for (int o = 0; o < OCB; o++)
#pragma GCC unroll 2
            for (int v = 0; v < V; v++) acc[o][v] = _mm256_setzero_ps();
        for (int c = 0; c < C; c++) {
            for (int kh = 0; kh < KH; kh++) {
                const float *row = img + ((size_t)c * H + oh + kh) * W + ow0;
                const float *wr = w0 + ((size_t)c * KH + kh) * KW;
                for (int kw = 0; kw < KW; kw++) {
                    __m256 xin[FWD_MAX_V];
#pragma GCC unroll 2
                    for (int v = 0; v < V; v++) xin[v] = _mm256_loadu_ps(row + kw + 8 * v);
#pragma GCC unroll 6
                    for (int o = 0; o < OCB; o++) {
                        const __m256 wb = _mm256_broadcast_ss(wr + o * wstride + kw);
#pragma GCC unroll 2
                        for (int v = 0; v < V; v++) acc[o][v] = _mm256_fmadd_ps(wb, xin[v], acc[o][v]);
                    }
                }
            }
        }
#pragma GCC unroll 6
        for (int o = 0; o < OCB; o++) {
            const __m256 b = _mm256_set1_ps(bias ? bias[oc0 + o] : 0.0f);
#pragma GCC unroll 2
            for (int v = 0; v < V; v++)
                acc[o][v] = _mm256_add_ps(acc[o][v], add ? _mm256_loadu_ps(dst + (size_t)o * OHW + 8 * v) : b);
        }
        if (add && ow0 != x) { /* store only the columns >= x, which no tile has added to yet */
            const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
#pragma GCC unroll 6
            for (int o = 0; o < OCB; o++)
#pragma GCC unroll 2
                for (int v = 0; v < V; v++) {
                    const __m256i col = _mm256_add_epi32(lane, _mm256_set1_epi32(ow0 + 8 * v));
                    _mm256_maskstore_ps(dst + (size_t)o * OHW + 8 * v,
                                        _mm256_cmpgt_epi32(col, _mm256_set1_epi32(x - 1)), acc[o][v]);
                }
            continue;
        }
#pragma GCC unroll 6
        for (int o = 0; o < OCB; o++)
#pragma GCC unroll 2
            for (int v = 0; v < V; v++) _mm256_storeu_ps(dst + (size_t)o * OHW + 8 * v, acc[o][v]);
    }
}

typedef void (*fwd_row_fn)(float *, size_t, const float *, const float *, const float *, int, int,
                           int, const NnConv2dDims *);
#define FWD_ROW(OCB, V)                                                                          \
    static AVX2 void fwd_row_##OCB##x##V(float *out_row, size_t plane, const float *img,        \
                                         const float *w, const float *bias, int add, int oc0,   \
                                         int oh, const NnConv2dDims *d) {                       \
        fwd_row(out_row, plane, img, w, bias, add, OCB, V, oc0, oh, d);                          \
    }
FWD_ROW(1, 1) FWD_ROW(2, 1) FWD_ROW(3, 1) FWD_ROW(4, 1) FWD_ROW(5, 1) FWD_ROW(6, 1)
FWD_ROW(1, 2) FWD_ROW(2, 2) FWD_ROW(3, 2) FWD_ROW(4, 2) FWD_ROW(5, 2) FWD_ROW(6, 2)
static const fwd_row_fn fwd_rows[FWD_MAX_V][FWD_MAX_OC] = {
    {fwd_row_1x1, fwd_row_2x1, fwd_row_3x1, fwd_row_4x1, fwd_row_5x1, fwd_row_6x1},
    {fwd_row_1x2, fwd_row_2x2, fwd_row_3x2, fwd_row_4x2, fwd_row_5x2, fwd_row_6x2},
};

/* output row oh of every channel; channel oc's row is at out_row + oc * plane */
static void forward_row_all(float *out_row, size_t plane, const float *img, const float *weight,
                            const float *bias, int add, int oh, const NnConv2dDims *d) {
    const int V = nn_conv2d_out_w(d) >= 16 ? 2 : 1;
    for (int oc0 = 0; oc0 < d->OC; oc0 += FWD_MAX_OC) {
        const int ocb = d->OC - oc0 < FWD_MAX_OC ? d->OC - oc0 : FWD_MAX_OC;
        fwd_rows[V - 1][ocb - 1](out_row + oc0 * plane, plane, img, weight, bias, add, oc0, oh, d);
    }
}

static void forward_image(float *out, const float *img, const float *weight, const float *bias,
                          int add, const NnConv2dDims *d) {
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d);
    /* oh outermost: the C*KH input rows of one output row stay in L1 for every tile */
    for (int oh = 0; oh < OH; oh++)
        forward_row_all(out + (size_t)oh * OW, (size_t)OH * OW, img, weight, bias, add, oh, d);
}

void nn_direct_forward_image(float *out, const float *img, const float *weight, const float *bias,
                             const NnConv2dDims *d) {
    forward_image(out, img, weight, bias, 0, d);
}

/* ---- input gradient: a forward conv of the padded dout with the flipped weights -------- */

/* The transposed conv d' of d: input dout padded by KH-1, KW-1 on each side, OC input
 * channels, C output channels; its output is H x W. */
static NnConv2dDims transposed_dims(const NnConv2dDims *d) {
    NnConv2dDims t = {1, d->OC, d->H + d->KH - 1, d->W + d->KW - 1, d->C, d->KH, d->KW, 1, 0, 1};
    return t;
}

/* wflip [C, OC, KH, KW] = weight [OC, C, KH, KW] transposed and flipped */
static void flip_weights(float *wflip, const float *weight, const NnConv2dDims *d) {
    const int C = d->C, OC = d->OC, KH = d->KH, KW = d->KW;
    for (int c = 0; c < C; c++)
        for (int oc = 0; oc < OC; oc++)
            for (int kh = 0; kh < KH; kh++)
                for (int kw = 0; kw < KW; kw++)
                    wflip[(((size_t)c * OC + oc) * KH + kh) * KW + kw] =
                        weight[(((size_t)oc * C + c) * KH + KH - 1 - kh) * KW + KW - 1 - kw];
}

void nn_direct_dinp_image(float *dimg, const float *dout, const float *weight, float *scratch,
                          const NnConv2dDims *d) {
    const NnConv2dDims t = transposed_dims(d);
    const int OC = d->OC, KH = d->KH, KW = d->KW;
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d), PH = t.H, PW = t.W;
    float *wflip = scratch, *pad = scratch + (size_t)OC * d->C * KH * KW;
    flip_weights(wflip, weight, d);
    for (int oc = 0; oc < OC; oc++) {
        float *plane = pad + (size_t)oc * PH * PW;
        memset(plane, 0, sizeof(float) * (size_t)(KH - 1) * PW);
        for (int oh = 0; oh < OH; oh++) {
            float *row = plane + (size_t)(oh + KH - 1) * PW;
            memset(row, 0, sizeof(float) * (KW - 1));
            memcpy(row + KW - 1, dout + ((size_t)oc * OH + oh) * OW, sizeof(float) * OW);
            memset(row + KW - 1 + OW, 0, sizeof(float) * (KW - 1));
        }
        memset(plane + (size_t)(OH + KH - 1) * PW, 0, sizeof(float) * (size_t)(KH - 1) * PW);
    }
    forward_image(dimg, pad, wflip, NULL, 1, &t);
}

/* ---- conv + 2x2 max pool forward ------------------------------------------------------ */

void nn_direct_forward_pool_image(float *pooled, int32_t *argmax, const float *img, const float *weight,
                                  const float *bias, float *scratch, const NnConv2dDims *d) {
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d), POH = OH / 2, POW = OW / 2;
    const size_t plane = 2 * (size_t)OW; /* scratch: two conv rows per channel */
    float *rows = scratch;
    for (int ph = 0; ph < POH; ph++) {
        forward_row_all(rows, plane, img, weight, bias, 0, 2 * ph, d);
        forward_row_all(rows + OW, plane, img, weight, bias, 0, 2 * ph + 1, d);
        for (int oc = 0; oc < d->OC; oc++) {
            const float *r0 = rows + oc * plane;
            const size_t o = ((size_t)oc * POH + ph) * POW;
            nn_pool2x2_row_avx2(pooled + o, argmax + o, r0, r0 + OW, 2 * ph * OW, OW, POW);
        }
    }
}

/* ---- sparse backward ------------------------------------------------------------------ */

/* An entry is one nonzero dout: code = (oh * W + ow) << 1 | edge, where edge means that
 * 8 lanes from column ow run past the end of the input row. */

/* List the nonzeros of dout [OC, OH, OW]; start[oc] .. start[oc+1] are channel oc's.
 * Branch-free left-packing of 8 columns at a time (a max pool's gradient puts its
 * nonzeros at random places, so a branch per nonzero mispredicts). code and g need
 * cap + 8 slots. Returns 0 when there are more than cap, or one is not finite. */
static AVX2 int list_nonzeros(int32_t *start, int32_t *code, float *g, size_t cap, const float *dout,
                              const NnConv2dDims *d) {
    const int OH = nn_conv2d_out_h(d), OW = nn_conv2d_out_w(d), W = d->W;
    const __m256 zero = _mm256_setzero_ps();
    const __m256i edge_from = _mm256_set1_epi32(W - 8);
    size_t n = 0;
    for (int oc = 0; oc < d->OC; oc++) {
        start[oc] = (int32_t)n;
        for (int oh = 0; oh < OH; oh++) {
            const float *row = dout + ((size_t)oc * OH + oh) * OW;
            int x = 0;
            for (; x + 8 <= OW; x += 8) {
                const __m256 v = _mm256_loadu_ps(row + x);
                /* NEQ_UQ: a NaN counts as nonzero; v - v is nonzero (NaN) for inf and NaN */
                const unsigned m = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(v, zero, _CMP_NEQ_UQ));
                if (!m) continue;
                if (_mm256_movemask_ps(_mm256_cmp_ps(_mm256_sub_ps(v, v), zero, _CMP_NEQ_UQ))) return 0;
                const __m256i idx = _mm256_loadu_si256((const __m256i *)pack_lut[m]);
                const __m256i ow = _mm256_add_epi32(_mm256_set1_epi32(x), idx);
                const __m256i off = _mm256_add_epi32(_mm256_set1_epi32(oh * W), ow);
                const __m256i edge = _mm256_srli_epi32(_mm256_cmpgt_epi32(ow, edge_from), 31);
                _mm256_storeu_si256((__m256i *)(code + n), _mm256_or_si256(_mm256_slli_epi32(off, 1), edge));
                _mm256_storeu_ps(g + n, _mm256_permutevar8x32_ps(v, idx));
                n += (size_t)__builtin_popcount(m);
                if (n > cap) return 0;
            }
            for (; x < OW; x++) {
                const float v = row[x];
                if (v == 0.0f) continue;
                if (n == cap || !(v - v == 0.0f)) return 0;
                code[n] = (int32_t)(((oh * W + x) << 1) | (x + 8 > W));
                g[n++] = v;
            }
        }
    }
    start[d->OC] = (int32_t)n;
    return 1;
}

/* mask of lanes 0 .. k-1 */
ALWAYS_INLINE AVX2 __m256i lanes_below(int k) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* dwp[r][0..8) += sum_e g_e * x[code_e + roff[r] + 0..8) for R rows, R <= DW_MAX_ROWS;
 * lanes >= KW collect whatever lies beyond the kernel and are never read. */
ALWAYS_INLINE AVX2 void dw_rows(float *dwp, const float *x, const int32_t *roff, const int32_t *code,
                                const float *g, int n, int KW, const int R) {
    const __m256i kwmask = lanes_below(KW);
    for (int e0 = 0; e0 < n; e0 += DW_CHUNK) {
        const int e1 = e0 + DW_CHUNK < n ? e0 + DW_CHUNK : n;
        __m256 acc[DW_MAX_ROWS];
#pragma GCC unroll 12
        for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
        for (int e = e0; e < e1; e++) {
            const __m256 gb = _mm256_broadcast_ss(g + e);
            const float *p = x + (code[e] >> 1);
            if (!(code[e] & 1)) {
#pragma GCC unroll 12
                for (int r = 0; r < R; r++)
                    acc[r] = _mm256_fmadd_ps(gb, _mm256_loadu_ps(p + roff[r]), acc[r]);
            } else {
#pragma GCC unroll 12
                for (int r = 0; r < R; r++)
                    acc[r] = _mm256_fmadd_ps(gb, _mm256_maskload_ps(p + roff[r], kwmask), acc[r]);
            }
        }
#pragma GCC unroll 12
        for (int r = 0; r < R; r++)
            _mm256_storeu_ps(dwp + 8 * r, _mm256_add_ps(_mm256_loadu_ps(dwp + 8 * r), acc[r]));
    }
}

/* dw_rows for whole channels: CG channels of KH rows, the rows at c*HW + kh*W. With the
 * offsets built from two strides instead of read from roff[], the loop issues one load
 * per FMA (the table's loads had made the load ports the limit). */
ALWAYS_INLINE AVX2 void dw_channels(float *dwp, const float *x, size_t HW, int W, const int32_t *code,
                                    const float *g, int n, int KW, const int CG, const int KH) {
    const __m256i kwmask = lanes_below(KW);
    ptrdiff_t wk[DW_MAX_ROWS];
#pragma GCC unroll 12
    for (int kh = 0; kh < KH; kh++) wk[kh] = (ptrdiff_t)kh * W;
    for (int e0 = 0; e0 < n; e0 += DW_CHUNK) {
        const int e1 = e0 + DW_CHUNK < n ? e0 + DW_CHUNK : n;
        __m256 acc[DW_MAX_ROWS];
#pragma GCC unroll 12
        for (int r = 0; r < CG * KH; r++) acc[r] = _mm256_setzero_ps();
        for (int e = e0; e < e1; e++) {
            const __m256 gb = _mm256_broadcast_ss(g + e);
            const float *p = x + (code[e] >> 1);
            if (!(code[e] & 1)) {
#pragma GCC unroll 4
                for (int c = 0; c < CG; c++)
#pragma GCC unroll 12
                    for (int kh = 0; kh < KH; kh++)
                        acc[c * KH + kh] = _mm256_fmadd_ps(gb, _mm256_loadu_ps(p + c * HW + wk[kh]), acc[c * KH + kh]);
            } else {
#pragma GCC unroll 4
                for (int c = 0; c < CG; c++)
#pragma GCC unroll 12
                    for (int kh = 0; kh < KH; kh++)
                        acc[c * KH + kh] =
                            _mm256_fmadd_ps(gb, _mm256_maskload_ps(p + c * HW + wk[kh], kwmask), acc[c * KH + kh]);
            }
        }
#pragma GCC unroll 12
        for (int r = 0; r < CG * KH; r++)
            _mm256_storeu_ps(dwp + 8 * r, _mm256_add_ps(_mm256_loadu_ps(dwp + 8 * r), acc[r]));
    }
}

typedef void (*dw_channels_fn)(float *, const float *, size_t, int, const int32_t *, const float *, int, int);
#define DW_CHANNELS(CG, KH)                                                                          \
    static AVX2 void dw_channels_##CG##x##KH(float *dwp, const float *x, size_t HW, int W,          \
                                             const int32_t *code, const float *g, int n, int KW) {  \
        dw_channels(dwp, x, HW, W, code, g, n, KW, CG, KH);                                          \
    }
DW_CHANNELS(1, 5) DW_CHANNELS(2, 5) DW_CHANNELS(1, 3) DW_CHANNELS(2, 3) DW_CHANNELS(3, 3) DW_CHANNELS(4, 3)

/* the whole-channel kernel for CG channels of KH rows, or NULL */
static dw_channels_fn dw_channels_for(int CG, int KH) {
    static const dw_channels_fn k5[2] = {dw_channels_1x5, dw_channels_2x5};
    static const dw_channels_fn k3[4] = {dw_channels_1x3, dw_channels_2x3, dw_channels_3x3, dw_channels_4x3};
    if (KH == 5 && CG >= 1 && CG <= 2) return k5[CG - 1];
    if (KH == 3 && CG >= 1 && CG <= 4) return k3[CG - 1];
    return NULL;
}

typedef void (*dw_rows_fn)(float *, const float *, const int32_t *, const int32_t *, const float *,
                           int, int);
#define DW_ROWS(R)                                                                              \
    static AVX2 void dw_rows_##R(float *dwp, const float *x, const int32_t *roff,               \
                                 const int32_t *code, const float *g, int n, int KW) {          \
        dw_rows(dwp, x, roff, code, g, n, KW, R);                                               \
    }
DW_ROWS(1) DW_ROWS(2) DW_ROWS(3) DW_ROWS(4) DW_ROWS(5) DW_ROWS(6)
DW_ROWS(7) DW_ROWS(8) DW_ROWS(9) DW_ROWS(10) DW_ROWS(11) DW_ROWS(12)
static const dw_rows_fn dw_rows_by_count[DW_MAX_ROWS] = {
    dw_rows_1, dw_rows_2, dw_rows_3, dw_rows_4,  dw_rows_5,  dw_rows_6,
    dw_rows_7, dw_rows_8, dw_rows_9, dw_rows_10, dw_rows_11, dw_rows_12,
};

/* scratch of the entry lists (see nn_direct_scratch_floats) */
typedef struct {
    float *dwpad;
    int32_t *roff, *start, *code;
    float *g;
    size_t cap;
} entry_lists;

static entry_lists carve_lists(float *scratch, const NnConv2dDims *d) {
    const size_t rows = (size_t)d->C * d->KH, wrow = rows * 8;
    entry_lists l;
    l.cap = entry_cap(d);
    l.dwpad = scratch;
    l.roff = (int32_t *)(l.dwpad + d->OC * wrow);
    l.start = l.roff + rows;
    l.code = l.start + d->OC + 1;
    l.g = (float *)(l.code + l.cap + 8); /* + 8: list_nonzeros stores whole vectors */
    return l;
}

/* dbias and dweight (+=) from the listed entries */
static void dweight_from_lists(float *dweight, float *dbias, const entry_lists *l, const float *img,
                               const NnConv2dDims *d) {
    const int OC = d->OC, KH = d->KH, KW = d->KW, rows = d->C * KH;
    const size_t HW = (size_t)d->H * d->W, wrow = (size_t)rows * 8;
    const int32_t *start = l->start, *code = l->code;
    const float *g = l->g;
    if (dbias) {
        for (int oc = 0; oc < OC; oc++) {
            double s = 0.0;
            for (int e = start[oc]; e < start[oc + 1]; e++) s += g[e];
            dbias[oc] += (float)s;
        }
    }
    if (dweight) {
        /* row r = (c, kh) of the kernel sits at c*H*W + kh*W from the entry's input offset */
        for (int r = 0; r < rows; r++) l->roff[r] = (int32_t)((r / KH) * HW + (size_t)(r % KH) * d->W);
        memset(l->dwpad, 0, OC * wrow * sizeof(float));
        /* groups of <= 12 rows, balanced (6->16 5x5: 30 rows as 3 x 10), of whole channels
         * where a kernel for them exists */
        const int cg_max = DW_MAX_ROWS / KH;
        const int cgroups = cg_max ? (d->C + cg_max - 1) / cg_max : 0;
        const int CG = cgroups ? (d->C + cgroups - 1) / cgroups : 0;
        const int whole = CG && dw_channels_for(CG, KH) && (d->C % CG == 0 || dw_channels_for(d->C % CG, KH));
        const int ngroups = (rows + DW_MAX_ROWS - 1) / DW_MAX_ROWS;
        const int per = whole ? CG * KH : (rows + ngroups - 1) / ngroups;
        for (int oc = 0; oc < OC; oc++) {
            const int n = start[oc + 1] - start[oc];
            for (int r0 = 0; r0 < rows; r0 += per) {
                const int R = rows - r0 < per ? rows - r0 : per;
                float *dwp = l->dwpad + oc * wrow + 8 * (size_t)r0;
                if (whole)
                    dw_channels_for(R / KH, KH)(dwp, img + (size_t)(r0 / KH) * HW, HW, d->W, code + start[oc],
                                                g + start[oc], n, KW);
                else
                    dw_rows_by_count[R - 1](dwp, img, l->roff + r0, code + start[oc], g + start[oc], n, KW);
            }
        }
        for (int oc = 0; oc < OC; oc++)
            for (int r = 0; r < rows; r++)
                for (int kw = 0; kw < KW; kw++)
                    dweight[((size_t)oc * rows + r) * KW + kw] += l->dwpad[oc * wrow + 8 * (size_t)r + kw];
    }
}

int nn_direct_dweight_image(float *dweight, float *dbias, const float *dout, const float *img,
                            float *scratch, const NnConv2dDims *d) {
    entry_lists l = carve_lists(scratch, d);
    if (!list_nonzeros(l.start, l.code, l.g, l.cap, dout, d)) return 0;
    dweight_from_lists(dweight, dbias, &l, img, d);
    return 1;
}

/* ---- conv + 2x2 max pool backward ----------------------------------------------------- */

/* conv output position (oh, ow) of pooled output (ph, pw)'s argmax a, or 0 when a is not
 * in the output's own 2x2 block */
static inline int block_position(int32_t a, int ph, int pw, int OW, int *oh, int *ow) {
    const int32_t r = a - (2 * ph * OW + 2 * pw);
    const int dy = r >= OW, dx = r - dy * OW;
    *oh = 2 * ph + dy, *ow = 2 * pw + dx;
    return r >= 0 && dx >= 0 && dx <= 1 && dy <= 1;
}

/* The entries of (dpooled, argmax): its nonzeros, at their argmax. Returns 0 on a
 * non-finite value or an argmax outside its block. 8 pooled outputs at a time, their
 * nonzeros left-packed as in list_nonzeros (dropout zeroes half of SLeNet's pool2
 * gradient, at random). */
static AVX2 int list_pooled(entry_lists *l, const float *dpooled, const int32_t *argmax, const NnConv2dDims *d) {
    const int OW = nn_conv2d_out_w(d), POH = nn_conv2d_out_h(d) / 2, POW = OW / 2, W = d->W;
    const __m256i lane2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14), one = _mm256_set1_epi32(1);
    const __m256i vOW = _mm256_set1_epi32(OW), vW = _mm256_set1_epi32(W), edge_from = _mm256_set1_epi32(W - 8);
    const __m256 zero = _mm256_setzero_ps();
    size_t n = 0;
    for (int oc = 0; oc < d->OC; oc++) {
        l->start[oc] = (int32_t)n;
        for (int ph = 0; ph < POH; ph++) {
            const size_t o = ((size_t)oc * POH + ph) * POW;
            int pw = 0;
            for (; pw + 8 <= POW; pw += 8) {
                const __m256 v = _mm256_loadu_ps(dpooled + o + pw);
                const __m256i a = _mm256_loadu_si256((const __m256i *)(argmax + o + pw));
                const __m256i ow2 = _mm256_add_epi32(_mm256_set1_epi32(2 * pw), lane2); /* 2 pw */
                const __m256i r = _mm256_sub_epi32(a, _mm256_add_epi32(_mm256_set1_epi32(2 * ph * OW), ow2));
                const __m256i dy = _mm256_cmpgt_epi32(r, _mm256_sub_epi32(vOW, one)); /* -1 or 0 */
                const __m256i dx = _mm256_sub_epi32(r, _mm256_and_si256(dy, vOW));
                const __m256i bad = _mm256_or_si256(
                    _mm256_or_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), r), _mm256_cmpgt_epi32(dx, one)),
                    _mm256_or_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), dx),
                                    _mm256_castps_si256(_mm256_cmp_ps(_mm256_sub_ps(v, v), zero, _CMP_NEQ_UQ))));
                if (_mm256_movemask_epi8(bad)) return 0;
                const unsigned m = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(v, zero, _CMP_NEQ_OQ));
                if (!m) continue;
                const __m256i oh = _mm256_sub_epi32(_mm256_set1_epi32(2 * ph), dy);
                const __m256i ow = _mm256_add_epi32(ow2, dx);
                const __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(oh, vW), ow);
                const __m256i edge = _mm256_srli_epi32(_mm256_cmpgt_epi32(ow, edge_from), 31);
                const __m256i idx = _mm256_loadu_si256((const __m256i *)pack_lut[m]);
                _mm256_storeu_si256((__m256i *)(l->code + n),
                                    _mm256_permutevar8x32_epi32(_mm256_or_si256(_mm256_slli_epi32(off, 1), edge), idx));
                _mm256_storeu_ps(l->g + n, _mm256_permutevar8x32_ps(v, idx));
                n += (size_t)__builtin_popcount(m);
            }
            for (; pw < POW; pw++) {
                const float v = dpooled[o + pw];
                int oh, ow;
                if (!block_position(argmax[o + pw], ph, pw, OW, &oh, &ow) || !(v - v == 0.0f)) return 0;
                l->code[n] = (int32_t)(((oh * W + ow) << 1) | (ow + 8 > W));
                l->g[n] = v;
                n += v != 0.0f;
            }
        }
    }
    l->start[d->OC] = (int32_t)n;
    return 1;
}

/* pad [OC, OH + 2(KH-1), OW + 2(KW-1)] (zeroed) gets the conv gradient of (dpooled,
 * argmax) at its place; the argmax values are checked by list_pooled */
static AVX2 void pad_from_pooled(float *pad, const float *dpooled, const int32_t *argmax, const NnConv2dDims *d) {
    const NnConv2dDims t = transposed_dims(d);
    const int KH = d->KH, KW = d->KW, OW = nn_conv2d_out_w(d);
    const int POH = nn_conv2d_out_h(d) / 2, POW = OW / 2, PW = t.W;
    const size_t PHW = (size_t)t.H * PW;
    const __m256i lane2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    const __m256 zero = _mm256_setzero_ps();
    for (int oc = 0; oc < d->OC; oc++)
        for (int ph = 0; ph < POH; ph++) {
            const size_t o = ((size_t)oc * POH + ph) * POW;
            float *r0 = pad + oc * PHW + (size_t)(2 * ph + KH - 1) * PW + KW - 1, *r1 = r0 + PW;
            int pw = 0;
            for (; pw + 8 <= POW; pw += 8) { /* two rows of 16 columns, as maxpool2d_backward */
                const __m256 g = _mm256_loadu_ps(dpooled + o + pw);
                const __m256i r = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(argmax + o + pw)),
                                                   _mm256_add_epi32(_mm256_set1_epi32(2 * ph * OW + 2 * pw), lane2));
#define AT(k) _mm256_blendv_ps(zero, g, _mm256_castsi256_ps(_mm256_cmpeq_epi32(r, _mm256_set1_epi32(k))))
                const __m256 v00 = AT(0), v01 = AT(1), v10 = AT(OW), v11 = AT(OW + 1);
#undef AT
                const __m256 lo0 = _mm256_unpacklo_ps(v00, v01), hi0 = _mm256_unpackhi_ps(v00, v01);
                const __m256 lo1 = _mm256_unpacklo_ps(v10, v11), hi1 = _mm256_unpackhi_ps(v10, v11);
                _mm256_storeu_ps(r0 + 2 * pw, _mm256_permute2f128_ps(lo0, hi0, 0x20));
                _mm256_storeu_ps(r0 + 2 * pw + 8, _mm256_permute2f128_ps(lo0, hi0, 0x31));
                _mm256_storeu_ps(r1 + 2 * pw, _mm256_permute2f128_ps(lo1, hi1, 0x20));
                _mm256_storeu_ps(r1 + 2 * pw + 8, _mm256_permute2f128_ps(lo1, hi1, 0x31));
            }
            for (; pw < POW; pw++) {
                int oh, ow;
                block_position(argmax[o + pw], ph, pw, OW, &oh, &ow);
                pad[oc * PHW + (size_t)(oh + KH - 1) * PW + ow + KW - 1] = dpooled[o + pw];
            }
        }
}

int nn_direct_backward_pool_image(float *dimg, float *dweight, float *dbias, const float *dpooled,
                                  const int32_t *argmax, const float *img, const float *weight,
                                  float *scratch, const NnConv2dDims *d) {
    entry_lists l = carve_lists(scratch, d);
    if (!list_pooled(&l, dpooled, argmax, d)) return 0;
    dweight_from_lists(dweight, dbias, &l, img, d);
    if (!dimg) return 1;
    /* the padded conv gradient of this image, straight from the pooled one (the lists are
     * done with: the same scratch) */
    const NnConv2dDims t = transposed_dims(d);
    float *wflip = scratch, *pad = scratch + (size_t)d->OC * d->C * d->KH * d->KW;
    flip_weights(wflip, weight, d);
    memset(pad, 0, sizeof(float) * d->OC * (size_t)t.H * t.W);
    pad_from_pooled(pad, dpooled, argmax, d);
    forward_image(dimg, pad, wflip, NULL, 1, &t);
    return 1;
}

#else /* no AVX2 kernels on this compiler or architecture: always the im2col path */

int nn_direct_cpu_ok(void) { return 0; }
void nn_direct_forward_image(float *out, const float *img, const float *weight, const float *bias,
                             const NnConv2dDims *d) {
    (void)out, (void)img, (void)weight, (void)bias, (void)d;
}
void nn_direct_dinp_image(float *dimg, const float *dout, const float *weight, float *scratch,
                          const NnConv2dDims *d) {
    (void)dimg, (void)dout, (void)weight, (void)scratch, (void)d;
}
int nn_direct_dweight_image(float *dweight, float *dbias, const float *dout, const float *img,
                            float *scratch, const NnConv2dDims *d) {
    (void)dweight, (void)dbias, (void)dout, (void)img, (void)scratch, (void)d;
    return 0;
}
void nn_direct_forward_pool_image(float *pooled, int32_t *argmax, const float *img, const float *weight,
                                  const float *bias, float *scratch, const NnConv2dDims *d) {
    (void)pooled, (void)argmax, (void)img, (void)weight, (void)bias, (void)scratch, (void)d;
}
int nn_direct_backward_pool_image(float *dimg, float *dweight, float *dbias, const float *dpooled,
                                  const int32_t *argmax, const float *img, const float *weight,
                                  float *scratch, const NnConv2dDims *d) {
    (void)dimg, (void)dweight, (void)dbias, (void)dpooled, (void)argmax, (void)img, (void)weight;
    (void)scratch, (void)d;
    return 0;
}

#endif
