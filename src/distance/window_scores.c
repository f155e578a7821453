/* Per-window statistics of `hitwin distance` beyond the Twins score
 * (include/hitwin/distance_output.h, docs/distance.md "Scores"): the unclipped
 * difference, a z-score against a genome-wide robust spread of the
 * within-condition distances, an empirical p-value against the within-condition
 * null, Benjamini-Hochberg q-values and the calls. */
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

double hw_empirical_p(const double *null_sorted, int64_t n, double x) {
    if (isnan(x) || n == 0) return NAN;
    int64_t lo = 0, hi = n; /* first index with null >= x */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (null_sorted[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return (double)(1 + (n - lo)) / (double)(1 + n);
}

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

/* The within-condition null of one measure: per window with m >= 2 finite within
 * distances, the residuals from their window mean scaled by sqrt(m / (m - 1)), which
 * have the variance of one within distance about its window's level (for 2 + 2
 * replicates, +-(d1 - d2) / sqrt(2)). The window's own level cancels, as it does in
 * between - within, so regions where every pair is far apart do not look changed. */
static int64_t within_residuals(const hw_pair_table *p, const hw_window_table *w, int q, double *out) {
    int64_t n = 0, i = 0;
    for (int64_t k = 0; k < w->n; k++) {
        int64_t i0 = i;
        while (i < p->n && p->window[i] == w->window[k]) i++;
        int m = 0;
        for (int64_t j = i0; j < i; j++) m += !p->label[j] && !isnan(p->d[q][j]);
        if (m < 2) continue;
        double scale = sqrt((double)m / (double)(m - 1)), mean = w->within[q][k];
        for (int64_t j = i0; j < i; j++)
            if (!p->label[j] && !isnan(p->d[q][j])) out[n++] = (p->d[q][j] - mean) * scale;
    }
    return n;
}

static void finite_counts(const hw_pair_table *p, int64_t i0, int64_t i1, int q, int *nw, int *nb) {
    *nw = *nb = 0;
    for (int64_t j = i0; j < i1; j++)
        if (!isnan(p->d[q][j])) {
            if (p->label[j]) (*nb)++;
            else (*nw)++;
        }
}

void hw_window_table_scores(hw_window_table *w, const hw_pair_table *p, double fdr) {
    w->fdr = fdr;
    double *res = xcalloc((size_t)p->n + 1, sizeof *res);
    for (int q = 0; q < HW_N_MEASURES; q++) {
        int64_t nr = within_residuals(p, w, q, res);
        /* 1.4826 MAD about 0 (the residuals of a window sum to 0): the sd of one
         * within distance if the noise were normal, and a bad window moves it little */
        for (int64_t k = 0; k < nr; k++) res[k] = fabs(res[k]);
        qsort(res, (size_t)nr, sizeof *res, cmp_double);
        double sigma = 1.4826 * median_sorted(res, nr);
        w->sigma[q] = sigma;
        w->n_null[q] = nr;
        /* the null of z: the residuals in units of sigma, both signs (sorted again) */
        nr = within_residuals(p, w, q, res);
        int ok = sigma > 0.0 && isfinite(sigma);
        for (int64_t k = 0; k < nr; k++) res[k] = ok ? res[k] / sigma : NAN;
        qsort(res, (size_t)nr, sizeof *res, cmp_double);
        for (int64_t k = 0, i = 0; k < w->n; k++) {
            int64_t i0 = i;
            while (i < p->n && p->window[i] == w->window[k]) i++;
            int nw, nb;
            finite_counts(p, i0, i, q, &nw, &nb);
            double diff = w->between[q][k] - w->within[q][k];
            w->diff[q][k] = diff;
            /* sd of a mean of nb minus a mean of nw independent distances of sd sigma */
            w->z[q][k] = ok && !isnan(diff) ? diff / (sigma * sqrt(1.0 / nb + 1.0 / nw)) : NAN;
            w->p[q][k] = ok ? hw_empirical_p(res, nr, w->z[q][k]) : NAN;
        }
        hw_bh_qvalues(w->p[q], w->n, w->q[q]);
        for (int64_t k = 0; k < w->n; k++) w->called[q][k] = w->q[q][k] <= fdr; /* NaN: not called */
    }
    free(res);
}
