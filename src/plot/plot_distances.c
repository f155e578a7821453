/* `hitwin plot distances`: per chromosome, the within and between distance tracks
 * against the window middle (mean and 95 % band over the pairs) and the Twins score
 * beneath, as the reference's plot_chromosome_distances_middle_bin (reference.md 7.7);
 * several inputs (checkpoints) and measures overlaid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/distance_read.h"
#include "hitwin/error.h"
#include "hitwin/evaluate.h"
#include "hitwin/plot.h"
#include "hitwin/plot_canvas.h"
#include "hitwin/xalloc.h"

/* One track of one chromosome: an input and a measure over its windows. */
typedef struct {
    int64_t n;
    double *x, *score;
    double *mean[2], *lo[2], *hi[2]; /* [0] within, [1] between */
    int64_t *count[2];
} track;

static void track_free(track *t) {
    free(t->x), free(t->score);
    for (int l = 0; l < 2; l++) free(t->mean[l]), free(t->lo[l]), free(t->hi[l]), free(t->count[l]);
}

static int in_region(const hw_plot_region *r, const char *chrom, int64_t middle) {
    if (!r->set) return 1;
    if (!hw_plot_chrom_match(r->chrom, chrom)) return 0;
    return middle >= r->start && (r->end < 0 || middle <= r->end);
}

/* At every window of chrom, the file's within and between means (what its score is made
 * of: with `distance --neighbours H`, the mean over the window and its neighbours) and the
 * normal 95 % interval about them from the window's own pairs (1.96 standard errors, sd with
 * ddof 1; zero width for one pair): seaborn's default band, without its bootstrap's
 * randomness. */
static void build_track(const hw_distance_data *d, int q, const char *chrom, const hw_plot_region *r,
                        track *t) {
    memset(t, 0, sizeof *t);
    int64_t *row_to_k = xmalloc(((size_t)d->nw + 1) * sizeof *row_to_k);
    for (int64_t i = 0; i < d->nw; i++) {
        row_to_k[i] = -1;
        if (strcmp(hw_distance_chrom(d, i), chrom) == 0 && in_region(r, chrom, d->middle[i]))
            row_to_k[i] = t->n++;
    }
    size_t n = (size_t)t->n + 1;
    t->x = xmalloc(n * sizeof(double));
    t->score = xmalloc(n * sizeof(double));
    double *sum[2], *ss[2];
    for (int l = 0; l < 2; l++) {
        t->mean[l] = xmalloc(n * sizeof(double));
        t->lo[l] = xmalloc(n * sizeof(double));
        t->hi[l] = xmalloc(n * sizeof(double));
        t->count[l] = xcalloc(n, sizeof(int64_t));
        sum[l] = xcalloc(n, sizeof(double));
        ss[l] = xcalloc(n, sizeof(double));
    }
    for (int64_t i = 0; i < d->nw; i++) {
        if (row_to_k[i] < 0) continue;
        t->x[row_to_k[i]] = (double)d->middle[i];
        t->score[row_to_k[i]] = d->score[q][i];
        t->mean[0][row_to_k[i]] = d->within[q][i];
        t->mean[1][row_to_k[i]] = d->between[q][i];
    }
    for (int64_t p = 0; p < d->np; p++) {
        int64_t k = row_to_k[d->pair_row[p]];
        double v = d->d[q][p];
        if (k < 0 || !isfinite(v)) continue;
        int l = d->label[p] ? 1 : 0;
        sum[l][k] += v, ss[l][k] += v * v, t->count[l][k]++;
    }
    for (int64_t k = 0; k < t->n; k++)
        for (int l = 0; l < 2; l++) {
            int64_t c = t->count[l][k];
            double own = c ? sum[l][k] / (double)c : NAN, m = t->mean[l][k];
            double var = c > 1 ? fmax(ss[l][k] - c * own * own, 0) / (double)(c - 1) : 0;
            double half = c > 1 ? 1.96 * sqrt(var / (double)c) : 0;
            t->lo[l][k] = m - half, t->hi[l][k] = m + half;
        }
    for (int l = 0; l < 2; l++) free(sum[l]), free(ss[l]);
    free(row_to_k);
}

/* chromosomes in the order the inputs first list them */
static int chromosomes(const hw_distance_data *d, int n_in, const hw_plot_region *r, char ***out) {
    char **names = NULL;
    int n = 0;
    for (int f = 0; f < n_in; f++)
        for (int64_t i = 0; i < d[f].nw; i++) {
            const char *c = hw_distance_chrom(&d[f], i);
            if (r->set && !hw_plot_chrom_match(r->chrom, c)) continue;
            int seen = 0;
            for (int k = 0; k < n && !seen; k++) seen = !strcmp(names[k], c);
            if (seen) continue;
            names = xrealloc(names, (size_t)(n + 1) * sizeof *names);
            names[n++] = xstrdup(c);
        }
    *out = names;
    return n;
}

static void chrom_list(const hw_distance_data *d, char *buf, size_t cap) {
    buf[0] = '\0';
    for (int64_t i = 0; i < d->nw; i++) {
        const char *c = hw_distance_chrom(d, i);
        if (i > 0 && !strcmp(c, hw_distance_chrom(d, i - 1))) continue;
        size_t k = strlen(buf);
        snprintf(buf + k, cap - k, "%s%s", k ? ", " : "", c);
    }
}

static void series_name(char *out, size_t cap, const hw_plot_request *r, int f, int q, const char *what) {
    char a[256] = "";
    if (r->n_inputs > 1) snprintf(a + strlen(a), sizeof a - strlen(a), "%s ", r->labels[f]);
    if (r->n_measures > 1) snprintf(a + strlen(a), sizeof a - strlen(a), "%s ", hw_measure_names[q]);
    snprintf(out, cap, "%s%s", a, what);
}

int hw_plot_distances(const hw_plot_request *r) {
    hw_distance_data *d = xcalloc((size_t)r->n_inputs, sizeof *d);
    int rc = 0, n_read = 0;
    for (int f = 0; f < r->n_inputs && !rc; f++, n_read++) rc = hw_distance_read(r->inputs[f], &d[f]);
    if (rc) n_read--;
    /* a measure the file has no value of (written before hitwin had it, or a baseline of a
     * --no-baselines run) would draw empty panels: refused, naming it */
    for (int f = 0; f < n_read && !rc; f++)
        for (int m = 0; m < r->n_measures && !rc; m++) {
            const int q = r->measures[m];
            int64_t finite = 0;
            for (int64_t i = 0; i < d[f].nw; i++) finite += isfinite(d[f].within[q][i]) || isfinite(d[f].between[q][i]);
            if (!finite)
                rc = hw_fail("%s: no %s distances in the file (written before hitwin had the measure, or "
                             "with --no-baselines): name others with --measure",
                             r->inputs[f], hw_measure_names[q]);
        }
    char **chroms = NULL;
    int nc = rc ? 0 : chromosomes(d, r->n_inputs, &r->region, &chroms);
    if (!rc && nc == 0) {
        char list[2048];
        chrom_list(&d[0], list, sizeof list);
        rc = r->region.set ? hw_fail("%s: chromosome '%s' (--region) is not in the file (chromosomes: %s)",
                                     r->inputs[0], r->region.chrom, list)
                           : hw_fail("%s: no windows", r->inputs[0]);
    }
    int64_t n_in = 0; /* a region between or beyond the windows draws empty panels: refused */
    for (int f = 0; f < n_read && !rc; f++)
        for (int64_t i = 0; i < d[f].nw; i++) n_in += in_region(&r->region, hw_distance_chrom(&d[f], i), d[f].middle[i]);
    if (!rc && n_in == 0)
        rc = hw_fail("%s: no window has its middle in --region %s:%lld-%lld", r->inputs[0], r->region.chrom,
                     (long long)r->region.start, (long long)r->region.end);
    /* --truth: the planted changes shaded, where a reader looks for a peak of the score */
    hw_truth truth = {0};
    int have_truth = 0;
    if (!rc && r->truth) {
        rc = hw_truth_load(r->truth, &truth);
        have_truth = !rc;
    }
    hw_plot_data data = {0};
    if (!rc && r->data_out) rc = hw_plot_data_open(&data, r->data_out);
    if (data.fp)
        fprintf(data.fp, "input\tmeasure\tchrom\tmiddle\tn_within\twithin_mean\twithin_lo\twithin_hi\t"
                         "n_between\tbetween_mean\tbetween_lo\tbetween_hi\tscore\n");
    hw_canvas c;
    const double W = 1000, left = 85, right = 25, block = 430;
    if (!rc) rc = hw_canvas_open(&c, r->out, W, block * nc + 10);
    int n_series = r->n_inputs * r->n_measures;
    for (int ci = 0; ci < nc && !rc; ci++) {
        double top = block * ci;
        hw_panel pd = hw_panel_at(left, top + 45, W - left - right, 200);
        hw_panel ps = hw_panel_at(left, top + 45 + 200 + 25, W - left - right, 100);
        track *t = xcalloc((size_t)n_series, sizeof *t);
        double xlo = NAN, xhi = NAN, ylo = NAN, yhi = NAN, slo = 0, shi = NAN;
        for (int f = 0; f < r->n_inputs; f++)
            for (int m = 0; m < r->n_measures; m++) {
                track *tr = &t[f * r->n_measures + m];
                int q = r->measures[m];
                build_track(&d[f], q, chroms[ci], &r->region, tr);
                hw_range_update(&xlo, &xhi, tr->x, tr->n);
                for (int l = 0; l < 2; l++) {
                    hw_range_update(&ylo, &yhi, tr->lo[l], tr->n);
                    hw_range_update(&ylo, &yhi, tr->hi[l], tr->n);
                }
                hw_range_update(&slo, &shi, tr->score, tr->n);
                for (int64_t k = 0; data.fp && k < tr->n; k++)
                    fprintf(data.fp, "%s\t%s\t%s\t%.0f\t%lld\t%.9g\t%.9g\t%.9g\t%lld\t%.9g\t%.9g\t%.9g\t%.9g\n",
                            r->labels[f], hw_measure_names[q], chroms[ci], tr->x[k],
                            (long long)tr->count[0][k], tr->mean[0][k], tr->lo[0][k], tr->hi[0][k],
                            (long long)tr->count[1][k], tr->mean[1][k], tr->lo[1][k], tr->hi[1][k],
                            tr->score[k]);
            }
        if (r->region.set && r->region.end > 0) xlo = (double)r->region.start, xhi = (double)r->region.end;
        double pad = (yhi - ylo) * 0.05;
        hw_panel_limits(&pd, xlo, xhi, ylo - pad, yhi + pad);
        hw_panel_limits(&ps, xlo, xhi, 0, shi * 1.08);
        char title[512];
        snprintf(title, sizeof title, "%s%s%s", r->title ? r->title : "", r->title ? ": " : "", chroms[ci]);
        hw_rgb shade = {0.45, 0.45, 0.45};
        for (int64_t k = 0; have_truth && k < truth.n; k++) {
            int changed = truth.bedgraph ? truth.value[k] > r->min_magnitude : truth.value[k] > 0;
            if (!changed || !hw_plot_chrom_match(truth.chrom[k], chroms[ci])) continue;
            hw_plot_xspan(&c, &pd, (double)truth.start[k], (double)truth.end[k], shade, 0.15);
            hw_plot_xspan(&c, &ps, (double)truth.start[k], (double)truth.end[k], shade, 0.15);
        }
        hw_panel_axes(&c, &pd, NULL, "distance", title, 1e6);
        hw_panel_axes(&c, &ps, "window middle (Mb)", "Twins score", NULL, 1e6);
        const char **names = xcalloc((size_t)n_series * 2, sizeof *names);
        char (*nbuf)[300] = xcalloc((size_t)n_series * 2, sizeof *nbuf);
        hw_rgb *cols = xcalloc((size_t)n_series * 2, sizeof *cols);
        for (int s = 0; s < n_series; s++) {
            int f = s / r->n_measures, q = r->measures[s % r->n_measures];
            for (int l = 0; l < 2; l++) {
                hw_rgb col = hw_palette(2 * s + l);
                hw_plot_band(&c, &pd, t[s].x, t[s].lo[l], t[s].hi[l], t[s].n, col, 0.25);
                hw_plot_line(&c, &pd, t[s].x, t[s].mean[l], t[s].n, col, 1.6, 0);
                series_name(nbuf[2 * s + l], sizeof nbuf[0], r, f, q, l ? "between" : "within");
                names[2 * s + l] = nbuf[2 * s + l];
                cols[2 * s + l] = col;
            }
            hw_plot_line(&c, &ps, t[s].x, t[s].score, t[s].n, hw_palette(2 * s + 1), 1.6, 0);
        }
        int n_leg = 2 * n_series;
        if (have_truth) {
            names = xrealloc(names, (size_t)(n_leg + 1) * sizeof *names);
            cols = xrealloc(cols, (size_t)(n_leg + 1) * sizeof *cols);
            names[n_leg] = "planted change (--truth)", cols[n_leg++] = (hw_rgb){0.7, 0.7, 0.7};
        }
        hw_legend(&c, &pd, names, cols, NULL, n_leg, 0);
        free(names), free(nbuf), free(cols);
        for (int s = 0; s < n_series; s++) track_free(&t[s]);
        free(t);
    }
    if (!rc) rc = hw_canvas_close(&c);
    if (data.fp) {
        int rc2 = hw_plot_data_close(&data, !rc);
        if (!rc) rc = rc2;
    }
    if (have_truth) hw_truth_free(&truth);
    for (int f = 0; f < n_read; f++) hw_distance_data_free(&d[f]);
    free(d);
    for (int k = 0; k < nc; k++) free(chroms[k]);
    free(chroms);
    return rc;
}
