/* Chromosome folds for cross-fitting (include/hitwin/train_folds.h). */
#include <stdint.h>
#include <stdlib.h>

#include "hitwin/train_folds.h"
#include "hitwin/xalloc.h"

int hw_folds_assign(const hw_tile_meta *m, int K, int *fold_of_chrom) {
    int64_t *count = xcalloc((size_t)m->n_chroms + 1, sizeof *count);
    int64_t *load = xcalloc((size_t)K + 1, sizeof *load);
    for (int64_t w = 0; w < m->n_windows; w++)
        if (m->win_split[w] == 0) count[m->win_chrom[w]]++;
    for (int c = 0; c < m->n_chroms; c++) fold_of_chrom[c] = -1;
    int used = 0;
    for (;;) {
        int best = -1; /* the unassigned chromosome with the most training windows */
        for (int c = 0; c < m->n_chroms; c++)
            if (fold_of_chrom[c] < 0 && count[c] > 0 && (best < 0 || count[c] > count[best])) best = c;
        if (best < 0) break;
        int f = 0;
        for (int k = 1; k < K; k++)
            if (load[k] < load[f]) f = k;
        if (load[f] == 0) used++;
        fold_of_chrom[best] = f;
        load[f] += count[best];
    }
    free(count);
    free(load);
    return used;
}

void hw_items_drop_fold(hw_item_set *set, const hw_tile_meta *m, const int *fold_of_chrom, int fold) {
    int64_t n = 0, last_window = -1;
    set->n_label[0] = set->n_label[1] = 0;
    set->windows_used = 0;
    for (int64_t i = 0; i < set->n; i++) {
        const hw_train_item *it = &set->items[i];
        if (fold_of_chrom[m->win_chrom[it->window]] == fold) continue;
        if (it->label == 0 || it->label == 1) set->n_label[it->label]++;
        if (it->window != last_window) set->windows_used++, last_window = it->window;
        set->items[n++] = *it;
    }
    set->n = n;
}
