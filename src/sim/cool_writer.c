/* .mcool writer for the simulator (see sim_cool.h). */
#include "hitwin/sim_cool.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/dist.h"
#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/sim_balance.h"
#include "hitwin/xalloc.h"

#define CHUNK 65536            /* elements per HDF5 chunk */
#define ROUND ((int64_t)1 << 20) /* pixels per collective write */

typedef struct {
    const sim_cool_spec *s;
    const char *path;
    hid_t dxpl; /* collective transfer */
    int rank, size;
} writer;

/* A failed collective step cannot be agreed on (the other ranks wait inside
 * HDF5), so with several ranks the job stops here, without the half-written
 * file; a single rank returns the error to its caller. */
static int fail_write(const writer *w, const char *what) {
    hw_fail("%s: cannot write %s", w->path, what);
    if (w->size > 1) {
        unlink(w->path);
        hw_dist d = {w->rank, w->size, w->s->comm};
        hw_dist_abort(&d, hw_error());
    }
    return -1;
}

static hid_t new_group(hid_t loc, const char *name) {
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    return g;
}

/* Create a 1-D dataset of n elements (chunked and compressed when large, as
 * cooler writes them) and write [off, off+cnt) of it from buf. Collective:
 * every rank calls with the same n; a rank with nothing to write passes cnt = 0. */
static hid_t create_1d(hid_t loc, const char *name, hid_t ftype, int64_t n) {
    hsize_t dims[1] = {(hsize_t)n};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    if (n >= 4096) {
        hsize_t chunk[1] = {n < CHUNK ? (hsize_t)n : CHUNK};
        H5Pset_chunk(dcpl, 1, chunk);
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 6);
    }
    hid_t d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return d;
}

static int write_part(const writer *w, hid_t d, hid_t mtype, int64_t off, int64_t cnt,
                      const void *buf) {
    hid_t fs = H5Dget_space(d);
    hsize_t c[1] = {(hsize_t)(cnt > 0 ? cnt : 1)};
    hid_t ms = H5Screate_simple(1, c, NULL);
    if (cnt > 0) {
        hsize_t o[1] = {(hsize_t)off};
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, o, NULL, c, NULL);
    } else {
        H5Sselect_none(fs);
        H5Sselect_none(ms);
    }
    herr_t rc = H5Dwrite(d, mtype, ms, fs, w->dxpl, buf);
    H5Sclose(ms);
    H5Sclose(fs);
    return rc < 0 ? -1 : 0;
}

/* A dataset every rank knows whole: rank 0 writes it. */
static int write_small(const writer *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                       int64_t n, const void *buf) {
    hid_t d = create_1d(loc, name, ftype, n);
    if (d < 0) return fail_write(w, name);
    int rc = write_part(w, d, mtype, 0, w->rank == 0 ? n : 0, buf);
    H5Dclose(d);
    return rc < 0 ? fail_write(w, name) : 0;
}

static int write_attrs_str(hid_t obj, const char *const *kv) {
    for (; kv[0]; kv += 2)
        if (hw_h5_write_attr_str(obj, kv[0], kv[1]) < 0) return -1;
    return 0;
}

/* chroms/ and bins/ tables (chrom as an HDF5 enum keyed by name, like cooler). */
static int write_tables(const writer *w, hid_t grp, int32_t res, const int64_t *chrom_offset,
                        const double *weight, const sim_balance_stats *st) {
    const sim_cool_spec *s = w->s;
    const int nc = s->nchroms;
    const int64_t nbins = chrom_offset[nc];
    hid_t g = new_group(grp, "chroms");
    size_t maxlen = 1;
    for (int k = 0; k < nc; k++)
        if (strlen(s->chroms[k].name) > maxlen) maxlen = strlen(s->chroms[k].name);
    char *names = xcalloc((size_t)nc, maxlen);
    int32_t *lens = xmalloc((size_t)nc * sizeof *lens);
    for (int k = 0; k < nc; k++) {
        memcpy(names + (size_t)k * maxlen, s->chroms[k].name, strlen(s->chroms[k].name));
        lens[k] = (int32_t)s->chroms[k].length;
    }
    hid_t st_type = H5Tcopy(H5T_C_S1);
    H5Tset_size(st_type, maxlen);
    H5Tset_strpad(st_type, H5T_STR_NULLPAD);
    int rc = write_small(w, g, "name", st_type, st_type, nc, names);
    if (rc == 0) rc = write_small(w, g, "length", H5T_STD_I32LE, H5T_NATIVE_INT32, nc, lens);
    H5Tclose(st_type);
    H5Gclose(g);
    free(names);
    free(lens);
    if (rc < 0) return -1;

    g = new_group(grp, "bins");
    hid_t fenum = H5Tenum_create(H5T_STD_I32LE), menum = H5Tenum_create(H5T_NATIVE_INT32);
    for (int32_t k = 0; k < nc; k++) {
        H5Tenum_insert(fenum, s->chroms[k].name, &k);
        H5Tenum_insert(menum, s->chroms[k].name, &k);
    }
    int32_t *chrom = xmalloc((size_t)nbins * sizeof *chrom);
    int32_t *start = xmalloc((size_t)nbins * sizeof *start);
    int32_t *end = xmalloc((size_t)nbins * sizeof *end);
    for (int k = 0; k < nc; k++)
        for (int64_t i = chrom_offset[k]; i < chrom_offset[k + 1]; i++) {
            int64_t b = i - chrom_offset[k], e = (b + 1) * res;
            chrom[i] = k;
            start[i] = (int32_t)(b * res);
            end[i] = (int32_t)(e < s->chroms[k].length ? e : s->chroms[k].length);
        }
    rc = write_small(w, g, "chrom", fenum, menum, nbins, chrom);
    if (rc == 0) rc = write_small(w, g, "start", H5T_STD_I32LE, H5T_NATIVE_INT32, nbins, start);
    if (rc == 0) rc = write_small(w, g, "end", H5T_STD_I32LE, H5T_NATIVE_INT32, nbins, end);
    if (rc == 0) rc = write_small(w, g, "weight", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nbins, weight);
    if (rc == 0) {
        /* the statistics `cooler balance` stores with its weights */
        hid_t d = H5Dopen2(g, "weight", H5P_DEFAULT);
        const sim_balance_opts *o = s->balance;
        rc = hw_h5_write_attr_int(d, "ignore_diags", o->ignore_diags) |
             hw_h5_write_attr_double(d, "mad_max", o->mad_max) |
             hw_h5_write_attr_int(d, "min_nnz", o->min_nnz) |
             hw_h5_write_attr_int(d, "min_count", 0) |
             hw_h5_write_attr_double(d, "tol", o->tol) |
             hw_h5_write_attr_double(d, "scale", st->scale) |
             hw_h5_write_attr_double(d, "var", st->var) |
             hw_h5_write_attr_int(d, "converged", st->converged) |
             hw_h5_write_attr_int(d, "cis_only", 0) |
             hw_h5_write_attr_int(d, "divisive_weights", 0);
        H5Dclose(d);
        if (rc) rc = fail_write(w, "bins/weight attributes");
    }
    H5Tclose(fenum);
    H5Tclose(menum);
    H5Gclose(g);
    free(chrom);
    free(start);
    free(end);
    return rc;
}

/* pixels/: this rank's chromosomes fill rows [pix0, pix0 + mine) of the table,
 * written in rounds so that the int64 copies stay small. */
static int write_pixels(const writer *w, hid_t grp, const sim_band *bands, const int64_t *chrom_offset,
                        int64_t nnz, int64_t pix0, int64_t mine) {
    const sim_cool_spec *s = w->s;
    hid_t g = new_group(grp, "pixels");
    hid_t d1 = create_1d(g, "bin1_id", H5T_STD_I64LE, nnz);
    hid_t d2 = create_1d(g, "bin2_id", H5T_STD_I64LE, nnz);
    hid_t dc = create_1d(g, "count", H5T_STD_I32LE, nnz);
    if (d1 < 0 || d2 < 0 || dc < 0) return fail_write(w, "pixels");
    int64_t rounds = (mine + ROUND - 1) / ROUND, max_rounds = 0;
    MPI_Allreduce(&rounds, &max_rounds, 1, MPI_INT64_T, MPI_MAX, s->comm);
    int64_t *b1 = xmalloc((size_t)ROUND * sizeof *b1), *b2 = xmalloc((size_t)ROUND * sizeof *b2);
    int32_t *cnt = xmalloc((size_t)ROUND * sizeof *cnt);
    int k = s->c0;
    int64_t row = 0, p = 0, done = 0;
    int rc = 0;
    for (int64_t r = 0; r < max_rounds && rc == 0; r++) {
        int64_t n = 0;
        while (n < ROUND && k < s->c1) {
            const sim_band *b = &bands[k - s->c0];
            if (row >= b->nbins) {
                k++;
                row = p = 0;
                continue;
            }
            if (p >= b->rowptr[row + 1]) {
                row++;
                continue;
            }
            int64_t gi = chrom_offset[k] + row;
            b1[n] = gi;
            b2[n] = gi + b->off[p];
            cnt[n] = b->count[p];
            n++;
            p++;
        }
        rc = write_part(w, d1, H5T_NATIVE_INT64, pix0 + done, n, b1) |
             write_part(w, d2, H5T_NATIVE_INT64, pix0 + done, n, b2) |
             write_part(w, dc, H5T_NATIVE_INT32, pix0 + done, n, cnt);
        done += n;
    }
    free(b1);
    free(b2);
    free(cnt);
    H5Dclose(d1);
    H5Dclose(d2);
    H5Dclose(dc);
    H5Gclose(g);
    return rc ? fail_write(w, "pixels") : 0;
}

/* One complete cooler at /resolutions/<res>. */
static int write_cooler(const writer *w, hid_t file, int32_t res, const sim_band *bands) {
    const sim_cool_spec *s = w->s;
    const int nc = s->nchroms;
    int64_t *chrom_offset = xmalloc((size_t)(nc + 1) * sizeof *chrom_offset);
    chrom_offset[0] = 0;
    for (int k = 0; k < nc; k++)
        chrom_offset[k + 1] = chrom_offset[k] + (s->chroms[k].length + res - 1) / res;
    const int64_t nbins = chrom_offset[nc];

    double *weight = xmalloc((size_t)nbins * sizeof *weight);
    sim_balance_stats st;
    sim_balance(bands, s->c0, s->c1, chrom_offset, nc, s->balance, s->comm, weight, &st);

    /* Row lengths of every bin, summed over ranks (each bin has one owner),
     * give bin1_offset; this rank's first pixel is where its first bin starts. */
    int64_t *rows = xcalloc((size_t)nbins + 1, sizeof *rows);
    int64_t *bin1_offset = xmalloc(((size_t)nbins + 1) * sizeof *bin1_offset);
    int64_t sums[2] = {0, 0}, tot[2];
    for (int k = s->c0; k < s->c1; k++) {
        const sim_band *b = &bands[k - s->c0];
        for (int64_t i = 0; i < b->nbins; i++) {
            rows[chrom_offset[k] + i] = b->rowptr[i + 1] - b->rowptr[i];
            for (int64_t p = b->rowptr[i]; p < b->rowptr[i + 1]; p++) sums[1] += b->count[p];
        }
        sums[0] += sim_band_nnz(b);
    }
    MPI_Allreduce(MPI_IN_PLACE, rows, (int)nbins, MPI_INT64_T, MPI_SUM, s->comm);
    MPI_Allreduce(sums, tot, 2, MPI_INT64_T, MPI_SUM, s->comm);
    bin1_offset[0] = 0;
    for (int64_t i = 0; i < nbins; i++) bin1_offset[i + 1] = bin1_offset[i] + rows[i];
    const int64_t nnz = tot[0], pix0 = bin1_offset[chrom_offset[s->c0]];

    char name[64];
    snprintf(name, sizeof name, "/resolutions/%d", res);
    hid_t grp = new_group(file, name);
    int rc = grp < 0 ? fail_write(w, name) : 0;
    if (rc == 0) rc = write_tables(w, grp, res, chrom_offset, weight, &st);
    if (rc == 0) rc = write_pixels(w, grp, bands, chrom_offset, nnz, pix0, sums[0]);
    if (rc == 0) {
        hid_t g = new_group(grp, "indexes");
        rc = write_small(w, g, "chrom_offset", H5T_STD_I64LE, H5T_NATIVE_INT64, nc + 1, chrom_offset);
        if (rc == 0)
            rc = write_small(w, g, "bin1_offset", H5T_STD_I64LE, H5T_NATIVE_INT64, nbins + 1,
                             bin1_offset);
        H5Gclose(g);
    }
    if (rc == 0) {
        const char *attrs[] = {"format", "HDF5::Cooler",
                               "format-url", "https://github.com/open2c/cooler",
                               "bin-type", "fixed",
                               "storage-mode", "symmetric-upper",
                               "genome-assembly", s->assembly,
                               "generated-by", s->generated_by,
                               "metadata", s->metadata ? s->metadata : "{}",
                               NULL};
        if (write_attrs_str(grp, attrs) < 0 || hw_h5_write_attr_int(grp, "format-version", 3) < 0 ||
            hw_h5_write_attr_int(grp, "bin-size", res) < 0 ||
            hw_h5_write_attr_int(grp, "nbins", nbins) < 0 ||
            hw_h5_write_attr_int(grp, "nchroms", nc) < 0 ||
            hw_h5_write_attr_int(grp, "nnz", nnz) < 0 || hw_h5_write_attr_int(grp, "sum", tot[1]) < 0)
            rc = fail_write(w, "attributes");
    }
    if (grp >= 0) H5Gclose(grp);
    free(chrom_offset);
    free(weight);
    free(rows);
    free(bin1_offset);
    return rc;
}

int sim_cool_write(const char *path, const sim_cool_spec *s, const sim_band *bands) {
    writer w = {s, path, -1, 0, 1};
    MPI_Comm_rank(s->comm, &w.rank);
    MPI_Comm_size(s->comm, &w.size);
    hw_h5_quiet();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, s->comm, MPI_INFO_NULL);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(fcpl, 0);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fapl);
    H5Pclose(fcpl);
    if (file < 0) {
        hw_fail("%s: cannot create file", path);
        if (w.size > 1) {
            hw_dist d = {w.rank, w.size, s->comm};
            hw_dist_abort(&d, hw_error());
        }
        return -1;
    }
    w.dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(w.dxpl, H5FD_MPIO_COLLECTIVE);

    int rc = 0;
    if (write_attrs_str(file, (const char *[]){"format", "HDF5::MCOOL", "bin-type", "fixed", NULL}) < 0 ||
        hw_h5_write_attr_int(file, "format-version", 2) < 0)
        rc = fail_write(&w, "root attributes");
    hid_t res_grp = rc == 0 ? new_group(file, "resolutions") : -1;
    if (rc == 0 && res_grp < 0) rc = fail_write(&w, "/resolutions");
    if (res_grp >= 0) H5Gclose(res_grp);

    if (rc == 0) rc = write_cooler(&w, file, s->resolution, bands);
    const int nmine = s->c1 - s->c0;
    sim_band *coarse = xcalloc((size_t)(nmine > 0 ? nmine : 1), sizeof *coarse);
    for (int r = 0; r < s->ncoarser && rc == 0; r++) {
        int factor = s->coarser[r] / s->resolution;
        for (int k = 0; k < nmine; k++) sim_band_coarsen(&bands[k], factor, &coarse[k]);
        rc = write_cooler(&w, file, s->coarser[r], coarse);
        for (int k = 0; k < nmine; k++) sim_band_free(&coarse[k]);
    }
    free(coarse);
    H5Pclose(w.dxpl);
    if (H5Fclose(file) < 0) {
        hw_dist_exit_failed_at_finalize(); /* HDF5 keeps a dangling id (dist.h) */
        if (rc == 0) rc = fail_write(&w, "the file (close failed)");
    }
    return rc;
}
