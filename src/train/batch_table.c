/* A batch as a table of source tiles and augmentations (train_batch.h, gpu_batch.h): what
 * the device gather needs to write hw_batcher_fill's tiles without the host touching a
 * pixel. The table repeats hw_batcher_fill's choices (item order, views, flip bit, thinning
 * streams, labels); test_train_batch_table checks it against hw_batcher_fill bit for bit through
 * hw_batch_gather_ref, and test_gpu_batch the kernel against both. */
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/train_augment.h"
#include "hitwin/train_batch.h"
#include "hitwin/train_thin.h"

int hw_batch_table(const hw_batcher *b, const hw_item_set *set, const int64_t *idx, int n,
                   int augment, uint64_t seed, int64_t epoch, hw_batch_entry *entries,
                   int max_entries, int *labels, int *out_n, int *out_views) {
    if (augment && b->n_aug > 0)
        return hw_fail("batch table: n_aug copies are assembled on the host (internal error)");
    if (!b->resident_slot) return hw_fail("batch table: no resident windows (internal error)");
    int views = n ? set->items[idx[0]].n : 0;
    if ((int64_t)n * views > max_entries)
        return hw_fail("batch table: %d items of %d views, room for %d tiles (internal error)", n,
                       views, max_entries);
    int supcon = set->kind == HW_LOSS_SUPCON;
    int thin = augment && b->thin > 0.0;
    for (int i = 0; i < n; i++) {
        const hw_train_item *it = &set->items[idx[i]];
        if (it->n != views)
            return hw_fail("items of %d and %d views in one batch (internal error)", views, it->n);
        int64_t slot = b->resident_slot[it->window];
        if (slot < 0)
            return hw_fail("batch table: window %lld is not resident (internal error)",
                           (long long)it->window);
        int flip = augment && b->flip ? hw_batch_flip(seed, epoch, idx[i]) : 0;
        const int32_t *smp = set->samples + it->first;
        if (!supcon) labels[i] = it->label;
        for (int v = 0; v < views; v++) {
            int t = i * views + v;
            hw_batch_entry *e = &entries[t];
            memset(e, 0, sizeof *e);
            e->tile = slot * b->S + smp[v];
            e->flip = flip;
            e->thin = thin;
            if (thin) {
                e->thin_seed = hw_aug_seed(seed, epoch, idx[i], 0, v);
                e->thin_p = hw_thin_p(e->thin_seed, b->thin);
            }
            if (supcon) labels[t] = b->meta->class_id[smp[v]];
        }
    }
    *out_n = n;
    *out_views = views;
    return 0;
}

/* The kernel's loop (gpu_batch.cu) in C: a thinned tile draws each lower-triangle pixel once
 * and writes it and its mirror; the flip maps flat index k to T*T-1-k. */
void hw_batch_gather_ref(float *out, const float *resident, const hw_batch_entry *entries, int n,
                         int T) {
    const size_t TT = (size_t)T * T;
    for (int t = 0; t < n; t++) {
        const hw_batch_entry *e = &entries[t];
        const float *src = resident + (size_t)e->tile * TT;
        float *dst = out + (size_t)t * TT;
        const uint64_t key = hw_pois_key(e->thin_seed);
        for (size_t k = 0; k < TT; k++) {
            size_t a = k / (size_t)T, c = k % (size_t)T;
            if (!e->thin) {
                dst[e->flip ? TT - 1 - k : k] = src[k];
            } else if (c <= a) {
                float v = hw_thin_pixel(key, (uint32_t)k, e->thin_p, src[k]);
                size_t m = c * (size_t)T + a;
                dst[e->flip ? TT - 1 - k : k] = v;
                dst[e->flip ? TT - 1 - m : m] = v;
            }
        }
    }
}

#ifdef HITWIN_HAVE_CUDA
int hw_batcher_fill_device(hw_batcher *b, hw_gpu_tiles *dev, const hw_item_set *set,
                           const int64_t *idx, int n, int augment, uint64_t seed, int64_t epoch,
                           hw_batch *out) {
    int max_entries = 0, n_out = 0, views = 0;
    hw_batch_entry *table = hw_gpu_tiles_table(dev, &max_entries);
    if (hw_batch_table(b, set, idx, n, augment, seed, epoch, table, max_entries, b->labels, &n_out,
                       &views) != 0)
        return -1;
    const float *tiles = NULL;
    if (hw_gpu_tiles_gather(dev, n_out * views, &tiles) != 0) return -1;
    out->tiles = tiles;
    out->labels = b->labels;
    out->n = n_out;
    out->views = views;
    out->tiles_on_device = 1;
    return 0;
}
#endif
