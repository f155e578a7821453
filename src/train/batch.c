/* Item order and batch assembly (include/hitwin/train_batch.h). */
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/nn.h"
#include "hitwin/train_augment.h"
#include "hitwin/train_batch.h"
#include "hitwin/train_edits.h"
#include "hitwin/xalloc.h"

void hw_train_shuffle(int64_t *order, int64_t n, uint64_t seed, int64_t epoch) {
    NnRng rng;
    nn_rng_init(&rng, hw_aug_seed(seed, epoch, -1, -1, -1)); /* its own stream */
    for (int64_t i = 0; i < n; i++) order[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        uint64_t r = ((uint64_t)nn_rng_u32(&rng) << 32) | nn_rng_u32(&rng);
        int64_t j = (int64_t)(r % (uint64_t)(i + 1));
        int64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

void hw_batcher_init(hw_batcher *b, hw_tile_store *store, int cap_items, int max_views, int n_aug) {
    memset(b, 0, sizeof *b);
    b->store = store;
    b->meta = hw_tile_store_meta(store);
    b->S = b->meta->n_samples;
    b->T = b->meta->tile_size;
    b->n_aug = n_aug;
    b->cap_items = cap_items;
    b->max_views = max_views;
    size_t TT = (size_t)b->T * b->T;
    b->n_slots = cap_items;
    b->win = xmalloc((size_t)b->n_slots * sizeof *b->win);
    for (int k = 0; k < b->n_slots; k++) b->win[k] = -1;
    b->used = xcalloc((size_t)b->n_slots, 1);
    b->cache = xmalloc((size_t)b->n_slots * b->S * TT * sizeof *b->cache);
    size_t nt = (size_t)cap_items * (1 + n_aug) * max_views;
    b->tiles = xmalloc(nt * TT * sizeof *b->tiles);
    b->labels = xmalloc(nt * sizeof *b->labels);
    b->targets = xmalloc(nt * sizeof *b->targets);
    b->scratch = xmalloc(TT * sizeof *b->scratch);
}

void hw_batcher_free(hw_batcher *b) {
    free(b->resident_slot);
    free(b->resident);
    free(b->resident_sum);
    free(b->win);
    free(b->used);
    free(b->cache);
    free(b->tiles);
    free(b->labels);
    free(b->targets);
    free(b->scratch);
    memset(b, 0, sizeof *b);
}

size_t hw_batcher_bytes(const hw_batcher *b) {
    size_t TT = (size_t)b->T * b->T;
    size_t nt = (size_t)b->cap_items * (1 + b->n_aug) * b->max_views;
    return (size_t)b->n_slots * b->S * TT * 4 + nt * TT * 4 + nt * 4 + TT * 4;
}

/* The cached tiles of window w, reading it if needed (slots of windows this
 * batch does not use are reused). */
static const float *window_tiles(hw_batcher *b, int64_t w) {
    size_t per = (size_t)b->S * b->T * b->T;
    if (b->resident_slot && b->resident_slot[w] >= 0) return b->resident + b->resident_slot[w] * per;
    int free_slot = -1;
    for (int k = 0; k < b->n_slots; k++) {
        if (b->win[k] == w) {
            b->used[k] = 1;
            return b->cache + k * per;
        }
        if (free_slot < 0 && !b->used[k]) free_slot = k;
    }
    if (free_slot < 0) {
        hw_fail("batch needs more than %d windows (internal error)", b->n_slots);
        return NULL;
    }
    if (hw_tile_store_read_window(b->store, w, b->cache + free_slot * per) != 0) return NULL;
    b->windows_read++;
    b->win[free_slot] = w;
    b->used[free_slot] = 1;
    return b->cache + free_slot * per;
}

int hw_batch_flip(uint64_t seed, int64_t epoch, int64_t item) {
    NnRng rng;
    nn_rng_init(&rng, hw_aug_seed(seed, epoch, item, 0, -1));
    return (int)(nn_rng_u32(&rng) >> 31);
}

/* Thin the original (copy 0) of a training tile, then flip every copy of a flipped
 * item (train_augment.h); nothing when not training. */
static void recipe_augment(const hw_batcher *b, float *dst, int augment, int flip, int copy, uint64_t seed,
                           int64_t epoch, int64_t item, int view) {
    if (!augment) return;
    if (copy == 0 && b->thin > 0.0)
        hw_aug_thin(dst, dst, b->T, b->thin, hw_aug_seed(seed, epoch, item, 0, view));
    if (flip) hw_aug_flip(dst, b->T);
}

/* pairs: edits (train_edits.h): the edit of an item's second view, the same in every copy and,
 * outside training (validation), the same in every epoch; then, while training, a fresh
 * technical signature per view and copy. Both before the recipe's thinning, which draws the
 * counts. */
static void edit_and_signature(const hw_batcher *b, float *dst, const hw_train_item *it, int augment,
                               uint64_t seed, int64_t epoch, int64_t item, int copy, int view,
                               double scale) {
    if (it->edit && view == 1) {
        int64_t e = augment ? epoch : -7;
        int k = hw_edit_count(b->max_edits, hw_aug_seed(seed, e, item, 0, 103));
        for (int x = 0; x < k; x++) { /* the first edit's stream is the one-edit recipe's */
            uint64_t s = hw_aug_seed(seed, e, item, 0, x ? 110 + x : 101);
            if (hw_edit_is_contrast(b->contrast, hw_aug_seed(seed, e, item, 0, 130 + x)))
                hw_aug_contrast(dst, b->T, scale, b->contrast_strength, s);
            else if (hw_edit_is_contrast(b->loops, hw_aug_seed(seed, e, item, 0, 150 + x)))
                hw_aug_loop(dst, b->T, scale, s);
            else
                hw_aug_edit(dst, b->T, scale, s);
        }
    }
    if (augment && b->technical > 0.0)
        hw_aug_technical(dst, b->T, b->technical, hw_aug_seed(seed, epoch, item, copy, 200 + view));
}

int hw_batcher_fill(hw_batcher *b, const hw_item_set *set, const int64_t *idx, int n, int augment,
                    uint64_t seed, int64_t epoch, hw_batch *out) {
    if (n > b->cap_items) return hw_fail("batch of %d items, room for %d (internal error)", n, b->cap_items);
    memset(b->used, 0, (size_t)b->n_slots);
    /* mark the windows this batch already has, so they are not evicted */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < b->n_slots; k++)
            if (b->win[k] == set->items[idx[i]].window) b->used[k] = 1;
    size_t TT = (size_t)b->T * b->T;
    int views = n ? set->items[idx[0]].n : 0;
    int copies = augment ? 1 + b->n_aug : 1;
    int supcon = set->kind == HW_LOSS_SUPCON;
    size_t t = 0; /* tiles written */
    for (int i = 0; i < n; i++) {
        const hw_train_item *it = &set->items[idx[i]];
        /* the recipe's own augmentations (train_augment.h) use copy 0's streams, which
         * the reference's copies (c >= 1) never draw from */
        int flip = augment && b->flip ? hw_batch_flip(seed, epoch, idx[i]) : 0;
        if (it->n != views) return hw_fail("items of %d and %d views in one batch (internal error)", views, it->n);
        const float *win = window_tiles(b, it->window);
        if (!win) return -1;
        const int32_t *smp = set->samples + it->first;
        if (supcon) {
            for (int v = 0; v < views; v++) {
                const float *src = win + (size_t)smp[v] * TT;
                for (int c = 0; c < copies; c++, t++) {
                    float *dst = b->tiles + t * TT;
                    b->labels[t] = b->meta->class_id[smp[v]];
                    if (c == 0) {
                        memcpy(dst, src, TT * sizeof *dst);
                    } else {
                        NnRng rng;
                        nn_rng_init(&rng, hw_aug_seed(seed, epoch, idx[i], c, v));
                        hw_augment(dst, src, b->T, 1, &rng, b->scratch);
                    }
                    recipe_augment(b, dst, augment, flip, c, seed, epoch, idx[i], v);
                }
            }
        } else {
            double scale = it->edit ? hw_edit_scale(b->graded, hw_aug_seed(seed, augment ? epoch : -7, idx[i], 0, 102)) : 1.0;
            for (int c = 0; c < copies; c++) {
                /* a graded edit's contrastive target is its scale; the head's class is whether
                 * the edit is at least half a full one */
                b->labels[i * copies + c] = it->edit ? scale >= 0.5 : it->label;
                b->targets[i * copies + c] = it->edit ? (float)scale : (float)it->label;
                for (int v = 0; v < views; v++, t++) {
                    const float *src = win + (size_t)smp[v] * TT;
                    float *dst = b->tiles + t * TT;
                    if (c == 0) {
                        memcpy(dst, src, TT * sizeof *dst);
                    } else {
                        NnRng rng;
                        nn_rng_init(&rng, hw_aug_seed(seed, epoch, idx[i], c, v));
                        hw_augment(dst, src, b->T, 0, &rng, b->scratch);
                    }
                    edit_and_signature(b, dst, it, augment, seed, epoch, idx[i], c, v, scale);
                    recipe_augment(b, dst, augment, flip, c, seed, epoch, idx[i], v);
                }
            }
        }
    }
    out->tiles = b->tiles;
    out->labels = b->labels;
    out->targets = b->graded > 0.0 && !supcon ? b->targets : NULL;
    out->n = supcon ? n : n * copies;
    out->views = supcon ? views * copies : views;
    return 0;
}
