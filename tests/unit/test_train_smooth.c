/* `smooth: auto` (include/hitwin/train_smooth.h): the rule from depth to half-width, the
 * store's depth (median of the training tiles' mean count at separations 3 .. T/2, kept tiles
 * only), and the line that says why, on synthetic stores (train_fixture.h). */
#define _GNU_SOURCE
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/train_smooth.h"
#include "integration/train_fixture.h"
#include "test_util.h"

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* a tile's mean at separations 3 .. T/2, as the store depth reads it */
static double band_mean(const float *t, int T) {
    double sum = 0;
    int k = 0;
    for (int i = 0; i < T; i++)
        for (int j = i + 3; j <= i + T / 2 && j < T; j++)
            if (isfinite(t[i * T + j])) sum += t[i * T + j], k++;
    return sum / k;
}

/* the median of the fixture's training tiles at windows w_of(0..n_win), kept ones only */
static double expected_depth(int kind, int T, int n_win, int n_train, int *n_tiles) {
    double *m = calloc((size_t)n_win * 4, sizeof *m);
    float *t = malloc((size_t)T * T * sizeof *t);
    int n = 0;
    for (int i = 0; i < n_win; i++) {
        const int64_t w = (int64_t)i * n_train / n_win; /* evenly spread, as the reader picks */
        for (int s = 0; s < 4; s++) {
            if (kind == TF_MISSING && s == 1 && w % 3 == 0) continue; /* not kept */
            tf_tile(t, T, w, s, s >= 2, kind);
            m[n++] = band_mean(t, T);
        }
    }
    qsort(m, (size_t)n, sizeof *m, cmp);
    double med = n % 2 ? m[n / 2] : 0.5 * (m[n / 2 - 1] + m[n / 2]);
    *n_tiles = n;
    free(m);
    free(t);
    return med;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    /* the rule: 5 or more counts per pixel read as they are; below, the smallest square that
     * holds 15 counts, 7 x 7 at most */
    CHECK_INT_EQ(hw_smooth_for_depth(63.0), 0);
    CHECK_INT_EQ(hw_smooth_for_depth(5.0), 0);
    CHECK_INT_EQ(hw_smooth_for_depth(4.99), 1);
    CHECK_INT_EQ(hw_smooth_for_depth(2.51), 1);
    CHECK_INT_EQ(hw_smooth_for_depth(15.0 / 9.0), 1);
    CHECK_INT_EQ(hw_smooth_for_depth(1.66), 2);
    CHECK_INT_EQ(hw_smooth_for_depth(0.792), 2);
    CHECK_INT_EQ(hw_smooth_for_depth(0.6), 2);
    CHECK_INT_EQ(hw_smooth_for_depth(0.59), 3);
    CHECK_INT_EQ(hw_smooth_for_depth(0.01), 3);
    CHECK_INT_EQ(hw_smooth_for_depth(0.0), 0);
    CHECK_INT_EQ(hw_smooth_for_depth(NAN), 0);

    char dir[] = "/tmp/hw_train_smooth_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[256], why[256];
    const int T = 32;
    const int kinds[3] = {TF_NORMAL, TF_MISSING, TF_BALANCED};
    for (int k = 0; k < 3; k++) {
        /* 70 training windows: 64 of them read, evenly spread (here: all but 6) */
        const int n_train = k == 0 ? 70 : 12;
        snprintf(path, sizeof path, "%s/store%d.h5", dir, k);
        if (tf_write_store(MPI_COMM_WORLD, path, kinds[k], T, n_train, 3) != 0) {
            fprintf(stderr, "cannot write %s\n", path);
            return 1;
        }
        hw_tile_store *st = hw_tile_store_open(path);
        CHECK(st != NULL);
        if (!st) continue;
        double depth;
        int n, h = -7;
        int rc = hw_store_depth(st, &depth, &n);
        CHECK(hw_smooth_auto(st, &h, why, sizeof why) == 0);
        if (kinds[k] == TF_BALANCED) {
            CHECK_INT_EQ(rc, 1);
            CHECK_INT_EQ(h, 0);
            CHECK_STR_EQ(why, "smooth: auto -> 0 (the store holds normalised values, not counts)");
        } else if (k == 0) {
            /* the windows read: k * 70 / 64 for k = 0..63; the median over their 256 tiles */
            int want_n;
            const double want = expected_depth(TF_NORMAL, T, 64, n_train, &want_n);
            CHECK_INT_EQ(rc, 0);
            CHECK_INT_EQ(n, 256);
            CHECK_INT_EQ(want_n, 256);
            CHECK_NEAR(depth, want, 0, 1e-12);
            CHECK_INT_EQ(h, hw_smooth_for_depth(depth));
        } else {
            int want_n;
            const double want = expected_depth(kinds[k], T, n_train, n_train, &want_n);
            CHECK_INT_EQ(rc, 0);
            CHECK_INT_EQ(n, want_n); /* 12 windows x 4, less sample 1 at windows 0, 3, 6, 9 */
            CHECK_INT_EQ(n, 44);
            CHECK_NEAR(depth, want, 0, 1e-12);
            CHECK_INT_EQ(h, hw_smooth_for_depth(want));
            char line[256];
            snprintf(line, sizeof line,
                     "smooth: auto -> %d (median %.3g counts per pixel at separations 3-16 bins over "
                     "44 training tiles; %.3g per smoothed value)",
                     h, want, want * (2 * h + 1) * (2 * h + 1));
            CHECK_STR_EQ(why, line);
        }
        hw_tile_store_close(st);
        unlink(path);
    }
    rmdir(dir);
    MPI_Finalize();
    return test_failures ? 1 : 0;
}
