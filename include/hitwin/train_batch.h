/* Batches for the trainer: the epoch's item order, and the tiles of a list of
 * items read from the tile store (each window once, all its samples in one read,
 * cached while the batch is assembled) with the n_aug augmented copies of
 * reference.md 5.3 appended per item. */
#ifndef HITWIN_TRAIN_BATCH_H
#define HITWIN_TRAIN_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "hitwin/gpu_batch.h"
#include "hitwin/model.h"
#include "hitwin/tile_store.h"
#include "hitwin/train_pairs.h"

/* Item order of an epoch: a uniform permutation of [0, n) drawn from the stream
 * keyed by (seed, epoch), the same on every rank. */
void hw_train_shuffle(int64_t *order, int64_t n, uint64_t seed, int64_t epoch);

typedef struct {
    hw_tile_store *store;
    const hw_tile_meta *meta;
    int S, T;
    int n_aug;
    int flip;             /* augment: reverse each item's orientation with probability 1/2 */
    double thin;          /* augment: thin each original tile to p ~ U(thin, 1) of its depth; 0 off */
    double technical;     /* augment: a fresh technical signature per view (train_edits.h); 0 off */
    double graded;        /* pairs: edits: the fraction of edits scaled down (train_edits.h); 0 off */
    double contrast;      /* pairs: edits: the chance that an edit is a contrast edit; 0 off */
    double contrast_strength; /* pairs: edits: a contrast edit's a ~ U(0.25, this) */
    double loops;         /* pairs: edits: the chance that a local edit is a loop edit; 0 off */
    int max_edits;        /* pairs: edits: edits per edited tile, k ~ U{1..max_edits}; 0 or 1: one */
    int cap_items;        /* items per fill */
    int max_views;
    /* window cache: slot k holds window win[k] ([S, T, T] at cache + k*S*T*T) */
    int n_slots;
    int64_t *win;
    uint8_t *used;
    float *cache;
    int64_t windows_read;
    /* resident windows (train_preload.h): window w's tiles at resident + resident_slot[w] *
     * S*T*T when resident_slot[w] >= 0; resident_slot NULL when none */
    int64_t *resident_slot; /* [store windows] */
    float *resident;
    int64_t n_resident;
    double *resident_sum;   /* [n_resident * S]: each resident tile's sum, for the device's
                               Poisson copies (batch_table.c); NULL until needed */
    /* the batch */
    float *tiles;         /* [cap_items * (1 + n_aug) * max_views, T, T] */
    int *labels;          /* [cap_items * (1 + n_aug) * max_views] */
    float *targets;       /* [the same]: contrastive targets when graded > 0 (hw_batch.targets) */
    int32_t *scratch;     /* [T * T] for dropout */
} hw_batcher;

/* One allocation per role, sized for cap_items items of up to max_views views. */
void hw_batcher_init(hw_batcher *b, hw_tile_store *store, int cap_items, int max_views, int n_aug);
void hw_batcher_free(hw_batcher *b);
size_t hw_batcher_bytes(const hw_batcher *b);

/* Tiles of items set->items[idx[i]], i < n, which must all have the same number
 * of views. augment: emit n_aug augmented copies (streams keyed by seed, epoch,
 * item index). Fills out (tiles, labels, n, views; global_n is the caller's).
 *   contrastive / triplet: out->n = n * (1 + n_aug), each item followed by its
 *     copies (each view augmented independently); labels = pair labels.
 *   supcon: out->n = n, views V * (1 + n_aug) (each view then its forced
 *     augmentations, in the item's order: class 0 first); labels = class ids. */
int hw_batcher_fill(hw_batcher *b, const hw_item_set *set, const int64_t *idx, int n, int augment,
                    uint64_t seed, int64_t epoch, hw_batch *out);

/* The recipe's flip of item `item` (global index) in an epoch: one draw from the item's copy-0
 * stream, view -1. */
int hw_batch_flip(uint64_t seed, int64_t epoch, int64_t item);

/* ---- batches assembled elsewhere (batch_table.c, gpu_batch.h) ------------------------------
 * hw_batch_table: what hw_batcher_fill would write, as one hw_batch_entry per output tile, in
 * its order (item-major, then view), with the same flip bits and thinning streams, and the
 * labels into labels[]. Every item's window must be resident (hw_batcher_preload). With
 * n_aug copies (while augmenting) the entries are in hw_batcher_fill's order of copies, and
 * the first such batch adds up every resident tile once (resident_sum).
 * *out_n, *out_views: hw_batch's n and views. 0, or -1 with hw_fail. */
int hw_batch_table(hw_batcher *b, const hw_item_set *set, const int64_t *idx, int n,
                   int augment, uint64_t seed, int64_t epoch, hw_batch_entry *entries,
                   int max_entries, int *labels, int *out_n, int *out_views);
/* The gather in plain C, as the kernel does it: out [n, T, T] from the resident tiles. */
void hw_batch_gather_ref(float *out, const float *resident, const hw_batch_entry *entries, int n,
                         int T);
/* CUDA builds: hw_batcher_fill on the device (hw_batch_table, hw_gpu_tiles_gather). out->tiles
 * is device memory (tiles_on_device = 1), out->labels the batcher's host labels. */
int hw_batcher_fill_device(hw_batcher *b, hw_gpu_tiles *dev, const hw_item_set *set,
                           const int64_t *idx, int n, int augment, uint64_t seed, int64_t epoch,
                           hw_batch *out);

#endif
