/* The cooler reader on damaged copies of tests/data/cool_small_float.cool
 * (3 chromosomes, 34 bins at 50 kb, 398 pixels): each copy breaks one
 * structural fact, and the query must fail with the file, the dataset and
 * the index or value, never crash and never return contacts. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/contacts.h"
#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "test_util.h"

#define SRC "tests/data/cool_small_float.cool"

static char tmp[64];

/* A fresh copy of SRC, opened read-write. */
static hid_t damaged(void) {
    snprintf(tmp, sizeof tmp, "/tmp/hitwin_cool_hostile_%d.cool", (int)getpid());
    CHECK_INT_EQ(test_copy_file(SRC, tmp), 0);
    hw_h5_quiet();
    hid_t f = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(f >= 0);
    return f;
}

static void set_i64(hid_t f, const char *path, hsize_t index, int64_t v) {
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    hid_t fs = H5Dget_space(d);
    hsize_t one = 1;
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &index, NULL, &one, NULL);
    hid_t ms = H5Screate_simple(1, &one, NULL);
    CHECK(H5Dwrite(d, H5T_NATIVE_INT64, ms, fs, H5P_DEFAULT, &v) >= 0);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(d);
}

/* Replace an integer dataset by its first n - drop rows. */
static void shorten(hid_t f, const char *path, int64_t drop) {
    int64_t n = hw_h5_len(f, path);
    int64_t *v = calloc((size_t)n, sizeof *v);
    CHECK_INT_EQ(hw_h5_read_slice(f, path, H5T_NATIVE_INT64, 0, n, v), 0);
    CHECK(H5Ldelete(f, path, H5P_DEFAULT) >= 0);
    CHECK_INT_EQ(hw_h5_write_1d(f, path, H5T_STD_I64LE, H5T_NATIVE_INT64, n - drop, v), 0);
    free(v);
}

/* Query chr1 (bins 0..19) of the damaged copy; expect msg (after "<tmp>: "). */
static void expect_query_error(hid_t f, const char *msg) {
    H5Fclose(f);
    hw_contacts *c = hw_contacts_open(tmp);
    char want[512];
    snprintf(want, sizeof want, "%s: %s", tmp, msg);
    if (!c) {
        CHECK_STR_EQ(hw_error(), want);
    } else {
        hw_query q = {.resolution = 50000, .norm = "NONE", .chrom1 = 0, .chrom2 = 0, .hi1 = 20, .hi2 = 20};
        float d[400];
        CHECK_INT_EQ(hw_contacts_fetch_dense(c, &q, d), -1);
        CHECK_STR_EQ(hw_error(), want);
        hw_contacts_close(c);
    }
    unlink(tmp);
}

int main(void) {
    hid_t f = damaged();
    H5Ldelete(f, "pixels/count", H5P_DEFAULT);
    expect_query_error(f, "missing dataset 'pixels/count'");

    /* the same with a weight column: the failed load used to free through a
     * NULL norm table (a segfault on every cooler with weights; found by fuzz_cool) */
    for (int k = 0; k < 2; k++) {
        f = damaged();
        double w[34];
        for (int i = 0; i < 34; i++) w[i] = 1.0;
        CHECK_INT_EQ(hw_h5_write_1d(f, "bins/weight", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 34, w), 0);
        H5Ldelete(f, k ? "indexes/bin1_offset" : "pixels/count", H5P_DEFAULT);
        expect_query_error(f, k ? "missing dataset 'indexes/bin1_offset'" : "missing dataset 'pixels/count'");
    }

    f = damaged();
    H5Ldelete(f, "indexes/bin1_offset", H5P_DEFAULT);
    expect_query_error(f, "missing dataset 'indexes/bin1_offset'");

    f = damaged();
    set_i64(f, "indexes/bin1_offset", 5, 1000000);
    expect_query_error(f, "corrupt index: bin1_offset decreases at bin 6");

    f = damaged();
    set_i64(f, "indexes/bin1_offset", 34, 397);
    expect_query_error(f, "corrupt index: bin1_offset ends at 397, expected 398");

    f = damaged();
    set_i64(f, "indexes/chrom_offset", 1, 40);
    expect_query_error(f, "corrupt index: chrom_offset decreases at chromosome 2");

    f = damaged();
    set_i64(f, "indexes/chrom_offset", 3, 33);
    expect_query_error(f, "corrupt index: chrom_offset ends at 33, expected 34");

    f = damaged();
    set_i64(f, "indexes/chrom_offset", 3, 35);
    expect_query_error(f, "corrupt index: chrom_offset ends at 35, expected 34");

    f = damaged();
    set_i64(f, "pixels/bin1_id", 3, -5);
    expect_query_error(f, "corrupt pixels: bin1_id -5 at pixel 3, but the index puts it in row 0");

    f = damaged();
    set_i64(f, "pixels/bin2_id", 3, 34);
    expect_query_error(f, "corrupt pixels: bin2_id 34 out of range at pixel 3");

    f = damaged();
    set_i64(f, "pixels/bin2_id", 3, -1);
    expect_query_error(f, "corrupt pixels: bin2_id -1 out of range at pixel 3");

    f = damaged();
    set_i64(f, "pixels/bin2_id", 26, 0); /* row 1's first pixel, below the diagonal */
    expect_query_error(f, "corrupt pixels: bin2_id < bin1_id at pixel 26 of a symmetric-upper cooler");

    f = damaged();
    shorten(f, "bins/chrom", 3);
    expect_query_error(f, "bins/chrom has 31 rows, bins/start 34");

    f = damaged();
    shorten(f, "bins/end", 1);
    expect_query_error(f, "bins/end has 33 rows, bins/start 34");

    f = damaged();
    shorten(f, "pixels/bin1_id", 1);
    expect_query_error(f, "pixels/bin1_id has 397 rows, pixels/bin2_id 398");

    f = damaged();
    shorten(f, "indexes/bin1_offset", 1);
    expect_query_error(f, "corrupt index: bin1_offset has 34 entries for 34 bins");

    f = damaged(); /* a weight column of the wrong length is an error, not "no such norm" */
    {
        double w[30] = {0};
        CHECK_INT_EQ(hw_h5_write_1d(f, "bins/weight", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 30, w), 0);
    }
    expect_query_error(f, "bins/weight has 30 rows, bins/start 34");
    return TEST_RESULT();
}
