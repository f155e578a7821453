/* `hitwin evaluate` (docs/distance.md): how well per-window scores from
 * `hitwin distance` find the changes `hitwin simulate` planted, and how well the
 * pair distances separate replicate pairs from condition pairs (the reference's
 * siamese_test.py / plot_smoothed_distance_hist, reference.md 5.5, 7.7). */
#ifndef HITWIN_EVALUATE_H
#define HITWIN_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

/* Area under the ROC curve of score against label (1 positive, 0 negative), as the
 * Mann-Whitney U with average ranks for ties: P(score_pos > score_neg) + 0.5
 * P(equal). NaN scores are left out. NaN when there is no positive or no negative. */
double hw_auroc(const double *score, const uint8_t *label, int64_t n);

/* Average precision as sklearn.metrics.average_precision_score: sum over distinct
 * thresholds (descending) of (R_k - R_{k-1}) P_k, tied scores entering together.
 * NaN scores left out; NaN when there is no positive. */
double hw_average_precision(const double *score, const uint8_t *label, int64_t n);

/* Gaussian KDE of a sample at x (scipy.stats.gaussian_kde, Scott's bandwidth
 * n^(-1/5) times the sample standard deviation, ddof 1). */
double hw_kde_eval(const double *v, int64_t n, double bandwidth, double x);
double hw_kde_scott_bandwidth(const double *v, int64_t n);

/* plot_smoothed_distance_hist (reference.md 7.7): KDEs of within and between
 * distances on `grid` (200) points over [min, max] of both; threshold T = linear
 * interpolation at the first sign change of KDE_within - KDE_between; replicate rate
 * P(within < T), condition rate P(between > T), their mean, and the separation
 * index 1 - integral of min(KDE_w, KDE_b) (scipy.integrate.simpson). found = 0 (and
 * rates NaN) when the curves never cross or a sample is empty/constant. */
typedef struct {
    int found;
    double threshold, replicate_rate, condition_rate, mean_rate, separation;
} hw_separation;

void hw_kde_separation(const double *within, int64_t nw, const double *between, int64_t nb, int grid,
                       hw_separation *out);

/* Truth intervals from `hitwin simulate` (docs/simulate.md). */
typedef struct {
    int64_t n;
    char **chrom;
    int64_t *start, *end;
    double *value; /* BED: strength; bedGraph: magnitude */
    int *line;     /* the line each interval came from, for messages */
    int bedgraph;
    char *path;
} hw_truth;

/* truth.bed (chrom start end kind strength) or truth.bedgraph (chrom start end value),
 * told apart by the extension (.bedgraph, .bedGraph, .bg) or else by the column count.
 * '#', 'track' and 'browser' lines are skipped. */
int hw_truth_load(const char *path, hw_truth *t);

/* Every interval's chromosome must be one of names (n strings, stride bytes
 * apart; with or without "chr"), else "<truth>:<line>: chromosome 'chrZ' is
 * not in the distance file". */
int hw_truth_check_chroms(const hw_truth *t, const char *names, int64_t n, size_t stride);
void hw_truth_free(hw_truth *t);

/* Label of a window [start, end) of chrom: BED mode, 1 when it overlaps a change of
 * strength > 0; bedGraph mode, 1 when the largest magnitude among the overlapping
 * intervals exceeds min_magnitude. Chromosome names match with or without "chr". */
int hw_truth_label(const hw_truth *t, const char *chrom, int64_t start, int64_t end,
                   double min_magnitude);

/* The change magnitude of a window for rank correlations: the largest value among the
 * truth intervals overlapping [start, end) (bedGraph: magnitude; BED: strength), 0
 * where none overlaps; the label above is this value > min_magnitude (bedGraph) or
 * > 0 (BED). */
double hw_truth_value(const hw_truth *t, const char *chrom, int64_t start, int64_t end);

/* Spearman's rho (scipy.stats.spearmanr): Pearson r of the average ranks (ties at
 * their mean rank), over the i where x[i] and y[i] are both finite; NaN with fewer
 * than 2 such, or when either side is constant. */
double hw_spearman(const double *x, const double *y, int64_t n);
/* 1 when some interval of the truth (any strength or magnitude) overlaps [start, end) of chrom. */
int hw_truth_touches(const hw_truth *t, const char *chrom, int64_t start, int64_t end);

int hw_evaluate_main(int argc, char **argv);

#endif
