/* The measures of `hitwin distance`: embedding distances against hand values
 * (PyTorch's pairwise_distance / cosine_similarity semantics), and the baselines
 * against tests/data/distance_fixture.txt: SSIM from chess-hic's own
 * compare_matrix_pair, Pearson and MSE from numpy
 * (tests/fixtures/make_distance_fixtures.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/distance.h"
#include "hitwin/distance_output.h"
#include "hitwin/xalloc.h"
#include "test_util.h"

#define FIXTURE "tests/data/distance_fixture.txt"
#define MAX_TILES 8

static float *tiles[MAX_TILES];
static int tile_T = 0;

static void test_embedding_distances(void) {
    const float a[2] = {0.0f, 0.0f}, b[2] = {3.0f, 4.0f};
    /* ||a - b + 1e-6|| = sqrt((3 - 1e-6)^2 + (4 - 1e-6)^2) */
    CHECK_NEAR(hw_euclidean_distance(a, b, 2), sqrt(25.0 - 14e-6 + 2e-12), 1e-12, 0);
    CHECK_NEAR(hw_euclidean_distance(b, a, 2), sqrt(25.0 + 14e-6 + 2e-12), 1e-12, 0);
    const float c[4] = {0.5f, -1.0f, 2.0f, 0.25f};
    CHECK_NEAR(hw_euclidean_distance(c, c, 4), 2e-6, 1e-18, 0); /* sqrt(4) * 1e-6: the eps */
    const float x[2] = {1, 0}, y[2] = {0, 1}, z[2] = {-1, 0}, u[2] = {1, 1}, v[2] = {2, 2}, o[2] = {0, 0};
    CHECK_NEAR(hw_cosine_distance(x, y, 2), 1.0, 1e-15, 0);
    CHECK_NEAR(hw_cosine_distance(x, z, 2), 2.0, 1e-15, 0);
    CHECK_NEAR(hw_cosine_distance(u, v, 2), 0.0, 1e-15, 0);
    CHECK_NEAR(hw_cosine_distance(x, o, 2), 1.0, 1e-15, 0); /* eps 1e-8 keeps it finite */
    const float p[3] = {1, 2, 3}, q[3] = {4, 5, 6};
    CHECK_NEAR(hw_cosine_distance(p, q, 3), 1.0 - 32.0 / (sqrt(14.0) * sqrt(77.0)), 1e-15, 0);
}

static int load_fixture(void) {
    FILE *f = fopen(FIXTURE, "r");
    if (!f) {
        fprintf(stderr, "%s missing (run tests/fixtures/make_distance_fixtures.py)\n", FIXTURE);
        return -1;
    }
    size_t cap = 1 << 22;
    char *line = xmalloc(cap);
    while (fgets(line, (int)cap, f)) {
        if (strncmp(line, "tile ", 5) != 0) continue;
        char *p = line + 5;
        int k = (int)strtol(p, &p, 10), T = (int)strtol(p, &p, 10);
        tile_T = T;
        tiles[k] = xmalloc((size_t)T * T * sizeof(float));
        for (int i = 0; i < T * T; i++) tiles[k][i] = strtof(p, &p);
    }
    free(line);
    fclose(f);
    return 0;
}

static double expect(const char *what, int a, int b) {
    FILE *f = fopen(FIXTURE, "r");
    size_t cap = 1 << 22;
    char *line = xmalloc(cap), name[64];
    double v = -12345.0;
    while (fgets(line, (int)cap, f)) {
        int x, y;
        char val[64];
        if (sscanf(line, "%63s %d %d %63s", name, &x, &y, val) == 4 && !strcmp(name, what) && x == a &&
            y == b)
            v = !strcmp(val, "nan") ? NAN : strtod(val, NULL);
    }
    free(line);
    fclose(f);
    return v;
}

static double expect_formula(const char *what) {
    FILE *f = fopen(FIXTURE, "r");
    size_t cap = 1 << 22;
    char *line = xmalloc(cap), name[64];
    double v = -12345.0;
    while (fgets(line, (int)cap, f)) {
        int T;
        double val;
        if (sscanf(line, "%63s %d %lf", name, &T, &val) == 3 && !strcmp(name, what)) v = val;
    }
    free(line);
    fclose(f);
    return v;
}

static void check_pair(int a, int b, double *work) {
    hw_tile_prep pa, pb;
    hw_tile_prep_init(&pa, tile_T);
    hw_tile_prep_init(&pb, tile_T);
    hw_tile_prep_compute(&pa, tiles[a], 0);
    hw_tile_prep_compute(&pb, tiles[b], 0);
    double s = hw_ssim_chess(&pa, &pb, work), want = expect("ssim", a, b);
    if (isnan(want)) {
        CHECK(isnan(s));
    } else {
        CHECK_NEAR(s, want, 1e-10, 1e-9);
    }
    CHECK_NEAR(hw_pearson_log1p(&pa, &pb), expect("pearson", a, b), 1e-12, 1e-12);
    CHECK_NEAR(hw_mse_maxnorm(&pa, &pb), expect("mse", a, b), 1e-15, 1e-9);
    double d[HW_N_MEASURES];
    hw_baseline_distances(&pa, &pb, work, d);
    if (!isnan(want)) CHECK_NEAR(d[HW_M_SSIM], 1.0 - want, 1e-9, 0);
    CHECK_NEAR(d[HW_M_PEARSON], 1.0 - expect("pearson", a, b), 1e-12, 0);
    hw_tile_prep_free(&pa);
    hw_tile_prep_free(&pb);
}

/* the 224-bin tiles of make_distance_fixtures.py formula_tile */
static void formula_tile(float *t, int T, int shift) {
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            int d = abs(i - j);
            double v = floor(2000.0 / (1.0 + d)) + ((i * 7 + j * 7 + (shift * (i + j)) / 3) % 5);
            if ((i + j) % 11 == 0 && d > 20) v = 0.0;
            if (i == 17 || j == 17) v = 0.0;
            t[(size_t)i * T + j] = (float)v;
        }
}

static void test_formula_224(void) {
    int T = 224;
    float *a = xmalloc((size_t)T * T * sizeof(float)), *b = xmalloc((size_t)T * T * sizeof(float));
    formula_tile(a, T, 0);
    formula_tile(b, T, 1);
    hw_tile_prep pa, pb;
    hw_tile_prep_init(&pa, T);
    hw_tile_prep_init(&pb, T);
    hw_tile_prep_compute(&pa, a, 0);
    hw_tile_prep_compute(&pb, b, 0);
    CHECK_INT_EQ(pa.n_masked, 1); /* row 17 */
    double *work = xmalloc(hw_ssim_work_doubles(T) * sizeof(double));
    CHECK_NEAR(hw_ssim_chess(&pa, &pb, work), expect_formula("formula_ssim"), 1e-10, 1e-9);
    CHECK_NEAR(hw_pearson_log1p(&pa, &pb), expect_formula("formula_pearson"), 1e-12, 1e-12);
    CHECK_NEAR(hw_mse_maxnorm(&pa, &pb), expect_formula("formula_mse"), 1e-18, 1e-9);
    /* an image compared with itself */
    CHECK_NEAR(hw_ssim_chess(&pa, &pa, work), 1.0, 1e-12, 0);
    free(work);
    hw_tile_prep_free(&pa);
    hw_tile_prep_free(&pb);
    free(a);
    free(b);
}

/* CHESS's whole-matrix window takes the edge-sum path in hw_ssim_chess; the same SSIM
 * through the summed-area tables of hw_ssim_skimage must agree, for odd (one window)
 * and even (2 x 2 windows) sizes, with and without a masked row. */
static void test_ssim_paths(void) {
    const int sizes[] = {31, 32, 224};
    for (int s = 0; s < 3; s++) {
        int T = sizes[s];
        for (int masked = 0; masked < 2; masked++) {
            float *a = xmalloc((size_t)T * T * sizeof(float)), *b = xmalloc((size_t)T * T * sizeof(float));
            for (int i = 0; i < T; i++)
                for (int j = 0; j < T; j++) {
                    int d = abs(i - j);
                    a[(size_t)i * T + j] = (float)(floor(900.0 / (1.0 + d)) + (i * 13 + j * 5) % 7 + 1);
                    b[(size_t)i * T + j] = (float)(floor(900.0 / (1.0 + d)) + (i * 3 + j * 11 + i * j) % 9 + 1);
                    if (masked && (i == 2 || j == 2)) b[(size_t)i * T + j] = 0.0f;
                }
            hw_tile_prep pa, pb;
            hw_tile_prep_init(&pa, T);
            hw_tile_prep_init(&pb, T);
            hw_tile_prep_compute(&pa, a, 0);
            hw_tile_prep_compute(&pb, b, 0);
            CHECK_INT_EQ(pb.n_masked, masked);
            double *work = xmalloc(hw_ssim_work_doubles(T) * sizeof(double));
            double got = hw_ssim_chess(&pa, &pb, work);
            /* the same by hand: drop the masked row and column, window m or m - 1 */
            int m = T - masked;
            double *x = xmalloc((size_t)m * m * sizeof(double)), *y = xmalloc((size_t)m * m * sizeof(double));
            double lo = INFINITY, hi = -INFINITY;
            for (int i = 0, ii = 0; i < T; i++) {
                if (masked && i == 2) continue;
                for (int j = 0, jj = 0; j < T; j++) {
                    if (masked && j == 2) continue;
                    x[(size_t)ii * m + jj] = pa.oe[(size_t)i * T + j];
                    y[(size_t)ii * m + jj] = pb.oe[(size_t)i * T + j];
                    lo = fmin(lo, fmin(x[(size_t)ii * m + jj], y[(size_t)ii * m + jj]));
                    hi = fmax(hi, fmax(x[(size_t)ii * m + jj], y[(size_t)ii * m + jj]));
                    jj++;
                }
                ii++;
            }
            double *sat = xmalloc(5 * ((size_t)m + 1) * ((size_t)m + 1) * sizeof(double));
            double want = hw_ssim_skimage(x, y, m, m % 2 ? m : m - 1, hi - lo, sat);
            CHECK(got > 0.0 && got < 1.0);
            CHECK_NEAR(got, want, 1e-12, 1e-10);
            free(sat);
            free(x);
            free(y);
            free(work);
            hw_tile_prep_free(&pa);
            hw_tile_prep_free(&pb);
            free(a);
            free(b);
        }
    }
}

/* O/E by hand on a 3x3 tile with one unmappable row: expected per diagonal over pairs
 * of mappable rows, absent contacts 1 */
static void test_oe_by_hand(void) {
    const float t[9] = {4, 2, 0,
                        2, 8, 0,
                        0, 0, 0};
    double oe[9];
    hw_chess_oe(oe, t, 3);
    /* rows 0, 1 mappable; E[0] = (4 + 8) / 2 = 6, E[1] = 2 / 1 = 2, E[2]: no pair -> 0 */
    const double want[9] = {4.0 / 6, 1, 1, 1, 8.0 / 6, 1, 1, 1, 1};
    for (int k = 0; k < 9; k++) CHECK_NEAR(oe[k], want[k], 1e-15, 0);
    hw_tile_prep p;
    hw_tile_prep_init(&p, 3);
    hw_tile_prep_compute(&p, t, 0);
    CHECK_INT_EQ(p.n_masked, 1);
    CHECK_INT_EQ(p.masked[2], 1);
    hw_tile_prep q;
    const float t4[16] = {8, 1, 1, 2, 1, 4, 1, 1, 1, 1, 4, 1, 2, 1, 1, 4};
    hw_tile_prep_init(&q, 4);
    hw_tile_prep_compute(&q, t4, 0);
    CHECK_INT_EQ((int)q.n_band, 1); /* (0, 3): the only pixel of the band j - i >= 3 */
    CHECK_NEAR(q.norm[0], 0.25, 0, 0);
    CHECK_NEAR(q.logp[0], log1p(2.0), 0, 1e-15);
    hw_tile_prep_free(&q);
    hw_tile_prep_compute(&p, t, 1); /* a store of type oe: values as stored, 0 -> 1 */
    CHECK_NEAR(p.oe[0], 4.0, 0, 0);
    CHECK_NEAR(p.oe[2], 1.0, 0, 0);
    hw_tile_prep_free(&p);
}

static void test_formatting(void) {
    char b[64];
    hw_format_double(b, sizeof b, 0.1);
    CHECK_STR_EQ(b, "0.1");
    hw_format_double(b, sizeof b, 1.0);
    CHECK_STR_EQ(b, "1.0");
    hw_format_double(b, sizeof b, 1e-05);
    CHECK_STR_EQ(b, "1e-05");
    hw_format_double(b, sizeof b, 2.0 / 3.0);
    CHECK_STR_EQ(b, "0.6666666666666666");
    hw_format_double(b, sizeof b, NAN);
    CHECK_STR_EQ(b, "");
    hw_reference_chrom(b, sizeof b, "1");
    CHECK_STR_EQ(b, "chr1");
    hw_reference_chrom(b, sizeof b, "chrX");
    CHECK_STR_EQ(b, "chrX");
}

/* The maps measure and the combined and hybrid measures' parts, by hand. */
static void test_maps_and_combined(void) {
    /* 2 channels x 3 positions; d = a - b = {1, 2, 6 | 0, 0, 3}: centred {-2, -1, 3 | -1, -1, 2},
     * squares 14 + 6 = 20 over 6 values */
    const float a[6] = {1, 2, 6, 5, 5, 8}, b[6] = {0, 0, 0, 5, 5, 5};
    CHECK_NEAR(hw_map_distance(a, b, 2, 3), sqrt(20.0 / 6.0), 1e-15, 0);
    CHECK_NEAR(hw_map_distance(b, a, 2, 3), sqrt(20.0 / 6.0), 1e-15, 0);
    /* a channel's level does not count: the same maps, one channel shifted, are at 0 */
    float c[6];
    for (int j = 0; j < 6; j++) c[j] = a[j] + (j < 3 ? 7.5f : -2.0f);
    CHECK_NEAR(hw_map_distance(a, c, 2, 3), 0.0, 1e-7, 0);
    CHECK_NEAR(hw_map_distance(a, a, 2, 3), 0.0, 0, 0);

    /* 1.4826 MAD about the median, NaN and inf skipped */
    const double x[7] = {1, 2, 3, 4, 100, NAN, INFINITY};
    CHECK_NEAR(hw_robust_spread(x, 7), 1.4826 * 1.0, 1e-15, 0); /* |x - 3| = 2 1 0 1 97 */
    CHECK_NEAR(hw_robust_spread(x, 4), 1.4826 * 1.0, 1e-15, 0); /* median 2.5, |.| 1.5 .5 .5 1.5 */
    CHECK(isnan(hw_robust_spread(x + 5, 2)));

    /* pairs: d[combined] = d[pairwise] / 2 + d[maps] / 0.5 and d[hybrid] = d[combined] +
     * d[pearson] / 0.25, NaN where a part is (pearson NaN: a run without baselines) */
    hw_pair_table p = {0};
    hw_pair_table_reserve(&p, 4);
    p.n = 4;
    const double pw[4] = {1.0, 4.0, NAN, 2.0}, mp[4] = {0.25, 1.0, 1.0, 0.5}, pr[4] = {0.5, 0.125, 0.5, NAN};
    for (int i = 0; i < 4; i++)
        p.d[HW_M_PAIRWISE][i] = pw[i], p.d[HW_M_MAPS][i] = mp[i], p.d[HW_M_PEARSON][i] = pr[i];
    hw_pair_table_combine(&p, (const double[HW_N_SUM_PARTS]){2.0, 0.5, 0.25});
    CHECK_NEAR(p.d[HW_M_COMBINED][0], 1.0, 1e-15, 0);
    CHECK_NEAR(p.d[HW_M_COMBINED][1], 4.0, 1e-15, 0);
    CHECK(isnan(p.d[HW_M_COMBINED][2]));
    CHECK_NEAR(p.d[HW_M_COMBINED][3], 2.0, 1e-15, 0);
    CHECK_NEAR(p.d[HW_M_HYBRID][0], 3.0, 1e-15, 0);
    CHECK_NEAR(p.d[HW_M_HYBRID][1], 4.5, 1e-15, 0);
    CHECK(isnan(p.d[HW_M_HYBRID][2]));
    CHECK(isnan(p.d[HW_M_HYBRID][3]));
    hw_pair_table_free(&p);
}

int main(void) {
    test_embedding_distances();
    test_maps_and_combined();
    test_oe_by_hand();
    test_ssim_paths();
    test_formatting();
    if (load_fixture() != 0) return 1;
    CHECK_INT_EQ(tile_T, 32);
    double *work = xmalloc(hw_ssim_work_doubles(tile_T) * sizeof(double));
    const int pairs[][2] = {{0, 1}, {0, 2}, {1, 2}, {0, 3}, {2, 4}, {0, 4}, {1, 1}};
    for (size_t k = 0; k < sizeof pairs / sizeof *pairs; k++) check_pair(pairs[k][0], pairs[k][1], work);
    free(work);
    test_formula_224();
    for (int k = 0; k < MAX_TILES; k++) free(tiles[k]);
    return TEST_RESULT();
}
