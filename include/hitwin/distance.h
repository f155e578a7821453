/* `hitwin distance` (docs/distance.md): per genomic window, the distances between
 * every pair of samples that passed QC, from the Siamese embedding (the reference's
 * distance_calculation.py, reference.md 6) and from five classical comparisons on
 * the same tile pairs. This header holds the measures, pure
 * functions the stage and the tests share; the stage itself is
 * src/stages/distance_stage.c. */
#ifndef HITWIN_DISTANCE_H
#define HITWIN_DISTANCE_H

#include <stddef.h>
#include <stdint.h>

/* The measures, in the order of the output columns. Every one is a distance
 * (larger = more different): four from the model (pairwise and cosine between the
 * embeddings; maps, between the feature maps the embedding is made from; combined, pairwise
 * and maps each in units of its spread, docs/distance.md "The learned measures"), the
 * baselines turned into distances (1 - SSIM, 1 - r, MSE, 1 - SCC, insulation profile
 * difference), and last hybrid: combined's two parts and Pearson's, each in units of its
 * spread (the default score; it needs the baselines, so it comes after them). */
enum {
    HW_M_PAIRWISE,
    HW_M_COSINE,
    HW_M_MAPS,
    HW_M_COMBINED,
    HW_M_SSIM,
    HW_M_PEARSON,
    HW_M_MSE,
    HW_M_SCC,
    HW_M_INSULATION,
    HW_M_HYBRID,
    HW_N_MEASURES
};
/* pairwise cosine maps combined ssim pearson mse scc insulation hybrid */
extern const char *const hw_measure_names[HW_N_MEASURES];
#define HW_N_MODEL_MEASURES 4 /* the first four come from the model */
/* The default score (docs/recipe.md "Pearson beside the learned parts"): hybrid, the learned measures with
 * Pearson's beside them; combined, the learned measures alone, where a run has no baselines
 * (--no-baselines) and so no hybrid. */
#define HW_M_DEFAULT HW_M_HYBRID
#define HW_M_DEFAULT_NO_BASELINES HW_M_COMBINED

/* Band excluded by the Pearson, MSE, SCC and insulation baselines: |i - j| < 3, the
 * model's mask. */
#define HW_BASELINE_BAND 3

/* HiCRep's mean filter half-width (hicrep's usual h = 1 at 10 kb) and the insulation
 * diamond's width in bins (cooltools' default window 10 bins); docs/distance.md. */
#define HW_SCC_H 1
#define HW_INSULATION_WINDOW 10

/* ---- embedding distances (PyTorch semantics, float inputs, double arithmetic) ---- */
/* ||a - b + 1e-6||_2, torch.nn.functional.pairwise_distance(p=2, eps=1e-6). */
double hw_euclidean_distance(const float *a, const float *b, int d);
/* 1 - a.b / (max(||a||, 1e-8) max(||b||, 1e-8)), 1 - F.cosine_similarity. */
double hw_cosine_distance(const float *a, const float *b, int d);
/* The `maps` measure: two tiles' feature maps [channels, positions] (hw_model_embed_maps),
 * each channel centred on its mean over the positions, compared by the root mean square of
 * their difference. Centring drops a channel's overall level, which a tile's depth and
 * coverage move, and keeps where its features are. */
double hw_map_distance(const float *a, const float *b, int channels, int positions);

/* ---- baselines -------------------------------------------------------------------- */
/* Sums of one product (x, x^2 or x*y) over an n x n matrix that give every window
 * sum CHESS's SSIM needs: its window spans the matrix (n odd) or all but one row and
 * column (n even), so a block is the total minus an edge row and column plus their
 * corner (measures.c). */
typedef struct {
    double tot, r0, rl, c0, cl;   /* total; first/last row; first/last column */
    double k00, k0l, kl0, kll;    /* the four corners */
} hw_edge_sums;

#define HW_LOG1P_TABLE 4096 /* log1p of counts below this is a lookup */

/* ---- HiCRep SCC (src/distance/scc.c) -------------------------------------------------- */
/* What an SCC needs of one tile: its smoothed upper band, strata d = HW_BASELINE_BAND ..
 * T - 1 one after the other (stratum d: the T - d pixels (i, i + d)), and per stratum d
 * the sum, sum of squares and number of non-zero pixels. */
typedef struct {
    int T;
    double *x;
    double *sum, *sq; /* [T], indexed by d */
    int *nnz;         /* [T] */
    double *work;     /* [2 T T] the smoothing's buffers, kept from tile to tile */
} hw_scc_tile;

void hw_scc_tile_init(hw_scc_tile *s, int T);
void hw_scc_tile_free(hw_scc_tile *s);
/* hicrep 0.2.6 on tile [T, T]: the upper triangle without the band |i - j| <
 * HW_BASELINE_BAND (hicrep's trimDiags drops the main diagonal), meanFilterSparse with
 * half-width h (none when h == 0), the band dropped again. No scaling by the total
 * contacts: every stratum's correlation is scale-free. */
void hw_scc_tile_compute(hw_scc_tile *s, const float *tile, int h);
/* sccByDiag over the strata d >= HW_BASELINE_BAND: per stratum the Pearson r over the
 * pixels where either tile is non-zero (0 where undefined), weighted by
 * n (1 + 1/n) / 12 (n times varVstran(n), 0 below n = 2); NaN when no weight. */
double hw_scc(const hw_scc_tile *a, const hw_scc_tile *b);

/* ---- insulation (src/distance/insulation.c) --------------------------------------------- */
/* cooltools 0.7.1 insul_diamond on one tile with ignore_diags HW_BASELINE_BAND: per bin
 * k, the mean over the pixels (i, j), k - window < i <= k <= j < k + window, j - i >=
 * band, inside the tile, both rows holding a positive value (cooltools' good bins);
 * NaN where there is no such pixel. score [T]. */
void hw_insulation_raw(double *score, const float *tile, int T, int window);
/* calculate_insulation_score: log2(raw / nanmedian(raw)); 0 and non-finite become NaN. */
void hw_insulation_profile(double *profile, const float *tile, int T, int window);
/* Mean |pa - pb| over the bins window - 1 .. T - window (diamond wholly inside the
 * tile) where both are defined; NaN when none is. */
double hw_insulation_distance(const double *pa, const double *pb, int T, int window);

/* What every baseline needs of one tile, computed once per tile (not per pair). */
typedef struct {
    int T;
    double *oe;       /* [T, T] CHESS input: observed/expected, 1 where no contact */
    uint8_t *masked;  /* [T] CHESS's unmappable rows (all of the row is the fill 1) */
    int n_masked;
    double oe_lo, oe_hi;       /* min, max of oe */
    hw_edge_sums e_x, e_xx;    /* of oe and oe^2 over the whole tile */
    size_t n_band;    /* pixels of the upper band j - i >= HW_BASELINE_BAND */
    double *logp;     /* [n_band] log1p(value), that band row by row */
    double logp_mean, logp_ss; /* their mean and sum of squared deviations */
    double *logc;     /* [n_band] logp - logp_mean */
    double *norm;     /* [n_band] value / max over the tile (0 when empty), same band */
    hw_scc_tile scc;  /* HiCRep's smoothed strata, h = HW_SCC_H */
    double *insulation; /* [T] log2 insulation profile, window HW_INSULATION_WINDOW */
    double log1p_table[HW_LOG1P_TABLE];
} hw_tile_prep;

void hw_tile_prep_init(hw_tile_prep *p, int T);
void hw_tile_prep_free(hw_tile_prep *p);
/* tile [T, T] raw values from the tile store; is_oe: the store already holds O/E
 * (type oe), else the expected per diagonal is taken from the tile itself. */
void hw_tile_prep_compute(hw_tile_prep *p, const float *tile, int is_oe);

/* The O/E matrix CHESS compares, from one tile: expected E[d] = mean of the tile's
 * diagonal d over pairs of mappable rows (a row is mappable when it holds a positive
 * value; CHESS's expected_values on the tile); O/E = value / E[d] for value > 0 and
 * E[d] > 0, else 1 (CHESS fills absent contacts with default_weight 1). */
void hw_chess_oe(double *oe, const float *tile, int T);

/* skimage.metrics.structural_similarity(x, y, win_size=win, data_range=range) with
 * its defaults (uniform window, K1 0.01, K2 0.03, sample covariance), mean over the
 * crop of (win - 1) / 2, where scipy's uniform_filter window lies inside the image
 * (so its reflect padding never matters). x, y [n, n], win odd <= n; work holds
 * 5 (n + 1)^2 doubles. Summed-area tables, any window; hw_ssim_chess takes a shorter
 * path for its whole-matrix window and the tests check one against the other. */
double hw_ssim_skimage(const double *x, const double *y, int n, int win, double range, double *work);

/* chess.sim.compare_matrix_pair(reference=a, query=b) with its defaults (min_bins 20,
 * mappability_cutoff 0.1, relative window 1, unmappable rows removed from both):
 * the SSIM (similarity, not distance), NaN where CHESS returns NaN. work:
 * hw_ssim_work_doubles(T). */
double hw_ssim_chess(const hw_tile_prep *a, const hw_tile_prep *b, double *work);
size_t hw_ssim_work_doubles(int T);

/* Pearson r of log1p values over the upper triangle j - i >= HW_BASELINE_BAND
 * (NaN when either side is constant). */
double hw_pearson_log1p(const hw_tile_prep *a, const hw_tile_prep *b);
/* Mean squared difference of the max-normalised tiles over j - i >= HW_BASELINE_BAND. */
double hw_mse_maxnorm(const hw_tile_prep *a, const hw_tile_prep *b);

/* All the baselines as distances into out[HW_M_SSIM..HW_M_INSULATION]: 1 - SSIM,
 * 1 - r, MSE, 1 - SCC, insulation profile distance. */
void hw_baseline_distances(const hw_tile_prep *a, const hw_tile_prep *b, double *work, double *out);

/* ---- the subcommand ------------------------------------------------------------------ */
int hw_distance_main(int argc, char **argv);

#endif
