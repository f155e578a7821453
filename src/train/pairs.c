/* Pair, triplet and SupCon items from the tile store's QC table
 * (include/hitwin/train_pairs.h). */
#include <stdlib.h>
#include <string.h>

#include "hitwin/train_pairs.h"
#include "hitwin/xalloc.h"

typedef struct {
    hw_item_set *set;
    size_t cap_items, cap_samples;
} builder;

static hw_train_item *add_item(builder *b, int64_t window, const int32_t *samples, int n,
                               int label) {
    hw_item_set *s = b->set;
    hw_grow(&s->items, &b->cap_items, (size_t)s->n + 1);
    hw_grow(&s->samples, &b->cap_samples, (size_t)(s->n_samples_total + n));
    hw_train_item *it = &s->items[s->n++];
    it->window = window;
    it->first = (int32_t)s->n_samples_total;
    it->n = (int16_t)n;
    it->label = (int8_t)label;
    it->edit = 0;
    memcpy(s->samples + s->n_samples_total, samples, (size_t)n * sizeof *samples);
    s->n_samples_total += n;
    if (n > s->max_views) s->max_views = n;
    if (label == 0 || label == 1) s->n_label[label]++;
    return it;
}

/* Triplets at one window; kept[] are the kept samples in sample order. */
static int64_t add_triplets(builder *b, int64_t w, const int32_t *kept, int nk, const int32_t *cls) {
    /* classes in order of first appearance */
    int32_t *order = xcalloc((size_t)nk + 1, sizeof *order);
    int nclass = 0;
    for (int i = 0; i < nk; i++) {
        int seen = 0;
        for (int c = 0; c < nclass; c++) seen |= order[c] == cls[kept[i]];
        if (!seen) order[nclass++] = cls[kept[i]];
    }
    int64_t added = 0;
    for (int c = 0; c < nclass; c++) {
        for (int i = 0; i < nk; i++) {
            if (cls[kept[i]] != order[c]) continue;
            for (int j = i + 1; j < nk; j++) {
                if (cls[kept[j]] != order[c]) continue;
                for (int c2 = 0; c2 < nclass; c2++) {
                    if (c2 == c) continue;
                    for (int k = 0; k < nk; k++) {
                        if (cls[kept[k]] != order[c2]) continue;
                        int32_t t1[3] = {kept[i], kept[j], kept[k]}, t2[3] = {kept[j], kept[i], kept[k]};
                        add_item(b, w, t1, 3, -1);
                        add_item(b, w, t2, 3, -1);
                        added += 2;
                    }
                }
            }
        }
    }
    free(order);
    return added;
}

void hw_items_build(hw_item_set *set, const hw_tile_meta *m, int split, hw_loss_kind kind) {
    memset(set, 0, sizeof *set);
    set->kind = kind;
    builder b = {set, 0, 0};
    int S = m->n_samples;
    int32_t *kept = xcalloc((size_t)S + 1, sizeof *kept);
    int32_t *view = xcalloc((size_t)S + 1, sizeof *view);
    for (int64_t w = 0; w < m->n_windows; w++) {
        if (m->win_split[w] != split) continue;
        int nk = 0;
        for (int s = 0; s < S; s++)
            if (m->kept[w * S + s]) kept[nk++] = s;
        int64_t before = set->n;
        if (kind == HW_LOSS_CONTRASTIVE) {
            for (int i = 0; i < nk; i++)
                for (int j = i + 1; j < nk; j++) {
                    int32_t p[2] = {kept[i], kept[j]};
                    add_item(&b, w, p, 2, m->class_id[kept[i]] == m->class_id[kept[j]] ? 0 : 1);
                }
        } else if (kind == HW_LOSS_TRIPLET) {
            add_triplets(&b, w, kept, nk, m->class_id);
        } else {
            int nv = 0, n0 = 0, n1 = 0;
            for (int i = 0; i < nk; i++)
                if (m->class_id[kept[i]] == 0) view[nv++] = kept[i], n0++;
            for (int i = 0; i < nk; i++)
                if (m->class_id[kept[i]] == 1) view[nv++] = kept[i], n1++;
            if (n0 >= 2 && n1 >= 2) add_item(&b, w, view, nv, -1);
        }
        if (set->n > before) set->windows_used++;
        else set->windows_skipped++;
    }
    free(kept);
    free(view);
}

void hw_items_build_edits(hw_item_set *set, const hw_tile_meta *m, int split) {
    memset(set, 0, sizeof *set);
    set->kind = HW_LOSS_CONTRASTIVE;
    builder b = {set, 0, 0};
    int S = m->n_samples;
    int32_t *kept = xcalloc((size_t)S + 1, sizeof *kept);
    for (int64_t w = 0; w < m->n_windows; w++) {
        if (m->win_split[w] != split) continue;
        int64_t before = set->n;
        for (int i = 0; i < S; i++) {
            if (!m->kept[w * S + i]) continue;
            /* the class's kept samples from i on; i is the class's first when none precede */
            int nk = 0, first = 1;
            for (int s = 0; s < S; s++) {
                if (!m->kept[w * S + s] || m->class_id[s] != m->class_id[i]) continue;
                if (s < i) first = 0;
                kept[nk++] = s;
            }
            if (!first) continue;
            for (int a = 0; a < nk; a++)
                for (int c = nk == 1 ? a : a + 1; c < nk; c++) {
                    int32_t p[2] = {kept[a], kept[c]};
                    add_item(&b, w, p, 2, 0);
                    add_item(&b, w, p, 2, 1)->edit = 1;
                }
        }
        if (set->n > before) set->windows_used++;
        else set->windows_skipped++;
    }
    free(kept);
}

void hw_items_free(hw_item_set *set) {
    free(set->items);
    free(set->samples);
    memset(set, 0, sizeof *set);
}
