/* .cool / .mcool reader: opening and metadata (cooler schema v1-v3, layout in
 * ../shared/docs/formats.md section 10). The index, pixels and expected
 * values live in cool_index.c, cool_fetch.c and cool_expected.c.
 *
 * Choices, so that callers know what they get:
 * - Layouts: an .mcool is recognised by its /resolutions group (the root
 *   attributes may be missing, as in hic2cool 0.7.0); otherwise a cooler at
 *   the root (pixels/bin1_id); otherwise the legacy zoom layout /0 ... /N,
 *   each a cooler whose resolution is its bin-size. Anything else is "not a
 *   cooler". Only fixed-size bins are supported.
 * - Chromosome-relative bin = bins/start / resolution, so a chromosome whose
 *   bins start late (unittest_matrix_2.cool: chr1 bins cover 160-180 Mb) keeps
 *   genomic coordinates (bins 16000..17999). cool_nbins = ceil(length / res);
 *   bins absent from the table have no pixels.
 * - Norms: "NONE" plus every floating-point column of bins/ other than
 *   chrom/start/end, in the group's iteration order (creation order when the
 *   file tracks it, else by name). A column is divisive if its dataset has
 *   divisive_weights = true, or, without that attribute, if it is named KR,
 *   VC or VC_SQRT (hic2cool copies .hic vectors unchanged); otherwise
 *   multiplicative (cooler's `weight`). NaN weights give NaN values.
 * - Duplicate pixels (the same (bin1, bin2) twice in a row, written by old
 *   `cooler zoomify`) are summed before the callback, so each cell is
 *   reported once; consumers may assign rather than add.
 * - Errors name the file, or "<file>::resolutions/<res>" for one cooler of
 *   an .mcool (cooler's URI syntax), then the cause.
 * - O/E expected values: see cool_expected.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cool_internal.h"
#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/xalloc.h"

/* ---- group listing ------------------------------------------------------ */

typedef struct {
    char (*names)[64];
    int n, cap;
    int too_long;
} name_list;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *li, void *ctx) {
    (void)g;
    (void)li;
    name_list *l = ctx;
    if (strlen(name) >= sizeof l->names[0]) {
        l->too_long = 1;
        return 0;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->names = xrealloc(l->names, (size_t)l->cap * sizeof *l->names);
    }
    snprintf(l->names[l->n++], sizeof l->names[0], "%s", name);
    return 0;
}

/* Child link names of a group in creation order when tracked, else by name. */
static int list_children(hid_t loc, const char *group, name_list *out) {
    memset(out, 0, sizeof *out);
    hid_t g = H5Gopen2(loc, group, H5P_DEFAULT);
    if (g < 0) return hw_fail("cannot open group '%s'", group);
    hsize_t idx = 0;
    herr_t e = H5Literate(g, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, collect_name, out);
    if (e < 0) {
        out->n = 0;
        idx = 0;
        e = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, out);
    }
    H5Gclose(g);
    if (e < 0) return hw_fail("cannot list group '%s' (corrupt or truncated file)", group);
    return 0;
}

static int parse_uint(const char *s, int64_t *v) {
    if (!*s) return 0;
    int64_t x = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || x > INT32_MAX) return 0;
        x = x * 10 + (*p - '0');
    }
    *v = x;
    return 1;
}

/* ---- one cooler group: attributes and bins/ columns ---------------------- */

/* 1 for a floating-point column of nbins rows, 0 for anything else that is
 * not a column, -1 (error set) for a column whose length is not nbins: every
 * bins/ column is indexed by bin id, so a short one would be read past its end. */
static int is_float_column(hid_t bins, const char *name, int64_t nbins) {
    hid_t d = H5Dopen2(bins, name, H5P_DEFAULT);
    if (d < 0) return 0; /* a subgroup or something else: not a weight column */
    hid_t t = H5Dget_type(d);
    int ok = H5Tget_class(t) == H5T_FLOAT;
    H5Tclose(t);
    H5Dclose(d);
    if (!ok) return 0;
    int64_t n = hw_h5_len(bins, name);
    if (n < 0) return -1;
    if (n != nbins)
        return hw_fail("bins/%s has %lld rows, bins/start %lld", name, (long long)n, (long long)nbins);
    return 1;
}

/* bins/chrom and bins/end, when present, must have one row per bin too. */
static int check_bin_column(hid_t g, const char *path, int64_t nbins) {
    if (!hw_h5_exists(g, path)) return 0;
    int64_t n = hw_h5_len(g, path);
    if (n < 0) return -1;
    if (n != nbins) return hw_fail("%s has %lld rows, bins/start %lld", path, (long long)n, (long long)nbins);
    return 0;
}

/* Reads the attributes and norm columns of the cooler at r->group. The
 * resolution comes from bin-size; `expect_res` > 0 (the .mcool child name)
 * must agree with it. */
static int read_cooler_header(cool_file *c, cool_res *r, int64_t expect_res) {
    hid_t g = H5Gopen2(c->fid, r->group, H5P_DEFAULT);
    if (g < 0) return hw_fail("%s: cannot open group '%s'", r->uri, r->group);
    int rc = -1;
    char s[64] = "";
    int64_t v = 0;
    name_list cols = {0};
    if (hw_h5_attr_str(g, "bin-type", s, sizeof s) < 0) goto out;
    if (strcmp(s, "variable") == 0) {
        hw_fail("%s: variable-size bins are not supported (bin-type \"variable\")", r->uri);
        goto out;
    }
    int has = hw_h5_attr_int(g, "bin-size", &v);
    if (has < 0) {
        hw_fail("%s: variable-size bins are not supported (bin-size is not an integer)", r->uri);
        goto out;
    }
    if (has == 0) v = expect_res;
    if (v <= 0 || v > INT32_MAX) {
        hw_fail("%s: missing or invalid bin-size attribute", r->uri);
        goto out;
    }
    if (expect_res > 0 && v != expect_res) {
        hw_fail("%s: bin-size %lld does not match the group name", r->uri, (long long)v);
        goto out;
    }
    r->res = (int32_t)v;
    s[0] = '\0';
    if (hw_h5_attr_str(g, "storage-mode", s, sizeof s) < 0) goto out;
    r->square = strcmp(s, "square") == 0; /* absent (v1/v2): symmetric-upper */

    if (!hw_h5_exists(g, "pixels/bin1_id") || !hw_h5_exists(g, "bins/start")) {
        hw_fail("%s: not a cooler (no pixels/bin1_id or bins/start)", r->uri);
        goto out;
    }
    int64_t nbins = hw_h5_len(g, "bins/start");
    if (nbins < 0) {
        hw_fail_prefix("%s", r->uri);
        goto out;
    }
    if (check_bin_column(g, "bins/chrom", nbins) != 0 || check_bin_column(g, "bins/end", nbins) != 0) {
        hw_fail_prefix("%s", r->uri);
        goto out;
    }
    if (list_children(g, "bins", &cols) != 0) {
        hw_fail_prefix("%s", r->uri);
        goto out;
    }
    hid_t bins = H5Gopen2(g, "bins", H5P_DEFAULT);
    r->norms = xcalloc((size_t)cols.n + 1, sizeof *r->norms);
    for (int k = 0; k < cols.n; k++) {
        const char *name = cols.names[k];
        if (!strcmp(name, "chrom") || !strcmp(name, "start") || !strcmp(name, "end")) continue;
        if (strlen(name) >= sizeof r->norms[0].name) continue;
        int col = is_float_column(bins, name, nbins);
        if (col < 0) {
            hw_fail_prefix("%s", r->uri);
            H5Gclose(bins);
            goto out;
        }
        if (col == 0) continue;
        cool_norm *n = &r->norms[r->nnorms++];
        snprintf(n->name, sizeof n->name, "%s", name);
        n->divisive = !strcmp(name, "KR") || !strcmp(name, "VC") || !strcmp(name, "VC_SQRT");
        hid_t d = H5Dopen2(bins, name, H5P_DEFAULT);
        int dv;
        int got = hw_h5_attr_bool(d, "divisive_weights", &dv);
        H5Dclose(d);
        if (got < 0) {
            hw_fail_prefix("%s: bins/%s", r->uri, name);
            H5Gclose(bins);
            goto out;
        }
        if (got == 1) n->divisive = dv;
    }
    H5Gclose(bins);
    rc = 0;
out:
    free(cols.names);
    H5Gclose(g);
    return rc;
}

/* ---- layout detection ---------------------------------------------------- */

static int cmp_res(const void *a, const void *b) {
    const cool_res *x = a, *y = b;
    return (x->res > y->res) - (x->res < y->res);
}

static cool_res *add_res(cool_file *c, const char *group, int mcool_uri) {
    c->res = xrealloc(c->res, (size_t)(c->nres + 1) * sizeof *c->res);
    cool_res *r = &c->res[c->nres++];
    memset(r, 0, sizeof *r);
    r->grp = r->d_bin1 = r->d_bin2 = r->d_count = -1;
    snprintf(r->group, sizeof r->group, "%s", group);
    if (mcool_uri) snprintf(r->uri, sizeof r->uri, "%s::%s", c->path, group + 1);
    else snprintf(r->uri, sizeof r->uri, "%s", c->path);
    return r;
}

static int find_coolers(cool_file *c) {
    name_list kids = {0};
    int rc = -1;
    if (hw_h5_exists(c->fid, "/resolutions")) {
        c->info->format = HW_FORMAT_MCOOL;
        if (list_children(c->fid, "/resolutions", &kids) != 0) {
            hw_fail_prefix("%s", c->path);
            goto out;
        }
        for (int k = 0; k < kids.n; k++) {
            int64_t v;
            char group[64];
            snprintf(group, sizeof group, "/resolutions/%s", kids.names[k]);
            if (!parse_uint(kids.names[k], &v) || v <= 0) {
                hw_fail("%s: resolutions/%s is not a resolution in bp", c->path, kids.names[k]);
                goto out;
            }
            if (read_cooler_header(c, add_res(c, group, 1), v) != 0) goto out;
        }
    } else if (hw_h5_exists(c->fid, "/pixels/bin1_id")) {
        c->info->format = HW_FORMAT_COOL;
        if (read_cooler_header(c, add_res(c, "/", 0), 0) != 0) goto out;
    } else {
        /* legacy multi-resolution layout: integer zoom groups /0 ... /N */
        if (list_children(c->fid, "/", &kids) == 0) {
            for (int k = 0; k < kids.n; k++) {
                int64_t v;
                char probe[96];
                snprintf(probe, sizeof probe, "/%s/pixels/bin1_id", kids.names[k]);
                if (!parse_uint(kids.names[k], &v) || !hw_h5_exists(c->fid, probe)) continue;
                char group[64];
                snprintf(group, sizeof group, "/%s", kids.names[k]);
                if (read_cooler_header(c, add_res(c, group, 1), 0) != 0) goto out;
            }
        }
        if (c->nres == 0) {
            hw_fail("%s: not a cooler (no /resolutions group and no pixels/bin1_id)", c->path);
            goto out;
        }
        c->info->format = HW_FORMAT_MCOOL;
    }
    if (c->nres == 0) {
        hw_fail("%s: .mcool without resolutions (empty /resolutions group)", c->path);
        goto out;
    }
    qsort(c->res, (size_t)c->nres, sizeof *c->res, cmp_res);
    for (int k = 1; k < c->nres; k++)
        if (c->res[k].res == c->res[k - 1].res) {
            hw_fail("%s: resolution %d bp appears twice", c->path, c->res[k].res);
            goto out;
        }
    rc = 0;
out:
    free(kids.names);
    return rc;
}

/* ---- hw_info ------------------------------------------------------------- */

static int read_chroms(cool_file *c, const cool_res *r) {
    hw_info *in = c->info;
    hid_t g = H5Gopen2(c->fid, r->group, H5P_DEFAULT);
    int rc = -1;
    int64_t n = hw_h5_len(g, "chroms/length");
    if (n < 0) goto fail;
    if (n == 0 || n > 1000000) {
        hw_fail("bad chromosome count %lld", (long long)n);
        goto fail;
    }
    char *names = xcalloc((size_t)n, HW_NAME_CAP);
    int64_t *len = xcalloc((size_t)n, sizeof *len);
    if (hw_h5_read_strings(g, "chroms/name", n, HW_NAME_CAP, names) != 0 ||
        hw_h5_read_slice(g, "chroms/length", H5T_NATIVE_INT64, 0, n, len) != 0) {
        free(names);
        free(len);
        goto fail;
    }
    in->nchroms = (int)n;
    in->chroms = xcalloc((size_t)n, sizeof *in->chroms);
    for (int64_t k = 0; k < n; k++) {
        memcpy(in->chroms[k].name, names + k * HW_NAME_CAP, HW_NAME_CAP);
        in->chroms[k].length = len[k];
        if (len[k] <= 0) {
            hw_fail("chromosome %s has length %lld", in->chroms[k].name, (long long)len[k]);
            free(names);
            free(len);
            goto fail;
        }
    }
    free(names);
    free(len);
    rc = 0;
fail:
    if (rc != 0) hw_fail_prefix("%s", r->uri);
    if (g >= 0) H5Gclose(g);
    return rc;
}

static int fill_info(cool_file *c) {
    hw_info *in = c->info;
    const cool_res *first = &c->res[0];
    if (read_chroms(c, first) != 0) return -1;

    hid_t g = H5Gopen2(c->fid, first->group, H5P_DEFAULT);
    int64_t ver = 3; /* absent: assume the current schema */
    int got = hw_h5_attr_int(g, "format-version", &ver);
    snprintf(in->genome, sizeof in->genome, "unknown");
    if (got >= 0 && hw_h5_attr_str(g, "genome-assembly", in->genome, sizeof in->genome) == 0)
        hw_h5_attr_str(g, "assembly", in->genome, sizeof in->genome);
    H5Gclose(g);
    if (got < 0) return hw_fail_prefix("%s", first->uri);
    if (ver < 1 || ver > 3) return hw_fail("%s: unsupported cooler format-version %lld", first->uri, (long long)ver);
    in->version = (int)ver;
    if (!in->genome[0]) snprintf(in->genome, sizeof in->genome, "unknown");

    in->nresolutions = c->nres;
    in->resolutions = xcalloc((size_t)c->nres, sizeof *in->resolutions);
    int cap = 1;
    for (int k = 0; k < c->nres; k++) {
        in->resolutions[k] = c->res[k].res;
        cap += c->res[k].nnorms;
    }
    /* union of the norms over resolutions, NONE first, first-seen order */
    in->norms = xcalloc((size_t)cap, sizeof *in->norms);
    snprintf(in->norms[in->nnorms++], sizeof in->norms[0], "NONE");
    for (int k = 0; k < c->nres; k++)
        for (int m = 0; m < c->res[k].nnorms; m++) {
            const char *name = c->res[k].norms[m].name;
            int seen = 0;
            for (int t = 0; t < in->nnorms; t++) seen |= strcmp(in->norms[t], name) == 0;
            if (!seen) snprintf(in->norms[in->nnorms++], sizeof in->norms[0], "%s", name);
        }
    return 0;
}

/* ---- public -------------------------------------------------------------- */

static cool_file *open_fid(hid_t fid, const char *path, hw_info *info) {
    cool_file *c = xcalloc(1, sizeof *c);
    c->path = xstrdup(path);
    c->fid = fid;
    c->info = info;
    if (find_coolers(c) != 0 || fill_info(c) != 0) {
        cool_close(c);
        return NULL;
    }
    return c;
}

cool_file *cool_open(const char *path, hw_info *info) {
    hw_h5_quiet();
    memset(info, 0, sizeof *info);
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fid < 0) {
        hw_fail("%s: cannot open as HDF5 (corrupt or truncated file)", path);
        return NULL;
    }
    return open_fid(fid, path, info);
}

cool_file *cool_open_image(const void *buf, size_t n, const char *name, hw_info *info) {
    hw_h5_quiet();
    memset(info, 0, sizeof *info);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, 65536, 0);
    hid_t fid = -1;
    if (n > 0 && H5Pset_file_image(fapl, (void *)buf, n) >= 0) fid = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (fid < 0) {
        hw_fail("%s: cannot open as HDF5 (corrupt or truncated file)", name);
        return NULL;
    }
    return open_fid(fid, name, info);
}

void cool_close(cool_file *c) {
    if (!c) return;
    for (int k = 0; k < c->nres; k++) cool_res_free(&c->res[k]);
    free(c->res);
    hw_info *in = c->info;
    free(in->chroms);
    free(in->resolutions);
    free(in->norms);
    memset(in, 0, sizeof *in);
    if (c->fid >= 0) H5Fclose(c->fid);
    free(c->bin1_buf);
    free(c->bin2_buf);
    free(c->count_buf);
    free(c->path);
    free(c);
}

int64_t cool_nbins(const cool_file *c, int chrom, int32_t resolution) {
    if (chrom < 0 || chrom >= c->info->nchroms) return hw_fail("%s: chromosome index out of range", c->path);
    cool_res *r = cool_find_res((cool_file *)c, resolution);
    if (!r) return -1;
    int64_t len = c->info->chroms[chrom].length;
    return (len + resolution - 1) / resolution;
}

int cool_has_norm(const cool_file *c, const char *norm, int32_t resolution) {
    for (int k = 0; k < c->nres; k++)
        if (c->res[k].res == resolution) return cool_norm_index(&c->res[k], norm) >= -1;
    return 0;
}
