#include "hitwin/h5_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hitwin/error.h"
#include "hitwin/xalloc.h"

void hw_h5_quiet(void) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hw_h5_use_libdeflate();
}

int hw_h5_exists(hid_t loc, const char *path) {
    char buf[1024];
    size_t n = strlen(path);
    if (n >= sizeof buf) return 0;
    memcpy(buf, path, n + 1);
    /* H5Lexists fails on a missing intermediate group: walk the path. */
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0) return 0;
            if (c == '\0') return 1;
            *p = c;
        }
    }
}

int hw_h5_attr_str(hid_t obj, const char *name, char *out, size_t cap) {
    if (H5Aexists(obj, name) <= 0) return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return hw_fail("cannot open attribute '%s'", name);
    hid_t ft = H5Aget_type(a);
    int rc = 1;
    if (H5Tget_class(ft) != H5T_STRING) {
        /* numbers become their decimal text */
        int64_t v;
        if (H5Aread(a, H5T_NATIVE_INT64, &v) >= 0) snprintf(out, cap, "%lld", (long long)v);
        else rc = hw_fail("attribute '%s' is not a string", name);
    } else if (H5Tis_variable_str(ft) > 0) {
        char *s = NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft));
        if (H5Aread(a, mt, &s) < 0) rc = hw_fail("cannot read attribute '%s'", name);
        else {
            snprintf(out, cap, "%s", s ? s : "");
            H5free_memory(s);
        }
        H5Tclose(mt);
    } else {
        size_t len = H5Tget_size(ft);
        char *s = xcalloc(len + 1, 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, len);
        if (H5Aread(a, mt, s) < 0) rc = hw_fail("cannot read attribute '%s'", name);
        else snprintf(out, cap, "%s", s);
        free(s);
        H5Tclose(mt);
    }
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

int hw_h5_attr_int(hid_t obj, const char *name, int64_t *out) {
    if (H5Aexists(obj, name) <= 0) return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return hw_fail("cannot open attribute '%s'", name);
    hid_t ft = H5Aget_type(a);
    int rc = 1;
    if (H5Tget_class(ft) == H5T_STRING) {
        H5Tclose(ft);
        H5Aclose(a);
        char buf[64];
        if (hw_h5_attr_str(obj, name, buf, sizeof buf) < 0) return -1;
        char *end;
        long long v = strtoll(buf, &end, 10);
        if (end == buf) return hw_fail("attribute '%s' = '%s' is not an integer", name, buf);
        *out = v;
        return 1;
    }
    if (H5Aread(a, H5T_NATIVE_INT64, out) < 0) rc = hw_fail("cannot read attribute '%s'", name);
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

int hw_h5_attr_bool(hid_t obj, const char *name, int *out) {
    if (H5Aexists(obj, name) <= 0) return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return hw_fail("cannot open attribute '%s'", name);
    hid_t ft = H5Aget_type(a);
    H5T_class_t cls = H5Tget_class(ft);
    int rc = 1;
    if (cls == H5T_STRING) {
        H5Tclose(ft);
        H5Aclose(a);
        char buf[16];
        if (hw_h5_attr_str(obj, name, buf, sizeof buf) < 0) return -1;
        if (strcasecmp(buf, "true") == 0 || strcmp(buf, "1") == 0) *out = 1;
        else if (strcasecmp(buf, "false") == 0 || strcmp(buf, "0") == 0) *out = 0;
        else return hw_fail("attribute '%s' = '%s' is not a boolean", name, buf);
        return 1;
    }
    if (cls == H5T_ENUM || cls == H5T_INTEGER) {
        /* HDF5 does not convert enum to integer: read the enum's own bytes
         * (numpy bool: int8 base, FALSE = 0, TRUE = 1) and test for non-zero. */
        hid_t mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
        size_t sz = H5Tget_size(mt);
        unsigned char v[16] = {0};
        if (sz > sizeof v || H5Aread(a, mt, v) < 0) rc = hw_fail("cannot read attribute '%s'", name);
        else {
            int nz = 0;
            for (size_t k = 0; k < sz; k++) nz |= v[k] != 0;
            *out = nz;
        }
        H5Tclose(mt);
    } else {
        rc = hw_fail("attribute '%s' is not a boolean", name);
    }
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

static int write_attr(hid_t obj, const char *name, hid_t type, const void *value) {
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = 0;
    if (a < 0 || H5Awrite(a, type, value) < 0) rc = hw_fail("cannot write attribute '%s'", name);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

int hw_h5_write_attr_str(hid_t obj, const char *name, const char *value) {
    /* variable-length UTF-8: h5py returns it as str */
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    int rc = write_attr(obj, name, t, &value);
    H5Tclose(t);
    return rc;
}

int hw_h5_write_attr_int(hid_t obj, const char *name, int64_t value) {
    return write_attr(obj, name, H5T_NATIVE_INT64, &value);
}

int hw_h5_write_attr_double(hid_t obj, const char *name, double value) {
    return write_attr(obj, name, H5T_NATIVE_DOUBLE, &value);
}

int64_t hw_h5_len(hid_t loc, const char *path) {
    hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
    if (d < 0) return hw_fail("missing dataset '%s'", path);
    hid_t s = H5Dget_space(d);
    int nd = H5Sget_simple_extent_ndims(s);
    hsize_t dims[8] = {0};
    int64_t n = -1;
    if (nd == 1 && H5Sget_simple_extent_dims(s, dims, NULL) == 1) n = (int64_t)dims[0];
    else hw_fail("dataset '%s' is not 1-dimensional", path);
    H5Sclose(s);
    H5Dclose(d);
    return n;
}

int hw_h5_read_dset_slice(hid_t d, const char *name, hid_t mem_type, int64_t off, int64_t n,
                          void *out) {
    if (n == 0) return 0;
    hid_t fs = H5Dget_space(d);
    if (fs < 0) return hw_fail("cannot read dataset '%s' (corrupt or truncated file)", name);
    hsize_t dims[1] = {0};
    int rc = 0;
    if (H5Sget_simple_extent_ndims(fs) != 1) {
        rc = hw_fail("dataset '%s' is not 1-dimensional", name);
    } else {
        H5Sget_simple_extent_dims(fs, dims, NULL);
        if (off < 0 || n < 0 || (hsize_t)(off + n) > dims[0]) {
            rc = hw_fail("dataset '%s' has %llu elements, needed [%lld, %lld)", name,
                         (unsigned long long)dims[0], (long long)off, (long long)(off + n));
        } else {
            hsize_t start[1] = {(hsize_t)off}, count[1] = {(hsize_t)n};
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
            hid_t ms = H5Screate_simple(1, count, NULL);
            if (H5Dread(d, mem_type, ms, fs, H5P_DEFAULT, out) < 0)
                rc = hw_fail("cannot read dataset '%s' (corrupt or truncated file)", name);
            H5Sclose(ms);
        }
    }
    H5Sclose(fs);
    return rc;
}

int hw_h5_read_slice(hid_t loc, const char *path, hid_t mem_type, int64_t off, int64_t n, void *out) {
    if (n == 0) return 0;
    hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
    if (d < 0) return hw_fail("missing dataset '%s'", path);
    int rc = hw_h5_read_dset_slice(d, path, mem_type, off, n, out);
    H5Dclose(d);
    return rc;
}

int hw_h5_read_strings(hid_t loc, const char *path, int64_t n, size_t width, char *out) {
    int64_t len = hw_h5_len(loc, path);
    if (len < 0) return -1;
    if (len != n) return hw_fail("dataset '%s' has %lld entries, expected %lld", path, (long long)len,
                                 (long long)n);
    if (n == 0) return 0;
    hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
    hid_t ft = H5Dget_type(d);
    int rc = 0;
    if (H5Tget_class(ft) != H5T_STRING) {
        rc = hw_fail("dataset '%s' does not hold strings", path);
    } else if (H5Tis_variable_str(ft) > 0) {
        char **s = xcalloc((size_t)n, sizeof *s);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) < 0) {
            rc = hw_fail("cannot read dataset '%s' (corrupt or truncated file)", path);
        } else {
            for (int64_t k = 0; k < n && rc == 0; k++) {
                const char *v = s[k] ? s[k] : "";
                if (strlen(v) >= width) rc = hw_fail("dataset '%s': string %lld is too long", path, (long long)k);
                else snprintf(out + (size_t)k * width, width, "%s", v);
            }
            hid_t sp = H5Dget_space(d);
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, s);
            H5Sclose(sp);
        }
        H5Tclose(mt);
        free(s);
    } else {
        /* fixed width w: read as NUL-padded w-byte strings, then trim */
        size_t w = H5Tget_size(ft);
        char *raw = xcalloc((size_t)n, w + 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, w + 1); /* room for the terminator HDF5 adds on conversion */
        H5Tset_strpad(mt, H5T_STR_NULLTERM);
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
            rc = hw_fail("cannot read dataset '%s' (corrupt or truncated file)", path);
        } else {
            for (int64_t k = 0; k < n && rc == 0; k++) {
                char *v = raw + (size_t)k * (w + 1);
                size_t m = strnlen(v, w);
                while (m > 0 && v[m - 1] == ' ') m--; /* space-padded (Fortran style) */
                if (m >= width) rc = hw_fail("dataset '%s': string %lld is too long", path, (long long)k);
                else {
                    memcpy(out + (size_t)k * width, v, m);
                    out[(size_t)k * width + m] = '\0';
                }
            }
        }
        H5Tclose(mt);
        free(raw);
    }
    H5Tclose(ft);
    H5Dclose(d);
    return rc;
}

int hw_h5_make_parents(hid_t loc, const char *path) {
    char buf[1024];
    size_t n = strlen(path);
    if (n >= sizeof buf) return hw_fail("HDF5 path too long: '%.64s...'", path);
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0) {
            hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
            H5Pset_obj_track_times(gcpl, 0);
            hid_t g = H5Gcreate2(loc, buf, H5P_DEFAULT, gcpl, H5P_DEFAULT);
            H5Pclose(gcpl);
            if (g < 0) return hw_fail("cannot create group '%s'", buf);
            H5Gclose(g);
        }
        *p = '/';
    }
    return 0;
}

int hw_h5_write_1d(hid_t loc, const char *path, hid_t file_type, hid_t mem_type, int64_t n,
                   const void *data) {
    if (hw_h5_make_parents(loc, path) != 0) return -1;
    hsize_t dims[1] = {(hsize_t)n};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0); /* no timestamps: the same data, the same bytes */
    if (n >= 4096) {
        hsize_t chunk[1] = {n < 65536 ? (hsize_t)n : 65536};
        H5Pset_chunk(dcpl, 1, chunk);
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 4);
    }
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(loc, path, file_type, sp, lcpl, dcpl, H5P_DEFAULT);
    int rc = 0;
    if (d < 0) rc = hw_fail("cannot create dataset '%s'", path);
    else if (n > 0 && H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = hw_fail("cannot write dataset '%s'", path);
    if (d >= 0) H5Dclose(d);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return rc;
}

int hw_h5_write_strings(hid_t loc, const char *path, char *const *strs, int64_t n) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    int rc = hw_h5_write_1d(loc, path, t, t, n, strs);
    H5Tclose(t);
    return rc;
}
