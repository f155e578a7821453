/* Streaming a cooler's pixels for a rectangle query (formats.md 10.4).
 *
 * The pixel table is CSR: the pixels of bin1 = p are rows
 * [bin1_offset[p], bin1_offset[p+1]) of pixels/bin2_id and pixels/count, with
 * bin2 sorted inside a row. A query becomes one contiguous range of bin1 rows,
 * read in slices of whole rows of about COOL_READ_PIXELS pixels: bin2_id for
 * the whole slice, then count only for the span that survives the column and
 * band filters (binary searches per row). Every pixel read is checked (bin2 in
 * range, sorted, upper triangle for symmetric-upper), which costs far less
 * than the decompression that produced it.
 *
 * Intra queries emit each stored pair once with i <= j: symmetric-upper files
 * store exactly that; square files store both triangles, so their q < p
 * pixels are skipped. Inter queries read the rows of the chromosome stored
 * first (symmetric-upper stores (earlier, later) chromosome pairs) and
 * transpose when the query asks the other way round. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cool_internal.h"
#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/xalloc.h"

static void grow_buffers(cool_file *c, size_t need) {
    if (need <= c->buf_cap) return;
    size_t cap = need < COOL_READ_PIXELS ? COOL_READ_PIXELS : need;
    free(c->bin1_buf);
    free(c->bin2_buf);
    free(c->count_buf);
    c->bin1_buf = xmalloc(cap * sizeof *c->bin1_buf);
    c->bin2_buf = xmalloc(cap * sizeof *c->bin2_buf);
    c->count_buf = xmalloc(cap * sizeof *c->count_buf);
    c->buf_cap = cap;
}

/* End of a slice of whole rows starting at `row`: the largest e <= r1 whose
 * pixels fit in COOL_READ_PIXELS, but at least one row (a huge row gets a
 * bigger buffer rather than being split, so duplicates and sorted order can
 * be handled within the buffer). */
static int64_t slice_end(const int64_t *off, int64_t row, int64_t r1) {
    int64_t lim = off[row] + COOL_READ_PIXELS;
    int64_t lo = row + 1, hi = r1;
    if (off[lo] > lim) return lo;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (off[mid] <= lim) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

static int64_t lower_bound(const int64_t *a, int64_t lo, int64_t hi, int64_t x) {
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Pixels [lo, hi) of row p (buffer indices) that pass the filters. */
static void row_span(const int64_t *b2, int64_t s, int64_t e, int64_t p, int64_t q0, int64_t q1,
                     int upper, int64_t band, int64_t *lo, int64_t *hi) {
    int64_t qlo = q0, qhi = q1;
    if (upper && p > qlo) qlo = p;
    if (band > 0 && p - band + 1 > qlo) qlo = p - band + 1;
    if (band > 0 && p + band < qhi) qhi = p + band;
    if (qlo >= qhi) {
        *lo = *hi = s;
        return;
    }
    *lo = lower_bound(b2, s, e, qlo);
    *hi = lower_bound(b2, *lo, e, qhi);
}

int cool_scan_rows(cool_file *c, cool_res *r, int norm, int64_t r0, int64_t r1, int64_t q0,
                   int64_t q1, int upper, int64_t band, cool_pixel_fn fn, void *ctx) {
    const int64_t *off = r->bin1_offset;
    const double *w = norm >= 0 ? r->norms[norm].w : NULL;
    int divisive = norm >= 0 && r->norms[norm].divisive;
    if (q0 >= q1) return 0;
    for (int64_t row = r0; row < r1;) {
        int64_t rend = slice_end(off, row, r1);
        int64_t a = off[row], n = off[rend] - a;
        if (n == 0) {
            row = rend;
            continue;
        }
        grow_buffers(c, (size_t)n);
        int64_t *b2 = c->bin2_buf;
        if (hw_h5_read_dset_slice(r->d_bin2, "pixels/bin2_id", H5T_NATIVE_INT64, a, n, b2) != 0)
            return hw_fail_prefix("%s", r->uri);

        /* check every id read, and find the span of wanted pixels */
        int64_t kmin = n, kmax = 0;
        for (int64_t p = row; p < rend; p++) {
            int64_t s = off[p] - a, e = off[p + 1] - a;
            for (int64_t k = s; k < e; k++) {
                int64_t q = b2[k];
                if (q < 0 || q >= r->nbins)
                    return hw_fail("%s: corrupt pixels: bin2_id %lld out of range at pixel %lld", r->uri,
                                   (long long)q, (long long)(a + k));
                if (k > s && q < b2[k - 1])
                    return hw_fail("%s: corrupt pixels: bin2_id not sorted at pixel %lld", r->uri,
                                   (long long)(a + k));
            }
            if (!r->square && e > s && b2[s] < p)
                return hw_fail("%s: corrupt pixels: bin2_id < bin1_id at pixel %lld of a "
                               "symmetric-upper cooler", r->uri, (long long)(a + s));
            int64_t lo, hi;
            row_span(b2, s, e, p, q0, q1, upper, band, &lo, &hi);
            if (lo < hi) {
                if (lo < kmin) kmin = lo;
                if (hi > kmax) kmax = hi;
            }
        }
        if (kmin >= kmax) {
            row = rend;
            continue;
        }
        double *cnt = c->count_buf; /* cnt[k - kmin] is the count of buffer pixel k */
        if (hw_h5_read_dset_slice(r->d_count, "pixels/count", H5T_NATIVE_DOUBLE, a + kmin, kmax - kmin,
                                  cnt) != 0)
            return hw_fail_prefix("%s", r->uri);
        /* bin1_id is redundant with the index, which is what we use; a pixel
         * whose bin1_id disagrees with it is corrupt, not to be trusted */
        int64_t *b1 = c->bin1_buf; /* b1[k - kmin] */
        if (hw_h5_read_dset_slice(r->d_bin1, "pixels/bin1_id", H5T_NATIVE_INT64, a + kmin, kmax - kmin, b1) != 0)
            return hw_fail_prefix("%s", r->uri);
        for (int64_t p = row; p < rend; p++) {
            int64_t s = off[p] - a, e = off[p + 1] - a;
            if (s < kmin) s = kmin;
            if (e > kmax) e = kmax;
            for (int64_t k = s; k < e; k++)
                if (b1[k - kmin] != p)
                    return hw_fail("%s: corrupt pixels: bin1_id %lld at pixel %lld, but the index puts it in "
                                   "row %lld", r->uri, (long long)b1[k - kmin], (long long)(a + k), (long long)p);
        }

        for (int64_t p = row; p < rend; p++) {
            int64_t lo, hi;
            row_span(b2, off[p] - a, off[p + 1] - a, p, q0, q1, upper, band, &lo, &hi);
            for (int64_t k = lo; k < hi; k++) {
                int64_t q = b2[k];
                double v = cnt[k - kmin];
                while (k + 1 < hi && b2[k + 1] == q) v += cnt[++k - kmin]; /* duplicates: sum */
                if (w) v = divisive ? v / (w[p] * w[q]) : v * w[p] * w[q];
                if (fn(ctx, p, q, v) != 0) return -1;
            }
        }
        row = rend;
    }
    return 0;
}

/* ---- the public query ---------------------------------------------------- */

typedef struct {
    const hw_query *q;
    int intra, transpose, oe;
    int64_t A0, A1, B0, B1; /* genome-wide id ranges of the query's rows and columns */
    int64_t base1, base2;   /* chromosome-relative bin = id + base */
    const double *exp;      /* intra oe: exp[q - p] */
    double trans_mean;      /* inter oe */
    hw_contact_fn fn;
    void *ctx;
    int collect; /* gather into px instead of emitting (whole-chromosome oe) */
    cool_pixel *px;
    size_t npx, cap;
} emit_ctx;

static int in_rect(const emit_ctx *e, int64_t p, int64_t q) {
    return (p >= e->A0 && p < e->A1 && q >= e->B0 && q < e->B1) ||
           (p >= e->B0 && p < e->B1 && q >= e->A0 && q < e->A1);
}

static int emit_cb(void *vctx, int64_t p, int64_t q, double v) {
    emit_ctx *e = vctx;
    if (e->intra) {
        if (!in_rect(e, p, q)) return 0; /* the row scan reads a superset */
        if (e->collect) {
            hw_grow(&e->px, &e->cap, e->npx + 1);
            e->px[e->npx++] = (cool_pixel){p, q, v};
            return 0;
        }
        if (e->oe) v /= e->exp[q - p];
        return e->fn(e->ctx, p + e->base1, q + e->base1, (float)v);
    }
    if (e->oe) v /= e->trans_mean;
    if (e->transpose) return e->fn(e->ctx, q + e->base1, p + e->base2, (float)v);
    return e->fn(e->ctx, p + e->base1, q + e->base2, (float)v);
}

/* Chromosome-relative bins [lo, hi) to genome-wide ids [*a, *b), clipped to
 * the chromosome's bins in the table. */
static void rel_to_ids(const cool_res *r, int ch, int64_t lo, int64_t hi, int64_t *a, int64_t *b) {
    int64_t b0 = r->chrom_offset[ch], nb = r->chrom_offset[ch + 1] - b0;
    int64_t l = lo - r->rel0[ch], h = hi - r->rel0[ch];
    if (l < 0) l = 0;
    if (h > nb) h = nb;
    if (h < l) h = l;
    *a = b0 + l;
    *b = b0 + h;
}

static int fetch_intra(cool_file *c, cool_res *r, int norm, emit_ctx *e) {
    const hw_query *q = e->q;
    int ch = q->chrom1;
    int64_t b0 = r->chrom_offset[ch], nb = r->chrom_offset[ch + 1] - b0;
    int64_t A0 = e->A0, A1 = e->A1, B0 = e->B0, B1 = e->B1;
    if (A0 >= A1 || B0 >= B1) return 0;
    /* Stored p <= q: a row p holds a wanted pixel only if p < B1 (p in A) or
     * p < A1 (p in B), so the rows are one interval. */
    int64_t m = A1 < B1 ? A1 : B1;
    int64_t r0 = A0 < B0 ? A0 : B0, r1 = m;
    int64_t q0 = A1 <= B0 ? B0 : B1 <= A0 ? A0 : r0, q1 = A1 > B1 ? A1 : B1;
    int64_t band = q->max_offset > 0 ? q->max_offset : 0;
    if (!e->oe) return cool_scan_rows(c, r, norm, r0, r1, q0, q1, 1, band, emit_cb, e);

    /* diagonals this query can touch */
    int64_t maxd = A1 - 1 - B0 > B1 - 1 - A0 ? A1 - 1 - B0 : B1 - 1 - A0;
    int64_t ndiag = maxd + 1 < nb ? maxd + 1 : nb;
    if (band > 0 && band < ndiag) ndiag = band;
    if (ndiag <= 0) return 0;
    e->exp = cool_expected_cached(r, norm, ch, ndiag);
    int whole = A0 == b0 && A1 == b0 + nb && B0 == b0 && B1 == b0 + nb;
    if (!e->exp && whole && band > 0) {
        /* the tiler's band: one read serves both the expected and the output
         * (only for a band: a whole chromosome's pixels could be too many) */
        e->collect = 1;
        int rc = cool_scan_rows(c, r, norm, r0, r1, q0, q1, 1, band, emit_cb, e);
        e->collect = 0;
        if (rc == 0) e->exp = cool_expected_cis(c, r, norm, ch, ndiag, e->px, (int64_t)e->npx);
        for (size_t k = 0; rc == 0 && e->exp && k < e->npx; k++) {
            const cool_pixel *x = &e->px[k];
            rc = e->fn(e->ctx, x->p + e->base1, x->q + e->base1, (float)(x->v / e->exp[x->q - x->p]));
        }
        free(e->px);
        e->px = NULL;
        return rc == 0 && e->exp ? 0 : -1;
    }
    if (!e->exp) e->exp = cool_expected_cis(c, r, norm, ch, ndiag, NULL, 0);
    if (!e->exp) return -1;
    return cool_scan_rows(c, r, norm, r0, r1, q0, q1, 1, band, emit_cb, e);
}

int cool_fetch(cool_file *c, const hw_query *q, hw_contact_fn fn, void *ctx) {
    cool_res *r = cool_find_res(c, q->resolution);
    if (!r) return -1;
    if (q->chrom1 < 0 || q->chrom1 >= c->info->nchroms || q->chrom2 < 0 || q->chrom2 >= c->info->nchroms)
        return hw_fail("%s: chromosome index out of range", c->path);
    int norm = cool_norm_index(r, q->norm);
    if (norm == -2) return hw_fail("%s: normalisation %s not available at %d bp", r->uri, q->norm, r->res);
    if (cool_res_load(c, r) != 0) return -1;
    if (norm >= 0 && cool_norm_load(c, r, norm) != 0) return -1;

    emit_ctx e = {.q = q, .oe = q->type == HW_OE, .fn = fn, .ctx = ctx};
    rel_to_ids(r, q->chrom1, q->lo1, q->hi1, &e.A0, &e.A1);
    rel_to_ids(r, q->chrom2, q->lo2, q->hi2, &e.B0, &e.B1);
    e.base1 = r->rel0[q->chrom1] - r->chrom_offset[q->chrom1];
    e.base2 = r->rel0[q->chrom2] - r->chrom_offset[q->chrom2];
    if (q->chrom1 == q->chrom2) {
        e.intra = 1;
        return fetch_intra(c, r, norm, &e);
    }
    if (e.A0 >= e.A1 || e.B0 >= e.B1) return 0;
    if (e.oe && cool_expected_trans(c, r, norm, q->chrom1, q->chrom2, &e.trans_mean) != 0) return -1;
    if (r->square || q->chrom1 < q->chrom2)
        return cool_scan_rows(c, r, norm, e.A0, e.A1, e.B0, e.B1, 0, 0, emit_cb, &e);
    e.transpose = 1;
    return cool_scan_rows(c, r, norm, e.B0, e.B1, e.A0, e.A1, 0, 0, emit_cb, &e);
}
