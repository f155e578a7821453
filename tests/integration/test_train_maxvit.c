/* Training a tiny MaxViT on 2 ranks (hw_train_run in process; docs/maxvit.md):
 *  - a run stopped part way (--stop-after-steps, after a mid-epoch state) and resumed writes,
 *    byte for byte, the same best.safetensors, best_nn.safetensors and state.bin as an
 *    uninterrupted run in the same directory, and ends with the same weights and BatchNorm
 *    running statistics on both ranks;
 *  - the BatchNorm rule: after a run every rank holds rank 0's running statistics (equal bit
 *    for bit across ranks and to state.bin's), and the validation loss the 2 ranks logged is
 *    the loss of state.bin's weights and statistics over all validation pairs in one process
 *    (rel 1e-5: only the order of the sums differs). Were a rank validating with its own
 *    statistics, which differ (each BatchNorm saw only its shard), that half would not be;
 *  - refusals, one line each: --device cuda for MaxViT, a tile size MaxViT cannot partition.
 * Tiles 56 x 56 (block 0 14 x 14, block 1 7 x 7), 4 samples, 4 training and 2 validation
 * windows: 24 training pairs, batch 8 (3 steps an epoch), 2 epochs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/dist.h"
#include "hitwin/error.h"
#include "hitwin/gpu.h"
#include "hitwin/log.h"
#include "hitwin/tile_store.h"
#include "hitwin/train.h"
#include "hitwin/train_batch.h"
#include "hitwin/train_pairs.h"
#include "hitwin/train_state.h"
#include "mpi_test.h"
#include "test_util.h"
#include "train_fixture.h"

#define TILE 56
static char dir[256];

static void config(hw_train_config *c, const char *store, const char *out) {
    hw_train_config_defaults(c);
    free(c->tiles);
    free(c->output);
    free(c->model);
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, store);
    c->tiles = strdup(p);
    snprintf(p, sizeof p, "%s/%s", dir, out);
    c->output = strdup(p);
    c->model = strdup("SMaxViT");
    c->backbone = HW_BACKBONE_SMAXVIT;
    c->maxvit = (hw_maxvit_arch){.n_blocks = 2, .stem_channels = 8, .channels = {8, 16}, .layers = {1, 2},
                                 .head_dim = 4, .stochastic_depth = 0.2f};
    c->pairs = HW_PAIRS_CONDITION;
    c->batch_size = 8;
    c->epochs = 2;
    c->patience = 10;
    c->checkpoint_every_steps = 2;
}

/* Rank 1's copy of buf must equal rank 0's, bit for bit. */
static int same_on_ranks(const hw_dist *d, const float *buf, size_t n) {
    float *other = malloc(n * sizeof *other + 1);
    int same = 1;
    if (d->rank == 1) MPI_Send(buf, (int)n, MPI_FLOAT, 0, 9, d->comm);
    if (d->rank == 0) {
        MPI_Recv(other, (int)n, MPI_FLOAT, 1, 9, d->comm, MPI_STATUS_IGNORE);
        same = memcmp(other, buf, n * sizeof *other) == 0;
    }
    free(other);
    MPI_Bcast(&same, 1, MPI_INT, 0, d->comm);
    return same;
}

static int same_file(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    if (!same) fprintf(stderr, "%s and %s differ\n", a, b);
    return same;
}

/* The model of config c (tiles of `tile` bins) with the weights and running statistics of
 * state.bin; NULL when the file does not read. */
static hw_model *model_from_state(const hw_train_config *c, int tile, const char *state_path) {
    hw_model_config mc = {.image_size = tile, .mask = c->mask, .dropout = (float)c->dropout,
                          .loss = c->loss, .ce_form = c->ce_form, .bias = (float)c->bias,
                          .margin = (float)hw_train_margin(c), .temperature = (float)c->temperature,
                          .input_transform = c->input_transform, .norm_region = c->norm_region,
                          .backbone = c->backbone, .maxvit = c->maxvit};
    hw_model *m = hw_model_create(&mc, 1);
    size_t n = 0;
    float *params = hw_model_params(m, &n);
    const hw_tensor *t;
    int nt = hw_model_tensors(m, &t);
    hw_train_model_state ms = {0};
    ms.values = hw_model_state(m, &ms.n);
    ms.n_tensors = hw_model_state_tensors(m, &ms.tensors);
    float *mo = malloc(n * sizeof(float)), *vo = malloc(n * sizeof(float));
    hw_train_state st;
    int rc = hw_train_state_read(state_path, &st, t, nt, params, mo, vo, n, &ms);
    if (rc == 0) hw_train_state_free(&st);
    free(mo);
    free(vo);
    if (rc == 0) return m;
    hw_model_free(m);
    return NULL;
}

/* The validation metric (mean contrastive loss over all validation pairs, evaluation mode) of
 * the weights and statistics in state.bin, in this process alone. */
static double val_loss_of_state(const hw_train_config *c, const char *state_path) {
    hw_tile_store *store = hw_tile_store_open(c->tiles);
    const hw_tile_meta *meta = hw_tile_store_meta(store);
    hw_model *m = model_from_state(c, meta->tile_size, state_path);
    double loss = NAN;
    if (m) {
        hw_item_set val = {0};
        hw_items_build(&val, meta, 1, c->loss);
        hw_batcher b;
        hw_batcher_init(&b, store, (int)val.n, val.max_views, 0);
        int64_t *idx = malloc((size_t)val.n * sizeof *idx);
        for (int64_t i = 0; i < val.n; i++) idx[i] = i;
        hw_batch batch = {0};
        hw_step_stats ss = {0};
        if (hw_batcher_fill(&b, &val, idx, (int)val.n, 0, c->seed, 1, &batch) == 0) {
            batch.global_n = batch.n;
            if (hw_model_eval_loss(m, &batch, &ss) == 0) loss = ss.con_loss;
        }
        free(idx);
        hw_batcher_free(&b);
        hw_items_free(&val);
        hw_model_free(m);
    }
    hw_tile_store_close(store);
    return loss;
}

int main(int argc, char **argv) {
    hw_dist d;
    hw_dist_init(&d, &argc, &argv);
    if (d.size != 2) {
        if (d.rank == 0) fprintf(stderr, "run with 2 ranks\n");
        hw_dist_finalize();
        return 77;
    }
    hw_log_set_quiet(1);
    if (d.rank == 0) {
        snprintf(dir, sizeof dir, "/tmp/hw_train_maxvit_XXXXXX");
        if (!mkdtemp(dir)) dir[0] = '\0';
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, d.comm);
    char store[512], store32[512];
    snprintf(store, sizeof store, "%s/t.h5", dir);
    snprintf(store32, sizeof store32, "%s/t32.h5", dir);
    if (!dir[0] || tf_write_store(d.comm, store, TF_NORMAL, TILE, 4, 2) != 0 ||
        tf_write_store(d.comm, store32, TF_NORMAL, 32, 4, 2) != 0) {
        if (d.rank == 0) fprintf(stderr, "fixture: %s\n", hw_error());
        hw_dist_finalize();
        return 1;
    }
    hw_train_options opt = {0};
    hw_train_config c;
    hw_train_result full, part, rest;
    char run[600], kept[600];
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(kept, sizeof kept, "%s/full", dir);

    /* ---- uninterrupted, 2 ranks; then moved aside so the resumed run writes the same paths */
    double t0 = MPI_Wtime();
    config(&c, "t.h5", "run");
    CHECK_INT_EQ(hw_train_run(&c, &opt, &d, &full), 0);
    double t_full = MPI_Wtime() - t0;
    CHECK_INT_EQ(full.epochs_run, 2);
    CHECK_INT_EQ(full.steps, 6);
    CHECK(full.n_state > 0 && full.state != NULL);
    /* the BatchNorm rule: rank 0's statistics everywhere, and they moved from the init */
    CHECK(same_on_ranks(&d, full.params, full.n_params));
    CHECK(full.state && same_on_ranks(&d, full.state, full.n_state));
    int moved = 0;
    for (size_t i = 0; full.state && i < full.n_state; i++) moved += full.state[i] != 0.0f && full.state[i] != 1.0f;
    CHECK(moved > (int)full.n_state / 2);
    MPI_Barrier(d.comm);
    if (d.rank == 0) {
        CHECK_INT_EQ(rename(run, kept), 0);
        char sp[700];
        snprintf(sp, sizeof sp, "%s/state.bin", kept);
        /* state.bin holds those statistics, and they are what the 2 ranks validated with */
        hw_model *m = model_from_state(&c, TILE, sp);
        CHECK(m != NULL);
        if (m) {
            size_t n = 0, n_state = 0;
            const float *params = hw_model_params(m, &n), *state = hw_model_state(m, &n_state);
            CHECK(n_state == full.n_state && memcmp(state, full.state, n_state * sizeof(float)) == 0);
            CHECK(n == full.n_params && memcmp(params, full.params, n * sizeof(float)) == 0);
            hw_model_free(m);
        }
        double v = val_loss_of_state(&c, sp);
        fprintf(stderr, "validation loss: logged by 2 ranks %.9g, state.bin in one process %.9g\n",
                full.val_loss[1], v);
        CHECK_NEAR(v, full.val_loss[1], 0, 1e-5);
    }
    MPI_Barrier(d.comm);

    /* ---- stopped after step 5 (the last state: step 4, mid epoch 2), then resumed ------ */
    t0 = MPI_Wtime();
    hw_train_options stop = {.stop_after_steps = 5};
    CHECK_INT_EQ(hw_train_run(&c, &stop, &d, &part), 0);
    CHECK_INT_EQ(part.stopped, 1);
    CHECK_INT_EQ(part.steps, 5);
    hw_train_options resume = {.resume = 1};
    CHECK_INT_EQ(hw_train_run(&c, &resume, &d, &rest), 0);
    double t_resumed = MPI_Wtime() - t0;
    CHECK_INT_EQ(rest.steps, 6);
    CHECK(rest.n_params == full.n_params && memcmp(rest.params, full.params, full.n_params * sizeof(float)) == 0);
    CHECK(rest.n_state == full.n_state && rest.state &&
          memcmp(rest.state, full.state, full.n_state * sizeof(float)) == 0);
    CHECK(rest.val_loss[1] == full.val_loss[1]);
    if (d.rank == 0) {
        const char *names[] = {"best.safetensors", "best_nn.safetensors", "state.bin"};
        for (int i = 0; i < 3; i++) {
            char a[700], b[700];
            snprintf(a, sizeof a, "%s/%s", kept, names[i]);
            snprintf(b, sizeof b, "%s/%s", run, names[i]);
            CHECK(same_file(a, b));
        }
    }
    hw_train_result_free(&part);
    hw_train_result_free(&rest);
    hw_train_result_free(&full);
    hw_train_config_free(&c);

    /* ---- refusals ------------------------------------------------------------------------ */
    /* --device cuda: the GPU MaxViT is fp32 only (bf16, the default precision, refused before
     * anything is read); in fp32 the device is looked for, which on a machine without one is
     * the same line as SLeNet's (test_device_flag); nothing is written either way */
    config(&c, "t.h5", "cuda");
    c.device = HW_DEVICE_CUDA;
    CHECK_INT_EQ(hw_train_run(&c, &opt, &d, &full), -1);
    CHECK_STR_EQ(hw_error(), "--device cuda: model SMaxViT runs in fp32 only on the GPU (set precision: fp32, or "
                             "--precision fp32)");
    hw_train_result_free(&full);
    {
        char out[700];
        snprintf(out, sizeof out, "%s/cuda", dir);
        CHECK(access(out, F_OK) != 0);
        c.precision = HW_PRECISION_FP32;
        if (hw_gpu_count() == 0) {
            CHECK_INT_EQ(hw_train_run(&c, &opt, &d, &full), -1);
            CHECK(strncmp(hw_error(), "device cuda: ", 13) == 0);
            CHECK(strstr(hw_error(), "no GPU implementation") == NULL);
            CHECK(access(out, F_OK) != 0);
            hw_train_result_free(&full);
        }
    }
    hw_train_config_free(&c);
    config(&c, "t32.h5", "t32");
    CHECK_INT_EQ(hw_train_run(&c, &opt, &d, &full), -1);
    {
        char want[800];
        snprintf(want, sizeof want, "%s (tile size 32): model: image_size 32 gives MaxViT block 0 a 8x8 map, not "
                 "a multiple of the 7x7 partition (224 works)", store32);
        CHECK_STR_EQ(hw_error(), want);
    }
    hw_train_result_free(&full);
    hw_train_config_free(&c);

    if (d.rank == 0) fprintf(stderr, "uninterrupted run %.1f s, stopped + resumed %.1f s\n", t_full, t_resumed);
    return mpi_test_finish(&d, dir);
}
