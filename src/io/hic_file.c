/* .hic reader (Juicer format v6-v9): header, hw_info, and the fetch
 * primitive of contacts.h (block selection, filtering, normalisation, O/E).
 * Layout notes: ../shared/docs/formats.md sections 1-9; the footer lives in
 * hic_footer.c, block payloads in hic_block.c, byte reads in hic_read.c.
 *
 * A hic_file keeps one read cursor and per-file caches, so one hic_file must
 * not be used from two threads at once (open one per thread). */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <errno.h>

#include "hic_internal.h"
#include "hitwin/error.h"
#include "hitwin/xalloc.h"

/* ---- header --------------------------------------------------------------- */

static int read_header(hic_file *h, hw_info *info) {
    hic_cur *c = &h->cur;
    char magic[4] = {0};
    if (c->size < 4 || hic_cur_bytes(c, magic, 4) != 0 || memcmp(magic, "HIC", 4) != 0)
        return hw_fail("%s: not a .hic file (bad magic)", h->path);
    int32_t version;
    if (hic_cur_i32(c, &version) != 0) return -1;
    if (version < 6 || version > 9) return hw_fail("%s: unsupported .hic version %d", h->path, version);
    h->version = version;
    if (hic_cur_i64(c, &h->master) != 0) return -1;
    if (h->master < 0) return hw_fail("%s: corrupt header (master index at offset %lld)", h->path,
                                      (long long)h->master);
    if (hic_cur_str(c, info->genome, sizeof info->genome) != 0) return -1;
    if (!info->genome[0]) snprintf(info->genome, sizeof info->genome, "unknown");
    if (version >= 9 && (hic_cur_i64(c, &h->nvi_position) != 0 || hic_cur_i64(c, &h->nvi_length) != 0)) return -1;

    int32_t nattr;
    if (hic_cur_i32(c, &nattr) != 0) return -1;
    if (nattr < 0) return hw_fail("%s: corrupt header (%d attributes)", h->path, nattr);
    for (int32_t k = 0; k < nattr; k++) /* key and value: nothing we use */
        if (hic_cur_str(c, NULL, 0) != 0 || hic_cur_str(c, NULL, 0) != 0) return -1;

    int32_t nchr;
    if (hic_cur_i32(c, &nchr) != 0) return -1;
    if (nchr < 0) return hw_fail("%s: corrupt header (%d chromosomes)", h->path, nchr);
    size_t cap_n = 0, cap_l = 0; /* grown per entry: a fuzzed count runs into EOF, not into malloc */
    for (int32_t k = 0; k < nchr; k++) {
        hw_grow(&h->file_names, &cap_n, (size_t)k + 1);
        hw_grow(&h->file_lengths, &cap_l, (size_t)k + 1);
        if (hic_cur_str(c, h->file_names[k], HW_NAME_CAP) != 0 ||
            hic_cur_len(c, version, &h->file_lengths[k]) != 0)
            return -1;
        if (h->file_lengths[k] < 0)
            return hw_fail("%s: corrupt header (chromosome %d has length %lld)", h->path, k,
                           (long long)h->file_lengths[k]);
        h->nfile_chroms = k + 1;
    }

    int32_t nres;
    if (hic_cur_i32(c, &nres) != 0) return -1;
    if (nres < 0) return hw_fail("%s: corrupt header (%d resolutions)", h->path, nres);
    if (hic_cur_need(c, nres, 4) != 0) return -1;
    info->resolutions = xmalloc((size_t)(nres ? nres : 1) * sizeof *info->resolutions);
    for (int32_t k = 0; k < nres; k++) {
        if (hic_cur_i32(c, &info->resolutions[k]) != 0) return -1;
        if (info->resolutions[k] <= 0)
            return hw_fail("%s: corrupt header (resolution %d bp)", h->path, info->resolutions[k]);
    }
    info->nresolutions = nres;
    /* fragment resolutions and sites follow: not used */
    return 0;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

/* hw_info: biological chromosomes (no "All"), resolutions ascending without
 * duplicates, norms "NONE" then every type in the norm index, first seen first. */
static void fill_info(hic_file *h, hw_info *info) {
    info->format = HW_FORMAT_HIC;
    info->version = h->version;
    info->chroms = xcalloc((size_t)(h->nfile_chroms ? h->nfile_chroms : 1), sizeof *info->chroms);
    h->file_index = xcalloc((size_t)(h->nfile_chroms ? h->nfile_chroms : 1), sizeof *h->file_index);
    info->nchroms = 0;
    for (int k = 0; k < h->nfile_chroms; k++) {
        if (strcasecmp(h->file_names[k], "All") == 0) continue;
        hw_chrom *ch = &info->chroms[info->nchroms];
        memcpy(ch->name, h->file_names[k], sizeof ch->name);
        ch->length = h->file_lengths[k];
        h->file_index[info->nchroms++] = k;
    }

    int n = info->nresolutions, m = 0;
    if (n > 1) qsort(info->resolutions, (size_t)n, sizeof *info->resolutions, cmp_i32);
    for (int k = 0; k < n; k++)
        if (m == 0 || info->resolutions[k] != info->resolutions[m - 1]) info->resolutions[m++] = info->resolutions[k];
    info->nresolutions = m;

    size_t cap = 0;
    hw_grow(&info->norms, &cap, 1);
    snprintf(info->norms[0], sizeof info->norms[0], "NONE");
    info->nnorms = 1;
    for (int64_t k = 0; k < h->nnorms; k++) {
        int seen = 0;
        for (int j = 0; j < info->nnorms && !seen; j++) seen = strcmp(info->norms[j], h->norms[k].type) == 0;
        if (seen) continue;
        hw_grow(&info->norms, &cap, (size_t)info->nnorms + 1);
        memcpy(info->norms[info->nnorms++], h->norms[k].type, sizeof info->norms[0]);
    }
}

static void free_info(hw_info *info) {
    free(info->chroms);
    free(info->resolutions);
    free(info->norms);
    info->chroms = NULL;
    info->resolutions = NULL;
    info->norms = NULL;
    info->nchroms = info->nresolutions = info->nnorms = 0;
}

hic_file *hic_open(const char *path, hw_info *info) {
    memset(info, 0, sizeof *info);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        hw_fail("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        hw_fail("%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    hic_file *h = xcalloc(1, sizeof *h);
    h->path = xstrdup(path);
    h->fd = fd;
    h->info = info;
    hic_cur_init(&h->cur, fd, h->path, (int64_t)st.st_size);
    if (read_header(h, info) != 0 || hic_footer_read(h) != 0) {
        hic_close(h);
        return NULL;
    }
    fill_info(h, info);
    return h;
}

void hic_close(hic_file *h) {
    if (!h) return;
    hic_footer_free(h);
    hic_inflater_free(&h->z);
    hic_cur_free(&h->cur);
    free_info(h->info);
    free(h->file_names);
    free(h->file_lengths);
    free(h->file_index);
    if (h->fd >= 0) close(h->fd);
    free(h->path);
    free(h);
}

int64_t hic_nbins(const hic_file *h, int chrom, int32_t resolution) {
    if (chrom < 0 || chrom >= h->info->nchroms)
        return hw_fail("%s: chromosome index %d out of range", h->path, chrom);
    if (resolution <= 0) return hw_fail("%s: invalid resolution %d", h->path, resolution);
    return (h->info->chroms[chrom].length + resolution - 1) / resolution;
}

int hic_has_norm(const hic_file *h, const char *norm, int32_t resolution) {
    if (strcmp(norm, "NONE") == 0) return 1;
    for (int64_t k = 0; k < h->nnorms; k++) {
        const hic_normvec *v = &h->norms[k];
        if (v->res != resolution || strcmp(v->type, norm) != 0) continue;
        for (int c = 0; c < h->info->nchroms; c++) /* a biological chromosome, not "All" */
            if (h->file_index[c] == v->chrom) return 1;
    }
    return 0;
}

/* ---- fetch ---------------------------------------------------------------- */

typedef struct {
    int64_t lo, hi; /* inclusive */
} range;

static int overlaps(range a, range b) { return a.lo <= b.hi && b.lo <= a.hi; }

/* Everything the record callback needs, in the file's orientation: x on the
 * key's first chromosome (the smaller file index), y on the second. */
typedef struct {
    range X, Y;
    int intra, transpose;
    int64_t nbx, nby;    /* bins of the two chromosomes */
    int64_t max_offset;  /* intra only; 0 = no limit */
    const double *nx, *ny; /* norm vectors, NULL for NONE */
    int64_t nnx, nny;
    int use_norm;
    int oe;
    const double *ev;    /* intra expected values, already divided by the scale factor */
    int64_t nev;
    double inter_avg;    /* inter expected */
    hw_contact_fn fn;
    void *ctx;
    int stopped;
} emit_ctx;

static int in(int64_t v, range r) { return v >= r.lo && v <= r.hi; }

static void emit(void *p, int64_t x, int64_t y, float raw) {
    emit_ctx *e = p;
    if (e->stopped) return;
    if (x < 0 || x >= e->nbx || y < 0 || y >= e->nby) return; /* records past the chromosome end exist */
    if (e->intra && x > y) { /* not written by known tools, but keep the i <= j promise */
        int64_t t = x;
        x = y;
        y = t;
    }
    if (!((in(x, e->X) && in(y, e->Y)) || (e->intra && in(y, e->X) && in(x, e->Y)))) return;
    if (e->intra && e->max_offset > 0 && y - x >= e->max_offset) return;
    double v = raw;
    if (e->use_norm) {
        double a = e->nx && x < e->nnx ? e->nx[x] : NAN;
        double b = e->ny && y < e->nny ? e->ny[y] : NAN;
        v = v / (a * b);
    }
    if (e->oe) {
        if (e->intra) {
            int64_t d = y - x;
            if (d > e->nev - 1) d = e->nev - 1;
            v = v / (e->nev > 0 ? e->ev[d] : NAN);
        } else {
            v = v / e->inter_avg;
        }
    }
    int rc = e->transpose ? e->fn(e->ctx, y, x, (float)v) : e->fn(e->ctx, x, y, (float)v);
    if (rc != 0) e->stopped = 1;
}

/* Could block b hold a record of the query? Deliberately loose: records are
 * filtered exactly in emit(). */
static int block_wanted(const hic_zoom *z, int32_t b, int v9_intra, const emit_ctx *e) {
    if (b < 0) return 0;
    int64_t bbc = z->bbc, row = b / z->bcc, col = b % z->bcc;
    if (!v9_intra) { /* row-major grid: column on x, row on y (formats.md 7.1) */
        range bx = {col * bbc, col * bbc + bbc - 1}, by = {row * bbc, row * bbc + bbc - 1};
        int hit = (overlaps(bx, e->X) && overlaps(by, e->Y)) || (e->intra && overlaps(bx, e->Y) && overlaps(by, e->X));
        if (!hit) return 0;
        if (e->intra && e->max_offset > 0) {
            int64_t dmin = by.lo - bx.hi > bx.lo - by.hi ? by.lo - bx.hi : bx.lo - by.hi;
            if (dmin >= e->max_offset) return 0;
        }
        return 1;
    }
    /* v9 intra (7.2): block = depth * bcc + pad; pad runs along the diagonal
     * on (x+y)/2, depth is a band of |x-y| whose width doubles per step. */
    int64_t depth = row, pad = col;
    range s = {(e->X.lo + e->Y.lo) / 2, (e->X.hi + e->Y.hi) / 2};
    range sp = {pad * bbc, pad * bbc + bbc - 1};
    if (!overlaps(s, sp)) return 0;
    int64_t a = e->X.hi - e->Y.lo, c = e->X.lo - e->Y.hi;
    double dlo = overlaps(e->X, e->Y) ? 0 : (double)(llabs(a) < llabs(c) ? llabs(a) : llabs(c));
    double dhi = (double)(llabs(a) > llabs(c) ? llabs(a) : llabs(c));
    if (e->max_offset > 0 && dhi > (double)(e->max_offset - 1)) dhi = (double)(e->max_offset - 1);
    if (dlo > dhi) return 0;
    /* band of depth k: [(2^k - 1), (2^(k+1) - 1)) * sqrt(2) * bbc, widened by a bin for rounding */
    double unit = sqrt(2.0) * (double)bbc;
    double blo = (ldexp(1.0, (int)(depth < 1000 ? depth : 1000)) - 1) * unit - 1;
    double bhi = (ldexp(1.0, (int)(depth < 1000 ? depth + 1 : 1001)) - 1) * unit + 1;
    return dlo <= bhi && dhi >= blo;
}

static int fetch_fail_chrom(const hic_file *h, int32_t fc) {
    return hw_fail("%s: chromosome index %d out of range", h->path, fc);
}

int hic_fetch(hic_file *h, const hw_query *q, hw_contact_fn fn, void *ctx) {
    const hw_info *info = h->info;
    if (q->chrom1 < 0 || q->chrom1 >= info->nchroms) return fetch_fail_chrom(h, q->chrom1);
    if (q->chrom2 < 0 || q->chrom2 >= info->nchroms) return fetch_fail_chrom(h, q->chrom2);
    if (q->resolution <= 0) return hw_fail("%s: invalid resolution %d", h->path, q->resolution);
    const char *norm = q->norm ? q->norm : "NONE";
    int32_t res = q->resolution;
    int32_t f1 = h->file_index[q->chrom1], f2 = h->file_index[q->chrom2];

    emit_ctx e;
    memset(&e, 0, sizeof e);
    e.fn = fn;
    e.ctx = ctx;
    e.intra = f1 == f2;
    e.transpose = f1 > f2; /* the file stores f2_f1: x is on q->chrom2 */
    int32_t kx = e.transpose ? f2 : f1, ky = e.transpose ? f1 : f2;
    e.nbx = (h->file_lengths[kx] + res - 1) / res;
    e.nby = (h->file_lengths[ky] + res - 1) / res;
    range r1 = {q->lo1, q->hi1 - 1}, r2 = {q->lo2, q->hi2 - 1};
    e.X = e.transpose ? r2 : r1;
    e.Y = e.transpose ? r1 : r2;
    if (e.X.lo < 0) e.X.lo = 0;
    if (e.Y.lo < 0) e.Y.lo = 0;
    if (e.X.hi > e.nbx - 1) e.X.hi = e.nbx - 1;
    if (e.Y.hi > e.nby - 1) e.Y.hi = e.nby - 1;
    e.max_offset = e.intra && q->max_offset > 0 ? q->max_offset : 0;
    e.oe = q->type == HW_OE;

    char where[2 * HW_NAME_CAP + 64];
    if (e.intra)
        snprintf(where, sizeof where, "chromosome %s, resolution %d", h->file_names[kx], res);
    else
        snprintf(where, sizeof where, "chromosomes %s and %s, resolution %d", h->file_names[kx], h->file_names[ky],
                 res);

    /* Norm vectors and expected values come first: a missing expected vector
     * is an error even when the rectangle happens to be empty. */
    if (strcmp(norm, "NONE") != 0) {
        const hic_normvec *vx, *vy;
        if (hic_get_normvec(h, norm, kx, res, &vx) != 0 || hic_get_normvec(h, norm, ky, res, &vy) != 0) return -1;
        /* a chromosome without a vector is an error, as in straw: values
         * would otherwise come back NaN (hictk) without saying why */
        if (!vx || !vy)
            return hw_fail("%s: no %s normalisation vector for chromosome %s at %d bp", h->path, norm,
                           h->file_names[vx ? ky : kx], res);
        e.use_norm = 1;
        e.nx = vx->values, e.nnx = vx->nvalues;
        e.ny = vy->values, e.nny = vy->nvalues;
    }
    double *ev = NULL;
    if (e.oe && e.intra) {
        const hic_expected *ex;
        if (hic_get_expected(h, norm, res, &ex) != 0) return -1;
        if (!ex)
            return hw_fail("%s: no expected values for normalisation %s at %d bp (oe impossible)", h->path, norm,
                           res);
        double factor = 1.0;
        for (int32_t k = 0; k < ex->nfactors; k++)
            if (ex->fchrom[k] == kx) factor = ex->factors[k];
        ev = xmalloc((size_t)(ex->nvalues ? ex->nvalues : 1) * sizeof *ev);
        for (int64_t k = 0; k < ex->nvalues; k++) ev[k] = ex->values[k] / factor;
        e.ev = ev;
        e.nev = ex->nvalues;
    }

    int rc = 0;
    const hic_matrix_entry *m = hic_find_matrix(h, kx, ky);
    const hic_zoom *z = NULL;
    if (e.X.lo > e.X.hi || e.Y.lo > e.Y.hi || !m) goto done; /* empty query or no contacts */
    if (hic_load_zoom(h, m, res, &z) != 0) {
        rc = -1;
        goto done;
    }
    if (!z) goto done;
    if (e.oe && !e.intra) /* straw's inter expected: floor-based bin counts */
        e.inter_avg = (double)z->sum_counts / ((double)(h->file_lengths[kx] / res) * (double)(h->file_lengths[ky] / res));

    int v9_intra = h->version >= 9 && e.intra;
    for (int64_t b = 0; b < z->nblocks && !e.stopped; b++) {
        if (z->size[b] <= 0 || !block_wanted(z, z->number[b], v9_intra, &e)) continue;
        if (hic_block_read(&h->z, &h->cur, h->version, z->pos[b], z->size[b], where, emit, &e) != 0) {
            rc = -1;
            goto done;
        }
    }
    if (e.stopped) rc = -1; /* the callback set the error */
done:
    free(ev);
    return rc;
}
