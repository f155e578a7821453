/* `hitwin sweep --collect DIR` (sweep.h): every run's state, best validation, AUROCs and
 * timing in one CSV, and the training curves of all runs in one figure. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/distance.h"
#include "hitwin/error.h"
#include "hitwin/output_guard.h"
#include "hitwin/plot.h"
#include "hitwin/sweep.h"
#include "hitwin/train_metrics.h"
#include "hitwin/xalloc.h"

/* the AUROC of each measure in evaluate's JSON ("pairwise": {"auroc": X, ...); NaN if absent */
static void read_aurocs(const char *path, double *auroc) {
    for (int q = 0; q < HW_N_MEASURES; q++) auroc[q] = NAN;
    FILE *fp = fopen(path, "r");
    if (!fp) return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, fp) > 0)
        for (int q = 0; q < HW_N_MEASURES; q++) {
            char pat[64];
            snprintf(pat, sizeof pat, "\"%s\": {\"auroc\": ", hw_measure_names[q]);
            const char *p = strstr(line, pat);
            if (p && strncmp(p + strlen(pat), "null", 4) != 0) auroc[q] = strtod(p + strlen(pat), NULL);
        }
    free(line);
    fclose(fp);
}

static double read_seconds(const char *path) {
    FILE *fp = fopen(path, "r");
    double v = NAN;
    if (fp) {
        if (fscanf(fp, "%lf", &v) != 1) v = NAN;
        fclose(fp);
    }
    return v;
}

static void csv_num(FILE *fp, double v) {
    if (isfinite(v)) fprintf(fp, ",%.9g", v);
    else fputs(",", fp);
}

int hw_sweep_collect(const char *dir) {
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/sweep.tsv", dir);
    FILE *tsv = fopen(path, "r");
    if (!tsv) return hw_fail("%s: cannot open (is %s a sweep directory written by hitwin sweep?)", path, dir);
    char csv_path[PATH_MAX + 64], tmp[PATH_MAX + 100];
    snprintf(csv_path, sizeof csv_path, "%s/summary.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", csv_path, (long)getpid());
    FILE *out = fopen(tmp, "w");
    if (!out) {
        fclose(tsv);
        return hw_fail("%s: cannot create: %s", csv_path, strerror(errno));
    }
    hw_temp_add(tmp);
    fputs("task,name,status,epochs,best_epoch,best_val_loss,train_seconds,distance_seconds", out);
    for (int q = 0; q < HW_N_MEASURES; q++) fprintf(out, ",auroc_%s", hw_measure_names[q]);
    fputs(",set,failed_log\n", out);
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0, n_done = 0, n_failed = 0, n_pending = 0, n_runs = 0;
    char **runs = NULL, **labels = NULL;
    while (getline(&line, &cap, tsv) > 0) {
        if (++lineno == 1) continue;
        line[strcspn(line, "\n")] = '\0';
        char *name = strchr(line, '\t'), *sets = name ? strchr(name + 1, '\t') : NULL;
        if (!name || !sets) {
            rc = hw_fail("%s:%d: expected task, name and set separated by tabs", path, lineno);
            break;
        }
        *name++ = '\0', *sets++ = '\0';
        char run[PATH_MAX + 300], p[PATH_MAX + 400];
        snprintf(run, sizeof run, "%s/runs/%s", dir, name);
        const char *status = "pending";
        char failed_log[PATH_MAX + 64] = "";
        snprintf(p, sizeof p, "%s/done", run);
        if (access(p, F_OK) == 0) status = "done", n_done++;
        else {
            snprintf(p, sizeof p, "%s/failed", run);
            FILE *ff = fopen(p, "r");
            char stage[32] = "", log[PATH_MAX] = "";
            int code = 0;
            if (ff && fscanf(ff, "%31s %d %4095s", stage, &code, log) == 3) {
                status = "failed", n_failed++;
                snprintf(failed_log, sizeof failed_log, "%s", log);
                printf("point %s (%s): %s failed (exit %d), log %s\n", line, name, stage, code, log);
            } else {
                n_pending++;
            }
            if (ff) fclose(ff);
        }
        hw_train_metrics m;
        snprintf(p, sizeof p, "%s/train/metrics.jsonl", run);
        int have_m = access(p, R_OK) == 0 && hw_train_metrics_read(p, &m) == 0;
        int64_t best = have_m ? hw_train_metrics_best(&m) : -1;
        double train_s = NAN;
        snprintf(p, sizeof p, "%s/train.seconds", run);
        train_s = read_seconds(p);
        if (!isfinite(train_s) && have_m) { /* a run still going: the epochs so far */
            train_s = 0;
            for (int64_t e = 0; e < m.n; e++) train_s += isfinite(m.v[HW_MET_SECONDS][e]) ? m.v[HW_MET_SECONDS][e] : 0;
        }
        snprintf(p, sizeof p, "%s/distance.seconds", run);
        double dist_s = read_seconds(p);
        double auroc[HW_N_MEASURES];
        snprintf(p, sizeof p, "%s/evaluate.json", run);
        read_aurocs(p, auroc);
        fprintf(out, "%s,%s,%s", line, name, status);
        if (have_m) fprintf(out, ",%lld", (long long)m.n);
        else fputs(",", out);
        if (best >= 0) fprintf(out, ",%lld", (long long)m.epoch[best]);
        else fputs(",", out);
        csv_num(out, best >= 0 ? m.v[HW_MET_VAL_LOSS][best] : NAN);
        csv_num(out, train_s);
        csv_num(out, dist_s);
        for (int q = 0; q < HW_N_MEASURES; q++) csv_num(out, auroc[q]);
        fprintf(out, ",%s,%s\n", sets, failed_log);
        if (have_m) {
            runs = xrealloc(runs, (size_t)(n_runs + 1) * sizeof *runs);
            labels = xrealloc(labels, (size_t)(n_runs + 1) * sizeof *labels);
            snprintf(p, sizeof p, "%s/train", run);
            runs[n_runs] = xstrdup(p);
            labels[n_runs++] = xstrdup(name);
            hw_train_metrics_free(&m);
        }
    }
    free(line);
    fclose(tsv);
    if (!rc && lineno < 2) rc = hw_fail("%s: no grid points", path);
    int bad = ferror(out);
    bad |= fclose(out) != 0;
    if (!rc && bad) rc = hw_fail("%s: write failed", csv_path);
    if (!rc && rename(tmp, csv_path) != 0) rc = hw_fail("%s: cannot rename into place", csv_path);
    if (rc) unlink(tmp);
    hw_temp_forget(tmp);
    char fig[PATH_MAX + 64];
    snprintf(fig, sizeof fig, "%s/training.png", dir);
    if (!rc && n_runs > 0) {
        hw_plot_request req = {.inputs = runs, .n_inputs = n_runs, .labels = labels, .out = fig,
                               .title = "training loss of every run"};
        rc = hw_plot_training(&req);
    }
    for (int k = 0; k < n_runs; k++) free(runs[k]), free(labels[k]);
    free(runs), free(labels);
    if (rc) return -1;
    printf("%d points: %d done, %d failed, %d pending\nwrote %s%s%s\n", n_done + n_failed + n_pending, n_done,
           n_failed, n_pending, csv_path, n_runs ? " and " : "", n_runs ? fig : "");
    return n_failed || n_pending ? 1 : 0;
}
