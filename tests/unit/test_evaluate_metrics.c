/* `hitwin evaluate`'s metrics: AUROC and average precision against hand-computed
 * examples (exact), ties, NaN scores and the degenerate cases; the KDE threshold
 * against scipy (tests/data/distance_fixture.txt); truth labels of windows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/evaluate.h"
#include "hitwin/xalloc.h"
#include "test_util.h"

#define FIXTURE "tests/data/distance_fixture.txt"

static void test_auroc_ap(void) {
    /* sklearn's documentation example: roc_auc 0.75, average precision 0.8333... */
    const double s1[4] = {0.1, 0.4, 0.35, 0.8};
    const uint8_t y1[4] = {0, 0, 1, 1};
    CHECK(hw_auroc(s1, y1, 4) == 0.75);
    CHECK_NEAR(hw_average_precision(s1, y1, 4), 5.0 / 6.0, 1e-15, 0);
    /* a tie across classes counts one half: (1 + 1 + 0.5 + 1) / 4; AP: thresholds 0.9
     * (P 1, R 1/2) and 0.5 (P 2/3, R 1) -> 1/2 + 1/2 * 2/3 */
    const double s2[4] = {0.5, 0.5, 0.2, 0.9};
    const uint8_t y2[4] = {1, 0, 0, 1};
    CHECK(hw_auroc(s2, y2, 4) == 0.875);
    CHECK_NEAR(hw_average_precision(s2, y2, 4), 5.0 / 6.0, 1e-15, 0);
    /* all tied: 0.5 and the positive rate */
    const double s3[4] = {1, 1, 1, 1};
    const uint8_t y3[4] = {0, 1, 0, 1};
    CHECK(hw_auroc(s3, y3, 4) == 0.5);
    CHECK(hw_average_precision(s3, y3, 4) == 0.5);
    /* perfect and reversed */
    const double s4[5] = {0.1, 0.2, 0.3, 0.4, 0.5};
    const uint8_t y4[5] = {0, 0, 0, 1, 1}, y5[5] = {1, 1, 0, 0, 0};
    CHECK(hw_auroc(s4, y4, 5) == 1.0);
    CHECK(hw_average_precision(s4, y4, 5) == 1.0);
    CHECK(hw_auroc(s4, y5, 5) == 0.0);
    /* y5: thresholds 0.5..0.1: P = 0/1, 0/2, 0/3, 1/4 (R 1/2), 2/5 (R 1) -> 1/8 + 1/5 */
    CHECK_NEAR(hw_average_precision(s4, y5, 5), 0.125 + 0.2, 1e-15, 0);
    /* NaN scores are left out */
    const double s6[6] = {0.1, NAN, 0.4, 0.35, NAN, 0.8};
    const uint8_t y6[6] = {0, 1, 0, 1, 0, 1};
    CHECK(hw_auroc(s6, y6, 6) == 0.75);
    CHECK_NEAR(hw_average_precision(s6, y6, 6), 5.0 / 6.0, 1e-15, 0);
    /* degenerate: no positive, no negative, nothing */
    const uint8_t none[4] = {0, 0, 0, 0}, all[4] = {1, 1, 1, 1};
    CHECK(isnan(hw_auroc(s1, none, 4)));
    CHECK(isnan(hw_average_precision(s1, none, 4)));
    CHECK(isnan(hw_auroc(s1, all, 4)));
    CHECK(hw_average_precision(s1, all, 4) == 1.0);
    CHECK(isnan(hw_auroc(s1, y1, 0)));
    const double nans[2] = {NAN, NAN};
    CHECK(isnan(hw_auroc(nans, y1, 2)));
}

static double *read_values(const char *key, int64_t *n) {
    FILE *f = fopen(FIXTURE, "r");
    if (!f) return NULL;
    size_t cap = 1 << 22;
    char *line = xmalloc(cap);
    double *v = NULL;
    *n = 0;
    while (fgets(line, (int)cap, f)) {
        size_t k = strlen(key);
        if (strncmp(line, key, k) != 0 || line[k] != ' ') continue;
        v = xmalloc(4096 * sizeof *v);
        char *p = line + k, *end;
        for (;;) {
            double x = strtod(p, &end);
            if (end == p) break;
            v[(*n)++] = x;
            p = end;
        }
    }
    free(line);
    fclose(f);
    return v;
}

static void test_kde_threshold(void) {
    int64_t nw, nb, nr;
    double *w = read_values("kde_within", &nw), *b = read_values("kde_between", &nb),
           *r = read_values("kde_result", &nr);
    CHECK(w && b && r && nr == 5);
    if (!w || !b || !r || nr != 5) return;
    hw_separation s;
    hw_kde_separation(w, nw, b, nb, 200, &s);
    CHECK(s.found);
    CHECK_NEAR(s.threshold, r[0], 1e-12, 1e-10);
    CHECK(s.replicate_rate == r[1]);
    CHECK(s.condition_rate == r[2]);
    CHECK_NEAR(s.mean_rate, r[3], 1e-15, 0);
    CHECK_NEAR(s.separation, r[4], 1e-12, 1e-10);
    /* the curves of two identical samples never change sign: no threshold */
    hw_kde_separation(w, nw, w, nw, 200, &s);
    CHECK(!s.found && isnan(s.threshold));
    /* a constant sample has no bandwidth */
    const double c[3] = {1, 1, 1};
    hw_kde_separation(c, 3, b, nb, 200, &s);
    CHECK(!s.found);
    /* scipy.stats.gaussian_kde([0, 1, 2])(1): bandwidth 3^-0.2, density by hand */
    const double v[3] = {0, 1, 2};
    double bw = hw_kde_scott_bandwidth(v, 3);
    CHECK_NEAR(bw, pow(3.0, -0.2), 1e-15, 0);
    double want = (1.0 + 2.0 * exp(-0.5 / (bw * bw))) / (3.0 * bw * sqrt(2.0 * M_PI));
    CHECK_NEAR(hw_kde_eval(v, 3, bw, 1.0), want, 1e-15, 1e-14);
    free(w);
    free(b);
    free(r);
}

static void test_truth(void) {
    char dir[] = "/tmp/hw_eval_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0);
        return;
    }
    char bed[256], bg[256];
    snprintf(bed, sizeof bed, "%s/truth.bed", dir);
    snprintf(bg, sizeof bg, "%s/truth.bedgraph", dir);
    FILE *f = fopen(bed, "w");
    fputs("#chrom\tstart\tend\tkind\tstrength\nchr1\t1000\t2000\tloop_loss\t0.8\n"
          "chr1\t5000\t6000\tboundary_loss\t0\nchr2\t0\t100\tcompartment_shift\t1\n", f);
    fclose(f);
    f = fopen(bg, "w");
    fputs("track type=bedGraph\nchr1\t0\t3000\t0.2\nchr1\t3000\t9000\t0.7\n", f);
    fclose(f);
    hw_truth t;
    CHECK(hw_truth_load(bed, &t) == 0);
    CHECK_INT_EQ(t.n, 3);
    CHECK(!t.bedgraph);
    CHECK_INT_EQ(hw_truth_label(&t, "chr1", 0, 1000, 0.5), 0);     /* half-open: touching */
    CHECK_INT_EQ(hw_truth_label(&t, "chr1", 0, 1001, 0.5), 1);
    CHECK_INT_EQ(hw_truth_label(&t, "chr1", 1999, 3000, 0.5), 1);
    CHECK_INT_EQ(hw_truth_label(&t, "chr1", 2000, 3000, 0.5), 0);
    CHECK_INT_EQ(hw_truth_label(&t, "chr1", 4000, 7000, 0.5), 0);  /* strength 0: no change */
    CHECK_INT_EQ(hw_truth_label(&t, "2", 50, 60, 0.5), 1);         /* "chr" optional */
    CHECK_INT_EQ(hw_truth_label(&t, "chr3", 0, 100000, 0.5), 0);
    hw_truth_free(&t);
    CHECK(hw_truth_load(bg, &t) == 0);
    CHECK(t.bedgraph);
    CHECK_INT_EQ(t.n, 2);
    CHECK_INT_EQ(hw_truth_label(&t, "chr1", 0, 3000, 0.5), 0);     /* 0.2 */
    CHECK_INT_EQ(hw_truth_label(&t, "chr1", 2000, 4000, 0.5), 1);  /* max(0.2, 0.7) */
    CHECK_INT_EQ(hw_truth_label(&t, "chr1", 2000, 4000, 0.7), 0);  /* must exceed */
    hw_truth_free(&t);
    f = fopen(bed, "w");
    fputs("chr1\t10\n", f);
    fclose(f);
    CHECK(hw_truth_load(bed, &t) != 0);
    char want[512];
    snprintf(want, sizeof want, "%s:1: expected 5 columns (chrom start end kind strength), found 2", bed);
    CHECK_STR_EQ(hw_error(), want);

    /* one exact message with file:line per kind of bad line */
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"chr1\t0\t10\tx\t1\nchr1\t-5\t10\tx\t1\n", "%s:2: negative start -5"},
        {"chr1\t500\t100\tx\t1\n", "%s:1: end 100 is not after start 500"},
        {"chr1\t100\t100\tx\t1\n", "%s:1: end 100 is not after start 100"},
        {"chr1\t1e2x\t500\tx\t1\n", "%s:1: start '1e2x' is not an integer"},
        {"chr1\t0\t99999999999999999999\tx\t1\n", "%s:1: end '99999999999999999999' is not an integer"},
        {"chr1\t0\t100\tx\tnan\n", "%s:1: strength 'nan' is not a finite number"},
        {"chr1\t0\t100\tx\t0.5abc\n", "%s:1: strength '0.5abc' is not a finite number"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        f = fopen(bed, "w");
        fputs(bad[k].text, f);
        fclose(f);
        CHECK_INT_EQ(hw_truth_load(bed, &t), -1);
        snprintf(want, sizeof want, bad[k].msg, bed);
        CHECK_STR_EQ(hw_error(), want);
    }
    f = fopen(bed, "wb");
    fwrite("chr1\t0\t100\tx\t1\nchr1\t0\t1\0\t0\n", 1, 27, f);
    fclose(f);
    CHECK_INT_EQ(hw_truth_load(bed, &t), -1);
    snprintf(want, sizeof want, "%s:2: a NUL byte: not a text file", bed);
    CHECK_STR_EQ(hw_error(), want);
    /* bedGraph values; chromosomes checked against the distance file's */
    f = fopen(bg, "w");
    fputs("chr1\t0\t100\tinf\n", f);
    fclose(f);
    CHECK_INT_EQ(hw_truth_load(bg, &t), -1);
    snprintf(want, sizeof want, "%s:1: value 'inf' is not a finite number", bg);
    CHECK_STR_EQ(hw_error(), want);
    f = fopen(bg, "w");
    fputs("# comment\nchr1\t0\t100\t0.5\nchrZ\t0\t100\t0.5\n", f);
    fclose(f);
    CHECK_INT_EQ(hw_truth_load(bg, &t), 0);
    const char names[3][8] = {"chr1", "chr1", "chr2"};
    CHECK_INT_EQ(hw_truth_check_chroms(&t, names[0], 3, 8), -1);
    snprintf(want, sizeof want, "%s:3: chromosome 'chrZ' is not in the distance file", bg);
    CHECK_STR_EQ(hw_error(), want);
    CHECK_INT_EQ(hw_truth_check_chroms(&t, names[0], 1, 8), -1);
    hw_truth_free(&t);
    f = fopen(bg, "w");
    fputs("1\t0\t100\t0.5\nchr2\t0\t100\t0.5\n", f);
    fclose(f);
    CHECK_INT_EQ(hw_truth_load(bg, &t), 0);
    CHECK_INT_EQ(hw_truth_check_chroms(&t, names[0], 3, 8), 0); /* "chr" optional */
    hw_truth_free(&t);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    test_auroc_ap();
    test_kde_threshold();
    test_truth();
    return TEST_RESULT();
}
