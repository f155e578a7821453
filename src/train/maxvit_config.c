/* The `maxvit:` mapping of a train config (include/hitwin/maxvit_config.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/maxvit_config.h"
#include "hitwin/maxvit_geometry.h"

#define MV_DEFAULT_STOCHASTIC_DEPTH 0.2 /* maxvit_t's */

static const char *const arch_keys[] = {"stem", "channels", "depths", "head_dim", "stochastic_depth", NULL};

/* A sequence of 1..HW_MAXVIT_MAX_BLOCKS integers in [lo, hi]. */
static int int_list(const yt_doc *d, const yt_node *map, const char *key, int lo, int hi, int *out, int *n) {
    const yt_node *v = yt_get(map, key);
    if (!v) return hw_fail("%s:%d: maxvit: '%s' is missing (one entry per block)", d->name, map->line, key);
    if (yt_expect_seq(d, v, "maxvit: 'channels' / 'depths'") != 0) return -1;
    if (v->n < 1 || v->n > HW_MAXVIT_MAX_BLOCKS)
        return hw_fail("%s:%d: maxvit: '%s' has %d entries; a MaxViT has 1 to %d blocks", d->name, v->line, key,
                       v->n, HW_MAXVIT_MAX_BLOCKS);
    char what[64];
    snprintf(what, sizeof what, "maxvit: an entry of '%s'", key);
    for (int i = 0; i < v->n; i++) {
        int64_t x = 0;
        if (yt_node_int(d, v->vals[i], what, lo, hi, &x) != 0) return -1;
        out[i] = (int)x;
    }
    *n = v->n;
    return 0;
}

int hw_maxvit_arch_parse(const yt_doc *d, const yt_node *node, hw_maxvit_arch *arch) {
    const char *what = "maxvit";
    if (yt_expect_map(d, node, what) != 0 || yt_check_keys(d, node, what, arch_keys) != 0) return -1;
    hw_maxvit_arch a = {0};
    int64_t stem = 0, head = 0;
    double sd = MV_DEFAULT_STOCHASTIC_DEPTH;
    int nc = 0, nd = 0;
    if (yt_get_int(d, node, what, "stem", 1, 1, 4096, &stem) ||
        yt_get_int(d, node, what, "head_dim", 1, 1, 4096, &head) ||
        yt_get_double(d, node, what, "stochastic_depth", 0, 0.0, 0.999, &sd) ||
        int_list(d, node, "channels", 1, 8192, a.channels, &nc) ||
        int_list(d, node, "depths", 1, 64, a.layers, &nd))
        return -1;
    if (nc != nd)
        return hw_fail("%s:%d: maxvit: 'channels' has %d entries and 'depths' %d (one of each per block)",
                       d->name, node->line, nc, nd);
    for (int b = 0; b < nc; b++) {
        if (a.channels[b] % head)
            return hw_fail("%s:%d: maxvit: block %d has %d channels, not a multiple of head_dim %lld", d->name,
                           yt_get(node, "channels")->line, b, a.channels[b], (long long)head);
        if (a.channels[b] % HW_MAXVIT_SQUEEZE_DIV)
            return hw_fail("%s:%d: maxvit: block %d has %d channels, not a multiple of 4 (the "
                           "squeeze-excitation's width is a quarter of it)",
                           d->name, yt_get(node, "channels")->line, b, a.channels[b]);
    }
    a.n_blocks = nc;
    a.stem_channels = (int)stem;
    a.head_dim = (int)head;
    a.stochastic_depth = (float)sd;
    *arch = a;
    return 0;
}

static void list(char *buf, size_t cap, int *len, const char *key, const int *v, int n) {
    *len += snprintf(buf + *len, cap - (size_t)*len, "  %s: [", key);
    for (int i = 0; i < n; i++) *len += snprintf(buf + *len, cap - (size_t)*len, "%s%d", i ? ", " : "", v[i]);
    *len += snprintf(buf + *len, cap - (size_t)*len, "]\n");
}

void hw_maxvit_arch_emit(const hw_maxvit_arch *a, char *buf, size_t cap, int *len) {
    if (a->n_blocks <= 0) return;
    *len += snprintf(buf + *len, cap - (size_t)*len, "maxvit:\n  stem: %d\n", a->stem_channels);
    list(buf, cap, len, "channels", a->channels, a->n_blocks);
    list(buf, cap, len, "depths", a->layers, a->n_blocks);
    /* the shortest of 7 or 9 digits that reads back as the same float */
    char sd[32];
    snprintf(sd, sizeof sd, "%.7g", (double)a->stochastic_depth);
    if ((float)strtod(sd, NULL) != a->stochastic_depth) snprintf(sd, sizeof sd, "%.9g", (double)a->stochastic_depth);
    *len += snprintf(buf + *len, cap - (size_t)*len, "  head_dim: %d\n  stochastic_depth: %s\n", a->head_dim, sd);
}
