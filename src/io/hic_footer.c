/* The .hic footer (formats.md section 6) and the per-matrix block index
 * (section 4).
 *
 * At open we only locate things: the master index is kept (it is small), and
 * for expected and normalisation vectors we keep their offsets and skip their
 * values, which can be tens of MB at fine resolutions. Values are read the
 * first time a query needs them and then cached for the file's lifetime;
 * block indices are cached per (matrix, resolution) the same way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hic_internal.h"
#include "hitwin/error.h"
#include "hitwin/xalloc.h"

static int cmp_matrix(const void *a, const void *b) {
    const hic_matrix_entry *x = a, *y = b;
    if (x->c1 != y->c1) return x->c1 < y->c1 ? -1 : 1;
    if (x->c2 != y->c2) return x->c2 < y->c2 ? -1 : 1;
    return 0;
}

static int read_master_index(hic_file *h) {
    hic_cur *c = &h->cur;
    int32_t n;
    if (hic_cur_i32(c, &n) != 0) return -1;
    if (n < 0) return hw_fail("%s: corrupt master index (%d entries)", h->path, n);
    size_t cap = 0;
    for (int32_t k = 0; k < n; k++) {
        char key[64];
        hic_matrix_entry e;
        if (hic_cur_str(c, key, sizeof key) != 0 || hic_cur_i64(c, &e.position) != 0 ||
            hic_cur_i32(c, &e.size) != 0)
            return -1;
        char tail;
        if (sscanf(key, "%d_%d%c", &e.c1, &e.c2, &tail) != 2 || e.c1 < 0 || e.c2 < 0)
            return hw_fail("%s: corrupt master index (key '%s')", h->path, key);
        /* checked here, so that `info` on a file cut inside its body fails too */
        if (e.position < 0 || e.size < 0 || e.position > c->size || e.size > c->size - e.position)
            return hw_fail("%s: truncated file (matrix %s needs %d bytes at offset %lld, file has %lld)", h->path,
                           key, e.size, (long long)e.position, (long long)c->size);
        if (e.c1 > e.c2) { /* the spec says c1 <= c2; tolerate the other order */
            int32_t t = e.c1;
            e.c1 = e.c2;
            e.c2 = t;
        }
        hw_grow(&h->matrices, &cap, (size_t)h->nmatrices + 1);
        h->matrices[h->nmatrices++] = e;
    }
    /* Entries come in no useful order; sort once and binary-search. */
    if (h->nmatrices > 1) qsort(h->matrices, (size_t)h->nmatrices, sizeof *h->matrices, cmp_matrix);
    return 0;
}

const hic_matrix_entry *hic_find_matrix(const hic_file *h, int32_t c1, int32_t c2) {
    hic_matrix_entry key = {.c1 = c1, .c2 = c2};
    if (h->nmatrices == 0) return NULL;
    return bsearch(&key, h->matrices, (size_t)h->nmatrices, sizeof key, cmp_matrix);
}

/* One expected vector record (raw: type given; normalised: type read first).
 * Records it when its unit is BP; values and factors are only skipped. */
static int read_expected_entry(hic_file *h, int normalised, size_t *cap) {
    hic_cur *c = &h->cur;
    int v9 = h->version >= 9;
    char type[64] = "NONE", unit[16];
    hic_expected e;
    memset(&e, 0, sizeof e);
    if (normalised && hic_cur_str(c, type, sizeof type) != 0) return -1;
    if (hic_cur_str(c, unit, sizeof unit) != 0 || hic_cur_i32(c, &e.res) != 0 ||
        hic_cur_len(c, h->version, &e.nvalues) != 0)
        return -1;
    e.values_off = c->off;
    if (hic_cur_skip(c, e.nvalues, v9 ? 4 : 8) != 0 || hic_cur_i32(c, &e.nfactors) != 0) return -1;
    e.factors_off = c->off;
    if (hic_cur_skip(c, e.nfactors, v9 ? 8 : 12) != 0) return -1;
    if (strcmp(unit, "BP") != 0 || strlen(type) >= sizeof e.type) return 0;
    memcpy(e.type, type, strlen(type) + 1);
    hw_grow(&h->expected, cap, (size_t)h->nexpected + 1);
    h->expected[h->nexpected++] = e;
    return 0;
}

static int read_norm_index(hic_file *h) {
    hic_cur *c = &h->cur;
    int32_t n;
    if (hic_cur_i32(c, &n) != 0) return -1;
    if (n < 0) return hw_fail("%s: corrupt normalisation index (%d entries)", h->path, n);
    size_t cap = 0;
    for (int32_t k = 0; k < n; k++) {
        char type[64], unit[16];
        hic_normvec v;
        memset(&v, 0, sizeof v);
        if (hic_cur_str(c, type, sizeof type) != 0 || hic_cur_i32(c, &v.chrom) != 0 ||
            hic_cur_str(c, unit, sizeof unit) != 0 || hic_cur_i32(c, &v.res) != 0 ||
            hic_cur_i64(c, &v.position) != 0 || hic_cur_len(c, h->version, &v.nbytes) != 0)
            return -1;
        /* a vector is an i32 (v8) or i64 (v9) count and its values */
        int64_t head = h->version >= 9 ? 8 : 4;
        if (v.position < 0 || v.nbytes < head || v.position > c->size || v.nbytes > c->size - v.position)
            return hw_fail("%s: truncated file (%s vector of chromosome index %d at %d %s needs %lld bytes at "
                           "offset %lld, file has %lld)", h->path, type, v.chrom, v.res, unit,
                           (long long)v.nbytes, (long long)v.position, (long long)c->size);
        if (strcmp(unit, "BP") != 0 || strlen(type) >= sizeof v.type) continue;
        memcpy(v.type, type, strlen(type) + 1);
        hw_grow(&h->norms, &cap, (size_t)h->nnorms + 1);
        h->norms[h->nnorms++] = v;
    }
    return 0;
}

int hic_footer_read(hic_file *h) {
    hic_cur *c = &h->cur;
    if (hic_cur_seek(c, h->master) != 0) return -1;
    int64_t nbytes_v5;
    if (hic_cur_len(c, h->version, &nbytes_v5) != 0) return -1;
    if (read_master_index(h) != 0) return -1;

    size_t cap = 0;
    int32_t n;
    if (hic_cur_i32(c, &n) != 0) return -1;
    if (n < 0) return hw_fail("%s: corrupt expected value section (%d vectors)", h->path, n);
    for (int32_t k = 0; k < n; k++)
        if (read_expected_entry(h, 0, &cap) != 0) return -1;

    /* Files without normalisations may end right after the raw expected
     * values (formats.md 6.4); the same holds for the norm index. */
    if (c->off < c->size) {
        if (hic_cur_i32(c, &n) != 0) return -1;
        if (n < 0) return hw_fail("%s: corrupt normalised expected section (%d vectors)", h->path, n);
        for (int32_t k = 0; k < n; k++)
            if (read_expected_entry(h, 1, &cap) != 0) return -1;
    }
    /* v9 says where the norm index is; the v8 family only gets there by walking. */
    if (h->version >= 9 && h->nvi_position > 0) {
        if (h->nvi_length < 4 || h->nvi_position > c->size || h->nvi_length > c->size - h->nvi_position)
            return hw_fail("%s: truncated file (normalisation index needs %lld bytes at offset %lld, file has %lld)",
                           h->path, (long long)h->nvi_length, (long long)h->nvi_position, (long long)c->size);
        if (hic_cur_seek(c, h->nvi_position) != 0) return -1;
        return read_norm_index(h);
    }
    if (c->off < c->size) return read_norm_index(h);
    return 0;
}

static void free_zoom_cache(hic_zoom_cache *z) {
    while (z) {
        hic_zoom_cache *next = z->next;
        free(z->z.number);
        free(z->z.pos);
        free(z->z.size);
        free(z);
        z = next;
    }
}

void hic_footer_free(hic_file *h) {
    for (int64_t k = 0; k < h->nexpected; k++) {
        free(h->expected[k].values);
        free(h->expected[k].fchrom);
        free(h->expected[k].factors);
    }
    for (int64_t k = 0; k < h->nnorms; k++) free(h->norms[k].values);
    free(h->expected);
    free(h->norms);
    free(h->matrices);
    free_zoom_cache(h->zooms);
    h->expected = NULL;
    h->norms = NULL;
    h->matrices = NULL;
    h->zooms = NULL;
}

/* count reals (f64 in v8, f32 in v9) at the cursor into a new array; the
 * count was validated against the file size by the caller. */
static int read_reals(hic_file *h, int64_t count, double **out) {
    double *v = xmalloc((size_t)(count ? count : 1) * sizeof *v);
    for (int64_t k = 0; k < count; k++) {
        if (hic_cur_real(&h->cur, h->version, &v[k]) != 0) {
            free(v);
            return -1;
        }
    }
    *out = v;
    return 0;
}

int hic_get_expected(hic_file *h, const char *norm, int32_t res, const hic_expected **out) {
    *out = NULL;
    hic_expected *e = NULL;
    for (int64_t k = 0; k < h->nexpected && !e; k++)
        if (h->expected[k].res == res && strcmp(h->expected[k].type, norm) == 0) e = &h->expected[k];
    if (!e) return 0;
    if (!e->loaded) {
        hic_cur *c = &h->cur;
        int64_t w = h->version >= 9 ? 4 : 8;
        if (hic_cur_seek(c, e->values_off) != 0 || hic_cur_need(c, e->nvalues, w) != 0 ||
            read_reals(h, e->nvalues, &e->values) != 0)
            return -1;
        if (hic_cur_seek(c, e->factors_off) != 0 || hic_cur_need(c, e->nfactors, 4 + w) != 0) {
            free(e->values);
            e->values = NULL;
            return -1;
        }
        e->fchrom = xmalloc((size_t)(e->nfactors ? e->nfactors : 1) * sizeof *e->fchrom);
        e->factors = xmalloc((size_t)(e->nfactors ? e->nfactors : 1) * sizeof *e->factors);
        for (int32_t k = 0; k < e->nfactors; k++) {
            if (hic_cur_i32(c, &e->fchrom[k]) != 0 || hic_cur_real(c, h->version, &e->factors[k]) != 0) {
                free(e->values);
                free(e->fchrom);
                free(e->factors);
                e->values = e->factors = NULL;
                e->fchrom = NULL;
                return -1;
            }
        }
        e->loaded = 1;
    }
    *out = e;
    return 0;
}

int hic_get_normvec(hic_file *h, const char *norm, int32_t file_chrom, int32_t res, const hic_normvec **out) {
    *out = NULL;
    hic_normvec *v = NULL;
    for (int64_t k = 0; k < h->nnorms && !v; k++)
        if (h->norms[k].res == res && h->norms[k].chrom == file_chrom && strcmp(h->norms[k].type, norm) == 0)
            v = &h->norms[k];
    if (!v) return 0;
    if (!v->loaded) {
        hic_cur *c = &h->cur;
        int64_t n, w = h->version >= 9 ? 4 : 8, head = h->version >= 9 ? 8 : 4;
        if (hic_cur_seek(c, v->position) != 0 || hic_cur_len(c, h->version, &n) != 0) return -1;
        /* the count must be what the index's byte length holds, and cover the
         * chromosome's bins (+1: Juicer's trailing entry, formats.md 6.6) */
        int64_t nbins = file_chrom >= 0 && file_chrom < h->nfile_chroms ? (h->file_lengths[file_chrom] + res - 1) / res : 0;
        if (n < 0 || n > (v->nbytes - head) / w || n * w + head != v->nbytes)
            return hw_fail("%s: corrupt %s vector of chromosome %s at %d bp (offset %lld): %lld values in %lld bytes",
                           h->path, norm, h->file_names[file_chrom], res, (long long)v->position, (long long)n,
                           (long long)v->nbytes);
        if (n < nbins || n > nbins + 1)
            return hw_fail("%s: corrupt %s vector of chromosome %s at %d bp (offset %lld): %lld values for %lld bins",
                           h->path, norm, h->file_names[file_chrom], res, (long long)v->position, (long long)n,
                           (long long)nbins);
        if (hic_cur_need(c, n, w) != 0 || read_reals(h, n, &v->values) != 0) return -1;
        v->nvalues = n;
        v->loaded = 1;
    }
    *out = v;
    return 0;
}

/* Parse the matrix metadata record (section 4) and keep the block index of
 * the BP zoom with this bin size. */
static int read_zoom(hic_file *h, const hic_matrix_entry *m, int32_t res, hic_zoom_cache *zc) {
    hic_cur *c = &h->cur;
    int32_t c1, c2, nres;
    if (hic_cur_seek(c, m->position) != 0 || hic_cur_i32(c, &c1) != 0 || hic_cur_i32(c, &c2) != 0 ||
        hic_cur_i32(c, &nres) != 0)
        return -1;
    if (!((c1 == m->c1 && c2 == m->c2) || (c1 == m->c2 && c2 == m->c1)))
        return hw_fail("%s: corrupt matrix record at offset %lld (holds %d_%d, master index says %d_%d)", h->path,
                       (long long)m->position, c1, c2, m->c1, m->c2);
    if (nres < 0) return hw_fail("%s: corrupt matrix record at offset %lld (%d resolutions)", h->path,
                                 (long long)m->position, nres);
    for (int32_t r = 0; r < nres; r++) {
        char unit[16];
        int32_t zoom_idx, bin_size, bbc, bcc, nblocks;
        float sum, unused;
        if (hic_cur_str(c, unit, sizeof unit) != 0 || hic_cur_i32(c, &zoom_idx) != 0 || hic_cur_f32(c, &sum) != 0 ||
            hic_cur_f32(c, &unused) != 0 || hic_cur_f32(c, &unused) != 0 || hic_cur_f32(c, &unused) != 0 ||
            hic_cur_i32(c, &bin_size) != 0 || hic_cur_i32(c, &bbc) != 0 || hic_cur_i32(c, &bcc) != 0 ||
            hic_cur_i32(c, &nblocks) != 0)
            return -1;
        if (strcmp(unit, "BP") != 0 || bin_size != res) {
            if (hic_cur_skip(c, nblocks, 16) != 0) return -1;
            continue;
        }
        if (bbc <= 0 || bcc <= 0)
            return hw_fail("%s: corrupt matrix record at offset %lld (block size %d, %d block columns)", h->path,
                           (long long)m->position, bbc, bcc);
        if (hic_cur_need(c, nblocks, 16) != 0) return -1;
        hic_zoom *z = &zc->z;
        z->bin_size = bin_size;
        z->bbc = bbc;
        z->bcc = bcc;
        z->sum_counts = sum;
        z->nblocks = nblocks;
        z->number = xmalloc((size_t)(nblocks ? nblocks : 1) * sizeof *z->number);
        z->pos = xmalloc((size_t)(nblocks ? nblocks : 1) * sizeof *z->pos);
        z->size = xmalloc((size_t)(nblocks ? nblocks : 1) * sizeof *z->size);
        for (int32_t b = 0; b < nblocks; b++) {
            if (hic_cur_i32(c, &z->number[b]) != 0 || hic_cur_i64(c, &z->pos[b]) != 0 ||
                hic_cur_i32(c, &z->size[b]) != 0)
                return -1;
            if (z->pos[b] < 0 || z->size[b] < 0 || z->pos[b] > c->size || z->size[b] > c->size - z->pos[b])
                return hw_fail("%s: truncated file (block %d of matrix %d_%d at %d bp needs %d bytes at offset %lld, "
                               "file has %lld)", h->path, z->number[b], m->c1, m->c2, res, z->size[b],
                               (long long)z->pos[b], (long long)c->size);
        }
        zc->present = 1;
        return 0;
    }
    return 0; /* no zoom at this resolution: no contacts */
}

int hic_load_zoom(hic_file *h, const hic_matrix_entry *m, int32_t res, const hic_zoom **out) {
    *out = NULL;
    for (hic_zoom_cache *z = h->zooms; z; z = z->next)
        if (z->c1 == m->c1 && z->c2 == m->c2 && z->res == res) {
            *out = z->present ? &z->z : NULL;
            return 0;
        }
    hic_zoom_cache *zc = xcalloc(1, sizeof *zc);
    zc->c1 = m->c1;
    zc->c2 = m->c2;
    zc->res = res;
    if (read_zoom(h, m, res, zc) != 0) {
        free_zoom_cache(zc);
        return -1;
    }
    zc->next = h->zooms;
    h->zooms = zc;
    *out = zc->present ? &zc->z : NULL;
    return 0;
}
