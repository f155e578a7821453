/* `hitwin features`: feature calls on the strips of `hitwin saliency` (docs/saliency.md;
 * the reference's extract_features, reference.md 7.5, with bug 33 fixed). One threshold over
 * all chromosomes, from the same rows the calls come from; 4-connected components of the
 * strip above T and below -T; size limits; the convex hull of each. Outputs a BED sorted like
 * `sort -k1,1 -k2,2n` (bedtools, IGV) and an HDF5 file with each call's hull mask. */
#define _GNU_SOURCE
#include <getopt.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/cli_args.h"
#include "hitwin/dist.h"
#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/log.h"
#include "hitwin/output_guard.h"
#include "hitwin/saliency.h"
#include "hitwin/version.h"
#include "hitwin/xalloc.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hitwin features SALIENCY.h5 -o DIR [options]\n"
            "Feature calls on one strip kind of a hitwin saliency file: pixels beyond a global\n"
            "quantile threshold (positive and negative), connected components, size limits, hulls.\n"
            "  -o, --output DIR     output directory (created when missing)\n"
            "      --quantile Q     threshold quantile (default 0.999; in (0.5, 1))\n"
            "      --min-size N     least row and column span of a call, bins (default 10)\n"
            "      --max-size N     largest span (default 256)\n"
            "      --map NAME       condition_features (default), condition_saliency,\n"
            "                       replicate_features or replicate_saliency\n"
            "      --pad N          rows left out next to the diagonal and at the far edge\n"
            "                       (default 3; the same rows give the threshold and the calls)\n"
            "      --min-count N    only strip pixels covered by at least N windows (default 1);\n"
            "                       far separations are covered by few windows and are noisier\n"
            "  -h, --help\n"
            "Outputs in DIR: features.bed (BED9: chrom, start, end, name with the separation\n"
            "range, mean and peak as IGV gffTags, score, sign as strand, thick, colour by sign)\n"
            "and features.h5 (every call with its hull mask).\n");
}

typedef struct {
    char **name;
    int n;
} name_list;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *data) {
    (void)g, (void)info;
    name_list *l = data;
    l->name = xrealloc(l->name, (size_t)(l->n + 1) * sizeof *l->name);
    l->name[l->n++] = xstrdup(name);
    return 0;
}

static int read_2d(hid_t f, const char *path, hid_t mtype, int64_t rows, int64_t *cols, void **out,
                   size_t elem) {
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) return hw_fail("%s is missing", path);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int nd = H5Sget_simple_extent_ndims(sp);
    if (nd == 2) H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    if (nd != 2 || (int64_t)dims[0] != rows || dims[1] > (hsize_t)1 << 32) {
        H5Dclose(d);
        return hw_fail("%s: expected [%lld, bins]", path, (long long)rows);
    }
    *cols = (int64_t)dims[1];
    *out = xmalloc((size_t)dims[0] * dims[1] * elem + 1);
    int rc = H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0 ? hw_fail("%s: cannot read", path) : 0;
    H5Dclose(d);
    return rc;
}

typedef struct {
    const hw_feature *f;
    const char *chrom;
} call_ref;

static int cmp_call(const void *a, const void *b) {
    const call_ref *x = a, *y = b;
    int c = strcmp(x->chrom, y->chrom);
    if (c) return c;
    if (x->f->cmin != y->f->cmin) return x->f->cmin < y->f->cmin ? -1 : 1;
    if (x->f->cmax != y->f->cmax) return x->f->cmax < y->f->cmax ? -1 : 1;
    return (x->f->sign < y->f->sign) - (x->f->sign > y->f->sign);
}

int hw_features_main(int argc, char **argv) {
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"quantile", required_argument, 0, 'Q'},
                                         {"min-size", required_argument, 0, 'm'},
                                         {"max-size", required_argument, 0, 'M'},
                                         {"map", required_argument, 0, 'p'},
                                         {"pad", required_argument, 0, 'P'},
                                         {"min-count", required_argument, 0, 'N'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out_dir = NULL, *map = "condition_features";
    double q = 0.999;
    int64_t min_size = 10, max_size = 256, pad = 3, min_count = 1;
    int c;
    optind = 1;
    while ((c = hw_getopt(argc, argv, "o:h", opts)) != -1) {
        switch (c) {
        case 'o': out_dir = optarg; break;
        case 'Q':
            if (hw_parse_double("--quantile", optarg, 0.5, 1.0, &q) != 0 || q <= 0.5 || q >= 1.0)
                return hw_usage_fail(NULL, "--quantile %s: expected a number in (0.5, 1)", optarg);
            break;
        case 'm':
            if (hw_parse_int("--min-size", optarg, 1, 1 << 20, &min_size) != 0) return hw_usage_error(NULL);
            break;
        case 'M':
            if (hw_parse_int("--max-size", optarg, 1, 1 << 20, &max_size) != 0) return hw_usage_error(NULL);
            break;
        case 'P':
            if (hw_parse_int("--pad", optarg, 0, 1000, &pad) != 0) return hw_usage_error(NULL);
            break;
        case 'N':
            if (hw_parse_int("--min-count", optarg, 1, 1 << 20, &min_count) != 0) return hw_usage_error(NULL);
            break;
        case 'p':
            if (strcmp(optarg, "condition_features") && strcmp(optarg, "condition_saliency") &&
                strcmp(optarg, "replicate_features") && strcmp(optarg, "replicate_saliency"))
                return hw_usage_fail(NULL, "--map %s: expected condition_features, condition_saliency, "
                                           "replicate_features or replicate_saliency", optarg);
            map = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default: return hw_usage_error(usage);
        }
    }
    if (optind == argc) return hw_usage_fail(usage, "features: the saliency file (SALIENCY.h5) is missing");
    if (optind != argc - 1) return hw_usage_fail(usage, "features: one SALIENCY.h5 expected, got '%s' too", argv[optind + 1]);
    if (!out_dir) return hw_usage_fail(usage, "features: -o DIR is missing");
    if (min_size > max_size) return hw_usage_fail(NULL, "--min-size %lld is larger than --max-size %lld",
                                                  (long long)min_size, (long long)max_size);
    const char *path = argv[optind];
    hw_input in[] = {{path, "the saliency file"}};
    const char *names[] = {"features.bed", "features.h5"};
    if (hw_input_check(&in[0]) != 0 || hw_output_dir_check(out_dir, "-o", 0, names, 2, in, 1) != 0) {
        log_error("%s", hw_error());
        return 1;
    }
    hw_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char fmt[64] = "";
    int64_t S = 0, res = 0;
    if (f < 0 || !hw_h5_attr_str(f, "format", fmt, sizeof fmt) || strcmp(fmt, "hitwin-saliency") != 0 ||
        hw_h5_attr_int(f, "tile_size", &S) != 1 || hw_h5_attr_int(f, "resolution", &res) != 1 || S < 8 ||
        S > 4096 || res < 1) {
        if (f >= 0) H5Fclose(f);
        log_error("%s: not a hitwin saliency file (format hitwin-saliency)", path);
        return 1;
    }
    name_list chroms = {0};
    hid_t g = H5Gopen2(f, "strips", H5P_DEFAULT);
    if (g >= 0) {
        H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name, &chroms);
        H5Gclose(g);
    }
    float **strips = xcalloc((size_t)chroms.n + 1, sizeof *strips);
    int32_t **counts = xcalloc((size_t)chroms.n + 1, sizeof *counts);
    int64_t *n_bins = xcalloc((size_t)chroms.n + 1, sizeof *n_bins);
    int rc = chroms.n == 0 ? hw_fail("%s: no strips in the file", path) : 0;
    for (int k = 0; k < chroms.n && !rc; k++) {
        char p1[600], p2[600];
        snprintf(p1, sizeof p1, "strips/%s/%s", chroms.name[k], map);
        snprintf(p2, sizeof p2, "strips/%s/%s_count", chroms.name[k], map);
        if (!hw_h5_exists(f, p1)) {
            rc = hw_fail("%s: no %s strips (hitwin saliency --pairs left them out); choose --map", path, map);
            break;
        }
        int64_t nb2 = 0;
        rc = read_2d(f, p1, H5T_NATIVE_FLOAT, S, &n_bins[k], (void **)&strips[k], sizeof(float));
        if (!rc) rc = read_2d(f, p2, H5T_NATIVE_INT32, S, &nb2, (void **)&counts[k], sizeof(int32_t));
        if (!rc && nb2 != n_bins[k]) rc = hw_fail("%s: %s and its count differ in shape", path, p1);
        if (rc) hw_fail_prefix("%s", path);
    }
    H5Fclose(f);
    hw_feature *calls = NULL;
    size_t n_calls = 0, cap = 0;
    double T = NAN;
    const int min_row = (int)pad, max_row = (int)(S - 1 - pad);
    if (!rc) {
        T = hw_feature_threshold((const float *const *)strips, (const int32_t *const *)counts, n_bins,
                                 chroms.n, (int)S, min_row, max_row, (int)min_count, q);
        if (!(T > 0.0)) rc = hw_fail("%s: the %s strips are empty or all zero: nothing to threshold", path, map);
    }
    for (int k = 0; k < chroms.n && !rc; k++)
        hw_feature_extract(strips[k], counts[k], (int)S, n_bins[k], k, T, min_row, max_row, (int)min_count,
                           (int)min_size, (int)max_size, &calls, &n_calls, &cap);
    if (rc) {
        log_error("%s", hw_error());
    } else {
        /* sorted like sort -k1,1 -k2,2n */
        call_ref *order = xcalloc(n_calls + 1, sizeof *order);
        double top = 0.0;
        for (size_t i = 0; i < n_calls; i++) {
            order[i] = (call_ref){&calls[i], chroms.name[calls[i].chrom]};
            if (fabs(calls[i].avg) > top) top = fabs(calls[i].avg);
        }
        qsort(order, n_calls, sizeof *order, cmp_call);
        if (hw_output_dir_make(out_dir, "-o") != 0) rc = -1;
        char bed[4200], bedtmp[4300], h5[4200], h5tmp[4300];
        snprintf(bed, sizeof bed, "%s/features.bed", out_dir);
        snprintf(h5, sizeof h5, "%s/features.h5", out_dir);
        snprintf(bedtmp, sizeof bedtmp, "%s.tmp-%ld", bed, (long)getpid());
        snprintf(h5tmp, sizeof h5tmp, "%s.tmp-%ld", h5, (long)getpid());
        hw_temp_add(bedtmp);
        hw_temp_add(h5tmp);
        FILE *out = rc ? NULL : fopen(bedtmp, "w");
        if (!rc && !out) rc = hw_fail("%s: cannot write", bedtmp);
        if (out) {
            /* BED9 (IGV, bedtools): thick = the call, colour by sign; the separation range and
             * the values as IGV gffTags attributes in the name column (shown in IGV's popups;
             * bedtools skips the # line) */
            fprintf(out, "#gffTags\n");
            fprintf(out, "track name=\"hitwin features %s\" description=\"q %g, T %.6g\" useScore=1 itemRgb=On\n",
                    map, q, T);
            for (size_t i = 0; i < n_calls; i++) {
                const hw_feature *x = order[i].f;
                int score = top > 0.0 ? (int)lround(1000.0 * fabs(x->avg) / top) : 0;
                long long st = (long long)x->cmin * res, en = (long long)(x->cmax + 1) * res;
                fprintf(out,
                        "%s\t%lld\t%lld\tName=%s_%zu;sep_start=%lld;sep_end=%lld;mean=%.6g;peak=%.6g\t%d\t%c\t"
                        "%lld\t%lld\t%s\n",
                        order[i].chrom, st, en, map, i + 1, (long long)x->rmin * res, (long long)(x->rmax + 1) * res,
                        x->avg, x->peak, score, x->sign > 0 ? '+' : '-', st, en,
                        x->sign > 0 ? "200,0,0" : "0,0,200");
            }
            if (fclose(out) != 0) rc = hw_fail("%s: write failed", bedtmp);
        }
        if (!rc) { /* HDF5: one row per call in BED order; hulls concatenated row-major */
            hid_t o = H5Fcreate(h5tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
            if (o < 0) rc = hw_fail("%s: cannot create", h5tmp);
            size_t n = n_calls, hull_total = 0;
            char **cn = xcalloc(n + 1, sizeof *cn);
            int64_t *col[9];
            double *avg = xcalloc(n + 1, sizeof *avg), *peak = xcalloc(n + 1, sizeof *peak);
            int8_t *sgn = xcalloc(n + 1, 1);
            for (int j = 0; j < 9; j++) col[j] = xcalloc(n + 1, sizeof(int64_t));
            for (size_t i = 0; i < n; i++) {
                const hw_feature *x = order[i].f;
                int64_t h = (int64_t)(x->rmax - x->rmin + 1) * (x->cmax - x->cmin + 1);
                cn[i] = (char *)order[i].chrom;
                col[0][i] = (int64_t)x->cmin * res;
                col[1][i] = (int64_t)(x->cmax + 1) * res;
                col[2][i] = x->rmin, col[3][i] = x->rmax, col[4][i] = x->cmin, col[5][i] = x->cmax;
                col[6][i] = x->n_pixels;
                col[7][i] = (int64_t)hull_total;
                col[8][i] = h;
                hull_total += (size_t)h;
                avg[i] = x->avg, peak[i] = x->peak, sgn[i] = (int8_t)x->sign;
            }
            uint8_t *hulls = xcalloc(hull_total + 1, 1);
            for (size_t i = 0; i < n; i++) memcpy(hulls + col[7][i], order[i].f->hull, (size_t)col[8][i]);
            static const char *const cname[9] = {"features/start", "features/end", "features/row_min",
                                                 "features/row_max", "features/col_min", "features/col_max",
                                                 "features/hull_pixels", "features/hull_offset", "features/hull_size"};
            if (!rc) {
                hid_t grp = H5Gcreate2(o, "features", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
                H5Gclose(grp);
                int e = hw_h5_write_strings(o, "features/chrom", cn, (int64_t)n);
                for (int j = 0; j < 9; j++)
                    e |= hw_h5_write_1d(o, cname[j], H5T_STD_I64LE, H5T_NATIVE_INT64, (int64_t)n, col[j]);
                e |= hw_h5_write_1d(o, "features/avg_value", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (int64_t)n, avg);
                e |= hw_h5_write_1d(o, "features/peak", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (int64_t)n, peak);
                e |= hw_h5_write_1d(o, "features/sign", H5T_STD_I8LE, H5T_NATIVE_INT8, (int64_t)n, sgn);
                e |= hw_h5_write_1d(o, "features/hulls", H5T_STD_U8LE, H5T_NATIVE_UINT8, (int64_t)hull_total, hulls);
                e |= hw_h5_write_attr_str(o, "format", "hitwin-features");
                e |= hw_h5_write_attr_int(o, "format_version", 1);
                e |= hw_h5_write_attr_str(o, "hitwin_version", HITWIN_VERSION_STRING);
                e |= hw_h5_write_attr_str(o, "saliency_file", path);
                e |= hw_h5_write_attr_str(o, "map", map);
                e |= hw_h5_write_attr_double(o, "quantile", q);
                e |= hw_h5_write_attr_double(o, "threshold", T);
                e |= hw_h5_write_attr_int(o, "min_size", min_size);
                e |= hw_h5_write_attr_int(o, "max_size", max_size);
                e |= hw_h5_write_attr_int(o, "row_min", min_row);
                e |= hw_h5_write_attr_int(o, "row_max", max_row);
                e |= hw_h5_write_attr_int(o, "min_count", min_count);
                e |= hw_h5_write_attr_int(o, "resolution", res);
                e |= hw_h5_write_attr_str(o, "layout",
                                          "row i: hull mask hulls[hull_offset[i] : hull_offset[i] + hull_size[i]] "
                                          "reshaped to [row_max - row_min + 1, col_max - col_min + 1]; rows are "
                                          "separations in bins, columns midpoint bins");
                if (H5Fclose(o) < 0) { /* full disk: HDF5 keeps a dangling id (dist.h) */
                    e = 1;
                    hw_dist_exit_failed_at_finalize();
                }
                if (e) rc = hw_fail("%s: write failed", h5tmp);
            }
            free(hulls);
            free(cn);
            free(avg);
            free(peak);
            free(sgn);
            for (int j = 0; j < 9; j++) free(col[j]);
        }
        if (!rc && (rename(bedtmp, bed) != 0 || rename(h5tmp, h5) != 0)) rc = hw_fail("%s: cannot rename", out_dir);
        if (rc) {
            unlink(bedtmp);
            unlink(h5tmp);
            log_error("%s", hw_error());
        } else {
            printf("features: %s: %zu calls (%s, quantile %g, threshold %.6g)\n", bed, n_calls, map, q, T);
        }
        hw_temp_forget(bedtmp);
        hw_temp_forget(h5tmp);
        free(order);
    }
    for (size_t i = 0; i < n_calls; i++) hw_feature_free(&calls[i]);
    free(calls);
    for (int k = 0; k < chroms.n; k++) {
        free(strips[k]);
        free(counts[k]);
        free(chroms.name[k]);
    }
    free(chroms.name);
    free(strips);
    free(counts);
    free(n_bins);
    return rc ? 1 : 0;
}
