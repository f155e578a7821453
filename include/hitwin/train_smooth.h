/* `smooth: auto`: the count smoothing chosen from the store's depth (docs/recipe.md,
 * "Smoothing by depth"). A sparse map's single pixels are mostly Poisson noise (at ~1 contact
 * per pixel half of them are empty), and the network's first layers then learn from noise for
 * many epochs; averaging each count over a square of (2h + 1)^2 pixels gives it about as many
 * counts per value as a deep map has per pixel. Deep maps keep their pixels (h = 0): there a
 * square blurs the loops and edges a depletion weakens. */
#ifndef HITWIN_TRAIN_SMOOTH_H
#define HITWIN_TRAIN_SMOOTH_H

#include "hitwin/model.h" /* HW_SMOOTH_AUTO */
#include "hitwin/tile_store.h"

/* a map with at least this many counts per pixel keeps its pixels (h = 0): measured at 10 and
 * 48 counts per pixel, a 3 x 3 square gained nothing on held-out data and blurred the loops and
 * edges of a dense change (docs/recipe.md) */
#define HW_SMOOTH_AUTO_DEEP 5.0
/* below it, counts a smoothed value should hold at least (Poisson noise of ~25 %) */
#define HW_SMOOTH_AUTO_COUNTS 15.0
/* the widest auto choice: a 7 x 7 square (140 kb at 20 kb) */
#define HW_SMOOTH_AUTO_MAX 3
/* training windows read for the depth: evenly spread over the split */
#define HW_SMOOTH_AUTO_WINDOWS 64

/* 0 for counts_per_pixel >= HW_SMOOTH_AUTO_DEEP (or not positive); else the smallest h in
 * 1..HW_SMOOTH_AUTO_MAX with (2h + 1)^2 * counts_per_pixel >= HW_SMOOTH_AUTO_COUNTS
 * (HW_SMOOTH_AUTO_MAX if none). */
int hw_smooth_for_depth(double counts_per_pixel);

/* The depth of a store: the median over kept training tiles (up to HW_SMOOTH_AUTO_WINDOWS
 * windows, all samples) of the mean value of the pixels at separations 3 .. T/2 bins, the
 * band the structure lives in. Returns 0 with *depth and *n_tiles set (*depth = 0 with
 * *n_tiles = 0 where no training tile is kept); 1 where the store holds no counts (balanced
 * or O/E values: nothing to read a depth from; *depth = 0); -1 on a read error (hw_error). */
int hw_store_depth(hw_tile_store *store, double *depth, int *n_tiles);

/* hw_smooth_for_depth(hw_store_depth(store)), and one line saying why in why[size];
 * 0 on success, -1 on a read error. */
int hw_smooth_auto(hw_tile_store *store, int *h, char *why, size_t size);

#endif
