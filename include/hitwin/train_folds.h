/* Cross-fitting (docs/recipe.md, "Scores on every window"): a model trained on a window's
 * condition-labelled pairs has seen that window's libraries and is told that its conditions
 * differ, so on its own training windows it separates the conditions whether or not the
 * structure changed (the score there is flat and high). With `folds: K` the training
 * chromosomes are split into K folds and K models are trained, model k without fold k's
 * windows; `hitwin distance` then scores every window with a model that never trained on
 * it (a window of no fold, e.g. the validation or test chromosome, with model 0).
 *
 * The assignment depends on the store's metadata alone, so train and distance compute the
 * same one: chromosomes holding training windows (split 0), taken by decreasing window count
 * (ties in store order), each to the fold with the fewest windows so far (lowest index on a
 * tie). Chromosomes without training windows get -1. */
#ifndef HITWIN_TRAIN_FOLDS_H
#define HITWIN_TRAIN_FOLDS_H

#include "hitwin/tile_store.h"
#include "hitwin/train_pairs.h"

/* fold_of_chrom[c] for every chromosome of m (n_chroms entries). Returns the number of
 * folds that received at least one chromosome. */
int hw_folds_assign(const hw_tile_meta *m, int K, int *fold_of_chrom);

/* Drop the items whose window lies on a chromosome of fold `fold`; counts recomputed. */
void hw_items_drop_fold(hw_item_set *set, const hw_tile_meta *m, const int *fold_of_chrom, int fold);

#endif
