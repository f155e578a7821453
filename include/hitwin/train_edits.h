/* The `pairs: edits` recipe's two augmentations (docs/recipe.md, "Training that cannot win
 * by telling libraries apart").
 *
 * With 2 + 2 samples and every between-condition pair labelled "different", a network can
 * learn each library's technical signature (depth, decay slope, coverage bias, pixel
 * over-dispersion) instead of structure: that signature separates the conditions at every
 * window, changed or not. These two operators take the condition labels out of training:
 *
 *   technical: a fresh library signature drawn for every view of every item, so that no
 *     signature is a stable feature: per-bin coverage bias b_i (log-normal), a decay-slope
 *     offset (pixel x ((d + 1) / (T / 4))^-delta), and a per-pixel multiplicative noise
 *     (log-normal), applied as t[i, j] *= b_i b_j s(|i - j|) g_ij; symmetric. The recipe's
 *     thinning then draws Poisson counts from the result (depth).
 *   edit: a local structural change of the tile, the thing the distance must see:
 *     one of three smooth multiplicative fields, symmetric, with a factor f = exp(+-m),
 *     m ~ U(0.35, 1.0):
 *       block      a domain strengthened or weakened: pixels with both bins in a run of
 *                  12-64 bins (soft edges, 1.5 bins) times f;
 *       insulation a boundary made or lost: the contacts across a position p between the
 *                  R = 8-48 bins on each side times f;
 *       spot       a loop made or lost: a Gaussian spot (sigma 0.8-2 bins) 6-100 bins off
 *                  the diagonal times (1 + g G)^(+-1), g = e^U(0.7, 1.6) - 1.
 *     A pair (tile a, tile b) of the same condition is "same" (label 0); the pair (a, edited
 *     b) is "different" (label 1). A distance trained so is small for technical differences
 *     and large for local structural ones, whichever conditions are compared later.
 *
 * Both draw from their own NnRng stream (seed): the same tile and seed give the same bits on
 * any rank count and on resume. Values stay floats; NaN and inf pixels stay as they are. */
#ifndef HITWIN_TRAIN_EDITS_H
#define HITWIN_TRAIN_EDITS_H

#include <stdint.h>

typedef enum {
    HW_EDIT_BLOCK = 0,
    HW_EDIT_INSULATION = 1,
    HW_EDIT_SPOT = 2,
    HW_EDIT_CONTRAST = 3,
    HW_EDIT_LOOP = 4
} hw_edit_kind;

/* What hw_aug_edit did, for tests and logs. */
typedef struct {
    hw_edit_kind kind;
    int lo, hi;     /* block, contrast: bins [lo, hi); insulation: [lo, p) x [p, hi); spot: (lo, hi) */
    int p;          /* insulation: the position */
    double factor;  /* f (block, insulation), the spot's peak factor, or contrast's exp(-a) */
} hw_edit_info;

/* One local structural edit of the T x T tile t, in place (T >= 32). scale in (0, 1]
 * multiplies the edit's log magnitude (1: the full edit above; the same geometry and sign
 * for any scale). */
hw_edit_info hw_aug_edit(float *t, int T, double scale, uint64_t seed);

/* A contrast edit (train config contrast_edits = p: each edit is one with probability p): all
 * the structure of a run of T/4..T bins weakened or sharpened at once, as a cohesin or CTCF
 * depletion weakens every domain, boundary and loop of a region by its local occupancy:
 *   t[i, j] *= (S[i, j] / E[i, j])^(-a w(i, j)),
 * S the tile blurred (Gaussian, sigma 3 bins, so that the field follows the structure, not a
 * pixel's counting noise), E its expected (per-diagonal mean) blurred alike, the log ratio
 * clamped to +-2, w the run's soft indicator, a = +-scale U(0.25, strength) (a > 0 flattens
 * the region towards its expected, a < 0 sharpens it; strength is the train config's
 * contrast_strength, 0.7 before it existed). Symmetric; info.factor = exp(-a). */
hw_edit_info hw_aug_contrast(float *t, int T, double scale, double strength, uint64_t seed);

/* Whether an edit is a contrast edit (probability p), from its own stream. */
int hw_edit_is_contrast(double p, uint64_t seed);

/* A loop edit (train config loop_edits = p: a local edit is one with probability p): the
 * tile's own strongest loop, removed or strengthened, as a loop loss or gain changes a real
 * map (the spot edit puts its spot anywhere, mostly where no loop is). The loop is the pixel
 * 6..100 bins off the diagonal with the largest enrichment rho = P / B on the tile's O/E (each
 * diagonal divided by its mean over its finite pixels): P the mean over its 3 x 3 box, B over
 * the 13 x 13 box around it less the 7 x 7 one (the donut of loop callers). Loss (half the
 * draws): the pixels around it divided by 1 + (rho - 1) a G(r), a = scale U(0.6, 1), G a
 * Gaussian of sigma U(1, 1.5) bins, so a full edit brings the loop to its background; gain:
 * times 1 + g G(r), g = e^(scale U(0.7, 1.6)) - 1, as the spot edit. A tile without a loop
 * (rho < 1.25, or too few finite pixels) gets the ordinary local edit hw_aug_edit instead, with
 * the same seed (its kind says which). Symmetric; NaN and inf pixels stay as they are. */
hw_edit_info hw_aug_loop(float *t, int T, double scale, uint64_t seed);

/* Graded edits (train config graded_edits = g): with probability g an edit is scaled by
 * w ~ U(0.1, 1) and its pair's contrastive target is w instead of 1, so that the loss's
 * optimum distance, margin * w, grows with the size of the change (a weak, partial change,
 * as a genome-wide depletion makes, is near, not at, the margin or 0). Returns w, or 1 (with
 * probability 1 - g, and always for g = 0). */
double hw_edit_scale(double g, uint64_t seed);

/* How many edits an edited tile gets (train config edits_per_tile = K): k ~ U{1..K}, each a
 * fresh draw of kind and place at the pair's scale, so that a "different" pair can also be a
 * spread, many-feature change (as a genome-wide depletion makes), not only a single local one.
 * 1 for K <= 1. */
int hw_edit_count(int K, uint64_t seed);

/* A fresh technical signature on the T x T tile t, in place. scale multiplies the spreads
 * (1: bias sd U(0, 0.3), slope offset U(-0.12, 0.12), pixel noise sd U(0, 0.15)). */
void hw_aug_technical(float *t, int T, double scale, uint64_t seed);

#endif
