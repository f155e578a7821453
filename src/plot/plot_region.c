/* `hitwin plot region DATASET.yaml --region CHROM:START-END`: the contact maps of the
 * region for every sample (conditions as columns, replicates as rows; shared colour
 * limits, log scale), the difference of the condition means, and beneath it, on the same
 * genomic axis, the saliency strip and the feature calls when given (the reference's
 * plot_hic_region and the lower tracks of plot_hic_cnn_features, reference.md 7.7). The
 * maps are read from the dataset's Hi-C files with its resolution and normalisation. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/contacts.h"
#include "hitwin/dataset_config.h"
#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/plot.h"
#include "hitwin/plot_canvas.h"
#include "hitwin/xalloc.h"

#define MAX_BINS 2000 /* a map is drawn one pixel per bin at most a few times over */

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* the q-quantile (0-1) of v (n values; sorted in place) */
static double quantile(float *v, int64_t n, double q) {
    if (n <= 0) return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_float);
    int64_t k = (int64_t)floor(q * (double)(n - 1) + 0.5);
    return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

/* one sample's dense map of bins [lo, hi) */
static int fetch_map(const hw_dataset_config *cfg, const hw_sample *s, const char *chrom, int64_t *lo,
                     int64_t *hi, int64_t start, int64_t end, float **out) {
    hw_contacts *f = hw_contacts_open(s->path);
    if (!f) return -1;
    const hw_info *info = hw_contacts_info(f);
    int c = hw_find_chrom(info, s->path, chrom);
    if (c < 0) {
        hw_contacts_close(f);
        return -1;
    }
    int64_t nbins = hw_contacts_nbins(f, c, cfg->resolution);
    if (end < 0) end = info->chroms[c].length;
    int64_t l = start / cfg->resolution, h = (end + cfg->resolution - 1) / cfg->resolution;
    if (h > nbins) h = nbins;
    if (l >= h) {
        hw_contacts_close(f);
        return hw_fail("%s: --region %s:%lld-%lld is outside %s (length %lld)", s->path, chrom, (long long)start,
                       (long long)end, info->chroms[c].name, (long long)info->chroms[c].length);
    }
    if (h - l > MAX_BINS) {
        hw_contacts_close(f);
        return hw_fail("--region: %lld bins at %d bp; plot region draws at most %d (a smaller region)",
                       (long long)(h - l), cfg->resolution, MAX_BINS);
    }
    *lo = l, *hi = h;
    *out = xcalloc((size_t)(h - l) * (size_t)(h - l), sizeof(float));
    hw_query q = {.resolution = cfg->resolution, .norm = s->norm ? s->norm : cfg->norm, .type = HW_OBSERVED,
                  .chrom1 = c, .chrom2 = c, .lo1 = l, .hi1 = h, .lo2 = l, .hi2 = h};
    int rc = hw_contacts_fetch_dense(f, &q, *out);
    if (rc) hw_fail_prefix("%s", s->path);
    hw_contacts_close(f);
    return rc;
}

/* the strip's columns [lo, hi) (all its rows) from saliency.h5: /strips/CHROM/NAME */
typedef struct {
    char chrom[128];
    int found;
} chrom_find;

static herr_t find_group(hid_t g, const char *name, const H5L_info_t *info, void *data) {
    (void)g, (void)info;
    chrom_find *cf = data;
    if (!cf->found && hw_plot_chrom_match(name, cf->chrom)) {
        snprintf(cf->chrom, sizeof cf->chrom, "%s", name);
        cf->found = 1;
    }
    return 0;
}

static int read_strip(const char *path, const char *chrom, const char *name, int64_t lo, int64_t hi, int *S,
                      float **out) {
    hw_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return hw_fail("%s: not an HDF5 file (or truncated) (--saliency)", path);
    chrom_find cf = {.found = 0};
    snprintf(cf.chrom, sizeof cf.chrom, "%s", chrom);
    hid_t g = hw_h5_exists(f, "strips") > 0 ? H5Gopen2(f, "strips", H5P_DEFAULT) : -1;
    if (g >= 0) {
        H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, find_group, &cf);
        H5Gclose(g);
    }
    char p[512];
    snprintf(p, sizeof p, "strips/%s/%s", cf.chrom, name);
    if (!cf.found || hw_h5_exists(f, p) <= 0) {
        H5Fclose(f);
        return hw_fail("%s: no strip %s for %s (--saliency; hitwin saliency strips the chromosomes it ran on)",
                       path, name, chrom);
    }
    hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int rc = H5Sget_simple_extent_ndims(sp) == 2 ? 0 : -1;
    if (!rc) H5Sget_simple_extent_dims(sp, dims, NULL);
    if (!rc && (hsize_t)hi > dims[1]) rc = -1;
    if (!rc) {
        hsize_t off[2] = {0, (hsize_t)lo}, cnt[2] = {dims[0], (hsize_t)(hi - lo)};
        *S = (int)dims[0];
        *out = xmalloc(dims[0] * cnt[1] * sizeof(float));
        H5Sselect_hyperslab(sp, H5S_SELECT_SET, off, NULL, cnt, NULL);
        hid_t ms = H5Screate_simple(2, cnt, NULL);
        rc = H5Dread(d, H5T_NATIVE_FLOAT, ms, sp, H5P_DEFAULT, *out) < 0 ? -1 : 0;
        H5Sclose(ms);
        if (rc) free(*out), *out = NULL;
    }
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    if (rc) return hw_fail("%s: %s does not cover bins %lld-%lld of the region (another resolution?)", path, p,
                           (long long)lo, (long long)hi);
    return 0;
}

/* feature calls of features.bed on chrom overlapping [start, end): BED columns 1-3 */
static int read_features(const char *path, const char *chrom, int64_t start, int64_t end, int64_t **iv, int *n) {
    FILE *fp = fopen(path, "r");
    if (!fp) return hw_fail("%s: cannot open (--features)", path);
    char line[4096];
    int ln = 0;
    *iv = NULL, *n = 0;
    while (fgets(line, sizeof line, fp)) {
        ln++;
        if (line[0] == '#' || line[0] == '\n' || !strncmp(line, "track", 5) || !strncmp(line, "browser", 7)) continue;
        char c[256];
        long long a, b;
        if (sscanf(line, "%255s %lld %lld", c, &a, &b) != 3 || b < a) {
            fclose(fp);
            free(*iv);
            return hw_fail("%s:%d: not a BED line (chrom start end ...) (--features)", path, ln);
        }
        if (!hw_plot_chrom_match(c, chrom) || b <= start || a >= end) continue;
        *iv = xrealloc(*iv, (size_t)(*n + 1) * 2 * sizeof(int64_t));
        (*iv)[2 * *n] = a, (*iv)[2 * *n + 1] = b;
        (*n)++;
    }
    fclose(fp);
    return 0;
}

int hw_plot_region_maps(const hw_plot_request *r) {
    if (!r->region.set) return hw_fail("plot region: --region CHROM:START-END is missing");
    if (r->n_inputs != 1) return hw_fail("plot region: one DATASET.yaml expected, got %d inputs", r->n_inputs);
    hw_dataset_config cfg;
    if (hw_dataset_config_load(r->inputs[0], &cfg) != 0) return -1;
    int nc = cfg.n_conditions, ns = cfg.n_samples, rc = 0;
    float **maps = xcalloc((size_t)ns, sizeof *maps);
    int64_t lo = 0, hi = 0;
    for (int k = 0; k < ns && !rc; k++) {
        int64_t l = 0, h = 0;
        rc = fetch_map(&cfg, &cfg.samples[k], r->region.chrom, &l, &h, r->region.start, r->region.end, &maps[k]);
        if (!rc && k > 0 && (l != lo || h != hi))
            rc = hw_fail("%s: the region covers other bins than in %s (another genome?)", cfg.samples[k].path,
                         cfg.samples[0].path);
        lo = l, hi = h;
    }
    int64_t n = hi - lo, nn = n * n;
    /* rows: the replicates of each condition in the order the dataset lists them */
    int *row = xcalloc((size_t)ns + 1, sizeof *row), rows = 0;
    int *per_cond = xcalloc((size_t)nc + 1, sizeof *per_cond);
    for (int k = 0; k < ns; k++) {
        row[k] = per_cond[cfg.samples[k].class_id]++;
        if (row[k] + 1 > rows) rows = row[k] + 1;
    }
    double vmin = NAN, vmax = NAN, dlim = NAN;
    float *diff = NULL;
    if (!rc) {
        float *pos = xmalloc(((size_t)nn * ns + 1) * sizeof *pos);
        int64_t np = 0;
        for (int k = 0; k < ns; k++)
            for (int64_t i = 0; i < nn; i++)
                if (maps[k][i] > 0) pos[np++] = maps[k][i];
        vmin = quantile(pos, np, 0.01), vmax = quantile(pos, np, 0.99);
        if (!(vmax > vmin)) vmin = 1, vmax = 10; /* an empty region: an empty scale */
        free(pos);
        /* the last condition's mean minus the first's: the reference's Hi-C delta (KO - WT) */
        diff = xcalloc((size_t)nn, sizeof *diff);
        for (int k = 0; k < ns; k++) {
            int c = cfg.samples[k].class_id;
            double w = c == nc - 1 ? 1.0 / per_cond[c] : c == 0 ? -1.0 / per_cond[c] : 0;
            for (int64_t i = 0; i < nn; i++) diff[i] += (float)(w * maps[k][i]);
        }
        float *a = xmalloc(((size_t)nn + 1) * sizeof *a);
        for (int64_t i = 0; i < nn; i++) a[i] = fabsf(diff[i]);
        dlim = quantile(a, nn, 0.99);
        if (!(dlim > 0)) dlim = 1;
        free(a);
    }
    int S = 0, nfeat = 0;
    float *strip = NULL;
    int64_t *feat = NULL;
    const char *strip_name = r->strip ? r->strip : "condition_saliency";
    if (!rc && r->saliency) rc = read_strip(r->saliency, r->region.chrom, strip_name, lo, hi, &S, &strip);
    if (!rc && r->features)
        rc = read_features(r->features, r->region.chrom, lo * cfg.resolution, hi * cfg.resolution, &feat, &nfeat);
    hw_plot_data data = {0};
    if (!rc && r->data_out) rc = hw_plot_data_open(&data, r->data_out);
    if (data.fp) {
        fprintf(data.fp, "# bins\t%lld\t%lld\tresolution\t%d\tvmin\t%.9g\tvmax\t%.9g\tdiff_limit\t%.9g\n", (long long)lo,
                (long long)hi, cfg.resolution, vmin, vmax, dlim);
        fprintf(data.fp, "sample\tcondition\treplicate\tsum\tnonzero\tmax\n");
        for (int k = 0; k < ns; k++) {
            double sum = 0, mx = 0;
            int64_t nz = 0;
            for (int64_t i = 0; i < nn; i++) sum += maps[k][i], nz += maps[k][i] != 0, mx = fmax(mx, maps[k][i]);
            fprintf(data.fp, "%s\t%s\t%s\t%.9g\t%lld\t%.9g\n", cfg.samples[k].name, cfg.samples[k].condition,
                    cfg.samples[k].replicate, sum, (long long)nz, mx);
        }
        double dsum = 0;
        for (int64_t i = 0; i < nn; i++) dsum += diff[i];
        fprintf(data.fp, "difference\t%s-%s\tmean\t%.9g\t\t\n", cfg.conditions[nc - 1], cfg.conditions[0], dsum);
    }
    const double M = 260, x0 = 75, y0 = 65, gap = 45;
    double right = x0 + nc * (M + gap) + 85;
    double W = right + M + 95, H = fmax(y0 + rows * (M + gap) + 20, y0 + M + 50 + (strip ? 150 : 0) + (r->features ? 70 : 0) + 30);
    hw_canvas c;
    if (!rc) rc = hw_canvas_open(&c, r->out, W, H);
    if (!rc) {
        double gx0 = (double)lo * cfg.resolution, gx1 = (double)hi * cfg.resolution;
        char title[512];
        snprintf(title, sizeof title, "%s%s%s:%.2f-%.2f Mb, %d bp bins, %s, observed", r->title ? r->title : "",
                 r->title ? ": " : "", r->region.chrom, gx0 / 1e6, gx1 / 1e6, cfg.resolution, cfg.norm);
        hw_text(&c, W / 2, 22, title, 13, 1);
        for (int k = 0; k < ns; k++) {
            hw_panel p = hw_panel_at(x0 + cfg.samples[k].class_id * (M + gap), y0 + row[k] * (M + gap), M, M);
            hw_panel_limits(&p, gx0, gx1, 0, 1);
            hw_heatmap(&c, &p, maps[k], (int)n, (int)n, vmin, vmax, 1, 0);
            char name[300];
            snprintf(name, sizeof name, "%s %s", cfg.samples[k].condition, cfg.samples[k].replicate);
            p.no_y_ticks = 1;
            hw_panel_axes(&c, &p, NULL, NULL, name, 1e6);
        }
        hw_colorbar(&c, x0 + nc * (M + gap) - 20, y0, 14, rows * (M + gap) - gap, vmin, vmax, 1, 0, "contacts");
        hw_panel pd = hw_panel_at(right, y0, M, M);
        hw_panel_limits(&pd, gx0, gx1, 0, 1);
        hw_heatmap(&c, &pd, diff, (int)n, (int)n, -dlim, dlim, 0, 1);
        char dt[300];
        snprintf(dt, sizeof dt, "mean %s - mean %s", cfg.conditions[nc - 1], cfg.conditions[0]);
        pd.no_y_ticks = 1;
        hw_panel_axes(&c, &pd, NULL, NULL, dt, 1e6);
        hw_colorbar(&c, right + M + 12, y0, 14, M, -dlim, dlim, 0, 1, "difference");
        double y = y0 + M + 50;
        if (strip) {
            float *a = xmalloc(((size_t)S * n + 1) * sizeof *a);
            int64_t na = 0;
            for (int64_t i = 0; i < (int64_t)S * n; i++)
                if (isfinite(strip[i])) a[na++] = fabsf(strip[i]);
            double slim = quantile(a, na, 0.99);
            free(a);
            if (!(slim > 0)) slim = 1;
            hw_panel ps = hw_panel_at(right, y, M, 100);
            hw_panel_limits(&ps, gx0, gx1, 0, 1);
            hw_heatmap(&c, &ps, strip, (int)n, S, -slim, slim, 0, 1);
            ps.no_y_ticks = 1;
            hw_panel_axes(&c, &ps, NULL, NULL, strip_name, 1e6);
            hw_colorbar(&c, right + M + 12, y, 14, 100, -slim, slim, 0, 1, NULL);
            y += 150;
        }
        if (r->features) {
            hw_panel pf = hw_panel_at(right, y, M, 24);
            hw_panel_limits(&pf, gx0, gx1, 0, 1);
            for (int k = 0; k < nfeat; k++)
                hw_plot_xspan(&c, &pf, (double)feat[2 * k], (double)feat[2 * k + 1], hw_palette(3), 0.8);
            char ft[64];
            snprintf(ft, sizeof ft, "feature calls (%d)", nfeat);
            pf.no_y_ticks = 1;
            hw_panel_axes(&c, &pf, "Mb", NULL, ft, 1e6);
        }
        rc = hw_canvas_close(&c);
    }
    if (data.fp) {
        int rc2 = hw_plot_data_close(&data, !rc);
        if (!rc) rc = rc2;
    }
    for (int k = 0; k < ns; k++) free(maps[k]);
    free(maps), free(diff), free(row), free(per_cond), free(strip), free(feat);
    hw_dataset_config_free(&cfg);
    return rc;
}
