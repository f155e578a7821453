/* `hitwin evaluate DISTANCES.h5 --truth truth.bed|truth.bedgraph [--json OUT]`
 * (docs/distance.md): per measure, AUROC and average precision of the per-window
 * Twins score against the planted changes, and the reference's replicate/condition
 * separation of the pair distances (KDE threshold, reference.md 7.7). */
#include <getopt.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/cli_args.h"
#include "hitwin/distance.h"
#include "hitwin/distance_output.h"
#include "hitwin/distance_read.h"
#include "hitwin/error.h"
#include "hitwin/evaluate.h"
#include "hitwin/h5_util.h"
#include "hitwin/log.h"
#include "hitwin/stage_guard.h"
#include "hitwin/xalloc.h"

#define NAME_W HW_DIST_NAME_W

static void usage(FILE *out) {
    fprintf(out,
            "usage: hitwin evaluate DISTANCES.h5 --truth TRUTH [options]\n"
            "Score the per-window Twins score of every measure against a simulated truth.\n"
            "  -t, --truth FILE          truth.bed (planted changes) or truth.bedgraph (magnitudes)\n"
            "  -m, --min-magnitude X     bedGraph: a window is a change when the largest magnitude\n"
            "                            overlapping its tile span exceeds X (default 0.5)\n"
            "  -j, --json FILE           also write the results as JSON\n"
            "  -h, --help\n"
            "BED: a window is a change when its tile span overlaps a change of strength > 0.\n");
}

/* one distance file, read by the reader plot and sweep use too */
typedef hw_distance_data dist_file;

/* the scores ranked per measure: the Twins score, diff, z */
enum { SC_SCORE, SC_DIFF, SC_Z, N_SCORES };
static const char *const score_names[N_SCORES] = {"score", "diff", "z"};

typedef struct {
    double auroc, ap;
    double s_auroc[N_SCORES], s_ap[N_SCORES], s_rho[N_SCORES]; /* s_*[SC_SCORE]: auroc, ap */
    int64_t n_called, n_called_pos, n_call_pos; /* called; called and positive; positives */
    double precision, recall;
    int64_t n_pos, n_neg, n_scored;
    hw_separation sep;
    int64_t n_within, n_between;
} measure_result;

static void json_num(FILE *fp, double v) {
    if (isnan(v) || isinf(v)) fputs("null", fp);
    else fprintf(fp, "%.17g", v);
}

static void json_str(FILE *fp, const char *s) {
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', fp);
        if ((unsigned char)*s < 0x20) fprintf(fp, "\\u%04x", *s);
        else fputc(*s, fp);
    }
    fputc('"', fp);
}

static int write_json(const char *path, const char *dist_path, const char *truth_path, const hw_truth *t,
                      double min_mag, double fdr, const measure_result *r) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "w");
    if (!fp) return hw_fail("%s: cannot create", path);
    fputs("{\n  \"distances\": ", fp);
    json_str(fp, dist_path);
    fputs(",\n  \"truth\": ", fp);
    json_str(fp, truth_path);
    fprintf(fp, ",\n  \"truth_mode\": \"%s\",\n  \"min_magnitude\": ", t->bedgraph ? "bedgraph" : "bed");
    json_num(fp, t->bedgraph ? min_mag : NAN);
    fputs(",\n  \"fdr\": ", fp);
    json_num(fp, fdr);
    fputs(",\n  \"threshold_method\": \"gaussian_kde (Scott), 200-point grid, first crossing\",\n"
          "  \"measures\": {\n", fp);
    for (int q = 0; q < HW_N_MEASURES; q++) {
        const measure_result *m = &r[q];
        fprintf(fp, "    \"%s\": {\"auroc\": ", hw_measure_names[q]);
        json_num(fp, m->auroc);
        fputs(", \"average_precision\": ", fp);
        json_num(fp, m->ap);
        fprintf(fp, ", \"positives\": %lld, \"negatives\": %lld, \"windows_scored\": %lld, "
                    "\"within_pairs\": %lld, \"between_pairs\": %lld, \"threshold\": ",
                (long long)m->n_pos, (long long)m->n_neg, (long long)m->n_scored,
                (long long)m->n_within, (long long)m->n_between);
        json_num(fp, m->sep.threshold);
        fputs(", \"replicate_rate\": ", fp);
        json_num(fp, m->sep.replicate_rate);
        fputs(", \"condition_rate\": ", fp);
        json_num(fp, m->sep.condition_rate);
        fputs(", \"mean_rate\": ", fp);
        json_num(fp, m->sep.mean_rate);
        fputs(", \"separation_index\": ", fp);
        json_num(fp, m->sep.separation);
        for (int c = 0; c < N_SCORES; c++) {
            if (c != SC_SCORE) {
                fprintf(fp, ", \"%s_auroc\": ", score_names[c]);
                json_num(fp, m->s_auroc[c]);
                fprintf(fp, ", \"%s_average_precision\": ", score_names[c]);
                json_num(fp, m->s_ap[c]);
            }
            fprintf(fp, ", \"%s_spearman\": ", score_names[c]);
            json_num(fp, m->s_rho[c]);
        }
        fprintf(fp, ", \"called\": %lld, \"called_positive\": %lld, \"precision\": ",
                (long long)m->n_called, (long long)m->n_called_pos);
        json_num(fp, m->precision);
        fputs(", \"recall\": ", fp);
        json_num(fp, m->recall);
        fprintf(fp, "}%s\n", q + 1 < HW_N_MEASURES ? "," : "");
    }
    fputs("  }\n}\n", fp);
    int bad = ferror(fp);
    if (fclose(fp) != 0 || bad) {
        unlink(tmp);
        return hw_fail("%s: write failed", path);
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return hw_fail("%s: cannot rename %s into place", path, tmp);
    }
    return 0;
}

/* AUROC, AP and Spearman's rho against the truth's magnitude of the Twins score,
 * diff and z of measure q, and precision / recall of its calls over the windows that
 * have a z (the others cannot be called). */
static void score_metrics(const dist_file *df, int q, const uint8_t *y, const double *truth_v,
                          measure_result *m) {
    const double *cols[N_SCORES] = {df->score[q], df->diff[q], df->z[q]};
    for (int c = 0; c < N_SCORES; c++) {
        m->s_auroc[c] = hw_auroc(cols[c], y, df->nw);
        m->s_ap[c] = hw_average_precision(cols[c], y, df->nw);
        m->s_rho[c] = hw_spearman(cols[c], truth_v, df->nw);
    }
    m->n_called = m->n_called_pos = m->n_call_pos = 0;
    for (int64_t i = 0; i < df->nw; i++) {
        if (isnan(df->z[q][i])) continue;
        m->n_call_pos += y[i];
        m->n_called += df->called[q][i] != 0;
        m->n_called_pos += df->called[q][i] != 0 && y[i];
    }
    m->precision = m->n_called ? (double)m->n_called_pos / (double)m->n_called : NAN;
    m->recall = m->n_call_pos ? (double)m->n_called_pos / (double)m->n_call_pos : NAN;
}

static void print_scores(const dist_file *df, const measure_result *r) {
    printf("scores: AUROC and AP of the Twins score, diff and z; Spearman rho against the truth's "
           "magnitude per window\n");
    printf("%-10s %8s %8s %8s %8s %8s %8s %9s %9s %9s\n", "measure", "scoreAUC", "scoreAP", "diffAUC",
           "diffAP", "zAUC", "zAP", "score_rho", "diff_rho", "z_rho");
    for (int q = 0; q < HW_N_MEASURES; q++) {
        const measure_result *m = &r[q];
        printf("%-10s %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %9.4f %9.4f %9.4f\n", hw_measure_names[q],
               m->s_auroc[SC_SCORE], m->s_ap[SC_SCORE], m->s_auroc[SC_DIFF], m->s_ap[SC_DIFF],
               m->s_auroc[SC_Z], m->s_ap[SC_Z], m->s_rho[SC_SCORE], m->s_rho[SC_DIFF], m->s_rho[SC_Z]);
    }
    if (df->has_stats) printf("calls: windows with BH q <= %g (the distance run's --fdr)\n", df->fdr);
    else printf("calls: none in this file (written before hitwin distance made them)\n");
    printf("%-10s %8s %8s %8s %9s %9s\n", "measure", "called", "true", "changes", "precision", "recall");
    for (int q = 0; q < HW_N_MEASURES; q++) {
        const measure_result *m = &r[q];
        printf("%-10s %8lld %8lld %8lld %9.4f %9.4f\n", hw_measure_names[q], (long long)m->n_called,
               (long long)m->n_called_pos, (long long)m->n_call_pos, m->precision, m->recall);
    }
}

int hw_evaluate_main(int argc, char **argv) {
    static const struct option opts[] = {{"truth", required_argument, 0, 't'},
                                         {"min-magnitude", required_argument, 0, 'm'},
                                         {"json", required_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *truth_path = NULL, *json_path = NULL;
    double min_mag = 0.5;
    int c;
    optind = 1;
    while ((c = hw_getopt(argc, argv, "t:m:j:h", opts)) != -1) {
        switch (c) {
        case 't': truth_path = optarg; break;
        case 'j': json_path = optarg; break;
        case 'm':
            if (hw_parse_double("--min-magnitude", optarg, -1e300, 1e300, &min_mag) != 0)
                return hw_usage_error(NULL);
            break;
        case 'h': usage(stdout); return 0;
        default: return hw_usage_error(usage);
        }
    }
    if (optind == argc) return hw_usage_fail(usage, "evaluate: the distance file (DISTANCES.h5) is missing");
    if (optind != argc - 1)
        return hw_usage_fail(usage, "evaluate: one DISTANCES.h5 expected, got '%s' too", argv[optind + 1]);
    if (!truth_path) return hw_usage_fail(usage, "--truth is required");
    const char *dist_path = argv[optind];
    /* inputs are files; --json is not one of them, nor a directory */
    if (hw_guard_evaluate(dist_path, truth_path, json_path) != 0) {
        log_error("%s", hw_error());
        return 1;
    }
    dist_file df;
    if (hw_distance_read(dist_path, &df) != 0) {
        log_error("%s", hw_error());
        return 1;
    }
    hw_truth truth;
    if (hw_truth_load(truth_path, &truth) != 0) {
        log_error("%s", hw_error());
        hw_distance_data_free(&df);
        return 1;
    }
    /* a truth that meets no window (other genome, other chromosome names) scores nothing */
    int64_t touched = 0;
    for (int64_t i = 0; i < df.nw && !touched; i++)
        touched += hw_truth_touches(&truth, df.chrom + i * NAME_W, df.start[i], df.end[i]);
    if (truth.n == 0) {
        log_error("%s: the truth holds no interval", truth_path);
        hw_truth_free(&truth);
        hw_distance_data_free(&df);
        return 1;
    }
    if (!touched) {
        log_error("%s: no interval overlaps a window of %s (truth chromosome %s, windows on %s ...): "
                  "check the chromosome names and the genome", truth_path, dist_path,
                  truth.n ? truth.chrom[0] : "none", df.nw ? df.chrom : "none");
        hw_truth_free(&truth);
        hw_distance_data_free(&df);
        return 1;
    }
    uint8_t *y = xcalloc((size_t)df.nw + 1, 1);
    double *truth_v = xcalloc((size_t)df.nw + 1, sizeof *truth_v);
    for (int64_t i = 0; i < df.nw; i++) {
        y[i] = (uint8_t)hw_truth_label(&truth, df.chrom + i * NAME_W, df.start[i], df.end[i], min_mag);
        truth_v[i] = hw_truth_value(&truth, df.chrom + i * NAME_W, df.start[i], df.end[i]);
    }

    measure_result r[HW_N_MEASURES];
    double *w = xcalloc((size_t)df.np + 1, sizeof *w), *b = xcalloc((size_t)df.np + 1, sizeof *b);
    for (int q = 0; q < HW_N_MEASURES; q++) {
        measure_result *m = &r[q];
        memset(m, 0, sizeof *m);
        for (int64_t i = 0; i < df.nw; i++) {
            if (isnan(df.score[q][i])) continue;
            m->n_scored++;
            if (y[i]) m->n_pos++;
            else m->n_neg++;
        }
        m->auroc = hw_auroc(df.score[q], y, df.nw);
        m->ap = hw_average_precision(df.score[q], y, df.nw);
        score_metrics(&df, q, y, truth_v, m);
        int64_t nw = 0, nb = 0;
        for (int64_t i = 0; i < df.np; i++) {
            double v = df.d[q][i];
            if (!isfinite(v)) continue;
            if (df.label[i]) b[nb++] = v;
            else w[nw++] = v;
        }
        m->n_within = nw;
        m->n_between = nb;
        hw_kde_separation(w, nw, b, nb, 200, &m->sep);
    }
    free(w);
    free(b);

    printf("distances: %s\ntruth: %s (%s", dist_path, truth_path, truth.bedgraph ? "bedGraph" : "BED");
    if (truth.bedgraph) printf(", change = magnitude > %g", min_mag);
    printf("), %lld windows\n", (long long)df.nw);
    printf("threshold: first crossing of Gaussian KDEs (Scott) of within/between pair distances, "
           "200-point grid\n");
    printf("%-10s %8s %8s %6s %6s %11s %9s %9s %9s %9s\n", "measure", "AUROC", "AP", "pos", "neg",
           "threshold", "repl_rate", "cond_rate", "mean_rate", "separation");
    for (int q = 0; q < HW_N_MEASURES; q++) {
        const measure_result *m = &r[q];
        printf("%-10s %8.4f %8.4f %6lld %6lld %11.5g %9.4f %9.4f %9.4f %9.4f\n", hw_measure_names[q],
               m->auroc, m->ap, (long long)m->n_pos, (long long)m->n_neg, m->sep.threshold,
               m->sep.replicate_rate, m->sep.condition_rate, m->sep.mean_rate, m->sep.separation);
    }
    print_scores(&df, r);
    int rc = 0;
    if (r[0].n_pos == 0) printf("note: no window overlaps a change: AUROC and AP are undefined (nan)\n");
    else if (r[0].n_neg == 0) printf("note: every window overlaps a change: AUROC is undefined (nan)\n");
    fflush(stdout);
    if (json_path && write_json(json_path, dist_path, truth_path, &truth, min_mag, df.fdr, r) != 0) {
        log_error("%s", hw_error());
        rc = 1;
    }
    free(y);
    free(truth_v);
    hw_truth_free(&truth);
    hw_distance_data_free(&df);
    return rc;
}
