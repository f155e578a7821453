/* HiCRep's stratum-adjusted correlation coefficient (Yang et al. 2017) of two tiles,
 * as hicrep 0.2.6 computes it (hicrep.py sccByDiag, utils.py meanFilterSparse,
 * trimDiags, varVstran), on the tile's upper triangle with the mask band
 * |i - j| < HW_BASELINE_BAND removed before the smoothing (docs/distance.md).
 * tests/fixtures/make_scores_fixtures.py runs hicrep's own functions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/distance.h"
#include "hitwin/xalloc.h"

/* Strata d = HW_BASELINE_BAND .. T - 1 stored one after the other, stratum d holding
 * the T - d pixels (i, i + d). */
static size_t stratum_offset(int T, int d) {
    size_t off = 0;
    for (int e = HW_BASELINE_BAND; e < d; e++) off += (size_t)(T - e);
    return off;
}

void hw_scc_tile_init(hw_scc_tile *s, int T) {
    memset(s, 0, sizeof *s);
    s->T = T;
    size_t n = T > HW_BASELINE_BAND ? stratum_offset(T, T) : 0;
    s->x = xcalloc(n ? n : 1, sizeof *s->x);
    s->sum = xcalloc((size_t)T + 1, sizeof *s->sum);
    s->sq = xcalloc((size_t)T + 1, sizeof *s->sq);
    s->nnz = xcalloc((size_t)T + 1, sizeof *s->nnz);
    s->work = xmalloc((2 * (size_t)T * T + 1) * sizeof *s->work);
}

void hw_scc_tile_free(hw_scc_tile *s) {
    free(s->x);
    free(s->sum);
    free(s->sq);
    free(s->nnz);
    free(s->work);
    memset(s, 0, sizeof *s);
}

/* meanFilterSparse: the sum over the (2h + 1)^2 window clipped to the matrix, divided
 * by the number of in-matrix positions of the window (hicrep's edge rule, which it
 * says follows the R package). The input is the upper triangle j - i >= band (the
 * lower triangle is zero: hicrep reads a cooler's upper triangle). Separable sums of
 * non-negative values, so a pixel whose window holds nothing stays exactly 0, as the
 * sparse product leaves it absent. */
static void mean_filter_upper(double *out, double *rows, const float *tile, int T, int h) {
    /* rows: horizontal window sums over the upper band of each row */
    for (int i = 0; i < T; i++) {
        const float *t = tile + (size_t)i * T;
        int first = i + HW_BASELINE_BAND; /* the row's first column in the band */
        for (int j = 0; j < T; j++) {
            double s = 0.0;
            int lo = j - h < first ? first : j - h, hi = j + h > T - 1 ? T - 1 : j + h;
            for (int c = lo; c <= hi; c++) s += t[c];
            rows[(size_t)i * T + j] = s;
        }
    }
    for (int i = 0; i < T; i++) {
        int lo = i - h < 0 ? 0 : i - h, hi = i + h > T - 1 ? T - 1 : i + h;
        int ei = i < T - 1 - i ? i : T - 1 - i; /* distance to the nearer edge */
        int di = h + 1 + (ei < h ? ei : h);
        for (int j = 0; j < T; j++) {
            double s = 0.0;
            for (int r = lo; r <= hi; r++) s += rows[(size_t)r * T + j];
            int ej = j < T - 1 - j ? j : T - 1 - j;
            int dj = h + 1 + (ej < h ? ej : h);
            out[(size_t)i * T + j] = s / (double)(di * dj);
        }
    }
}

void hw_scc_tile_compute(hw_scc_tile *s, const float *tile, int h) {
    int T = s->T;
    double *m = s->work, *rows = s->work + (size_t)T * T;
    if (h > 0) {
        mean_filter_upper(m, rows, tile, T, h);
    } else { /* hicrep smooths only when h > 0 */
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++) m[(size_t)i * T + j] = j - i >= HW_BASELINE_BAND ? tile[(size_t)i * T + j] : 0.0;
    }
    /* the band is removed again after the smoothing: strata d >= band only */
    size_t k = 0;
    for (int d = HW_BASELINE_BAND; d < T; d++) {
        double sum = 0.0, sq = 0.0;
        int nnz = 0;
        for (int i = 0; i + d < T; i++, k++) {
            double v = m[(size_t)i * T + i + d];
            s->x[k] = v;
            sum += v;
            sq += v * v;
            nnz += v != 0.0;
        }
        s->sum[d] = sum;
        s->sq[d] = sq;
        s->nnz[d] = nnz;
    }
}

double hw_scc(const hw_scc_tile *a, const hw_scc_tile *b) {
    int T = a->T;
    double num = 0.0, wsum = 0.0;
    size_t k = 0;
    for (int d = HW_BASELINE_BAND; d < T; d++) {
        const double *x = a->x + k, *y = b->x + k;
        int len = T - d, both = 0;
        double sxy = 0.0;
        for (int i = 0; i < len; i++) {
            sxy += x[i] * y[i];
            both += x[i] != 0.0 && y[i] != 0.0;
        }
        k += (size_t)len;
        /* sccByDiag: the stratum's sample is the pixels where either tile is non-zero
         * (the nnz of m1D + m2D), both zero left out */
        int n = a->nnz[d] + b->nnz[d] - both;
        double sx = a->sum[d], sy = b->sum[d];
        double cov = sxy - sx * sy / n;
        double rho = cov / sqrt((a->sq[d] - sx * sx / n) * (b->sq[d] - sy * sy / n));
        /* varVstran: the variance of the ranks / n with Bessel's correction, (1 + 1/n) / 12,
         * the same for both tiles when there are no ties; NaN (weight 0) below 2 pixels */
        double ws = n < 2 ? 0.0 : n * ((1.0 + 1.0 / n) / 12.0);
        if (!isfinite(rho)) rho = 0.0; /* np.nan_to_num: a constant stratum counts as 0 */
        num += rho * ws;
        wsum += ws;
    }
    return num / wsum; /* NaN when no stratum has 2 pixels */
}
