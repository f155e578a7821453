/* `smooth: auto` (include/hitwin/train_smooth.h). */
#include "hitwin/train_smooth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "hitwin/xalloc.h"

int hw_smooth_for_depth(double counts_per_pixel) {
    if (!(counts_per_pixel > 0.0) || counts_per_pixel >= HW_SMOOTH_AUTO_DEEP) return 0;
    for (int h = 1; h < HW_SMOOTH_AUTO_MAX; h++)
        if ((2.0 * h + 1.0) * (2.0 * h + 1.0) * counts_per_pixel >= HW_SMOOTH_AUTO_COUNTS) return h;
    return HW_SMOOTH_AUTO_MAX;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* mean of the finite pixels with 3 <= |i - j| <= T / 2; NaN where there are none */
static double band_mean(const float *t, int T) {
    double sum = 0.0;
    long n = 0;
    for (int i = 0; i < T; i++)
        for (int j = i + 3; j <= i + T / 2 && j < T; j++) {
            const float v = t[(size_t)i * T + j];
            if (isfinite(v)) sum += v, n++;
        }
    return n ? sum / (double)n : NAN;
}

int hw_store_depth(hw_tile_store *store, double *depth, int *n_tiles) {
    const hw_tile_meta *meta = hw_tile_store_meta(store);
    *depth = 0.0;
    *n_tiles = 0;
    /* counts: raw observed values (tile-store.md: normalisation NONE, type observed) */
    if (!meta->norm || strcasecmp(meta->norm, "NONE") != 0 || !meta->type ||
        strcasecmp(meta->type, "observed") != 0)
        return 1;
    const int S = meta->n_samples, T = meta->tile_size;
    int64_t n_train = 0;
    for (int64_t w = 0; w < meta->n_windows; w++) n_train += meta->win_split[w] == 0;
    if (n_train == 0) return 0;
    const int64_t want = n_train < HW_SMOOTH_AUTO_WINDOWS ? n_train : HW_SMOOTH_AUTO_WINDOWS;
    float *tiles = xmalloc((size_t)S * T * T * sizeof *tiles);
    double *means = xmalloc((size_t)(want * S) * sizeof *means);
    int n = 0, rc = 0;
    int64_t k = 0, next = 0; /* the k-th training window; read the ones at k = next */
    for (int64_t w = 0, taken = 0; w < meta->n_windows && taken < want; w++) {
        if (meta->win_split[w] != 0) continue;
        if (k++ != next) continue;
        next = (taken + 1) * n_train / want; /* evenly spread over the split */
        taken++;
        int any = 0;
        for (int s = 0; s < S; s++) any |= meta->kept[w * S + s];
        if (!any) continue;
        if (hw_tile_store_read_window(store, w, tiles) != 0) {
            rc = -1;
            break;
        }
        for (int s = 0; s < S; s++) {
            if (!meta->kept[w * S + s]) continue;
            const double m = band_mean(tiles + (size_t)s * T * T, T);
            if (isfinite(m)) means[n++] = m;
        }
    }
    if (rc == 0 && n > 0) {
        qsort(means, (size_t)n, sizeof *means, cmp_double);
        *depth = n % 2 ? means[n / 2] : 0.5 * (means[n / 2 - 1] + means[n / 2]);
        *n_tiles = n;
    }
    free(means);
    free(tiles);
    return rc;
}

int hw_smooth_auto(hw_tile_store *store, int *h, char *why, size_t size) {
    double depth;
    int n;
    const int rc = hw_store_depth(store, &depth, &n);
    if (rc < 0) return -1;
    const int T = hw_tile_store_meta(store)->tile_size;
    if (rc == 1) {
        *h = 0;
        snprintf(why, size, "smooth: auto -> 0 (the store holds normalised values, not counts)");
    } else if (n == 0) {
        *h = 0;
        snprintf(why, size, "smooth: auto -> 0 (no kept training tile to read a depth from)");
    } else {
        *h = hw_smooth_for_depth(depth);
        snprintf(why, size,
                 "smooth: auto -> %d (median %.3g counts per pixel at separations 3-%d bins over "
                 "%d training tiles; %.3g per smoothed value)",
                 *h, depth, T / 2, n, depth * (2 * *h + 1) * (2 * *h + 1));
    }
    return 0;
}
