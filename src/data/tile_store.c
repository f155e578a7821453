/* Tile store writer (parallel HDF5, collective compressed writes) and reader. */
#include "hitwin/tile_store.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/dist.h"
#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/xalloc.h"

void hw_tile_meta_free(hw_tile_meta *m) {
    free(m->config_yaml);
    free(m->version);
    free(m->name);
    free(m->norm);
    free(m->type);
    for (int i = 0; i < m->n_samples; i++) {
        if (m->sample_name) free(m->sample_name[i]);
        if (m->sample_path) free(m->sample_path[i]);
        if (m->condition) free(m->condition[i]);
        if (m->replicate) free(m->replicate[i]);
    }
    free(m->sample_name);
    free(m->sample_path);
    free(m->condition);
    free(m->replicate);
    free(m->class_id);
    for (int i = 0; i < m->n_chroms; i++)
        if (m->chrom_name) free(m->chrom_name[i]);
    free(m->chrom_name);
    free(m->chrom_length);
    free(m->chrom_split);
    free(m->win_chrom);
    free(m->win_start);
    free(m->win_split);
    free(m->kept);
    free(m->rows_covered);
    memset(m, 0, sizeof *m);
}

/* ---- writer ---------------------------------------------------------------------- */

struct hw_tile_writer {
    hid_t file, tiles, dxpl;
    int32_t tile;
    int failed;
};

hw_tile_writer *hw_tile_writer_create(MPI_Comm comm, const char *path, int64_t n_windows,
                                      int n_samples, int32_t tile, int deflate_level) {
    hw_h5_quiet();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
    H5Pset_all_coll_metadata_ops(fapl, 1);
    H5Pset_coll_metadata_write(fapl, 1);
    /* no timestamps in object headers: two runs on the same input write the same bytes */
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(fcpl, 0);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fcpl);
    H5Pclose(fapl);
    if (file < 0) {
        hw_fail("directory missing or not writable, disk full or a file size limit?");
        return NULL;
    }
    /* HDF5 wants a non-empty extent; a dataset with no windows keeps one dummy row
     * that the metadata (n_windows = 0) makes unreachable. */
    hsize_t dims[4] = {(hsize_t)(n_windows > 0 ? n_windows : 1), (hsize_t)n_samples, (hsize_t)tile,
                       (hsize_t)tile};
    hsize_t chunk[4] = {1, 1, (hsize_t)tile, (hsize_t)tile};
    hid_t space = H5Screate_simple(4, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    H5Pset_chunk(dcpl, 4, chunk);
    /* Level 1 by default: tiles of real data are noisy floats that compress only
     * a little better at higher levels, at several times the cost, and
     * compression is most of the time `hitwin tile` takes (bench/tile.sh). */
    if (deflate_level > 0) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, (unsigned)deflate_level);
    }
    float zero = 0.0f;
    H5Pset_fill_value(dcpl, H5T_NATIVE_FLOAT, &zero);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC);
    hid_t tiles = H5Dcreate2(file, "tiles", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (tiles < 0) {
        /* a file size limit or a full disk: the fill values could not be written */
        if (H5Fclose(file) < 0) hw_dist_exit_failed_at_finalize();
        hw_fail("dataset /tiles: disk full or a file size limit?");
        return NULL;
    }
    hw_tile_writer *w = xcalloc(1, sizeof *w);
    w->file = file;
    w->tiles = tiles;
    w->tile = tile;
    /* compressed datasets can only be written collectively in parallel HDF5 */
    w->dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(w->dxpl, H5FD_MPIO_COLLECTIVE);
    return w;
}

int hw_tile_writer_write(hw_tile_writer *w, int n, int64_t first_window, int sample,
                         const float *tiles) {
    /* One regular hyperslab per call: HDF5 maps it to chunks without the
     * per-element selection walk that a union of tiles costs. */
    hid_t fs = H5Dget_space(w->tiles);
    hsize_t start[4] = {(hsize_t)first_window, (hsize_t)sample, 0, 0};
    hsize_t count[4] = {(hsize_t)n, 1, (hsize_t)w->tile, (hsize_t)w->tile};
    hsize_t mcount[4] = {(hsize_t)(n > 0 ? n : 1), 1, (hsize_t)w->tile, (hsize_t)w->tile};
    hid_t ms = H5Screate_simple(4, mcount, NULL);
    if (n > 0) {
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    } else {
        H5Sselect_none(fs);
        H5Sselect_none(ms);
    }
    herr_t e = H5Dwrite(w->tiles, H5T_NATIVE_FLOAT, ms, fs, w->dxpl, tiles);
    H5Sclose(ms);
    H5Sclose(fs);
    if (e < 0) {
        w->failed = 1;
        return hw_fail("cannot write tiles (disk full or file system error?)");
    }
    return 0;
}

void hw_tile_writer_abandon(hw_tile_writer *w) {
    /* Closing a file whose writes failed fails too (its metadata cannot be flushed) and
     * leaves HDF5 a dangling id that crashes its termination: leave the ids alone and
     * end the process without that termination. */
    hw_dist_exit_failed_at_finalize();
    free(w);
}

int hw_tile_writer_close(hw_tile_writer *w) {
    int failed = w->failed;
    H5Pclose(w->dxpl);
    if (H5Dclose(w->tiles) < 0) failed = 1;
    if (H5Fclose(w->file) < 0) {
        failed = 1;
        hw_dist_exit_failed_at_finalize(); /* see hw_tile_writer_abandon */
    }
    free(w);
    if (failed) return hw_fail("writing the tile store failed");
    return 0;
}

/* ---- metadata tables ------------------------------------------------------------- */

static int write_2d(hid_t loc, const char *path, hid_t ftype, hid_t mtype, int64_t rows, int cols,
                    const void *data) {
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    if (hw_h5_make_parents(loc, path) != 0) return -1;
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    if (rows > 0) {
        hsize_t chunk[2] = {(hsize_t)(rows < 65536 ? rows : 65536), (hsize_t)cols};
        H5Pset_chunk(dcpl, 2, chunk);
        H5Pset_deflate(dcpl, 4);
    }
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(loc, path, ftype, sp, lcpl, dcpl, H5P_DEFAULT);
    int rc = 0;
    if (d < 0 || (rows > 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0))
        rc = hw_fail("cannot write dataset '%s'", path);
    if (d >= 0) H5Dclose(d);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return rc;
}

int hw_tile_store_write_meta(const char *path, const hw_tile_meta *m) {
    hw_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return hw_fail("%s: cannot reopen the tile store", path);
    int S = m->n_samples;
    int rc = 0;
    rc |= hw_h5_write_attr_str(f, "format", HW_TILE_STORE_FORMAT);
    rc |= hw_h5_write_attr_int(f, "format_version", HW_TILE_STORE_VERSION);
    rc |= hw_h5_write_attr_str(f, "hitwin_version", m->version);
    rc |= hw_h5_write_attr_str(f, "config", m->config_yaml);
    rc |= hw_h5_write_attr_str(f, "name", m->name);
    rc |= hw_h5_write_attr_int(f, "resolution", m->resolution);
    rc |= hw_h5_write_attr_int(f, "tile_size", m->tile_size);
    rc |= hw_h5_write_attr_int(f, "stride", m->stride);
    rc |= hw_h5_write_attr_str(f, "normalisation", m->norm);
    rc |= hw_h5_write_attr_str(f, "type", m->type);
    rc |= hw_h5_write_attr_double(f, "min_row_coverage", m->min_row_coverage);
    rc |= hw_h5_write_attr_int(f, "n_windows", m->n_windows);
    rc |= hw_h5_write_strings(f, "samples/name", m->sample_name, S);
    rc |= hw_h5_write_strings(f, "samples/path", m->sample_path, S);
    rc |= hw_h5_write_strings(f, "samples/condition", m->condition, S);
    rc |= hw_h5_write_strings(f, "samples/replicate", m->replicate, S);
    rc |= hw_h5_write_1d(f, "samples/class_id", H5T_STD_I32LE, H5T_NATIVE_INT32, S, m->class_id);
    rc |= hw_h5_write_strings(f, "chroms/name", m->chrom_name, m->n_chroms);
    rc |= hw_h5_write_1d(f, "chroms/length", H5T_STD_I64LE, H5T_NATIVE_INT64, m->n_chroms,
                         m->chrom_length);
    rc |= hw_h5_write_1d(f, "chroms/split", H5T_STD_I8LE, H5T_NATIVE_INT8, m->n_chroms,
                         m->chrom_split);
    rc |= hw_h5_write_1d(f, "windows/chrom", H5T_STD_I32LE, H5T_NATIVE_INT32, m->n_windows,
                         m->win_chrom);
    rc |= hw_h5_write_1d(f, "windows/start", H5T_STD_I64LE, H5T_NATIVE_INT64, m->n_windows,
                         m->win_start);
    rc |= hw_h5_write_1d(f, "windows/split", H5T_STD_I8LE, H5T_NATIVE_INT8, m->n_windows,
                         m->win_split);
    rc |= write_2d(f, "qc/kept", H5T_STD_U8LE, H5T_NATIVE_UINT8, m->n_windows, S, m->kept);
    rc |= write_2d(f, "qc/rows_covered", H5T_STD_I32LE, H5T_NATIVE_INT32, m->n_windows, S,
                   m->rows_covered);
    if (H5Fclose(f) < 0) {
        rc = -1;
        hw_dist_exit_failed_at_finalize(); /* see hw_tile_writer_abandon */
    }
    if (rc) return hw_fail_prefix("%s", path);
    return 0;
}

/* ---- reader ---------------------------------------------------------------------- */

struct hw_tile_store {
    char *path;
    hid_t file, tiles;
    hw_tile_meta meta;
};

/* A 1-D table of exactly n rows (longer or shorter is a corrupt store). */
static int check_rows(hid_t f, const char *path, int64_t n) {
    int64_t len = hw_h5_len(f, path);
    if (len < 0) return -1;
    if (len != n) return hw_fail("%s has %lld rows, expected %lld", path, (long long)len, (long long)n);
    return 0;
}

static int read_strings(hid_t f, const char *path, int64_t n, char ***out) {
    char **res = xcalloc((size_t)n + 1, sizeof *res);
    *out = res;
    if (check_rows(f, path, n) != 0) return -1;
    char **tmp = xcalloc((size_t)n + 1, sizeof *tmp);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    int rc = hw_h5_read_slice(f, path, t, 0, n, tmp);
    H5Tclose(t);
    for (int64_t i = 0; i < n; i++) {
        res[i] = xstrdup(rc == 0 && tmp[i] ? tmp[i] : "");
        if (tmp[i]) H5free_memory(tmp[i]);
    }
    free(tmp);
    return rc;
}

static char *attr_string(hid_t f, const char *name) {
    char buf[1 << 16];
    if (hw_h5_attr_str(f, name, buf, sizeof buf) <= 0) buf[0] = '\0';
    return xstrdup(buf);
}

/* A required integer attribute within [lo, hi]. */
static int attr_int(hid_t f, const char *name, int64_t lo, int64_t hi, int64_t *out) {
    int got = hw_h5_attr_int(f, name, out);
    if (got < 0) return -1;
    if (got == 0) return hw_fail("missing attribute '%s'", name);
    if (*out < lo || *out > hi)
        return hw_fail("attribute %s = %lld is out of range [%lld, %lld]", name, (long long)*out, (long long)lo,
                       (long long)hi);
    return 0;
}

/* The extent of an n-dimensional dataset must be exactly dims. */
static int check_shape(hid_t f, const char *path, int nd, const hsize_t *want, const char *why) {
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) return hw_fail("missing dataset '%s'", path);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[8] = {0};
    int got = H5Sget_simple_extent_ndims(sp);
    int ok = got == nd && H5Sget_simple_extent_dims(sp, dims, NULL) == nd;
    for (int k = 0; ok && k < nd; k++) ok = dims[k] == want[k];
    H5Sclose(sp);
    H5Dclose(d);
    if (ok) return 0;
    char have[160] = "", need[160] = "";
    for (int k = 0; k < got && k < 8; k++) {
        size_t l = strlen(have);
        snprintf(have + l, sizeof have - l, "%s%llu", k ? " x " : "", (unsigned long long)dims[k]);
    }
    for (int k = 0; k < nd; k++) {
        size_t l = strlen(need);
        snprintf(need + l, sizeof need - l, "%s%llu", k ? " x " : "", (unsigned long long)want[k]);
    }
    return hw_fail("%s is %s, but %s needs %s", path, got > 0 ? have : "not an array", why, need);
}

static int read_2d(hid_t f, const char *path, hid_t mtype, int64_t W, int64_t S, void *out) {
    hsize_t want[2] = {(hsize_t)W, (hsize_t)S};
    if (check_shape(f, path, 2, want, "n_windows x samples") != 0) return -1;
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    int rc = H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0
                 ? hw_fail("cannot read dataset '%s' (corrupt or truncated file)", path)
                 : 0;
    H5Dclose(d);
    return rc;
}

/* Everything a reader later indexes by is checked here, once: table lengths
 * against n_windows and the sample and chromosome counts, the /tiles shape
 * against tile_size, every window's chromosome, start and split. */
static int read_meta(hid_t f, hw_tile_meta *m) {
    m->config_yaml = attr_string(f, "config");
    m->version = attr_string(f, "hitwin_version");
    m->name = attr_string(f, "name");
    m->norm = attr_string(f, "normalisation");
    m->type = attr_string(f, "type");
    int64_t v = 0;
    if (attr_int(f, "resolution", 1, INT32_MAX, &v) != 0) return -1;
    m->resolution = (int32_t)v;
    if (attr_int(f, "tile_size", 1, 65536, &v) != 0) return -1;
    m->tile_size = (int32_t)v;
    if (attr_int(f, "stride", 1, INT32_MAX, &v) != 0) return -1;
    m->stride = (int32_t)v;
    /* far more windows than a genome at 1 kb has; bounds what the tables may cost */
    if (attr_int(f, "n_windows", 0, 100000000, &m->n_windows) != 0) return -1;
    if (H5Aexists(f, "min_row_coverage") > 0) {
        hid_t a = H5Aopen(f, "min_row_coverage", H5P_DEFAULT);
        herr_t e = a >= 0 ? H5Aread(a, H5T_NATIVE_DOUBLE, &m->min_row_coverage) : -1;
        if (a >= 0) H5Aclose(a);
        if (e < 0) return hw_fail("cannot read attribute 'min_row_coverage'");
    }
    int64_t S = hw_h5_len(f, "samples/class_id"), C = hw_h5_len(f, "chroms/length");
    if (S < 0 || C < 0) return -1;
    if (S < 1 || S > 65536) return hw_fail("samples/class_id has %lld rows (1 to 65536 samples)", (long long)S);
    if (C < 1 || C > 1000000) return hw_fail("chroms/length has %lld rows (1 to 1000000 chromosomes)", (long long)C);
    int64_t W = m->n_windows;
    m->n_samples = (int)S;
    m->n_chroms = (int)C;
    if (read_strings(f, "samples/name", S, &m->sample_name) != 0 ||
        read_strings(f, "samples/path", S, &m->sample_path) != 0 ||
        read_strings(f, "samples/condition", S, &m->condition) != 0 ||
        read_strings(f, "samples/replicate", S, &m->replicate) != 0)
        return -1;
    m->class_id = xcalloc((size_t)S, sizeof *m->class_id);
    if (hw_h5_read_slice(f, "samples/class_id", H5T_NATIVE_INT32, 0, S, m->class_id) != 0) return -1;
    for (int64_t i = 0; i < S; i++)
        if (m->class_id[i] < 0 || m->class_id[i] >= S)
            return hw_fail("samples/class_id[%lld] = %d is not a class of %lld samples", (long long)i, m->class_id[i],
                           (long long)S);
    if (read_strings(f, "chroms/name", C, &m->chrom_name) != 0) return -1;
    m->chrom_length = xcalloc((size_t)C, sizeof *m->chrom_length);
    m->chrom_split = xcalloc((size_t)C, sizeof *m->chrom_split);
    if (check_rows(f, "chroms/split", C) != 0 ||
        hw_h5_read_slice(f, "chroms/length", H5T_NATIVE_INT64, 0, C, m->chrom_length) != 0 ||
        hw_h5_read_slice(f, "chroms/split", H5T_NATIVE_INT8, 0, C, m->chrom_split) != 0)
        return -1;
    for (int64_t c = 0; c < C; c++) {
        if (m->chrom_length[c] <= 0)
            return hw_fail("chroms/length[%lld] = %lld (chromosome %s)", (long long)c, (long long)m->chrom_length[c],
                           m->chrom_name[c]);
        if (m->chrom_split[c] < 0 || m->chrom_split[c] > 3)
            return hw_fail("chroms/split[%lld] = %d is not a split (0 train, 1 validation, 2 test, 3 excluded)",
                           (long long)c, m->chrom_split[c]);
    }
    if (check_rows(f, "windows/chrom", W) != 0 || check_rows(f, "windows/start", W) != 0 ||
        check_rows(f, "windows/split", W) != 0)
        return -1;
    m->win_chrom = xcalloc((size_t)W + 1, sizeof *m->win_chrom);
    m->win_start = xcalloc((size_t)W + 1, sizeof *m->win_start);
    m->win_split = xcalloc((size_t)W + 1, sizeof *m->win_split);
    if (hw_h5_read_slice(f, "windows/chrom", H5T_NATIVE_INT32, 0, W, m->win_chrom) != 0 ||
        hw_h5_read_slice(f, "windows/start", H5T_NATIVE_INT64, 0, W, m->win_start) != 0 ||
        hw_h5_read_slice(f, "windows/split", H5T_NATIVE_INT8, 0, W, m->win_split) != 0)
        return -1;
    for (int64_t w = 0; w < W; w++) {
        int32_t c = m->win_chrom[w];
        if (c < 0 || c >= C)
            return hw_fail("windows/chrom[%lld] = %d names no chromosome of the store (it has %lld)", (long long)w, c,
                           (long long)C);
        if (m->win_start[w] < 0 || m->win_start[w] >= m->chrom_length[c])
            return hw_fail("windows/start[%lld] = %lld is outside %s (%lld bp)", (long long)w,
                           (long long)m->win_start[w], m->chrom_name[c], (long long)m->chrom_length[c]);
        if (m->win_split[w] < 0 || m->win_split[w] > 2)
            return hw_fail("windows/split[%lld] = %d is not a split (0 train, 1 validation, 2 test)", (long long)w,
                           m->win_split[w]);
    }
    m->kept = xcalloc((size_t)(W * S) + 1, 1);
    m->rows_covered = xcalloc((size_t)(W * S) + 1, sizeof *m->rows_covered);
    if (W > 0 && (read_2d(f, "qc/kept", H5T_NATIVE_UINT8, W, S, m->kept) != 0 ||
                  read_2d(f, "qc/rows_covered", H5T_NATIVE_INT32, W, S, m->rows_covered) != 0))
        return -1;
    /* the writer keeps one dummy row when there are no windows */
    hsize_t shape[4] = {(hsize_t)(W > 0 ? W : 1), (hsize_t)S, (hsize_t)m->tile_size, (hsize_t)m->tile_size};
    char why[96];
    snprintf(why, sizeof why, "tile_size %d", m->tile_size);
    if (check_shape(f, "tiles", 4, shape, why) != 0) return -1;
    return 0;
}

static hw_tile_store *open_fid(hid_t f, const char *path) {
    char fmt[64] = "";
    int64_t ver = 0;
    if (hw_h5_attr_str(f, "format", fmt, sizeof fmt) <= 0 || strcmp(fmt, HW_TILE_STORE_FORMAT) != 0) {
        H5Fclose(f);
        hw_fail("%s: not a hitwin tile store (attribute format is not '%s')", path, HW_TILE_STORE_FORMAT);
        return NULL;
    }
    if (hw_h5_attr_int(f, "format_version", &ver) <= 0 || ver != HW_TILE_STORE_VERSION) {
        H5Fclose(f);
        hw_fail("%s: tile store format version %lld, this hitwin reads version %d (re-run hitwin tile)", path,
                (long long)ver, HW_TILE_STORE_VERSION);
        return NULL;
    }
    hw_tile_store *s = xcalloc(1, sizeof *s);
    s->path = xstrdup(path);
    s->file = f;
    s->tiles = -1;
    if (read_meta(f, &s->meta) != 0) {
        hw_fail_prefix("%s: corrupt tile store", path);
        hw_tile_store_close(s);
        return NULL;
    }
    s->tiles = H5Dopen2(f, "tiles", H5P_DEFAULT);
    if (s->tiles < 0) {
        hw_fail("%s: corrupt tile store: cannot open dataset 'tiles'", path);
        hw_tile_store_close(s);
        return NULL;
    }
    return s;
}

hw_tile_store *hw_tile_store_open(const char *path) {
    hw_h5_quiet();
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        hw_fail("%s: cannot open tile store", path);
        return NULL;
    }
    fclose(probe);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        hw_fail("%s: not an HDF5 file (or truncated)", path);
        return NULL;
    }
    return open_fid(f, path);
}

hw_tile_store *hw_tile_store_open_image(const void *buf, size_t n, const char *name) {
    hw_h5_quiet();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, 65536, 0);
    hid_t f = -1;
    if (n > 0 && H5Pset_file_image(fapl, (void *)buf, n) >= 0) f = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0) {
        hw_fail("%s: not an HDF5 file (or truncated)", name);
        return NULL;
    }
    return open_fid(f, name);
}

void hw_tile_store_close(hw_tile_store *s) {
    if (!s) return;
    if (s->tiles >= 0) H5Dclose(s->tiles);
    H5Fclose(s->file);
    hw_tile_meta_free(&s->meta);
    free(s->path);
    free(s);
}

const hw_tile_meta *hw_tile_store_meta(const hw_tile_store *s) { return &s->meta; }

int hw_tile_store_read_window(hw_tile_store *s, int64_t window, float *out) {
    const hw_tile_meta *m = &s->meta;
    if (window < 0 || window >= m->n_windows)
        return hw_fail("%s: window %lld out of range", s->path, (long long)window);
    hid_t fs = H5Dget_space(s->tiles);
    hsize_t start[4] = {(hsize_t)window, 0, 0, 0};
    hsize_t count[4] = {1, (hsize_t)m->n_samples, (hsize_t)m->tile_size, (hsize_t)m->tile_size};
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t ms = H5Screate_simple(4, count, NULL);
    herr_t e = H5Dread(s->tiles, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, out);
    H5Sclose(ms);
    H5Sclose(fs);
    if (e < 0) return hw_fail("%s: cannot read tiles of window %lld (corrupt file?)", s->path, (long long)window);
    return 0;
}
