/* `hitwin plot training`: training and validation loss, and accuracy where the objective
 * has one (contrastive + classifier), per epoch from metrics.jsonl; one run or many (a
 * sweep's), one colour each, training solid and validation dashed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hitwin/error.h"
#include "hitwin/plot.h"
#include "hitwin/plot_canvas.h"
#include "hitwin/train_metrics.h"
#include "hitwin/xalloc.h"

/* a run directory stands for its metrics.jsonl */
static void metrics_path(const char *input, char *out, size_t cap) {
    struct stat st;
    if (stat(input, &st) == 0 && S_ISDIR(st.st_mode)) snprintf(out, cap, "%s/metrics.jsonl", input);
    else snprintf(out, cap, "%s", input);
}

int hw_plot_training(const hw_plot_request *r) {
    int n = r->n_inputs, rc = 0, n_read = 0;
    hw_train_metrics *m = xcalloc((size_t)n, sizeof *m);
    for (int f = 0; f < n && !rc; f++) {
        char path[4200];
        metrics_path(r->inputs[f], path, sizeof path);
        rc = hw_train_metrics_read(path, &m[f]);
        if (!rc) n_read++;
    }
    int has_acc = 0;
    double elo = NAN, ehi = NAN, llo = NAN, lhi = NAN, alo = NAN, ahi = NAN;
    for (int f = 0; f < n_read; f++) {
        double *ep = xmalloc((size_t)m[f].n * sizeof *ep);
        for (int64_t i = 0; i < m[f].n; i++) ep[i] = (double)m[f].epoch[i];
        hw_range_update(&elo, &ehi, ep, m[f].n);
        free(ep);
        hw_range_update(&llo, &lhi, m[f].v[HW_MET_TRAIN_LOSS], m[f].n);
        hw_range_update(&llo, &lhi, m[f].v[HW_MET_VAL_LOSS], m[f].n);
        hw_range_update(&alo, &ahi, m[f].v[HW_MET_TRAIN_ACCURACY], m[f].n);
        hw_range_update(&alo, &ahi, m[f].v[HW_MET_VAL_ACCURACY], m[f].n);
    }
    has_acc = isfinite(alo);
    hw_plot_data data = {0};
    if (!rc && r->data_out) rc = hw_plot_data_open(&data, r->data_out);
    if (data.fp) {
        fprintf(data.fp, "run\tepoch\ttrain_loss\tval_loss\ttrain_accuracy\tval_accuracy\tbest\n");
        for (int f = 0; f < n_read; f++)
            for (int64_t i = 0; i < m[f].n; i++)
                fprintf(data.fp, "%s\t%lld\t%.9g\t%.9g\t%.9g\t%.9g\t%d\n", r->labels[f], (long long)m[f].epoch[i],
                        m[f].v[HW_MET_TRAIN_LOSS][i], m[f].v[HW_MET_VAL_LOSS][i],
                        m[f].v[HW_MET_TRAIN_ACCURACY][i], m[f].v[HW_MET_VAL_ACCURACY][i], m[f].best[i]);
    }
    hw_canvas c;
    double pw = 560, ph = 420, W = has_acc ? 2 * pw : pw + 100;
    if (!rc) rc = hw_canvas_open(&c, r->out, W, ph + 15.0 * (n > 6 ? n - 6 : 0));
    if (!rc) {
        hw_panel pl = hw_panel_at(80, 45, (has_acc ? pw : W) - 110, ph - 110);
        hw_panel pa = hw_panel_at(pw + 80, 45, pw - 110, ph - 110);
        pl.xinteger = pa.xinteger = 1;
        /* a margin around the first and last epoch, so that their points show whole */
        double pad = fmax(0.25, 0.02 * (ehi - elo)), ly = 0.05 * (lhi - llo);
        hw_panel_limits(&pl, elo - pad, ehi + pad, llo - ly, lhi + ly);
        hw_panel_limits(&pa, elo - pad, ehi + pad, fmin(alo, 0.5) - 0.02, fmax(ahi, 1.0) + 0.02);
        hw_panel_axes(&c, &pl, "epoch", "loss", r->title ? r->title : "loss", 1);
        if (has_acc) hw_panel_axes(&c, &pa, "epoch", "accuracy", "classifier accuracy", 1);
        const char **names = xcalloc((size_t)n * 2 + 2, sizeof *names);
        char (*nb)[300] = xcalloc((size_t)n * 2 + 2, sizeof *nb);
        hw_rgb *cols = xcalloc((size_t)n * 2 + 2, sizeof *cols);
        int *dashed = xcalloc((size_t)n * 2 + 2, sizeof *dashed);
        int nl = 0;
        for (int f = 0; f < n_read; f++) {
            double *ep = xmalloc((size_t)m[f].n * sizeof *ep);
            for (int64_t i = 0; i < m[f].n; i++) ep[i] = (double)m[f].epoch[i];
            hw_rgb col = hw_palette(f);
            static const int keys[4] = {HW_MET_TRAIN_LOSS, HW_MET_VAL_LOSS, HW_MET_TRAIN_ACCURACY, HW_MET_VAL_ACCURACY};
            for (int k = 0; k < (has_acc ? 4 : 2); k++) {
                const hw_panel *pp = k < 2 ? &pl : &pa;
                hw_plot_line(&c, pp, ep, m[f].v[keys[k]], m[f].n, col, 1.8, k % 2);
                /* the epochs as points: a run of one epoch still shows */
                hw_plot_markers(&c, pp, ep, m[f].v[keys[k]], m[f].n, col, k % 2 ? 2.2 : 3);
            }
            free(ep);
            if (n_read == 1) {
                names[nl] = "training", cols[nl] = col, dashed[nl++] = 0;
                names[nl] = "validation", cols[nl] = col, dashed[nl++] = 1;
            } else {
                snprintf(nb[nl], sizeof nb[0], "%s", r->labels[f]);
                names[nl] = nb[nl], cols[nl] = col, dashed[nl++] = 0;
            }
        }
        if (n_read > 1) {
            hw_rgb grey = {0.3, 0.3, 0.3};
            names[nl] = "training (solid)", cols[nl] = grey, dashed[nl++] = 0;
            names[nl] = "validation (dashed)", cols[nl] = grey, dashed[nl++] = 1;
        }
        hw_legend(&c, &pl, names, cols, dashed, nl, 0);
        free(names), free(nb), free(cols), free(dashed);
        rc = hw_canvas_close(&c);
    }
    if (data.fp) {
        int rc2 = hw_plot_data_close(&data, !rc);
        if (!rc) rc = rc2;
    }
    for (int f = 0; f < n_read; f++) hw_train_metrics_free(&m[f]);
    free(m);
    return rc;
}
