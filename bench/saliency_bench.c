/* Per-pair cost of hitwin saliency's numeric core on real tiles, for bench/saliency.sh:
 *   saliency_bench STORE CKPT PAIRS STEPS OUT.bin
 * takes the first window of the store with at least two kept tiles, and for PAIRS pairs of
 * its tiles times the conv2 feature difference plus IG at STEPS steps (batched, chunk 50, as
 * the stage runs it) and, for the first pair, IG one alpha per pass (chunk 1, the reference's
 * schedule in our code). Writes the raw tiles of the window (float32 [n, T, T] after an int32
 * header n, T) to OUT.bin for the PyTorch reference (bench/reference_saliency.py) and the
 * batched map of the first pair after them. One BLAS thread, as the stage. */
#include "hitwin/error.h"
#include "hitwin/model.h"
#include "hitwin/saliency.h"
#include "hitwin/tile_store.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void openblas_set_num_threads(int) __attribute__((weak));

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s STORE CKPT PAIRS STEPS OUT.bin\n", argv[0]);
        return 2;
    }
    MPI_Init(&argc, &argv);
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    const int pairs = atoi(argv[3]), steps = atoi(argv[4]);
    hw_tile_store *st = hw_tile_store_open(argv[1]);
    if (!st) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    const hw_tile_meta *m = hw_tile_store_meta(st);
    const int T = m->tile_size, NS = m->n_samples;
    const size_t T2 = (size_t)T * T;
    hw_model_config cfg = {.image_size = T, .mask = 1, .dropout = 0.5f, .loss = HW_LOSS_TRIPLET,
                           .margin = 1.0f, .temperature = 0.07f};
    hw_model *model = hw_model_create(&cfg, 1);
    if (!model || hw_model_load(model, argv[2]) != 0) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    float *tiles = malloc((size_t)NS * T2 * sizeof(float));
    int n = 0;
    for (int64_t w = 0; w < m->n_windows && n < 2; w++) {
        n = 0;
        for (int s = 0; s < NS; s++) n += m->kept[w * NS + s] != 0;
        if (n < 2) continue;
        hw_tile_store_read_window(st, w, tiles);
        int k = 0;
        for (int s = 0; s < NS; s++)
            if (m->kept[w * NS + s]) memmove(tiles + (size_t)k++ * T2, tiles + (size_t)s * T2, T2 * sizeof(float));
        printf("window %lld: %d tiles of %d x %d\n", (long long)w, n, T, T);
    }
    const int G = hw_model_feature_side(model), D = hw_model_embed_dim(model);
    float *x = malloc((size_t)n * T2 * sizeof(float)), *e = malloc((size_t)n * D * sizeof(float));
    float *conv = malloc((size_t)n * 16 * G * G * sizeof(float)), *map = malloc(T2 * sizeof(float));
    float *first = malloc(T2 * sizeof(float)), *fd = malloc((size_t)G * G * sizeof(float));
    double t0 = MPI_Wtime();
    hw_model_prepare(model, tiles, n, x, e); /* once per window, shared by its pairs */
    hw_model_conv2_maps(model, x, n, conv);
    double t_window = MPI_Wtime() - t0;
    double t_pairs = 0.0;
    for (int p = 0; p < pairs; p++) {
        int a = p % n, b = (p + 1) % n;
        if (a == b) b = (a + 1) % n;
        t0 = MPI_Wtime();
        for (int q = 0; q < G * G; q++) {
            double s = 0.0;
            for (int c = 0; c < 16; c++)
                s += fabsf(conv[((size_t)b * 16 + c) * G * G + q]) - fabsf(conv[((size_t)a * 16 + c) * G * G + q]);
            fd[q] = (float)(s / 16);
        }
        hw_ig_map(model, x + a * T2, x + b * T2, e + (size_t)a * D, e + (size_t)b * D, steps,
                  HW_IG_DEFAULT_CHUNK, HW_IG_PAIRWISE, map);
        t_pairs += MPI_Wtime() - t0;
        if (p == 0) memcpy(first, map, T2 * sizeof(float));
    }
    /* the same first pair with each direction on its own path (the schedule before both
     * shared one; saliency.h) */
    t0 = MPI_Wtime();
    hw_ig_map_two_paths(model, x, x + T2, e, e + D, steps, HW_IG_DEFAULT_CHUNK, HW_IG_PAIRWISE, map);
    double t_two = MPI_Wtime() - t0, worst2 = 0.0;
    for (size_t q = 0; q < T2; q++) worst2 = fmax(worst2, fabs(map[q] - first[q]));
    t0 = MPI_Wtime();
    hw_ig_map(model, x, x + T2, e, e + D, steps, 1, HW_IG_PAIRWISE, map);
    double t_one = MPI_Wtime() - t0;
    double worst = 0.0, amax = 0.0;
    for (size_t q = 0; q < T2; q++) {
        worst = fmax(worst, fabs(map[q] - first[q]));
        amax = fmax(amax, fabs(first[q]));
    }
    printf("ours: %.3f s per pair (features + IG %d steps, batched; window prep %.3f s shared by its pairs)\n",
           t_pairs / pairs, steps, t_window);
    printf("ours, one alpha per pass: %.3f s per pair (max |diff| to batched %.2e of %.2e)\n", t_one, worst, amax);
    printf("ours, each direction on its own path: %.3f s per pair of IG (max |diff| %.2e of %.2e); "
           "sharing one path: %.2fx\n", t_two, worst2, amax, t_two / (t_pairs / pairs));
    FILE *f = fopen(argv[5], "wb");
    int32_t hdr[2] = {n, T};
    fwrite(hdr, sizeof hdr, 1, f);
    fwrite(tiles, sizeof(float), (size_t)n * T2, f);
    fwrite(first, sizeof(float), T2, f);
    fclose(f);
    free(tiles), free(x), free(e), free(conv), free(map), free(first), free(fd);
    hw_model_free(model);
    hw_tile_store_close(st);
    MPI_Finalize();
    return 0;
}
