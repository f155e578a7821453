/* Batches assembled on the device (gpu_batch.h, hw_batcher_fill_device) against
 * hw_batcher_fill's, bit for bit: every batch of two epochs of a synthetic store, training
 * (flip and thinning on) and validation (neither), contrastive, triplet and supcon at 32
 * bins and contrastive at 224 bins, without copies and with the reference's n_aug copies
 * (Poisson resample and dropout kernels); each with every tile on the device and streamed
 * through a cache of one batch's tiles (hw_gpu_tiles_create_streamed). The resident tiles carry NaN, inf, non-integers and
 * counts from 1e-3 to 1e6, so the thinning's multiplication and PTRS branches and its
 * portable exp/log/log-gamma (train_thin.h) all run on the GPU: any last-bit difference
 * between the device's arithmetic and the host's would show as a different tile.
 * Also: a device set too large for the GPU fails with cudaMalloc's message and leaves the
 * context usable; a table entry outside the set is refused before the kernel runs.
 * Skips (77) without a device. */
#include <math.h>
#include <mpi.h>
#include <unistd.h>

#include "gpu_test_util.h"
#include "hitwin/gpu_batch.h"
#include "hitwin/train_batch.h"
#include "hitwin/train_pairs.h"
#include "hitwin/train_preload.h"
#include "integration/batch_fixture.h"
#include "integration/train_fixture.h"

enum { CAP = 8 };

static void compare(hw_gpu *g, hw_batcher *b, hw_gpu_tiles *dev, const hw_item_set *set,
                    int augment, const char *what) {
    const size_t TT = (size_t)b->T * b->T;
    const size_t max_tiles = (size_t)b->cap_items * b->max_views * (1 + b->n_aug);
    float *host = (float *)malloc(max_tiles * TT * sizeof(float));
    int *labels = (int *)malloc(max_tiles * sizeof(int));
    int64_t *order = (int64_t *)malloc((size_t)set->n * sizeof(int64_t));
    int batches = 0, bad = 0;
    size_t tiles = 0;
    for (int64_t epoch = 1; epoch <= 2; epoch++) {
        hw_train_shuffle(order, set->n, 30004, epoch);
        for (int64_t i = 0; i < set->n; i += CAP) {
            int n = (int)(set->n - i < CAP ? set->n - i : CAP);
            hw_batch hb = {0}, db = {0};
            GPU_OK(hw_batcher_fill(b, set, order + i, n, augment, 30004, epoch, &hb));
            const size_t nt = (size_t)hb.n * hb.views;
            memcpy(host, hb.tiles, nt * TT * sizeof(float));
            const size_t nl = set->kind == HW_LOSS_SUPCON ? nt : (size_t)hb.n;
            memcpy(labels, hb.labels, nl * sizeof(int));
            GPU_OK(hw_batcher_fill_device(b, dev, set, order + i, n, augment, 30004, epoch, &db));
            if (db.n != hb.n || db.views != hb.views || !db.tiles_on_device ||
                memcmp(db.labels, labels, nl * sizeof(int)) != 0) {
                fprintf(stderr, "%s: batch %d: n %d/%d, views %d/%d, on device %d, or labels differ\n",
                        what, batches, db.n, hb.n, db.views, hb.views, db.tiles_on_device);
                bad++;
            }
            float *got = host_floats(g, db.tiles, nt * TT);
            if (memcmp(got, host, nt * TT * sizeof(float)) != 0) {
                size_t first = 0;
                while (first < nt * TT && memcmp(&got[first], &host[first], sizeof(float)) == 0) first++;
                fprintf(stderr, "%s: batch %d (epoch %lld): tile %zu pixel %zu: gpu %.9g, host %.9g\n",
                        what, batches, (long long)epoch, first / TT, first % TT, got[first], host[first]);
                bad++;
            }
            free(got);
            tiles += nt;
            batches++;
        }
    }
    printf("  %-34s %3d batches, %5zu tiles: %s\n", what, batches, tiles,
           bad ? "DIFFERENT" : "bit-identical");
    if (bad || batches == 0) test_failures++;
    free(host);
    free(labels);
    free(order);
}

/* counts: the resident tiles rounded to counts (NaN to 0), so the device keeps them in 16
 * bits (hw_tiles_exact_u16), which hw_gpu_tiles_bytes shows. */
static void run_case(hw_gpu *g, const char *dir, int T, hw_loss_kind kind, int n_aug, int counts,
                     const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/t%d.h5", dir, T);
    if (access(path, F_OK) != 0)
        GPU_OK(tf_write_store(MPI_COMM_WORLD, path, TF_MISSING, T, 12, 6));
    hw_tile_store *store = hw_tile_store_open(path);
    if (!store) GPU_OK(-1);
    tf_resident r;
    GPU_OK(tf_resident_open(&r, store, kind, CAP, n_aug));
    hw_batcher *b = &r.b;
    const size_t all = (size_t)b->n_resident * b->S * T * T;
    if (counts)
        for (size_t i = 0; i < all; i++) {
            float x = b->resident[i];
            b->resident[i] = x > 0.0f ? roundf(fminf(x, 65535.0f)) : 0.0f; /* NaN, -0: 0 */
        }
    hw_gpu_tiles *dev = hw_gpu_tiles_create(g, b->resident, b->n_resident * b->S, T,
                                            CAP * b->max_views * (1 + n_aug),
                                            hw_tiles_exact_u16(b->resident, all));
    if (!dev) GPU_OK(-1);
    const size_t TT = (size_t)T * T, entries = (size_t)CAP * b->max_views * (1 + n_aug);
    const size_t want_bytes = all * (counts ? 2 : 4) + entries * (TT * 4 + sizeof(hw_batch_entry));
    CHECK_INT_EQ(hw_tiles_exact_u16(b->resident, all), counts);
    CHECK_INT_EQ(hw_gpu_tiles_bytes(dev), want_bytes);
    char what[96];
    snprintf(what, sizeof what, "%s at %d, n_aug %d%s, training", name, T, n_aug,
             counts ? ", 16-bit" : "");
    compare(g, b, dev, &r.train, 1, what);
    snprintf(what, sizeof what, "%s at %d, n_aug %d%s, validation", name, T, n_aug,
             counts ? ", 16-bit" : "");
    compare(g, b, dev, &r.val, 0, what);
    hw_gpu_tiles_free(dev);
    /* streamed through the smallest cache a batch allows: most tiles are copied per batch,
     * slots are reused while the previous batch's kernels may still run */
    const int64_t n_tiles = b->n_resident * b->S;
    if (n_tiles > (int64_t)entries) {
        dev = hw_gpu_tiles_create_streamed(g, b->resident, n_tiles, T, (int)entries, (int64_t)entries);
        if (!dev) GPU_OK(-1);
        snprintf(what, sizeof what, "%s at %d, n_aug %d, streamed, training", name, T, n_aug);
        compare(g, b, dev, &r.train, 1, what);
        snprintf(what, sizeof what, "%s at %d, n_aug %d, streamed, validation", name, T, n_aug);
        compare(g, b, dev, &r.val, 0, what);
        int64_t hits = 0, uploads = 0;
        CHECK_INT_EQ(hw_gpu_tiles_streamed(dev, &hits, &uploads), 1);
        printf("    cache of %zu of %lld tiles: %lld lookups hit, %lld uploads\n", entries,
               (long long)n_tiles, (long long)hits, (long long)uploads);
        CHECK(uploads > (int64_t)entries);
        hw_gpu_tiles_free(dev);
    } else {
        printf("  (%lld tiles: no streamed case below %zu slots)\n", (long long)n_tiles, entries);
        test_failures++;
    }
    tf_resident_close(&r);
    hw_tile_store_close(store);
}

int main(int argc, char **argv) {
    GPU_SKIP_IF_NO_DEVICE();
    MPI_Init(&argc, &argv);
    hw_gpu *g = hw_gpu_create(0);
    if (!g) {
        fprintf(stderr, "%s\n", hw_error());
        MPI_Finalize();
        return 1;
    }
    char dir[] = "/tmp/hw_gpu_batch_XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "mkdtemp failed\n");
        MPI_Finalize();
        return 1;
    }
    printf("device batches against hw_batcher_fill\n");
    run_case(g, dir, 32, HW_LOSS_CONTRASTIVE, 0, 0, "contrastive");
    run_case(g, dir, 32, HW_LOSS_TRIPLET, 0, 0, "triplet");
    run_case(g, dir, 32, HW_LOSS_SUPCON, 0, 0, "supcon");
    run_case(g, dir, 224, HW_LOSS_CONTRASTIVE, 0, 0, "contrastive");
    /* the reference's copies: Poisson resample and dropout kernels (224 bins: the dropout's
     * list in shared memory) */
    run_case(g, dir, 32, HW_LOSS_CONTRASTIVE, 1, 0, "contrastive");
    run_case(g, dir, 32, HW_LOSS_SUPCON, 2, 0, "supcon");
    run_case(g, dir, 224, HW_LOSS_TRIPLET, 1, 0, "triplet");
    /* counts only: the set kept in 16 bits, read back as the same floats */
    run_case(g, dir, 32, HW_LOSS_CONTRASTIVE, 1, 1, "contrastive");
    run_case(g, dir, 224, HW_LOSS_SUPCON, 2, 1, "supcon");

    /* error paths: no room (4 PiB), then an entry outside the set; the context stays usable */
    printf("error paths\n");
    float one[4] = {1, 2, 3, 4};
    hw_gpu_tiles *huge = hw_gpu_tiles_create(g, one, (int64_t)1 << 40, 32, 8, 0);
    CHECK(huge == NULL);
    CHECK(strstr(hw_error(), "cudaMalloc") != NULL && strstr(hw_error(), "out of device memory") != NULL);
    printf("  4 PiB: %s\n", hw_error());
    /* a cache smaller than a batch */
    CHECK(hw_gpu_tiles_create_streamed(g, one, 4, 1, 3, 2) == NULL);
    CHECK_STR_EQ(hw_error(), "device tiles: 4 tiles of 1 x 1 in 2 slots, batches of 3 (internal error)");
    hw_gpu_tiles *small = hw_gpu_tiles_create(g, one, 1, 2, 2, 0);
    CHECK(small != NULL);
    if (small) {
        int max = 0;
        hw_batch_entry *t = hw_gpu_tiles_table(small, &max);
        CHECK_INT_EQ(max, 2);
        memset(t, 0, 2 * sizeof *t);
        t[1].tile = 1;
        const float *d = NULL;
        CHECK_INT_EQ(hw_gpu_tiles_gather(small, 2, &d), -1);
        CHECK_STR_EQ(hw_error(), "device gather: entry 1 names tile 1 of 1 (internal error)");
        t[1].tile = 0;
        t[1].flip = 1;
        GPU_OK(hw_gpu_tiles_gather(small, 2, &d));
        float *got = host_floats(g, d, 8);
        const float want[8] = {1, 2, 3, 4, 4, 3, 2, 1};
        expect_same_bits("2x2 copy and flip", got, want, sizeof want, sizeof(float));
        free(got);
        hw_gpu_tiles_free(small);
    }
    GPU_OK(hw_gpu_sync(g));
    hw_gpu_destroy(g);
    char path[512];
    snprintf(path, sizeof path, "%s/t32.h5", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/t224.h5", dir);
    unlink(path);
    rmdir(dir);
    MPI_Finalize();
    return TEST_RESULT();
}
