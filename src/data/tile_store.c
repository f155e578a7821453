/* Tile store writer (parallel HDF5, collective compressed writes) and reader. */
#include "hitwin/tile_store.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (file < 0) {
        hw_fail("%s: cannot create the tile store (directory missing or not writable?)", path);
        return NULL;
    }
    /* HDF5 wants a non-empty extent; a dataset with no windows keeps one dummy row
     * that the metadata (n_windows = 0) makes unreachable. */
    hsize_t dims[4] = {(hsize_t)(n_windows > 0 ? n_windows : 1), (hsize_t)n_samples, (hsize_t)tile,
                       (hsize_t)tile};
    hsize_t chunk[4] = {1, 1, (hsize_t)tile, (hsize_t)tile};
    hid_t space = H5Screate_simple(4, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
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
        H5Fclose(file);
        hw_fail("%s: cannot create dataset /tiles", path);
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

int hw_tile_writer_close(hw_tile_writer *w) {
    int failed = w->failed;
    H5Pclose(w->dxpl);
    if (H5Dclose(w->tiles) < 0) failed = 1;
    if (H5Fclose(w->file) < 0) failed = 1;
    free(w);
    if (failed) return hw_fail("writing the tile store failed");
    return 0;
}

/* ---- metadata tables ------------------------------------------------------------- */

static int write_2d(hid_t loc, const char *path, hid_t ftype, hid_t mtype, int64_t rows, int cols,
                    const void *data) {
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
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
    if (H5Fclose(f) < 0) rc = -1;
    if (rc) return hw_fail_prefix("%s", path);
    return 0;
}

/* ---- reader ---------------------------------------------------------------------- */

struct hw_tile_store {
    char *path;
    hid_t file, tiles;
    hw_tile_meta meta;
};

static int read_strings(hid_t f, const char *path, int64_t n, char ***out) {
    char **tmp = xcalloc((size_t)n + 1, sizeof *tmp);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    int rc = hw_h5_read_slice(f, path, t, 0, n, tmp);
    H5Tclose(t);
    char **res = xcalloc((size_t)n + 1, sizeof *res);
    for (int64_t i = 0; i < n; i++) {
        res[i] = xstrdup(tmp[i] ? tmp[i] : "");
        if (tmp[i]) H5free_memory(tmp[i]);
    }
    free(tmp);
    *out = res;
    return rc;
}

static char *attr_string(hid_t f, const char *name) {
    char buf[1 << 16];
    if (hw_h5_attr_str(f, name, buf, sizeof buf) <= 0) buf[0] = '\0';
    return xstrdup(buf);
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
    char fmt[64] = "";
    int64_t ver = 0;
    if (hw_h5_attr_str(f, "format", fmt, sizeof fmt) <= 0 || strcmp(fmt, HW_TILE_STORE_FORMAT) != 0) {
        H5Fclose(f);
        hw_fail("%s: not a hitwin tile store (attribute format is not '%s')", path,
                HW_TILE_STORE_FORMAT);
        return NULL;
    }
    if (hw_h5_attr_int(f, "format_version", &ver) <= 0 || ver != HW_TILE_STORE_VERSION) {
        H5Fclose(f);
        hw_fail("%s: tile store format version %lld, this hitwin reads version %d (re-run hitwin tile)",
                path, (long long)ver, HW_TILE_STORE_VERSION);
        return NULL;
    }
    hw_tile_store *s = xcalloc(1, sizeof *s);
    s->path = xstrdup(path);
    s->file = f;
    hw_tile_meta *m = &s->meta;
    m->config_yaml = attr_string(f, "config");
    m->version = attr_string(f, "hitwin_version");
    m->name = attr_string(f, "name");
    m->norm = attr_string(f, "normalisation");
    m->type = attr_string(f, "type");
    int64_t v = 0;
    hw_h5_attr_int(f, "resolution", &v), m->resolution = (int32_t)v;
    hw_h5_attr_int(f, "tile_size", &v), m->tile_size = (int32_t)v;
    hw_h5_attr_int(f, "stride", &v), m->stride = (int32_t)v;
    hw_h5_attr_int(f, "n_windows", &m->n_windows);
    hid_t a = H5Aopen(f, "min_row_coverage", H5P_DEFAULT);
    if (a >= 0) H5Aread(a, H5T_NATIVE_DOUBLE, &m->min_row_coverage), H5Aclose(a);
    int rc = 0;
    int64_t S = hw_h5_len(f, "samples/class_id"), C = hw_h5_len(f, "chroms/length");
    if (S < 0 || C < 0) rc = -1;
    else {
        m->n_samples = (int)S;
        m->n_chroms = (int)C;
        int64_t W = m->n_windows;
        rc |= read_strings(f, "samples/name", S, &m->sample_name);
        rc |= read_strings(f, "samples/path", S, &m->sample_path);
        rc |= read_strings(f, "samples/condition", S, &m->condition);
        rc |= read_strings(f, "samples/replicate", S, &m->replicate);
        m->class_id = xcalloc((size_t)S, sizeof *m->class_id);
        rc |= hw_h5_read_slice(f, "samples/class_id", H5T_NATIVE_INT32, 0, S, m->class_id);
        rc |= read_strings(f, "chroms/name", C, &m->chrom_name);
        m->chrom_length = xcalloc((size_t)C, sizeof *m->chrom_length);
        m->chrom_split = xcalloc((size_t)C, sizeof *m->chrom_split);
        rc |= hw_h5_read_slice(f, "chroms/length", H5T_NATIVE_INT64, 0, C, m->chrom_length);
        rc |= hw_h5_read_slice(f, "chroms/split", H5T_NATIVE_INT8, 0, C, m->chrom_split);
        m->win_chrom = xcalloc((size_t)W + 1, sizeof *m->win_chrom);
        m->win_start = xcalloc((size_t)W + 1, sizeof *m->win_start);
        m->win_split = xcalloc((size_t)W + 1, sizeof *m->win_split);
        rc |= hw_h5_read_slice(f, "windows/chrom", H5T_NATIVE_INT32, 0, W, m->win_chrom);
        rc |= hw_h5_read_slice(f, "windows/start", H5T_NATIVE_INT64, 0, W, m->win_start);
        rc |= hw_h5_read_slice(f, "windows/split", H5T_NATIVE_INT8, 0, W, m->win_split);
        m->kept = xcalloc((size_t)(W * S) + 1, 1);
        m->rows_covered = xcalloc((size_t)(W * S) + 1, sizeof *m->rows_covered);
        if (W > 0) {
            hid_t d = H5Dopen2(f, "qc/kept", H5P_DEFAULT);
            if (d < 0 || H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, m->kept) < 0) rc = -1;
            if (d >= 0) H5Dclose(d);
            d = H5Dopen2(f, "qc/rows_covered", H5P_DEFAULT);
            if (d < 0 || H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, m->rows_covered) < 0)
                rc = -1;
            if (d >= 0) H5Dclose(d);
        }
    }
    s->tiles = H5Dopen2(f, "tiles", H5P_DEFAULT);
    if (rc != 0 || s->tiles < 0) {
        hw_fail("%s: tile store is incomplete or corrupt (missing tables)", path);
        hw_tile_store_close(s);
        return NULL;
    }
    return s;
}

void hw_tile_store_close(hw_tile_store *s) {
    if (!s) return;
    if (s->tiles >= 0 && s->tiles) H5Dclose(s->tiles);
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
