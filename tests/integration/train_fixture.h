/* Small synthetic tile stores for the training tests: 4 samples (control R1, R2,
 * treatment R1, R2 = class 0, 0, 1, 1), chr1 (train, n_train windows) and chr18
 * (validation, n_val windows), T x T symmetric tiles: distance decay times a
 * per-window TAD pattern, a class-1 loop at a window-dependent spot, and per-
 * sample noise, all deterministic. Kinds:
 *   TF_NORMAL    as above
 *   TF_NOVAL     no validation chromosome (the store misses a split)
 *   TF_ONECLASS  every sample is class 0 (no pairs of label 1)
 *   TF_NAN       NaN in every training tile of sample 0
 *   TF_MISSING   sample 1 fails QC at every third training window
 *   TF_BALANCED  as TF_NORMAL, but the store says its values are KR-balanced
 * Collective over comm (every rank calls it); returns 0 or -1. */
#ifndef HITWIN_TEST_TRAIN_FIXTURE_H
#define HITWIN_TEST_TRAIN_FIXTURE_H

#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/tile_store.h"

enum { TF_NORMAL, TF_NOVAL, TF_ONECLASS, TF_NAN, TF_MISSING, TF_BALANCED };

static double tf_noise(uint64_t a) {
    a += 0x9E3779B97F4A7C15ULL;
    a = (a ^ (a >> 30)) * 0xBF58476D1CE4E5B9ULL;
    a = (a ^ (a >> 27)) * 0x94D049BB133111EBULL;
    a ^= a >> 31;
    return (double)(a >> 11) / 9007199254740992.0;
}

static void tf_tile(float *t, int T, int64_t w, int s, int cls, int kind) {
    int tad = 4 + (int)(w % 5);
    int li = (int)((w * 7) % (T - 8)) + 6, lj = li - 5;
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= i; j++) {
            double v = 200.0 / (1.0 + (i - j));
            if (i / tad == j / tad) v *= 1.8;
            if (cls == 1 && abs(i - li) <= 1 && abs(j - lj) <= 1) v *= 6.0;
            v *= 0.8 + 0.4 * tf_noise(((uint64_t)w * 131 + (uint64_t)s) * 100003 + (uint64_t)(i * T + j));
            t[i * T + j] = t[j * T + i] = (float)floor(v);
        }
    if (kind == TF_NAN && s == 0) t[(T / 2) * T + T / 3] = NAN;
}

static int tf_write_store(MPI_Comm comm, const char *path, int kind, int T, int n_train, int n_val) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    int S = 4, C = kind == TF_NOVAL ? 1 : 2;
    int64_t W = n_train + (C == 2 ? n_val : 0);
    int32_t cls[4] = {0, 0, 1, 1};
    if (kind == TF_ONECLASS) cls[2] = cls[3] = 0;
    hw_tile_writer *wr = hw_tile_writer_create(comm, path, W, S, T, 1);
    if (!wr) return -1;
    float *tiles = malloc((size_t)T * T * sizeof *tiles);
    uint8_t *kept = calloc((size_t)(W * S), 1);
    int rc = 0;
    /* every rank takes part in every collective write; rank 0 supplies the data */
    for (int64_t w = 0; w < W; w++)
        for (int s = 0; s < S; s++) {
            int keep = !(kind == TF_MISSING && s == 1 && w < n_train && w % 3 == 0);
            kept[w * S + s] = (uint8_t)keep;
            if (keep) tf_tile(tiles, T, w, s, cls[s], w < n_train ? kind : TF_NORMAL);
            else memset(tiles, 0, (size_t)T * T * sizeof *tiles);
            rc |= hw_tile_writer_write(wr, rank == 0 ? 1 : 0, w, s, tiles);
        }
    rc |= hw_tile_writer_close(wr);
    if (rank == 0 && rc == 0) {
        char *names[4] = {"control_R1", "control_R2", "treatment_R1", "treatment_R2"};
        char *paths[4] = {"a.mcool", "b.mcool", "c.mcool", "d.mcool"};
        char *cond[4] = {"control", "control", "treatment", "treatment"};
        char *rep[4] = {"R1", "R2", "R1", "R2"};
        if (kind == TF_ONECLASS) cond[2] = cond[3] = "control";
        char *chroms[2] = {"chr1", "chr18"};
        int64_t len[2] = {100000000, 100000000};
        int8_t split[2] = {0, 1};
        int32_t *wc = calloc((size_t)W, sizeof *wc), *rows = calloc((size_t)(W * S), sizeof *rows);
        int64_t *ws = calloc((size_t)W, sizeof *ws);
        int8_t *wsplit = calloc((size_t)W, 1);
        for (int64_t w = 0; w < W; w++) {
            wc[w] = w < n_train ? 0 : 1;
            ws[w] = (w < n_train ? w : w - n_train) * (int64_t)T * 10000;
            wsplit[w] = (int8_t)wc[w];
            for (int s = 0; s < S; s++) rows[w * S + s] = kept[w * S + s] ? T : 0;
        }
        hw_tile_meta m = {.config_yaml = "synthetic: true\n", .version = "test", .name = "synthetic",
                          .norm = kind == TF_BALANCED ? "KR" : "NONE", .type = "observed", .resolution = 10000, .tile_size = T,
                          .stride = T, .min_row_coverage = 0.9, .n_samples = S,
                          .sample_name = names, .sample_path = paths, .condition = cond,
                          .replicate = rep, .class_id = cls, .n_chroms = C, .chrom_name = chroms,
                          .chrom_length = len, .chrom_split = split, .n_windows = W,
                          .win_chrom = wc, .win_start = ws, .win_split = wsplit, .kept = kept,
                          .rows_covered = rows};
        rc = hw_tile_store_write_meta(path, &m);
        free(wc);
        free(rows);
        free(ws);
        free(wsplit);
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    free(tiles);
    free(kept);
    return rc ? -1 : 0;
}

#endif
