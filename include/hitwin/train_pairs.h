/* Training items from a tile store's metadata (reference.md 2.2-2.4), keyed by
 * dataset identity: an item names a window and the SAMPLES (store indices) whose
 * tiles it uses, never tile copies and never positions in a per-window list
 * (bugs 6 and 7 fixed: a missing tile only removes the pairs that need it).
 *
 *   contrastive: every unordered pair (a < b) of samples kept at the window;
 *                label 0 same class_id, 1 different. 2+2 -> 6 items (2 + 4).
 *   triplet:     samples grouped by class (order of first appearance); for each
 *                class with >= 2 members, every pair (i < j) and every member k of
 *                every other class: (i, j, k) then (j, i, k). 2+2 -> 8 items.
 *   supcon:      one item per window: kept class-0 samples, then kept class-1
 *                samples (sample order within class); windows where either class
 *                has < 2 kept tiles are skipped (the reference would give NaN,
 *                bug 8); other classes are dropped, as in the reference.
 * Windows are visited in store order (chromosome, then ascending start). */
#ifndef HITWIN_TRAIN_PAIRS_H
#define HITWIN_TRAIN_PAIRS_H

#include <stdint.h>

#include "hitwin/model.h"
#include "hitwin/tile_store.h"

typedef struct {
    int64_t window; /* row of /tiles */
    int32_t first;  /* offset of the item's samples in hw_item_set.samples */
    int16_t n;      /* views: 2 pair, 3 triplet (anchor, positive, negative), V supcon */
    int8_t label;   /* contrastive: 0 same condition, 1 different; else -1 */
    int8_t edit;    /* pairs: edits: 1 when the second view is structurally edited */
} hw_train_item;

typedef struct {
    hw_loss_kind kind;
    int64_t n;                /* items */
    hw_train_item *items;
    int32_t *samples;         /* [sum of n over items] sample indices */
    int64_t n_samples_total;
    int64_t windows_used;     /* windows that gave at least one item */
    int64_t windows_skipped;  /* windows of the split with too few kept tiles */
    int64_t n_label[2];       /* contrastive: items with label 0 / 1 */
    int max_views;            /* largest n of any item */
} hw_item_set;

/* Items of one split (0 train, 1 validation, 2 test) of the store's windows. */
void hw_items_build(hw_item_set *set, const hw_tile_meta *m, int split, hw_loss_kind kind);
/* `pairs: edits` (train_edits.h): no item compares the two conditions. At each window, for
 * each class, every pair (a < b) of its kept samples twice: (a, b) label 0, and (a, b) with
 * b's tile structurally edited, label 1; a class with one kept sample at the window gives
 * (a, a) the same two ways (its views differ by their technical augmentation). 2 + 2: 4
 * items per window. Contrastive only. */
void hw_items_build_edits(hw_item_set *set, const hw_tile_meta *m, int split);
void hw_items_free(hw_item_set *set);

#endif
