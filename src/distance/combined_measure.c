/* The `combined` learned measure and the `hybrid` default score (include/hitwin/
 * distance_output.h, docs/distance.md "The learned measures"): every pair's pairwise
 * (embedding) and maps (feature-map) distances, each divided by the spread of its window
 * scores over the genome, added; hybrid adds the Pearson distance the same way. The three see
 * different things: the embedding was trained to tell local edits apart and finds local
 * changes; the maps pool some 45,000 features, so their within- and between-condition
 * distances share a window's own level, which between - within cancels, and they rank a
 * change spread over a whole tile; Pearson of log counts follows the contrast of the whole
 * tile, which a strong genome-wide loss of boundaries and loops takes away (docs/recipe.md
 * "Pearson beside the learned parts"). Each in units of its own spread, none outweighs
 * another by its scale. */
#include <math.h>
#include <stdlib.h>

#include "hitwin/distance_output.h"
#include "hitwin/xalloc.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, int64_t n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double hw_robust_spread(const double *x, int64_t n) {
    double *v = xmalloc(((size_t)n + 1) * sizeof *v);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(x[i])) v[m++] = x[i];
    double spread = NAN;
    if (m > 0) {
        double med = median_of(v, m);
        for (int64_t i = 0; i < m; i++) v[i] = fabs(v[i] - med);
        spread = 1.4826 * median_of(v, m);
    }
    free(v);
    return spread;
}

void hw_combined_scales(const hw_pair_table *p, const hw_tile_meta *m, double scale[HW_N_SUM_PARTS]) {
    static const int parts[HW_N_SUM_PARTS] = {HW_M_PAIRWISE, HW_M_MAPS, HW_M_PEARSON};
    hw_window_table w;
    hw_window_table_build(&w, p, m);
    double *diff = xmalloc(((size_t)w.n + 1) * sizeof *diff);
    for (int j = 0; j < HW_N_SUM_PARTS; j++) {
        for (int64_t k = 0; k < w.n; k++) diff[k] = w.between[parts[j]][k] - w.within[parts[j]][k];
        double s = hw_robust_spread(diff, w.n);
        /* no spread (a handful of identical windows, or no baselines): the measure's own
         * units */
        scale[j] = isfinite(s) && s > 0.0 ? s : 1.0;
    }
    free(diff);
    hw_window_table_free(&w);
}

void hw_pair_table_combine(hw_pair_table *p, const double scale[HW_N_SUM_PARTS]) {
    for (int64_t i = 0; i < p->n; i++) {
        double learned = p->d[HW_M_PAIRWISE][i] / scale[0] + p->d[HW_M_MAPS][i] / scale[1];
        p->d[HW_M_COMBINED][i] = learned;
        p->d[HW_M_HYBRID][i] = learned + p->d[HW_M_PEARSON][i] / scale[2];
    }
}
