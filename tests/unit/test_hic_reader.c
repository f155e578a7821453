/* .hic reader against straw's answers and against bad input.
 *
 * Expected values come from tests/data/hic_expected.tsv, written by
 * tests/fixtures/make_hic_fixtures.py from hicstraw output on
 * ../shared/data/straw_test.hic (v8) and on our own fixtures: a v8 and a v9
 * file with a multi-column block grid, every record layout and several norms,
 * and a v9 file written by hictkpy. Raw counts must match exactly,
 * normalised values to 1e-5 relative. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../../src/io/hic_internal.h" /* the norm index, to aim the damage */

#include "hitwin/contacts.h"
#include "hitwin/error.h"
#include "hitwin/hic.h"
#include "test_util.h"

#define DATA(name) "tests/data/" name

/* ---- collecting records ---------------------------------------------------- */

typedef struct {
    int64_t i, j;
    float v;
} rec;

typedef struct {
    rec *r;
    size_t n, cap;
} recs;

static int collect(void *ctx, int64_t i, int64_t j, float v) {
    recs *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->r = realloc(c->r, c->cap * sizeof *c->r);
    }
    c->r[c->n++] = (rec){i, j, v};
    return 0;
}

static int cmp_rec(const void *a, const void *b) {
    const rec *x = a, *y = b;
    if (x->i != y->i) return x->i < y->i ? -1 : 1;
    if (x->j != y->j) return x->j < y->j ? -1 : 1;
    return 0;
}

static const rec *find_rec(const recs *c, int64_t i, int64_t j) {
    rec key = {i, j, 0};
    if (c->n == 0) return NULL;
    return bsearch(&key, c->r, c->n, sizeof key, cmp_rec);
}

static int fetch(hw_contacts *f, const hw_query *q, recs *out) {
    out->n = 0;
    int rc = hw_contacts_fetch(f, q, collect, out);
    if (rc == 0 && out->n > 1) qsort(out->r, out->n, sizeof *out->r, cmp_rec);
    return rc;
}

/* ---- the fixture file -------------------------------------------------------- */

typedef struct {
    char file[64], norm[32], kind[16], c1[32], c2[32];
    int32_t res;
    int64_t lo1, hi1, lo2, hi2, nrec;
    double sum;
    int full;
    rec *listed;
    int64_t nlisted;
} fixture_query;

typedef struct {
    char file[64];
    int32_t number;
    int64_t offset, size, mindist; /* mindist: bands this wide never read it */
} fixture_block;

static fixture_query *queries;
static int nqueries;
static fixture_block blocks[16];
static int nblocks;

static int load_fixture(void) {
    FILE *fp = fopen(DATA("hic_expected.tsv"), "r");
    if (!fp) {
        fprintf(stderr, "cannot open %s\n", DATA("hic_expected.tsv"));
        return -1;
    }
    char line[1024];
    int cap = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#') continue;
        if (line[0] == 'B' && nblocks < 16) {
            fixture_block *b = &blocks[nblocks++];
            sscanf(line, "B\t%63s\t%d\t%ld\t%ld\t%ld", b->file, &b->number, &b->offset, &b->size, &b->mindist);
            continue;
        }
        if (line[0] != 'Q') continue;
        if (nqueries == cap) {
            cap = cap ? 2 * cap : 64;
            queries = realloc(queries, (size_t)cap * sizeof *queries);
        }
        fixture_query *q = &queries[nqueries++];
        memset(q, 0, sizeof *q);
        int n = sscanf(line, "Q\t%63s\t%d\t%31s\t%15s\t%31s\t%31s\t%ld\t%ld\t%ld\t%ld\t%ld\t%lf\t%d\t%ld", q->file,
                       &q->res, q->norm, q->kind, q->c1, q->c2, &q->lo1, &q->hi1, &q->lo2, &q->hi2, &q->nrec,
                       &q->sum, &q->full, &q->nlisted);
        if (n != 14) {
            fprintf(stderr, "bad fixture line: %s", line);
            fclose(fp);
            return -1;
        }
        q->listed = malloc((size_t)(q->nlisted ? q->nlisted : 1) * sizeof *q->listed);
        for (int64_t k = 0; k < q->nlisted; k++) {
            double v;
            if (!fgets(line, sizeof line, fp) || sscanf(line, "%ld\t%ld\t%lf", &q->listed[k].i, &q->listed[k].j, &v) != 3) {
                fclose(fp);
                return -1;
            }
            q->listed[k].v = (float)v;
        }
    }
    fclose(fp);
    return nqueries > 0 ? 0 : -1;
}

static const char *fixture_path(const char *file, char *buf, size_t cap) {
    if (strcmp(file, "straw_test.hic") == 0)
        snprintf(buf, cap, "%s", SHARED_DATA("straw_test.hic"));
    else
        snprintf(buf, cap, "tests/data/%s", file);
    return buf;
}

/* ---- straw comparison -------------------------------------------------------- */

static int is_raw(const fixture_query *q) {
    return strcmp(q->norm, "NONE") == 0 && strcmp(q->kind, "observed") == 0;
}

static void check_value(const fixture_query *q, float got, float want, int64_t i, int64_t j) {
    if (is_raw(q)) {
        if (got != want) {
            fprintf(stderr, "%s %s %s %s:%s (%ld,%ld): got %.9g want %.9g\n", q->file, q->norm, q->kind, q->c1,
                    q->c2, (long)i, (long)j, got, want);
            test_failures++;
        }
    } else {
        CHECK_NEAR(got, want, 0, 1e-5);
    }
}

static void check_query(hw_contacts *f, const fixture_query *fq) {
    const hw_info *in = hw_contacts_info(f);
    int c1 = hw_find_chrom(in, fq->file, fq->c1), c2 = hw_find_chrom(in, fq->file, fq->c2);
    CHECK(c1 >= 0 && c2 >= 0);
    if (c1 < 0 || c2 < 0) return;
    hw_query q = {.resolution = fq->res, .norm = fq->norm, .type = strcmp(fq->kind, "oe") == 0 ? HW_OE : HW_OBSERVED,
                  .chrom1 = c1, .chrom2 = c2, .lo1 = fq->lo1, .hi1 = fq->hi1, .lo2 = fq->lo2, .hi2 = fq->hi2};
    recs got = {0};
    if (fetch(f, &q, &got) != 0) {
        fprintf(stderr, "%s: fetch failed: %s\n", fq->file, hw_error());
        test_failures++;
        free(got.r);
        return;
    }
    /* straw drops non-finite values: compare the finite ones */
    recs fin = {0};
    double sum = 0;
    for (size_t k = 0; k < got.n; k++) {
        if (!isfinite(got.r[k].v)) continue;
        collect(&fin, got.r[k].i, got.r[k].j, got.r[k].v);
        sum += got.r[k].v;
        if (c1 == c2) CHECK(got.r[k].i <= got.r[k].j);
    }
    int before = test_failures;
    CHECK_INT_EQ(fin.n, fq->nrec);
    CHECK_NEAR(sum, fq->sum, 0, is_raw(fq) ? 1e-12 : 1e-6);
    for (int64_t k = 0; k < fq->nlisted; k++) {
        const rec *w = &fq->listed[k];
        const rec *g = find_rec(&fin, w->i, w->j);
        if (!g) {
            fprintf(stderr, "%s %s %s: record (%ld,%ld) missing\n", fq->file, fq->norm, fq->kind, (long)w->i,
                    (long)w->j);
            test_failures++;
            continue;
        }
        check_value(fq, g->v, w->v, w->i, w->j);
    }

    if (fq->full) { /* dense view: symmetric for intra, non-finite -> 0 */
        int64_t rows = fq->hi1 - fq->lo1, cols = fq->hi2 - fq->lo2;
        float *dense = malloc((size_t)(rows * cols) * sizeof *dense);
        float *want = calloc((size_t)(rows * cols), sizeof *want);
        for (int64_t k = 0; k < fq->nlisted; k++) {
            const rec *w = &fq->listed[k];
            if (w->i >= fq->lo1 && w->i < fq->hi1 && w->j >= fq->lo2 && w->j < fq->hi2)
                want[(w->i - fq->lo1) * cols + (w->j - fq->lo2)] = w->v;
            if (c1 == c2 && w->j >= fq->lo1 && w->j < fq->hi1 && w->i >= fq->lo2 && w->i < fq->hi2)
                want[(w->j - fq->lo1) * cols + (w->i - fq->lo2)] = w->v;
        }
        CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, dense), 0);
        for (int64_t k = 0; k < rows * cols; k++) {
            if (is_raw(fq)) {
                if (dense[k] != want[k]) {
                    CHECK_NEAR(dense[k], want[k], 0, 0);
                    break;
                }
            } else if (!(fabs(dense[k] - want[k]) <= 1e-5 * fabs(want[k]))) {
                CHECK_NEAR(dense[k], want[k], 0, 1e-5);
                break;
            }
        }
        free(dense);
        free(want);
    }

    if (c1 != c2) { /* the transposed query returns the same contacts, transposed */
        hw_query t = q;
        t.chrom1 = c2, t.chrom2 = c1, t.lo1 = q.lo2, t.hi1 = q.hi2, t.lo2 = q.lo1, t.hi2 = q.hi1;
        recs tr = {0};
        CHECK_INT_EQ(fetch(f, &t, &tr), 0);
        CHECK_INT_EQ(tr.n, got.n);
        for (size_t k = 0; k < tr.n && k < 50; k++) {
            const rec *g = find_rec(&got, tr.r[k].j, tr.r[k].i);
            CHECK(g != NULL);
            if (g && isfinite(g->v)) CHECK(g->v == tr.r[k].v);
        }
        free(tr.r);
    }
    if (test_failures != before)
        fprintf(stderr, "  in query %s res %d %s %s %s:[%ld,%ld) x %s:[%ld,%ld)\n", fq->file, fq->res, fq->norm,
                fq->kind, fq->c1, (long)fq->lo1, (long)fq->hi1, fq->c2, (long)fq->lo2, (long)fq->hi2);
    free(fin.r);
    free(got.r);
}

static void test_straw_values(void) {
    char path[256];
    hw_contacts *f = NULL;
    char open_name[64] = "";
    for (int k = 0; k < nqueries; k++) {
        if (strcmp(open_name, queries[k].file) != 0) {
            hw_contacts_close(f);
            f = hw_contacts_open(fixture_path(queries[k].file, path, sizeof path));
            if (!f) {
                fprintf(stderr, "open: %s\n", hw_error());
                test_failures++;
                return;
            }
            snprintf(open_name, sizeof open_name, "%s", queries[k].file);
        }
        check_query(f, &queries[k]);
    }
    hw_contacts_close(f);
    CHECK(nqueries > 300);
}

/* ---- header facts ------------------------------------------------------------- */

static void test_headers(void) {
    hw_contacts *f = hw_contacts_open(SHARED_DATA("straw_test.hic"));
    CHECK(f != NULL);
    if (!f) return;
    const hw_info *in = hw_contacts_info(f);
    CHECK_INT_EQ(in->format, HW_FORMAT_HIC);
    CHECK_INT_EQ(in->version, 8);
    CHECK_STR_EQ(in->genome, "hg19");
    CHECK_INT_EQ(in->nchroms, 25);
    CHECK_STR_EQ(in->chroms[0].name, "1");
    CHECK_INT_EQ(in->chroms[0].length, 249250621);
    CHECK_STR_EQ(in->chroms[24].name, "MT");
    CHECK_INT_EQ(in->chroms[24].length, 16569);
    CHECK_INT_EQ(in->nresolutions, 1);
    CHECK_INT_EQ(in->resolutions[0], 2500000);
    const char *norms[] = {"NONE", "VC", "VC_SQRT", "KR", "SCALE"};
    CHECK_INT_EQ(in->nnorms, 5);
    for (int k = 0; k < 5 && k < in->nnorms; k++) CHECK_STR_EQ(in->norms[k], norms[k]);
    CHECK_INT_EQ(hw_contacts_nbins(f, 0, 2500000), 100);
    CHECK_INT_EQ(hw_contacts_has_norm(f, "KR", 2500000), 1);
    CHECK_INT_EQ(hw_contacts_has_norm(f, "KR", 10000), 0);
    CHECK_INT_EQ(hw_contacts_has_norm(f, "NONE", 10000), 1);
    /* aliases */
    CHECK_INT_EQ(hw_find_chrom(in, "x", "chr1"), 0);
    CHECK_INT_EQ(hw_find_chrom(in, "x", "1"), 0);
    CHECK_INT_EQ(hw_find_chrom(in, "x", "chrX"), 22);
    CHECK_INT_EQ(hw_find_chrom(in, "x", "chrM"), 24);
    CHECK_INT_EQ(hw_find_chrom(in, "x", "All"), -1);
    const char *all_msg = "x: no chromosome 'All' (file has: 1, 2, 3,";
    CHECK(strncmp(hw_error(), all_msg, strlen(all_msg)) == 0);
    hw_contacts_close(f);

    f = hw_contacts_open(DATA("hic_v8_test.hic"));
    CHECK(f != NULL);
    if (!f) return;
    in = hw_contacts_info(f);
    CHECK_INT_EQ(in->version, 8);
    CHECK_STR_EQ(in->genome, "hg_test");
    CHECK_INT_EQ(in->nchroms, 3);
    CHECK_STR_EQ(in->chroms[2].name, "chr3");
    CHECK_INT_EQ(in->chroms[2].length, 305000);
    CHECK_INT_EQ(in->nresolutions, 2); /* header lists 50000, 10000, 50000 */
    CHECK_INT_EQ(in->resolutions[0], 10000);
    CHECK_INT_EQ(in->resolutions[1], 50000);
    const char *norms8[] = {"NONE", "VC", "VC_SQRT", "KR", "SCALE", "GW_KR"};
    CHECK_INT_EQ(in->nnorms, 6);
    for (int k = 0; k < 6 && k < in->nnorms; k++) CHECK_STR_EQ(in->norms[k], norms8[k]);
    CHECK_INT_EQ(hw_contacts_has_norm(f, "GW_KR", 10000), 0);
    CHECK_INT_EQ(hw_contacts_has_norm(f, "GW_KR", 50000), 1);
    CHECK_INT_EQ(hw_contacts_has_norm(f, "SCALE", 10000), 1); /* present for chr1, chr2 */
    CHECK_INT_EQ(hw_contacts_nbins(f, 0, 10000), 124);
    CHECK_INT_EQ(hw_contacts_nbins(f, 1, 10000), 80);
    CHECK_INT_EQ(hw_contacts_nbins(f, 2, 50000), 7);
    CHECK_INT_EQ(hw_find_chrom(in, "x", "1"), 0);
    hw_contacts_close(f);

    f = hw_contacts_open(DATA("hic_v9_test.hic"));
    CHECK(f != NULL);
    if (!f) return;
    in = hw_contacts_info(f);
    CHECK_INT_EQ(in->version, 9);
    CHECK_STR_EQ(in->genome, "unknown");
    CHECK_INT_EQ(in->nchroms, 3);
    CHECK_INT_EQ(in->nnorms, 6);
    hw_contacts_close(f);

    f = hw_contacts_open(DATA("hic_v9_hictk.hic"));
    CHECK(f != NULL);
    if (!f) return;
    in = hw_contacts_info(f);
    CHECK_INT_EQ(in->version, 9);
    CHECK_STR_EQ(in->genome, "test_asm");
    CHECK_INT_EQ(in->nchroms, 2);
    CHECK_STR_EQ(in->chroms[0].name, "chrA");
    CHECK_INT_EQ(in->chroms[0].length, 3000000);
    CHECK_INT_EQ(in->nresolutions, 2);
    CHECK_INT_EQ(in->nnorms, 1);
    hw_contacts_close(f);
}

/* ---- band, max_offset, block selection --------------------------------------- */

static void test_band(const char *path, int32_t res, const char *norm, hw_value_type type, int chrom, int64_t width) {
    hw_contacts *f = hw_contacts_open(path);
    CHECK(f != NULL);
    if (!f) return;
    int64_t n = hw_contacts_nbins(f, chrom, res);
    float *band = malloc((size_t)(n * width) * sizeof *band);
    float *dense = malloc((size_t)(n * n) * sizeof *dense);
    CHECK_INT_EQ(hw_contacts_fetch_band(f, res, norm, type, chrom, width, band), 0);
    hw_query q = {.resolution = res, .norm = norm, .type = type, .chrom1 = chrom, .chrom2 = chrom,
                  .lo1 = 0, .hi1 = n, .lo2 = 0, .hi2 = n};
    CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, dense), 0);
    double sb = 0, sd = 0;
    int64_t cells = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t d = 0; d < width && i + d < n; d++) {
            sb += band[i * width + d];
            sd += dense[i * n + i + d];
            cells += band[i * width + d] != 0;
            if (band[i * width + d] != dense[i * n + i + d]) {
                CHECK(band[i * width + d] == dense[i * n + i + d]);
                i = n;
                break;
            }
        }
    CHECK(cells > 0);
    CHECK_NEAR(sb, sd, 0, 1e-9);

    /* max_offset: exactly the records of the full fetch with j - i < width */
    recs all = {0}, near = {0};
    CHECK_INT_EQ(fetch(f, &q, &all), 0);
    q.max_offset = width;
    CHECK_INT_EQ(fetch(f, &q, &near), 0);
    size_t expect = 0;
    for (size_t k = 0; k < all.n; k++) expect += all.r[k].j - all.r[k].i < width;
    CHECK_INT_EQ(near.n, expect);
    CHECK(near.n < all.n);
    for (size_t k = 0; k < near.n; k++) CHECK(near.r[k].j - near.r[k].i < width);
    free(all.r);
    free(near.r);
    free(band);
    free(dense);
    hw_contacts_close(f);
}

/* Random rectangles (intra, inter, off-diagonal, with and without max_offset)
 * against a brute-force filter of the whole matrix: catches a block
 * selection that misses a block, for both the v8 grid and v9 depth bands. */
static void test_block_selection(const char *path) {
    hw_contacts *f = hw_contacts_open(path);
    CHECK(f != NULL);
    if (!f) return;
    const hw_info *in = hw_contacts_info(f);
    unsigned seed = 12345;
    for (int r = 0; r < in->nresolutions; r++) {
        int32_t res = in->resolutions[r];
        for (int c1 = 0; c1 < in->nchroms; c1++)
            for (int c2 = c1; c2 < in->nchroms; c2++) {
                int64_t n1 = hw_contacts_nbins(f, c1, res), n2 = hw_contacts_nbins(f, c2, res);
                hw_query q = {.resolution = res, .norm = "NONE", .chrom1 = c1, .chrom2 = c2,
                              .lo1 = 0, .hi1 = n1, .lo2 = 0, .hi2 = n2};
                recs all = {0}, part = {0};
                CHECK_INT_EQ(fetch(f, &q, &all), 0);
                CHECK(all.n > 0);
                for (int t = 0; t < 40; t++) {
                    seed = seed * 1103515245u + 12345u;
                    int64_t a = (seed >> 8) % n1, b = (seed >> 4) % n1;
                    seed = seed * 1103515245u + 12345u;
                    int64_t c = (seed >> 8) % n2, d = (seed >> 4) % n2;
                    hw_query s = q;
                    s.lo1 = a < b ? a : b, s.hi1 = (a < b ? b : a) + 1;
                    s.lo2 = c < d ? c : d, s.hi2 = (c < d ? d : c) + 1;
                    s.max_offset = (c1 == c2 && t % 3 == 0) ? 1 + (seed >> 12) % (n1 / 2 + 1) : 0;
                    CHECK_INT_EQ(fetch(f, &s, &part), 0);
                    size_t expect = 0;
                    for (size_t k = 0; k < all.n; k++) {
                        int64_t i = all.r[k].i, j = all.r[k].j;
                        int hit = (i >= s.lo1 && i < s.hi1 && j >= s.lo2 && j < s.hi2) ||
                                  (c1 == c2 && j >= s.lo1 && j < s.hi1 && i >= s.lo2 && i < s.hi2);
                        if (s.max_offset > 0 && j - i >= s.max_offset) hit = 0;
                        if (!hit) continue;
                        expect++;
                        const rec *g = find_rec(&part, i, j);
                        if (!g || g->v != all.r[k].v) {
                            fprintf(stderr, "%s res %d %d:%d rect [%ld,%ld)x[%ld,%ld) off %ld: (%ld,%ld) %s\n", path,
                                    res, c1, c2, (long)s.lo1, (long)s.hi1, (long)s.lo2, (long)s.hi2,
                                    (long)s.max_offset, (long)i, (long)j, g ? "differs" : "missing");
                            test_failures++;
                            break;
                        }
                    }
                    CHECK_INT_EQ(part.n, expect);
                }
                free(all.r);
                free(part.r);
            }
    }
    hw_contacts_close(f);
}

/* Missing norm vector of one chromosome -> an error naming it (as straw);
 * records past the chromosome end dropped; oe without an expected vector is
 * an error. */
static void test_special_values(const char *path) {
    hw_contacts *f = hw_contacts_open(path);
    CHECK(f != NULL);
    if (!f) return;
    hw_query q = {.resolution = 10000, .norm = "NONE", .chrom1 = 2, .chrom2 = 2, .lo1 = 0, .hi1 = 31, .lo2 = 0, .hi2 = 31};
    recs raw = {0}, scaled = {0};
    char want[512];
    CHECK_INT_EQ(fetch(f, &q, &raw), 0);
    CHECK(raw.n > 0);
    q.norm = "SCALE"; /* no SCALE vector for chr3 at 10 kb */
    CHECK_INT_EQ(fetch(f, &q, &scaled), -1);
    snprintf(want, sizeof want, "%s: no SCALE normalisation vector for chromosome chr3 at 10000 bp", path);
    CHECK_STR_EQ(hw_error(), want);
    q.chrom1 = 1, q.hi1 = 80; /* chr2 x chr3: chr3 has no vector */
    CHECK_INT_EQ(fetch(f, &q, &scaled), -1);
    CHECK_STR_EQ(hw_error(), want);

    /* chr2 has 80 bins; the file holds records at bin 80 that must not appear */
    hw_query o = {.resolution = 10000, .norm = "NONE", .chrom1 = 1, .chrom2 = 1, .lo1 = 0, .hi1 = 90, .lo2 = 0, .hi2 = 90};
    CHECK_INT_EQ(fetch(f, &o, &raw), 0);
    CHECK(raw.n > 0);
    for (size_t k = 0; k < raw.n; k++) CHECK(raw.r[k].i < 80 && raw.r[k].j < 80);
    o.chrom1 = 0, o.hi1 = 124;
    CHECK_INT_EQ(fetch(f, &o, &raw), 0);
    for (size_t k = 0; k < raw.n; k++) CHECK(raw.r[k].j < 80);

    hw_query e = {.resolution = 50000, .norm = "KR", .type = HW_OE, .chrom1 = 0, .chrom2 = 0, .lo1 = 0, .hi1 = 5, .lo2 = 0, .hi2 = 5};
    CHECK_INT_EQ(fetch(f, &e, &raw), -1);
    snprintf(want, sizeof want, "%s: no expected values for normalisation KR at 50000 bp (oe impossible)", path);
    CHECK_STR_EQ(hw_error(), want);
    e.chrom2 = 1; /* inter oe uses sumCounts: fine */
    CHECK_INT_EQ(fetch(f, &e, &raw), 0);

    hw_query u = {.resolution = 12345, .norm = "NONE", .chrom1 = 0, .chrom2 = 0, .hi1 = 5, .hi2 = 5};
    CHECK_INT_EQ(fetch(f, &u, &raw), -1);
    snprintf(want, sizeof want, "%s: resolution 12345 bp not in file (has 10000, 50000)", path);
    CHECK_STR_EQ(hw_error(), want);
    u.resolution = 10000, u.norm = "FOO";
    CHECK_INT_EQ(fetch(f, &u, &raw), -1);
    snprintf(want, sizeof want, "%s: normalisation FOO not available at 10000 bp (has NONE, VC, VC_SQRT, KR, SCALE)",
             path);
    CHECK_STR_EQ(hw_error(), want);
    u.norm = "GW_KR"; /* listed in hw_info.norms, but only at 50 kb */
    CHECK_INT_EQ(fetch(f, &u, &raw), -1);
    snprintf(want, sizeof want, "%s: normalisation GW_KR not available at 10000 bp (has NONE, VC, VC_SQRT, KR, SCALE)",
             path);
    CHECK_STR_EQ(hw_error(), want);
    free(raw.r);
    free(scaled.r);
    hw_contacts_close(f);
}

/* ---- bad input ------------------------------------------------------------------ */

static char tmpdir[64];

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, fp);
    fclose(fp);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n) {
    FILE *fp = fopen(path, "wb");
    fwrite(b, 1, n, fp);
    fclose(fp);
}

/* Does msg read "<path>: truncated file (..., file has <size>)"? */
static int is_truncated_msg(const char *msg, const char *path, size_t size) {
    char head[512], tail[64];
    snprintf(head, sizeof head, "%s: truncated file (", path);
    snprintf(tail, sizeof tail, ", file has %zu)", size);
    size_t lm = strlen(msg), lt = strlen(tail);
    return strncmp(msg, head, strlen(head)) == 0 && lm > lt && strcmp(msg + lm - lt, tail) == 0;
}

static int is_unavailable_msg(const char *msg, const char *path) {
    char head[512];
    snprintf(head, sizeof head, "%s: normalisation ", path);
    return strncmp(msg, head, strlen(head)) == 0 && strstr(msg, " not available at ");
}

static int noop(void *ctx, int64_t i, int64_t j, float v) {
    (void)ctx, (void)i, (void)j, (void)v;
    return 0;
}

/* Every norm, both value types, every chromosome and each neighbouring pair
 * (every matrix of the small fixtures), every resolution. Returns
 * the number of failed fetches; each failure message must be acceptable. */
static int fetch_everything(hw_contacts *f, const hw_info *orig, const char *path, size_t size, int check_msgs) {
    const hw_info *in = hw_contacts_info(f);
    int failed = 0;
    for (int r = 0; r < in->nresolutions; r++)
        for (int k = 0; k < orig->nnorms; k++)
            for (int t = 0; t < 2; t++)
                for (int c1 = 0; c1 < in->nchroms; c1++)
                    for (int c2 = c1; c2 < in->nchroms && c2 <= c1 + 1; c2++) {
                        int64_t n1 = hw_contacts_nbins(f, c1, in->resolutions[r]);
                        int64_t n2 = hw_contacts_nbins(f, c2, in->resolutions[r]);
                        hw_query q = {.resolution = in->resolutions[r], .norm = orig->norms[k], .type = t,
                                      .chrom1 = c1, .chrom2 = c2, .lo1 = 0, .hi1 = n1, .lo2 = 0, .hi2 = n2};
                        if (hw_contacts_fetch(f, &q, noop, NULL) == 0) continue;
                        failed++;
                        if (check_msgs && !is_truncated_msg(hw_error(), path, size) &&
                            !is_unavailable_msg(hw_error(), path) && !strstr(hw_error(), "oe impossible")) {
                            fprintf(stderr, "unexpected message: %s\n", hw_error());
                            test_failures++;
                        }
                    }
    return failed;
}

static void test_truncated(const char *src) {
    size_t n;
    unsigned char *b = slurp(src, &n);
    CHECK(b != NULL);
    if (!b) return;
    hw_contacts *orig_f = hw_contacts_open(src);
    const hw_info *orig = hw_contacts_info(orig_f);
    char path[256];
    snprintf(path, sizeof path, "%s/trunc.hic", tmpdir);

    /* exact message at a known point: magic and version read, master index offset cut */
    spit(path, b, 10);
    CHECK(hw_contacts_open(path) == NULL);
    char want[512];
    snprintf(want, sizeof want, "%s: truncated file (needed 8 bytes at offset 8, file has 10)", path);
    CHECK_STR_EQ(hw_error(), want);

    /* a sweep over the whole file, denser near the end where the footer is */
    size_t lens[96];
    int nl = 0;
    for (int k = 1; k <= 48; k++) lens[nl++] = 4 + (n - 4) * (size_t)k / 49;
    for (int k = 1; k <= 47; k++) lens[nl++] = n - (size_t)k * (n / 400 + 1);
    lens[nl++] = n - 1;
    for (int k = 0; k < nl; k++) {
        size_t len = lens[k];
        if (len < 4 || len >= n) continue;
        spit(path, b, len);
        hw_contacts *f = hw_contacts_open(path);
        if (!f) {
            if (!is_truncated_msg(hw_error(), path, len)) {
                fprintf(stderr, "length %zu: unexpected message: %s\n", len, hw_error());
                test_failures++;
            }
            continue;
        }
        int failed = fetch_everything(f, orig, path, len, 1);
        if (failed == 0) {
            fprintf(stderr, "%s truncated to %zu of %zu bytes: open and every fetch succeeded\n", src, len, n);
            test_failures++;
        }
        hw_contacts_close(f);
    }
    hw_contacts_close(orig_f);
    unlink(path);
    free(b);
}

static void test_corrupt_blocks(const char *name) {
    const fixture_block *near = NULL, *far = NULL;
    for (int k = 0; k < nblocks; k++) {
        if (strcmp(blocks[k].file, name) != 0) continue;
        if (!near || blocks[k].mindist < near->mindist) near = &blocks[k];
        if (!far || blocks[k].mindist > far->mindist) far = &blocks[k];
    }
    CHECK(near && far && far->mindist > 10);
    if (!near || !far) return;
    char src[256], path[256], want[512];
    snprintf(src, sizeof src, "tests/data/%s", name);
    snprintf(path, sizeof path, "%s/corrupt.hic", tmpdir);
    size_t n;
    unsigned char *b = slurp(src, &n);
    CHECK(b != NULL);
    if (!b) return;
    hw_query all = {.resolution = 10000, .norm = "NONE", .chrom1 = 0, .chrom2 = 0, .lo1 = 0, .hi1 = 124, .lo2 = 0, .hi2 = 124};
    float *band = malloc(124 * 200 * sizeof *band);

    /* flipped bytes inside the far block: the full fetch fails naming it,
     * a band narrower than the block's distance never reads it */
    unsigned char *c = malloc(n);
    memcpy(c, b, n);
    for (int64_t k = far->offset + 4; k < far->offset + far->size - 2; k += 3) c[k] ^= 0x5a;
    spit(path, c, n);
    hw_contacts *f = hw_contacts_open(path);
    CHECK(f != NULL);
    if (f) {
        CHECK_INT_EQ(hw_contacts_fetch(f, &all, noop, NULL), -1);
        snprintf(want, sizeof want, "%s: corrupt zlib block at offset %ld (chromosome chr1, resolution 10000)", path,
                 (long)far->offset);
        CHECK_STR_EQ(hw_error(), want);
        CHECK_INT_EQ(hw_contacts_fetch_band(f, 10000, "NONE", HW_OBSERVED, 0, far->mindist, band), 0);
        CHECK_INT_EQ(hw_contacts_fetch_band(f, 10000, "NONE", HW_OBSERVED, 0, far->mindist + 1, band), -1);
        hw_contacts_close(f);
    }

    /* a valid zlib stream whose payload lies about its size */
    memcpy(c, b, n);
    unsigned char payload[32] = {0};
    size_t pn = 0;
    payload[0] = 1; /* nRecords = 1, offsets 0 */
    pn = 12;
    payload[pn++] = 0; /* i16 values */
    int v9 = strstr(name, "v9") != NULL;
    if (v9) payload[pn++] = 0, payload[pn++] = 0;
    payload[pn++] = 1;    /* type 1 */
    payload[pn++] = 0xe8; /* 1000 rows (i16) and nothing after */
    payload[pn++] = 0x03;
    unsigned char z[128];
    uLongf zn = sizeof z;
    CHECK_INT_EQ(compress2(z, &zn, payload, pn, 6), Z_OK);
    CHECK((int64_t)zn <= near->size);
    memcpy(c + near->offset, z, zn);
    spit(path, c, n);
    f = hw_contacts_open(path);
    CHECK(f != NULL);
    if (f) {
        CHECK_INT_EQ(hw_contacts_fetch_band(f, 10000, "NONE", HW_OBSERVED, 0, 5, band), -1);
        snprintf(want, sizeof want,
                 "%s: corrupt block at offset %ld (chromosome chr1, resolution 10000): record data runs past the end of "
                 "the block",
                 path, (long)near->offset);
        CHECK_STR_EQ(hw_error(), want);
        hw_contacts_close(f);
    }
    /* well-formed zlib, but the payload disagrees with its own header */
    for (int t = 0; t < 2; t++) {
        memcpy(c, b, n);
        unsigned char pl[64] = {0};
        size_t m = 0;
        pl[m] = t == 0 ? 2 : 1; /* nRecords: 2 (one decoded) or 1 (right, then 3 bytes too many) */
        m = 12;
        pl[m++] = 0; /* i16 values */
        if (v9) pl[m++] = 0, pl[m++] = 0;
        pl[m++] = 1; /* type 1 */
        pl[m++] = 1, pl[m++] = 0; /* one row */
        pl[m++] = 0, pl[m++] = 0; /* row 0 */
        pl[m++] = 1, pl[m++] = 0; /* one record */
        pl[m++] = 0, pl[m++] = 0; /* column 0 */
        pl[m++] = 5, pl[m++] = 0; /* value 5 */
        if (t == 1) m += 3;
        zn = sizeof z;
        CHECK_INT_EQ(compress2(z, &zn, pl, m, 6), Z_OK);
        memcpy(c + near->offset, z, zn);
        spit(path, c, n);
        f = hw_contacts_open(path);
        CHECK(f != NULL);
        if (f) {
            CHECK_INT_EQ(hw_contacts_fetch_band(f, 10000, "NONE", HW_OBSERVED, 0, 5, band), -1);
            snprintf(want, sizeof want, "%s: corrupt block at offset %ld (chromosome chr1, resolution 10000): %s", path,
                     (long)near->offset,
                     t == 0 ? "block header says 2 records, the block holds 1"
                            : (v9 ? "3 bytes left after the last record (block holds 29)"
                                  : "3 bytes left after the last record (block holds 27)"));
            CHECK_STR_EQ(hw_error(), want);
            hw_contacts_close(f);
        }
    }
    free(c);
    free(band);
    free(b);
    unlink(path);
}

/* Offsets and lengths of the footer checked at open, vector lengths when
 * read: a v9 file cut after its norm index, a norm vector whose count
 * disagrees with the index, a block index entry past the end. */
static void test_footer_bounds(void) {
    const char *src = DATA("hic_v9_test.hic");
    size_t n;
    unsigned char *b = slurp(src, &n);
    CHECK(b != NULL);
    if (!b) return;
    char path[256], want[512];
    snprintf(path, sizeof path, "%s/footer.hic", tmpdir);
    hw_info info;
    hic_file *h = hic_open(src, &info);
    CHECK(h != NULL);
    if (!h) {
        free(b);
        return;
    }
    /* the last vector of the file: cut inside it, and `info` (open) fails */
    const hic_normvec *last = &h->norms[0];
    for (int64_t k = 0; k < h->nnorms; k++)
        if (h->norms[k].position > last->position) last = &h->norms[k];
    spit(path, b, (size_t)(last->position + last->nbytes - 1));
    CHECK(hw_contacts_open(path) == NULL);
    snprintf(want, sizeof want,
             "%s: truncated file (%s vector of chromosome index %d at %d BP needs %lld bytes at offset %lld, file has "
             "%lld)",
             path, last->type, last->chrom, last->res, (long long)last->nbytes, (long long)last->position,
             (long long)(last->position + last->nbytes - 1));
    CHECK_STR_EQ(hw_error(), want);

    /* a KR vector of chr1 at 10 kb whose count is one less than its bytes hold */
    const hic_normvec *kr = NULL;
    for (int64_t k = 0; k < h->nnorms && !kr; k++)
        if (!strcmp(h->norms[k].type, "KR") && h->norms[k].res == 10000 && h->norms[k].chrom == h->file_index[0])
            kr = &h->norms[k];
    CHECK(kr != NULL);
    if (kr) {
        unsigned char *c = malloc(n);
        memcpy(c, b, n);
        int64_t cnt = 0;
        memcpy(&cnt, c + kr->position, 8);
        int64_t bad = cnt - 1;
        memcpy(c + kr->position, &bad, 8);
        spit(path, c, n);
        hw_contacts *f = hw_contacts_open(path);
        CHECK(f != NULL);
        if (f) {
            hw_query q = {.resolution = 10000, .norm = "KR", .chrom1 = 0, .chrom2 = 0, .hi1 = 5, .hi2 = 5};
            CHECK_INT_EQ(hw_contacts_fetch(f, &q, noop, NULL), -1);
            snprintf(want, sizeof want, "%s: corrupt KR vector of chromosome chr1 at 10000 bp (offset %lld): %lld values in %lld bytes",
                     path, (long long)kr->position, (long long)bad, (long long)kr->nbytes);
            CHECK_STR_EQ(hw_error(), want);
            hw_contacts_close(f);
        }
        /* absurd: 2^40 values (the index's byte length disagrees first) */
        bad = (int64_t)1 << 40;
        memcpy(c + kr->position, &bad, 8);
        spit(path, c, n);
        f = hw_contacts_open(path);
        CHECK(f != NULL);
        if (f) {
            hw_query q = {.resolution = 10000, .norm = "KR", .chrom1 = 0, .chrom2 = 0, .hi1 = 5, .hi2 = 5};
            CHECK_INT_EQ(hw_contacts_fetch(f, &q, noop, NULL), -1);
            snprintf(want, sizeof want, "%s: corrupt KR vector of chromosome chr1 at 10000 bp (offset %lld): %lld values in %lld bytes",
                     path, (long long)kr->position, (long long)bad, (long long)kr->nbytes);
            CHECK_STR_EQ(hw_error(), want);
            hw_contacts_close(f);
        }
        free(c);
    }
    hic_close(h);
    free(b);
    unlink(path);
}

/* Random byte changes in the header and footer (where the counts and offsets
 * are): open and fetch may fail, but must not crash or allocate wildly. */
static void test_fuzzed(const char *src) {
    size_t n;
    unsigned char *b = slurp(src, &n);
    CHECK(b != NULL);
    if (!b) return;
    hw_contacts *orig_f = hw_contacts_open(src);
    const hw_info *orig = hw_contacts_info(orig_f);
    char path[256];
    snprintf(path, sizeof path, "%s/fuzz.hic", tmpdir);
    unsigned char *c = malloc(n);
    uint64_t s = 88172645463325252ull;
    int opened = 0;
    for (int it = 0; it < 150; it++) {
        memcpy(c, b, n);
        for (int k = 0; k < 3; k++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            size_t at = (s >> 3) % 2 ? (size_t)(s >> 20) % 400 : n - 1 - (size_t)(s >> 20) % (n / 3);
            c[at] = (unsigned char)(s >> 40);
        }
        spit(path, c, n);
        hw_contacts *f = hw_contacts_open(path);
        if (!f) continue;
        opened++;
        fetch_everything(f, orig, path, n, 0);
        hw_contacts_close(f);
    }
    CHECK(opened > 0);
    hw_contacts_close(orig_f);
    free(c);
    free(b);
    unlink(path);
}

static void test_bad_files(void) {
    char want[512];
    CHECK(hw_contacts_open("tests/data/no_such_file.hic") == NULL);
    CHECK_STR_EQ(hw_error(), "tests/data/no_such_file.hic: cannot open: No such file or directory");
    CHECK(hw_contacts_open("tests/data/hic_expected.tsv") == NULL);
    CHECK_STR_EQ(hw_error(), "tests/data/hic_expected.tsv: not a Hi-C file (neither .hic nor HDF5 .cool/.mcool)");

    hw_info info;
    CHECK(hic_open("tests/data/hic_expected.tsv", &info) == NULL);
    CHECK_STR_EQ(hw_error(), "tests/data/hic_expected.tsv: not a .hic file (bad magic)");

    char path[256];
    snprintf(path, sizeof path, "%s/v5.hic", tmpdir);
    size_t n;
    unsigned char *b = slurp(DATA("hic_v8_test.hic"), &n);
    CHECK(b != NULL);
    if (!b) return;
    b[4] = 5;
    spit(path, b, n);
    CHECK(hw_contacts_open(path) == NULL);
    snprintf(want, sizeof want, "%s: unsupported .hic version 5", path);
    CHECK_STR_EQ(hw_error(), want);
    b[4] = 8;
    /* a chromosome count of 2^31-1 must fail, not allocate 2^31 entries */
    const unsigned char *p = memmem(b, 200, "make_hic_fixtures.py", 20);
    CHECK(p != NULL);
    if (p) {
        size_t at = (size_t)(p - b) + 21;
        b[at] = 0xff, b[at + 1] = 0xff, b[at + 2] = 0xff, b[at + 3] = 0x7f;
        spit(path, b, n);
        CHECK(hw_contacts_open(path) == NULL);
        /* the reader walks into the following fields and fails on the first bad one */
        snprintf(want, sizeof want, "%s: corrupt header (chromosome 4 has length -1018167296)", path);
        CHECK_STR_EQ(hw_error(), want);
    }
    free(b);
    unlink(path);
}

int main(void) {
    if (load_fixture() != 0) {
        fprintf(stderr, "cannot load the fixture (run tests/fixtures/make_hic_fixtures.py)\n");
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hw_hic_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_headers();
    test_straw_values();
    const char *own[] = {DATA("hic_v8_test.hic"), DATA("hic_v9_test.hic")};
    for (int k = 0; k < 2; k++) {
        test_band(own[k], 10000, "NONE", HW_OBSERVED, 0, 12);
        test_band(own[k], 10000, "KR", HW_OE, 0, 30);
        test_band(own[k], 50000, "VC", HW_OBSERVED, 1, 3);
        test_block_selection(own[k]);
        test_special_values(own[k]);
        test_truncated(own[k]);
        test_fuzzed(own[k]);
    }
    test_band(DATA("hic_v9_hictk.hic"), 1000, "NONE", HW_OBSERVED, 0, 400);
    test_band(DATA("hic_v9_hictk.hic"), 5000, "NONE", HW_OE, 1, 50);
    test_band(SHARED_DATA("straw_test.hic"), 2500000, "KR", HW_OBSERVED, 0, 10);
    test_block_selection(DATA("hic_v9_hictk.hic"));
    test_truncated(SHARED_DATA("straw_test.hic"));
    test_corrupt_blocks("hic_v8_test.hic");
    test_corrupt_blocks("hic_v9_test.hic");
    test_bad_files();
    test_footer_bounds();
    rmdir(tmpdir);
    for (int k = 0; k < nqueries; k++) free(queries[k].listed);
    free(queries);
    return TEST_RESULT();
}
