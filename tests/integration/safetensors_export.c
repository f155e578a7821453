/* Helper of test_safetensors_torch.sh: saves a 224-pixel SLeNet(mask=True) + head
 * checkpoint from C, with raw tiles, their eval-mode embeddings and the eval loss, for
 * PyTorch to load and recompute.  usage: safetensors_export OUTDIR */
#include "hitwin/error.h"
#include "hitwin/model.h"
#include "raw_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define S 224
#define N 3

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    hw_model_config c = {S, 1, 0.5f, HW_LOSS_CONTRASTIVE, HW_CE_REFERENCE, 2.0f, 2.0f, 0.07f, HW_INPUT_NONE, HW_NORM_WHOLE, HW_BACKBONE_SLENET, {0}, 0};
    hw_model *m = hw_model_create(&c, 20240611);
    /* raw Hi-C-like tiles [N, 2, S, S] */
    float *tiles = malloc((size_t)N * 2 * S * S * sizeof(float));
    uint64_t s = 12345;
    for (size_t k = 0; k < (size_t)N * 2; k++)
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                float u = (float)((s >> 40) & 0xFFFFFF) / 16777216.0f;
                tiles[(k * S + i) * S + j] = 80.0f / (1.0f + abs(i - j)) * (0.5f + u) + 2.0f * u;
            }
    int labels[N] = {0, 1, 1};
    float emb[N * 2 * 83];
    hw_batch b = {N, 2, N, tiles, labels, 0, NULL};
    hw_step_stats st;
    char path[4096], stats[256];
    snprintf(path, sizeof path, "%s/model.safetensors", argv[1]);
    const char *meta[] = {"producer", "safetensors_export", NULL};
    if (hw_model_embed(m, tiles, N * 2, emb) || hw_model_eval_loss(m, &b, &st) ||
        hw_model_save(m, path, meta)) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    int k = snprintf(stats, sizeof stats, "%.9g %.9g %.9g %d\n", st.loss, st.con_loss, st.ce_loss,
                     st.n_correct);
    if (write_raw(argv[1], "tiles.f32", tiles, (size_t)N * 2 * S * S * sizeof(float)) ||
        write_raw(argv[1], "labels.i32", labels, sizeof labels) ||
        write_raw(argv[1], "emb.f32", emb, sizeof emb) || write_raw(argv[1], "stats.txt", stats, (size_t)k))
        return 1;
    free(tiles);
    hw_model_free(m);
    return 0;
}
