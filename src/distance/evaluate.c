/* Metrics of `hitwin evaluate` (include/hitwin/evaluate.h): ROC and precision-recall
 * areas with ties, the reference's KDE threshold, and the simulator's truth files. */
#include "hitwin/evaluate.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/bed_lines.h"
#include "hitwin/cli_set.h"
#include "hitwin/error.h"
#include "hitwin/xalloc.h"

typedef struct {
    double s;
    uint8_t y;
} scored;

static int cmp_scored_asc(const void *a, const void *b) {
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return x < y ? -1 : x > y ? 1 : 0;
}

static scored *finite_pairs(const double *score, const uint8_t *label, int64_t n, int64_t *m,
                            int64_t *npos) {
    scored *v = xcalloc((size_t)n + 1, sizeof *v);
    *m = 0;
    *npos = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(score[i])) continue;
        v[*m].s = score[i];
        v[*m].y = label[i] != 0;
        *npos += v[*m].y;
        (*m)++;
    }
    qsort(v, (size_t)*m, sizeof *v, cmp_scored_asc);
    return v;
}

double hw_auroc(const double *score, const uint8_t *label, int64_t n) {
    int64_t m, np;
    scored *v = finite_pairs(score, label, n, &m, &np);
    int64_t nn = m - np;
    if (np == 0 || nn == 0) {
        free(v);
        return NAN;
    }
    double rank_sum = 0.0; /* ranks of the positives, ties at their average rank */
    for (int64_t i = 0; i < m;) {
        int64_t j = i;
        while (j < m && v[j].s == v[i].s) j++;
        double avg = 0.5 * ((double)(i + 1) + (double)j); /* ranks i+1 .. j */
        for (int64_t k = i; k < j; k++)
            if (v[k].y) rank_sum += avg;
        i = j;
    }
    free(v);
    return (rank_sum - 0.5 * (double)np * (double)(np + 1)) / ((double)np * (double)nn);
}

double hw_average_precision(const double *score, const uint8_t *label, int64_t n) {
    int64_t m, np;
    scored *v = finite_pairs(score, label, n, &m, &np);
    if (np == 0) {
        free(v);
        return NAN;
    }
    double ap = 0.0, prev_recall = 0.0;
    int64_t tp = 0, fp = 0;
    for (int64_t i = m - 1; i >= 0;) { /* descending scores, one threshold per distinct value */
        int64_t j = i;
        while (j >= 0 && v[j].s == v[i].s) {
            if (v[j].y) tp++;
            else fp++;
            j--;
        }
        double recall = (double)tp / (double)np, precision = (double)tp / (double)(tp + fp);
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
        i = j;
    }
    free(v);
    return ap;
}

double hw_kde_scott_bandwidth(const double *v, int64_t n) {
    if (n < 2) return NAN;
    double mean = 0.0, ss = 0.0;
    for (int64_t i = 0; i < n; i++) mean += v[i];
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
    return sqrt(ss / (double)(n - 1)) * pow((double)n, -0.2);
}

double hw_kde_eval(const double *v, int64_t n, double bw, double x) {
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double z = (x - v[i]) / bw;
        s += exp(-0.5 * z * z);
    }
    return s / ((double)n * bw * sqrt(2.0 * M_PI));
}

/* scipy.integrate.simpson(y, x=x): composite Simpson (the unequal-spacing formula)
 * over an even number of intervals, and for an odd number, Cartwright's correction
 * for the last interval (scipy >= 1.11). */
static double simpson(const double *y, const double *x, int n) {
    if (n < 2) return 0.0;
    if (n == 2) return 0.5 * (x[1] - x[0]) * (y[0] + y[1]);
    int last = n % 2 == 1 ? n - 1 : n - 2; /* Simpson over points [0, last] */
    double r = 0.0;
    for (int i = 0; i + 2 <= last; i += 2) {
        double h0 = x[i + 1] - x[i], h1 = x[i + 2] - x[i + 1];
        double hsum = h0 + h1, hprod = h0 * h1, q = h0 / h1;
        r += hsum / 6.0 * (y[i] * (2.0 - 1.0 / q) + y[i + 1] * (hsum * hsum / hprod) + y[i + 2] * (2.0 - q));
    }
    if (n % 2 == 0) {
        double h0 = x[n - 2] - x[n - 3], h1 = x[n - 1] - x[n - 2];
        double alpha = (2.0 * h1 * h1 + 3.0 * h0 * h1) / (6.0 * (h1 + h0));
        double beta = (h1 * h1 + 3.0 * h0 * h1) / (6.0 * h0);
        double eta = h1 * h1 * h1 / (6.0 * h0 * (h0 + h1));
        r += alpha * y[n - 1] + beta * y[n - 2] - eta * y[n - 3];
    }
    return r;
}

static int sign_of(double v) { return (v > 0) - (v < 0); }

void hw_kde_separation(const double *within, int64_t nw, const double *between, int64_t nb, int grid,
                       hw_separation *out) {
    out->found = 0;
    out->threshold = out->replicate_rate = out->condition_rate = out->mean_rate = out->separation = NAN;
    if (nw < 2 || nb < 2 || grid < 3) return;
    double bw_w = hw_kde_scott_bandwidth(within, nw), bw_b = hw_kde_scott_bandwidth(between, nb);
    if (!(bw_w > 0) || !(bw_b > 0)) return;
    double mn = INFINITY, mx = -INFINITY;
    for (int64_t i = 0; i < nw; i++) mn = fmin(mn, within[i]), mx = fmax(mx, within[i]);
    for (int64_t i = 0; i < nb; i++) mn = fmin(mn, between[i]), mx = fmax(mx, between[i]);
    double *x = xmalloc((size_t)grid * sizeof *x), *yw = xmalloc((size_t)grid * sizeof *yw),
           *yb = xmalloc((size_t)grid * sizeof *yb), *lo = xmalloc((size_t)grid * sizeof *lo);
    double step = (mx - mn) / (grid - 1); /* np.linspace */
    for (int k = 0; k < grid; k++) {
        x[k] = k == grid - 1 ? mx : mn + k * step;
        yw[k] = hw_kde_eval(within, nw, bw_w, x[k]);
        yb[k] = hw_kde_eval(between, nb, bw_b, x[k]);
        lo[k] = fmin(yw[k], yb[k]);
    }
    for (int k = 0; k + 1 < grid; k++) {
        double d0 = yw[k] - yb[k], d1 = yw[k + 1] - yb[k + 1];
        if (sign_of(d0) == sign_of(d1)) continue;
        double t = x[k] - d0 * (x[k + 1] - x[k]) / (d1 - d0);
        int64_t rw = 0, cb = 0;
        for (int64_t i = 0; i < nw; i++) rw += within[i] < t;
        for (int64_t i = 0; i < nb; i++) cb += between[i] > t;
        out->found = 1;
        out->threshold = t;
        out->replicate_rate = (double)rw / (double)nw;
        out->condition_rate = (double)cb / (double)nb;
        out->mean_rate = 0.5 * (out->replicate_rate + out->condition_rate);
        out->separation = 1.0 - simpson(lo, x, grid);
        break;
    }
    free(x);
    free(yw);
    free(yb);
    free(lo);
}

/* ---- truth --------------------------------------------------------------------------- */

static int ends_with_ci(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    if (n < k) return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[n - k + i]) != tolower((unsigned char)suffix[i])) return 0;
    return 1;
}

void hw_truth_free(hw_truth *t) {
    for (int64_t i = 0; i < t->n; i++) free(t->chrom[i]);
    free(t->chrom);
    free(t->start);
    free(t->end);
    free(t->value);
    free(t->line);
    free(t->path);
    memset(t, 0, sizeof *t);
}

/* One data line's fields into t; a message naming path:line otherwise. */
static int truth_line(hw_truth *t, const char *path, int lineno, char **f, int nf, int mode, size_t *cap) {
    int need = mode ? 4 : 5;
    if (nf < (mode ? 4 : 3))
        return hw_fail("%s:%d: expected %d columns (%s), found %d", path, lineno, need,
                       mode ? "chrom start end value" : "chrom start end kind strength", nf);
    int64_t s = 0, e = 0;
    int rs = hw_parse_i64(f[1], &s), re = hw_parse_i64(f[2], &e);
    if (rs != 0) return hw_fail("%s:%d: start '%s' is not an integer", path, lineno, f[1]);
    if (re != 0) return hw_fail("%s:%d: end '%s' is not an integer", path, lineno, f[2]);
    if (s < 0) return hw_fail("%s:%d: negative start %lld", path, lineno, (long long)s);
    if (e <= s) return hw_fail("%s:%d: end %lld is not after start %lld", path, lineno, (long long)e, (long long)s);
    double v = 1.0; /* a BED without strength: every interval is a change */
    const char *vs = mode ? f[3] : nf >= 5 ? f[4] : NULL;
    if (vs) {
        char *end;
        v = strtod(vs, &end);
        if (end == vs || *end || !isfinite(v))
            return hw_fail("%s:%d: %s '%s' is not a finite number", path, lineno, mode ? "value" : "strength", vs);
    }
    if ((size_t)t->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        t->chrom = xrealloc(t->chrom, *cap * sizeof *t->chrom);
        t->start = xrealloc(t->start, *cap * sizeof *t->start);
        t->end = xrealloc(t->end, *cap * sizeof *t->end);
        t->value = xrealloc(t->value, *cap * sizeof *t->value);
        t->line = xrealloc(t->line, *cap * sizeof *t->line);
    }
    t->chrom[t->n] = xstrdup(f[0]);
    t->start[t->n] = s;
    t->end[t->n] = e;
    t->value[t->n] = v;
    t->line[t->n] = lineno;
    t->n++;
    return 0;
}

typedef struct {
    hw_truth *t;
    int mode; /* 1 bedGraph, 0 BED, -1 not yet known (the first data line decides) */
    size_t cap;
} truth_reader;

/* one data line (hw_bed_lines_read) into the truth */
static int truth_data_line(void *ctx, const char *path, int64_t lineno, char **f, int nf) {
    truth_reader *tr = ctx;
    if (tr->mode < 0) tr->mode = nf == 4 ? 1 : 0;
    return truth_line(tr->t, path, (int)lineno, f, nf, tr->mode, &tr->cap);
}

int hw_truth_load(const char *path, hw_truth *t) {
    memset(t, 0, sizeof *t);
    truth_reader tr = {t, ends_with_ci(path, ".bedgraph") || ends_with_ci(path, ".bg") ? 1
                          : ends_with_ci(path, ".bed")                                 ? 0
                                                                                       : -1,
                       0};
    int rc = hw_bed_lines_read(path, truth_data_line, &tr);
    t->bedgraph = tr.mode == 1;
    t->path = xstrdup(path);
    if (rc) hw_truth_free(t);
    return rc;
}

static const char *strip_chr(const char *s);

int hw_truth_check_chroms(const hw_truth *t, const char *names, int64_t n, size_t stride) {
    for (int64_t i = 0; i < t->n; i++) {
        int found = 0;
        for (int64_t k = 0; k < n && !found; k++)
            found = strcmp(strip_chr(t->chrom[i]), strip_chr(names + (size_t)k * stride)) == 0;
        if (!found)
            return hw_fail("%s:%d: chromosome '%s' is not in the distance file", t->path ? t->path : "truth",
                           t->line ? t->line[i] : 0, t->chrom[i]);
    }
    return 0;
}

static const char *strip_chr(const char *s) { return strncmp(s, "chr", 3) == 0 ? s + 3 : s; }

int hw_truth_label(const hw_truth *t, const char *chrom, int64_t start, int64_t end,
                   double min_magnitude) {
    double best = -INFINITY;
    int any = 0;
    for (int64_t i = 0; i < t->n; i++) {
        if (t->start[i] >= end || start >= t->end[i]) continue;
        if (strcmp(strip_chr(t->chrom[i]), strip_chr(chrom)) != 0) continue;
        if (!t->bedgraph && t->value[i] > 0) return 1;
        any = 1;
        best = fmax(best, t->value[i]);
    }
    return t->bedgraph && any && best > min_magnitude;
}

double hw_truth_value(const hw_truth *t, const char *chrom, int64_t start, int64_t end) {
    double best = 0.0;
    int any = 0;
    for (int64_t i = 0; i < t->n; i++) {
        if (t->start[i] >= end || start >= t->end[i]) continue;
        if (strcmp(strip_chr(t->chrom[i]), strip_chr(chrom)) != 0) continue;
        best = any ? fmax(best, t->value[i]) : t->value[i];
        any = 1;
    }
    return any ? best : 0.0;
}

typedef struct {
    double v;
    int64_t i;
} indexed;

static int cmp_indexed(const void *a, const void *b) {
    double x = ((const indexed *)a)->v, y = ((const indexed *)b)->v;
    return x < y ? -1 : x > y;
}

/* average ranks (1-based) of v[0..n) into r */
static void average_ranks(const double *v, int64_t n, double *r) {
    indexed *s = xcalloc((size_t)n + 1, sizeof *s);
    for (int64_t i = 0; i < n; i++) s[i] = (indexed){v[i], i};
    qsort(s, (size_t)n, sizeof *s, cmp_indexed);
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && s[j].v == s[i].v) j++;
        double avg = 0.5 * ((double)(i + 1) + (double)j);
        for (int64_t k = i; k < j; k++) r[s[k].i] = avg;
        i = j;
    }
    free(s);
}

double hw_spearman(const double *x, const double *y, int64_t n) {
    double *a = xcalloc((size_t)n + 1, sizeof *a), *b = xcalloc((size_t)n + 1, sizeof *b);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            a[m] = x[i];
            b[m] = y[i];
            m++;
        }
    double r = NAN;
    if (m >= 2) {
        double *ra = xcalloc((size_t)m, sizeof *ra), *rb = xcalloc((size_t)m, sizeof *rb);
        average_ranks(a, m, ra);
        average_ranks(b, m, rb);
        double mean = 0.5 * ((double)m + 1.0), sab = 0, saa = 0, sbb = 0;
        for (int64_t i = 0; i < m; i++) {
            sab += (ra[i] - mean) * (rb[i] - mean);
            saa += (ra[i] - mean) * (ra[i] - mean);
            sbb += (rb[i] - mean) * (rb[i] - mean);
        }
        r = saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
        free(ra);
        free(rb);
    }
    free(a);
    free(b);
    return r;
}

int hw_truth_touches(const hw_truth *t, const char *chrom, int64_t start, int64_t end) {
    for (int64_t i = 0; i < t->n; i++)
        if (t->start[i] < end && start < t->end[i] && strcmp(strip_chr(t->chrom[i]), strip_chr(chrom)) == 0)
            return 1;
    return 0;
}
