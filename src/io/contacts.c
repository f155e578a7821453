/* Dispatch from the format-independent API to the .hic and cooler readers,
 * plus the dense and band views built on the one fetch primitive. */
#include "hitwin/contacts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/cool.h"
#include "hitwin/error.h"
#include "hitwin/hic.h"
#include "hitwin/xalloc.h"

struct hw_contacts {
    char *path;
    hw_info info;
    hic_file *hic;   /* exactly one of hic / cool is set */
    cool_file *cool;
};

/* HDF5's signature; a cooler may also sit behind a 512-byte user block. */
static const unsigned char hdf5_magic[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

static int sniff_format(const char *path, hw_format *fmt) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        return hw_fail("%s: cannot open: %s", path, strerror(errno));
    }
    unsigned char head[8] = {0};
    size_t n = fread(head, 1, sizeof head, fp);
    int is_hdf5 = 0;
    if (n == sizeof head && memcmp(head, hdf5_magic, 8) == 0) is_hdf5 = 1;
    for (long off = 512; !is_hdf5 && off <= 4096; off *= 2) {
        unsigned char h2[8];
        if (fseek(fp, off, SEEK_SET) == 0 && fread(h2, 1, 8, fp) == 8 && memcmp(h2, hdf5_magic, 8) == 0)
            is_hdf5 = 1;
    }
    fclose(fp);
    if (n >= 4 && memcmp(head, "HIC", 4) == 0) {
        *fmt = HW_FORMAT_HIC;
        return 0;
    }
    if (is_hdf5) {
        *fmt = HW_FORMAT_COOL; /* the cooler reader tells .cool from .mcool */
        return 0;
    }
    if (n == 0) return hw_fail("%s: empty file, not a Hi-C file", path);
    return hw_fail("%s: not a Hi-C file (neither .hic nor HDF5 .cool/.mcool)", path);
}

hw_contacts *hw_contacts_open(const char *path) {
    hw_format fmt;
    if (sniff_format(path, &fmt) != 0) return NULL;
    hw_contacts *f = xcalloc(1, sizeof *f);
    f->path = xstrdup(path);
    if (fmt == HW_FORMAT_HIC) {
        f->hic = hic_open(path, &f->info);
        if (!f->hic) goto fail;
    } else {
        f->cool = cool_open(path, &f->info);
        if (!f->cool) goto fail;
    }
    return f;
fail:
    free(f->path);
    free(f);
    return NULL;
}

void hw_contacts_close(hw_contacts *f) {
    if (!f) return;
    if (f->hic) hic_close(f->hic);
    if (f->cool) cool_close(f->cool);
    free(f->path);
    free(f);
}

const hw_info *hw_contacts_info(const hw_contacts *f) { return &f->info; }
const char *hw_contacts_path(const hw_contacts *f) { return f->path; }

int64_t hw_contacts_nbins(const hw_contacts *f, int chrom, int32_t resolution) {
    return f->hic ? hic_nbins(f->hic, chrom, resolution) : cool_nbins(f->cool, chrom, resolution);
}

int hw_contacts_has_norm(const hw_contacts *f, const char *norm, int32_t resolution) {
    return f->hic ? hic_has_norm(f->hic, norm, resolution) : cool_has_norm(f->cool, norm, resolution);
}

static int check_query(const hw_contacts *f, const hw_query *q) {
    const hw_info *in = &f->info;
    int res_ok = 0;
    for (int r = 0; r < in->nresolutions; r++) res_ok |= in->resolutions[r] == q->resolution;
    if (!res_ok) {
        char list[1024] = "";
        for (int r = 0; r < in->nresolutions; r++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%d", r ? ", " : "", in->resolutions[r]);
        }
        return hw_fail("%s: resolution %d bp not in file (has %s)", f->path, q->resolution, list);
    }
    if (q->chrom1 < 0 || q->chrom1 >= in->nchroms || q->chrom2 < 0 || q->chrom2 >= in->nchroms)
        return hw_fail("%s: chromosome index out of range", f->path);
    if (!hw_contacts_has_norm(f, q->norm, q->resolution)) {
        char list[1024] = "";
        for (int k = 0; k < in->nnorms; k++) {
            if (!hw_contacts_has_norm(f, in->norms[k], q->resolution)) continue;
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", in->norms[k]);
        }
        return hw_fail("%s: normalisation %s not available at %d bp (has %s)", f->path, q->norm,
                       q->resolution, list);
    }
    if (q->lo1 < 0 || q->hi1 < q->lo1 || q->lo2 < 0 || q->hi2 < q->lo2)
        return hw_fail("%s: empty or negative query range", f->path);
    return 0;
}

int hw_contacts_fetch(hw_contacts *f, const hw_query *q, hw_contact_fn fn, void *ctx) {
    if (check_query(f, q) != 0) return -1;
    return f->hic ? hic_fetch(f->hic, q, fn, ctx) : cool_fetch(f->cool, q, fn, ctx);
}

/* ---- dense rectangle ---------------------------------------------------- */

typedef struct {
    const hw_query *q;
    float *out;
    int64_t cols;
} dense_ctx;

static void dense_put(dense_ctx *d, int64_t r, int64_t c, float v) {
    const hw_query *q = d->q;
    if (r >= q->lo1 && r < q->hi1 && c >= q->lo2 && c < q->hi2)
        d->out[(r - q->lo1) * d->cols + (c - q->lo2)] = v;
}

static int dense_cb(void *ctx, int64_t i, int64_t j, float v) {
    dense_ctx *d = ctx;
    if (!isfinite(v)) return 0; /* straw drops non-finite records: the cell stays 0 */
    dense_put(d, i, j, v);
    if (d->q->chrom1 == d->q->chrom2 && i != j) dense_put(d, j, i, v);
    return 0;
}

int hw_contacts_fetch_dense(hw_contacts *f, const hw_query *q, float *out) {
    int64_t rows = q->hi1 - q->lo1, cols = q->hi2 - q->lo2;
    memset(out, 0, (size_t)(rows * cols) * sizeof *out);
    dense_ctx d = {q, out, cols};
    return hw_contacts_fetch(f, q, dense_cb, &d);
}

/* ---- diagonal band ------------------------------------------------------ */

typedef struct {
    float *band;
    int64_t width, nbins;
} band_ctx;

static int band_cb(void *ctx, int64_t i, int64_t j, float v) {
    band_ctx *b = ctx;
    int64_t d = j - i;
    if (d < 0 || d >= b->width || i < 0 || j >= b->nbins || !isfinite(v)) return 0;
    b->band[i * b->width + d] = v;
    return 0;
}

int hw_contacts_fetch_band(hw_contacts *f, int32_t resolution, const char *norm,
                           hw_value_type type, int chrom, int64_t width, float *band) {
    int64_t nbins = hw_contacts_nbins(f, chrom, resolution);
    if (nbins < 0) return -1;
    memset(band, 0, (size_t)(nbins * width) * sizeof *band);
    hw_query q = {.resolution = resolution, .norm = norm, .type = type, .chrom1 = chrom,
                  .chrom2 = chrom, .lo1 = 0, .hi1 = nbins, .lo2 = 0, .hi2 = nbins,
                  .max_offset = width};
    band_ctx b = {band, width, nbins};
    return hw_contacts_fetch(f, &q, band_cb, &b);
}
