/* The batch table (batch_table.c) that the device gather reads: built for every batch of two
 * epochs of a synthetic store and applied by the plain-C gather (hw_batch_gather_ref, the
 * kernel's loop), it must give hw_batcher_fill's tiles, labels, n and views bit for bit, with
 * flip and thinning on (training) and off (validation), for contrastive, triplet and supcon
 * items, without copies and with the reference's n_aug copies (Poisson resample, pixel
 * dropout: 1 for contrastive and triplet, 2 for supcon, as the reference's runs). The
 * resident tiles carry NaN, inf, non-integers and counts up to 1e6 (PTRS draws).
 * Also: a window that is not resident and a table too small are refused with their messages. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/train_batch.h"
#include "hitwin/train_pairs.h"
#include "hitwin/train_preload.h"
#include "integration/batch_fixture.h"
#include "integration/train_fixture.h"
#include "test_util.h"

enum { T = 32, CAP = 8 };

/* Every batch of the epochs, table + reference gather against hw_batcher_fill. */
static void compare(hw_batcher *b, const hw_item_set *set, int augment, const char *what) {
    size_t TT = (size_t)T * T;
    int max_entries = b->cap_items * b->max_views * (1 + b->n_aug);
    hw_batch_entry *table = malloc((size_t)max_entries * sizeof *table);
    float *ref = malloc((size_t)max_entries * TT * sizeof *ref);
    int *labels = malloc((size_t)max_entries * sizeof *labels);
    int64_t *order = malloc((size_t)set->n * sizeof *order);
    int batches = 0, bad = 0, flipped = 0, thinned = 0, tiles = 0, kinds[3] = {0, 0, 0};
    for (int64_t epoch = 1; epoch <= 2; epoch++) {
        hw_train_shuffle(order, set->n, 30004, epoch);
        for (int64_t i = 0; i < set->n; i += CAP) {
            int n = (int)(set->n - i < CAP ? set->n - i : CAP);
            hw_batch hb = {0};
            if (hw_batcher_fill(b, set, order + i, n, augment, 30004, epoch, &hb) != 0) {
                fprintf(stderr, "%s: hw_batcher_fill: %s\n", what, hw_error());
                bad++;
                continue;
            }
            int tn = 0, tv = 0;
            if (hw_batch_table(b, set, order + i, n, augment, 30004, epoch, table, max_entries,
                               labels, &tn, &tv) != 0) {
                fprintf(stderr, "%s: hw_batch_table: %s\n", what, hw_error());
                bad++;
                continue;
            }
            int n_labels = set->kind == HW_LOSS_SUPCON ? tn * tv : tn;
            if (tn != hb.n || tv != hb.views || memcmp(labels, hb.labels, (size_t)n_labels * sizeof *labels)) {
                fprintf(stderr, "%s: batch %d: n %d/%d views %d/%d or labels differ\n", what, batches,
                        tn, hb.n, tv, hb.views);
                bad++;
            }
            hw_batch_gather_ref(ref, b->resident, table, tn * tv, T);
            if (memcmp(ref, hb.tiles, (size_t)tn * tv * TT * sizeof *ref) != 0) {
                fprintf(stderr, "%s: batch %d (epoch %lld): tiles differ\n", what, batches, (long long)epoch);
                bad++;
            }
            for (int t = 0; t < tn * tv; t++)
                flipped += table[t].flip, thinned += table[t].thin, kinds[table[t].aug]++;
            tiles += tn * tv;
            batches++;
        }
    }
    printf("  %-36s %3d batches, %4d tiles (%d flipped, %d thinned, %d as read, %d Poisson, "
           "%d dropout): %s\n", what, batches, tiles, flipped, thinned, kinds[0] - thinned,
           kinds[1], kinds[2], bad ? "DIFFERENT" : "bit-identical");
    CHECK(bad == 0);
    CHECK(batches > 0);
    int copies = augment ? 1 + b->n_aug : 1, supcon = set->kind == HW_LOSS_SUPCON;
    /* every original thinned, every copy augmented (supcon: forced, never identity) */
    if (augment) CHECK(flipped > 0 && flipped < tiles && thinned == tiles / copies);
    else CHECK(flipped == 0 && thinned == 0 && kinds[0] == tiles);
    if (copies > 1) {
        CHECK(kinds[1] > 0 && kinds[2] > 0);
        CHECK_INT_EQ(kinds[1] + kinds[2] + (kinds[0] - thinned), tiles - tiles / copies);
        if (supcon) CHECK_INT_EQ(kinds[0], thinned);
    }
    free(table);
    free(ref);
    free(labels);
    free(order);
}

static void run_kind(hw_tile_store *store, hw_loss_kind kind, int n_aug, const char *name) {
    tf_resident r;
    if (tf_resident_open(&r, store, kind, CAP, n_aug) != 0) {
        fprintf(stderr, "%s: %s\n", name, hw_error());
        test_failures++;
    } else {
        char what[96];
        snprintf(what, sizeof what, "%s, n_aug %d, training", name, n_aug);
        compare(&r.b, &r.train, 1, what);
        snprintf(what, sizeof what, "%s, n_aug %d, validation", name, n_aug);
        compare(&r.b, &r.val, 0, what);
    }
    tf_resident_close(&r);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    char dir[] = "/tmp/hw_batch_table_XXXXXX", path[256];
    if (!mkdtemp(dir)) {
        fprintf(stderr, "mkdtemp failed\n");
        MPI_Finalize();
        return 1;
    }
    snprintf(path, sizeof path, "%s/t.h5", dir);
    /* sample 1 misses every third training window: items of varying samples */
    if (tf_write_store(MPI_COMM_WORLD, path, TF_MISSING, T, 12, 6) != 0) {
        fprintf(stderr, "fixture: %s\n", hw_error());
        MPI_Finalize();
        return 1;
    }
    hw_tile_store *store = hw_tile_store_open(path);
    CHECK(store != NULL);
    if (store) {
        run_kind(store, HW_LOSS_CONTRASTIVE, 0, "contrastive");
        run_kind(store, HW_LOSS_TRIPLET, 0, "triplet");
        run_kind(store, HW_LOSS_SUPCON, 0, "supcon");
        run_kind(store, HW_LOSS_CONTRASTIVE, 1, "contrastive");
        run_kind(store, HW_LOSS_TRIPLET, 1, "triplet");
        run_kind(store, HW_LOSS_SUPCON, 2, "supcon");

        /* refusals: a table too small for the copies; a window that is not resident */
        const hw_tile_meta *m = hw_tile_store_meta(store);
        hw_item_set train;
        hw_items_build(&train, m, 0, HW_LOSS_CONTRASTIVE);
        hw_batcher b;
        hw_batcher_init(&b, store, CAP, 2, 1);
        const hw_item_set *sets[1] = {&train};
        int64_t wanted = 0, idx[2] = {0, 1};
        CHECK_INT_EQ(hw_batcher_preload(&b, sets, 1, (size_t)T * T * 4 * 4, MPI_COMM_WORLD, &wanted), 0);
        CHECK_INT_EQ(b.n_resident, 1); /* the budget holds one window */
        hw_batch_entry table[2 * CAP];
        int labels[2 * CAP], tn, tv;
        CHECK_INT_EQ(hw_batch_table(&b, &train, idx, 2, 1, 1, 1, table, 7, labels, &tn, &tv), -1);
        CHECK_STR_EQ(hw_error(), "batch table: 2 items of 2 views and 2 copies, room for 7 tiles "
                                 "(internal error)");
        int64_t far[1] = {train.n - 1}; /* the last window: not resident */
        CHECK_INT_EQ(hw_batch_table(&b, &train, far, 1, 0, 1, 1, table, 2 * CAP, labels, &tn, &tv), -1);
        char want[128];
        snprintf(want, sizeof want, "batch table: window %lld is not resident (internal error)",
                 (long long)train.items[train.n - 1].window);
        CHECK_STR_EQ(hw_error(), want);
        hw_batcher_free(&b);
        hw_items_free(&train);
        hw_tile_store_close(store);

        /* which sets the device may keep in 16 bits: counts only, exactly */
        const float counts[4] = {0.0f, 1.0f, 17.0f, 65535.0f};
        CHECK_INT_EQ(hw_tiles_exact_u16(counts, 4), 1);
        const float not_counts[6] = {65536.0f, 2.5f, -1.0f, -0.0f, NAN, INFINITY};
        for (int i = 0; i < 6; i++) {
            float set[3] = {3.0f, not_counts[i], 4.0f};
            CHECK_INT_EQ(hw_tiles_exact_u16(set, 3), 0);
        }
    }
    unlink(path);
    rmdir(dir);
    MPI_Finalize();
    return TEST_RESULT();
}
