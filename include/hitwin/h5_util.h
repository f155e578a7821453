/* Small HDF5 helpers shared by the cooler reader, the tile store and the
 * simulator's cooler writer. All return 0/-1 and set hw_error without the
 * file name; callers prefix it. HDF5's own error stack printing is turned off
 * once (hw_h5_quiet) so that users see our one line, not a stack dump. */
#ifndef HITWIN_H5_UTIL_H
#define HITWIN_H5_UTIL_H

#include <hdf5.h>
#include <stdint.h>

void hw_h5_quiet(void);

int hw_h5_exists(hid_t loc, const char *path); /* link exists (intermediate groups too) */

/* Attribute readers: string (any HDF5 string type, fixed or variable),
 * integer (also accepts a numeric string like "3"). 1 = read, 0 = absent. */
int hw_h5_attr_str(hid_t obj, const char *name, char *out, size_t cap);
int hw_h5_attr_int(hid_t obj, const char *name, int64_t *out);

/* Attribute writers (scalar). */
int hw_h5_write_attr_str(hid_t obj, const char *name, const char *value);
int hw_h5_write_attr_int(hid_t obj, const char *name, int64_t value);
int hw_h5_write_attr_double(hid_t obj, const char *name, double value);

/* Length of a 1-D dataset, -1 on error. */
int64_t hw_h5_len(hid_t loc, const char *path);

/* Read elements [off, off+n) of a 1-D dataset converted to mem_type. */
int hw_h5_read_slice(hid_t loc, const char *path, hid_t mem_type, int64_t off, int64_t n, void *out);

/* Write a whole 1-D dataset, chunked and gzip-compressed when n is large. */
int hw_h5_write_1d(hid_t loc, const char *path, hid_t file_type, hid_t mem_type, int64_t n,
                   const void *data);

#endif
