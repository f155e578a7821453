/* Features of a background map, found where a simulated change can be
 * planted (docs/simulate.md, "Real-map backgrounds"):
 *   boundaries: minima of the insulation score (Crane et al. 2015): at each
 *     edge e between bins e-1 and e, log2 of the mean O/E of the W x W square
 *     [e-W, e) x [e, e+W) (W = insulation_window), minus the chromosome mean.
 *     A boundary is an edge whose score is the lowest within W/2 edges either
 *     side and lies at least `boundary_prominence` below the highest score
 *     within W edges on each side (the lower of the two peaks).
 *   loops: pixels of the smoothed O/E at distance >= loop_min_distance that
 *     are the maximum of their (2p+1)^2 neighbourhood, p = h(d) + 1 (h the
 *     smoothing half-width), above 1, and at least `loop_enrichment` times the
 *     mean of the donut p < Chebyshev distance <= p + 3 around them.
 * Pixels of unmappable bins count for nothing; a square or donut that is more
 * than half unmappable gives no feature. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/sim_background.h"
#include "hitwin/xalloc.h"

/* O/E at (i, j), any order; NAN outside the band or unmappable. */
static double oe_at(const sim_bg_chrom *c, int64_t i, int64_t j) {
    if (i > j) {
        int64_t t = i;
        i = j;
        j = t;
    }
    if (i < 0 || j >= c->nbins || j - i >= c->w || !c->mask[i] || !c->mask[j]) return NAN;
    return exp(c->logoe[i * c->w + (j - i)]);
}

static void insulation(const sim_bg_chrom *c, int W, double *ins) {
    const int64_t n = c->nbins;
    double sum = 0;
    int64_t cnt = 0;
    for (int64_t e = 0; e <= n; e++) {
        ins[e] = NAN;
        if (e < W || e + W > n) continue;
        double s = 0;
        int64_t k = 0;
        for (int64_t i = e - W; i < e; i++)
            for (int64_t j = e; j < e + W; j++) {
                double v = oe_at(c, i, j);
                if (!isnan(v)) {
                    s += v;
                    k++;
                }
            }
        if (2 * k < (int64_t)W * W || s <= 0) continue;
        ins[e] = log2(s / (double)k);
        sum += ins[e];
        cnt++;
    }
    if (cnt)
        for (int64_t e = 0; e <= n; e++)
            if (!isnan(ins[e])) ins[e] -= sum / (double)cnt;
}

static void find_boundaries(const hw_sim_config *cfg, sim_bg_chrom *c) {
    const int64_t n = c->nbins;
    const int W = cfg->bg.insulation_window, half = W / 2 > 1 ? W / 2 : 1;
    const double prom = cfg->bg.boundary_prominence;
    double *ins = c->insulation;
    size_t cap = 0;
    for (int64_t e = 1; e < n; e++) {
        if (isnan(ins[e])) continue;
        int ok = 1;
        for (int64_t x = e - half; x <= e + half && ok; x++) {
            if (x < 0 || x > n || x == e || isnan(ins[x])) continue;
            /* ties go to the first edge */
            if (ins[x] < ins[e] || (ins[x] == ins[e] && x < e)) ok = 0;
        }
        if (!ok) continue;
        double left = -INFINITY, right = -INFINITY;
        for (int64_t x = e - W; x <= e; x++)
            if (x >= 0 && !isnan(ins[x]) && ins[x] > left) left = ins[x];
        for (int64_t x = e; x <= e + W; x++)
            if (x <= n && !isnan(ins[x]) && ins[x] > right) right = ins[x];
        double p = (left < right ? left : right) - ins[e];
        if (p < prom) continue;
        hw_grow(&c->bounds, &cap, (size_t)c->nbounds + 1);
        c->bounds[c->nbounds++] = e;
    }
}

static void find_loops(const hw_sim_config *cfg, sim_bg_chrom *c) {
    const int64_t n = c->nbins, w = c->w;
    const double fac = cfg->bg.loop_enrichment;
    size_t cap = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!c->mask[i]) continue;
        for (int64_t d = cfg->bg.loop_min_distance; d < w && i + d < n; d++) {
            const int p = sim_bg_smooth_halfwidth(d, cfg->bg.smooth_scale) + 1;
            if (d + p + 3 >= w || d - p - 3 < 2) continue;
            const int64_t j = i + d;
            double v = oe_at(c, i, j);
            if (isnan(v) || v <= 1.0) continue;
            int ok = 1;
            for (int64_t a = -p; a <= p && ok; a++)
                for (int64_t b = -p; b <= p && ok; b++) {
                    if (!a && !b) continue;
                    double x = oe_at(c, i + a, j + b);
                    if (!isnan(x) && (x > v || (x == v && (a < 0 || (a == 0 && b < 0))))) ok = 0;
                }
            if (!ok) continue;
            double s = 0;
            int64_t k = 0, all = 0;
            for (int64_t a = -p - 3; a <= p + 3; a++)
                for (int64_t b = -p - 3; b <= p + 3; b++) {
                    int64_t r = llabs(a) > llabs(b) ? llabs(a) : llabs(b);
                    if (r <= p) continue;
                    all++;
                    double x = oe_at(c, i + a, j + b);
                    if (!isnan(x)) {
                        s += x;
                        k++;
                    }
                }
            if (2 * k < all || s <= 0) continue;
            double donut = s / (double)k;
            if (v < fac * donut) continue;
            hw_grow(&c->loops, &cap, (size_t)c->nloops + 1);
            c->loops[c->nloops++] = (sim_bg_loop){i, j, p, log(donut), v / donut};
        }
    }
}

void sim_bg_detect(const hw_sim_config *cfg, sim_bg_chrom *c) {
    free(c->insulation);
    free(c->bounds);
    free(c->loops);
    c->bounds = NULL;
    c->loops = NULL;
    c->nbounds = c->nloops = 0;
    c->insulation = xmalloc((size_t)(c->nbins + 1) * sizeof *c->insulation);
    insulation(c, cfg->bg.insulation_window, c->insulation);
    find_boundaries(cfg, c);
    find_loops(cfg, c);
}
