/* `hitwin distance` and `hitwin evaluate` end to end on simulated data:
 *   - a 2+2 data set from `hitwin simulate --preset small`, tiled by `hitwin tile`;
 *   - a random-init checkpoint (hw_model_create + hw_model_save, mask on);
 *   - 1 and 2 ranks give identical tables (h5diff) and identical CSV/bedGraph files;
 *   - the embed-once distances equal a direct per-pair computation through
 *     hw_model_embed (eval mode: a dropout-on forward would be far off), and the
 *     baselines equal the measures on the tiles read back;
 *   - the reference CSV files have the exact header, rows and order; bedGraphs are
 *     sorted, non-overlapping, with a track line;
 *   - a checkpoint directory gives one output set per backbone checkpoint, heads and
 *     unrelated files skipped;
 *   - bad input: exact one-line messages, exit 1, nothing written;
 *   - `hitwin evaluate` on the result: table, JSON, truth from the simulation.
 * Arguments: the distance_make_ckpt helper and mpiexec. */
#define _GNU_SOURCE /* strchrnul */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <hdf5.h>

#include "hitwin/distance.h"
#include "hitwin/distance_output.h"
#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/model.h"
#include "hitwin/tile_store.h"
#include "hitwin/xalloc.h"
#include "test_util.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static const char *hitwin, *mkckpt, *mpiexec;
static char dir[256];
static char err[8192];

static int run(const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[4600];
    snprintf(full, sizeof full, "( %s ) > %s/stdout.txt 2> %s/stderr.txt", cmd, dir, dir);
    int rc = system(full);
    char path[512];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(err, 1, sizeof err - 1, f) : 0;
    err[n] = '\0';
    if (f) fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static int exists(const char *fmt, ...) {
    char path[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    struct stat st;
    return stat(path, &st) == 0;
}

static int count_files(const char *sub) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -A %s/%s | wc -l", dir, sub);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p && fscanf(p, "%d", &n) != 1) n = -1;
    if (p) pclose(p);
    return n;
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = xmalloc((size_t)n + 1);
    s[fread(s, 1, (size_t)n, f)] = '\0';
    fclose(f);
    return s;
}

static const char *measures[] = {"pairwise", "cosine", "maps", "combined", "ssim",
                                 "pearson",  "mse",    "scc",  "insulation", "hybrid"};
#define NM 10

static void check_output_set(const char *out, const char *base) {
    CHECK(exists("%s/%s/%s_distances.h5", dir, out, base));
    for (int m = 0; m < NM; m++) {
        CHECK(exists("%s/%s/%s_%s_distances_raw.csv", dir, out, base, measures[m]));
        CHECK(exists("%s/%s/%s_%s_distances_summary.csv", dir, out, base, measures[m]));
        CHECK(exists("%s/%s/%s_%s_within.bedgraph", dir, out, base, measures[m]));
        CHECK(exists("%s/%s/%s_%s_between.bedgraph", dir, out, base, measures[m]));
        CHECK(exists("%s/%s/%s_%s_score.bedgraph", dir, out, base, measures[m]));
        CHECK(exists("%s/%s/%s_%s_z.bedgraph", dir, out, base, measures[m]));
        CHECK(exists("%s/%s/%s_%s_called.bed", dir, out, base, measures[m]));
    }
}

/* The pairs table of a distance file. */
typedef struct {
    int64_t n;
    int64_t *window;
    int32_t *a, *b;
    int8_t *label;
    double *d[NM];
} pairs;

static int read_pairs(const char *path, pairs *p) {
    memset(p, 0, sizeof *p);
    hw_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return -1;
    p->n = hw_h5_len(f, "pairs/label");
    p->window = xcalloc((size_t)p->n + 1, sizeof *p->window);
    p->a = xcalloc((size_t)p->n + 1, sizeof *p->a);
    p->b = xcalloc((size_t)p->n + 1, sizeof *p->b);
    p->label = xcalloc((size_t)p->n + 1, sizeof *p->label);
    int rc = hw_h5_read_slice(f, "pairs/window", H5T_NATIVE_INT64, 0, p->n, p->window);
    rc |= hw_h5_read_slice(f, "pairs/sample_a", H5T_NATIVE_INT32, 0, p->n, p->a);
    rc |= hw_h5_read_slice(f, "pairs/sample_b", H5T_NATIVE_INT32, 0, p->n, p->b);
    rc |= hw_h5_read_slice(f, "pairs/label", H5T_NATIVE_INT8, 0, p->n, p->label);
    for (int m = 0; m < NM; m++) {
        char name[64];
        snprintf(name, sizeof name, "pairs/%s", measures[m]);
        p->d[m] = xcalloc((size_t)p->n + 1, sizeof(double));
        rc |= hw_h5_read_slice(f, name, H5T_NATIVE_DOUBLE, 0, p->n, p->d[m]);
    }
    char fmt[64] = "";
    hw_h5_attr_str(f, "format", fmt, sizeof fmt);
    if (strcmp(fmt, "hitwin-distances") != 0) rc = -1;
    H5Fclose(f);
    return rc;
}

static void free_pairs(pairs *p) {
    free(p->window);
    free(p->a);
    free(p->b);
    free(p->label);
    for (int m = 0; m < NM; m++) free(p->d[m]);
}

/* The combined measure and the hybrid score as docs/distance.md defines them, from the
 * file's own pairs: every pair's pairwise / s_p + maps / s_m (+ pearson / s_r), s the 1.4826
 * MAD over the windows of that measure's between - within from the window's own pairs; and
 * the scales in the run's config. */
static void check_combined(const char *h5, const pairs *p) {
    hid_t f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0) return;
    double *diff = xcalloc((size_t)p->n + 1, sizeof *diff), s[3];
    const int parts[3] = {HW_M_PAIRWISE, HW_M_MAPS, HW_M_PEARSON};
    for (int j = 0; j < 3; j++) {
        int64_t nw = 0;
        for (int64_t i0 = 0; i0 < p->n;) { /* pairs come window by window */
            double sum[2] = {0, 0};
            int n[2] = {0, 0};
            int64_t i = i0;
            for (; i < p->n && p->window[i] == p->window[i0]; i++) {
                if (isnan(p->d[parts[j]][i])) continue; /* pandas' mean skips NaN */
                sum[p->label[i]] += p->d[parts[j]][i];
                n[p->label[i]]++;
            }
            diff[nw++] = sum[1] / n[1] - sum[0] / n[0];
            i0 = i;
        }
        CHECK_INT_EQ(nw, 50); /* 300 pairs, 6 a window */
        s[j] = hw_robust_spread(diff, nw);
        CHECK(s[j] > 0);
    }
    int same = 1, same_hybrid = 1;
    for (int64_t i = 0; i < p->n; i++) {
        double want = p->d[HW_M_PAIRWISE][i] / s[0] + p->d[HW_M_MAPS][i] / s[1];
        same &= fabs(p->d[HW_M_COMBINED][i] - want) <= 1e-12 * fabs(want);
        want += p->d[HW_M_PEARSON][i] / s[2];
        same_hybrid &= isnan(want) ? isnan(p->d[HW_M_HYBRID][i]) : fabs(p->d[HW_M_HYBRID][i] - want) <= 1e-12 * fabs(want);
    }
    CHECK(same);
    CHECK(same_hybrid);
    char config[8192] = "", line[160];
    hw_h5_attr_str(f, "config", config, sizeof config);
    snprintf(line, sizeof line, "combined: pairwise / %.6g + maps / %.6g (", s[0], s[1]);
    if (!strstr(config, line)) fprintf(stderr, "config has no '%s'\n", line);
    CHECK(strstr(config, line) != NULL);
    snprintf(line, sizeof line, "hybrid: combined + pearson / %.6g (the default score)\n", s[2]);
    if (!strstr(config, line)) fprintf(stderr, "config has no '%s'\n", line);
    CHECK(strstr(config, line) != NULL);
    free(diff);
    H5Fclose(f);
}

/* Recompute pairs directly: each pair's two tiles embedded on their own, as a
 * per-pair forward of the reference would, in evaluation mode. */
static void check_direct(const char *store_path, const char *ckpt, const pairs *p) {
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    hw_tile_store *s = hw_tile_store_open(store_path);
    CHECK(s != NULL);
    if (!s) return;
    const hw_tile_meta *m = hw_tile_store_meta(s);
    int T = m->tile_size, S = m->n_samples;
    hw_model_config cfg = {.image_size = T, .mask = 1, .dropout = 0.5f, .loss = HW_LOSS_TRIPLET,
                           .margin = 1.0f, .temperature = 0.07f};
    hw_model *model = hw_model_create(&cfg, 99);
    CHECK(model && hw_model_load(model, ckpt) == 0);
    float *tiles = xmalloc((size_t)S * T * T * sizeof(float));
    float ea[128], eb[128];
    int mc, mp;
    hw_model_head_maps_shape(model, &mc, &mp);
    CHECK_INT_EQ(mc, 16); /* SLeNet at 224: conv2's 16 maps, pooled to 53 x 53 */
    CHECK_INT_EQ(mp, 53 * 53);
    float *ma = xmalloc((size_t)mc * mp * sizeof(float)), *mb = xmalloc((size_t)mc * mp * sizeof(float));
    double *work = xmalloc(hw_ssim_work_doubles(T) * sizeof(double));
    hw_tile_prep pa, pb;
    hw_tile_prep_init(&pa, T);
    hw_tile_prep_init(&pb, T);
    int D = hw_model_embed_dim(model), checked = 0;
    double worst = 0.0;
    for (int64_t i = 0; i < p->n; i += 7) { /* every 7th pair: all six pair kinds, many windows */
        CHECK(hw_tile_store_read_window(s, p->window[i], tiles) == 0);
        const float *ta = tiles + (size_t)p->a[i] * T * T, *tb = tiles + (size_t)p->b[i] * T * T;
        CHECK(hw_model_embed_maps(model, ta, 1, ea, ma) == 0);
        CHECK(hw_model_embed_maps(model, tb, 1, eb, mb) == 0);
        double dp = hw_euclidean_distance(ea, eb, D), dc = hw_cosine_distance(ea, eb, D);
        CHECK_NEAR(p->d[0][i], dp, 1e-9, 1e-4);
        CHECK_NEAR(p->d[1][i], dc, 1e-12, 1e-3);
        CHECK_NEAR(p->d[HW_M_MAPS][i], hw_map_distance(ma, mb, mc, mp), 1e-9, 1e-4);
        worst = fmax(worst, fabs(p->d[0][i] - dp) / dp);
        CHECK_INT_EQ(p->label[i], m->class_id[p->a[i]] != m->class_id[p->b[i]]);
        CHECK(p->a[i] < p->b[i]);
        hw_tile_prep_compute(&pa, ta, 0);
        hw_tile_prep_compute(&pb, tb, 0);
        double d[HW_N_MEASURES];
        hw_baseline_distances(&pa, &pb, work, d);
        for (int k = HW_M_SSIM; k <= HW_M_INSULATION; k++) {
            if (isnan(d[k])) CHECK(isnan(p->d[k][i]));
            else CHECK(p->d[k][i] == d[k]);
        }
        checked++;
    }
    printf("direct per-pair check: %d pairs, largest relative difference %.3g (pairwise)\n", checked,
           worst);
    CHECK(checked > 30);
    hw_tile_prep_free(&pa);
    hw_tile_prep_free(&pb);
    free(ma);
    free(mb);
    free(work);
    free(tiles);
    hw_model_free(model);
    hw_tile_store_close(s);
}

static void check_csv(const char *out) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s/model_pairwise_distances_raw.csv", dir, out);
    char *raw = read_text(path);
    CHECK(raw != NULL);
    if (!raw) return;
    const char *hdr = "Chromosome,Start,Middle,distances,labels,labels_siam,model_name,distance_measure,"
                      "bin_size,patch_len\n";
    CHECK(strncmp(raw, hdr, strlen(hdr)) == 0);
    int rows = 0;
    long long prev_start = -1;
    char prev_chrom[64] = "";
    int order_ok = 1, within = 0, between = 0;
    for (char *line = strchr(raw, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        char chrom[64], lab[64], siam[16], model[16], meas[16];
        long long start, middle;
        double dist;
        int a, b, bin, patch;
        int n = sscanf(line, "%63[^,],%lld,%lld,%lf,\"(%d, %d)\",%15[^,],%15[^,],%15[^,],%d,%d", chrom,
                       &start, &middle, &dist, &a, &b, siam, model, meas, &bin, &patch);
        (void)lab;
        CHECK_INT_EQ(n, 11);
        if (n != 11) break;
        rows++;
        CHECK_INT_EQ(middle - start, 1120000);
        CHECK_STR_EQ(model, "SLeNet");
        CHECK_STR_EQ(meas, "pairwise");
        CHECK_INT_EQ(bin, 10000);
        CHECK_INT_EQ(patch, 224);
        within += !strcmp(siam, "within");
        between += !strcmp(siam, "between");
        /* chromosome as a string, then start descending */
        if (!strcmp(chrom, prev_chrom)) order_ok &= start <= prev_start;
        else order_ok &= strcmp(chrom, prev_chrom) > 0;
        snprintf(prev_chrom, sizeof prev_chrom, "%s", chrom);
        prev_start = start;
    }
    CHECK(order_ok);
    CHECK_INT_EQ(rows, 300); /* 50 test windows x 6 pairs */
    CHECK_INT_EQ(within, 100);
    CHECK_INT_EQ(between, 200);
    free(raw);

    snprintf(path, sizeof path, "%s/%s/model_ssim_distances_summary.csv", dir, out);
    char *sum = read_text(path);
    CHECK(sum != NULL);
    if (!sum) return;
    const char *shdr = "Chromosome,Start,Middle,between,within,distance_simple,model_name,"
                       "distance_measure,bin_size,patch_len,diff,z,p,q,called\n";
    CHECK(strncmp(sum, shdr, strlen(shdr)) == 0);
    char *first = strchr(sum, '\n') + 1;
    CHECK(strncmp(first, "chr2,0,1120000,", 15) == 0);
    CHECK(strstr(first, ",baseline,ssim,10000,224,") != NULL);
    int srows = 0;
    for (char *line = first; *line; line = strchr(line, '\n') + 1) srows++;
    CHECK_INT_EQ(srows, 50);
    free(sum);
    /* hybrid is the model's score with Pearson's beside it: the backbone names it */
    snprintf(path, sizeof path, "%s/%s/model_hybrid_distances_summary.csv", dir, out);
    sum = read_text(path);
    CHECK(sum && strncmp(sum, shdr, strlen(shdr)) == 0);
    CHECK(sum && strstr(sum, ",SLeNet,hybrid,10000,224,") != NULL);
    free(sum);

    snprintf(path, sizeof path, "%s/%s/model_pairwise_score.bedgraph", dir, out);
    char *bg = read_text(path);
    CHECK(bg && strncmp(bg, "track type=bedGraph name=\"model pairwise score\"", 46) == 0);
    if (bg) {
        long long prev_end = -1;
        int n = 0, ok = 1;
        for (char *line = strchr(bg, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
            char chrom[64];
            long long s, e;
            double v;
            if (sscanf(line, "%63s\t%lld\t%lld\t%lf", chrom, &s, &e, &v) != 4) {
                ok = 0;
                break;
            }
            ok &= e - s == 280000 && s >= prev_end && v >= 0; /* sorted, non-overlapping */
            prev_end = e;
            n++;
        }
        CHECK(ok);
        CHECK_INT_EQ(n, 50);
    }
    free(bg);
}

/* The per-window statistics in a distance file equal hw_window_table_scores on its
 * own pairs (the stage's wiring), the Twins score is still max(between - within, 0),
 * diff is unclipped, the calls are q <= fdr, and the summary CSV, z bedGraph and
 * called BED say the same. Returns the number of scc windows called. */
static int check_scores(const char *store_path, const char *out, double fdr, int neighbours) {
    char h5[600];
    snprintf(h5, sizeof h5, "%s/%s/model_distances.h5", dir, out);
    pairs pr;
    CHECK(read_pairs(h5, &pr) == 0);
    hw_pair_table pt = {0};
    hw_pair_table_reserve(&pt, pr.n + 1);
    for (int64_t i = 0; i < pr.n; i++) {
        pt.window[i] = pr.window[i];
        pt.a[i] = pr.a[i];
        pt.b[i] = pr.b[i];
        pt.label[i] = pr.label[i];
        for (int m = 0; m < NM; m++) pt.d[m][i] = pr.d[m][i];
    }
    pt.n = pr.n;
    hw_tile_store *s = hw_tile_store_open(store_path);
    CHECK(s != NULL);
    if (!s) return -1;
    /* the window statistics come from the neighbour-averaged distances (--neighbours) */
    hw_pair_table avg;
    hw_pair_table_neighbours(&pt, hw_tile_store_meta(s), neighbours, &avg);
    hw_window_table w;
    hw_window_table_build(&w, &avg, hw_tile_store_meta(s));
    hw_window_table_scores(&w, &avg, fdr);
    hw_pair_table_free(&avg);
    hid_t f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    double *col = xcalloc((size_t)w.n + 1, sizeof *col), *b = xcalloc((size_t)w.n + 1, sizeof *b),
           *wi = xcalloc((size_t)w.n + 1, sizeof *wi);
    int8_t *called = xcalloc((size_t)w.n + 1, 1);
    int n_called_scc = 0;
    for (int m = 0; m < NM; m++) {
        char name[96];
        const char *kind[4] = {"diff", "z", "p", "q"};
        double *want[4] = {w.diff[m], w.z[m], w.p[m], w.q[m]};
        for (int c = 0; c < 4; c++) {
            snprintf(name, sizeof name, "windows/%s_%s", measures[m], kind[c]);
            CHECK_INT_EQ(hw_h5_len(f, name), w.n);
            CHECK(hw_h5_read_slice(f, name, H5T_NATIVE_DOUBLE, 0, w.n, col) == 0);
            int same = 1;
            for (int64_t k = 0; k < w.n; k++) same &= (isnan(col[k]) && isnan(want[c][k])) || col[k] == want[c][k];
            CHECK(same);
        }
        snprintf(name, sizeof name, "windows/%s_between", measures[m]);
        CHECK(hw_h5_read_slice(f, name, H5T_NATIVE_DOUBLE, 0, w.n, b) == 0);
        snprintf(name, sizeof name, "windows/%s_within", measures[m]);
        CHECK(hw_h5_read_slice(f, name, H5T_NATIVE_DOUBLE, 0, w.n, wi) == 0);
        snprintf(name, sizeof name, "windows/%s_score", measures[m]);
        CHECK(hw_h5_read_slice(f, name, H5T_NATIVE_DOUBLE, 0, w.n, col) == 0);
        snprintf(name, sizeof name, "windows/%s_called", measures[m]);
        CHECK(hw_h5_read_slice(f, name, H5T_NATIVE_INT8, 0, w.n, called) == 0);
        int ok = 1, negative = 0;
        for (int64_t k = 0; k < w.n; k++) {
            double diff = b[k] - wi[k];
            ok &= w.diff[m][k] == diff && col[k] == (diff > 0 ? diff : 0.0);
            /* q >= p up to the rounding of p * m / m */
            int ok_k = called[k] == (w.q[m][k] <= fdr) && w.p[m][k] >= 0 && w.p[m][k] <= 1 &&
                       w.q[m][k] >= w.p[m][k] * (1 - 1e-12);
            if (!ok_k && ok)
                fprintf(stderr, "%s window %lld: diff %g z %g p %g q %g called %d\n", measures[m], (long long)k,
                        w.diff[m][k], w.z[m][k], w.p[m][k], w.q[m][k], called[k]);
            ok &= ok_k;
            negative += diff < 0;
            if (m == HW_M_SCC) n_called_scc += called[k];
        }
        CHECK(ok);
        CHECK(negative > 0); /* diff is not clipped */
        CHECK(w.sigma[m] > 0);
        CHECK_INT_EQ(w.n_null[m], 2 * w.n); /* 2 + 2: two within pairs per window */
    }
    double fdr_attr = -1;
    hid_t g = H5Gopen2(f, "windows", H5P_DEFAULT), a = H5Aopen(g, "fdr", H5P_DEFAULT);
    CHECK(H5Aread(a, H5T_NATIVE_DOUBLE, &fdr_attr) >= 0);
    CHECK(fdr_attr == fdr);
    H5Aclose(a);
    H5Gclose(g);
    H5Fclose(f);
    /* the summary CSV's called column, the BED's lines and the HDF5 agree */
    char path[600];
    snprintf(path, sizeof path, "%s/%s/model_scc_distances_summary.csv", dir, out);
    char *csv = read_text(path);
    int csv_called = 0;
    for (char *line = csv ? strchr(csv, '\n') + 1 : NULL; line && *line; line = strchr(line, '\n') + 1) {
        char *nl = strchr(line, '\n');
        csv_called += nl[-1] == '1' && nl[-2] == ',';
    }
    CHECK_INT_EQ(csv_called, n_called_scc);
    free(csv);
    snprintf(path, sizeof path, "%s/%s/model_scc_called.bed", dir, out);
    char *bed = read_text(path);
    const char *bed_track = "track name=\"model scc called\" description=";
    CHECK(bed && strncmp(bed, bed_track, strlen(bed_track)) == 0);
    int bed_lines = 0, bed_ok = 1;
    for (char *line = bed ? strchr(bed, '\n') + 1 : NULL; line && *line; line = strchr(line, '\n') + 1) {
        char chrom[64], name[32], strand[4];
        long long st, en;
        int score;
        double z, q;
        bed_ok &= sscanf(line, "%63s\t%lld\t%lld\t%31s\t%d\t%3s\t%lf\t%lf", chrom, &st, &en, name, &score,
                         strand, &z, &q) == 8 && en - st == 2240000 && !strcmp(name, "scc") && q <= fdr &&
                  score >= 0 && score <= 1000 && !strcmp(strand, ".");
        bed_lines++;
    }
    CHECK(bed_ok);
    CHECK_INT_EQ(bed_lines, n_called_scc);
    free(bed);
    snprintf(path, sizeof path, "%s/%s/model_scc_z.bedgraph", dir, out);
    char *zbg = read_text(path);
    const char *z_track = "track type=bedGraph name=\"model scc z\" description=";
    CHECK(zbg && strncmp(zbg, z_track, strlen(z_track)) == 0);
    free(zbg);
    free(col);
    free(b);
    free(wi);
    free(called);
    hw_window_table_free(&w);
    hw_pair_table_free(&pt);
    free_pairs(&pr);
    hw_tile_store_close(s);
    return n_called_scc;
}

/* The text of a number in the JSON after "MEASURE": { ... "KEY": */
static void json_field(const char *js, const char *measure, const char *key, char *out, size_t cap) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\": {", measure);
    const char *p = js ? strstr(js, pat) : NULL;
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    p = p ? strstr(p, pat) : NULL;
    out[0] = '\0';
    if (!p) return;
    p += strlen(pat);
    size_t n = strcspn(p, ",}");
    if (n >= cap) n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

int main(int argc, char **argv) {
    hitwin = getenv("HITWIN");
    if (argc < 3 || !hitwin) {
        fprintf(stderr, "usage: HITWIN=... %s distance_make_ckpt mpiexec\n", argv[0]);
        return 1;
    }
    mkckpt = argv[1];
    mpiexec = argv[2];
    snprintf(dir, sizeof dir, "/tmp/hw_distance_XXXXXX");
    if (!mkdtemp(dir)) return 1;

    /* ---- data and checkpoints ---- */
    CHECK_INT_EQ(run("%s simulate --preset small --out %s/sim --quiet", hitwin, dir), 0);
    CHECK_INT_EQ(run("cd %s/sim && %s tile dataset.yaml -q", dir, hitwin), 0);
    CHECK_INT_EQ(run("cd %s/sim && %s tile dataset.yaml -q -o ../notest.h5 -s split.exclude=chr2", dir,
                     hitwin), 0);
    CHECK_INT_EQ(run("mkdir -p %s/ck %s/o1 %s/o2 %s/od %s/bad %s/empty", dir, dir, dir, dir, dir, dir), 0);
    CHECK_INT_EQ(run("%s %s/ck/model.safetensors 224 7 1 1", mkckpt, dir), 0); /* + model_nn */
    CHECK_INT_EQ(run("%s %s/ck/model2.safetensors 224 8 1 0", mkckpt, dir), 0);
    CHECK_INT_EQ(run("%s %s/small.safetensors 64 7 1 0", mkckpt, dir), 0);
    CHECK_INT_EQ(run("echo notes > %s/ck/notes.txt && echo junk > %s/ck/junk.safetensors", dir, dir), 0);
    char store[512];
    snprintf(store, sizeof store, "%s/sim/tiles.h5", dir);

    /* ---- 1 rank and 2 ranks ---- */
    CHECK_INT_EQ(run("%s distance %s --checkpoint %s/ck/model.safetensors -o %s/o1 --split test", hitwin,
                     store, dir, dir), 0);
    check_output_set("o1", "model");
    CHECK_INT_EQ(count_files("o1"), 71);
    CHECK_INT_EQ(run("%s -n 2 --oversubscribe %s distance %s --checkpoint %s/ck/model.safetensors -o %s/o2 "
                     "--split test -q", mpiexec, hitwin, store, dir, dir), 0);
    CHECK_INT_EQ(count_files("o2"), 71);
    CHECK_INT_EQ(run("h5diff %s/o1/model_distances.h5 %s/o2/model_distances.h5", dir, dir), 0);
    CHECK_INT_EQ(run("for f in %s/o1/*.csv %s/o1/*.bedgraph %s/o1/*.bed; do cmp $f %s/o2/$(basename $f) || exit 1; "
                     "done", dir, dir, dir, dir), 0);

    char h5[600];
    snprintf(h5, sizeof h5, "%s/o1/model_distances.h5", dir);
    pairs p;
    CHECK(read_pairs(h5, &p) == 0);
    CHECK_INT_EQ(p.n, 300);
    char ckpt[600];
    snprintf(ckpt, sizeof ckpt, "%s/ck/model.safetensors", dir);
    check_direct(store, ckpt, &p);
    check_combined(h5, &p);
    check_csv("o1");
    int called05 = check_scores(store, "o1", 0.05, HW_DEFAULT_NEIGHBOURS);

    /* ---- --fdr: the same statistics, more calls at a laxer rate; bad rates refused ---- */
    CHECK_INT_EQ(run("mkdir -p %s/ofdr && %s distance %s --checkpoint %s -o %s/ofdr --split test -q --fdr 0.5",
                     dir, hitwin, store, ckpt, dir), 0);
    int called50 = check_scores(store, "ofdr", 0.5, HW_DEFAULT_NEIGHBOURS);
    printf("scc windows called: %d at FDR 0.05, %d at 0.5\n", called05, called50);
    CHECK(called50 > called05);
    CHECK_INT_EQ(run("h5dump -a config %s/ofdr/model_distances.h5 | grep -q 'fdr: 0.5'", dir), 0);
    /* ---- --neighbours 0: the window's own distances (the reference's means); 1: narrower
     * than the default 2; the pairs are the same whatever the setting ---- */
    CHECK_INT_EQ(run("mkdir -p %s/on0 %s/on1 && %s distance %s --checkpoint %s -o %s/on0 --split test -q "
                     "--neighbours 0 && %s distance %s --checkpoint %s -o %s/on1 --split test -q --neighbours 1",
                     dir, dir, hitwin, store, ckpt, dir, hitwin, store, ckpt, dir), 0);
    check_scores(store, "on0", 0.05, 0);
    check_scores(store, "on1", 0.05, 1);
    CHECK_INT_EQ(run("h5diff %s/o1/model_distances.h5 %s/on0/model_distances.h5 /pairs /pairs", dir, dir), 0);
    CHECK_INT_EQ(run("cmp %s/o1/model_pairwise_distances_raw.csv %s/on0/model_pairwise_distances_raw.csv", dir, dir), 0);
    CHECK(run("h5diff -q %s/o1/model_distances.h5 %s/on0/model_distances.h5 /windows/pairwise_between "
              "/windows/pairwise_between", dir, dir) != 0);
    CHECK_INT_EQ(run("h5dump -a config %s/on0/model_distances.h5 | grep -q 'neighbours: 0 '", dir), 0);
    CHECK_INT_EQ(run("h5dump -a config %s/o1/model_distances.h5 | grep -q 'neighbours: 2 '", dir), 0);
    CHECK_INT_EQ(run("h5dump -a config %s/on1/model_distances.h5 | grep -q 'neighbours: 1 '", dir), 0);
    const char *bad_nb[2] = {"-1", "two"};
    for (int k = 0; k < 2; k++) {
        CHECK_INT_EQ(run("%s distance %s --checkpoint %s -o %s/bad --neighbours %s 2>%s/err.txt", hitwin, store,
                         ckpt, dir, bad_nb[k], dir), 2);
        char errp[600];
        snprintf(errp, sizeof errp, "%s/err.txt", dir);
        char *err = read_text(errp);
        CHECK(err && strstr(err, "--neighbours") && !strchr(strchr(err, '\n') + 1, '\n'));
        free(err);
    }
    const char *bad_fdr[4] = {"0", "1.5", "abc", "-0.1"};
    for (int k = 0; k < 4; k++) {
        CHECK_INT_EQ(run("%s distance %s --checkpoint %s -o %s/bad --fdr %s", hitwin, store, ckpt, dir, bad_fdr[k]), 2);
        char want_fdr[128];
        snprintf(want_fdr, sizeof want_fdr, "hitwin: error: --fdr %s: expected a false discovery rate in (0, 1]\n",
                 bad_fdr[k]);
        CHECK_STR_EQ(err, want_fdr);
    }

    /* ---- --no-baselines: the same embedding distances, NaN baselines and hybrid, 29 files ---- */
    CHECK_INT_EQ(run("mkdir -p %s/onb && %s -n 2 --oversubscribe %s distance %s --checkpoint %s -o %s/onb "
                     "--split test -q --no-baselines", dir, mpiexec, hitwin, store, ckpt, dir), 0);
    CHECK_INT_EQ(count_files("onb"), 29);
    CHECK(exists("%s/onb/model_cosine_score.bedgraph", dir));
    CHECK(!exists("%s/onb/model_ssim_score.bedgraph", dir));
    char h5nb[600];
    snprintf(h5nb, sizeof h5nb, "%s/onb/model_distances.h5", dir);
    pairs q;
    CHECK(read_pairs(h5nb, &q) == 0);
    CHECK_INT_EQ(q.n, p.n);
    int same = q.n == p.n, nan_baselines = 1;
    for (int64_t i = 0; same && i < q.n; i++) {
        for (int k = 0; k < HW_N_MODEL_MEASURES; k++) same &= q.d[k][i] == p.d[k][i];
        same &= q.window[i] == p.window[i];
        for (int k = HW_N_MODEL_MEASURES; k < NM; k++) nan_baselines &= isnan(q.d[k][i]);
    }
    CHECK(same);
    CHECK(nan_baselines);
    free_pairs(&q);
    free_pairs(&p);

    /* ---- a checkpoint directory: model and model2; model_nn, notes.txt, junk skipped ---- */
    CHECK_INT_EQ(run("%s distance %s --checkpoint-dir %s/ck -o %s/od --split validation", hitwin, store,
                     dir, dir), 0);
    check_output_set("od", "model");
    check_output_set("od", "model2");
    CHECK_INT_EQ(count_files("od"), 142);
    CHECK(strstr(err, "skipping") && strstr(err, "junk.safetensors (not a backbone checkpoint)"));
    CHECK(strstr(err, "model_nn.safetensors (not a backbone checkpoint)"));

    /* ---- evaluate ---- */
    CHECK_INT_EQ(run("%s evaluate %s --truth %s/sim/truth.bed --json %s/eval.json", hitwin, h5, dir, dir), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/stdout.txt", dir);
    char *out = read_text(path);
    CHECK(out && strstr(out, "pairwise") && strstr(out, "AUROC") && strstr(out, "ssim"));
    CHECK(out && strstr(out, "\nscores: AUROC and AP of the Twins score, diff and z; Spearman rho against "
                             "the truth's magnitude per window\n"));
    CHECK(out && strstr(out, "\ncalls: windows with BH q <= 0.05 (the distance run's --fdr)\n"));
    CHECK(out && strstr(out, "\nmeasure    scoreAUC  scoreAP  diffAUC   diffAP     zAUC      zAP score_rho  "
                             "diff_rho     z_rho\n"));
    CHECK(out && strstr(out, "\nmeasure      called     true  changes precision    recall\n"));
    CHECK(out && strstr(out, "\ninsulation "));
    free(out);
    snprintf(path, sizeof path, "%s/eval.json", dir);
    char *js = read_text(path);
    CHECK(js && strstr(js, "\"measures\"") && strstr(js, "\"pairwise\": {\"auroc\": ") &&
          strstr(js, "\"truth_mode\": \"bed\""));
    CHECK(js && strstr(js, "\"fdr\": 0.050000000000000003,\n"));
    /* every new key of every measure; the calls add up to the HDF5's */
    static const char *keys[] = {"diff_auroc", "diff_average_precision", "z_auroc", "z_average_precision",
                                 "score_spearman", "diff_spearman", "z_spearman", "called",
                                 "called_positive", "precision", "recall"};
    char v[64], v2[64];
    for (int m = 0; m < NM; m++)
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            json_field(js, measures[m], keys[k], v, sizeof v);
            if (!v[0]) fprintf(stderr, "JSON: %s has no %s\n", measures[m], keys[k]);
            CHECK(v[0] != '\0');
        }
    json_field(js, "scc", "called", v, sizeof v);
    CHECK_INT_EQ(atoi(v), called05);
    json_field(js, "scc", "z_auroc", v, sizeof v);
    CHECK(atof(v) > 0 && atof(v) <= 1);
    /* the same truth as a bedGraph of strengths: same labels at --min-magnitude 0, same
     * magnitudes, so the same numbers */
    CHECK_INT_EQ(run("awk '{print $1\"\\t\"$2\"\\t\"$3\"\\t\"$5}' %s/sim/truth.bed > %s/truth.bedgraph && "
                     "%s evaluate %s --truth %s/truth.bedgraph --min-magnitude 0 --json %s/eval_bg.json",
                     dir, dir, hitwin, h5, dir, dir), 0);
    snprintf(path, sizeof path, "%s/eval_bg.json", dir);
    char *jb = read_text(path);
    CHECK(jb && strstr(jb, "\"truth_mode\": \"bedgraph\""));
    for (int m = 0; m < NM; m++)
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            json_field(js, measures[m], keys[k], v, sizeof v);
            json_field(jb, measures[m], keys[k], v2, sizeof v2);
            CHECK_STR_EQ(v2, v);
        }
    json_field(jb, "scc", "z_spearman", v, sizeof v);
    CHECK(strcmp(v, "null") != 0 && fabs(atof(v)) <= 1.0 && atof(v) != 0.0);
    free(jb);
    free(js);
    CHECK_INT_EQ(run("%s evaluate %s --truth %s/nope.bed", hitwin, h5, dir), 1);
    char want[1024];
    snprintf(want, sizeof want, "hitwin: error: %s/nope.bed: no such file (--truth)\n", dir);
    CHECK_STR_EQ(err, want);
    CHECK_INT_EQ(run("%s evaluate %s --truth %s/sim/truth.bed", hitwin, store, dir), 1);
    snprintf(want, sizeof want, "hitwin: error: %s: not a hitwin distance file (attribute format is not 'hitwin-distances')\n", store);
    CHECK_STR_EQ(err, want);

    /* ---- bad input: one line, exit 1, nothing written ---- */
    CHECK_INT_EQ(run("%s distance %s/nope.h5 --checkpoint %s -o %s/bad", hitwin, dir, ckpt, dir), 1);
    snprintf(want, sizeof want, "hitwin: error: %s/nope.h5: no such file (the tile store)\n", dir);
    CHECK_STR_EQ(err, want);
    CHECK_INT_EQ(run("%s distance %s --checkpoint %s/small.safetensors -o %s/bad", hitwin, store, dir, dir), 1);
    snprintf(want, sizeof want, "hitwin: error: %s/small.safetensors: tensor mask has shape [64, 64], the "
             "model expects [224, 224] (image size 224)\n", dir);
    CHECK_STR_EQ(err, want);
    CHECK_INT_EQ(run("%s distance %s --checkpoint-dir %s/empty -o %s/bad", hitwin, store, dir, dir), 1);
    snprintf(want, sizeof want, "hitwin: error: %s/empty: no backbone checkpoints (*.safetensors holding "
             "features.0.weight) in the directory\n", dir);
    CHECK_STR_EQ(err, want);
    CHECK_INT_EQ(run("%s -n 2 --oversubscribe %s distance %s/notest.h5 --checkpoint %s -o %s/bad --split test",
                     mpiexec, hitwin, dir, ckpt, dir), 1);
    snprintf(want, sizeof want, "hitwin: error: %s/notest.h5: no windows in split 'test' with at least two "
             "samples passing QC\n", dir);
    *strchrnul(err, '\n') = '\0'; /* mpiexec adds its own report below our line */
    want[strlen(want) - 1] = '\0';
    CHECK_STR_EQ(err, want);
    /* -o names a directory: made when missing (mkdir -p) */
    CHECK_INT_EQ(run("%s distance %s --checkpoint %s -o %s/made/deeper --no-baselines", hitwin, store, ckpt, dir), 0);
    {
        const char *slash = strrchr(ckpt, '/');
        char base[512], made[2048];
        snprintf(base, sizeof base, "%s", slash ? slash + 1 : ckpt);
        *strrchr(base, '.') = '\0';
        snprintf(made, sizeof made, "%s/made/deeper/%s_distances.h5", dir, base);
        CHECK(access(made, F_OK) == 0);
    }
    CHECK_INT_EQ(run("%s distance %s --checkpoint %s --split tset", hitwin, store, ckpt), 2);
    CHECK_STR_EQ(err, "hitwin: error: --split tset: expected all, train, validation or test\n");
    CHECK_INT_EQ(count_files("bad"), 0);

    if (!test_failures) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    } else {
        fprintf(stderr, "outputs kept in %s\n", dir);
    }
    return TEST_RESULT();
}
