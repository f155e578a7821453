/* Internals of the .hic reader shared by src/io/hic_*.c. Not a public header.
 *
 * hic_read.c    bounds-checked pread cursor (every byte read goes through it)
 * hic_block.c   one zlib block -> records (all v6..v9 record layouts)
 * hic_footer.c  master index, expected vectors, normalisation vectors
 * hic_file.c    header, hw_info, block selection and values (hic.h)
 *
 * Layout reference: ../shared/docs/formats.md sections 1-9. */
#ifndef HITWIN_HIC_INTERNAL_H
#define HITWIN_HIC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hitwin/hic.h"

struct libdeflate_decompressor;

/* ---- hic_read.c: a read cursor over the file ------------------------------ */

/* Reads through a small window so the header and footer, which are parsed
 * field by field, cost one pread per 64 KiB instead of one per field. Every
 * read checks the file size first: a truncated or fuzzed file produces
 * "<path>: truncated file (needed N bytes at offset O, file has S)". */
typedef struct {
    int fd;
    const char *path;
    int64_t size; /* file size in bytes */
    int64_t off;  /* next byte to read */
    unsigned char *win;
    int64_t win_off, win_len;
    size_t win_cap;
} hic_cur;

int hic_cur_init(hic_cur *c, int fd, const char *path, int64_t size);
void hic_cur_free(hic_cur *c);
int hic_cur_seek(hic_cur *c, int64_t off); /* fails only if off < 0 */
int hic_cur_skip(hic_cur *c, int64_t count, int64_t elem_size); /* count * elem_size bytes */
int hic_cur_need(hic_cur *c, int64_t count, int64_t elem_size); /* are they in the file? */
int hic_cur_bytes(hic_cur *c, void *out, int64_t n);
int hic_cur_i8(hic_cur *c, int8_t *v);
int hic_cur_i16(hic_cur *c, int16_t *v);
int hic_cur_i32(hic_cur *c, int32_t *v);
int hic_cur_i64(hic_cur *c, int64_t *v);
int hic_cur_f32(hic_cur *c, float *v);
int hic_cur_f64(hic_cur *c, double *v);
/* NUL-terminated string; copied into out (truncated to cap-1 bytes), or
 * skipped when out is NULL. */
int hic_cur_str(hic_cur *c, char *out, size_t cap);
/* i32 in the v8 family, i64 in v9 (the fields that widened in v9). */
int hic_cur_len(hic_cur *c, int version, int64_t *v);
/* f64 in the v8 family, f32 in v9. */
int hic_cur_real(hic_cur *c, int version, double *v);

/* pread exactly n bytes at off (n and off already validated against the size). */
int hic_pread_all(int fd, const char *path, void *buf, size_t n, int64_t off);

/* ---- hic_block.c: decode one block ---------------------------------------- */

/* One decoded record: x on the key's first chromosome, y on the second. */
typedef void (*hic_record_fn)(void *ctx, int64_t x, int64_t y, float v);

typedef struct {
    struct libdeflate_decompressor *dec;
    unsigned char *zbuf; /* compressed bytes */
    size_t zcap;
    unsigned char *buf; /* inflated payload, grown as needed */
    size_t cap;
} hic_inflater;

void hic_inflater_free(hic_inflater *z);

/* Read, inflate and decode the block at [pos, pos+size). `where` names the
 * matrix in error messages ("chromosome 1, resolution 10000"). */
int hic_block_read(hic_inflater *z, const hic_cur *file, int version, int64_t pos, int64_t size,
                   const char *where, hic_record_fn fn, void *ctx);

/* Decode an already inflated payload (exposed for clarity of the split). */
int hic_block_decode(const unsigned char *p, size_t n, int version, hic_record_fn fn, void *ctx);

/* ---- hic_footer.c: master index, expected and normalisation vectors ------- */

typedef struct {
    int32_t c1, c2;   /* file chromosome indices, c1 <= c2 */
    int64_t position; /* matrix metadata record */
    int32_t size;
} hic_matrix_entry;

/* An expected vector, located at open and read on first use. */
typedef struct {
    char type[32];  /* "NONE" for the raw section */
    int32_t res;
    int64_t nvalues;
    int64_t values_off;
    int32_t nfactors;
    int64_t factors_off;
    int loaded;
    double *values;   /* nvalues */
    int32_t *fchrom;  /* nfactors chromosome indices */
    double *factors;  /* nfactors */
} hic_expected;

/* A normalisation vector, indexed at open and read on first use. */
typedef struct {
    char type[32];
    int32_t chrom; /* file index */
    int32_t res;
    int64_t position, nbytes;
    int loaded;
    double *values;
    int64_t nvalues;
} hic_normvec;

typedef struct {
    int32_t bin_size, bbc, bcc; /* block side in bins, grid columns */
    float sum_counts;
    int64_t nblocks;
    int32_t *number;
    int64_t *pos;
    int32_t *size;
} hic_zoom;

typedef struct hic_zoom_cache {
    int32_t c1, c2, res;
    int present; /* 0: the matrix has no zoom at this resolution */
    hic_zoom z;
    struct hic_zoom_cache *next;
} hic_zoom_cache;

struct hic_file {
    char *path;
    int fd;
    int version;
    hic_cur cur;
    int64_t master;
    int64_t nvi_position, nvi_length; /* v9 */
    hw_info *info;

    int nfile_chroms;
    char (*file_names)[HW_NAME_CAP];
    int64_t *file_lengths;
    int *file_index; /* info chrom k -> file index */

    hic_matrix_entry *matrices; /* sorted by (c1, c2) */
    int64_t nmatrices;
    hic_expected *expected;
    int64_t nexpected;
    hic_normvec *norms;
    int64_t nnorms;

    hic_zoom_cache *zooms; /* block indices read so far */
    hic_inflater z;
};

int hic_footer_read(hic_file *h);
void hic_footer_free(hic_file *h);
const hic_matrix_entry *hic_find_matrix(const hic_file *h, int32_t c1, int32_t c2);
/* The block index of a matrix at a BP resolution; *zoom = NULL when absent. */
int hic_load_zoom(hic_file *h, const hic_matrix_entry *m, int32_t res, const hic_zoom **zoom);
/* Expected vector (NONE or a normalisation) at res, loaded; NULL if the file has none. */
int hic_get_expected(hic_file *h, const char *norm, int32_t res, const hic_expected **e);
/* Normalisation vector of a file chromosome; *nv = NULL when the file has none. */
int hic_get_normvec(hic_file *h, const char *norm, int32_t file_chrom, int32_t res,
                    const hic_normvec **nv);

#endif
