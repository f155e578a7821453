/* The insulation score profile of a tile (Crane et al. 2015) as cooltools 0.7.1
 * computes it (api/insulation.py insul_diamond, calculate_insulation_score), and the
 * distance between two tiles' profiles (docs/distance.md).
 * tests/fixtures/make_scores_fixtures.py runs cooltools' own function. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/distance.h"
#include "hitwin/xalloc.h"

void hw_insulation_raw(double *score, const float *tile, int T, int window) {
    /* cooltools' bad bins are those without a balancing weight; a tile has none, and a
     * row that holds no positive value is what a missing bin becomes in it */
    uint8_t *good = xcalloc((size_t)T + 1, 1);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T && !good[i]; j++) good[i] = tile[(size_t)i * T + j] > 0.0f;
    for (int k = 0; k < T; k++) {
        /* the diamond of bin k: rows (k - window, k], columns [k, k + window), inside the
         * tile, separation j - i >= ignore_diags (= the mask band), both bins good */
        double sum = 0.0;
        int n = 0;
        int i0 = k - window + 1 < 0 ? 0 : k - window + 1, j1 = k + window - 1 > T - 1 ? T - 1 : k + window - 1;
        for (int i = i0; i <= k; i++) {
            if (!good[i]) continue;
            for (int j = k; j <= j1; j++) {
                if (j - i < HW_BASELINE_BAND || !good[j]) continue;
                sum += tile[(size_t)i * T + j];
                n++;
            }
        }
        score[k] = n ? sum / n : NAN;
    }
    free(good);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* np.nanmedian: the middle value, or the mean of the two middle values */
static double nanmedian(const double *v, int n) {
    double *s = xmalloc(((size_t)n + 1) * sizeof *s);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i])) s[m++] = v[i];
    qsort(s, (size_t)m, sizeof *s, cmp_double);
    double r = m == 0 ? NAN : m % 2 ? s[m / 2] : 0.5 * (s[m / 2 - 1] + s[m / 2]);
    free(s);
    return r;
}

void hw_insulation_profile(double *profile, const float *tile, int T, int window) {
    hw_insulation_raw(profile, tile, T, window);
    double med = nanmedian(profile, T); /* norm_by_median, zeros included */
    for (int k = 0; k < T; k++) {
        double q = profile[k] / med;
        /* calculate_insulation_score: a score of 0 and anything not finite become NaN */
        double v = q == 0.0 ? NAN : log2(q);
        profile[k] = isfinite(v) ? v : NAN;
    }
}

double hw_insulation_distance(const double *pa, const double *pb, int T, int window) {
    /* only bins whose diamond lies wholly inside the tile: at the tile's edges the
     * diamond is cut by the tile, not by the genome */
    double s = 0.0;
    int n = 0;
    for (int k = window - 1; k <= T - window; k++) {
        if (isnan(pa[k]) || isnan(pb[k])) continue;
        s += fabs(pa[k] - pb[k]);
        n++;
    }
    return n ? s / n : NAN;
}
