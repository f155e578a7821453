/* Cross-fitted embedding distances (include/hitwin/cross_fit.h). */
#include <math.h>
#include <stdlib.h>

#include "hitwin/cross_fit.h"
#include "hitwin/error.h"
#include "hitwin/xalloc.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double hw_within_median(const hw_pair_table *p, int q) {
    double *v = xmalloc((size_t)p->n * sizeof *v + 1);
    int64_t n = 0;
    for (int64_t i = 0; i < p->n; i++)
        if (p->label[i] == 0 && isfinite(p->d[q][i])) v[n++] = p->d[q][i];
    double med = NAN;
    if (n > 0) {
        qsort(v, (size_t)n, sizeof *v, cmp_double);
        med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }
    free(v);
    return med;
}

int hw_cross_fit_combine(hw_pair_table *out, hw_pair_table *const *folds, int K,
                         const hw_tile_meta *m, const int *fold_of_chrom) {
    static const int learned[3] = {HW_M_PAIRWISE, HW_M_COSINE, HW_M_MAPS};
    for (int k = 0; k < K; k++) {
        if (folds[k]->n != out->n)
            return hw_fail("cross-fit: fold %d has %lld pairs, fold 0 %lld (internal error)", k,
                           (long long)folds[k]->n, (long long)out->n);
        for (int64_t i = 0; i < out->n; i++)
            if (folds[k]->window[i] != out->window[i] || folds[k]->a[i] != out->a[i] ||
                folds[k]->b[i] != out->b[i])
                return hw_fail("cross-fit: fold %d lists other pairs (internal error)", k);
    }
    double scale[16][3];
    for (int k = 0; k < K && k < 16; k++)
        for (int j = 0; j < 3; j++) {
            double s = hw_within_median(folds[k], learned[j]);
            scale[k][j] = isfinite(s) && s > 0 ? s : 1.0;
        }
    for (int j = 0; j < 3; j++) {
        int q = learned[j];
        double *d = xmalloc((size_t)out->n * sizeof *d + 1);
        for (int64_t i = 0; i < out->n; i++) {
            int f = fold_of_chrom[m->win_chrom[out->window[i]]];
            if (f < 0 || f >= K) f = 0;
            d[i] = folds[f]->d[q][i] / scale[f][j];
        }
        for (int64_t i = 0; i < out->n; i++) out->d[q][i] = d[i];
        free(d);
    }
    return 0;
}
