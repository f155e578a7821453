/* Cross-fitted embedding distances (train_folds.h, docs/distance.md "Cross-fitted
 * checkpoints"): K fold models each give every pair a distance; a pair takes the distance of
 * the model that never trained on its window (fold 0's for a window of no fold). Models of
 * different folds put distances on different scales, and the windows of a run are ranked
 * against each other across folds, so each model's learned distances are divided by that
 * model's median within-condition distance over all pairs first: learned distances of a
 * cross-fitted run are in units of a typical replicate difference. Baseline distances do not
 * depend on the model and are left as they are. */
#ifndef HITWIN_CROSS_FIT_H
#define HITWIN_CROSS_FIT_H

#include "hitwin/distance_output.h"
#include "hitwin/tile_store.h"

/* The median of measure q's finite within-condition (label 0) distances; NaN when none. */
double hw_within_median(const hw_pair_table *p, int q);

/* out (holding fold 0's table) takes, for every learned measure and pair, the scaled distance
 * of the pair's fold model. folds[k] are the K tables (same pairs in the same order; folds[0]
 * may be out itself); fold_of_chrom from hw_folds_assign. -1 with hw_fail when the tables do
 * not list the same pairs (internal error). */
int hw_cross_fit_combine(hw_pair_table *out, hw_pair_table *const *folds, int K,
                         const hw_tile_meta *m, const int *fold_of_chrom);

#endif
