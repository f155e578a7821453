/* The cooler reader against cooler's own answers (tests/data/cool_expected.tsv,
 * written by tests/fixtures/make_cool_fixtures.py) on the files of
 * ../shared/data and our small files in tests/data, plus header facts, band
 * and O/E consistency, and exact error messages for bad input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/contacts.h"
#include "hitwin/error.h"
#include "test_util.h"

#define OWN(name) "tests/data/" name

static hw_contacts *open_ok(const char *path) {
    hw_contacts *f = hw_contacts_open(path);
    if (!f) fprintf(stderr, "open %s: %s\n", path, hw_error());
    CHECK(f != NULL);
    return f;
}

static int chrom_of(hw_contacts *f, const char *name) {
    int c = hw_find_chrom(hw_contacts_info(f), hw_contacts_path(f), name);
    CHECK(c >= 0);
    return c;
}

/* ---- header facts ----------------------------------------------------------- */

static void check_norms(const hw_info *in, const char *const *want, int n) {
    CHECK_INT_EQ(in->nnorms, n);
    for (int k = 0; k < n && k < in->nnorms; k++) CHECK_STR_EQ(in->norms[k], want[k]);
}

static void test_headers(void) {
    hw_contacts *f = open_ok(SHARED_DATA("FL-E13-5_chr1.cool"));
    if (f) {
        const hw_info *in = hw_contacts_info(f);
        CHECK_INT_EQ(in->format, HW_FORMAT_COOL);
        CHECK_INT_EQ(in->version, 3); /* stored as the string "3" */
        CHECK_STR_EQ(in->genome, "unknown");
        CHECK_INT_EQ(in->nchroms, 1);
        CHECK_STR_EQ(in->chroms[0].name, "chr1");
        CHECK_INT_EQ(in->chroms[0].length, 197195432);
        CHECK_INT_EQ(in->nresolutions, 1);
        CHECK_INT_EQ(in->resolutions[0], 1000);
        check_norms(in, (const char *[]){"NONE"}, 1);
        CHECK_INT_EQ(hw_contacts_nbins(f, 0, 1000), 197196);
        hw_contacts_close(f);
    }
    f = open_ok(SHARED_DATA("GSM1436265_RAD21_ENCFF002EMQ_10kb.cool"));
    if (f) {
        const hw_info *in = hw_contacts_info(f);
        CHECK_INT_EQ(in->nchroms, 93);
        CHECK_STR_EQ(in->chroms[7].name, "chrX"); /* file order, not natural order */
        CHECK_STR_EQ(in->chroms[8].name, "chr8");
        CHECK_INT_EQ(in->chroms[0].length, 249250621);
        hw_contacts_close(f);
    }
    f = open_ok(SHARED_DATA("gm12878_raw_values.cool"));
    if (f) {
        const hw_info *in = hw_contacts_info(f);
        CHECK_INT_EQ(in->nchroms, 25);
        CHECK_STR_EQ(in->chroms[0].name, "1"); /* |S2 names */
        CHECK_STR_EQ(in->chroms[24].name, "MT");
        CHECK_INT_EQ(in->chroms[24].length, 16569);
        CHECK_INT_EQ(in->resolutions[0], 2500000);
        CHECK_INT_EQ(hw_contacts_nbins(f, 0, 2500000), 100);
        /* aliases */
        CHECK_INT_EQ(hw_find_chrom(in, "g", "chr1"), 0);
        CHECK_INT_EQ(hw_find_chrom(in, "g", "chrM"), 24);
        CHECK_INT_EQ(hw_find_chrom(in, "g", "chrX"), 22);
        hw_contacts_close(f);
    }
    f = open_ok(SHARED_DATA("hic2cool_0.7.0_multi_res.mcool"));
    if (f) {
        const hw_info *in = hw_contacts_info(f);
        CHECK_INT_EQ(in->format, HW_FORMAT_MCOOL);
        CHECK_INT_EQ(in->version, 3); /* stored as an integer */
        CHECK_STR_EQ(in->genome, "../references/hg19.sizes");
        CHECK_INT_EQ(in->nchroms, 25);
        CHECK_INT_EQ(in->nresolutions, 2);
        CHECK_INT_EQ(in->resolutions[0], 1000000);
        CHECK_INT_EQ(in->resolutions[1], 2500000);
        check_norms(in, (const char *[]){"NONE", "KR", "VC", "VC_SQRT"}, 4);
        CHECK(hw_contacts_has_norm(f, "KR", 2500000));
        CHECK(hw_contacts_has_norm(f, "NONE", 1000000));
        CHECK(!hw_contacts_has_norm(f, "weight", 1000000));
        CHECK(!hw_contacts_has_norm(f, "KR", 5000));
        CHECK_INT_EQ(hw_contacts_nbins(f, 0, 1000000), 250);
        hw_contacts_close(f);
    }
    f = open_ok(SHARED_DATA("unittest_matrix_2.cool"));
    if (f) {
        const hw_info *in = hw_contacts_info(f);
        CHECK_INT_EQ(in->chroms[0].length, 180000000);
        CHECK_INT_EQ(hw_contacts_nbins(f, 0, 10000), 18000); /* ceil(length / res), not 2000 */
        hw_contacts_close(f);
    }
    f = open_ok(OWN("cool_small.mcool"));
    if (f) {
        const hw_info *in = hw_contacts_info(f);
        CHECK_INT_EQ(in->format, HW_FORMAT_MCOOL);
        CHECK_STR_EQ(in->genome, "testgenome");
        CHECK_INT_EQ(in->nchroms, 3);
        CHECK_STR_EQ(in->chroms[2].name, "chrM");
        CHECK_INT_EQ(in->chroms[1].length, 650000);
        CHECK_INT_EQ(in->nresolutions, 2);
        CHECK_INT_EQ(in->resolutions[0], 50000);
        CHECK_INT_EQ(in->resolutions[1], 100000);
        check_norms(in, (const char *[]){"NONE", "KR", "mydiv", "weight"}, 4);
        CHECK_INT_EQ(hw_contacts_nbins(f, 1, 50000), 13);
        CHECK_INT_EQ(hw_contacts_nbins(f, 2, 100000), 1);
        CHECK_INT_EQ(hw_find_chrom(in, "s", "1"), 0);
        CHECK_INT_EQ(hw_find_chrom(in, "s", "MT"), 2);
        CHECK_INT_EQ(hw_find_chrom(in, "s", "M"), 2);
        CHECK_INT_EQ(hw_find_chrom(in, "s", "chr99"), -1);
        CHECK_STR_EQ(hw_error(), "s: no chromosome 'chr99' (file has: chr1, chr2, chrM)");
        hw_contacts_close(f);
    }
    f = open_ok(OWN("cool_small_float.cool"));
    if (f) {
        const hw_info *in = hw_contacts_info(f);
        CHECK_INT_EQ(in->format, HW_FORMAT_COOL);
        CHECK_INT_EQ(in->version, 3);
        CHECK_STR_EQ(in->genome, "testgenome");
        check_norms(in, (const char *[]){"NONE"}, 1);
        hw_contacts_close(f);
    }
    f = open_ok(OWN("cool_small_legacy.mcool")); /* /0, /1 zoom groups */
    if (f) {
        const hw_info *in = hw_contacts_info(f);
        CHECK_INT_EQ(in->format, HW_FORMAT_MCOOL);
        CHECK_INT_EQ(in->nresolutions, 2);
        CHECK_INT_EQ(in->resolutions[0], 50000);
        CHECK_INT_EQ(in->resolutions[1], 100000);
        float a[20 * 20], b[20 * 20];
        hw_query q = {.resolution = 100000, .norm = "weight", .chrom1 = 0, .chrom2 = 0, .hi1 = 10, .hi2 = 10};
        hw_contacts *m = open_ok(OWN("cool_small.mcool"));
        CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, a), 0);
        CHECK_INT_EQ(hw_contacts_fetch_dense(m, &q, b), 0);
        CHECK(memcmp(a, b, sizeof(float) * 100) == 0);
        hw_contacts_close(m);
        hw_contacts_close(f);
    }
}

/* ---- fixture regions ---------------------------------------------------------- */

typedef struct {
    int64_t n;
    double sum;
    int bad_order; /* intra pixel with i > j */
    int intra;
    float last;
} sparse_acc;

static int sparse_cb(void *ctx, int64_t i, int64_t j, float v) {
    sparse_acc *s = ctx;
    s->n++;
    s->last = v;
    if (isfinite(v)) s->sum += v;
    if (s->intra && i > j) s->bad_order++;
    return 0;
}

static int is_int_file(const char *file, const char *norm) {
    return strcmp(norm, "NONE") == 0 &&
           (strstr(file, "FL-E13") || strstr(file, "gm12878") || strstr(file, "hic2cool") ||
            strcmp(file, "cool_small.mcool") == 0 || strcmp(file, "cool_small_square.cool") == 0);
}

static hw_contacts *fixture_file(const char *file) {
    static char cur[256];
    static hw_contacts *f;
    if (!file) { /* close */
        hw_contacts_close(f);
        f = NULL;
        cur[0] = '\0';
        return NULL;
    }
    if (f && strcmp(cur, file) == 0) return f;
    hw_contacts_close(f);
    char path[512];
    snprintf(path, sizeof path, "%s%s", strncmp(file, "cool_", 5) == 0 ? "tests/data/" : "../shared/data/", file);
    f = open_ok(path);
    snprintf(cur, sizeof cur, "%s", file);
    return f;
}

/* band vs the dense matrix of rows/cols [lo, n), and zeros above lo */
static void band_vs_dense(hw_contacts *f, int32_t res, const char *norm, hw_value_type type, int c,
                          int64_t width, int64_t lo, const float *band) {
    int64_t n = hw_contacts_nbins(f, c, res), m = n - lo;
    float *d = malloc((size_t)(m * m) * sizeof *d);
    hw_query q = {.resolution = res, .norm = norm, .type = type, .chrom1 = c, .chrom2 = c,
                  .lo1 = lo, .hi1 = n, .lo2 = lo, .hi2 = n};
    CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, d), 0);
    int64_t mismatch = 0, nonzero_above = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < width; k++) {
            float b = band[i * width + k];
            if (i < lo) {
                nonzero_above += b != 0.0f;
                continue;
            }
            float want = i + k < n ? d[(i - lo) * m + (i + k - lo)] : 0.0f;
            if (!(fabsf(b - want) <= 1e-6f * fabsf(want))) mismatch++;
        }
    CHECK_INT_EQ(mismatch, 0);
    CHECK_INT_EQ(nonzero_above, 0);
    free(d);
}

static void test_fixture(void) {
    FILE *fp = fopen(OWN("cool_expected.tsv"), "r");
    CHECK(fp != NULL);
    if (!fp) return;
    char line[1024];
    int nregion = 0, npixel = 0, nband = 0, noe = 0;
    while (fgets(line, sizeof line, fp)) {
        char kind[16], file[128], norm[32], c1[64], c2[64], vs[64], ss[64];
        int res;
        long long lo1, hi1, lo2, hi2, dnnz, sn, i, j, width;
        double dsum, ssum;
        if (line[0] == '#') continue;
        if (sscanf(line, "%15s %127s %d %31s", kind, file, &res, norm) != 4) continue;
        hw_contacts *f = fixture_file(file);
        if (!f) continue;
        int rel_ok = !is_int_file(file, norm);
        double rtol = rel_ok ? 1e-6 : 0.0;
        if (strcmp(kind, "region") == 0 &&
            sscanf(line, "%*s %*s %*d %*s %63s %lld %lld %63s %lld %lld %lld %lf %lld %lf", c1, &lo1, &hi1, c2,
                   &lo2, &hi2, &dnnz, &dsum, &sn, &ssum) == 10) {
            nregion++;
            hw_query q = {.resolution = res, .norm = norm, .chrom1 = chrom_of(f, c1), .chrom2 = chrom_of(f, c2),
                          .lo1 = lo1, .hi1 = hi1, .lo2 = lo2, .hi2 = hi2};
            int64_t rows = hi1 - lo1, cols = hi2 - lo2;
            float *d = malloc((size_t)(rows * cols) * sizeof *d);
            int rc = hw_contacts_fetch_dense(f, &q, d);
            if (rc) fprintf(stderr, "%s", hw_error());
            CHECK_INT_EQ(rc, 0);
            int64_t nnz = 0;
            double sum = 0;
            for (int64_t k = 0; k < rows * cols; k++) {
                nnz += d[k] != 0.0f;
                sum += d[k];
            }
            free(d);
            if (nnz != dnnz || !(fabs(sum - dsum) <= rtol * fabs(dsum))) fprintf(stderr, "at: %s", line);
            CHECK_INT_EQ(nnz, dnnz);
            CHECK_NEAR(sum, dsum, 0.0, rtol);
            sparse_acc s = {.intra = q.chrom1 == q.chrom2};
            CHECK_INT_EQ(hw_contacts_fetch(f, &q, sparse_cb, &s), 0);
            if (s.n != sn) fprintf(stderr, "at: %s", line);
            CHECK_INT_EQ(s.n, sn);
            CHECK_NEAR(s.sum, ssum, 0.0, rtol);
            CHECK_INT_EQ(s.bad_order, 0);
        } else if (strcmp(kind, "pixel") == 0 &&
                   sscanf(line, "%*s %*s %*d %*s %63s %lld %63s %lld %63s", c1, &i, c2, &j, vs) == 5) {
            npixel++;
            hw_query q = {.resolution = res, .norm = norm, .chrom1 = chrom_of(f, c1), .chrom2 = chrom_of(f, c2),
                          .lo1 = i, .hi1 = i + 1, .lo2 = j, .hi2 = j + 1};
            float v = -1;
            CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, &v), 0);
            double want = strtod(vs, NULL);
            if (isnan(want)) CHECK(v == 0.0f); /* masked: dense shows 0 */
            else CHECK_NEAR(v, want, 0.0, rel_ok ? 1e-6 : 0.0);
        } else if (strcmp(kind, "band") == 0 &&
                   sscanf(line, "%*s %*s %*d %*s %63s %lld %lld %63s", c1, &width, &dnnz, ss) == 4) {
            nband++;
            int c = chrom_of(f, c1);
            int64_t n = hw_contacts_nbins(f, c, res);
            float *band = malloc((size_t)(n * width) * sizeof *band);
            CHECK_INT_EQ(hw_contacts_fetch_band(f, res, norm, HW_OBSERVED, c, width, band), 0);
            int64_t nnz = 0;
            double sum = 0;
            for (int64_t k = 0; k < n * width; k++) {
                nnz += band[k] != 0.0f;
                sum += band[k];
            }
            CHECK_INT_EQ(nnz, dnnz);
            CHECK_NEAR(sum, strtod(ss, NULL), 0.0, rel_ok ? 1e-6 : 0.0);
            band_vs_dense(f, res, norm, HW_OBSERVED, c, width, strstr(file, "unittest") ? 16000 : 0, band);
            free(band);
        } else if (strcmp(kind, "oe") == 0 &&
                   sscanf(line, "%*s %*s %*d %*s %63s %lld %63s %lld %63s", c1, &i, c2, &j, vs) == 5) {
            noe++;
            hw_query q = {.resolution = res, .norm = norm, .type = HW_OE, .chrom1 = chrom_of(f, c1),
                          .chrom2 = chrom_of(f, c2), .lo1 = i, .hi1 = i + 1, .lo2 = j, .hi2 = j + 1};
            sparse_acc s = {0};
            CHECK_INT_EQ(hw_contacts_fetch(f, &q, sparse_cb, &s), 0);
            CHECK_INT_EQ(s.n, 1);
            double want = strtod(vs, NULL);
            if (isnan(want)) CHECK(!isfinite(s.last)); /* masked bin (KR = 0): passed through */
            else CHECK_NEAR(s.last, want, 0.0, 1e-6);
        }
    }
    fclose(fp);
    fixture_file(NULL);
    CHECK(nregion >= 90);
    CHECK(npixel >= 300);
    CHECK(nband >= 15);
    CHECK_INT_EQ(noe, 18);
}

/* ---- O/E: brute force on our file, and band (one read) == rectangle path ------ */

static void test_oe(void) {
    hw_contacts *f = open_ok(OWN("cool_small.mcool")), *g = open_ok(OWN("cool_small.mcool"));
    if (!f || !g) return;
    enum { N = 20 };
    float raw[N * N], oe[N * N];
    hw_query q = {.resolution = 50000, .norm = "NONE", .chrom1 = 0, .chrom2 = 0, .hi1 = N, .hi2 = N};
    CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, raw), 0);
    q.type = HW_OE;
    CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, oe), 0);
    int64_t bad = 0;
    for (int d = 0; d < N; d++) {
        double s = 0;
        for (int i = 0; i + d < N; i++) s += raw[i * N + i + d];
        double e = s / (N - d);
        for (int i = 0; i + d < N; i++) {
            double want = raw[i * N + i + d] / e;
            if (!(fabs(oe[i * N + i + d] - want) <= 1e-6 * fabs(want))) bad++;
        }
    }
    CHECK_INT_EQ(bad, 0);

    /* band OE on a fresh handle computes the expected from the band's own read;
     * it must equal the rectangle path of the other handle */
    for (int k = 0; k < 2; k++) {
        const char *norm = k ? "weight" : "NONE";
        float band[N * 5];
        CHECK_INT_EQ(hw_contacts_fetch_band(g, 50000, norm, HW_OE, 0, 5, band), 0);
        hw_query r = {.resolution = 50000, .norm = norm, .type = HW_OE, .chrom1 = 0, .chrom2 = 0,
                      .hi1 = N, .hi2 = N, .max_offset = 0};
        float dense[N * N];
        CHECK_INT_EQ(hw_contacts_fetch_dense(f, &r, dense), 0);
        int64_t mism = 0;
        for (int i = 0; i < N; i++)
            for (int d = 0; d < 5; d++) {
                float want = i + d < N ? dense[i * N + i + d] : 0.0f;
                if (!(fabsf(band[i * 5 + d] - want) <= 1e-6f * fabsf(want))) mism++;
            }
        CHECK_INT_EQ(mism, 0);
    }
    hw_contacts_close(f);
    hw_contacts_close(g);
}

/* ---- duplicates, storage modes -------------------------------------------------- */

static void test_duplicates(void) {
    hw_contacts *f = open_ok(OWN("cool_dup.cool"));
    if (!f) return;
    hw_query q = {.resolution = 50000, .norm = "NONE", .chrom1 = 0, .chrom2 = 0, .lo1 = 2, .hi1 = 3, .lo2 = 5, .hi2 = 6};
    sparse_acc s = {.intra = 1};
    CHECK_INT_EQ(hw_contacts_fetch(f, &q, sparse_cb, &s), 0);
    CHECK_INT_EQ(s.n, 1); /* summed, reported once */
    hw_contacts_close(f);
}

static void test_square_equals_upper(void) {
    hw_contacts *a = open_ok(OWN("cool_small.mcool")), *b = open_ok(OWN("cool_small_square.cool"));
    if (!a || !b) return;
    enum { N = 20, M = 13 };
    float x[N * N], y[N * N];
    const char *norms[] = {"NONE", "weight", "KR"};
    for (int k = 0; k < 3; k++)
        for (int c2 = 0; c2 < 2; c2++) {
            int n2 = c2 ? M : N;
            hw_query q = {.resolution = 50000, .norm = norms[k], .chrom1 = 0, .chrom2 = c2, .hi1 = N, .hi2 = n2};
            CHECK_INT_EQ(hw_contacts_fetch_dense(a, &q, x), 0);
            CHECK_INT_EQ(hw_contacts_fetch_dense(b, &q, y), 0);
            CHECK(memcmp(x, y, sizeof(float) * N * n2) == 0);
        }
    hw_contacts_close(a);
    hw_contacts_close(b);
}

/* ---- bad input ------------------------------------------------------------------ */

static void expect_open_error(const char *path, const char *msg) {
    hw_contacts *f = hw_contacts_open(path);
    CHECK(f == NULL);
    if (f) hw_contacts_close(f);
    CHECK_STR_EQ(hw_error(), msg);
}

static int copy_prefix(const char *src, const char *dst, long nbytes) {
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    if (!in || !out) {
        if (in) fclose(in);
        if (out) fclose(out);
        return -1;
    }
    char buf[8192];
    long left = nbytes;
    size_t n;
    while (left > 0 && (n = fread(buf, 1, left < (long)sizeof buf ? (size_t)left : sizeof buf, in)) > 0) {
        fwrite(buf, 1, n, out);
        left -= (long)n;
    }
    fclose(in);
    fclose(out);
    return 0;
}

static void test_bad_input(void) {
    expect_open_error("tests/data/cool_nope.cool", "tests/data/cool_nope.cool: cannot open: No such file or directory");
    expect_open_error(OWN("cool_not_cooler.h5"),
                      "tests/data/cool_not_cooler.h5: not a cooler (no /resolutions group and no pixels/bin1_id)");
    expect_open_error(OWN("cool_variable.cool"),
                      "tests/data/cool_variable.cool: variable-size bins are not supported (bin-type \"variable\")");

    /* truncated copies: at several lengths, a clean error, never a crash */
    char tmp[] = "/tmp/hitwin_cool_trunc_XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    if (fd >= 0) {
        close(fd);
        long sizes[] = {4000, 100000, 300000, 420000};
        for (int k = 0; k < 4; k++) {
            CHECK_INT_EQ(copy_prefix(SHARED_DATA("FL-E13-5_chr1.cool"), tmp, sizes[k]), 0);
            hw_contacts *f = hw_contacts_open(tmp);
            CHECK(f == NULL);
            char want[256];
            snprintf(want, sizeof want, "%s: cannot open as HDF5 (corrupt or truncated file)", tmp);
            CHECK_STR_EQ(hw_error(), want);
            hw_contacts_close(f);
        }
        unlink(tmp);
    }

    /* corrupt index: opening is lazy, the first query reports it */
    hw_contacts *f = open_ok(OWN("cool_corrupt_index.cool"));
    if (f) {
        hw_query q = {.resolution = 50000, .norm = "NONE", .chrom1 = 0, .chrom2 = 0, .hi1 = 20, .hi2 = 20};
        float d[400];
        CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, d), -1);
        CHECK_STR_EQ(hw_error(), "tests/data/cool_corrupt_index.cool: corrupt index: bin1_offset decreases at bin 5");
        CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, d), -1); /* and again, the same way */
        CHECK_STR_EQ(hw_error(), "tests/data/cool_corrupt_index.cool: corrupt index: bin1_offset decreases at bin 5");
        hw_contacts_close(f);
    }
    f = open_ok(OWN("cool_corrupt_chunk.cool"));
    if (f) {
        hw_query q = {.resolution = 50000, .norm = "NONE", .chrom1 = 0, .chrom2 = 0, .hi1 = 20, .hi2 = 20};
        float d[400];
        CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, d), -1);
        CHECK_STR_EQ(hw_error(),
                     "tests/data/cool_corrupt_chunk.cool: cannot read dataset 'pixels/count' (corrupt or truncated file)");
        hw_contacts_close(f);
    }

    /* unknown resolution and normalisation */
    f = open_ok(OWN("cool_small.mcool"));
    if (f) {
        hw_query q = {.resolution = 12345, .norm = "NONE", .chrom1 = 0, .chrom2 = 0, .hi1 = 2, .hi2 = 2};
        float d[4];
        CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, d), -1);
        CHECK_STR_EQ(hw_error(), "tests/data/cool_small.mcool: resolution 12345 bp not in file (has 50000, 100000)");
        CHECK_INT_EQ(hw_contacts_nbins(f, 0, 12345), -1);
        CHECK_STR_EQ(hw_error(), "tests/data/cool_small.mcool: resolution 12345 bp not in file (has 50000, 100000)");
        q.resolution = 50000;
        q.norm = "VC";
        CHECK_INT_EQ(hw_contacts_fetch_dense(f, &q, d), -1);
        CHECK_STR_EQ(hw_error(),
                     "tests/data/cool_small.mcool: normalisation VC not available at 50000 bp (has NONE, KR, mydiv, weight)");
        hw_contacts_close(f);
    }
}

int main(void) {
    test_headers();
    test_fixture();
    test_oe();
    test_duplicates();
    test_square_equals_upper();
    test_bad_input();
    return TEST_RESULT();
}
