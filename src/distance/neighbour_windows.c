/* The neighbour-window average of `hitwin distance` (include/hitwin/distance_output.h,
 * docs/distance.md "Neighbouring windows").
 *
 * Windows overlap: at stride 28 and 224-bin tiles, the windows one stride to each side of a
 * window share 7/8 of its bins. A classical score of the three is nearly the same number (it
 * is a function of almost the same pixels); a learned distance is not: the network sees the
 * shared structure at another offset, and its error at one offset is largely its own. The
 * mean over the window and its neighbours is a shift ensemble: it keeps what the windows
 * agree on (the structure they share) and averages away what they do not. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/distance_output.h"
#include "hitwin/xalloc.h"

typedef struct {
    int64_t first, end; /* rows [first, end) of one window in the pair table */
    int32_t chrom;
    int64_t start;
} window_rows;

static int cmp_rows(const void *x, const void *y) {
    const window_rows *a = x, *b = y;
    if (a->chrom != b->chrom) return a->chrom < b->chrom ? -1 : 1;
    return a->start < b->start ? -1 : a->start > b->start;
}

void hw_pair_table_neighbours(const hw_pair_table *in, const hw_tile_meta *m, int h, hw_pair_table *out) {
    memset(out, 0, sizeof *out);
    hw_pair_table_reserve(out, in->n + 1);
    out->n = in->n;
    memcpy(out->window, in->window, (size_t)in->n * sizeof *in->window);
    memcpy(out->a, in->a, (size_t)in->n * sizeof *in->a);
    memcpy(out->b, in->b, (size_t)in->n * sizeof *in->b);
    memcpy(out->label, in->label, (size_t)in->n * sizeof *in->label);
    for (int q = 0; q < HW_N_MEASURES; q++) memcpy(out->d[q], in->d[q], (size_t)in->n * sizeof(double));
    if (h <= 0 || in->n == 0) return;

    int64_t nw = 0;
    window_rows *w = xcalloc((size_t)in->n + 1, sizeof *w);
    for (int64_t i = 0; i < in->n;) {
        int64_t j = i;
        while (j < in->n && in->window[j] == in->window[i]) j++;
        w[nw++] = (window_rows){i, j, m->win_chrom[in->window[i]], m->win_start[in->window[i]]};
        i = j;
    }
    qsort(w, (size_t)nw, sizeof *w, cmp_rows);
    /* a neighbour: the same chromosome, its start at most h strides away (a window missing
     * from the table, e.g. no QC pass, is simply not there) */
    int64_t reach = (int64_t)h * m->stride * m->resolution;
    for (int64_t k = 0; k < nw; k++) {
        int64_t lo = k, hi = k;
        while (lo > 0 && w[lo - 1].chrom == w[k].chrom && w[k].start - w[lo - 1].start <= reach) lo--;
        while (hi + 1 < nw && w[hi + 1].chrom == w[k].chrom && w[hi + 1].start - w[k].start <= reach) hi++;
        for (int64_t i = w[k].first; i < w[k].end; i++)
            for (int q = 0; q < HW_N_MEASURES; q++) {
                double s = 0.0;
                int n = 0;
                for (int64_t r = lo; r <= hi; r++)
                    for (int64_t j = w[r].first; j < w[r].end; j++)
                        if (in->a[j] == in->a[i] && in->b[j] == in->b[i] && !isnan(in->d[q][j])) {
                            s += in->d[q][j];
                            n++;
                        }
                /* NaN at the window itself stays NaN: a pair with no distance here (a
                 * baseline off, a masked tile) does not borrow one from its neighbours */
                out->d[q][i] = isnan(in->d[q][i]) ? NAN : s / n;
            }
    }
    free(w);
}
