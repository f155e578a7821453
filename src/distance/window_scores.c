/* Per-window statistics of `hitwin distance` beyond the Twins score
 * (include/hitwin/distance_output.h, docs/distance.md "Scores"): the unclipped
 * difference, a z-score of the difference of the pair-centred distances against a
 * genome-wide robust spread of the within-condition distances, its normal upper-tail
 * p-value, Benjamini-Hochberg q-values and the calls. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/distance_output.h"
#include "hitwin/xalloc.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_sorted(const double *s, int64_t n) {
    return n == 0 ? NAN : n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

double hw_normal_sf(double z) { return isnan(z) ? NAN : 0.5 * erfc(z / sqrt(2.0)); }

typedef struct {
    double p;
    int64_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

void hw_bh_qvalues(const double *p, int64_t n, double *q) {
    ranked *r = xcalloc((size_t)n + 1, sizeof *r);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        q[i] = NAN;
        if (!isnan(p[i])) r[m++] = (ranked){p[i], i};
    }
    qsort(r, (size_t)m, sizeof *r, cmp_ranked);
    /* q_(k) = min over j >= k of p_(j) m / j, capped at 1 (scipy's false_discovery_control) */
    double run = 1.0;
    for (int64_t k = m - 1; k >= 0; k--) {
        double v = r[k].p * (double)m / (double)(k + 1);
        run = v < run ? v : run;
        q[r[k].i] = run;
    }
    free(r);
}

/* 1 + the largest sample index of the table: pairs are keyed a * S + b. */
static int sample_count(const hw_pair_table *p) {
    int s = 0;
    for (int64_t i = 0; i < p->n; i++) {
        if (p->a[i] >= s) s = p->a[i] + 1;
        if (p->b[i] >= s) s = p->b[i] + 1;
    }
    return s;
}

/* c = every distance of measure q less its sample pair's median over the genome (the
 * windows where that pair has a finite distance); NaN stays NaN. A pair of libraries sits at
 * its own level at every window: a shallow or noisy library is far from every other, and a
 * measure pooled over a whole tile (Pearson, the feature maps) sees that level much more
 * than any local change. Left in, the level of the control pair against that of the
 * treatment pair is what the within-condition residuals measure, 4-5 times the window
 * noise on realistic replicates, and no window is ever called; it also shifts diff by a
 * constant. Removed, what is left is how each window departs from each pair's typical
 * distance. */
static void centre_on_pair_medians(const hw_pair_table *p, int q, int S, double *c) {
    int64_t K = (int64_t)S * S, *first = xcalloc((size_t)K + 1, sizeof *first);
    for (int64_t i = 0; i < p->n; i++)
        if (!isnan(p->d[q][i])) first[(int64_t)p->a[i] * S + p->b[i] + 1]++;
    for (int64_t k = 0; k < K; k++) first[k + 1] += first[k];
    int64_t *fill = xcalloc((size_t)K + 1, sizeof *fill);
    double *v = xcalloc((size_t)first[K] + 1, sizeof *v), *med = xcalloc((size_t)K + 1, sizeof *med);
    for (int64_t i = 0; i < p->n; i++) {
        if (isnan(p->d[q][i])) continue;
        int64_t k = (int64_t)p->a[i] * S + p->b[i];
        v[first[k] + fill[k]++] = p->d[q][i];
    }
    for (int64_t k = 0; k < K; k++) {
        qsort(v + first[k], (size_t)(first[k + 1] - first[k]), sizeof *v, cmp_double);
        med[k] = median_sorted(v + first[k], first[k + 1] - first[k]);
    }
    for (int64_t i = 0; i < p->n; i++) c[i] = p->d[q][i] - med[(int64_t)p->a[i] * S + p->b[i]];
    free(first), free(fill), free(v), free(med);
}

/* Means and numbers of the finite within and between values of rows [i0, i1). */
static void window_means(const hw_pair_table *p, int64_t i0, int64_t i1, const double *c, double *within,
                         int *nw, double *between, int *nb) {
    double s[2] = {0, 0};
    int n[2] = {0, 0};
    for (int64_t j = i0; j < i1; j++)
        if (!isnan(c[j])) s[p->label[j] ? 1 : 0] += c[j], n[p->label[j] ? 1 : 0]++;
    *within = n[0] ? s[0] / n[0] : NAN;
    *between = n[1] ? s[1] / n[1] : NAN;
    *nw = n[0], *nb = n[1];
}

/* The within-condition null of one measure, on the pair-centred distances c: per window
 * with m >= 2 finite within distances, the residuals from their window mean scaled by
 * sqrt(m / (m - 1)), which have the variance of one within distance about its window's
 * level (for 2 + 2 replicates, +-(c1 - c2) / sqrt(2)). The window's own level cancels, as
 * it does in between - within, so regions where every pair is far apart do not look
 * changed. */
static int64_t within_residuals(const hw_pair_table *p, const hw_window_table *w, const double *c, double *out) {
    int64_t n = 0, i = 0;
    for (int64_t k = 0; k < w->n; k++) {
        int64_t i0 = i;
        while (i < p->n && p->window[i] == w->window[k]) i++;
        double mean, between;
        int m, nb;
        window_means(p, i0, i, c, &mean, &m, &between, &nb);
        if (m < 2) continue;
        double scale = sqrt((double)m / (double)(m - 1));
        for (int64_t j = i0; j < i; j++)
            if (!p->label[j] && !isnan(c[j])) out[n++] = (c[j] - mean) * scale;
    }
    return n;
}

void hw_window_table_scores(hw_window_table *w, const hw_pair_table *p, double fdr) {
    w->fdr = fdr;
    int S = sample_count(p);
    double *res = xcalloc((size_t)p->n + 1, sizeof *res), *c = xcalloc((size_t)p->n + 1, sizeof *c);
    for (int q = 0; q < HW_N_MEASURES; q++) {
        centre_on_pair_medians(p, q, S, c);
        int64_t nr = within_residuals(p, w, c, res);
        /* 1.4826 MAD about 0 (the residuals of a window sum to 0): the sd of one
         * within distance if the noise were normal, and a bad window moves it little */
        for (int64_t k = 0; k < nr; k++) res[k] = fabs(res[k]);
        qsort(res, (size_t)nr, sizeof *res, cmp_double);
        double sigma = 1.4826 * median_sorted(res, nr);
        w->sigma[q] = sigma;
        w->n_null[q] = nr;
        int ok = sigma > 0.0 && isfinite(sigma);
        for (int64_t k = 0, i = 0; k < w->n; k++) {
            int64_t i0 = i;
            while (i < p->n && p->window[i] == w->window[k]) i++;
            double within, between;
            int nw, nb;
            window_means(p, i0, i, c, &within, &nw, &between, &nb);
            w->diff[q][k] = w->between[q][k] - w->within[q][k];
            /* the sd of a mean of nb minus a mean of nw independent distances of sd sigma;
             * the pair levels' constant out of the difference */
            double centred = between - within;
            w->z[q][k] = ok && !isnan(centred) && nw > 0 && nb > 0 ? centred / (sigma * sqrt(1.0 / nb + 1.0 / nw)) : NAN;
            w->p[q][k] = hw_normal_sf(w->z[q][k]);
        }
        hw_bh_qvalues(w->p[q], w->n, w->q[q]);
        for (int64_t k = 0; k < w->n; k++) w->called[q][k] = w->q[q][k] <= fdr; /* NaN: not called */
    }
    free(res);
    free(c);
}
