/* One .hic matrix block: read, zlib-inflate, decode its records.
 *
 * The payload layouts (formats.md section 5): v6 is a flat list of
 * (x i32, y i32, value f32); v7+ has a header with bin offsets and flags and
 * then either a list of rows (type 1) or a dense rectangle (type 2). v9 adds
 * two flags that widen the row/column fields from i16 to i32. All eight
 * (x width, y width, value type) combinations go through one loop that reads
 * each field by its width; the block is small, so the branch costs nothing
 * next to the inflate. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "hic_internal.h"
#include "hitwin/error.h"
#include "hitwin/xalloc.h"

/* A cursor over the inflated payload. Every read is checked: a payload that
 * claims more records than it holds is corrupt, not a crash. */
typedef struct {
    const unsigned char *p;
    size_t n, k;
    const char *err; /* first problem found */
} span;

static int take(span *s, size_t w, uint64_t *v) {
    if (s->err) return -1;
    if (w > s->n - s->k) {
        s->err = "record data runs past the end of the block";
        return -1;
    }
    uint64_t x = 0;
    for (size_t b = w; b-- > 0;) x = (x << 8) | s->p[s->k + b];
    s->k += w;
    *v = x;
    return 0;
}

/* Signed integer of width 1, 2 or 4 bytes. */
static int64_t get_int(span *s, size_t w) {
    uint64_t v = 0;
    if (take(s, w, &v) != 0) return 0;
    if (w == 1) return (int8_t)v;
    if (w == 2) return (int16_t)v;
    return (int32_t)v;
}

static float get_f32(span *s) {
    uint64_t v = 0;
    if (take(s, 4, &v) != 0) return 0;
    uint32_t bits = (uint32_t)v;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static int decode_v6(span *s, hic_record_fn fn, void *ctx) {
    int64_t nrec = get_int(s, 4);
    if (s->err) return -1;
    if (nrec < 0 || (uint64_t)nrec * 12 > s->n - s->k) {
        s->err = "record count does not fit the block";
        return -1;
    }
    for (int64_t r = 0; r < nrec; r++) {
        int64_t x = get_int(s, 4), y = get_int(s, 4);
        float v = get_f32(s);
        fn(ctx, x, y, v);
    }
    return s->err ? -1 : 0;
}

/* Type 1: rows of (column, value) lists. */
static int decode_rows(span *s, int64_t xoff, int64_t yoff, size_t xw, size_t yw, int use_float,
                       hic_record_fn fn, void *ctx) {
    size_t vw = use_float ? 4 : 2;
    int64_t nrows = get_int(s, yw);
    if (nrows < 0) s->err = "negative row count";
    for (int64_t r = 0; r < nrows && !s->err; r++) {
        int64_t y = yoff + get_int(s, yw);
        int64_t ncols = get_int(s, xw);
        if (s->err) break;
        if (ncols < 0 || (uint64_t)ncols * (xw + vw) > s->n - s->k) {
            s->err = "record count does not fit the block";
            break;
        }
        for (int64_t c = 0; c < ncols; c++) {
            int64_t x = xoff + get_int(s, xw);
            float v = use_float ? get_f32(s) : (float)get_int(s, 2);
            fn(ctx, x, y, v);
        }
    }
    return s->err ? -1 : 0;
}

/* Type 2: a dense w-wide rectangle; sentinels mark empty cells, which are
 * "no record", not NaN values. */
static int decode_dense(span *s, int64_t xoff, int64_t yoff, int use_float, hic_record_fn fn, void *ctx) {
    size_t vw = use_float ? 4 : 2;
    int64_t npts = get_int(s, 4);
    int64_t w = get_int(s, 2);
    if (s->err) return -1;
    if (npts < 0 || (uint64_t)npts * vw > s->n - s->k) {
        s->err = "dense point count does not fit the block";
        return -1;
    }
    if (npts > 0 && w <= 0) {
        s->err = "dense block with non-positive width";
        return -1;
    }
    for (int64_t k = 0; k < npts; k++) {
        float v;
        if (use_float) {
            v = get_f32(s);
            if (isnan(v)) continue;
        } else {
            int64_t iv = get_int(s, 2);
            if (iv == -32768) continue;
            v = (float)iv;
        }
        fn(ctx, xoff + k % w, yoff + k / w, v);
    }
    return s->err ? -1 : 0;
}

/* Counts the records on their way to the caller's callback. */
typedef struct {
    hic_record_fn fn;
    void *ctx;
    int64_t n;
} counter;

static void count_record(void *p, int64_t x, int64_t y, float v) {
    counter *c = p;
    c->n++;
    c->fn(c->ctx, x, y, v);
}

/* After the records: nothing may be left over, and v7+ must have decoded
 * exactly the nRecords of its header (type 2: the non-empty cells). */
static int check_end(const span *s, int64_t nrec, const counter *cnt) {
    if (s->k != s->n)
        return hw_fail("%zu bytes left after the last record (block holds %zu)", s->n - s->k, s->n);
    if (nrec >= 0 && cnt->n != nrec)
        return hw_fail("block header says %lld records, the block holds %lld", (long long)nrec, (long long)cnt->n);
    return 0;
}

int hic_block_decode(const unsigned char *p, size_t n, int version, hic_record_fn fn, void *ctx) {
    span s = {p, n, 0, NULL};
    counter cnt = {fn, ctx, 0};
    fn = count_record;
    ctx = &cnt;
    if (version < 7) {
        if (decode_v6(&s, fn, ctx) != 0) return hw_fail("%s", s.err);
        return check_end(&s, -1, &cnt);
    }
    int64_t nrec = get_int(&s, 4);
    int64_t xoff = get_int(&s, 4), yoff = get_int(&s, 4);
    int use_float = get_int(&s, 1) == 1;
    size_t xw = 2, yw = 2;
    if (version >= 9) {
        xw = get_int(&s, 1) == 1 ? 4 : 2;
        yw = get_int(&s, 1) == 1 ? 4 : 2;
    }
    int64_t type = get_int(&s, 1);
    if (s.err) return hw_fail("%s", s.err);
    int rc;
    if (type == 1)
        rc = decode_rows(&s, xoff, yoff, xw, yw, use_float, fn, ctx);
    else if (type == 2)
        rc = decode_dense(&s, xoff, yoff, use_float, fn, ctx);
    else
        return hw_fail("unknown block matrix type %lld", (long long)type);
    if (rc != 0) return hw_fail("%s", s.err);
    return check_end(&s, nrec, &cnt);
}

void hic_inflater_free(hic_inflater *z) {
    if (z->dec) libdeflate_free_decompressor(z->dec);
    free(z->zbuf);
    free(z->buf);
    memset(z, 0, sizeof *z);
}

int hic_block_read(hic_inflater *z, const hic_cur *file, int version, int64_t pos, int64_t size,
                   const char *where, hic_record_fn fn, void *ctx) {
    const char *path = file->path;
    if (pos < 0 || size < 0 || pos > file->size || size > file->size - pos)
        return hw_fail("%s: truncated file (needed %lld bytes at offset %lld, file has %lld)", path, (long long)size,
                       (long long)pos, (long long)file->size);
    if (!z->dec) {
        z->dec = libdeflate_alloc_decompressor();
        if (!z->dec) return hw_fail("%s: cannot allocate a zlib decompressor", path);
    }
    hw_grow(&z->zbuf, &z->zcap, (size_t)size);
    if (hic_pread_all(file->fd, path, z->zbuf, (size_t)size, pos) != 0) return -1;

    /* The inflated size is not stored: start at 4x and double. Deflate cannot
     * expand more than ~1032:1, which bounds the loop on garbage input. */
    size_t limit = (size_t)size * 1040 + 4096;
    if (z->cap < (size_t)size * 4 + 1024) hw_grow(&z->buf, &z->cap, (size_t)size * 4 + 1024);
    size_t got = 0, used = 0;
    for (;;) {
        enum libdeflate_result r =
            libdeflate_zlib_decompress_ex(z->dec, z->zbuf, (size_t)size, z->buf, z->cap, &used, &got);
        if (r == LIBDEFLATE_SUCCESS) break;
        if (r != LIBDEFLATE_INSUFFICIENT_SPACE || z->cap >= limit)
            return hw_fail("%s: corrupt zlib block at offset %lld (%s)", path, (long long)pos, where);
        hw_grow(&z->buf, &z->cap, z->cap * 2);
    }
    if (hic_block_decode(z->buf, got, version, fn, ctx) != 0)
        return hw_fail_prefix("%s: corrupt block at offset %lld (%s)", path, (long long)pos, where);
    return 0;
}
