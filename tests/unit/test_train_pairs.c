/* Pair, triplet and SupCon items from the QC table (reference.md 2.2-2.4, keyed
 * by sample: bugs 6 and 7 fixed), checked on hand-made metadata. */
#include <stdlib.h>
#include <string.h>

#include "hitwin/train_pairs.h"
#include "test_util.h"

/* 5 windows x 4 samples: w0 train all kept; w1 train, sample 1 missing;
 * w2 train, only sample 3 kept; w3 validation all kept; w4 test all kept. */
static hw_tile_meta make_meta(const int32_t *cls) {
    static uint8_t kept[5 * 4] = {1, 1, 1, 1, /**/ 1, 0, 1, 1, /**/ 0, 0, 0, 1,
                                  1, 1, 1, 1, /**/ 1, 1, 1, 1};
    static int8_t split[5] = {0, 0, 0, 1, 2};
    hw_tile_meta m = {0};
    m.n_samples = 4;
    m.class_id = (int32_t *)cls;
    m.n_windows = 5;
    m.win_split = split;
    m.kept = kept;
    return m;
}

static void check_item(const hw_item_set *s, int64_t i, int64_t w, int a, int b, int c, int label) {
    CHECK(i < s->n);
    if (i >= s->n) return;
    const hw_train_item *it = &s->items[i];
    const int32_t *x = s->samples + it->first;
    CHECK_INT_EQ(it->window, w);
    CHECK_INT_EQ(x[0], a);
    CHECK_INT_EQ(x[1], b);
    if (c >= 0) {
        CHECK_INT_EQ(it->n, 3);
        CHECK_INT_EQ(x[2], c);
    } else {
        CHECK_INT_EQ(it->n, 2);
    }
    CHECK_INT_EQ(it->label, label);
}

int main(void) {
    const int32_t cls[4] = {0, 0, 1, 1};
    hw_tile_meta m = make_meta(cls);
    hw_item_set s;

    /* contrastive, 2 + 2 all kept: 6 pairs, 2 within (label 0), 4 between (label 1),
     * lower sample first; sample 1 missing: the 3 pairs of 0, 2, 3 named by sample */
    hw_items_build(&s, &m, 0, HW_LOSS_CONTRASTIVE);
    CHECK_INT_EQ(s.n, 9);
    check_item(&s, 0, 0, 0, 1, -1, 0);
    check_item(&s, 1, 0, 0, 2, -1, 1);
    check_item(&s, 2, 0, 0, 3, -1, 1);
    check_item(&s, 3, 0, 1, 2, -1, 1);
    check_item(&s, 4, 0, 1, 3, -1, 1);
    check_item(&s, 5, 0, 2, 3, -1, 0);
    check_item(&s, 6, 1, 0, 2, -1, 1);
    check_item(&s, 7, 1, 0, 3, -1, 1);
    check_item(&s, 8, 1, 2, 3, -1, 0); /* the reference would label this (1, 2): bug 6 */
    CHECK_INT_EQ(s.n_label[0], 3);
    CHECK_INT_EQ(s.n_label[1], 6);
    CHECK_INT_EQ(s.windows_used, 2);
    CHECK_INT_EQ(s.windows_skipped, 1);
    CHECK_INT_EQ(s.max_views, 2);
    hw_items_free(&s);

    /* validation and test splits */
    hw_items_build(&s, &m, 1, HW_LOSS_CONTRASTIVE);
    CHECK_INT_EQ(s.n, 6);
    check_item(&s, 0, 3, 0, 1, -1, 0);
    hw_items_free(&s);
    hw_items_build(&s, &m, 2, HW_LOSS_CONTRASTIVE);
    CHECK_INT_EQ(s.n, 6);
    CHECK_INT_EQ(s.items[0].window, 4);
    hw_items_free(&s);

    /* triplets: 8 per full 2 + 2 position in the reference's order; with sample 1
     * missing only class 1 has a pair: (2, 3, 0), (3, 2, 0) */
    hw_items_build(&s, &m, 0, HW_LOSS_TRIPLET);
    CHECK_INT_EQ(s.n, 10);
    check_item(&s, 0, 0, 0, 1, 2, -1);
    check_item(&s, 1, 0, 1, 0, 2, -1);
    check_item(&s, 2, 0, 0, 1, 3, -1);
    check_item(&s, 3, 0, 1, 0, 3, -1);
    check_item(&s, 4, 0, 2, 3, 0, -1);
    check_item(&s, 5, 0, 3, 2, 0, -1);
    check_item(&s, 6, 0, 2, 3, 1, -1);
    check_item(&s, 7, 0, 3, 2, 1, -1);
    check_item(&s, 8, 1, 2, 3, 0, -1);
    check_item(&s, 9, 1, 3, 2, 0, -1);
    CHECK_INT_EQ(s.windows_used, 2);
    hw_items_free(&s);

    /* SupCon: one item per position with >= 2 tiles of each class; class 0 first */
    hw_items_build(&s, &m, 0, HW_LOSS_SUPCON);
    CHECK_INT_EQ(s.n, 1);
    CHECK_INT_EQ(s.items[0].n, 4);
    CHECK_INT_EQ(s.items[0].window, 0);
    for (int v = 0; v < 4; v++) CHECK_INT_EQ(s.samples[s.items[0].first + v], v);
    CHECK_INT_EQ(s.windows_skipped, 2); /* w1 has one class-0 tile, w2 one tile */
    hw_items_free(&s);

    /* samples interleaved (ctrl, trt, ctrl, trt): labels follow class ids, SupCon
     * views are class 0 then class 1 */
    const int32_t cls2[4] = {0, 1, 0, 1};
    hw_tile_meta m2 = make_meta(cls2);
    hw_items_build(&s, &m2, 1, HW_LOSS_CONTRASTIVE);
    int want[6] = {1, 0, 1, 1, 0, 1};
    CHECK_INT_EQ(s.n, 6);
    for (int i = 0; i < 6 && i < s.n; i++) CHECK_INT_EQ(s.items[i].label, want[i]);
    hw_items_free(&s);
    hw_items_build(&s, &m2, 1, HW_LOSS_SUPCON);
    CHECK_INT_EQ(s.n, 1);
    int order[4] = {0, 2, 1, 3};
    for (int v = 0; v < 4 && s.n; v++) CHECK_INT_EQ(s.samples[s.items[0].first + v], order[v]);
    hw_items_free(&s);

    /* a third class is dropped from SupCon items, kept in pairs (label 1) */
    const int32_t cls3[4] = {0, 0, 1, 2};
    hw_tile_meta m3 = make_meta(cls3);
    hw_items_build(&s, &m3, 1, HW_LOSS_SUPCON);
    CHECK_INT_EQ(s.n, 0); /* class 1 has one tile */
    hw_items_free(&s);
    hw_items_build(&s, &m3, 1, HW_LOSS_CONTRASTIVE);
    CHECK_INT_EQ(s.n_label[0], 1);
    CHECK_INT_EQ(s.n_label[1], 5);
    hw_items_free(&s);
    /* pairs: edits: same-condition pairs only, each as (label 0) and (edited, label 1).
     * w0 (all kept): (0,1) x2, (2,3) x2; w1 (sample 1 missing): the lone class-0 sample 0
     * paired with itself, (2,3); w2: only sample 3, a self pair; w3/w4 other splits. */
    hw_items_build_edits(&s, &m, 0);
    CHECK_INT_EQ(s.n, 10);
    CHECK_INT_EQ(s.windows_used, 3);
    CHECK_INT_EQ(s.n_label[0], 5);
    CHECK_INT_EQ(s.n_label[1], 5);
    {
        const int want[10][3] = {{0, 0, 1}, {0, 0, 1}, {0, 2, 3}, {0, 2, 3}, {1, 0, 0},
                                 {1, 0, 0}, {1, 2, 3}, {1, 2, 3}, {2, 3, 3}, {2, 3, 3}};
        for (int i = 0; i < 10 && i < s.n; i++) {
            check_item(&s, i, want[i][0], want[i][1], want[i][2], -1, i % 2);
            CHECK_INT_EQ(s.items[i].edit, i % 2);
            const int32_t *x = s.samples + s.items[i].first;
            CHECK_INT_EQ(cls[x[0]], cls[x[1]]); /* never across conditions */
        }
    }
    hw_items_free(&s);
    hw_items_build_edits(&s, &m, 1);
    CHECK_INT_EQ(s.n, 4);
    hw_items_free(&s);

    return TEST_RESULT();
}
