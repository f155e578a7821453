/* One distance file read back into memory (distance_read.h). */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/distance_output.h"
#include "hitwin/distance_read.h"
#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/xalloc.h"

int hw_measure_index(const char *name) {
    for (int q = 0; q < HW_N_MEASURES; q++)
        if (!strcmp(name, hw_measure_names[q])) return q;
    char list[256] = "";
    for (int q = 0; q < HW_N_MEASURES; q++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", q ? ", " : "", hw_measure_names[q]);
    return hw_fail("unknown measure '%s' (expected one of: %s)", name, list);
}

int hw_distance_default_measure(const char *path) {
    hw_h5_quiet();
    if (access(path, R_OK) != 0) return HW_M_DEFAULT_NO_BASELINES;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return HW_M_DEFAULT_NO_BASELINES;
    char p[128];
    snprintf(p, sizeof p, "windows/%s_between", hw_measure_names[HW_M_DEFAULT]);
    int64_t n = hw_h5_exists(f, p) > 0 ? hw_h5_len(f, p) : 0;
    int found = 0;
    /* a column that disagrees with the table (a damaged file) is left to the full read */
    if (n > 0 && n == hw_h5_len(f, "windows/start")) {
        double *v = xcalloc((size_t)n, sizeof *v);
        if (hw_h5_read_slice(f, p, H5T_NATIVE_DOUBLE, 0, n, v) == 0)
            for (int64_t i = 0; i < n && !found; i++) found = isfinite(v[i]);
        free(v);
    }
    H5Fclose(f);
    return found ? HW_M_DEFAULT : HW_M_DEFAULT_NO_BASELINES;
}

void hw_distance_data_free(hw_distance_data *d) {
    free(d->chrom), free(d->window), free(d->start), free(d->middle), free(d->end);
    free(d->pair_row), free(d->label);
    for (int q = 0; q < HW_N_MEASURES; q++) {
        free(d->within[q]), free(d->between[q]), free(d->score[q]);
        free(d->diff[q]), free(d->z[q]), free(d->called[q]), free(d->d[q]);
    }
    memset(d, 0, sizeof *d);
}

/* A file written before the maps, combined and hybrid measures existed has no columns for
 * them: NaN there (no AUROC, no calls), as for a run without baselines. */
static int added_later(int q) { return q == HW_M_MAPS || q == HW_M_COMBINED || q == HW_M_HYBRID; }

static double *read_doubles(hid_t f, const char *fmt, int q, int64_t n, int *rc) {
    char p[160];
    snprintf(p, sizeof p, fmt, hw_measure_names[q]);
    double *v = xcalloc((size_t)n + 1, sizeof *v);
    if (added_later(q) && hw_h5_exists(f, p) <= 0) {
        for (int64_t i = 0; i < n; i++) v[i] = NAN;
        return v;
    }
    *rc |= hw_h5_read_slice(f, p, H5T_NATIVE_DOUBLE, 0, n, v);
    return v;
}

/* diff, z and the calls of every measure, and the FDR they were made at; a file
 * written before them has none (NaN, no calls). */
static int read_stats(hid_t f, hw_distance_data *d) {
    d->fdr = NAN;
    for (int q = 0; q < HW_N_MEASURES; q++) {
        d->diff[q] = xcalloc((size_t)d->nw + 1, sizeof(double));
        d->z[q] = xcalloc((size_t)d->nw + 1, sizeof(double));
        d->called[q] = xcalloc((size_t)d->nw + 1, sizeof(int8_t));
        for (int64_t i = 0; i < d->nw; i++) d->diff[q][i] = d->z[q][i] = NAN;
    }
    char p[128];
    snprintf(p, sizeof p, "windows/%s_z", hw_measure_names[0]);
    d->has_stats = hw_h5_exists(f, p) > 0;
    if (!d->has_stats) return 0;
    int rc = 0;
    for (int q = 0; q < HW_N_MEASURES; q++) {
        snprintf(p, sizeof p, "windows/%s_diff", hw_measure_names[q]);
        if (added_later(q) && hw_h5_exists(f, p) <= 0) continue; /* NaN, not called */
        rc |= hw_h5_read_slice(f, p, H5T_NATIVE_DOUBLE, 0, d->nw, d->diff[q]);
        snprintf(p, sizeof p, "windows/%s_z", hw_measure_names[q]);
        rc |= hw_h5_read_slice(f, p, H5T_NATIVE_DOUBLE, 0, d->nw, d->z[q]);
        snprintf(p, sizeof p, "windows/%s_called", hw_measure_names[q]);
        rc |= hw_h5_read_slice(f, p, H5T_NATIVE_INT8, 0, d->nw, d->called[q]);
    }
    hid_t g = H5Gopen2(f, "windows", H5P_DEFAULT);
    if (g < 0) return -1;
    hid_t a = H5Aopen(g, "fdr", H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, &d->fdr) < 0) rc = -1;
    if (a >= 0) H5Aclose(a);
    H5Gclose(g);
    return rc;
}

/* pairs name their window by its store index; the table's rows are looked up by it */
static int map_pair_rows(hw_distance_data *d, const int64_t *pair_window) {
    int64_t maxw = -1;
    for (int64_t i = 0; i < d->nw; i++)
        if (d->window[i] > maxw) maxw = d->window[i];
    int64_t *row_of = xmalloc(((size_t)maxw + 2) * sizeof *row_of);
    for (int64_t i = 0; i <= maxw; i++) row_of[i] = -1;
    for (int64_t i = 0; i < d->nw; i++)
        if (d->window[i] >= 0) row_of[d->window[i]] = i;
    int rc = 0;
    for (int64_t k = 0; k < d->np; k++) {
        int64_t w = pair_window[k];
        d->pair_row[k] = w >= 0 && w <= maxw ? row_of[w] : -1;
        if (d->pair_row[k] < 0) rc = -1;
    }
    free(row_of);
    return rc;
}

int hw_distance_read(const char *path, hw_distance_data *d) {
    memset(d, 0, sizeof *d);
    snprintf(d->path, sizeof d->path, "%s", path);
    hw_h5_quiet();
    if (access(path, R_OK) != 0) return hw_fail("%s: cannot open distance file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return hw_fail("%s: not an HDF5 file (or truncated)", path);
    char fmt[64] = "";
    if (hw_h5_attr_str(f, "format", fmt, sizeof fmt) <= 0 || strcmp(fmt, HW_DISTANCE_FORMAT) != 0) {
        H5Fclose(f);
        return hw_fail("%s: not a hitwin distance file (attribute format is not '%s')", path,
                       HW_DISTANCE_FORMAT);
    }
    hw_h5_attr_str(f, "checkpoint", d->checkpoint, sizeof d->checkpoint);
    hw_h5_attr_int(f, "resolution", &d->resolution);
    int rc = 0;
    d->nw = hw_h5_len(f, "windows/start");
    d->np = hw_h5_len(f, "pairs/label");
    int64_t *pair_window = NULL;
    if (d->nw < 0 || d->np < 0) rc = -1;
    if (!rc) {
        size_t nw = (size_t)d->nw + 1, np = (size_t)d->np + 1;
        d->chrom = xcalloc(nw * HW_DIST_NAME_W, 1);
        d->window = xcalloc(nw, sizeof(int64_t));
        d->start = xcalloc(nw, sizeof(int64_t));
        d->middle = xcalloc(nw, sizeof(int64_t));
        d->end = xcalloc(nw, sizeof(int64_t));
        d->label = xcalloc(np, 1);
        d->pair_row = xcalloc(np, sizeof(int64_t));
        pair_window = xcalloc(np, sizeof(int64_t));
        rc |= hw_h5_read_strings(f, "windows/chrom", d->nw, HW_DIST_NAME_W, d->chrom);
        rc |= hw_h5_read_slice(f, "windows/window", H5T_NATIVE_INT64, 0, d->nw, d->window);
        rc |= hw_h5_read_slice(f, "windows/start", H5T_NATIVE_INT64, 0, d->nw, d->start);
        rc |= hw_h5_read_slice(f, "windows/middle", H5T_NATIVE_INT64, 0, d->nw, d->middle);
        rc |= hw_h5_read_slice(f, "windows/end", H5T_NATIVE_INT64, 0, d->nw, d->end);
        rc |= hw_h5_read_slice(f, "pairs/label", H5T_NATIVE_INT8, 0, d->np, d->label);
        rc |= hw_h5_read_slice(f, "pairs/window", H5T_NATIVE_INT64, 0, d->np, pair_window);
        for (int q = 0; q < HW_N_MEASURES; q++) {
            d->within[q] = read_doubles(f, "windows/%s_within", q, d->nw, &rc);
            d->between[q] = read_doubles(f, "windows/%s_between", q, d->nw, &rc);
            d->score[q] = read_doubles(f, "windows/%s_score", q, d->nw, &rc);
            d->d[q] = read_doubles(f, "pairs/%s", q, d->np, &rc);
        }
        rc |= read_stats(f, d);
    }
    H5Fclose(f);
    if (!rc && map_pair_rows(d, pair_window) != 0) {
        free(pair_window);
        hw_distance_data_free(d);
        return hw_fail("%s: a pair names a window that is not in the windows table (corrupt file)", path);
    }
    free(pair_window);
    if (rc) {
        hw_distance_data_free(d);
        return hw_fail("%s: distance file is incomplete or corrupt (missing tables)", path);
    }
    return 0;
}
