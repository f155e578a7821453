/* A batcher with every training and validation window of a synthetic store resident, for
 * the tests that compare batch assemblies bit for bit (test_train_batch_table on the CPU,
 * test_gpu_batch on the device): flip and thinning on, n_aug copies as asked, and one
 * window's tiles poked with values a count tile rarely has, so that every branch of the
 * thinning and of the Poisson copies runs. */
#ifndef HITWIN_TEST_BATCH_FIXTURE_H
#define HITWIN_TEST_BATCH_FIXTURE_H

#include <math.h>
#include <mpi.h>
#include <stdint.h>

#include "hitwin/error.h"
#include "hitwin/train_batch.h"
#include "hitwin/train_pairs.h"
#include "hitwin/train_preload.h"

typedef struct {
    hw_item_set train, val;
    hw_batcher b;
} tf_resident;

/* Resident slot 1 (window 1, where every sample is kept): NaN, inf and a non-integer in
 * sample 0; counts from 1e-3 to 1e6 (the thinning's PTRS branch) in sample 1, with one
 * asymmetric pixel (a tile that is not thinned keeps it in place). */
static void tf_poke_resident(hw_batcher *b) {
    const int T = b->T;
    const size_t TT = (size_t)T * T;
    float *t0 = b->resident + (size_t)(1 * b->S + 0) * TT, *t1 = b->resident + (size_t)(1 * b->S + 1) * TT;
    t0[5 * T + 2] = t0[2 * T + 5] = NAN;
    t0[9 * T + 9] = INFINITY;
    t0[20 * T + 3] = t0[3 * T + 20] = 2.5f;
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= i; j++)
            t1[i * T + j] = t1[j * T + i] = (float)(0.001 * pow(10.0, (double)((i * 7 + j) % 10)));
    t1[4 * T + 1] = 7.0f;
}

/* Items of both splits, a batcher of cap items (n_aug copies each) with all their windows
 * resident, poked. 0, or -1 with hw_error set (after which tf_resident_close still frees). */
static int tf_resident_open(tf_resident *r, hw_tile_store *store, hw_loss_kind kind, int cap,
                            int n_aug) {
    const hw_tile_meta *m = hw_tile_store_meta(store);
    hw_items_build(&r->train, m, 0, kind);
    hw_items_build(&r->val, m, 1, kind);
    int max_views = r->train.max_views > r->val.max_views ? r->train.max_views : r->val.max_views;
    hw_batcher_init(&r->b, store, cap, max_views, n_aug);
    r->b.flip = 1;
    r->b.thin = 0.5;
    const hw_item_set *sets[2] = {&r->train, &r->val};
    int64_t wanted = 0;
    if (hw_batcher_preload(&r->b, sets, 2, (size_t)1 << 32, MPI_COMM_WORLD, &wanted) != 0) return -1;
    if (r->b.n_resident != wanted)
        return hw_fail("fixture: %lld of %lld windows resident", (long long)r->b.n_resident,
                       (long long)wanted);
    tf_poke_resident(&r->b);
    return 0;
}

static void tf_resident_close(tf_resident *r) {
    hw_batcher_free(&r->b);
    hw_items_free(&r->train);
    hw_items_free(&r->val);
}

#endif
