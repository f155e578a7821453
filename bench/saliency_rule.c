/* How accurate each IG path rule is for its number of steps (docs/saliency.md "Steps and
 * rule"), on real tiles and a trained checkpoint:
 *   bench_saliency_rule STORE CKPT WINDOWS
 * For the first WINDOWS windows of the store's test split with samples 0 and the first
 * sample of another condition kept, the IG map of that pair (hw_ig_map_rule, pairwise) with
 * the reference's rule (k / (steps - 1)) and the midpoint rule ((k + 1/2) / steps) at several
 * step counts, against the midpoint rule at 2000 steps (converged: its change from 1000 steps
 * is printed too). Prints, per rule and steps, the mean over windows of the relative L2 error
 * ||map - exact|| / ||exact|| and of the completeness error |sum map - (D12 - D(e,e))| / D12.
 * The checkpoint decides the input preparation, as in hitwin saliency. One BLAS thread. */
#include "hitwin/checkpoint_config.h"
#include "hitwin/error.h"
#include "hitwin/model.h"
#include "hitwin/safetensors.h"
#include "hitwin/saliency.h"
#include "hitwin/tile_store.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void openblas_set_num_threads(int) __attribute__((weak));

static double rel_l2(const float *a, const float *b, size_t n) {
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return den > 0.0 ? sqrt(num / den) : 0.0;
}

static double total(const float *a, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += a[i];
    return s;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s STORE CKPT WINDOWS\n", argv[0]);
        return 2;
    }
    MPI_Init(&argc, &argv);
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    const int want = atoi(argv[3]);
    hw_tile_store *st = hw_tile_store_open(argv[1]);
    if (!st) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    const hw_tile_meta *m = hw_tile_store_meta(st);
    const int T = m->tile_size, NS = m->n_samples;
    const size_t T2 = (size_t)T * T;
    hw_st_file f;
    hw_model_config cfg;
    if (hw_st_read(&f, argv[2]) != 0 || hw_checkpoint_model_config(&f, argv[2], T, &cfg) != 0) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    hw_st_close(&f);
    hw_model *model = hw_model_create(&cfg, 0);
    if (!model || hw_model_load(model, argv[2]) != 0) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    /* sample 0 against the first sample of another condition */
    int other = -1;
    for (int s = 1; s < NS && other < 0; s++)
        if (m->class_id[s] != m->class_id[0]) other = s;
    if (other < 0) {
        fprintf(stderr, "%s: one condition only\n", argv[1]);
        return 1;
    }
    enum { N_CASES = 9 };
    const hw_ig_rule rule[N_CASES] = {HW_IG_RULE_REFERENCE, HW_IG_RULE_REFERENCE, HW_IG_RULE_REFERENCE,
                                      HW_IG_RULE_REFERENCE, HW_IG_RULE_MIDPOINT,  HW_IG_RULE_MIDPOINT,
                                      HW_IG_RULE_MIDPOINT,  HW_IG_RULE_MIDPOINT,  HW_IG_RULE_MIDPOINT};
    const int steps[N_CASES] = {25, 50, 100, 200, 10, 16, 25, 50, 1000};
    double err[N_CASES] = {0}, comp[N_CASES] = {0};
    const int D = hw_model_embed_dim(model);
    float *tiles = malloc((size_t)NS * T2 * sizeof(float)), *x = malloc(2 * T2 * sizeof(float));
    float *e = malloc(2 * (size_t)D * sizeof(float)), *exact = malloc(T2 * sizeof(float));
    float *map = malloc(T2 * sizeof(float)), *pair = malloc(2 * T2 * sizeof(float));
    int done = 0;
    for (int64_t w = 0; w < m->n_windows && done < want; w++) {
        if (m->win_split[w] != 2 || !m->kept[w * NS] || !m->kept[w * NS + other]) continue;
        hw_tile_store_read_window(st, w, tiles);
        memcpy(pair, tiles, T2 * sizeof(float));
        memcpy(pair + T2, tiles + (size_t)other * T2, T2 * sizeof(float));
        hw_model_prepare(model, pair, 2, x, e);
        const double d12 = hw_ig_distance(e + D, e, D, HW_IG_PAIRWISE, 0, NULL);
        const double self = hw_ig_distance(e, e, D, HW_IG_PAIRWISE, 0, NULL);
        hw_ig_map_rule(model, x + T2, x, e + D, e, 2000, HW_IG_DEFAULT_CHUNK, HW_IG_PAIRWISE, HW_IG_RULE_MIDPOINT,
                       exact);
        for (int c = 0; c < N_CASES; c++) {
            hw_ig_map_rule(model, x + T2, x, e + D, e, steps[c], HW_IG_DEFAULT_CHUNK, HW_IG_PAIRWISE, rule[c], map);
            err[c] += rel_l2(map, exact, T2);
            comp[c] += fabs(total(map, T2) - (d12 - self)) / d12;
        }
        done++;
        fprintf(stderr, "window %lld done (%d of %d)\n", (long long)w, done, want);
    }
    printf("IG path rules on %d test windows (%s, samples 0 and %d), against midpoint 2000 steps:\n", done,
           argv[1], other);
    printf("%-10s %6s %14s %14s\n", "rule", "steps", "rel L2 error", "completeness");
    for (int c = 0; c < N_CASES; c++)
        printf("%-10s %6d %14.3e %14.3e\n", rule[c] == HW_IG_RULE_MIDPOINT ? "midpoint" : "reference", steps[c],
               err[c] / done, comp[c] / done);
    free(tiles), free(x), free(e), free(exact), free(map), free(pair);
    hw_model_free(model);
    hw_tile_store_close(st);
    MPI_Finalize();
    return 0;
}
