/* `hitwin plot KIND INPUT... -o FIGURE` (docs/plot.md): the reference's notebook figures
 * (reference.md 7.7) from the files the stages write. Each kind reads its inputs with the
 * stage's own reader, computes the numbers it draws (written as TSV with --data, which the
 * tests check), and draws them on a canvas (plot_canvas.h). */
#ifndef HITWIN_PLOT_H
#define HITWIN_PLOT_H

#include <stdint.h>
#include <stdio.h>

#include "hitwin/distance.h"

/* CHROM or CHROM:START-END (bp, commas allowed). */
typedef struct {
    int set;
    char chrom[128];
    int64_t start, end; /* end -1: to the chromosome's end */
} hw_plot_region;

/* "--region 'TEXT': expected CHROM or CHROM:START-END (bp)" on a malformed region. */
int hw_plot_region_parse(const char *text, hw_plot_region *r);
/* Chromosome names match with or without the "chr" prefix. */
int hw_plot_chrom_match(const char *a, const char *b);

typedef struct {
    char **inputs;
    int n_inputs;
    char **labels;         /* one per input: --labels, or what tells the paths apart */
    const char *out;       /* the figure */
    const char *data_out;  /* --data: the numbers drawn, as TSV (NULL: none) */
    hw_plot_region region;
    int measures[HW_N_MEASURES], n_measures; /* distances, hist, evaluate */
    const char *truth;     /* evaluate */
    double min_magnitude;  /* evaluate, bedGraph truth */
    const char *title;
    const char *saliency;  /* region: saliency.h5 of hitwin saliency (its strip beneath) */
    const char *strip;     /* region: which strip (default condition_saliency) */
    const char *features;  /* region: features.bed of hitwin features */
} hw_plot_request;

/* Labels for the inputs: what remains of each path without the prefix and suffix all
 * share ("runs/a/distance/best_distances.h5", "runs/b/..." -> "a", "b"); one input: its
 * file name without the extension. Caller frees each and the array. */
char **hw_plot_labels(char *const *paths, int n);

int hw_plot_distances(const hw_plot_request *r);
int hw_plot_hist(const hw_plot_request *r);
int hw_plot_training(const hw_plot_request *r);
int hw_plot_evaluate(const hw_plot_request *r);
int hw_plot_region_maps(const hw_plot_request *r);

/* The --data file: written under a temporary name, renamed by hw_plot_data_close(.., 1). */
typedef struct {
    FILE *fp;
    char path[4096], tmp[4200];
} hw_plot_data;
int hw_plot_data_open(hw_plot_data *d, const char *path);
int hw_plot_data_close(hw_plot_data *d, int keep);

int hw_plot_main(int argc, char **argv);

#endif
