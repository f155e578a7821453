/* Stage 4's numeric core (docs/saliency.md; reference.md 7.2-7.4, bugs 28-32): what the
 * backbone sees of a tile, its last convolution before pooling (the differential feature
 * maps), integrated gradients of the embedding distance batched over the alpha steps, and
 * the per-chromosome strips those maps are averaged into.
 *
 * Coordinates. A tile is S x S bins (224). The "prepared" input is the tile after the
 * wrapper's transform, per-tile max normalisation and diagonal mask: exactly what
 * forward_one receives in the reference, and the space in which attributions live. SLeNet's
 * conv2 output (features[-2]) is G x G (106) with G = (S - 4) / 2 - 4; its pixel r is
 * centred on input bin 2 r + 6.5 (5x5 valid conv, 2x2 pool, 5x5 valid conv: centres
 * r + 2 -> 2 (r + 2) + 2.5), so the maps are registered at those bins (bug 30), never
 * stretched over the tile.
 *
 * A strip is [S, n_bins] for one chromosome: column c is genomic bin c (the midpoint of the
 * contact), row k the separation |j - i| in bins (k = 0 the diagonal). It is the upper
 * triangle rotated by 45 degrees with one row per bin of separation: an even separation k
 * reads the pixel (c - k/2, c + k/2) exactly; an odd one has no pixel whose midpoint is c
 * and takes the mean of the two with midpoints c - 1/2 and c + 1/2 (linear interpolation
 * along the row). Each window adds its map where its pixels actually exist, and the strip
 * is the sum over the count of windows covering each pixel (bug 32). */
#ifndef HITWIN_SALIENCY_H
#define HITWIN_SALIENCY_H

#include <stddef.h>
#include <stdint.h>

#include "hitwin/model.h"

typedef enum { HW_IG_PAIRWISE = 0, HW_IG_COSINE = 1 } hw_ig_measure;
/* Where the path is sampled (ig.c): the reference's alpha_k = k / (steps - 1), both ends
 * included, each weighted 1 / steps (first order: its error falls as 1 / steps), or the
 * midpoint rule's alpha_k = (k + 1/2) / steps (second order: as 1 / steps^2; no end sampled,
 * so no row measures a tile against itself). docs/saliency.md "Steps and rule". */
typedef enum { HW_IG_RULE_REFERENCE = 0, HW_IG_RULE_MIDPOINT = 1 } hw_ig_rule;

/* Alpha steps per forward/backward batch when none is given: 50 interpolants x ~3.5 MB. */
#define HW_IG_DEFAULT_CHUNK 50

/* ---- the backbone on prepared inputs (src/model/slenet_saliency.c, maxvit_saliency.c) ---- */
/* The backbone's feature map: `channels` maps of side x side, pixel r centred on input bin
 * stride * r + offset (the registration above). SLeNet: conv2 before pooling, 16 maps,
 * stride 2, offset 6.5 (106 x 106 at 224). MaxViT: block 0's output (docs/maxvit.md,
 * "Saliency"), channels[0] maps of side S/4, stride 4, offset 0 (64 x 56 x 56 at 224). */
typedef struct {
    int channels, side;
    double stride, offset;
} hw_feature_geometry;
int hw_model_feature_geometry(const hw_model *m, hw_feature_geometry *g);
/* G, the side of the feature map (106 at 224 for SLeNet). */
int hw_model_feature_side(const hw_model *m);
/* Tiles [n, S, S] raw -> prepared inputs x [n, S, S] and their embeddings emb [n, D]
 * (evaluation mode). */
int hw_model_prepare(hw_model *m, const float *tiles, int n, float *x, float *emb);
/* The feature maps of prepared inputs (SLeNet: conv2's output before pooling): x [n, S, S]
 * -> maps [n, channels, G, G] (hw_model_feature_geometry). */
int hw_model_conv2_maps(hw_model *m, const float *x, int n, float *maps);
/* Evaluation-mode embeddings of prepared inputs x [n, S, S] and the gradient of the distance
 * between emb_i and other_i with respect to x_i: dist [n], dx [n, S, S] (overwritten); other
 * is [n, D]. D as the reference: pairwise ||a - b + 1e-6|| (the eps makes the order matter),
 * cosine 1 - a.b / max(|a||b|, 1e-8). role (NULL: all 0) per row, bits:
 *   HW_IG_SECOND    the row is D's second argument: D(other_i, emb_i), else D(emb_i, other_i)
 *   HW_IG_BASELINE  the row's input IS the baseline (alpha = 0): measured against its own
 *                   embedding, as the reference's two forwards of the same input are equal;
 *                   otherwise rounding between two batches (~1e-8) would turn the direction
 *                   of the pairwise eps, which is the whole gradient there.
 * The parameters' gradient buffer is not touched. */
#define HW_IG_SECOND 1
#define HW_IG_BASELINE 2
/* Paths only (hw_model_path_grad's `second` = HW_IG_BOTH): the row serves both directions of
 * ig.c's formula at once. other is then [from's embedding, to's embedding] (2 x D) and the
 * row's gradient is that of D(emb_i, other_from) - D(other_to, emb_i); HW_IG_BASELINE
 * (alpha 0) replaces other_from by the row's own embedding, HW_IG_BASELINE_TO (alpha 1)
 * other_to. */
#define HW_IG_BOTH 4
#define HW_IG_BASELINE_TO 8
int hw_model_distance_grad(hw_model *m, const float *x, int n, const float *other, const uint8_t *role,
                           hw_ig_measure measure, float *dist, float *dx);
/* One straight path of integrated gradients: the interpolants from + alpha_i (to - from),
 * i < n, each measured against `other` [D] (as D's second argument when `second` is
 * HW_IG_SECOND; alpha 0 as HW_IG_BASELINE), or, when `second` is HW_IG_BOTH, against
 * other = [D of from, D of to] as that bit says (alpha 1 as HW_IG_BASELINE_TO), and the SUM
 * of their input gradients added to gsum [S, S]. The same
 * gradients as hw_model_distance_grad, computed with less work: conv1 is linear, so the
 * interpolants' conv1 outputs are base + alpha slope (two convolutions per call) and the sum
 * of their input gradients is one transposed convolution of their summed conv1 gradients. */
int hw_model_path_grad(hw_model *m, const float *from, const float *to, const float *alpha, int n,
                       const float *other, int second, hw_ig_measure measure, double *gsum);
/* D(a, b) and its gradient with respect to a (grad_b 0) or b (grad_b 1); grad may be NULL
 * (src/saliency/ig_distance.c, as hw_ig_row_gradient below: the same for every backbone). */
double hw_ig_distance(const float *a, const float *b, int dim, hw_ig_measure measure, int grad_b,
                      float *grad);
/* The role of a path's interpolant at alpha a: `second` is 0, HW_IG_SECOND or HW_IG_BOTH
 * (hw_model_path_grad); alpha 0 is the from end (HW_IG_BASELINE), alpha 1 with HW_IG_BOTH
 * the to end (HW_IG_BASELINE_TO). */
static inline uint8_t hw_ig_path_role(int second, float a) {
    const int both = second & HW_IG_BOTH;
    return (uint8_t)((both ? HW_IG_BOTH : second ? HW_IG_SECOND : 0) | (a == 0.0f ? HW_IG_BASELINE : 0) |
                     (both && a == 1.0f ? HW_IG_BASELINE_TO : 0));
}
/* One row of a pass: D and its gradient with respect to emb (dim values) for the row's role
 * bits (above); other is [dim], or [2 dim] with HW_IG_BOTH (tmp: dim floats of scratch, used
 * then only). Returns D(emb, other) (the first direction's with HW_IG_BOTH). */
double hw_ig_row_gradient(const float *emb, const float *other, int role, int dim, hw_ig_measure measure,
                          float *grad, float *tmp);

/* ---- integrated gradients (src/saliency/ig.c) --------------------------------------------- */
/* The reference's formula (7.3) between prepared inputs x1 and x2 with embeddings e1, e2:
 * alpha_k = k / (steps - 1), k = 0..steps-1 (steps >= 2; steps == 1 uses alpha = 1);
 *   ig1 = (x1 - x2) * mean_k grad D(f(x2 + a_k (x1 - x2)), e2),
 *   ig2 = (x2 - x1) * mean_k grad D(e1, f(x1 + a_k (x2 - x1))),
 *   map = (ig1 + ig2) / 2                                           [S, S]
 * The alphas are symmetric (a_k = 1 - a_(steps-1-k)), so both directions visit the same
 * interpolants: each goes through the model once (HW_IG_BOTH), with the gradient of
 * D(f, e2) - D(e1, f) taken back in one backward, since a backward is linear in the gradient
 * it starts from. Half the work of the two paths; the same map up to float rounding of the
 * interpolants (hw_ig_map_two_paths computes it as written, for the tests). They go through
 * the model `chunk` at a time (chunk >= 1; 1 is the reference's one alpha per pass); the
 * gradients are summed in alpha order in double, so the chunk size changes nothing but the
 * BLAS's rounding. */
int hw_ig_map(hw_model *m, const float *x1, const float *x2, const float *e1, const float *e2,
              int steps, int chunk, hw_ig_measure measure, float *map);
/* The same with the path sampled by `rule` (hw_ig_map: HW_IG_RULE_REFERENCE) */
int hw_ig_map_rule(hw_model *m, const float *x1, const float *x2, const float *e1, const float *e2, int steps,
                   int chunk, hw_ig_measure measure, hw_ig_rule rule, float *map);
int hw_ig_map_two_paths(hw_model *m, const float *x1, const float *x2, const float *e1, const float *e2,
                        int steps, int chunk, hw_ig_measure measure, float *map);
/* The same formula with the path gradients from `path` (hw_model_path_grad's contract, ctx
 * its first argument): hw_ig_map passes the CPU model's, `hitwin saliency --device cuda` the
 * GPU model's (gpu_slenet.h, hw_gpu_slenet_path_grad). S is the tile side, D the embedding's
 * width. -1 as soon as a
 * path call fails (its hw_error() line kept; map then undefined). */
typedef int (*hw_ig_path_fn)(void *ctx, const float *from, const float *to, const float *alpha,
                             int n, const float *other, int second, hw_ig_measure measure,
                             double *gsum);
int hw_ig_map_path(hw_ig_path_fn path, void *ctx, int S, int D, const float *x1, const float *x2,
                   const float *e1, const float *e2, int steps, int chunk, hw_ig_measure measure,
                   hw_ig_rule rule, float *map);

/* ---- registration and strips (src/saliency/strips.c) ------------------------------------- */
/* Bin b of the tile takes the conv2 map at r = (b - 6.5) / 2, linearly interpolated; bins
 * outside [6.5, 2 (G - 1) + 6.5] are not covered (cover 0). fmap [G, G] -> out [S, S] with
 * cover [S] (1 where the bin is covered). */
void hw_register_feature_map(const float *fmap, int G, int S, float *out, uint8_t *cover);
/* The same for any geometry: bin b reads r = (b - offset) / stride (SLeNet's: 2, 6.5). */
void hw_register_feature_map_at(const float *fmap, int G, int S, double stride, double offset, float *out,
                                uint8_t *cover);

/* One chromosome's strip accumulator: sum and count, [S, n_bins]. */
typedef struct {
    int S;
    int64_t n_bins;
    double *sum;
    int32_t *count;
} hw_strip;

void hw_strip_init(hw_strip *s, int S, int64_t n_bins);
void hw_strip_free(hw_strip *s);
/* Add a tile map [S, S] placed at start bin `start`: symmetrised ((M + M^T) / 2) and rotated
 * as above. cover [S] (NULL: all bins) says which rows/columns of the tile exist; pixels with
 * |i - j| < diag_skip (the masked band) add nothing. */
void hw_strip_add(hw_strip *s, const float *map, const uint8_t *cover, int64_t start, int diag_skip);
/* The average: sum / count, 0 where no window covers the pixel. out [S, n_bins]. */
void hw_strip_mean(const hw_strip *s, float *out);

/* ---- features (src/saliency/features.c; reference.md 7.5, bug 33) ------------------------ */
typedef struct {
    int chrom;              /* index into the caller's chromosome list */
    int sign;               /* +1 above the positive threshold, -1 below the negative */
    int rmin, rmax, cmin, cmax; /* inclusive bounds in the strip (rows = separation, cols = bins) */
    int64_t n_pixels;
    double avg;             /* mean strip value inside the hull */
    double peak;            /* the largest |value| of the component */
    uint8_t *hull;          /* [(rmax - rmin + 1) x (cmax - cmin + 1)] convex hull mask */
} hw_feature;

/* The threshold: T = max(Q_q, -Q_{1-q}) over the pixels of the strips covered by at least
 * min_count windows with separation in [min_row, max_row]; the same pixels as the calls. */
double hw_feature_threshold(const float *const *strips, const int32_t *const *counts,
                            const int64_t *n_bins, int n_chroms, int S, int min_row, int max_row,
                            int min_count, double q);
/* 4-connected components of strip > T and strip < -T over the pixels of rows [min_row,
 * max_row] of one chromosome covered by at least min_count windows, kept when both spans (max - min + 1, rows and columns) lie in [min_size,
 * max_size]; appends to *out (grown with hw_grow). Returns the number added. */
int hw_feature_extract(const float *strip, const int32_t *count, int S, int64_t n_bins, int chrom,
                       double T, int min_row, int max_row, int min_count, int min_size, int max_size,
                       hw_feature **out, size_t *n_out, size_t *cap);
void hw_feature_free(hw_feature *f);

/* ---- stages ----------------------------------------------------------------------------- */
int hw_saliency_main(int argc, char **argv);
int hw_features_main(int argc, char **argv);

#endif
