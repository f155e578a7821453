/* The per-window statistics of `hitwin distance` (src/distance/window_scores.c):
 * Benjamini-Hochberg against scipy.stats.false_discovery_control
 * (tests/data/scores_fixture.txt), the normal tail against scipy and a small table by
 * hand (exact), NaN handling, and calibration on a simulated null with window-level
 * effects (z sd near 1, p uniform enough that BH calls almost nothing), with libraries
 * whose pair levels dwarf the window noise, and power on planted changes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/distance_output.h"
#include "hitwin/evaluate.h"
#include "hitwin/xalloc.h"
#include "scores_fixture.h"
#include "test_util.h"

static void test_bh_scipy(void) {
    double p[10], want[10], q[10];
    CHECK_INT_EQ(sf_values("bh_p", p, 10), 10);
    CHECK_INT_EQ(sf_values("bh_q", want, 10), 10);
    hw_bh_qvalues(p, 10, q);
    for (int i = 0; i < 10; i++) CHECK_NEAR(q[i], want[i], 1e-15, 1e-14);
    /* NaN p: NaN q, and the number of tests is that of the finite p */
    double p2[4] = {0.01, NAN, 0.02, 0.5}, q2[4];
    hw_bh_qvalues(p2, 4, q2);
    CHECK_NEAR(q2[0], 0.03, 1e-15, 0);
    CHECK(isnan(q2[1]));
    CHECK_NEAR(q2[2], 0.03, 1e-15, 0);
    CHECK_NEAR(q2[3], 0.5, 1e-15, 0);
}

/* scipy.stats.norm.sf at the same points (C's erfc and scipy's ndtr agree to a few ulps) */
static void test_normal_sf(void) {
    CHECK(hw_normal_sf(0.0) == 0.5);
    CHECK_NEAR(hw_normal_sf(1.959963984540054), 0.025, 0, 1e-14);
    CHECK_NEAR(hw_normal_sf(3.0), 0.0013498980316300933, 0, 1e-14);
    CHECK_NEAR(hw_normal_sf(-2.0), 0.9772498680518208, 0, 1e-14);
    CHECK_NEAR(hw_normal_sf(8.0), 6.22096057427174e-16, 0, 1e-13); /* the tail, not 1 - cdf */
    CHECK(isnan(hw_normal_sf(NAN)));
}

/* A tile meta with n windows on one chromosome, 10 kb bins, tile 224. */
typedef struct {
    hw_tile_meta m;
    int32_t chrom[4096];
    int64_t start[4096];
    int8_t split[4096];
} fake_meta;

static void fake_meta_init(fake_meta *f) {
    memset(f, 0, sizeof *f);
    f->m.resolution = 10000;
    f->m.tile_size = 224;
    f->m.stride = 28;
    f->m.win_chrom = f->chrom;
    f->m.win_start = f->start;
    f->m.win_split = f->split;
    for (int i = 0; i < 4096; i++) f->start[i] = (int64_t)i * 280000;
}

/* 2 + 2 samples (0, 1 condition A; 2, 3 B): the six pairs of one window, measure 0 set
 * to within (w1: 0-1, w2: 2-3) and between values, the other measures NaN. */
static void add_window(hw_pair_table *p, int64_t win, double w1, double w2, const double b[4]) {
    static const int pa[6] = {0, 0, 0, 1, 1, 2}, pb[6] = {1, 2, 3, 2, 3, 3};
    int bi = 0;
    for (int k = 0; k < 6; k++) {
        hw_pair_table_reserve(p, p->n + 1);
        int64_t i = p->n++;
        p->window[i] = win;
        p->a[i] = pa[k];
        p->b[i] = pb[k];
        p->label[i] = (pa[k] < 2) != (pb[k] < 2);
        for (int q = 0; q < HW_N_MEASURES; q++) p->d[q][i] = NAN;
        p->d[0][i] = k == 0 ? w1 : k == 5 ? w2 : b[bi++];
    }
}

static void test_by_hand(void) {
    fake_meta fm;
    fake_meta_init(&fm);
    hw_pair_table p = {0};
    const double b0[4] = {1.25, 1.25, 1.25, 1.25}, b1[4] = {3, 3, 3, 3}, b2[4] = {2.125, 2.125, 2.125, 2.125};
    add_window(&p, 0, 1.0, 1.5, b0);
    add_window(&p, 1, 1.0, 2.0, b1);
    add_window(&p, 2, 2.0, 2.25, b2);
    /* window 3: only samples 0 and 2 passed QC, one between pair */
    hw_pair_table_reserve(&p, p.n + 1);
    int64_t i = p.n++;
    p.window[i] = 3;
    p.a[i] = 0;
    p.b[i] = 2;
    p.label[i] = 1;
    for (int q = 0; q < HW_N_MEASURES; q++) p.d[q][i] = NAN;
    p.d[0][i] = 5.0;
    hw_window_table w;
    hw_window_table_build(&w, &p, &fm.m);
    hw_window_table_scores(&w, &p, 0.5);
    CHECK_INT_EQ(w.n, 4);
    /* each pair less its median over the windows: within 0-1 {1, 1, 2} -> 1, within 2-3
     * {1.5, 2, 2.25} -> 2, between 0-2 {1.25, 3, 2.125, 5} -> 2.5625, the other three
     * between pairs {1.25, 3, 2.125} -> 2.125. Centred within pairs: window 0 (0, -0.5),
     * window 1 (0, 0), window 2 (1, 0.25); residuals +-0.25 sqrt2, 0, 0, +-0.375 sqrt2:
     * median |r| 0.25 sqrt2 */
    double sigma = 1.4826 * 0.25 * sqrt(2.0);
    CHECK_NEAR(w.sigma[0], sigma, 1e-15, 1e-15);
    CHECK_INT_EQ(w.n_null[0], 6);
    /* diff is the table's own between - within */
    CHECK(w.diff[0][0] == 0.0 && w.diff[0][1] == 1.5 && w.diff[0][2] == 0.0);
    /* z from the centred means: window 0, between (-1.3125 - 3 * 0.875) / 4 = -0.984375,
     * within -0.25; window 1, (0.4375 + 3 * 0.875) / 4 = 0.765625 and 0; window 2,
     * (-0.4375 + 0) / 4 = -0.109375 and 0.625 */
    CHECK_NEAR(w.z[0][0], -0.734375 / (sigma * sqrt(0.75)), 0, 1e-15);
    CHECK_NEAR(w.z[0][1], 0.765625 / (sigma * sqrt(0.75)), 0, 1e-15);
    CHECK_NEAR(w.z[0][2], -0.734375 / (sigma * sqrt(0.75)), 0, 1e-15);
    /* scipy.stats.norm.sf of those z */
    CHECK_NEAR(w.p[0][0], 0.9471404888043767, 0, 1e-12);
    CHECK_NEAR(w.p[0][1], 0.04584224725592847, 0, 1e-12);
    CHECK_NEAR(w.p[0][2], 0.9471404888043767, 0, 1e-12);
    CHECK_NEAR(w.q[0][0], 0.9471404888043767, 0, 1e-12);
    CHECK_NEAR(w.q[0][1], 3 * 0.04584224725592847, 0, 1e-12);
    CHECK_NEAR(w.q[0][2], 0.9471404888043767, 0, 1e-12);
    CHECK_INT_EQ(w.called[0][0] + 2 * w.called[0][2], 0);
    CHECK_INT_EQ(w.called[0][1], 1); /* 0.1375 <= 0.5 */
    CHECK(w.fdr == 0.5);
    /* the Twins score is untouched: max(diff, 0) */
    CHECK(w.score[0][1] == 1.5 && w.score[0][0] == 0.0);
    /* no within pair: everything NaN, not called, not one of the BH tests */
    CHECK(isnan(w.diff[0][3]) && isnan(w.z[0][3]) && isnan(w.p[0][3]) && isnan(w.q[0][3]));
    CHECK_INT_EQ(w.called[0][3], 0);
    /* a measure without values (--no-baselines): NaN throughout */
    CHECK(isnan(w.sigma[1]) && isnan(w.z[1][1]) && isnan(w.q[1][1]) && w.called[1][1] == 0);
    CHECK_INT_EQ(w.n_null[1], 0);
    hw_window_table_free(&w);

    /* at 0.05 nothing is called */
    hw_window_table_build(&w, &p, &fm.m);
    hw_window_table_scores(&w, &p, 0.05);
    CHECK_INT_EQ(w.called[0][0] + w.called[0][1] + w.called[0][2] + w.called[0][3], 0);
    hw_window_table_free(&w);
    hw_pair_table_free(&p);
}

/* splitmix64 and Box-Muller: the same numbers on every machine */
static uint64_t rng_state = 20240603;
static double uniform01(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return ((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0) + 0x1p-54;
}
static double normal(void) { return sqrt(-2.0 * log(uniform01())) * cos(2.0 * M_PI * uniform01()); }

/* n windows of 2 + 2: distance = window level (varies 5-fold along the genome) +
 * a sample effect shared by each sample's pairs (sd `library`: each pair of libraries at
 * its own level everywhere) + pair noise of a window-dependent sd (0.2-0.4); windows with
 * planted[k] get `shift` added to their between pairs. */
static void simulate(hw_pair_table *p, int n, const uint8_t *planted, double shift, double library) {
    double u[4];
    for (int s = 0; s < 4; s++) u[s] = library * normal();
    for (int k = 0; k < n; k++) {
        double level = 1.0 + 4.0 * uniform01(), sd = 0.2 + 0.2 * uniform01();
        double d[6], b[4];
        static const int pa[6] = {0, 0, 0, 1, 1, 2}, pb[6] = {1, 2, 3, 2, 3, 3};
        for (int j = 0; j < 6; j++) d[j] = level + 0.5 * (u[pa[j]] + u[pb[j]]) + sd * normal();
        for (int j = 0; j < 4; j++) b[j] = d[j + 1] + (planted && planted[k] ? shift : 0.0);
        add_window(p, k, d[0], d[5], b);
    }
}

/* Libraries of sd 0.1 (pair levels below the noise) and 2 (pair levels 5-10 times the
 * noise, as a pooled measure sees realistic replicates: docs/distance.md "Scores"). */
static void test_calibration(void) {
    enum { N = 4000 };
    fake_meta *fm = xmalloc(sizeof *fm);
    fake_meta_init(fm);
    const double library[2] = {0.1, 2.0};
    for (int l = 0; l < 2; l++) {
        hw_pair_table p = {0};
        simulate(&p, N, NULL, 0.0, library[l]);
        hw_window_table w;
        hw_window_table_build(&w, &p, &fm->m);
        hw_window_table_scores(&w, &p, 0.05);
        double s = 0, ss = 0;
        int small = 0, called = 0;
        for (int k = 0; k < N; k++) {
            s += w.z[0][k];
            ss += w.z[0][k] * w.z[0][k];
            small += w.p[0][k] <= 0.05;
            called += w.called[0][k];
        }
        double mean = s / N, sd = sqrt(ss / N - mean * mean);
        printf("library sd %.1f, null: z mean %.3f sd %.3f, P(p <= 0.05) %.4f, called %d of %d\n", library[l],
               mean, sd, (double)small / N, called, N);
        CHECK(fabs(mean) < 0.06);
        CHECK(sd > 0.85 && sd < 1.15);
        CHECK(fabs((double)small / N - 0.05) < 0.015);
        CHECK(called <= N / 200); /* BH at 5 % on a null: (almost) nothing */
        hw_window_table_free(&w);
        hw_pair_table_free(&p);

        /* 10 % of windows changed by 4 pair sds: most found, the calls' FDR near 5 % */
        uint8_t *planted = xcalloc(N, 1);
        for (int k = 0; k < N; k += 10) planted[k] = 1;
        simulate(&p, N, planted, 1.2, library[l]);
        hw_window_table_build(&w, &p, &fm->m);
        hw_window_table_scores(&w, &p, 0.05);
        int tp = 0, fp = 0;
        for (int k = 0; k < N; k++) {
            if (!w.called[0][k]) continue;
            if (planted[k]) tp++;
            else fp++;
        }
        printf("library sd %.1f, planted: %d called, %d true (recall %.3f), false discovery %.3f\n", library[l],
               tp + fp, tp, tp / (N / 10.0), tp + fp ? (double)fp / (tp + fp) : 0.0);
        CHECK(tp >= 0.7 * (N / 10));
        CHECK(fp <= 0.1 * (tp + fp));
        free(planted);
        hw_window_table_free(&w);
        hw_pair_table_free(&p);
    }
    free(fm);
}

static void test_spearman_scipy(void) {
    double x[30], y[30];
    CHECK_INT_EQ(sf_values("spearman_x", x, 30), 30);
    CHECK_INT_EQ(sf_values("spearman_y", y, 30), 30);
    CHECK_NEAR(hw_spearman(x, y, 30), sf_value("spearman_rho"), 1e-14, 1e-13);
    /* NaN pairs are left out; constant or too short gives NaN */
    double a[5] = {1, 2, NAN, 4, 3}, b[5] = {10, 20, 99, 40, 30}, c[3] = {1, 1, 1};
    CHECK_NEAR(hw_spearman(a, b, 5), 1.0, 1e-15, 0);
    CHECK(isnan(hw_spearman(c, b, 3)));
    CHECK(isnan(hw_spearman(a, b, 1)));
}

static void test_truth_value(void) {
    char *chrom[3] = {"chr1", "chr1", "2"};
    int64_t start[3] = {100, 150, 0}, end[3] = {200, 300, 50};
    double value[3] = {0.25, 0.75, 2.0};
    hw_truth t = {.n = 3, .chrom = chrom, .start = start, .end = end, .value = value, .bedgraph = 1};
    CHECK(hw_truth_value(&t, "1", 0, 120) == 0.25);
    CHECK(hw_truth_value(&t, "chr1", 120, 160) == 0.75); /* the largest overlapping */
    CHECK(hw_truth_value(&t, "chr1", 300, 400) == 0.0);  /* half-open: touches, no overlap */
    CHECK(hw_truth_value(&t, "chr2", 10, 20) == 2.0);
    CHECK(hw_truth_value(&t, "chr3", 10, 20) == 0.0);
}

/* hw_pair_table_neighbours: each pair's mean over the windows of its chromosome at most h
 * strides away, by hand; a pair missing at a neighbour or NaN there is left out of the mean;
 * NaN at the window itself stays NaN; h = 0 is a copy; chromosomes do not mix. */
static void test_neighbours(void) {
    static fake_meta fm;
    fake_meta_init(&fm);
    /* chr 0: windows 0, 1, 2, 4 (3 failed QC: absent); chr 1: windows 5, 6, starting again
     * at 0 and 280 kb */
    fm.chrom[5] = fm.chrom[6] = 1;
    fm.start[5] = 0;
    fm.start[6] = 280000;
    hw_pair_table p = {0};
    const double b[4] = {1, 1, 1, 1};
    int64_t wins[6] = {0, 1, 2, 4, 5, 6};
    for (int k = 0; k < 6; k++) {
        add_window(&p, wins[k], 10.0 * (k + 1), 0.0, b);
        p.d[1][p.n - 6] = 1.0; /* measure 1: pair 0-1 only, NaN elsewhere */
    }
    p.d[0][1 * 6 + 5] = NAN;     /* window 1: pair 2-3 NaN */
    hw_pair_table_reserve(&p, p.n + 1); /* window 4: an extra pair 0-4, nowhere else */
    int64_t x = p.n++;
    p.window[x] = 4, p.a[x] = 0, p.b[x] = 4, p.label[x] = 1;
    for (int q = 0; q < HW_N_MEASURES; q++) p.d[q][x] = NAN;
    p.d[0][x] = 7.0;
    hw_pair_table o;
    hw_pair_table_neighbours(&p, &fm.m, 0, &o);
    CHECK_INT_EQ(o.n, p.n);
    for (int64_t i = 0; i < p.n; i++)
        CHECK(o.d[0][i] == p.d[0][i] || (isnan(o.d[0][i]) && isnan(p.d[0][i])));
    hw_pair_table_free(&o);

    hw_pair_table_neighbours(&p, &fm.m, 1, &o);
    CHECK_INT_EQ(o.n, p.n);
    /* pair 0-1 (row 0 of each window): chr 0 windows 0 (10), 1 (20), 2 (30), 4 (40) */
    CHECK_NEAR(o.d[0][0 * 6], 15.0, 0, 1e-12);          /* 0: with 1 */
    CHECK_NEAR(o.d[0][1 * 6], 20.0, 0, 1e-12);          /* 1: with 0, 2 */
    CHECK_NEAR(o.d[0][2 * 6], 25.0, 0, 1e-12);          /* 2: with 1 (3 absent) */
    CHECK_NEAR(o.d[0][3 * 6], 40.0, 0, 1e-12);          /* 4: alone (3 absent, 5 on chr 1) */
    CHECK_NEAR(o.d[0][4 * 6], 55.0, 0, 1e-12);          /* chr 1: 50 and 60 */
    CHECK_NEAR(o.d[0][5 * 6], 55.0, 0, 1e-12);
    /* pair 2-3 (row 5): 0 everywhere, NaN at window 1: NaN there, left out elsewhere */
    CHECK(isnan(o.d[0][1 * 6 + 5]));
    CHECK_NEAR(o.d[0][0 * 6 + 5], 0.0, 0, 0);
    CHECK_NEAR(o.d[0][2 * 6 + 5], 0.0, 0, 0);
    CHECK_NEAR(o.d[0][x], 7.0, 0, 0);                   /* a pair only at its own window */
    CHECK_NEAR(o.d[1][0], 1.0, 0, 0);                   /* measure 1 */
    CHECK(isnan(o.d[1][1]));
    CHECK_INT_EQ(o.window[x], 4);
    CHECK_INT_EQ(o.label[x], 1);
    hw_pair_table_free(&o);

    hw_pair_table_neighbours(&p, &fm.m, 2, &o);         /* window 2 reaches 0 and 4 */
    CHECK_NEAR(o.d[0][2 * 6], (10.0 + 20.0 + 30.0 + 40.0) / 4, 0, 1e-12);
    CHECK_NEAR(o.d[0][3 * 6], (30.0 + 40.0) / 2, 0, 1e-12);
    hw_pair_table_free(&o);
    hw_pair_table_free(&p);
}

int main(void) {
    if (sf_load() != 0) return 1;
    test_bh_scipy();
    test_normal_sf();
    test_by_hand();
    test_neighbours();
    test_calibration();
    test_spearman_scipy();
    test_truth_value();
    free(sf_text);
    return TEST_RESULT();
}
