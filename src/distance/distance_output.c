/* Tables and files of `hitwin distance` (include/hitwin/distance_output.h,
 * docs/distance.md). */
#include "hitwin/distance_output.h"
#include "hitwin/dist.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/output_guard.h"
#include "hitwin/version.h"
#include "hitwin/xalloc.h"

/* ---- tables ------------------------------------------------------------------------ */

void hw_pair_table_reserve(hw_pair_table *p, int64_t n) {
    if (n <= p->cap) return;
    int64_t cap = p->cap ? p->cap : 64;
    while (cap < n) cap *= 2;
    p->window = xrealloc(p->window, (size_t)cap * sizeof *p->window);
    p->a = xrealloc(p->a, (size_t)cap * sizeof *p->a);
    p->b = xrealloc(p->b, (size_t)cap * sizeof *p->b);
    p->label = xrealloc(p->label, (size_t)cap * sizeof *p->label);
    for (int m = 0; m < HW_N_MEASURES; m++) p->d[m] = xrealloc(p->d[m], (size_t)cap * sizeof(double));
    p->cap = cap;
}

void hw_pair_table_free(hw_pair_table *p) {
    free(p->window);
    free(p->a);
    free(p->b);
    free(p->label);
    for (int m = 0; m < HW_N_MEASURES; m++) free(p->d[m]);
    memset(p, 0, sizeof *p);
}

void hw_window_table_build(hw_window_table *w, const hw_pair_table *p, const hw_tile_meta *meta) {
    memset(w, 0, sizeof *w);
    int64_t nw = 0;
    for (int64_t i = 0; i < p->n; i++)
        if (i == 0 || p->window[i] != p->window[i - 1]) nw++;
    size_t cap = (size_t)nw + 1;
    w->window = xcalloc(cap, sizeof *w->window);
    w->start = xcalloc(cap, sizeof *w->start);
    w->middle = xcalloc(cap, sizeof *w->middle);
    w->end = xcalloc(cap, sizeof *w->end);
    w->chrom = xcalloc(cap, sizeof *w->chrom);
    w->split = xcalloc(cap, sizeof *w->split);
    w->n_within = xcalloc(cap, sizeof *w->n_within);
    w->n_between = xcalloc(cap, sizeof *w->n_between);
    for (int m = 0; m < HW_N_MEASURES; m++) {
        w->within[m] = xcalloc(cap, sizeof(double));
        w->between[m] = xcalloc(cap, sizeof(double));
        w->score[m] = xcalloc(cap, sizeof(double));
        w->diff[m] = xcalloc(cap, sizeof(double));
        w->z[m] = xcalloc(cap, sizeof(double));
        w->p[m] = xcalloc(cap, sizeof(double));
        w->q[m] = xcalloc(cap, sizeof(double));
        w->called[m] = xcalloc(cap, sizeof(int8_t));
        w->sigma[m] = NAN;
    }
    w->fdr = NAN;
    int64_t span = (int64_t)meta->resolution * meta->tile_size;
    int64_t k = -1;
    for (int64_t i0 = 0; i0 < p->n;) {
        int64_t i1 = i0;
        while (i1 < p->n && p->window[i1] == p->window[i0]) i1++;
        k++;
        int64_t win = p->window[i0];
        w->window[k] = win;
        w->chrom[k] = meta->win_chrom[win];
        w->split[k] = meta->win_split[win];
        w->start[k] = meta->win_start[win];
        /* the reference's Middle: Start + bin_size * patch_len // 2 */
        w->middle[k] = meta->win_start[win] + span / 2;
        w->end[k] = meta->win_start[win] + span;
        for (int64_t i = i0; i < i1; i++) {
            if (p->label[i]) w->n_between[k]++;
            else w->n_within[k]++;
        }
        for (int m = 0; m < HW_N_MEASURES; m++) {
            /* pandas' mean skips NaN */
            double s[2] = {0, 0};
            int n[2] = {0, 0};
            for (int64_t i = i0; i < i1; i++)
                if (!isnan(p->d[m][i])) {
                    s[p->label[i] ? 1 : 0] += p->d[m][i];
                    n[p->label[i] ? 1 : 0]++;
                }
            w->within[m][k] = n[0] ? s[0] / n[0] : NAN;
            w->between[m][k] = n[1] ? s[1] / n[1] : NAN;
            double diff = w->between[m][k] - w->within[m][k];
            w->score[m][k] = isnan(diff) ? NAN : diff > 0.0 ? diff : 0.0;
        }
        i0 = i1;
    }
    w->n = nw;
}

void hw_window_table_free(hw_window_table *w) {
    free(w->window);
    free(w->start);
    free(w->middle);
    free(w->end);
    free(w->chrom);
    free(w->split);
    free(w->n_within);
    free(w->n_between);
    for (int m = 0; m < HW_N_MEASURES; m++) {
        free(w->within[m]);
        free(w->between[m]);
        free(w->score[m]);
        free(w->diff[m]);
        free(w->z[m]);
        free(w->p[m]);
        free(w->q[m]);
        free(w->called[m]);
    }
    memset(w, 0, sizeof *w);
}

/* ---- formatting ------------------------------------------------------------------------ */

void hw_reference_chrom(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s%s", strncmp(name, "chr", 3) == 0 ? "" : "chr", name);
}

void hw_format_double(char *out, size_t cap, double v) {
    if (isnan(v)) {
        snprintf(out, cap, "%s", "");
        return;
    }
    if (isinf(v)) {
        snprintf(out, cap, "%s", v > 0 ? "inf" : "-inf");
        return;
    }
    /* the shortest %.Ng that reads back as the same double, as Python's repr */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, cap, "%.*g", prec, v);
        if (strtod(out, NULL) == v) break;
    }
    if (!strpbrk(out, ".e")) { /* repr(1.0) == '1.0' */
        size_t len = strlen(out);
        if (len + 2 < cap) memcpy(out + len, ".0", 3);
    }
}

/* ---- files --------------------------------------------------------------------------------- */

#define MAX_OUTPUTS (1 + 2 * HW_N_MEASURES + 5 * HW_N_MEASURES) /* CSVs; 4 bedGraphs and a BED */

struct hw_distance_files {
    char final[MAX_OUTPUTS][4096];
    char tmp[MAX_OUTPUTS][4160];
    int n;
};
typedef hw_distance_files out_set;

static const char *add_output(out_set *o, const char *dir, const char *base, const char *suffix) {
    int k = o->n++;
    char name[4096];
    snprintf(name, sizeof name, "%s/%s%s", dir, base, suffix);
    memcpy(o->final[k], name, sizeof name);
    snprintf(o->tmp[k], sizeof o->tmp[k], "%s.tmp-%ld", name, (long)getpid());
    hw_temp_add(o->tmp[k]); /* removed if the job is stopped (SIGTERM from mpiexec) */
    return o->tmp[k];
}

static int write_h5(const char *path, const hw_distance_run *run, const hw_pair_table *p,
                    const hw_window_table *w) {
    const hw_tile_meta *m = run->meta;
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(fcpl, 0);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    if (f < 0) return hw_fail("%s: cannot create (directory not writable, disk full or a file size limit?)", path);
    int rc = 0;
    rc |= hw_h5_write_attr_str(f, "format", HW_DISTANCE_FORMAT);
    rc |= hw_h5_write_attr_int(f, "format_version", HW_DISTANCE_VERSION);
    rc |= hw_h5_write_attr_str(f, "hitwin_version", HITWIN_VERSION_STRING);
    rc |= hw_h5_write_attr_str(f, "config", run->run_config);
    rc |= hw_h5_write_attr_str(f, "checkpoint", run->ckpt_path);
    rc |= hw_h5_write_attr_str(f, "tile_store", run->store_path);
    rc |= hw_h5_write_attr_str(f, "tile_store_config", m->config_yaml ? m->config_yaml : "");
    rc |= hw_h5_write_attr_str(f, "tile_store_version", m->version ? m->version : "");
    rc |= hw_h5_write_attr_str(f, "split", run->split);
    rc |= hw_h5_write_attr_int(f, "resolution", m->resolution);
    rc |= hw_h5_write_attr_int(f, "tile_size", m->tile_size);
    rc |= hw_h5_write_attr_int(f, "stride", m->stride);
    char measures[256] = "";
    for (int k = 0; k < HW_N_MEASURES; k++)
        snprintf(measures + strlen(measures), sizeof measures - strlen(measures), "%s%s", k ? " " : "",
                 hw_measure_names[k]);
    rc |= hw_h5_write_attr_str(f, "measures", measures);
    /* the checkpoint's __metadata__, one attribute per key */
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(f, "checkpoint_metadata", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (g < 0) rc = -1;
    for (int k = 0; g >= 0 && k < run->n_ckpt_meta; k++)
        rc |= hw_h5_write_attr_str(g, run->ckpt_meta[2 * k], run->ckpt_meta[2 * k + 1]);
    if (g >= 0) H5Gclose(g);

    int S = m->n_samples;
    rc |= hw_h5_write_strings(f, "samples/name", m->sample_name, S);
    rc |= hw_h5_write_strings(f, "samples/condition", m->condition, S);
    rc |= hw_h5_write_strings(f, "samples/replicate", m->replicate, S);
    rc |= hw_h5_write_1d(f, "samples/class_id", H5T_STD_I32LE, H5T_NATIVE_INT32, S, m->class_id);

    /* pairs */
    int64_t P = p->n;
    char **chrom = xcalloc((size_t)P + 1, sizeof *chrom), **na = xcalloc((size_t)P + 1, sizeof *na),
         **nb = xcalloc((size_t)P + 1, sizeof *nb);
    int64_t *start = xcalloc((size_t)P + 1, sizeof *start);
    for (int64_t i = 0; i < P; i++) {
        chrom[i] = m->chrom_name[m->win_chrom[p->window[i]]];
        start[i] = m->win_start[p->window[i]];
        na[i] = m->sample_name[p->a[i]];
        nb[i] = m->sample_name[p->b[i]];
    }
    rc |= hw_h5_write_1d(f, "pairs/window", H5T_STD_I64LE, H5T_NATIVE_INT64, P, p->window);
    rc |= hw_h5_write_strings(f, "pairs/chrom", chrom, P);
    rc |= hw_h5_write_1d(f, "pairs/start", H5T_STD_I64LE, H5T_NATIVE_INT64, P, start);
    rc |= hw_h5_write_1d(f, "pairs/sample_a", H5T_STD_I32LE, H5T_NATIVE_INT32, P, p->a);
    rc |= hw_h5_write_1d(f, "pairs/sample_b", H5T_STD_I32LE, H5T_NATIVE_INT32, P, p->b);
    rc |= hw_h5_write_strings(f, "pairs/name_a", na, P);
    rc |= hw_h5_write_strings(f, "pairs/name_b", nb, P);
    rc |= hw_h5_write_1d(f, "pairs/label", H5T_STD_I8LE, H5T_NATIVE_INT8, P, p->label);
    char path_buf[128];
    for (int k = 0; k < HW_N_MEASURES; k++) {
        snprintf(path_buf, sizeof path_buf, "pairs/%s", hw_measure_names[k]);
        rc |= hw_h5_write_1d(f, path_buf, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, P, p->d[k]);
    }
    free(chrom);
    free(na);
    free(nb);
    free(start);

    /* windows */
    int64_t W = w->n;
    char **wchrom = xcalloc((size_t)W + 1, sizeof *wchrom);
    for (int64_t i = 0; i < W; i++) wchrom[i] = m->chrom_name[w->chrom[i]];
    rc |= hw_h5_write_1d(f, "windows/window", H5T_STD_I64LE, H5T_NATIVE_INT64, W, w->window);
    rc |= hw_h5_write_strings(f, "windows/chrom", wchrom, W);
    rc |= hw_h5_write_1d(f, "windows/start", H5T_STD_I64LE, H5T_NATIVE_INT64, W, w->start);
    rc |= hw_h5_write_1d(f, "windows/middle", H5T_STD_I64LE, H5T_NATIVE_INT64, W, w->middle);
    rc |= hw_h5_write_1d(f, "windows/end", H5T_STD_I64LE, H5T_NATIVE_INT64, W, w->end);
    rc |= hw_h5_write_1d(f, "windows/split", H5T_STD_I8LE, H5T_NATIVE_INT8, W, w->split);
    rc |= hw_h5_write_1d(f, "windows/n_within", H5T_STD_I32LE, H5T_NATIVE_INT32, W, w->n_within);
    rc |= hw_h5_write_1d(f, "windows/n_between", H5T_STD_I32LE, H5T_NATIVE_INT32, W, w->n_between);
    for (int k = 0; k < HW_N_MEASURES; k++) {
        const char *kind[3] = {"within", "between", "score"};
        double *col[3] = {w->within[k], w->between[k], w->score[k]};
        for (int c = 0; c < 3; c++) {
            snprintf(path_buf, sizeof path_buf, "windows/%s_%s", hw_measure_names[k], kind[c]);
            rc |= hw_h5_write_1d(f, path_buf, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, W, col[c]);
        }
    }
    for (int k = 0; k < HW_N_MEASURES; k++) {
        const char *kind[4] = {"diff", "z", "p", "q"};
        double *col[4] = {w->diff[k], w->z[k], w->p[k], w->q[k]};
        for (int c = 0; c < 4; c++) {
            snprintf(path_buf, sizeof path_buf, "windows/%s_%s", hw_measure_names[k], kind[c]);
            rc |= hw_h5_write_1d(f, path_buf, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, W, col[c]);
        }
        snprintf(path_buf, sizeof path_buf, "windows/%s_called", hw_measure_names[k]);
        rc |= hw_h5_write_1d(f, path_buf, H5T_STD_I8LE, H5T_NATIVE_INT8, W, w->called[k]);
    }
    /* what the calls rest on: the FDR, and per measure the spread and the null's size */
    hid_t wg = H5Gopen2(f, "windows", H5P_DEFAULT);
    if (wg < 0) rc = -1;
    else {
        rc |= hw_h5_write_attr_double(wg, "fdr", w->fdr);
        for (int k = 0; k < HW_N_MEASURES; k++) {
            snprintf(path_buf, sizeof path_buf, "%s_sigma", hw_measure_names[k]);
            rc |= hw_h5_write_attr_double(wg, path_buf, w->sigma[k]);
            snprintf(path_buf, sizeof path_buf, "%s_n_null", hw_measure_names[k]);
            rc |= hw_h5_write_attr_int(wg, path_buf, w->n_null[k]);
        }
        H5Gclose(wg);
    }
    free(wchrom);
    if (H5Fclose(f) < 0) { /* full disk: HDF5 keeps a dangling id (dist.h) */
        rc = -1;
        hw_dist_exit_failed_at_finalize();
    }
    if (rc) return hw_fail("%s: writing the distance file failed", path);
    return 0;
}

/* Row orders of the reference's CSV files: chromosome as a string, then start
 * descending (raw) or ascending (summary). */
typedef struct {
    char chrom[128];
    int64_t start;
    int64_t row; /* window table row */
} csv_key;

static int cmp_desc(const void *x, const void *y) {
    const csv_key *a = x, *b = y;
    int c = strcmp(a->chrom, b->chrom);
    if (c) return c;
    return a->start < b->start ? 1 : a->start > b->start ? -1 : 0;
}

static int cmp_asc(const void *x, const void *y) {
    const csv_key *a = x, *b = y;
    int c = strcmp(a->chrom, b->chrom);
    if (c) return c;
    return a->start < b->start ? -1 : a->start > b->start ? 1 : 0;
}

static csv_key *sorted_windows(const hw_window_table *w, const hw_tile_meta *m, int ascending,
                               int plain_names) {
    csv_key *k = xcalloc((size_t)w->n + 1, sizeof *k);
    for (int64_t i = 0; i < w->n; i++) {
        const char *name = m->chrom_name[w->chrom[i]];
        if (plain_names) snprintf(k[i].chrom, sizeof k[i].chrom, "%s", name);
        else hw_reference_chrom(k[i].chrom, sizeof k[i].chrom, name);
        k[i].start = w->start[i];
        k[i].row = i;
    }
    qsort(k, (size_t)w->n, sizeof *k, ascending ? cmp_asc : cmp_desc);
    return k;
}

/* The reference's model_name column: the backbone for the measures from the model and for
 * hybrid (mostly the model's), "baseline" for the classical ones. */
static const char *model_name_of(const char *model, int measure) {
    int learned = measure < HW_N_MODEL_MEASURES || measure == HW_M_HYBRID;
    return !learned ? "baseline" : model ? model : "SLeNet";
}

static int write_raw_csv(const char *path, const char *model, int measure, const hw_pair_table *p,
                         const hw_window_table *w, const int64_t *first_pair, const hw_tile_meta *m) {
    FILE *fp = fopen(path, "w");
    if (!fp) return hw_fail("%s: cannot create: %s", path, strerror(errno));
    fprintf(fp, "Chromosome,Start,Middle,distances,labels,labels_siam,model_name,distance_measure,"
                "bin_size,patch_len\n");
    csv_key *k = sorted_windows(w, m, 0, 0);
    char num[64];
    for (int64_t r = 0; r < w->n; r++) {
        int64_t row = k[r].row;
        for (int64_t i = first_pair[row]; i < first_pair[row + 1]; i++) {
            hw_format_double(num, sizeof num, p->d[measure][i]);
            fprintf(fp, "%s,%lld,%lld,%s,\"(%d, %d)\",%s,%s,%s,%d,%d\n", k[r].chrom,
                    (long long)w->start[row], (long long)w->middle[row], num, p->a[i], p->b[i],
                    p->label[i] ? "between" : "within", model_name_of(model, measure),
                    hw_measure_names[measure], m->resolution, m->tile_size);
        }
    }
    free(k);
    if (ferror(fp) | (fclose(fp) != 0)) return hw_fail("%s: write failed", path);
    return 0;
}

static int write_summary_csv(const char *path, const char *model, int measure, const hw_window_table *w,
                             const hw_tile_meta *m) {
    FILE *fp = fopen(path, "w");
    if (!fp) return hw_fail("%s: cannot create: %s", path, strerror(errno));
    /* the reference's columns first, unchanged; hitwin's statistics after them */
    fprintf(fp, "Chromosome,Start,Middle,between,within,distance_simple,model_name,distance_measure,"
                "bin_size,patch_len,diff,z,p,q,called\n");
    csv_key *k = sorted_windows(w, m, 1, 0);
    char b[64], wi[64], s[64], st[4][64];
    for (int64_t r = 0; r < w->n; r++) {
        int64_t row = k[r].row;
        hw_format_double(b, sizeof b, w->between[measure][row]);
        hw_format_double(wi, sizeof wi, w->within[measure][row]);
        hw_format_double(s, sizeof s, w->score[measure][row]);
        const double v[4] = {w->diff[measure][row], w->z[measure][row], w->p[measure][row],
                             w->q[measure][row]};
        for (int c = 0; c < 4; c++) hw_format_double(st[c], sizeof st[c], v[c]);
        fprintf(fp, "%s,%lld,%lld,%s,%s,%s,%s,%s,%d,%d,%s,%s,%s,%s,%d\n", k[r].chrom,
                (long long)w->start[row], (long long)w->middle[row], b, wi, s, model_name_of(model, measure),
                hw_measure_names[measure], m->resolution, m->tile_size, st[0], st[1], st[2], st[3],
                w->called[measure][row]);
    }
    free(k);
    if (ferror(fp) | (fclose(fp) != 0)) return hw_fail("%s: write failed", path);
    return 0;
}

/* bedGraph: one interval per window, centred on Middle and stride * resolution wide,
 * so consecutive windows tile the chromosome without overlapping (bedGraph and
 * bigWig need non-overlapping intervals); sorted by chromosome name then start
 * (sort -k1,1 -k2,2n), NaN windows left out. */
static const char *bedgraph_kinds[4] = {"within", "between", "score", "z"};

static int write_bedgraph(const char *path, const hw_distance_run *run, int measure, int kind,
                          const hw_window_table *w) {
    const hw_tile_meta *m = run->meta;
    const double *cols[4] = {w->within[measure], w->between[measure], w->score[measure], w->z[measure]};
    static const char *what[4] = {"mean within-condition distance", "mean between-condition distance",
                                  "Twins score max(between - within, 0)",
                                  "z = (between - within) / within-condition spread"};
    const double *col = cols[kind];
    FILE *fp = fopen(path, "w");
    if (!fp) return hw_fail("%s: cannot create: %s", path, strerror(errno));
    fprintf(fp, "track type=bedGraph name=\"%s %s %s\" description=\"hitwin distance: %s, %s "
                "%s\" visibility=full autoScale=on\n",
            run->ckpt_base, hw_measure_names[measure], bedgraph_kinds[kind], run->ckpt_base,
            hw_measure_names[measure], what[kind]);
    csv_key *k = sorted_windows(w, m, 1, 1);
    int64_t step = (int64_t)m->stride * m->resolution;
    char num[64];
    for (int64_t r = 0; r < w->n; r++) {
        int64_t row = k[r].row;
        if (isnan(col[row])) continue;
        int64_t lo = w->middle[row] - step / 2;
        hw_format_double(num, sizeof num, col[row]);
        fprintf(fp, "%s\t%lld\t%lld\t%s\n", k[r].chrom, (long long)lo, (long long)(lo + step), num);
    }
    free(k);
    if (ferror(fp) | (fclose(fp) != 0)) return hw_fail("%s: write failed", path);
    return 0;
}

/* The called windows (q <= fdr) of one measure as BED6+2: each window's tile span
 * [start, end), the span the truth is checked against, name = the measure, score =
 * min(1000, round(-100 log10 q)) as BED's 0-1000 integer, strand ".", then z and q.
 * Sorted as the bedGraph tracks; spans of neighbouring windows overlap (bedtools
 * merge joins them). */
static int write_called_bed(const char *path, const hw_distance_run *run, int measure,
                            const hw_window_table *w) {
    const hw_tile_meta *m = run->meta;
    FILE *fp = fopen(path, "w");
    if (!fp) return hw_fail("%s: cannot create: %s", path, strerror(errno));
    fprintf(fp, "track name=\"%s %s called\" description=\"hitwin distance: %s, %s windows with BH q <= "
                "%g\" useScore=1\n",
            run->ckpt_base, hw_measure_names[measure], run->ckpt_base, hw_measure_names[measure], w->fdr);
    csv_key *k = sorted_windows(w, m, 1, 1);
    char z[64], q[64];
    for (int64_t r = 0; r < w->n; r++) {
        int64_t row = k[r].row;
        if (!w->called[measure][row]) continue;
        double qv = w->q[measure][row];
        double sc = qv > 0.0 ? -100.0 * log10(qv) : 1000.0;
        hw_format_double(z, sizeof z, w->z[measure][row]);
        hw_format_double(q, sizeof q, qv);
        fprintf(fp, "%s\t%lld\t%lld\t%s\t%d\t.\t%s\t%s\n", k[r].chrom, (long long)w->start[row],
                (long long)w->end[row], hw_measure_names[measure], sc > 1000.0 ? 1000 : (int)lround(sc), z,
                q);
    }
    free(k);
    if (ferror(fp) | (fclose(fp) != 0)) return hw_fail("%s: write failed", path);
    return 0;
}

hw_distance_files *hw_distance_write_temps(const hw_distance_run *run, const hw_pair_table *p,
                                           const hw_window_table *w) {
    out_set *o = xcalloc(1, sizeof *o); /* 400 KB of names: not on the stack */
    int64_t *first_pair = xcalloc((size_t)w->n + 2, sizeof *first_pair);
    for (int64_t i = 0, r = 0; r < w->n; r++) {
        first_pair[r] = i;
        while (i < p->n && p->window[i] == w->window[r]) i++;
        first_pair[r + 1] = i;
    }
    char suffix[256];
    int rc = write_h5(add_output(o, run->out_dir, run->ckpt_base, "_distances.h5"), run, p, w);
    int n_written = run->baselines ? HW_N_MEASURES : HW_N_MODEL_MEASURES;
    for (int k = 0; !rc && k < n_written; k++) {
        snprintf(suffix, sizeof suffix, "_%s_distances_raw.csv", hw_measure_names[k]);
        rc = write_raw_csv(add_output(o, run->out_dir, run->ckpt_base, suffix), run->model_name, k, p, w, first_pair,
                           run->meta);
        snprintf(suffix, sizeof suffix, "_%s_distances_summary.csv", hw_measure_names[k]);
        if (!rc)
            rc = write_summary_csv(add_output(o, run->out_dir, run->ckpt_base, suffix), run->model_name, k, w,
                                   run->meta);
        for (int c = 0; !rc && c < 4; c++) {
            snprintf(suffix, sizeof suffix, "_%s_%s.bedgraph", hw_measure_names[k], bedgraph_kinds[c]);
            rc = write_bedgraph(add_output(o, run->out_dir, run->ckpt_base, suffix), run, k, c, w);
        }
        snprintf(suffix, sizeof suffix, "_%s_called.bed", hw_measure_names[k]);
        if (!rc) rc = write_called_bed(add_output(o, run->out_dir, run->ckpt_base, suffix), run, k, w);
    }
    free(first_pair);
    if (rc) {
        /* name the output the user asked for, not its temporary name */
        const char *e = hw_error(), *t = o->tmp[o->n - 1];
        size_t n = strlen(t);
        if (!strncmp(e, t, n)) {
            char *msg = xstrdup(e + n);
            hw_fail("%s%s", o->final[o->n - 1], msg);
            free(msg);
        }
        hw_distance_commit(o, 0);
        return NULL;
    }
    return o;
}

int hw_distance_commit(hw_distance_files *f, int keep) {
    int rc = keep ? 0 : -1, renamed = 0;
    /* A renamed file is registered until the whole set is in place: a job stopped
     * between two renames (SIGTERM from mpiexec) leaves no part of a set either. */
    for (; keep && renamed < f->n; renamed++) {
        hw_temp_add(f->final[renamed]);
        if (rename(f->tmp[renamed], f->final[renamed]) != 0) {
            rc = hw_fail("%s: cannot rename %s into place: %s", f->final[renamed], f->tmp[renamed],
                         strerror(errno));
            hw_temp_forget(f->final[renamed]);
            break;
        }
    }
    if (rc) { /* nothing half-written: no temporaries, and not part of a set either */
        for (int k = 0; k < f->n; k++) unlink(f->tmp[k]);
        for (int k = 0; k < renamed; k++) unlink(f->final[k]);
    }
    for (int k = 0; k < f->n; k++) {
        hw_temp_forget(f->tmp[k]);
        hw_temp_forget(f->final[k]);
    }
    free(f);
    return keep ? rc : 0;
}

int hw_distance_write(const hw_distance_run *run, const hw_pair_table *p, const hw_window_table *w) {
    hw_distance_files *f = hw_distance_write_temps(run, p, w);
    return f ? hw_distance_commit(f, 1) : -1;
}
