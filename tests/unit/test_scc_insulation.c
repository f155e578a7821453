/* The HiCRep SCC and insulation baselines of `hitwin distance` against
 * tests/data/scores_fixture.txt: SCC from hicrep 0.2.6's own sccByDiag /
 * meanFilterSparse / trimDiags, the insulation profile from cooltools 0.7.1's own
 * calculate_insulation_score (tests/fixtures/make_scores_fixtures.py), to 1e-9
 * relative; plus properties by hand (self-distance 0, empty tiles NaN, the mask band
 * ignored, the smoothing's edge rule). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/distance.h"
#include "hitwin/xalloc.h"
#include "scores_fixture.h"
#include "test_util.h"

#define NT 4
#define T40 40

static float *tiles[NT];

static int load_tiles(void) {
    double *v = xmalloc((size_t)T40 * T40 * sizeof *v);
    char key[32];
    for (int k = 0; k < NT; k++) {
        snprintf(key, sizeof key, "tile %d %d", k, T40);
        if (sf_values(key, v, T40 * T40) != T40 * T40) return -1;
        tiles[k] = xmalloc((size_t)T40 * T40 * sizeof(float));
        for (int i = 0; i < T40 * T40; i++) tiles[k][i] = (float)v[i];
    }
    free(v);
    return 0;
}

static double scc_of(const float *a, const float *b, int T, int h) {
    hw_scc_tile sa, sb;
    hw_scc_tile_init(&sa, T);
    hw_scc_tile_init(&sb, T);
    hw_scc_tile_compute(&sa, a, h);
    hw_scc_tile_compute(&sb, b, h);
    double r = hw_scc(&sa, &sb);
    hw_scc_tile_free(&sa);
    hw_scc_tile_free(&sb);
    return r;
}

static const int pairs[][2] = {{0, 1}, {0, 2}, {1, 2}, {0, 3}, {2, 3}, {1, 1}};
#define NPAIRS 6

static void test_scc_hicrep(void) {
    char key[64];
    for (int h = 0; h <= 2; h++)
        for (int p = 0; p < NPAIRS; p++) {
            int a = pairs[p][0], b = pairs[p][1];
            snprintf(key, sizeof key, "scc %d %d %d", h, a, b);
            CHECK_NEAR(scc_of(tiles[a], tiles[b], T40, h), sf_value(key), 1e-12, 1e-9);
        }
}

static void test_insulation_cooltools(void) {
    double raw[T40], prof[NT][T40], want[T40];
    char key[64];
    for (int w = 5; w <= 10; w += 5) {
        for (int k = 0; k < NT; k++) {
            hw_insulation_raw(raw, tiles[k], T40, w);
            snprintf(key, sizeof key, "insul_raw %d %d", w, k);
            CHECK_INT_EQ(sf_values(key, want, T40), T40);
            for (int i = 0; i < T40; i++) {
                if (isnan(want[i])) CHECK(isnan(raw[i]));
                else CHECK_NEAR(raw[i], want[i], 1e-12, 1e-12);
            }
            hw_insulation_profile(prof[k], tiles[k], T40, w);
            snprintf(key, sizeof key, "insul_log2 %d %d", w, k);
            CHECK_INT_EQ(sf_values(key, want, T40), T40);
            for (int i = 0; i < T40; i++) {
                if (isnan(want[i])) CHECK(isnan(prof[k][i]));
                else CHECK_NEAR(prof[k][i], want[i], 1e-12, 1e-9);
            }
        }
        for (int p = 0; p < NPAIRS; p++) {
            int a = pairs[p][0], b = pairs[p][1];
            snprintf(key, sizeof key, "insul_dist %d %d %d", w, a, b);
            CHECK_NEAR(hw_insulation_distance(prof[a], prof[b], T40, w), sf_value(key), 1e-12, 1e-9);
        }
    }
}

/* the 224-bin tiles of make_distance_fixtures.py formula_tile, through the stage's
 * own path (hw_tile_prep + hw_baseline_distances) with the production h and window */
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
    double *work = xmalloc(hw_ssim_work_doubles(T) * sizeof(double)), d[HW_N_MEASURES];
    hw_baseline_distances(&pa, &pb, work, d);
    CHECK_NEAR(d[HW_M_SCC], 1.0 - sf_value("formula_scc 224"), 1e-12, 1e-9);
    CHECK_NEAR(d[HW_M_INSULATION], sf_value("formula_insulation 224"), 1e-15, 1e-9);
    hw_baseline_distances(&pa, &pa, work, d);
    CHECK_NEAR(d[HW_M_SCC], 0.0, 1e-12, 0);
    CHECK(d[HW_M_INSULATION] == 0.0);
    free(work);
    free(a);
    free(b);
    hw_tile_prep_free(&pa);
    hw_tile_prep_free(&pb);
}

static void test_by_hand(void) {
    enum { T = 12 };
    float z[T * T] = {0}, a[T * T], b[T * T];
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            int d = abs(i - j);
            a[i * T + j] = (float)(100 / (1 + d) + (i * j) % 3);
            b[i * T + j] = 2.0f * a[i * T + j]; /* the same tile at twice the depth */
        }
    /* empty tiles: no stratum has a pixel, no diamond a good bin */
    CHECK(isnan(scc_of(z, z, T, 1)));
    double p0[T], p1[T];
    hw_insulation_profile(p0, z, T, 3);
    for (int k = 0; k < T; k++) CHECK(isnan(p0[k]));
    CHECK(isnan(hw_insulation_distance(p0, p0, T, 3)));
    /* depth does not matter to either (SCC is scale-free, the profile is over its median) */
    CHECK_NEAR(scc_of(a, b, T, 1), scc_of(a, a, T, 1), 1e-12, 0);
    hw_insulation_profile(p0, a, T, 3);
    hw_insulation_profile(p1, b, T, 3);
    CHECK_NEAR(hw_insulation_distance(p0, p1, T, 3), 0.0, 1e-12, 0);
    /* the band |i - j| < 3 is not seen: changing it changes nothing */
    float c[T * T];
    memcpy(c, a, sizeof c);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++)
            if (abs(i - j) < HW_BASELINE_BAND) c[i * T + j] = 1000.0f + (float)(i * 31 % 7);
    CHECK_NEAR(scc_of(a, c, T, 1), scc_of(a, a, T, 1), 1e-12, 0);
    hw_insulation_profile(p1, c, T, 3);
    CHECK(hw_insulation_distance(p0, p1, T, 3) == 0.0);
    /* raw insulation of bin 5, window 3, by hand: rows 3..5 x columns 5..7, j - i >= 3 */
    double raw[T];
    hw_insulation_raw(raw, a, T, 3);
    double s = a[3 * T + 6] + a[3 * T + 7] + a[4 * T + 7];
    CHECK_NEAR(raw[5], s / 3.0, 1e-12, 0);
    /* a missing row (all zero) is a bad bin: its pixels are left out, not counted as 0 */
    memcpy(c, a, sizeof c);
    for (int k = 0; k < T; k++) c[3 * T + k] = c[k * T + 3] = 0.0f;
    hw_insulation_raw(raw, c, T, 3);
    CHECK_NEAR(raw[5], a[4 * T + 7], 1e-12, 0);
}

int main(void) {
    if (sf_load() != 0 || load_tiles() != 0) return 1;
    test_scc_hicrep();
    test_insulation_cooltools();
    test_formula_224();
    test_by_hand();
    for (int k = 0; k < NT; k++) free(tiles[k]);
    free(sf_text);
    return TEST_RESULT();
}
