/* Ground truth on a real-map background: the genome's chromosomes from the
 * detected domains, sparse changes planted at detected features (or the
 * dense mode's occupancy per domain), and each replicate's structure band.
 * Changes are additive in log O/E, computed from the control map, so that
 * a null change (strength 0) leaves the treatment identical to control. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/log.h"
#include "hitwin/sim_background.h"
#include "hitwin/sim_genome.h"
#include "hitwin/sim_rng.h"
#include "hitwin/xalloc.h"

/* A boundary loss or loop gain reaches at most this far from its boundary /
 * anchors, so that a change stays local (a few hundred kb) even where the
 * detected domains are large. */
#define FLANK_BP 500000

/* ---- the chromosomes ---------------------------------------------------------- */

int sim_bg_build_chroms(const hw_sim_config *cfg, sim_genome *g) {
    g->bg = xcalloc((size_t)g->nchroms, sizeof *g->bg);
    int64_t nb = 0, nl = 0, mappable = 0;
    for (int k = 0; k < g->nchroms; k++) {
        sim_bg_chrom *b = &g->bg[k];
        if (sim_bg_load_chrom(cfg, k, b) < 0) return -1;
        sim_bg_detect(cfg, b);
        nb += b->nbounds;
        nl += b->nloops;
        sim_chrom *c = &g->chroms[k];
        const int64_t n = b->nbins;
        c->nbins = n;
        /* domains between consecutive boundaries (the truth of the dense mode) */
        c->ntops = b->nbounds + 1;
        c->tops = xcalloc((size_t)c->ntops, sizeof *c->tops);
        for (int t = 0; t < c->ntops; t++)
            c->tops[t] = (sim_domain){t ? b->bounds[t - 1] : 0, t < b->nbounds ? b->bounds[t] : n,
                                      0.0, t};
        c->nsegs = 1;
        c->segs = xcalloc(1, sizeof *c->segs);
        c->segs[0] = (sim_segment){0, n, 0.0};
        c->seg_of = xcalloc((size_t)n, sizeof *c->seg_of);
        c->top_of = xmalloc((size_t)n * sizeof *c->top_of);
        c->sub_of = xmalloc((size_t)n * sizeof *c->sub_of);
        for (int t = 0; t < c->ntops; t++)
            for (int64_t i = c->tops[t].lo; i < c->tops[t].hi; i++) c->top_of[i] = t;
        for (int64_t i = 0; i < n; i++) c->sub_of[i] = -1;
        /* unmappable in the background = unmappable in every library; on top,
         * the shared bias and dropout of the synthetic genome */
        sim_rng rb;
        sim_rng_seed(&rb, cfg->seed, SIM_STREAM_BIAS, k, -1);
        c->shared_bias = xmalloc((size_t)n * sizeof *c->shared_bias);
        const double sd = cfg->shared_bias_sd;
        for (int64_t i = 0; i < n; i++) {
            double u = sim_rng_uniform(&rb), z = sim_rng_normal(&rb);
            c->shared_bias[i] = (!b->mask[i] || u < cfg->dropout) ? 0.0 : exp(sd * z - 0.5 * sd * sd);
            mappable += b->mask[i];
        }
        b->treat = xmalloc((size_t)(n * b->w) * sizeof *b->treat);
        memcpy(b->treat, b->logoe, (size_t)(n * b->w) * sizeof *b->treat);
    }
    if (nb < 2)
        return hw_fail("%s: background too sparse to detect features: %lld domain boundaries and "
                       "%lld loops on %lld mappable bins (need at least 2 boundaries: use a denser "
                       "map, a coarser background.resolution or a lower boundary_prominence)",
                       cfg->bg.file, (long long)nb, (long long)nl, (long long)mappable);
    log_info0("simulate: background %s: %lld boundaries, %lld loops detected on %lld mappable bins",
              cfg->bg.file, (long long)nb, (long long)nl, (long long)mappable);
    return 0;
}

/* ---- changes in log O/E --------------------------------------------------------- */

void sim_bg_boundary_loss(const sim_bg_chrom *c, const float *from, float *to, int64_t l,
                          int64_t b, int64_t r, double strength) {
    const int64_t w = c->w;
    double delta = 0;
    for (int64_t d = 1; d < r - l && d < w; d++) {
        double si = 0, sc = 0;
        int64_t ni = 0, nc = 0;
        for (int64_t i = l; i + d < r; i++) {
            int64_t j = i + d;
            if (!c->mask[i] || !c->mask[j]) continue;
            double v = from[i * w + d];
            if ((i < b) == (j < b)) {
                si += v;
                ni++;
            } else {
                sc += v;
                nc++;
            }
        }
        if (!nc) continue;
        /* past the larger domain there are no intra pixels: keep the last gap */
        if (ni) {
            double gap = si / (double)ni - sc / (double)nc;
            delta = strength * (gap > 0 ? gap : 0);
        }
        for (int64_t i = (b - d > l ? b - d : l); i < b && i + d < r; i++)
            to[i * w + d] += (float)delta;
    }
}

static void weaken(const sim_bg_chrom *c, float *to, int64_t lo, int64_t hi, double s) {
    for (int64_t i = lo; i < hi; i++)
        for (int64_t d = 0; d < c->w && i + d < hi; d++) to[i * c->w + d] -= (float)(s * c->logoe[i * c->w + d]);
}

static void loop_loss(const sim_bg_chrom *c, float *to, const sim_bg_loop *l, double s) {
    for (int64_t a = -l->radius; a <= l->radius; a++)
        for (int64_t b = -l->radius; b <= l->radius; b++) {
            int64_t i = l->a + a, j = l->b + b;
            if (i < 0 || j >= c->nbins || j - i < 1 || j - i >= c->w) continue;
            double x = c->logoe[i * c->w + (j - i)] - l->log_donut;
            if (x > 0) to[i * c->w + (j - i)] -= (float)(s * x);
        }
}

static void loop_gain(const hw_sim_config *cfg, const sim_bg_chrom *c, float *to, int64_t a0,
                      int64_t b0, double s) {
    const double sig = cfg->loop_width, L = cfg->loop_strength;
    const int64_t rad = (int64_t)ceil(3 * sig);
    if (s == 0) return;
    for (int64_t a = -rad; a <= rad; a++)
        for (int64_t b = -rad; b <= rad; b++) {
            int64_t i = a0 + a, j = b0 + b;
            if (i < 0 || j >= c->nbins || j - i < 1 || j - i >= c->w) continue;
            to[i * c->w + (j - i)] +=
                (float)log(1.0 + s * L * exp(-(double)(a * a + b * b) / (2 * sig * sig)));
        }
}

/* ---- sparse sites --------------------------------------------------------------- */

typedef struct {
    int chrom, idx;
} cand;

/* Edges of domain t: chromosome start, boundaries, chromosome end. */
static int64_t edge(const sim_bg_chrom *c, int t) {
    return t <= 0 ? 0 : t > c->nbounds ? c->nbins : c->bounds[t - 1];
}

/* Bins [lo, hi) a candidate claims, its truth interval [tlo, thi), and its
 * geometry; 0 if the candidate does not exist. */
typedef struct {
    int64_t lo, hi, tlo, thi, l, b, r;
} span;

static int cand_span(const hw_sim_config *cfg, const sim_bg_chrom *c, sim_change_kind kind,
                     int64_t size, int idx, span *s) {
    const int64_t flank = FLANK_BP / cfg->resolution;
    switch (kind) {
    case SIM_BOUNDARY_LOSS: {
        if (idx >= c->nbounds) return 0;
        int64_t b = c->bounds[idx], l = edge(c, idx), r = edge(c, idx + 2);
        if (b - l > flank) l = b - flank;
        if (r - b > flank) r = b + flank;
        if (b - l < 3 || r - b < 3 || r - l > c->w) return 0;
        *s = (span){l, r, l, r, l, b, r};
        return 1;
    }
    case SIM_DOMAIN_WEAKENING: {
        int64_t need = size / cfg->resolution, lo = edge(c, idx);
        if (idx > c->nbounds) return 0;
        int t = idx + 1;
        while (t <= c->nbounds + 1 && edge(c, t) - lo < need) t++;
        if (t > c->nbounds + 1) return 0;
        int64_t hi = edge(c, t);
        *s = (span){lo, hi, lo, hi, lo, 0, hi};
        return 1;
    }
    case SIM_LOOP_LOSS: {
        if (idx >= c->nloops) return 0;
        const sim_bg_loop *l = &c->loops[idx];
        *s = (span){l->a - l->radius, l->b + l->radius + 1, l->a, l->b + 1, l->a, 0, l->b};
        if (s->lo < 0) s->lo = 0;
        if (s->hi > c->nbins) s->hi = c->nbins;
        return 1;
    }
    case SIM_LOOP_GAIN: {
        /* the corner of a domain (between two boundaries) without a loop */
        if (idx >= c->nbounds - 1 || idx < 0) return 0;
        int64_t a = c->bounds[idx], b = c->bounds[idx + 1] - 1;
        if (b - a < cfg->bg.loop_min_distance || b - a > flank * 2 || b - a + 4 >= c->w) return 0;
        if (!c->mask[a] || !c->mask[b]) return 0;
        for (int i = 0; i < c->nloops; i++)
            if (llabs(c->loops[i].a - a) <= 3 && llabs(c->loops[i].b - b) <= 3) return 0;
        int64_t rad = (int64_t)ceil(3 * cfg->loop_width);
        *s = (span){a - rad > 0 ? a - rad : 0, b + rad + 1 < c->nbins ? b + rad + 1 : c->nbins,
                    a, b + 1, a, 0, b};
        return 1;
    }
    default:
        return 0;
    }
}

static int ncands(const sim_bg_chrom *c, sim_change_kind kind) {
    switch (kind) {
    case SIM_BOUNDARY_LOSS: return c->nbounds;
    case SIM_DOMAIN_WEAKENING: return c->nbounds + 1;
    case SIM_LOOP_LOSS: return c->nloops;
    case SIM_LOOP_GAIN: return c->nbounds;
    default: return 0;
    }
}

static void apply(const hw_sim_config *cfg, sim_bg_chrom *c, sim_change_kind kind, int idx,
                  const span *s, double strength) {
    switch (kind) {
    case SIM_BOUNDARY_LOSS: sim_bg_boundary_loss(c, c->logoe, c->treat, s->l, s->b, s->r, strength); break;
    case SIM_DOMAIN_WEAKENING: weaken(c, c->treat, s->lo, s->hi, strength); break;
    case SIM_LOOP_LOSS: loop_loss(c, c->treat, &c->loops[idx], strength); break;
    case SIM_LOOP_GAIN: loop_gain(cfg, c, c->treat, s->l, s->r, strength); break;
    default: break;
    }
}

static int site_cmp(const void *a, const void *b) {
    const sim_site *x = a, *y = b;
    if (x->chrom != y->chrom) return x->chrom < y->chrom ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

/* Drawn genome-wide without replacement (the same on any number of ranks);
 * each site claims its bins so that no two changes overlap; large kinds first. */
int sim_bg_plant(const hw_sim_config *cfg, sim_genome *g) {
    int total = 0;
    for (int i = 0; i < cfg->nchanges; i++) total += cfg->changes[i].count;
    g->sites = xcalloc((size_t)total + 1, sizeof *g->sites);
    unsigned char **used = xcalloc((size_t)g->nchroms, sizeof *used);
    for (int k = 0; k < g->nchroms; k++) used[k] = xcalloc((size_t)g->bg[k].nbins, 1);
    sim_rng r;
    sim_rng_seed(&r, cfg->seed, SIM_STREAM_CHANGES, 0, 0);
    static const sim_change_kind order[] = {SIM_DOMAIN_WEAKENING, SIM_BOUNDARY_LOSS, SIM_LOOP_GAIN,
                                            SIM_LOOP_LOSS};
    int rc = 0;
    for (int o = 0; o < 4 && rc == 0; o++)
        for (int i = 0; i < cfg->nchanges && rc == 0; i++) {
            const sim_change_spec *spec = &cfg->changes[i];
            if (spec->kind != order[o] || spec->count == 0) continue;
            int n = 0;
            for (int k = 0; k < g->nchroms; k++) n += ncands(&g->bg[k], spec->kind);
            cand *cs = xmalloc((size_t)(n + 1) * sizeof *cs);
            n = 0;
            for (int k = 0; k < g->nchroms; k++)
                for (int j = 0; j < ncands(&g->bg[k], spec->kind); j++) cs[n++] = (cand){k, j};
            for (int a = n - 1; a > 0; a--) {
                int b = (int)sim_rng_below(&r, a + 1);
                cand t = cs[a];
                cs[a] = cs[b];
                cs[b] = t;
            }
            int placed = 0;
            for (int j = 0; j < n && placed < spec->count; j++) {
                const int k = cs[j].chrom;
                sim_bg_chrom *c = &g->bg[k];
                span s;
                if (!cand_span(cfg, c, spec->kind, spec->size, cs[j].idx, &s)) continue;
                int ok = 1;
                for (int64_t x = s.lo; x < s.hi && ok; x++) ok = !used[k][x];
                if (!ok) continue;
                if (s.hi > s.lo) memset(used[k] + s.lo, 1, (size_t)(s.hi - s.lo));
                apply(cfg, c, spec->kind, cs[j].idx, &s, spec->strength);
                const int64_t res = cfg->resolution, len = cfg->chroms[k].length;
                g->sites[g->nsites++] = (sim_site){k, s.tlo * res, s.thi * res < len ? s.thi * res : len,
                                                   spec->kind, spec->strength};
                placed++;
            }
            free(cs);
            if (placed < spec->count)
                rc = hw_fail("cannot place %d %s changes: only %d free sites in this background "
                             "(lower the count)", spec->count, sim_change_kind_name(spec->kind),
                             placed);
        }
    for (int k = 0; k < g->nchroms; k++) free(used[k]);
    free(used);
    qsort(g->sites, (size_t)g->nsites, sizeof *g->sites, site_cmp);
    return rc;
}

/* ---- dense mode ----------------------------------------------------------------- */

/* Every domain (between detected boundaries) draws an occupancy loss m in
 * [0, 1]. cohesin: the domain's O/E structure flattened by m (loops inside
 * included). ctcf: the domain's loops lose m of their enrichment and its
 * right boundary loses m of its insulation. */
void sim_bg_dense(const hw_sim_config *cfg, sim_genome *g) {
    g->gw_mag = xcalloc((size_t)g->nchroms, sizeof *g->gw_mag);
    const int64_t flank = FLANK_BP / cfg->resolution;
    for (int k = 0; k < g->nchroms; k++) {
        sim_bg_chrom *c = &g->bg[k];
        const int nd = c->nbounds + 1;
        sim_rng r;
        sim_rng_seed(&r, cfg->seed, SIM_STREAM_GENOMEWIDE, k, 0);
        g->gw_mag[k] = xmalloc((size_t)nd * sizeof(double));
        for (int t = 0; t < nd; t++) {
            double m = cfg->gw_strength + cfg->gw_spread * sim_rng_normal(&r);
            g->gw_mag[k][t] = m < 0 ? 0 : m > 1 ? 1 : m;
        }
        for (int t = 0; t < nd; t++) {
            const double m = g->gw_mag[k][t];
            const int64_t lo = edge(c, t), hi = edge(c, t + 1);
            if (cfg->gw_kind == SIM_GW_COHESIN) {
                weaken(c, c->treat, lo, hi, m);
                continue;
            }
            for (int i = 0; i < c->nloops; i++)
                if (c->loops[i].a >= lo && c->loops[i].a < hi) loop_loss(c, c->treat, &c->loops[i], m);
            if (t + 1 < nd) {
                int64_t l = lo, b = hi, rr = edge(c, t + 2);
                if (b - l > flank) l = b - flank;
                if (rr - b > flank) rr = b + flank;
                if (rr - l <= c->w) sim_bg_boundary_loss(c, c->logoe, c->treat, l, b, rr, m);
            }
        }
    }
}

/* ---- a replicate's structure ------------------------------------------------------ */

/* Biological variation: each domain's log O/E structure scaled by its own
 * factor 1 + biological_sd * z (a pixel takes the mean of its two domains). */
void sim_bg_structure_band(const hw_sim_config *cfg, const sim_genome *g, int k, int cond,
                           int sample, int64_t w, double *f) {
    const sim_bg_chrom *b = &g->bg[k];
    const sim_chrom *c = &g->chroms[k];
    const float *src = cond ? b->treat : b->logoe;
    const int64_t n = b->nbins;
    double *e = xmalloc((size_t)c->ntops * sizeof *e);
    sim_rng r;
    sim_rng_seed(&r, cfg->seed, SIM_STREAM_BIOLOGY, k, sample);
    for (int t = 0; t < c->ntops; t++) e[t] = 1.0 + cfg->bio_sd * sim_rng_normal(&r);
    for (int64_t i = 0; i < n; i++)
        for (int64_t d = 0; d < w; d++) {
            int64_t j = i + d;
            f[i * w + d] = j < n && d < b->w
                               ? exp(src[i * b->w + d] * 0.5 * (e[c->top_of[i]] + e[c->top_of[j]]))
                               : 0.0;
        }
    free(e);
}
