/* Cross-fitting: the chromosome folds (train_folds.h) and the combination of the fold
 * models' distances (cross_fit.h), on hand-made metadata and pair tables. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/cross_fit.h"
#include "hitwin/error.h"
#include "hitwin/train_folds.h"
#include "test_util.h"

int main(void) {
    /* 5 chromosomes with 10, 3, 7, 0 (validation only) and 5 training windows */
    const int counts[5] = {10, 3, 7, 0, 5};
    enum { NW = 27 };
    int32_t win_chrom[NW];
    int8_t win_split[NW];
    int w = 0;
    for (int c = 0; c < 5; c++)
        for (int k = 0; k < (c == 3 ? 2 : counts[c]); k++, w++) {
            win_chrom[w] = c;
            win_split[w] = c == 3 ? 1 : 0;
        }
    CHECK_INT_EQ(w, NW);
    hw_tile_meta m = {0};
    m.n_chroms = 5;
    m.n_windows = NW;
    m.win_chrom = win_chrom;
    m.win_split = win_split;
    int fold_of[5];
    /* by decreasing count, each to the lighter fold: 10 -> 0, 7 -> 1, 5 -> 1 (7 < 10),
     * 3 -> 0 (10 < 12); the validation chromosome in none */
    CHECK_INT_EQ(hw_folds_assign(&m, 2, fold_of), 2);
    const int want[5] = {0, 0, 1, -1, 1};
    for (int c = 0; c < 5; c++) CHECK_INT_EQ(fold_of[c], want[c]);
    CHECK_INT_EQ(hw_folds_assign(&m, 6, fold_of), 4); /* 4 chromosomes: 2 folds stay empty */

    /* dropping fold 1 keeps the items of chromosomes 0 and 1 */
    hw_folds_assign(&m, 2, fold_of);
    hw_train_item items[NW];
    for (int i = 0; i < NW; i++) items[i] = (hw_train_item){.window = i, .n = 2, .label = (int8_t)(i % 2)};
    hw_item_set set = {0};
    set.items = items;
    set.n = NW;
    hw_items_drop_fold(&set, &m, fold_of, 1);
    CHECK_INT_EQ(set.n, 15); /* 10 + 3 training + 2 validation windows of no fold */
    CHECK_INT_EQ(set.windows_used, 15);
    CHECK_INT_EQ(set.n_label[0] + set.n_label[1], 15);
    for (int64_t i = 0; i < set.n; i++) CHECK(fold_of[win_chrom[set.items[i].window]] != 1);

    /* combine: pair i on window i; fold 0's distances i + 1, fold 1's 10 (i + 1) */
    hw_pair_table t[2] = {{0}, {0}};
    for (int k = 0; k < 2; k++) {
        hw_pair_table_reserve(&t[k], NW);
        t[k].n = NW;
        for (int i = 0; i < NW; i++) {
            t[k].window[i] = i;
            t[k].a[i] = 0;
            t[k].b[i] = 1 + (i % 2);
            t[k].label[i] = (int8_t)(i % 2);
            for (int q = 0; q < HW_N_MEASURES; q++) t[k].d[q][i] = (k ? 10.0 : 1.0) * (i + 1) + q;
        }
    }
    /* within (label 0) pairs are the even i: fold 0 pairwise 1, 3, ..., 27: median 14 */
    CHECK_NEAR(hw_within_median(&t[0], HW_M_PAIRWISE), 14.0, 0, 1e-15);
    CHECK_NEAR(hw_within_median(&t[1], HW_M_PAIRWISE), 140.0, 0, 1e-15);
    CHECK_NEAR(hw_within_median(&t[1], HW_M_COSINE), 141.0, 0, 1e-15);
    hw_pair_table *tabs[2] = {&t[0], &t[1]};
    CHECK_INT_EQ(hw_cross_fit_combine(&t[0], tabs, 2, &m, fold_of), 0);
    for (int i = 0; i < NW; i++) {
        int f = fold_of[win_chrom[i]] < 0 ? 0 : fold_of[win_chrom[i]];
        CHECK_NEAR(t[0].d[HW_M_PAIRWISE][i], (f ? 10.0 : 1.0) * (i + 1) / (f ? 140.0 : 14.0), 0, 1e-14);
        CHECK_NEAR(t[0].d[HW_M_COSINE][i], ((f ? 10.0 : 1.0) * (i + 1) + 1) / (f ? 141.0 : 15.0), 0,
                   1e-14);
        /* maps is HW_M_MAPS = 2 on: within medians 16 and 142 */
        CHECK_NEAR(t[0].d[HW_M_MAPS][i], ((f ? 10.0 : 1.0) * (i + 1) + 2) / (f ? 142.0 : 16.0), 0,
                   1e-14);
        /* the combined measure is made later, from the scaled ones; baselines untouched */
        CHECK_NEAR(t[0].d[HW_M_COMBINED][i], (i + 1) + 3.0, 0, 1e-15);
        CHECK_NEAR(t[0].d[HW_M_SSIM][i], (i + 1) + 4.0, 0, 1e-15);
    }
    t[1].b[3] = 0; /* another pair list */
    CHECK_INT_EQ(hw_cross_fit_combine(&t[0], tabs, 2, &m, fold_of), -1);
    CHECK_STR_EQ(hw_error(), "cross-fit: fold 1 lists other pairs (internal error)");
    hw_pair_table_free(&t[0]);
    hw_pair_table_free(&t[1]);
    return TEST_RESULT();
}
