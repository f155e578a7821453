/* Faster deflate for HDF5 writes: zlib's compress2, served by libdeflate.
 *
 * Writing the tile store is dominated by HDF5's deflate filter (bench/tile.sh:
 * 80 % of `hitwin tile` time in zlib). HDF5 refuses to replace its predefined
 * filters (H5Zregister rejects ids below 256), and h5py readers need the stock
 * deflate id, so instead this file defines compress2 itself: HDF5's deflate
 * filter calls compress2, and the executable's definition takes precedence over
 * libz's. libdeflate writes the same zlib-format stream (any zlib inflates it),
 * about 2.4x faster at level 1 and slightly smaller. Levels libdeflate does not
 * have fall back to the real zlib through dlsym(RTLD_NEXT). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libdeflate.h>
#include <zlib.h>

#include "hitwin/h5_util.h"

typedef int (*compress2_fn)(Bytef *, uLongf *, const Bytef *, uLong, int);

static int zlib_compress2(Bytef *dest, uLongf *dest_len, const Bytef *src, uLong src_len, int level) {
    static compress2_fn real;
    if (!real) real = (compress2_fn)dlsym(RTLD_NEXT, "compress2");
    if (!real) return Z_STREAM_ERROR;
    return real(dest, dest_len, src, src_len, level);
}

int compress2(Bytef *dest, uLongf *dest_len, const Bytef *src, uLong src_len, int level) {
    /* One compressor per level; HDF5 here is not thread-safe, so filters never
     * run concurrently, but keep this usable from threads all the same. */
    static _Thread_local struct libdeflate_compressor *compressors[10];
    if (level == Z_DEFAULT_COMPRESSION) level = 6;
    if (level < 1 || level > 9) return zlib_compress2(dest, dest_len, src, src_len, level);
    if (!compressors[level]) compressors[level] = libdeflate_alloc_compressor(level);
    if (!compressors[level]) return Z_MEM_ERROR;
    size_t n = libdeflate_zlib_compress(compressors[level], src, src_len, dest, *dest_len);
    if (n == 0) return Z_BUF_ERROR; /* does not fit, as zlib reports it */
    *dest_len = (uLongf)n;
    return Z_OK;
}

int hw_h5_use_libdeflate(void) {
    /* Referenced from hw_h5_quiet so that this object, and with it compress2,
     * is linked into every program that writes HDF5 through this library. */
    return 0;
}
