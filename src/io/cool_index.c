/* Per-resolution tables of a cooler, loaded on first use and checked against
 * corruption before any pixel is trusted: chrom_offset and bin1_offset must
 * be non-decreasing and end at the bin and pixel counts, and each
 * chromosome's bins must be consecutive multiples of the bin size (we map bin
 * ids to chromosome-relative bins by arithmetic, not by searching). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cool_internal.h"
#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/xalloc.h"

cool_res *cool_find_res(cool_file *c, int32_t resolution) {
    for (int k = 0; k < c->nres; k++)
        if (c->res[k].res == resolution) return &c->res[k];
    char list[1024] = "";
    for (int k = 0; k < c->nres; k++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%d", k ? ", " : "", c->res[k].res);
    }
    hw_fail("%s: resolution %d bp not in file (has %s)", c->path, resolution, list);
    return NULL;
}

int cool_norm_index(const cool_res *r, const char *norm) {
    if (strcmp(norm, "NONE") == 0) return -1;
    for (int k = 0; k < r->nnorms; k++)
        if (strcmp(r->norms[k].name, norm) == 0) return k;
    return -2;
}

int cool_norm_load(cool_file *c, cool_res *r, int k) {
    (void)c;
    cool_norm *n = &r->norms[k];
    if (n->w) return 0;
    char path[64];
    snprintf(path, sizeof path, "bins/%s", n->name);
    double *w = xmalloc((size_t)(r->nbins > 0 ? r->nbins : 1) * sizeof *w);
    if (hw_h5_read_slice(r->grp, path, H5T_NATIVE_DOUBLE, 0, r->nbins, w) != 0) {
        free(w);
        return hw_fail_prefix("%s", r->uri);
    }
    n->w = w;
    return 0;
}

/* Chromosome names at every resolution must be those of hw_info (taken from
 * the first): queries index chromosomes by position. */
static int check_chroms(cool_file *c, cool_res *r) {
    const hw_info *in = c->info;
    int64_t n = hw_h5_len(r->grp, "chroms/name");
    if (n < 0) return -1;
    if (n != in->nchroms)
        return hw_fail("%lld chromosomes, but %d at resolution %d", (long long)n, in->nchroms,
                       c->res[0].res);
    char *names = xcalloc((size_t)n, HW_NAME_CAP);
    int rc = hw_h5_read_strings(r->grp, "chroms/name", n, HW_NAME_CAP, names);
    for (int64_t k = 0; rc == 0 && k < n; k++)
        if (strcmp(names + k * HW_NAME_CAP, in->chroms[k].name) != 0)
            rc = hw_fail("chromosome %lld is '%s', but '%s' at resolution %d", (long long)k,
                         names + k * HW_NAME_CAP, in->chroms[k].name, c->res[0].res);
    free(names);
    return rc;
}

static int check_offsets(const int64_t *off, int64_t n, int64_t last, const char *what,
                         const char *unit) {
    if (off[0] != 0) return hw_fail("corrupt index: %s starts at %lld, not 0", what, (long long)off[0]);
    for (int64_t k = 0; k < n; k++)
        if (off[k + 1] < off[k])
            return hw_fail("corrupt index: %s decreases at %s %lld", what, unit, (long long)(k + 1));
    if (off[n] != last)
        return hw_fail("corrupt index: %s ends at %lld, expected %lld", what, (long long)off[n],
                       (long long)last);
    return 0;
}

/* rel0[chrom] from bins/start, checking that the bins are consecutive and
 * lie inside ceil(length / res) bins. */
static int map_bins(cool_file *c, cool_res *r) {
    const hw_info *in = c->info;
    int64_t *start = xmalloc((size_t)(r->nbins > 0 ? r->nbins : 1) * sizeof *start);
    int rc = hw_h5_read_slice(r->grp, "bins/start", H5T_NATIVE_INT64, 0, r->nbins, start);
    for (int ch = 0; rc == 0 && ch < in->nchroms; ch++) {
        int64_t b0 = r->chrom_offset[ch], b1 = r->chrom_offset[ch + 1];
        int64_t nb_len = (in->chroms[ch].length + r->res - 1) / r->res;
        r->rel0[ch] = b0 < b1 ? start[b0] / r->res : 0;
        if (b0 < b1 && start[b0] < 0)
            rc = hw_fail("bins of %s start at %lld", in->chroms[ch].name, (long long)start[b0]);
        for (int64_t b = b0 + 1; rc == 0 && b < b1; b++)
            if (start[b] != start[b0] + (b - b0) * r->res)
                rc = hw_fail("bins of %s are not consecutive multiples of %d bp at bin %lld (start "
                             "%lld); variable-size bins are not supported",
                             in->chroms[ch].name, r->res, (long long)b, (long long)start[b]);
        if (rc == 0 && r->rel0[ch] + (b1 - b0) > nb_len)
            rc = hw_fail("%s has %lld bins in the bins table but is only %lld bp long",
                         in->chroms[ch].name, (long long)(b1 - b0), (long long)in->chroms[ch].length);
    }
    free(start);
    return rc;
}

static hid_t open_dset(hid_t g, const char *name) {
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) hw_fail("missing dataset '%s'", name);
    return d;
}

int cool_res_load(cool_file *c, cool_res *r) {
    if (r->loaded) return 0;
    const hw_info *in = c->info;
    int64_t nb = 0, nnz = 0, n_cnt = 0, n_off = 0, n_choff = 0;
    r->grp = H5Gopen2(c->fid, r->group, H5P_DEFAULT);
    if (r->grp < 0) {
        hw_fail("cannot open group '%s'", r->group);
        goto fail;
    }
    if (check_chroms(c, r) != 0) goto fail;
    int64_t n_b1 = 0;
    if ((nb = hw_h5_len(r->grp, "bins/start")) < 0 || (nnz = hw_h5_len(r->grp, "pixels/bin2_id")) < 0 ||
        (n_b1 = hw_h5_len(r->grp, "pixels/bin1_id")) < 0 || (n_cnt = hw_h5_len(r->grp, "pixels/count")) < 0 ||
        (n_off = hw_h5_len(r->grp, "indexes/bin1_offset")) < 0 ||
        (n_choff = hw_h5_len(r->grp, "indexes/chrom_offset")) < 0)
        goto fail;
    r->nbins = nb;
    r->nnz = nnz;
    if (n_b1 != nnz) {
        hw_fail("pixels/bin1_id has %lld rows, pixels/bin2_id %lld", (long long)n_b1, (long long)nnz);
        goto fail;
    }
    if (n_cnt != nnz) {
        hw_fail("pixels/count has %lld rows, pixels/bin2_id %lld", (long long)n_cnt, (long long)nnz);
        goto fail;
    }
    if (n_choff != in->nchroms + 1) {
        hw_fail("corrupt index: chrom_offset has %lld entries for %d chromosomes", (long long)n_choff,
                in->nchroms);
        goto fail;
    }
    if (n_off != nb + 1) {
        hw_fail("corrupt index: bin1_offset has %lld entries for %lld bins", (long long)n_off, (long long)nb);
        goto fail;
    }
    r->chrom_offset = xmalloc((size_t)n_choff * sizeof *r->chrom_offset);
    r->bin1_offset = xmalloc((size_t)n_off * sizeof *r->bin1_offset);
    r->rel0 = xcalloc((size_t)in->nchroms, sizeof *r->rel0);
    if (hw_h5_read_slice(r->grp, "indexes/chrom_offset", H5T_NATIVE_INT64, 0, n_choff, r->chrom_offset) != 0 ||
        check_offsets(r->chrom_offset, in->nchroms, nb, "chrom_offset", "chromosome") != 0 ||
        hw_h5_read_slice(r->grp, "indexes/bin1_offset", H5T_NATIVE_INT64, 0, n_off, r->bin1_offset) != 0 ||
        check_offsets(r->bin1_offset, nb, nnz, "bin1_offset", "bin") != 0 || map_bins(c, r) != 0)
        goto fail;
    if ((r->d_bin1 = open_dset(r->grp, "pixels/bin1_id")) < 0) goto fail;
    if ((r->d_bin2 = open_dset(r->grp, "pixels/bin2_id")) < 0) goto fail;
    if ((r->d_count = open_dset(r->grp, "pixels/count")) < 0) goto fail;
    r->loaded = 1;
    return 0;
fail:
    hw_fail_prefix("%s", r->uri);
    /* leave r unloaded and clean, so that a later query fails the same way */
    cool_norm *norms = r->norms;
    int nnorms = r->nnorms;
    r->norms = NULL;
    r->nnorms = 0; /* (not only the pointer: freeing walks nnorms entries of it) */
    cool_res_free(r);
    r->norms = norms;
    r->nnorms = nnorms;
    return -1;
}

void cool_res_free(cool_res *r) {
    cool_expected_free(r);
    for (int k = 0; k < r->nnorms; k++) free(r->norms[k].w);
    free(r->norms);
    r->norms = NULL;
    r->nnorms = 0;
    if (r->d_bin1 >= 0) H5Dclose(r->d_bin1);
    if (r->d_bin2 >= 0) H5Dclose(r->d_bin2);
    if (r->d_count >= 0) H5Dclose(r->d_count);
    if (r->grp >= 0) H5Gclose(r->grp);
    r->grp = r->d_bin1 = r->d_bin2 = r->d_count = -1;
    free(r->chrom_offset);
    free(r->bin1_offset);
    free(r->rel0);
    r->chrom_offset = r->bin1_offset = r->rel0 = NULL;
    r->loaded = 0;
}
