/* Helper of test_maxvit_torch_strict.sh: the evaluation-mode embeddings of a few raw tiles
 * with a backbone checkpoint, built and loaded as `hitwin distance` builds it (the stored
 * config gives the backbone, its architecture and the input scaling; the file's mask tensor
 * gives the mask), for PyTorch to recompute from the same file.
 *   usage: checkpoint_embed CKPT TILE_SIZE OUTDIR
 * Writes OUTDIR/tiles.f32 [N, S, S] (raw Hi-C-like values, deterministic) and OUTDIR/emb.f32
 * [N, D], both float32 little-endian, and OUTDIR/dims.txt "N S D". */
#include "hitwin/checkpoint_config.h"
#include "hitwin/error.h"
#include "hitwin/model.h"
#include "hitwin/safetensors.h"
#include "raw_file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N_TILES 4

/* Distance decay times per-pixel noise plus a floor, as test_safetensors_torch's tiles: no two
 * tiles alike, every tile's maximum on the diagonal (which the mask then zeroes). */
static void make_tiles(float *tiles, int S) {
    uint64_t s = 12345;
    for (size_t k = 0; k < N_TILES; k++)
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                const float u = (float)((s >> 40) & 0xFFFFFF) / 16777216.0f;
                tiles[(k * S + i) * S + j] = 80.0f / (1.0f + abs(i - j)) * (0.5f + u) + 2.0f * u;
            }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s CKPT TILE_SIZE OUTDIR\n", argv[0]);
        return 2;
    }
    const char *ckpt = argv[1], *dir = argv[3];
    const int S = atoi(argv[2]);
    hw_st_file f;
    hw_model_config cfg;
    if (hw_st_read(&f, ckpt) != 0) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    const int bad = hw_checkpoint_model_config(&f, ckpt, S, &cfg);
    hw_st_close(&f);
    hw_model *m = bad ? NULL : hw_model_create(&cfg, 0);
    if (!m || hw_model_load(m, ckpt) != 0) {
        fprintf(stderr, "%s\n", hw_error());
        hw_model_free(m);
        return 1;
    }
    const int D = hw_model_embed_dim(m);
    float *tiles = malloc((size_t)N_TILES * S * S * sizeof(float));
    float *emb = malloc((size_t)N_TILES * D * sizeof(float));
    make_tiles(tiles, S);
    char dims[64];
    const int k = snprintf(dims, sizeof dims, "%d %d %d\n", N_TILES, S, D);
    int rc = hw_model_embed(m, tiles, N_TILES, emb) != 0;
    if (rc) fprintf(stderr, "%s\n", hw_error());
    rc = rc || write_raw(dir, "tiles.f32", tiles, (size_t)N_TILES * S * S * sizeof(float)) ||
         write_raw(dir, "emb.f32", emb, (size_t)N_TILES * D * sizeof(float)) ||
         write_raw(dir, "dims.txt", dims, (size_t)k);
    free(tiles);
    free(emb);
    hw_model_free(m);
    return rc ? 1 : 0;
}
