/* hitwin's side of bench/maxvit-cpu.sh: maxvit_t (SMaxViT, 224 x 224 one-channel tiles) on the
 * CPU, the same work as bench/reference_maxvit.py does in PyTorch:
 *   bench_maxvit TILES.bin THREADS VIEWS EVAL_REPS BATCH...
 * writes 2 x VIEWS x max(BATCH) synthetic raw tiles (float32 [n, S, S] after an int32 header n, S;
 * a distance-decay pattern with noise, as the tests' tiles) to TILES.bin for the reference,
 * then times
 *   - the evaluation embedding of one tile (hw_model_embed: normalisation, mask, forward with
 *     running statistics), one warm-up and EVAL_REPS timed calls, the median;
 *   - one training step per BATCH (items of VIEWS views, the triplet objective the reference
 *     uses for MaxViT, each view its own BatchNorm statistics): zero the gradients,
 *     hw_model_train_step (forward, loss, backward), Adam (lr 1e-4). One warm-up step at the
 *     largest BATCH first (the arena grows to it, as in a training run), then one timed step
 *     per BATCH.
 * and prints one "key value" line each: eval_s, train_s_<B>, arena_mib_eval (one tile),
 * arena_mib_train (the arena at the largest BATCH),
 * rss_base_mib (after the model and optimiser exist) and rss_peak_mib (the process peak). The
 * model is maxvit_t with torchvision's random initialisation and no stochastic depth (as the
 * reference side); its initial weights go to TILES.bin.safetensors, so that the reference
 * starts from the same weights and its warm-up loss (loss_warmup) must equal ours. BLAS
 * threads: THREADS. */
#include "hitwin/error.h"
#include "hitwin/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

extern void openblas_set_num_threads(int) __attribute__((weak));

#define S 224

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double rss_mib(const char *field) { /* VmRSS / VmHWM of /proc/self/status */
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1.0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, strlen(field))) kb = atof(line + strlen(field) + 1);
    if (f) fclose(f);
    return kb / 1024.0;
}

static float frand(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((*s >> 40) & 0xFFFFFF) / 16777216.0f;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s TILES.bin THREADS VIEWS EVAL_REPS BATCH...\n", argv[0]);
        return 2;
    }
    const int threads = atoi(argv[2]), views = atoi(argv[3]), eval_reps = atoi(argv[4]);
    const int nb = argc - 5;
    char weights[4096];
    snprintf(weights, sizeof weights, "%s.safetensors", argv[1]);
    int bmax = 0;
    for (int k = 0; k < nb; k++) bmax = atoi(argv[5 + k]) > bmax ? atoi(argv[5 + k]) : bmax;
    if (openblas_set_num_threads) openblas_set_num_threads(threads);

    const size_t S2 = (size_t)S * S;
    /* the timed steps' tiles, then the warm-up step's own (after one Adam step on the same
     * tiles the triplet hinge would be inactive) */
    const int ntiles = 2 * bmax * views;
    float *tiles = malloc((size_t)ntiles * S2 * sizeof(float));
    uint64_t seed = 20261208;
    for (int k = 0; k < ntiles; k++)
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++)
                tiles[((size_t)k * S + i) * S + j] =
                    50.0f / (1.0f + (float)abs(i - j)) * (0.5f + frand(&seed)) + 3.0f * frand(&seed);
    FILE *f = fopen(argv[1], "wb");
    const int hdr[2] = {ntiles, S};
    if (!f || fwrite(hdr, sizeof hdr, 1, f) != 1 || fwrite(tiles, sizeof(float), (size_t)ntiles * S2, f) != (size_t)ntiles * S2) {
        fprintf(stderr, "cannot write %s\n", argv[1]);
        return 1;
    }
    fclose(f);

    /* maxvit_t without stochastic depth, as the reference side's modules (p = 0 draws nothing;
     * the layers do the same work either way), so that both compute the same function */
    hw_model_config cfg = {.image_size = S, .mask = 1, .loss = HW_LOSS_TRIPLET, .margin = 1.0f,
                           .backbone = HW_BACKBONE_SMAXVIT};
    cfg.maxvit = (hw_maxvit_arch){.n_blocks = 4, .stem_channels = 64, .channels = {64, 128, 256, 512},
                                  .layers = {2, 2, 5, 2}, .head_dim = 32, .stochastic_depth = 0.0f};
    double t0 = now();
    hw_model *m = hw_model_create(&cfg, 1);
    if (!m) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    size_t n_params;
    float *params = hw_model_params(m, &n_params);
    float *grads = hw_model_grads(m, NULL);
    hw_optim opt;
    hw_optim_init(&opt, HW_OPTIM_ADAM, 1e-4f, n_params);
    if (hw_model_save(m, weights, NULL) != 0) { /* the reference loads these weights */
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    printf("params %zu\n", hw_model_backbone_floats(m));
    printf("create_s %.2f\n", now() - t0);
    printf("rss_base_mib %.0f\n", rss_mib("VmRSS:"));

    float *emb = malloc((size_t)hw_model_embed_dim(m) * sizeof(float));
    double *te = malloc((size_t)(eval_reps > 0 ? eval_reps : 1) * sizeof(double));
    hw_model_embed(m, tiles, 1, emb); /* warm-up */
    for (int r = 0; r < eval_reps; r++) {
        t0 = now();
        hw_model_embed(m, tiles, 1, emb);
        te[r] = now() - t0;
    }
    qsort(te, (size_t)eval_reps, sizeof *te, cmp_double);
    if (eval_reps > 0) printf("eval_s %.3f\n", eval_reps % 2 ? te[eval_reps / 2] : 0.5 * (te[eval_reps / 2 - 1] + te[eval_reps / 2]));
    printf("arena_mib_eval %.0f\n", (double)hw_model_arena_bytes(m) / 1048576.0);

    uint64_t ctr = 0;
    for (int k = -1; k < nb; k++) { /* k = -1: the warm-up step at the largest batch size */
        const int B = k < 0 ? bmax : atoi(argv[5 + k]);
        hw_batch b = {.n = B, .views = views, .global_n = B,
                      .tiles = k < 0 ? tiles + (size_t)bmax * views * S2 : tiles};
        hw_step_stats st;
        t0 = now();
        hw_model_zero_grad(m);
        if (hw_model_train_step(m, &b, ctr, &st)) {
            fprintf(stderr, "%s\n", hw_error());
            return 1;
        }
        hw_optim_step(&opt, params, grads);
        const double t = now() - t0;
        ctr += (uint64_t)B * views * hw_model_dropout_draws_per_tile(m);
        if (k < 0) {
            printf("loss_warmup %.6f\n", st.loss);
            printf("arena_mib_train %.0f\n", (double)hw_model_arena_bytes(m) / 1048576.0); /* at bmax */
        } else {
            printf("train_s_%d %.3f\n", B, t);
            printf("loss_%d %.6f\n", B, st.loss);
        }
        fflush(stdout);
    }
    printf("rss_peak_mib %.0f\n", rss_mib("VmHWM:"));
    hw_optim_free(&opt);
    hw_model_free(m);
    free(emb);
    free(te);
    free(tiles);
    return 0;
}
