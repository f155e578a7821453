/* Times hw_model_train_step (forward, loss, backward; contrastive, reference CE, mask,
 * dropout 0.5) on HW_BENCH_BATCH pairs (default 32) at 224 x 224, plus one Adam step,
 * reporting wall and process CPU time per step (best of 3 after a warm-up). Checks only
 * that the loss is finite; the numbers are for docs/model.md.
 * OPENBLAS_NUM_THREADS=1 for the single-thread figure. */
#include "hitwin/model.h"
#include "test_util.h"

#include <stdlib.h>
#include <time.h>

static double now(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(void) {
    const char *e = getenv("HW_BENCH_BATCH");
    const int n = e ? atoi(e) : 32, S = 224;
    hw_model_config c = {S, 1, 0.5f, HW_LOSS_CONTRASTIVE, HW_CE_REFERENCE, 2.0f, 2.0f, 0.07f, HW_INPUT_NONE, HW_NORM_WHOLE, HW_BACKBONE_SLENET, {0}, 0};
    hw_model *m = hw_model_create(&c, 1);
    float *tiles = malloc((size_t)n * 2 * S * S * sizeof(float));
    uint64_t s = 1;
    for (size_t k = 0; k < (size_t)n * 2 * S * S; k++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        tiles[k] = (float)((s >> 40) & 0xFFFF);
    }
    int *labels = malloc(n * sizeof(int));
    for (int i = 0; i < n; i++) labels[i] = i & 1;
    hw_batch b = {n, 2, n, tiles, labels, 0, NULL};
    size_t np;
    float *p = hw_model_params(m, &np);
    hw_optim o;
    hw_optim_init(&o, HW_OPTIM_ADAM, 1e-4f, np);
    double best_w = 1e30, best_c = 1e30, best_o = 1e30;
    for (int r = 0; r < 4; r++) {
        hw_step_stats st;
        double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        hw_model_zero_grad(m);
        CHECK(hw_model_train_step(m, &b, (uint64_t)r, &st) == 0);
        double w1 = now(CLOCK_MONOTONIC), c1 = now(CLOCK_PROCESS_CPUTIME_ID);
        hw_optim_step(&o, p, hw_model_grads(m, NULL));
        double w2 = now(CLOCK_MONOTONIC);
        CHECK(isfinite(st.loss));
        if (r == 0) continue; /* warm-up: arena allocation, page faults */
        if (w1 - w0 < best_w) best_w = w1 - w0;
        if (c1 - c0 < best_c) best_c = c1 - c0;
        if (w2 - w1 < best_o) best_o = w2 - w1;
    }
    printf("train_step, %d pairs at %d: wall %.1f ms, CPU %.1f ms (%.2f ms wall per tile); "
           "Adam step over %zu floats %.1f ms; arena %.1f MiB\n",
           n, S, 1e3 * best_w, 1e3 * best_c, 1e3 * best_w / (2 * n), np, 1e3 * best_o,
           hw_model_arena_bytes(m) / 1048576.0);
    hw_optim_free(&o);
    free(tiles);
    free(labels);
    hw_model_free(m);
    return TEST_RESULT();
}
