/* Tile augmentations of reference.md 5.3, on raw tile values, drawn from
 * counter-based streams (nn.h's NnRng) keyed by (seed, epoch, item, copy, view):
 * an augmented tile depends on nothing else, so 1 rank and 64 ranks, a run and
 * its resumption, see the same tiles (bug 20: the reference's Python `random`
 * is unseeded).
 *
 *   identity
 *   Poisson resample: lower triangle incl. diagonal A ~ Poisson(value), mirrored
 *     T = A + A^T - diag(A), rescaled by sum(original) / sum(T) when sum(T) > 0 (and
 *     both are finite; NaN and inf pixels are kept, not drawn as 0); each pixel from its
 *     own counter range (train_thin.h), so that a GPU thread per pixel gives these bits
 *   random dropout: f ~ U(0.025, 0.075); floor(f * nnz) of the non-zero entries,
 *     chosen uniformly without replacement, set to 0 (symmetry is broken, as in
 *     the reference, bug 21)
 * A plain augmentation picks one of the three uniformly; a forced one (SupCon)
 * picks Poisson or dropout. */
#ifndef HITWIN_TRAIN_AUGMENT_H
#define HITWIN_TRAIN_AUGMENT_H

#include <stdint.h>

#include "hitwin/nn.h"

typedef enum { HW_AUG_IDENTITY = 0, HW_AUG_POISSON = 1, HW_AUG_DROPOUT = 2 } hw_aug_kind;

/* The stream seed of one augmented tile. copy >= 1 (copy 0 is the original). */
uint64_t hw_aug_seed(uint64_t seed, int64_t epoch, int64_t item, int copy, int view);

/* Uniform double in [0, 1) with 53 random bits (two draws). */
double hw_rng_double(NnRng *rng);
/* Poisson(lambda): multiplication method below 10, Hormann's PTRS above (the
 * sampler numpy uses), with exp/log written so that CUDA gives the same bits
 * (train_thin.h). lambda <= 0 or not finite gives 0. */
int64_t hw_rng_poisson(NnRng *rng, double lambda);

/* out [T, T] from in [T, T]; out == in is allowed. The stream is rng's seed salted
 * (hw_aug_poisson_key); rng's counter is neither read nor advanced. */
void hw_aug_poisson(float *out, const float *in, int T, NnRng *rng);
/* sum(original) of hw_aug_poisson's rescale: the tile's values added in memory order. */
double hw_aug_tile_sum(const float *t, int T);
/* scratch: T*T int32. Returns the number of entries set to 0. Draws the fraction
 * (hw_aug_dropout_fraction: f ~ U(0.025, 0.075), two draws), then one draw per entry set to
 * 0 (hw_aug_dropout_apply), all from rng's counter on. */
int64_t hw_aug_dropout(float *out, const float *in, int T, NnRng *rng, int32_t *scratch);
double hw_aug_dropout_fraction(NnRng *rng);
int64_t hw_aug_dropout_apply(float *out, const float *in, int T, double f, NnRng *rng,
                             int32_t *scratch);
/* Ours (docs/recipe.md), on the training tiles themselves rather than as extra
 * copies, so nothing the model sees is the same twice:
 *   flip: reverse the genomic orientation, (i, j) -> (T-1-i, T-1-j); one draw per
 *     item, the same for all its views, so a pair stays a pair of the same locus;
 *   thin: a lower-depth library from the same one, A ~ Poisson(p * value) on the
 *     lower triangle incl. diagonal, mirrored, p ~ U(p_min, 1) per tile (not rescaled:
 *     the model's per-tile max normalisation removes the depth); NaN and inf are kept
 *     as they are, so a bad tile still stops training with its message. Returns p.
 *     seed is the tile's stream; each pixel draws from its own counter range of it
 *     and p from another (train_thin.h), so a GPU thread per pixel gives these bits. */
void hw_aug_flip(float *t, int T);
double hw_aug_thin(float *out, const float *in, int T, double p_min, uint64_t seed);
/* The choice of an augmentation: one draw (force: never identity). */
hw_aug_kind hw_aug_choose(NnRng *rng, int force);
/* Choose and apply one augmentation (force: never identity). */
hw_aug_kind hw_augment(float *out, const float *in, int T, int force, NnRng *rng, int32_t *scratch);

#endif
