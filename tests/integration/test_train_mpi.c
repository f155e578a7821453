/* Data-parallel training on 2 ranks (hw_train_run in process):
 *  - the weights of both ranks are bit-identical after every run (contrastive
 *    with n_aug 1, triplet, supcon; dropout on);
 *  - 1 rank and 2 ranks with the same global batch give the same per-epoch
 *    training and validation losses within rel 1e-4 (only the order of the
 *    gradient sums differs: dropout masks and augmentations are keyed by item,
 *    not by rank), and weights within 1e-3 of the largest weight change;
 *  - the sharded optimiser step (train_shard.h) gives, bit for bit, the parameters and
 *    (gathered on rank 0) the moments of an all-reduce and a whole step: Adam and Adagrad,
 *    4 steps, a length that does not split evenly, gradients whose sums are exact (so the
 *    check holds for any number of ranks: run by hand with mpiexec -n 3, 4, 5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/dist.h"
#include "hitwin/error.h"
#include "hitwin/log.h"
#include "hitwin/train.h"
#include "hitwin/train_shard.h"
#include "mpi_test.h"
#include "test_util.h"
#include "train_fixture.h"

static char dir[256];

static void config(hw_train_config *c, const char *out, hw_loss_kind loss, int n_aug) {
    hw_train_config_defaults(c);
    free(c->tiles);
    free(c->output);
    char p[512];
    snprintf(p, sizeof p, "%s/t.h5", dir);
    c->tiles = strdup(p);
    snprintf(p, sizeof p, "%s/%s", dir, out);
    c->output = strdup(p);
    c->loss = loss;
    c->batch_size = 14; /* 60 pairs: 4 full batches and one of 4; shards of 7 and 2 */
    c->epochs = 3;
    c->patience = 10;
    c->learning_rate = 1e-3;
    c->pairs = HW_PAIRS_CONDITION; /* the arithmetic below counts condition-labelled pairs */
    c->n_aug = n_aug;
}

/* Rank 1's weights must equal rank 0's, bit for bit. */
static void check_replicas(const hw_dist *d, const hw_train_result *r, const char *what) {
    float *other = malloc(r->n_params * sizeof *other);
    if (d->rank == 1) MPI_Send(r->params, (int)r->n_params, MPI_FLOAT, 0, 7, d->comm);
    if (d->rank == 0) {
        MPI_Recv(other, (int)r->n_params, MPI_FLOAT, 1, 7, d->comm, MPI_STATUS_IGNORE);
        int same = memcmp(other, r->params, r->n_params * sizeof *other) == 0;
        if (!same) fprintf(stderr, "%s: weights differ between ranks\n", what);
        CHECK(same);
    }
    free(other);
}

/* the sharded step against MPI_Allreduce + hw_optim_step on the same per-rank gradients */
static void test_shard(const hw_dist *d, hw_optim_kind kind) {
    const size_t n = 1003;
    float *p_ref = malloc(n * sizeof(float)), *p_sh = malloc(n * sizeof(float));
    float *g = malloc(n * sizeof(float)), *gsum = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p_ref[i] = p_sh[i] = 0.01f * (float)((i * 37) % 101) - 0.5f;
    hw_optim o_ref, o_sh;
    hw_optim_init(&o_ref, kind, 1e-2f, n);
    hw_optim_init(&o_sh, kind, 1e-2f, n);
    hw_shard sh;
    hw_shard_init(&sh, n, d->comm);
    int total = 0;
    for (int r = 0; r < sh.size; r++) total += sh.counts[r];
    CHECK_INT_EQ(total, (int)n);
    for (int step = 0; step < 4; step++) {
        /* different gradients on each rank and step, of two magnitudes, multiples of 2^-10
         * (times 2^-10) below 1: their sums are exact in any order, so the all-reduce and the
         * ring must agree bit for bit whatever the number of ranks */
        for (size_t i = 0; i < n; i++)
            g[i] = ldexpf((float)(int)(1000.0 * sin((double)(i + 1) * (d->rank + 2) * (step + 1))),
                          i % 5 == 0 ? -20 : -10);
        MPI_Allreduce(g, gsum, (int)n, MPI_FLOAT, MPI_SUM, d->comm);
        hw_optim_step(&o_ref, p_ref, gsum);
        hw_shard_reduce(&sh, g);
        hw_shard_update(&sh, &o_sh, p_sh, g);
    }
    CHECK(memcmp(p_ref, p_sh, n * sizeof(float)) == 0);
    CHECK_INT_EQ(o_sh.step, 4);
    hw_shard_gather_moments(&sh, &o_sh);
    if (d->rank == 0) {
        CHECK(memcmp(o_ref.v, o_sh.v, n * sizeof(float)) == 0);
        if (kind == HW_OPTIM_ADAM) CHECK(memcmp(o_ref.m, o_sh.m, n * sizeof(float)) == 0);
    }
    hw_shard_free(&sh);
    hw_optim_free(&o_ref);
    hw_optim_free(&o_sh);
    free(p_ref), free(p_sh), free(g), free(gsum);
}

int main(int argc, char **argv) {
    hw_dist d;
    hw_dist_init(&d, &argc, &argv);
    if (d.size < 2) {
        if (d.rank == 0) fprintf(stderr, "run with 2 ranks\n");
        hw_dist_finalize();
        return 77;
    }
    test_shard(&d, HW_OPTIM_ADAM);
    test_shard(&d, HW_OPTIM_ADAGRAD);
    if (d.size != 2) { /* by hand, -n 3 or 4: the sharded step's rings only */
        int fails = test_failures, all = 0;
        MPI_Allreduce(&fails, &all, 1, MPI_INT, MPI_SUM, d.comm);
        hw_dist_finalize();
        if (d.rank == 0) fprintf(stderr, "%d ranks: sharded step only, %d failure(s)\n", d.size, all);
        return all ? 1 : 0;
    }
    hw_log_set_quiet(1);
    if (d.rank == 0) {
        snprintf(dir, sizeof dir, "/tmp/hw_train_mpi_XXXXXX");
        if (!mkdtemp(dir)) dir[0] = '\0';
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, d.comm);
    char store[512];
    snprintf(store, sizeof store, "%s/t.h5", dir);
    /* sample 1 misses every third training window: 60 training pairs */
    if (!dir[0] || tf_write_store(d.comm, store, TF_MISSING, 32, 12, 6) != 0) {
        if (d.rank == 0) fprintf(stderr, "fixture: %s\n", hw_error());
        hw_dist_finalize();
        return 1;
    }
    hw_train_options opt = {0};
    hw_train_config c;
    hw_train_result r2, r1;

    /* contrastive, n_aug 1, dropout 0.5: 2 ranks */
    config(&c, "two", HW_LOSS_CONTRASTIVE, 1);
    CHECK_INT_EQ(hw_train_run(&c, &opt, &d, &r2), 0);
    CHECK_INT_EQ(r2.epochs_run, 3);
    check_replicas(&d, &r2, "contrastive");
    hw_train_config_free(&c);

    /* the same on 1 rank (rank 0 alone) */
    if (d.rank == 0) {
        hw_dist self = {0, 1, MPI_COMM_SELF};
        config(&c, "one", HW_LOSS_CONTRASTIVE, 1);
        CHECK_INT_EQ(hw_train_run(&c, &opt, &self, &r1), 0);
        CHECK_INT_EQ(r1.epochs_run, 3);
        for (int e = 0; e < 3; e++) {
            fprintf(stderr, "epoch %d: train %.9g vs %.9g, val %.9g vs %.9g\n", e + 1,
                    r1.train_loss[e], r2.train_loss[e], r1.val_loss[e], r2.val_loss[e]);
            CHECK_NEAR(r2.train_loss[e], r1.train_loss[e], 0, 1e-4);
            CHECK_NEAR(r2.val_loss[e], r1.val_loss[e], 0, 1e-4);
        }
        /* the weights moved the same way */
        double maxdiff = 0, maxw = 0;
        for (size_t i = 0; i < r1.n_params && r1.n_params == r2.n_params; i++) {
            double dd = fabs((double)r1.params[i] - r2.params[i]);
            if (dd > maxdiff) maxdiff = dd;
            if (fabs(r1.params[i]) > maxw) maxw = fabs(r1.params[i]);
        }
        fprintf(stderr, "1 vs 2 ranks: max |dw| = %.3g (max |w| %.3g)\n", maxdiff, maxw);
        CHECK(maxdiff < 1e-3 * maxw);
        hw_train_config_free(&c);
        hw_train_result_free(&r1);
    }
    MPI_Barrier(d.comm);
    hw_train_result_free(&r2);

    /* triplet and supcon (n_aug 1: forced augmentations), 2 ranks */
    hw_loss_kind kinds[2] = {HW_LOSS_TRIPLET, HW_LOSS_SUPCON};
    const char *names[2] = {"triplet", "supcon"};
    for (int k = 0; k < 2; k++) {
        config(&c, names[k], kinds[k], 1);
        c.batch_size = 4;
        c.epochs = 2;
        CHECK_INT_EQ(hw_train_run(&c, &opt, &d, &r2), 0);
        CHECK_INT_EQ(r2.epochs_run, 2);
        CHECK(isfinite(r2.last_train_loss) && isfinite(r2.last_val_loss));
        check_replicas(&d, &r2, names[k]);
        hw_train_result_free(&r2);
        hw_train_config_free(&c);
    }

    return mpi_test_finish(&d, dir);
}
