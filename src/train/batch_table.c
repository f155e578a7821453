/* A batch as a table of source tiles and augmentations (train_batch.h, gpu_batch.h): what
 * the device gather needs to write hw_batcher_fill's tiles without the host touching a
 * pixel. The table repeats hw_batcher_fill's choices (item order, views, copies, flip bit,
 * thinning streams, the copies' augmentations, labels); test_train_batch_table checks it against hw_batcher_fill bit for bit through
 * hw_batch_gather_ref, and test_gpu_batch the kernel against both. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/train_augment.h"
#include "hitwin/train_batch.h"
#include "hitwin/train_thin.h"
#include "hitwin/xalloc.h"

/* sum(original) of every resident tile, for the Poisson copies' rescale: once per run. */
static void resident_sums(hw_batcher *b) {
    if (b->resident_sum) return;
    const int64_t n = b->n_resident * b->S;
    const size_t TT = (size_t)b->T * b->T;
    b->resident_sum = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *b->resident_sum);
    for (int64_t t = 0; t < n; t++) b->resident_sum[t] = hw_aug_tile_sum(b->resident + t * TT, b->T);
}

/* Entry of copy c >= 1 of a view: hw_augment's draws up to the first that needs pixels. */
static void copy_entry(const hw_batcher *b, hw_batch_entry *e, int force, uint64_t aug_seed) {
    NnRng rng;
    nn_rng_init(&rng, aug_seed);
    e->aug = (int32_t)hw_aug_choose(&rng, force);
    e->aug_seed = aug_seed;
    if (e->aug == HW_AUG_POISSON) e->aug_value = b->resident_sum[e->tile];
    if (e->aug == HW_AUG_DROPOUT) {
        e->aug_value = hw_aug_dropout_fraction(&rng);
        e->aug_counter = rng.counter;
    }
}

int hw_batch_table(hw_batcher *b, const hw_item_set *set, const int64_t *idx, int n, int augment,
                   uint64_t seed, int64_t epoch, hw_batch_entry *entries, int max_entries,
                   int *labels, int *out_n, int *out_views) {
    if (!b->resident_slot) return hw_fail("batch table: no resident windows (internal error)");
    if (b->technical > 0.0 || (n && set->items[idx[0]].edit))
        return hw_fail("batch table: pairs: edits and technical are assembled on the host "
                       "(internal error)");
    int views = n ? set->items[idx[0]].n : 0;
    int copies = augment ? 1 + b->n_aug : 1;
    if ((int64_t)n * views * copies > max_entries)
        return hw_fail("batch table: %d items of %d views and %d copies, room for %d tiles "
                       "(internal error)", n, views, copies, max_entries);
    if (copies > 1) resident_sums(b);
    int supcon = set->kind == HW_LOSS_SUPCON;
    int thin = augment && b->thin > 0.0;
    int t = 0; /* entries written, in hw_batcher_fill's order */
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
        /* supcon: each view then its copies; otherwise each copy of the item, then its views */
        for (int outer = 0; outer < (supcon ? views : copies); outer++) {
            if (!supcon) labels[i * copies + outer] = it->label;
            for (int inner = 0; inner < (supcon ? copies : views); inner++, t++) {
                int v = supcon ? outer : inner, c = supcon ? inner : outer;
                hw_batch_entry *e = &entries[t];
                memset(e, 0, sizeof *e);
                e->tile = slot * b->S + smp[v];
                e->flip = flip;
                if (c == 0 && thin) {
                    e->thin = 1;
                    e->thin_seed = hw_aug_seed(seed, epoch, idx[i], 0, v);
                    e->thin_p = hw_thin_p(e->thin_seed, b->thin);
                }
                if (c > 0) copy_entry(b, e, supcon, hw_aug_seed(seed, epoch, idx[i], c, v));
                if (supcon) labels[t] = b->meta->class_id[smp[v]];
            }
        }
    }
    *out_n = supcon ? n : n * copies;
    *out_views = supcon ? views * copies : views;
    return 0;
}

/* The kernels' loops (gpu_batch.cu) in C. An original: a thinned tile draws each
 * lower-triangle pixel once and writes it and its mirror; the flip maps flat index k to
 * T*T-1-k. A copy: the Poisson draws of hw_aug_poisson (its pixels' sum added in another
 * order than the kernel's block, which is exact for the integers drawn) or the dropout of
 * hw_aug_dropout_apply with the entry's fraction and counter, then the flip. */
void hw_batch_gather_ref(float *out, const float *resident, const hw_batch_entry *entries, int n,
                         int T) {
    const size_t TT = (size_t)T * T;
    int32_t *scratch = NULL;
    for (int t = 0; t < n; t++) {
        const hw_batch_entry *e = &entries[t];
        const float *src = resident + (size_t)e->tile * TT;
        float *dst = out + (size_t)t * TT;
        if (e->aug != HW_AUG_IDENTITY) {
            NnRng rng = {e->aug_seed, e->aug_counter};
            if (e->aug == HW_AUG_POISSON) {
                double drawn = 0;
                const uint64_t key = hw_aug_poisson_key(e->aug_seed);
                for (size_t k = 0; k < TT; k++) {
                    size_t a = k / (size_t)T, c = k % (size_t)T;
                    if (c > a) continue;
                    float v = hw_thin_pixel(key, (uint32_t)k, 1.0, src[k]);
                    dst[k] = dst[c * (size_t)T + a] = v;
                    drawn += a == c ? (double)v : 2.0 * (double)v;
                }
                float scale;
                if (hw_aug_poisson_scale(e->aug_value, drawn, &scale))
                    for (size_t k = 0; k < TT; k++) dst[k] *= scale;
            } else {
                if (!scratch) scratch = xmalloc(TT * sizeof *scratch);
                hw_aug_dropout_apply(dst, src, T, e->aug_value, &rng, scratch);
            }
            if (e->flip) hw_aug_flip(dst, T);
            continue;
        }
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
    free(scratch);
}

int hw_tiles_exact_u16(const float *t, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = t[i]; /* NaN fails the range test; -0 would come back as +0 */
        if (!(x >= 0.0f && x <= 65535.0f) || x != (float)(uint16_t)x || signbit(x)) return 0;
    }
    return 1;
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
    out->targets = NULL; /* graded edits are made on the host (pairs: edits) */
    out->n = n_out;
    out->views = views;
    out->tiles_on_device = 1;
    return 0;
}
#endif
