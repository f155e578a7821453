/* Small HDF5 helpers shared by the cooler reader, the tile store and the
 * simulator's cooler writer. All return 0/-1 and set hw_error without the
 * file name; callers prefix it. HDF5's own error stack printing is turned off
 * once (hw_h5_quiet) so that users see our one line, not a stack dump. */
#ifndef HITWIN_H5_UTIL_H
#define HITWIN_H5_UTIL_H

#include <hdf5.h>
#include <stdint.h>

void hw_h5_quiet(void);

/* Links the libdeflate-backed compress2 (src/io/h5_libdeflate.c) that HDF5's
 * deflate filter then uses. Called by hw_h5_quiet. */
int hw_h5_use_libdeflate(void);

/* Compress n inputs of len bytes now, on `threads` threads, so that HDF5's
 * deflate of byte-identical data (the next H5Dwrite's chunks, after the same
 * filters before deflate) takes the stored result. The inputs must stay valid
 * until hw_deflate_forget. */
void hw_deflate_prepare(const unsigned char *const *inputs, size_t len, int n, int level, int threads);
void hw_deflate_forget(void);

int hw_h5_exists(hid_t loc, const char *path); /* link exists (intermediate groups too) */

/* Attribute readers: string (any HDF5 string type, fixed or variable),
 * integer (also accepts a numeric string like "3"). 1 = read, 0 = absent. */
int hw_h5_attr_str(hid_t obj, const char *name, char *out, size_t cap);
int hw_h5_attr_int(hid_t obj, const char *name, int64_t *out);

/* Boolean attribute: integer, h5py/numpy bool (an HDF5 enum of int8) or the
 * strings "true"/"false". 1 = read, 0 = absent, -1 = not a boolean. */
int hw_h5_attr_bool(hid_t obj, const char *name, int *out);

/* Attribute writers (scalar). */
int hw_h5_write_attr_str(hid_t obj, const char *name, const char *value);
int hw_h5_write_attr_int(hid_t obj, const char *name, int64_t value);
int hw_h5_write_attr_double(hid_t obj, const char *name, double value);

/* Length of a 1-D dataset, -1 on error. */
int64_t hw_h5_len(hid_t loc, const char *path);

/* Read elements [off, off+n) of a 1-D dataset converted to mem_type. */
int hw_h5_read_slice(hid_t loc, const char *path, hid_t mem_type, int64_t off, int64_t n, void *out);

/* The same on an already open dataset (name is only for messages): readers
 * that stream one dataset in many slices keep it open. */
int hw_h5_read_dset_slice(hid_t dset, const char *name, hid_t mem_type, int64_t off, int64_t n,
                          void *out);

/* Read a 1-D string dataset (fixed-length of any width, NUL- or space-padded,
 * or variable-length) into n slots of `width` bytes, NUL-terminated. Fails
 * when the dataset does not hold exactly n strings or one does not fit. */
int hw_h5_read_strings(hid_t loc, const char *path, int64_t n, size_t width, char *out);

/* A 1-D dataset of variable-length UTF-8 strings (h5py reads them as str/bytes). */
int hw_h5_write_strings(hid_t loc, const char *path, char *const *strs, int64_t n);

/* Create the groups above PATH ("a/b" for "a/b/c") that do not exist yet, without
 * timestamps (H5Pset_obj_track_times 0): files written twice from the same data are
 * byte-identical. The writers below call it; HDF5's create_intermediate_group
 * would make timestamped groups. */
int hw_h5_make_parents(hid_t loc, const char *path);

/* Write a whole 1-D dataset (no timestamps), chunked and gzip-compressed when n is large. */
int hw_h5_write_1d(hid_t loc, const char *path, hid_t file_type, hid_t mem_type, int64_t n,
                   const void *data);

#endif
