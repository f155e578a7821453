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

const char *const hw_measure_names[HW_N_MEASURES] = {"pairwise", "cosine", "maps", "combined", "ssim",
                                                     "pearson",  "mse",    "scc",  "insulation", "hybrid"};

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

double hw_map_distance(const float *a, const float *b, int channels, int positions) {
    /* per channel, with d = a - b: sum (d - mean d)^2 = sum d^2 - (sum d)^2 / P */
    double total = 0.0;
    for (int c = 0; c < channels; c++) {
        const float *x = a + (size_t)c * positions, *y = b + (size_t)c * positions;
        double s = 0.0, s2 = 0.0;
        for (int j = 0; j < positions; j++) {
            double d = (double)x[j] - y[j];
            s += d;
            s2 += d * d;
        }
        total += s2 - s * s / positions;
    }
    return sqrt(fmax(total, 0.0) / ((double)channels * positions));
}

/* ---- sums in eight lanes ----------------------------------------------------------- */

/* Eight independent partial sums, added in a fixed order: the compiler may keep them
 * in vector registers without -ffast-math (a single running sum is one dependent
 * add per element), and the result does not depend on the machine. */
static double sum_lanes(const double *x, size_t n) {
    double acc[8] = {0};
    size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (int l = 0; l < 8; l++) acc[l] += x[k + l];
    for (; k < n; k++) acc[k % 8] += x[k];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static double sqdiff_lanes(const double *x, const double *y, size_t n) {
    double acc[8] = {0};
    size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (int l = 0; l < 8; l++) acc[l] += (x[k + l] - y[k + l]) * (x[k + l] - y[k + l]);
    for (; k < n; k++) acc[k % 8] += (x[k] - y[k]) * (x[k] - y[k]);
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static double dot_lanes(const double *x, const double *y, size_t n) {
    double acc[8] = {0};
    size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (int l = 0; l < 8; l++) acc[l] += x[k + l] * y[k + l];
    for (; k < n; k++) acc[k % 8] += x[k] * y[k];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* ---- per-tile preparation ------------------------------------------------------------ */

/* log1p of the small integers raw Hi-C counts are, so the common case is a table
 * lookup rather than a libm call per pixel (the same doubles log1p returns). */
static double log1p_value(const hw_tile_prep *p, float v) {
    int k = (int)v;
    return (float)k == v && k >= 0 && k < HW_LOG1P_TABLE ? p->log1p_table[k] : log1p((double)v);
}

static size_t band_len(int T) {
    int m = T - HW_BASELINE_BAND;
    return m > 0 ? (size_t)m * (size_t)(m + 1) / 2 : 0;
}

void hw_tile_prep_init(hw_tile_prep *p, int T) {
    memset(p, 0, sizeof *p);
    p->T = T;
    size_t n = (size_t)T * T, nb = band_len(T);
    p->oe = xmalloc(n * sizeof *p->oe);
    p->masked = xmalloc((size_t)T);
    p->n_band = nb;
    p->logp = xmalloc((nb ? nb : 1) * sizeof *p->logp);
    p->logc = xmalloc((nb ? nb : 1) * sizeof *p->logc);
    p->norm = xmalloc((nb ? nb : 1) * sizeof *p->norm);
    hw_scc_tile_init(&p->scc, T);
    p->insulation = xmalloc(((size_t)T + 1) * sizeof *p->insulation);
    for (int k = 0; k < HW_LOG1P_TABLE; k++) p->log1p_table[k] = log1p((double)k);
}

void hw_tile_prep_free(hw_tile_prep *p) {
    free(p->oe);
    free(p->masked);
    free(p->logp);
    free(p->logc);
    free(p->norm);
    hw_scc_tile_free(&p->scc);
    free(p->insulation);
    memset(p, 0, sizeof *p);
}

void hw_chess_oe(double *oe, const float *tile, int T) {
    uint8_t *mappable = xcalloc((size_t)T, 1);
    double *expected = xcalloc((size_t)T, sizeof *expected);
    int *count = xcalloc((size_t)T, sizeof *count);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T && !mappable[i]; j++) mappable[i] = tile[(size_t)i * T + j] > 0.0f;
    /* row by row (diagonal d of row i is pixel (i, i + d)): the same sums in the
     * same order per diagonal as walking each diagonal, but along memory */
    for (int i = 0; i < T; i++) {
        if (!mappable[i]) continue;
        const float *row = tile + (size_t)i * T;
        for (int j = i; j < T; j++)
            if (mappable[j]) {
                expected[j - i] += row[j];
                count[j - i]++;
            }
    }
    /* one division per diagonal, a product per pixel (the quotient to ~1 ulp) */
    double *inv_expected = expected; /* in place: 1 / E[d], 0 where E[d] is 0 or undefined */
    for (int d = 0; d < T; d++)
        inv_expected[d] = count[d] > 0 && expected[d] > 0.0 ? count[d] / expected[d] : 0.0;
    for (int i = 0; i < T; i++) {
        const float *row = tile + (size_t)i * T;
        double *out = oe + (size_t)i * T;
        for (int j = 0; j < i; j++) {
            double v = row[j], r = inv_expected[i - j];
            out[j] = v > 0.0 && r > 0.0 ? v * r : 1.0;
        }
        for (int j = i; j < T; j++) {
            double v = row[j], r = inv_expected[j - i];
            out[j] = v > 0.0 && r > 0.0 ? v * r : 1.0;
        }
    }
    free(mappable);
    free(expected);
    free(count);
}

/* ---- SSIM (skimage / scipy semantics) ---------------------------------------------- */

/* CHESS's window is the whole matrix (n odd) or one less (n even), so skimage's crop
 * holds 1 or 2 x 2 window positions; each block sum is the total minus one edge row
 * and one edge column plus their corner. These are the sums that takes, for one
 * product (x, x^2, y^2 or xy) over an n x n matrix. */
static void edge_sums_xy(hw_edge_sums *e, const double *x, const double *y, int n) {
    /* y NULL: the sums of x itself */
#define XY(k) (y ? x[k] * y[k] : x[k])
    memset(e, 0, sizeof *e);
    for (int i = 0; i < n; i++) {
        size_t r = (size_t)i * n;
        double row = y ? dot_lanes(x + r, y + r, (size_t)n) : sum_lanes(x + r, (size_t)n);
        e->tot += row;
        if (i == 0) e->r0 = row;
        if (i == n - 1) e->rl = row;
        e->c0 += XY(r);
        e->cl += XY(r + n - 1);
    }
    e->k00 = XY(0);
    e->k0l = XY((size_t)n - 1);
    e->kl0 = XY((size_t)(n - 1) * n);
    e->kll = XY((size_t)n * n - 1);
#undef XY
}

/* Sum over the window at offset (br, bc) in {0, 1}^2, window n (span 1) or n - 1. */
static double edge_block(const hw_edge_sums *e, int span, int br, int bc) {
    if (span == 1) return e->tot;
    double row = br == 0 ? e->rl : e->r0, col = bc == 0 ? e->cl : e->c0;
    double corner = br == 0 ? (bc == 0 ? e->kll : e->kl0) : (bc == 0 ? e->k0l : e->k00);
    return e->tot - row - col + corner;
}

static double ssim_window(double sx, double sy, double sxx, double syy, double sxy, int win, double c1,
                          double c2) {
    double np_ = (double)win * win, cov_norm = np_ / (np_ - 1.0);
    double ux = sx / np_, uy = sy / np_, uxx = sxx / np_, uyy = syy / np_, uxy = sxy / np_;
    double vx = cov_norm * (uxx - ux * ux);
    double vy = cov_norm * (uyy - uy * uy);
    double vxy = cov_norm * (uxy - ux * uy);
    double a1 = 2.0 * ux * uy + c1, a2 = 2.0 * vxy + c2;
    double b1 = ux * ux + uy * uy + c1, b2 = vx + vy + c2;
    return (a1 * a2) / (b1 * b2);
}

/* skimage's mean SSIM when the window spans the matrix (win == n or n - 1). */
static double ssim_from_edges(const hw_edge_sums *ex, const hw_edge_sums *ey, const hw_edge_sums *exx,
                              const hw_edge_sums *eyy, const hw_edge_sums *exy, int n, int win,
                              double range) {
    double c1 = (0.01 * range) * (0.01 * range), c2 = (0.03 * range) * (0.03 * range);
    int span = n - win + 1;
    double sum = 0.0;
    for (int br = 0; br < span; br++)
        for (int bc = 0; bc < span; bc++)
            sum += ssim_window(edge_block(ex, span, br, bc), edge_block(ey, span, br, bc),
                               edge_block(exx, span, br, bc), edge_block(eyy, span, br, bc),
                               edge_block(exy, span, br, bc), win, c1, c2);
    return sum / (double)(span * span);
}

/* Any window: summed-area tables. */
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
    /* what every SSIM of this tile against one without masked rows needs of it */
    p->oe_lo = INFINITY;
    p->oe_hi = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        p->oe_lo = p->oe[k] < p->oe_lo ? p->oe[k] : p->oe_lo;
        p->oe_hi = p->oe[k] > p->oe_hi ? p->oe[k] : p->oe_hi;
    }
    if (T > 0) {
        edge_sums_xy(&p->e_x, p->oe, NULL, T);
        edge_sums_xy(&p->e_xx, p->oe, p->oe, T);
    }
    float mx = 0.0f;
    for (size_t k = 0; k < n; k++) mx = tile[k] > mx ? tile[k] : mx;
    /* Pearson and MSE read the upper band j - i >= HW_BASELINE_BAND only, row by row */
    size_t b = 0;
    double sum = 0.0;
    for (int i = 0; i < T; i++)
        for (int j = i + HW_BASELINE_BAND; j < T; j++, b++) {
            float v = tile[(size_t)i * T + j];
            p->logp[b] = log1p_value(p, v);
            p->norm[b] = mx > 0.0f ? (double)v / mx : 0.0;
            sum += p->logp[b];
        }
    p->logp_mean = b ? sum / (double)b : 0.0;
    for (size_t k = 0; k < b; k++) p->logc[k] = p->logp[k] - p->logp_mean;
    p->logp_ss = dot_lanes(p->logc, p->logc, b);
    hw_scc_tile_compute(&p->scc, tile, HW_SCC_H);
    hw_insulation_profile(p->insulation, tile, T, HW_INSULATION_WINDOW);
}

size_t hw_ssim_work_doubles(int T) { return 2 * (size_t)T * T + 5 * ((size_t)T + 1) * ((size_t)T + 1); }

double hw_ssim_chess(const hw_tile_prep *a, const hw_tile_prep *b, double *work) {
    int T = a->T;
    if (T < 20) return NAN; /* min_bins */
    /* mappability_cutoff 0.1: either matrix with more unmappable rows gives NaN */
    if ((double)a->n_masked / T > 0.1 || (double)b->n_masked / T > 0.1) return NAN;
    int m = T - (a->n_masked + b->n_masked); /* at least; exact below when any is masked */
    hw_edge_sums ex, ey, exx, eyy, exy;
    double lo, hi;
    if (a->n_masked == 0 && b->n_masked == 0) {
        /* the common case: both whole, so only the cross products are per pair */
        m = T;
        ex = a->e_x;
        ey = b->e_x;
        exx = a->e_xx;
        eyy = b->e_xx;
        edge_sums_xy(&exy, a->oe, b->oe, T);
        lo = fmin(a->oe_lo, b->oe_lo);
        hi = fmax(a->oe_hi, b->oe_hi);
    } else {
        int *keep = xmalloc((size_t)T * sizeof *keep);
        m = 0;
        for (int i = 0; i < T; i++)
            if (!a->masked[i] && !b->masked[i]) keep[m++] = i;
        double *x = work, *y = x + (size_t)m * m;
        lo = INFINITY;
        hi = -INFINITY;
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
        if (m < 3) return NAN;
        edge_sums_xy(&ex, x, NULL, m);
        edge_sums_xy(&ey, y, NULL, m);
        edge_sums_xy(&exx, x, x, m);
        edge_sums_xy(&eyy, y, y, m);
        edge_sums_xy(&exy, x, y, m);
    }
    int win = m; /* relative window 1 */
    if (win % 2 == 0) win--;
    if (win < 3) win = 3;
    if (m < win) return NAN;
    return ssim_from_edges(&ex, &ey, &exx, &eyy, &exy, m, win, hi - lo);
}

/* ---- Pearson and MSE ------------------------------------------------------------------ */

double hw_pearson_log1p(const hw_tile_prep *a, const hw_tile_prep *b) {
    size_t n = a->n_band;
    if (n < 2) return NAN;
    double cab = dot_lanes(a->logc, b->logc, n);
    double caa = a->logp_ss, cbb = b->logp_ss;
    if (caa <= 0.0 || cbb <= 0.0) return NAN;
    double r = cab / sqrt(caa * cbb);
    return r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
}

double hw_mse_maxnorm(const hw_tile_prep *a, const hw_tile_prep *b) {
    size_t n = a->n_band;
    return n ? sqdiff_lanes(a->norm, b->norm, n) / (double)n : NAN;
}

void hw_baseline_distances(const hw_tile_prep *a, const hw_tile_prep *b, double *work, double *out) {
    out[HW_M_SSIM] = 1.0 - hw_ssim_chess(a, b, work);
    out[HW_M_PEARSON] = 1.0 - hw_pearson_log1p(a, b);
    out[HW_M_MSE] = hw_mse_maxnorm(a, b);
    out[HW_M_SCC] = 1.0 - hw_scc(&a->scc, &b->scc);
    out[HW_M_INSULATION] = hw_insulation_distance(a->insulation, b->insulation, a->T, HW_INSULATION_WINDOW);
}
