/* The tile store reader on damaged copies of a small store (train_fixture.h):
 * each breaks one fact a reader later indexes by, and opening must fail
 * naming the file and the object. Also: the in-memory entry point the
 * fuzzer uses reads the same metadata as the file one. */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/tile_store.h"
#include "integration/train_fixture.h"
#include "test_util.h"

static char good[256], bad[256];

static hid_t damaged(void) {
    CHECK_INT_EQ(test_copy_file(good, bad), 0);
    hid_t f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(f >= 0);
    return f;
}

static void set_elem(hid_t f, const char *path, hsize_t index, hid_t mtype, const void *v) {
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    hid_t fs = H5Dget_space(d);
    hsize_t one = 1;
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &index, NULL, &one, NULL);
    hid_t ms = H5Screate_simple(1, &one, NULL);
    CHECK(H5Dwrite(d, mtype, ms, fs, H5P_DEFAULT, v) >= 0);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(d);
}

static void expect_open_error(hid_t f, const char *cause) {
    H5Fclose(f);
    hw_tile_store *s = hw_tile_store_open(bad);
    CHECK(s == NULL);
    if (s) hw_tile_store_close(s);
    char want[512];
    snprintf(want, sizeof want, "%s: corrupt tile store: %s", bad, cause);
    CHECK_STR_EQ(hw_error(), want);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    char dir[] = "/tmp/hw_store_hostile_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    snprintf(good, sizeof good, "%s/good.h5", dir);
    snprintf(bad, sizeof bad, "%s/bad.h5", dir);
    if (tf_write_store(MPI_COMM_WORLD, good, TF_MISSING, 16, 4, 2) != 0) {
        fprintf(stderr, "fixture: %s\n", hw_error());
        MPI_Finalize();
        return 1;
    }
    hw_h5_quiet();
    hw_tile_store *s = hw_tile_store_open(good);
    CHECK(s != NULL);
    int64_t W = s ? hw_tile_store_meta(s)->n_windows : 0;
    int S = s ? hw_tile_store_meta(s)->n_samples : 0, C = s ? hw_tile_store_meta(s)->n_chroms : 0;

    /* the image entry point sees the same store */
    FILE *fp = fopen(good, "rb");
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *img = malloc((size_t)n);
    CHECK_INT_EQ(fread(img, 1, (size_t)n, fp), n);
    fclose(fp);
    hw_tile_store *m = hw_tile_store_open_image(img, (size_t)n, "image.h5");
    CHECK(m != NULL);
    if (m && s) {
        const hw_tile_meta *a = hw_tile_store_meta(s), *b = hw_tile_store_meta(m);
        CHECK_INT_EQ(b->n_windows, a->n_windows);
        CHECK_INT_EQ(b->tile_size, a->tile_size);
        CHECK_STR_EQ(b->chrom_name[0], a->chrom_name[0]);
        float *t1 = malloc((size_t)S * 16 * 16 * sizeof *t1), *t2 = malloc((size_t)S * 16 * 16 * sizeof *t2);
        CHECK_INT_EQ(hw_tile_store_read_window(s, W - 1, t1), 0);
        CHECK_INT_EQ(hw_tile_store_read_window(m, W - 1, t2), 0);
        CHECK(memcmp(t1, t2, (size_t)S * 16 * 16 * sizeof *t1) == 0);
        free(t1);
        free(t2);
    }
    hw_tile_store_close(m);
    CHECK(hw_tile_store_open_image(img, 100, "cut.h5") == NULL);
    CHECK_STR_EQ(hw_error(), "cut.h5: not an HDF5 file (or truncated)");
    free(img);
    hw_tile_store_close(s);
    char want[256];

    hid_t f = damaged();
    hw_h5_write_attr_int(f, "tile_size", 32);
    snprintf(want, sizeof want, "tiles is %lld x %d x 16 x 16, but tile_size 32 needs %lld x %d x 32 x 32", (long long)W,
             S, (long long)W, S);
    expect_open_error(f, want);

    f = damaged();
    hw_h5_write_attr_int(f, "tile_size", -3);
    expect_open_error(f, "attribute tile_size = -3 is out of range [1, 65536]");

    f = damaged();
    H5Adelete(f, "resolution");
    expect_open_error(f, "missing attribute 'resolution'");

    f = damaged();
    hw_h5_write_attr_int(f, "n_windows", W + 1);
    snprintf(want, sizeof want, "windows/chrom has %lld rows, expected %lld", (long long)W, (long long)W + 1);
    expect_open_error(f, want);

    f = damaged();
    int32_t c = 7;
    set_elem(f, "windows/chrom", 1, H5T_NATIVE_INT32, &c);
    snprintf(want, sizeof want, "windows/chrom[1] = 7 names no chromosome of the store (it has %d)", C);
    expect_open_error(f, want);

    f = damaged();
    int64_t st = -50;
    set_elem(f, "windows/start", 2, H5T_NATIVE_INT64, &st);
    expect_open_error(f, "windows/start[2] = -50 is outside chr1 (100000000 bp)");

    f = damaged();
    int8_t sp = 9;
    set_elem(f, "windows/split", 0, H5T_NATIVE_INT8, &sp);
    expect_open_error(f, "windows/split[0] = 9 is not a split (0 train, 1 validation, 2 test)");

    f = damaged();
    int32_t cl = S;
    set_elem(f, "samples/class_id", 0, H5T_NATIVE_INT32, &cl);
    snprintf(want, sizeof want, "samples/class_id[0] = %d is not a class of %d samples", S, S);
    expect_open_error(f, want);

    f = damaged(); /* a qc table of the wrong shape would be read past its buffer */
    H5Ldelete(f, "qc/kept", H5P_DEFAULT);
    {
        hsize_t dims[2] = {(hsize_t)W + 5, (hsize_t)S};
        hid_t spc = H5Screate_simple(2, dims, NULL);
        hid_t d = H5Dcreate2(f, "qc/kept", H5T_STD_U8LE, spc, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dclose(d);
        H5Sclose(spc);
    }
    snprintf(want, sizeof want, "qc/kept is %lld x %d, but n_windows x samples needs %lld x %d", (long long)W + 5, S,
             (long long)W, S);
    expect_open_error(f, want);

    f = damaged();
    H5Ldelete(f, "samples/condition", H5P_DEFAULT);
    expect_open_error(f, "missing dataset 'samples/condition'");

    unlink(good);
    unlink(bad);
    rmdir(dir);
    MPI_Finalize();
    return TEST_RESULT();
}
