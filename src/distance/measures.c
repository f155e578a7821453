/* The distances of `hitwin distance` (include/hitwin/distance.h): the embedding
 * distances with PyTorch's semantics, and three classical baselines on the same
 * tile pairs. SSIM follows CHESS (chess-hic, chess/sim.py compare_matrix_pair) on
 * the matrix CHESS compares (observed/expected, absent contacts filled with 1,
 * unmappable rows removed), through skimage's structural_similarity and scipy's
 * uniform_filter; tests/fixtures/make_distance_fixtures.py checks it against chess's
 * own function. */
#include "hitwin/distance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/xalloc.h"

const char *const hw_measure_names[HW_N_MEASURES] = {"pairwise", "cosine", "ssim", "pearson", "mse"};

/* ---- embedding distances ---------------------------------------------------------- */

double hw_euclidean_distance(const float *a, const float *b, int d) {
    double s = 0.0;
    for (int k = 0; k < d; k++) {
        double x = (double)a[k] - (double)b[k] + 1e-6;
        s += x * x;
    }
    return sqrt(s);
}

double hw_cosine_distance(const float *a, const float *b, int d) {
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (int k = 0; k < d; k++) {
        ab += (double)a[k] * b[k];
        aa += (double)a[k] * a[k];
        bb += (double)b[k] * b[k];
    }
    double na = fmax(sqrt(aa), 1e-8), nb = fmax(sqrt(bb), 1e-8);
    return 1.0 - ab / (na * nb);
}

/* ---- per-tile preparation ------------------------------------------------------------ */

void hw_tile_prep_init(hw_tile_prep *p, int T) {
    memset(p, 0, sizeof *p);
    p->T = T;
    size_t n = (size_t)T * T;
    p->oe = xmalloc(n * sizeof *p->oe);
    p->masked = xmalloc((size_t)T);
    p->logp = xmalloc(n * sizeof *p->logp);
    p->norm = xmalloc(n * sizeof *p->norm);
}

void hw_tile_prep_free(hw_tile_prep *p) {
    free(p->oe);
    free(p->masked);
    free(p->logp);
    free(p->norm);
    memset(p, 0, sizeof *p);
}

void hw_chess_oe(double *oe, const float *tile, int T) {
    uint8_t *mappable = xcalloc((size_t)T, 1);
    double *expected = xcalloc((size_t)T, sizeof *expected);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T && !mappable[i]; j++) mappable[i] = tile[(size_t)i * T + j] > 0.0f;
    for (int d = 0; d < T; d++) {
        double sum = 0.0;
        int count = 0;
        for (int i = 0; i + d < T; i++)
            if (mappable[i] && mappable[i + d]) {
                sum += tile[(size_t)i * T + i + d];
                count++;
            }
        expected[d] = count > 0 ? sum / count : 0.0;
    }
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            double v = tile[(size_t)i * T + j], e = expected[abs(i - j)];
            oe[(size_t)i * T + j] = v > 0.0 && e > 0.0 ? v / e : 1.0;
        }
    free(mappable);
    free(expected);
}

void hw_tile_prep_compute(hw_tile_prep *p, const float *tile, int is_oe) {
    int T = p->T;
    size_t n = (size_t)T * T;
    if (is_oe)
        for (size_t k = 0; k < n; k++) p->oe[k] = tile[k] > 0.0f ? tile[k] : 1.0;
    else
        hw_chess_oe(p->oe, tile, T);
    /* chess find_masked_rows(m, 1): column sums equal to n_bins * 1, i.e. nothing but fill */
    p->n_masked = 0;
    for (int j = 0; j < T; j++) {
        int all_fill = 1;
        for (int i = 0; i < T && all_fill; i++) all_fill = p->oe[(size_t)i * T + j] == 1.0;
        p->masked[j] = (uint8_t)all_fill;
        p->n_masked += all_fill;
    }
    float mx = 0.0f;
    for (size_t k = 0; k < n; k++) mx = tile[k] > mx ? tile[k] : mx;
    /* Pearson and MSE read the upper band j - i >= HW_BASELINE_BAND only */
    for (int i = 0; i < T; i++)
        for (int j = i + HW_BASELINE_BAND; j < T; j++) {
            size_t k = (size_t)i * T + j;
            p->logp[k] = log1p((double)tile[k]);
            p->norm[k] = mx > 0.0f ? (double)tile[k] / mx : 0.0;
        }
}

/* ---- SSIM (skimage / scipy semantics) ---------------------------------------------- */

/* skimage averages S over crop(S, pad) with pad = (win - 1) / 2, and there the window
 * of scipy's uniform_filter (odd size, centred) lies inside the image, so its reflect
 * padding never reaches the result: every filtered value needed is the plain mean of
 * a win x win block. Summed-area tables give each in O(1), so a pair costs ~5 n^2
 * additions whatever the window (CHESS's window is the whole matrix). */
static void summed_area(double *sat, const double *x, const double *y, int n, int which) {
    size_t w = (size_t)n + 1;
    memset(sat, 0, w * sizeof *sat);
    for (int i = 0; i < n; i++) {
        double row = 0.0;
        sat[(size_t)(i + 1) * w] = 0.0;
        for (int j = 0; j < n; j++) {
            size_t k = (size_t)i * n + j;
            double v = which == 0 ? x[k] : which == 1 ? y[k] : which == 2 ? x[k] * x[k]
                     : which == 3 ? y[k] * y[k] : x[k] * y[k];
            row += v;
            sat[(size_t)(i + 1) * w + j + 1] = sat[(size_t)i * w + j + 1] + row;
        }
    }
}

static double block_mean(const double *sat, int n, int r0, int c0, int win) {
    size_t w = (size_t)n + 1;
    int r1 = r0 + win, c1 = c0 + win;
    return (sat[(size_t)r1 * w + c1] - sat[(size_t)r0 * w + c1] - sat[(size_t)r1 * w + c0] +
            sat[(size_t)r0 * w + c0]) / ((double)win * win);
}

double hw_ssim_skimage(const double *x, const double *y, int n, int win, double range, double *work) {
    if (win < 1 || win % 2 == 0 || win > n) return NAN;
    size_t w2 = ((size_t)n + 1) * ((size_t)n + 1);
    double *sat[5];
    for (int k = 0; k < 5; k++) {
        sat[k] = work + k * w2;
        summed_area(sat[k], x, y, n, k);
    }
    double np_ = (double)win * win, cov_norm = np_ / (np_ - 1.0);
    double c1 = (0.01 * range) * (0.01 * range), c2 = (0.03 * range) * (0.03 * range);
    int pad = (win - 1) / 2;
    double sum = 0.0;
    long count = 0;
    for (int i = pad; i < n - pad; i++)
        for (int j = pad; j < n - pad; j++) {
            double ux = block_mean(sat[0], n, i - pad, j - pad, win);
            double uy = block_mean(sat[1], n, i - pad, j - pad, win);
            double uxx = block_mean(sat[2], n, i - pad, j - pad, win);
            double uyy = block_mean(sat[3], n, i - pad, j - pad, win);
            double uxy = block_mean(sat[4], n, i - pad, j - pad, win);
            double vx = cov_norm * (uxx - ux * ux);
            double vy = cov_norm * (uyy - uy * uy);
            double vxy = cov_norm * (uxy - ux * uy);
            double a1 = 2.0 * ux * uy + c1, a2 = 2.0 * vxy + c2;
            double b1 = ux * ux + uy * uy + c1, b2 = vx + vy + c2;
            sum += (a1 * a2) / (b1 * b2);
            count++;
        }
    return count ? sum / (double)count : NAN;
}

size_t hw_ssim_work_doubles(int T) { return 2 * (size_t)T * T + 5 * ((size_t)T + 1) * ((size_t)T + 1); }

double hw_ssim_chess(const hw_tile_prep *a, const hw_tile_prep *b, double *work) {
    int T = a->T;
    if (T < 20) return NAN; /* min_bins */
    /* mappability_cutoff 0.1: either matrix with more unmappable rows gives NaN */
    if ((double)a->n_masked / T > 0.1 || (double)b->n_masked / T > 0.1) return NAN;
    int *keep = xmalloc((size_t)T * sizeof *keep);
    int m = 0;
    for (int i = 0; i < T; i++)
        if (!a->masked[i] && !b->masked[i]) keep[m++] = i;
    double *x = work, *y = x + (size_t)m * m, *rest = y + (size_t)m * m;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            size_t src = (size_t)keep[i] * T + keep[j], dst = (size_t)i * m + j;
            double u = x[dst] = a->oe[src], v = y[dst] = b->oe[src];
            lo = u < lo ? u : lo;
            lo = v < lo ? v : lo;
            hi = u > hi ? u : hi;
            hi = v > hi ? v : hi;
        }
    free(keep);
    int win = m; /* relative window 1 */
    if (win % 2 == 0) win--;
    if (win < 3) win = 3;
    if (m < win) return NAN;
    return hw_ssim_skimage(x, y, m, win, hi - lo, rest);
}

/* ---- Pearson and MSE ------------------------------------------------------------------ */

double hw_pearson_log1p(const hw_tile_prep *a, const hw_tile_prep *b) {
    int T = a->T;
    double sa = 0.0, sb = 0.0;
    long n = 0;
    for (int i = 0; i < T; i++)
        for (int j = i + HW_BASELINE_BAND; j < T; j++) {
            sa += a->logp[(size_t)i * T + j];
            sb += b->logp[(size_t)i * T + j];
            n++;
        }
    if (n < 2) return NAN;
    double ma = sa / n, mb = sb / n, cab = 0.0, caa = 0.0, cbb = 0.0;
    for (int i = 0; i < T; i++)
        for (int j = i + HW_BASELINE_BAND; j < T; j++) {
            double da = a->logp[(size_t)i * T + j] - ma, db = b->logp[(size_t)i * T + j] - mb;
            cab += da * db;
            caa += da * da;
            cbb += db * db;
        }
    if (caa <= 0.0 || cbb <= 0.0) return NAN;
    double r = cab / sqrt(caa * cbb);
    return r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
}

double hw_mse_maxnorm(const hw_tile_prep *a, const hw_tile_prep *b) {
    int T = a->T;
    double s = 0.0;
    long n = 0;
    for (int i = 0; i < T; i++)
        for (int j = i + HW_BASELINE_BAND; j < T; j++) {
            double d = a->norm[(size_t)i * T + j] - b->norm[(size_t)i * T + j];
            s += d * d;
            n++;
        }
    return n ? s / n : NAN;
}

void hw_baseline_distances(const hw_tile_prep *a, const hw_tile_prep *b, double *work, double *out) {
    out[HW_M_SSIM] = 1.0 - hw_ssim_chess(a, b, work);
    out[HW_M_PEARSON] = 1.0 - hw_pearson_log1p(a, b);
    out[HW_M_MSE] = hw_mse_maxnorm(a, b);
}
