/* Test helper for the registration check of test_saliency_stage.sh:
 *   saliency_plant STORE.h5 A B
 * writes a tile store of one chromosome (chr1, 10 kb, tiles 32 x 32 at stride 8, 20 windows)
 * with two samples, control and treatment, cut from one genomic map (distance decay times
 * fixed noise), the treatment's differing in the single contact (A, B) (bins, A < B);
 *   saliency_plant --check SALIENCY.h5 ROW COL
 * exits 0 when the chr1 condition saliency strip is nonzero at (ROW, COL) and zero everywhere
 * else (the exact bin), and prints where its largest |value| lies. */
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/tile_store.h"

#define T 32
#define STRIDE 8
#define W 20
#define NB (STRIDE * (W - 1) + T) /* bins of the chromosome */

static double noise(uint64_t a) {
    a += 0x9E3779B97F4A7C15ULL;
    a = (a ^ (a >> 30)) * 0xBF58476D1CE4E5B9ULL;
    a = (a ^ (a >> 27)) * 0x94D049BB133111EBULL;
    return (double)((a ^ (a >> 31)) >> 11) / 9007199254740992.0;
}

static int write_store(const char *path, int A, int B) {
    static float g[2][NB][NB];
    for (int i = 0; i < NB; i++)
        for (int j = i; j < NB; j++) {
            float v = (float)floor(500.0 / (1.0 + j - i) * (0.7 + 0.6 * noise((uint64_t)i * NB + j)));
            g[0][i][j] = g[0][j][i] = g[1][i][j] = g[1][j][i] = v;
        }
    g[1][A][B] = g[1][B][A] = g[0][A][B] * 2.0f; /* well below the tile maximum (the diagonal) */
    hw_tile_writer *wr = hw_tile_writer_create(MPI_COMM_WORLD, path, W, 2, T, 1);
    if (!wr) return 1;
    float tile[T * T];
    int rc = 0, rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    for (int w = 0; w < W; w++)
        for (int s = 0; s < 2; s++) {
            for (int i = 0; i < T; i++)
                for (int j = 0; j < T; j++) tile[i * T + j] = g[s][w * STRIDE + i][w * STRIDE + j];
            rc |= hw_tile_writer_write(wr, rank == 0, w, s, tile); /* rank 0 supplies the data */
        }
    rc |= hw_tile_writer_close(wr);
    char *names[2] = {"control_R1", "treatment_R1"}, *paths[2] = {"a.mcool", "b.mcool"};
    char *cond[2] = {"control", "treatment"}, *rep[2] = {"R1", "R1"}, *chroms[1] = {"chr1"};
    int32_t cls[2] = {0, 1}, wc[W], rows[W * 2];
    int64_t len[1] = {(int64_t)NB * 10000}, ws[W];
    int8_t split[1] = {2}, wsplit[W];
    uint8_t kept[W * 2];
    for (int w = 0; w < W; w++) {
        wc[w] = 0;
        ws[w] = (int64_t)w * STRIDE * 10000;
        wsplit[w] = 2;
        kept[2 * w] = kept[2 * w + 1] = 1;
        rows[2 * w] = rows[2 * w + 1] = T;
    }
    hw_tile_meta m = {.config_yaml = "synthetic: true\n", .version = "test", .name = "plant",
                      .norm = "NONE", .type = "observed", .resolution = 10000, .tile_size = T,
                      .stride = STRIDE, .min_row_coverage = 0.9, .n_samples = 2, .sample_name = names,
                      .sample_path = paths, .condition = cond, .replicate = rep, .class_id = cls,
                      .n_chroms = 1, .chrom_name = chroms, .chrom_length = len, .chrom_split = split,
                      .n_windows = W, .win_chrom = wc, .win_start = ws, .win_split = wsplit,
                      .kept = kept, .rows_covered = rows};
    if (rank == 0 && !rc) rc = hw_tile_store_write_meta(path, &m);
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return rc ? 1 : 0;
}

static int check(const char *path, int row, int col) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f < 0 ? -1 : H5Dopen2(f, "strips/chr1/condition_saliency", H5P_DEFAULT);
    if (d < 0) {
        fprintf(stderr, "%s: no strips/chr1/condition_saliency\n", path);
        return 1;
    }
    static float s[T * NB];
    H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, s);
    H5Dclose(d);
    H5Fclose(f);
    int best = 0, nonzero = 0;
    for (int p = 0; p < T * NB; p++) {
        if (s[p] != 0.0f) nonzero++;
        if (fabsf(s[p]) > fabsf(s[best])) best = p;
    }
    printf("registration: condition saliency strip peak at row %d, column %d (expected %d, %d); "
           "%d nonzero pixel%s\n", best / NB, best % NB, row, col, nonzero, nonzero == 1 ? "" : "s");
    return best / NB == row && best % NB == col && nonzero == 1 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 5 && !strcmp(argv[1], "--check")) return check(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc != 4) {
        fprintf(stderr, "usage: %s STORE.h5 A B | --check SALIENCY.h5 ROW COL\n", argv[0]);
        return 2;
    }
    MPI_Init(&argc, &argv);
    int rc = write_store(argv[1], atoi(argv[2]), atoi(argv[3]));
    MPI_Finalize();
    return rc;
}
