/* `hitwin plot evaluate`: ROC curves of the per-window scores of every measure against a
 * truth file, the windows labelled as `hitwin evaluate` labels them (hw_truth_label on
 * the tile span); the legend gives each curve's AUROC (hw_auroc, evaluate's number). */
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

typedef struct {
    double s;
    uint8_t y;
} scored;

static int by_score_desc(const void *a, const void *b) {
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x < y) - (x > y);
}

/* The ROC curve over the windows with a finite score: one point per distinct threshold,
 * tied scores entering together, from (0, 0) to (1, 1). Returns the point count. */
static int64_t roc_curve(const double *score, const uint8_t *label, int64_t n, double *fpr, double *tpr) {
    scored *v = xmalloc(((size_t)n + 1) * sizeof *v);
    int64_t m = 0, pos = 0, neg = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(score[i])) {
            v[m].s = score[i], v[m].y = label[i], m++;
            pos += label[i] != 0, neg += label[i] == 0;
        }
    qsort(v, (size_t)m, sizeof *v, by_score_desc);
    int64_t k = 0, tp = 0, fp = 0;
    fpr[k] = 0, tpr[k++] = 0;
    for (int64_t i = 0; i < m;) {
        int64_t j = i;
        while (j < m && v[j].s == v[i].s) tp += v[j].y != 0, fp += v[j].y == 0, j++;
        fpr[k] = neg ? (double)fp / (double)neg : NAN;
        tpr[k++] = pos ? (double)tp / (double)pos : NAN;
        i = j;
    }
    free(v);
    return k;
}

/* the scores of a measure that can be ranked: evaluate's three */
enum { SC_SCORE, SC_DIFF, SC_Z, N_SC };
static const char *const sc_names[N_SC] = {"score", "diff", "z"};

int hw_plot_evaluate(const hw_plot_request *r) {
    hw_truth truth;
    if (!r->truth) return hw_fail("plot evaluate: --truth FILE is missing (truth.bed or truth.bedgraph)");
    if (hw_truth_load(r->truth, &truth) != 0) return -1;
    int n_curves_cap = r->n_inputs * r->n_measures * N_SC, nc = 0, rc = 0;
    double **fpr = xcalloc((size_t)n_curves_cap, sizeof *fpr), **tpr = xcalloc((size_t)n_curves_cap, sizeof *tpr);
    int64_t *np = xcalloc((size_t)n_curves_cap, sizeof *np);
    double *auc = xcalloc((size_t)n_curves_cap, sizeof *auc);
    char (*names)[300] = xcalloc((size_t)n_curves_cap, sizeof *names);
    hw_plot_data data = {0};
    if (r->data_out) rc = hw_plot_data_open(&data, r->data_out);
    if (data.fp) fprintf(data.fp, "input\tmeasure\tscore\tauroc\tfpr\ttpr\n");
    for (int f = 0; f < r->n_inputs && !rc; f++) {
        hw_distance_data d;
        if ((rc = hw_distance_read(r->inputs[f], &d)) != 0) break;
        /* truth on chromosomes the file lacks (a --split test run) is fine, as for evaluate */
        uint8_t *y = xcalloc((size_t)d.nw + 1, 1);
        int64_t pos = 0;
        for (int64_t i = 0; i < d.nw && !rc; i++) {
            y[i] = (uint8_t)hw_truth_label(&truth, hw_distance_chrom(&d, i), d.start[i], d.end[i], r->min_magnitude);
            pos += y[i];
        }
        if (!rc && (pos == 0 || pos == d.nw))
            rc = hw_fail("%s: the truth %s marks %s window as changed: no ROC curve", r->inputs[f], r->truth,
                         pos ? "every" : "no");
        for (int m = 0; m < r->n_measures && !rc; m++) {
            int q = r->measures[m];
            const double *sc[N_SC] = {d.score[q], d.diff[q], d.z[q]};
            /* the Twins score for every measure; diff and z only when one measure is asked for */
            for (int s = 0; s < (r->n_measures == 1 ? N_SC : 1); s++) {
                int finite = 0;
                for (int64_t i = 0; i < d.nw && !finite; i++) finite = isfinite(sc[s][i]);
                if (!finite) continue; /* --no-baselines, or a file older than diff and z */
                fpr[nc] = xmalloc(((size_t)d.nw + 2) * sizeof(double));
                tpr[nc] = xmalloc(((size_t)d.nw + 2) * sizeof(double));
                np[nc] = roc_curve(sc[s], y, d.nw, fpr[nc], tpr[nc]);
                auc[nc] = hw_auroc(sc[s], y, d.nw);
                snprintf(names[nc], sizeof names[0], "%s%s%s%s%s (AUROC %.3f)", r->n_inputs > 1 ? r->labels[f] : "",
                         r->n_inputs > 1 ? " " : "", hw_measure_names[q], s ? " " : "", s ? sc_names[s] : "", auc[nc]);
                for (int64_t k = 0; data.fp && k < np[nc]; k++)
                    fprintf(data.fp, "%s\t%s\t%s\t%.9g\t%.9g\t%.9g\n", r->labels[f], hw_measure_names[q], sc_names[s],
                            auc[nc], fpr[nc][k], tpr[nc][k]);
                nc++;
            }
        }
        free(y);
        hw_distance_data_free(&d);
    }
    if (!rc && nc == 0) rc = hw_fail("%s: no measure has a finite score to rank", r->inputs[0]);
    hw_canvas c;
    if (!rc) rc = hw_canvas_open(&c, r->out, 640, 600);
    if (!rc) {
        hw_panel p = hw_panel_at(80, 45, 520, 480);
        hw_panel_limits(&p, 0, 1, 0, 1);
        hw_panel_axes(&c, &p, "false positive rate", "true positive rate",
                      r->title ? r->title : "ROC: windows overlapping a planted change", 1);
        hw_rgb grey = {0.6, 0.6, 0.6};
        double diag[2] = {0, 1};
        hw_plot_line(&c, &p, diag, diag, 2, grey, 1, 1);
        const char **nm = xcalloc((size_t)nc, sizeof *nm);
        hw_rgb *cols = xcalloc((size_t)nc, sizeof *cols);
        int *dashed = xcalloc((size_t)nc, sizeof *dashed);
        for (int k = 0; k < nc; k++) {
            cols[k] = hw_palette(k);
            nm[k] = names[k];
            hw_plot_line(&c, &p, fpr[k], tpr[k], np[k], cols[k], 1.8, 0);
        }
        /* lower right: ROC curves leave it empty */
        hw_panel corner = p;
        corner.y = p.y + p.h - (15 * nc + 8) - 16;
        hw_legend(&c, &corner, nm, cols, dashed, nc, 0);
        free(nm), free(cols), free(dashed);
        rc = hw_canvas_close(&c);
    }
    if (data.fp) {
        int rc2 = hw_plot_data_close(&data, !rc);
        if (!rc) rc = rc2;
    }
    for (int k = 0; k < nc; k++) free(fpr[k]), free(tpr[k]);
    free(fpr), free(tpr), free(np), free(auc), free(names);
    hw_truth_free(&truth);
    return rc;
}
