/* `hitwin plot hist`: Gaussian KDEs of the within and between pair distances with the
 * threshold where they cross and the replicate / condition rates, as the reference's
 * plot_smoothed_distance_hist (reference.md 7.7). The threshold and rates are
 * hw_kde_separation's, the numbers `hitwin evaluate` reports. */
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

#define KDE_GRID 200 /* the reference's grid */

typedef struct {
    double x[KDE_GRID], kde[2][KDE_GRID];
    int64_t n[2];
    hw_separation sep;
    int ok; /* both samples have a spread */
} kde_panel;

/* The finite pair distances of each label (windows inside the region) and their KDEs on
 * the grid hw_kde_separation uses: KDE_GRID points over [min, max] of both. */
static void build_kdes(const hw_distance_data *d, int q, const hw_plot_region *r, kde_panel *k) {
    memset(k, 0, sizeof *k);
    double *v[2] = {xmalloc(((size_t)d->np + 1) * sizeof(double)), xmalloc(((size_t)d->np + 1) * sizeof(double))};
    for (int64_t p = 0; p < d->np; p++) {
        int64_t row = d->pair_row[p];
        if (!isfinite(d->d[q][p])) continue;
        if (r->set && (!hw_plot_chrom_match(r->chrom, hw_distance_chrom(d, row)) ||
                       d->middle[row] < r->start || (r->end >= 0 && d->middle[row] > r->end)))
            continue;
        int l = d->label[p] ? 1 : 0;
        v[l][k->n[l]++] = d->d[q][p];
    }
    hw_kde_separation(v[0], k->n[0], v[1], k->n[1], KDE_GRID, &k->sep);
    double bw[2] = {hw_kde_scott_bandwidth(v[0], k->n[0]), hw_kde_scott_bandwidth(v[1], k->n[1])};
    k->ok = bw[0] > 0 && bw[1] > 0;
    if (k->ok) {
        double mn = INFINITY, mx = -INFINITY;
        for (int l = 0; l < 2; l++)
            for (int64_t i = 0; i < k->n[l]; i++) mn = fmin(mn, v[l][i]), mx = fmax(mx, v[l][i]);
        double step = (mx - mn) / (KDE_GRID - 1);
        for (int g = 0; g < KDE_GRID; g++) {
            k->x[g] = g == KDE_GRID - 1 ? mx : mn + g * step;
            for (int l = 0; l < 2; l++) k->kde[l][g] = hw_kde_eval(v[l], k->n[l], bw[l], k->x[g]);
        }
    }
    free(v[0]), free(v[1]);
}

int hw_plot_hist(const hw_plot_request *r) {
    int n_panels = r->n_inputs * r->n_measures;
    kde_panel *k = xcalloc((size_t)n_panels, sizeof *k);
    int rc = 0;
    for (int f = 0; f < r->n_inputs && !rc; f++) {
        hw_distance_data d;
        rc = hw_distance_read(r->inputs[f], &d);
        if (rc) break;
        for (int m = 0; m < r->n_measures; m++) {
            kde_panel *kp = &k[f * r->n_measures + m];
            build_kdes(&d, r->measures[m], &r->region, kp);
            if (!kp->ok && r->n_measures == 1)
                rc = hw_fail("%s: measure %s: fewer than two distinct within or between distances "
                             "(%lld within, %lld between pairs) to smooth",
                             r->inputs[f], hw_measure_names[r->measures[m]], (long long)kp->n[0],
                             (long long)kp->n[1]);
        }
        hw_distance_data_free(&d);
    }
    hw_plot_data data = {0};
    if (!rc && r->data_out) rc = hw_plot_data_open(&data, r->data_out);
    if (data.fp) {
        fprintf(data.fp, "# input\tmeasure\tn_within\tn_between\tthreshold\treplicate_rate\tcondition_rate\t"
                         "mean_rate\tseparation_index\n");
        for (int s = 0; s < n_panels; s++)
            fprintf(data.fp, "# %s\t%s\t%lld\t%lld\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\n", r->labels[s / r->n_measures],
                    hw_measure_names[r->measures[s % r->n_measures]], (long long)k[s].n[0], (long long)k[s].n[1],
                    k[s].sep.threshold, k[s].sep.replicate_rate, k[s].sep.condition_rate, k[s].sep.mean_rate,
                    k[s].sep.separation);
        fprintf(data.fp, "input\tmeasure\tx\tkde_within\tkde_between\n");
        for (int s = 0; s < n_panels; s++)
            for (int g = 0; k[s].ok && g < KDE_GRID; g++)
                fprintf(data.fp, "%s\t%s\t%.9g\t%.9g\t%.9g\n", r->labels[s / r->n_measures],
                        hw_measure_names[r->measures[s % r->n_measures]], k[s].x[g], k[s].kde[0][g], k[s].kde[1][g]);
    }
    int cols = n_panels < 2 ? 1 : 2, rows = (n_panels + cols - 1) / cols;
    const double pw = 520, ph = 380;
    hw_canvas c;
    if (!rc) rc = hw_canvas_open(&c, r->out, pw * cols, ph * rows);
    for (int s = 0; s < n_panels && !rc; s++) {
        const kde_panel *kp = &k[s];
        double x0 = pw * (s % cols), y0 = ph * (s / cols);
        hw_panel p = hw_panel_at(x0 + 75, y0 + 40, pw - 100, ph - 95);
        double ylo = 0, yhi = NAN;
        hw_range_update(&ylo, &yhi, kp->kde[0], kp->ok ? KDE_GRID : 0);
        hw_range_update(&ylo, &yhi, kp->kde[1], kp->ok ? KDE_GRID : 0);
        hw_panel_limits(&p, kp->ok ? kp->x[0] : 0, kp->ok ? kp->x[KDE_GRID - 1] : 1, 0, yhi * 1.1);
        char title[512], xl[128];
        const char *mname = hw_measure_names[r->measures[s % r->n_measures]];
        snprintf(title, sizeof title, "%s%s%s", r->n_inputs > 1 || r->title ? (r->title ? r->title : r->labels[s / r->n_measures]) : "",
                 r->n_inputs > 1 || r->title ? ": " : "", mname);
        snprintf(xl, sizeof xl, "%s distance", mname);
        hw_panel_axes(&c, &p, xl, "density", title, 1);
        if (!kp->ok) {
            hw_text(&c, p.x + p.w / 2, p.y + p.h / 2, "too few distinct distances to smooth", 11, 1);
            continue;
        }
        double zero[KDE_GRID] = {0};
        for (int l = 0; l < 2; l++) {
            hw_plot_band(&c, &p, kp->x, zero, kp->kde[l], KDE_GRID, hw_palette(l), 0.25);
            hw_plot_line(&c, &p, kp->x, kp->kde[l], KDE_GRID, hw_palette(l), 1.8, 0);
        }
        hw_rgb black = {0.2, 0.2, 0.2};
        hw_plot_vline(&c, &p, kp->sep.threshold, black, 1.4, 1);
        char lw[96], lb[96], lt[96];
        snprintf(lw, sizeof lw, "within (%lld pairs)", (long long)kp->n[0]);
        snprintf(lb, sizeof lb, "between (%lld pairs)", (long long)kp->n[1]);
        if (kp->sep.found) snprintf(lt, sizeof lt, "threshold %.4g", kp->sep.threshold);
        else snprintf(lt, sizeof lt, "no crossing: no threshold");
        const char *names[3] = {lw, lb, lt};
        hw_rgb cols3[3] = {hw_palette(0), hw_palette(1), black};
        int dashed[3] = {0, 0, 1};
        hw_legend(&c, &p, names, cols3, dashed, 3, 0);
        if (kp->sep.found) {
            char line[160];
            snprintf(line, sizeof line, "replicate rate %.3f   condition rate %.3f   mean %.3f   separation %.3f",
                     kp->sep.replicate_rate, kp->sep.condition_rate, kp->sep.mean_rate, kp->sep.separation);
            hw_text(&c, p.x + p.w / 2, p.y + p.h + 52, line, 10, 1);
        }
    }
    if (!rc) rc = hw_canvas_close(&c);
    if (data.fp) {
        int rc2 = hw_plot_data_close(&data, !rc);
        if (!rc) rc = rc2;
    }
    free(k);
    return rc;
}
