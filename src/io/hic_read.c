/* Bounds-checked little-endian reads from a .hic file through pread().
 *
 * Files can be many GB, so nothing reads a whole file: the header and footer
 * are parsed through a 64 KiB window and blocks are read one by one. Every
 * count read from the file is checked against the file size before anything
 * is allocated from it, so a fuzzed count fails as "truncated" instead of
 * asking for terabytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hic_internal.h"
#include "hitwin/error.h"
#include "hitwin/xalloc.h"

#define HIC_WINDOW (64 * 1024)

int hic_cur_init(hic_cur *c, int fd, const char *path, int64_t size) {
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->path = path;
    c->size = size;
    return 0;
}

void hic_cur_free(hic_cur *c) {
    free(c->win);
    c->win = NULL;
    c->win_cap = 0;
    c->win_len = 0;
}

int hic_pread_all(int fd, const char *path, void *buf, size_t n, int64_t off) {
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t got = pread(fd, p, n, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return hw_fail("%s: read error at offset %lld: %s", path, (long long)off, strerror(errno));
        if (got == 0) return hw_fail("%s: file shrank while reading (offset %lld)", path, (long long)off);
        p += got;
        off += got;
        n -= (size_t)got;
    }
    return 0;
}

/* count * elem_size, saturated: only used to word the error message. */
static int64_t sat_mul(int64_t count, int64_t elem_size) {
    if (count > 0 && elem_size > 0 && count > INT64_MAX / elem_size) return INT64_MAX;
    return count * elem_size;
}

int hic_cur_need(hic_cur *c, int64_t count, int64_t elem_size) {
    if (count < 0) return hw_fail("%s: corrupt file (negative count %lld at offset %lld)", c->path, (long long)count,
                                  (long long)c->off);
    int64_t n = sat_mul(count, elem_size);
    if (c->off < 0 || c->off > c->size || n > c->size - c->off)
        return hw_fail("%s: truncated file (needed %lld bytes at offset %lld, file has %lld)", c->path, (long long)n,
                       (long long)c->off, (long long)c->size);
    return 0;
}

/* Only a negative offset fails here: one past the end fails at the first
 * read, as "truncated", which is what a cut-off file should report. */
int hic_cur_seek(hic_cur *c, int64_t off) {
    if (off < 0) return hw_fail("%s: corrupt file (negative offset %lld)", c->path, (long long)off);
    c->off = off;
    return 0;
}

int hic_cur_skip(hic_cur *c, int64_t count, int64_t elem_size) {
    if (hic_cur_need(c, count, elem_size) != 0) return -1;
    c->off += count * elem_size;
    return 0;
}

/* Make [off, off+n) available in the window (n already checked in the file). */
static int fill(hic_cur *c, int64_t n) {
    if (c->off >= c->win_off && c->off + n <= c->win_off + c->win_len) return 0;
    int64_t len = n > HIC_WINDOW ? n : HIC_WINDOW;
    if (len > c->size - c->off) len = c->size - c->off;
    hw_grow(&c->win, &c->win_cap, (size_t)len);
    if (hic_pread_all(c->fd, c->path, c->win, (size_t)len, c->off) != 0) return -1;
    c->win_off = c->off;
    c->win_len = len;
    return 0;
}

int hic_cur_bytes(hic_cur *c, void *out, int64_t n) {
    if (hic_cur_need(c, n, 1) != 0 || fill(c, n) != 0) return -1;
    memcpy(out, c->win + (c->off - c->win_off), (size_t)n);
    c->off += n;
    return 0;
}

/* The format is little-endian; assemble values byte by byte so the reader
 * does not depend on the host's byte order or alignment. */
static uint64_t le(const unsigned char *b, int n) {
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; k--) v = (v << 8) | b[k];
    return v;
}

int hic_cur_i8(hic_cur *c, int8_t *v) {
    unsigned char b[1];
    if (hic_cur_bytes(c, b, 1) != 0) return -1;
    *v = (int8_t)b[0];
    return 0;
}

int hic_cur_i16(hic_cur *c, int16_t *v) {
    unsigned char b[2];
    if (hic_cur_bytes(c, b, 2) != 0) return -1;
    *v = (int16_t)(uint16_t)le(b, 2);
    return 0;
}

int hic_cur_i32(hic_cur *c, int32_t *v) {
    unsigned char b[4];
    if (hic_cur_bytes(c, b, 4) != 0) return -1;
    *v = (int32_t)(uint32_t)le(b, 4);
    return 0;
}

int hic_cur_i64(hic_cur *c, int64_t *v) {
    unsigned char b[8];
    if (hic_cur_bytes(c, b, 8) != 0) return -1;
    *v = (int64_t)le(b, 8);
    return 0;
}

int hic_cur_f32(hic_cur *c, float *v) {
    int32_t bits;
    if (hic_cur_i32(c, &bits) != 0) return -1;
    memcpy(v, &bits, 4);
    return 0;
}

int hic_cur_f64(hic_cur *c, double *v) {
    int64_t bits;
    if (hic_cur_i64(c, &bits) != 0) return -1;
    memcpy(v, &bits, 8);
    return 0;
}

int hic_cur_str(hic_cur *c, char *out, size_t cap) {
    size_t n = 0;
    int64_t start = c->off;
    for (;;) {
        if (c->off >= c->size)
            return hw_fail("%s: truncated file (string at offset %lld has no end, file has %lld)", c->path,
                           (long long)start, (long long)c->size);
        if (fill(c, 1) != 0) return -1;
        /* scan the rest of the window for the terminator in one go */
        const unsigned char *w = c->win + (c->off - c->win_off);
        int64_t avail = c->win_off + c->win_len - c->off;
        const unsigned char *nul = memchr(w, 0, (size_t)avail);
        int64_t take = nul ? (int64_t)(nul - w) : avail;
        if (out && n + 1 < cap) {
            size_t room = cap - 1 - n;
            size_t k = (size_t)take < room ? (size_t)take : room;
            memcpy(out + n, w, k);
            n += k;
        }
        c->off += take;
        if (nul) {
            c->off += 1;
            break;
        }
    }
    if (out && cap) out[n] = '\0';
    return 0;
}

int hic_cur_len(hic_cur *c, int version, int64_t *v) {
    if (version >= 9) return hic_cur_i64(c, v);
    int32_t x;
    if (hic_cur_i32(c, &x) != 0) return -1;
    *v = x;
    return 0;
}

int hic_cur_real(hic_cur *c, int version, double *v) {
    if (version >= 9) {
        float f;
        if (hic_cur_f32(c, &f) != 0) return -1;
        *v = f;
        return 0;
    }
    return hic_cur_f64(c, v);
}
