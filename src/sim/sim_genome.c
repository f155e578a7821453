/* Ground-truth structure, conditions and planted changes (see sim_genome.h). */
#include "hitwin/sim_genome.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/sim_rng.h"
#include "hitwin/xalloc.h"

/* A strength that varies from locus to locus around `mean` (log-normal, mean kept). */
static double locus_strength(sim_rng *r, double mean, double sd) {
    return mean * exp(sd * sim_rng_normal(r) - 0.5 * sd * sd);
}

int64_t sim_band_width(const hw_sim_config *cfg, int64_t nbins) {
    int64_t w = cfg->max_distance / cfg->resolution + 1;
    return w < nbins ? w : nbins;
}

/* ---- structure of one chromosome ------------------------------------------------ */

static void add_loop(sim_chrom *c, size_t *cap, const hw_sim_config *cfg, sim_rng *r,
                     const sim_domain *dom, int64_t w) {
    int64_t a = dom->lo, b = dom->hi - 1;
    if (b - a < 3 || b - a >= w) return;
    hw_grow(&c->loops, cap, (size_t)c->nloops + 1);
    c->loops[c->nloops++] =
        (sim_loop){a, b, locus_strength(r, cfg->loop_strength, cfg->locus_sd), dom->top};
}

static void build_chrom(const hw_sim_config *cfg, int k, sim_chrom *c) {
    const int32_t res = cfg->resolution;
    const int64_t n = (cfg->chroms[k].length + res - 1) / res;
    const int64_t min_b = (cfg->tad_min + res - 1) / res, w = sim_band_width(cfg, n);
    sim_rng r;
    sim_rng_seed(&r, cfg->seed, SIM_STREAM_STRUCTURE, k, 0);
    memset(c, 0, sizeof *c);
    c->nbins = n;

    /* Top-level domains tile the chromosome; sizes log-uniform in [min, max].
     * A remainder too small for a domain joins the last one. */
    size_t cap_t = 0;
    for (int64_t pos = 0; pos < n;) {
        int64_t size = llround(sim_rng_loguniform(&r, (double)cfg->tad_min, (double)cfg->tad_max) / res);
        if (size < min_b) size = min_b;
        if (n - (pos + size) < min_b) size = n - pos;
        hw_grow(&c->tops, &cap_t, (size_t)c->ntops + 1);
        c->tops[c->ntops] = (sim_domain){pos, pos + size,
                                         locus_strength(&r, cfg->tad_strength, cfg->locus_sd), c->ntops};
        c->ntops++;
        pos += size;
    }

    /* Nested domains: a share of the domains split in 2 or 3 sub-domains of at
     * least the minimum size, with half the enrichment on top of their parent's. */
    size_t cap_s = 0;
    for (int t = 0; t < c->ntops; t++) {
        const sim_domain *d = &c->tops[t];
        int64_t size = d->hi - d->lo;
        double u = sim_rng_uniform(&r);
        if (size < 2 * min_b || u >= cfg->tad_nested) continue;
        int parts = (size >= 3 * min_b && sim_rng_uniform(&r) < 0.5) ? 3 : 2;
        int64_t cuts[4] = {d->lo, 0, 0, d->hi};
        int64_t slack = size - parts * min_b;
        int64_t c1 = sim_rng_below(&r, slack + 1), c2 = sim_rng_below(&r, slack + 1);
        if (c1 > c2) { int64_t x = c1; c1 = c2; c2 = x; }
        if (parts == 2) {
            cuts[1] = d->lo + min_b + c1;
            cuts[2] = d->hi;
        } else {
            cuts[1] = d->lo + min_b + c1;
            cuts[2] = d->lo + 2 * min_b + c2;
        }
        for (int p = 0; p < parts; p++) {
            hw_grow(&c->subs, &cap_s, (size_t)c->nsubs + 1);
            c->subs[c->nsubs++] = (sim_domain){
                cuts[p], p == parts - 1 ? d->hi : cuts[p + 1],
                locus_strength(&r, 0.5 * cfg->tad_strength, cfg->locus_sd), t};
        }
    }

    /* Compartment segments are runs of whole domains (compartment boundaries
     * coincide with domain boundaries in real maps), lengths roughly
     * exponential around the mean, signs alternating. */
    size_t cap_g = 0;
    double sign = sim_rng_uniform(&r) < 0.5 ? 1.0 : -1.0;
    for (int t = 0; t < c->ntops;) {
        double target = -log(1.0 - sim_rng_uniform(&r)) * (double)cfg->comp_mean_size / res;
        int64_t lo = c->tops[t].lo;
        do t++; while (t < c->ntops && (double)(c->tops[t - 1].hi - lo) < target);
        hw_grow(&c->segs, &cap_g, (size_t)c->nsegs + 1);
        c->segs[c->nsegs++] = (sim_segment){lo, c->tops[t - 1].hi, sign};
        sign = -sign;
    }

    /* Loops at the corners of domains and sub-domains (CTCF-anchored), and stripes. */
    size_t cap_l = 0, cap_p = 0;
    for (int t = 0; t < c->ntops; t++)
        if (sim_rng_uniform(&r) < cfg->loop_fraction) add_loop(c, &cap_l, cfg, &r, &c->tops[t], w);
    for (int s = 0; s < c->nsubs; s++)
        if (sim_rng_uniform(&r) < cfg->loop_fraction) add_loop(c, &cap_l, cfg, &r, &c->subs[s], w);
    for (int t = 0; t < c->ntops; t++) {
        if (sim_rng_uniform(&r) >= cfg->stripe_fraction) continue;
        const sim_domain *d = &c->tops[t];
        int is_row = sim_rng_uniform(&r) < 0.5;
        hw_grow(&c->stripes, &cap_p, (size_t)c->nstripes + 1);
        c->stripes[c->nstripes++] = (sim_stripe){
            is_row ? d->lo : d->hi - 1, is_row ? d->hi : d->lo, is_row,
            locus_strength(&r, cfg->stripe_strength, cfg->locus_sd), t};
    }

    c->seg_of = xmalloc((size_t)n * sizeof *c->seg_of);
    c->top_of = xmalloc((size_t)n * sizeof *c->top_of);
    c->sub_of = xmalloc((size_t)n * sizeof *c->sub_of);
    for (int s = 0; s < c->nsegs; s++)
        for (int64_t i = c->segs[s].lo; i < c->segs[s].hi; i++) c->seg_of[i] = s;
    for (int t = 0; t < c->ntops; t++)
        for (int64_t i = c->tops[t].lo; i < c->tops[t].hi; i++) c->top_of[i] = t;
    for (int64_t i = 0; i < n; i++) c->sub_of[i] = -1;
    for (int s = 0; s < c->nsubs; s++)
        for (int64_t i = c->subs[s].lo; i < c->subs[s].hi; i++) c->sub_of[i] = s;

    /* Mappability / GC bias every library shares, from its own stream so that
     * structure parameters do not move it. */
    sim_rng rb;
    sim_rng_seed(&rb, cfg->seed, SIM_STREAM_BIAS, k, -1);
    c->shared_bias = xmalloc((size_t)n * sizeof *c->shared_bias);
    for (int64_t i = 0; i < n; i++) {
        double u = sim_rng_uniform(&rb), z = sim_rng_normal(&rb);
        double sd = cfg->shared_bias_sd;
        c->shared_bias[i] = u < cfg->dropout ? 0.0 : exp(sd * z - 0.5 * sd * sd);
    }
}

static void free_chrom(sim_chrom *c) {
    free(c->segs);
    free(c->tops);
    free(c->subs);
    free(c->loops);
    free(c->stripes);
    free(c->seg_of);
    free(c->top_of);
    free(c->sub_of);
    free(c->shared_bias);
}

/* ---- condition states ------------------------------------------------------------- */

static double *dup_d(const double *x, int n) {
    double *y = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *y);
    if (n > 0) memcpy(y, x, (size_t)n * sizeof *y);
    return y;
}

static void base_state(const sim_chrom *c, sim_state *s) {
    s->seg_value = xmalloc((size_t)c->nsegs * sizeof(double));
    s->top_t = xmalloc((size_t)c->ntops * sizeof(double));
    s->merge = xcalloc((size_t)c->ntops, sizeof(double));
    s->sub_t = xmalloc((size_t)(c->nsubs + 1) * sizeof(double));
    s->loop_s = xmalloc((size_t)(c->nloops + 1) * sizeof(double));
    s->stripe_s = xmalloc((size_t)(c->nstripes + 1) * sizeof(double));
    for (int i = 0; i < c->nsegs; i++) s->seg_value[i] = c->segs[i].value;
    for (int i = 0; i < c->ntops; i++) s->top_t[i] = c->tops[i].strength;
    for (int i = 0; i < c->nsubs; i++) s->sub_t[i] = c->subs[i].strength;
    for (int i = 0; i < c->nloops; i++) s->loop_s[i] = c->loops[i].strength;
    for (int i = 0; i < c->nstripes; i++) s->stripe_s[i] = c->stripes[i].strength;
}

static void copy_state(const sim_chrom *c, const sim_state *a, sim_state *s) {
    s->seg_value = dup_d(a->seg_value, c->nsegs);
    s->top_t = dup_d(a->top_t, c->ntops);
    s->merge = dup_d(a->merge, c->ntops);
    s->sub_t = dup_d(a->sub_t, c->nsubs);
    s->loop_s = dup_d(a->loop_s, c->nloops);
    s->stripe_s = dup_d(a->stripe_s, c->nstripes);
}

void sim_state_free(sim_state *s) {
    free(s->seg_value);
    free(s->top_t);
    free(s->merge);
    free(s->sub_t);
    free(s->loop_s);
    free(s->stripe_s);
    memset(s, 0, sizeof *s);
}

/* Scale everything a cohesin loss touches inside top-level domains [t0, t1]. */
static void weaken_domains(const sim_chrom *c, sim_state *s, int t0, int t1, double keep) {
    for (int t = t0; t <= t1; t++) s->top_t[t] *= keep;
    for (int i = 0; i < c->nsubs; i++)
        if (c->subs[i].top >= t0 && c->subs[i].top <= t1) s->sub_t[i] *= keep;
    for (int i = 0; i < c->nloops; i++)
        if (c->loops[i].top >= t0 && c->loops[i].top <= t1) s->loop_s[i] *= keep;
    for (int i = 0; i < c->nstripes; i++)
        if (c->stripes[i].top >= t0 && c->stripes[i].top <= t1) s->stripe_s[i] *= keep;
}

/* ---- planted changes --------------------------------------------------------------- */

typedef struct {
    int chrom, idx; /* candidate site: chromosome and index of the kind's feature */
} cand;

static void shuffle(cand *v, int n, sim_rng *r) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)sim_rng_below(r, i + 1);
        cand t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* Top-level domains [t0, t1] of a candidate site. Returns 0 if it does not exist. */
static int site_span(const hw_sim_config *cfg, const sim_chrom *c, sim_change_kind kind,
                     int64_t size, int idx, int *t0, int *t1) {
    switch (kind) {
    case SIM_LOOP_LOSS:
        *t0 = *t1 = c->loops[idx].top;
        return 1;
    case SIM_BOUNDARY_LOSS:
        *t0 = idx;
        *t1 = idx + 1;
        return idx + 1 < c->ntops;
    case SIM_DOMAIN_WEAKENING: {
        int64_t need = size / cfg->resolution, t = idx;
        while (t < c->ntops && c->tops[t].hi - c->tops[idx].lo < need) t++;
        *t0 = idx;
        *t1 = (int)t;
        return t < c->ntops;
    }
    case SIM_COMPARTMENT_SHIFT:
        *t0 = c->top_of[c->segs[idx].lo];
        *t1 = c->top_of[c->segs[idx].hi - 1];
        return 1;
    case SIM_LOOP_GAIN: {
        /* a domain corner that has no loop, inside the band */
        const sim_domain *d = &c->tops[idx];
        if (d->hi - 1 - d->lo < 4 || d->hi - 1 - d->lo >= sim_band_width(cfg, c->nbins)) return 0;
        for (int l = 0; l < c->nloops; l++)
            if (c->loops[l].a == d->lo && c->loops[l].b == d->hi - 1) return 0;
        *t0 = *t1 = idx;
        return 1;
    }
    default:
        return 0;
    }
}

static int ncands_of(const sim_chrom *c, sim_change_kind kind) {
    switch (kind) {
    case SIM_LOOP_LOSS: return c->nloops;
    case SIM_BOUNDARY_LOSS: return c->ntops;
    case SIM_DOMAIN_WEAKENING: return c->ntops;
    case SIM_COMPARTMENT_SHIFT: return c->nsegs;
    case SIM_LOOP_GAIN: return c->ntops;
    default: return 0;
    }
}

static void apply_change(const hw_sim_config *cfg, sim_genome *g, sim_change_kind kind, int k,
                         int idx, int t0, int t1, double strength) {
    sim_chrom *c = &g->chroms[k];
    sim_state *s = &g->state[1][k];
    int64_t lo = 0, hi = 0;
    switch (kind) {
    case SIM_LOOP_GAIN: {
        /* a new corner loop: absent (0) in control, loops.strength x strength
         * in the treatment */
        int n = c->nloops;
        c->loops = xrealloc(c->loops, (size_t)(n + 1) * sizeof *c->loops);
        c->loops[n] = (sim_loop){c->tops[idx].lo, c->tops[idx].hi - 1, 0.0, idx};
        c->nloops = n + 1;
        for (int cond = 0; cond < 2; cond++) {
            sim_state *x = &g->state[cond][k];
            x->loop_s = xrealloc(x->loop_s, (size_t)(n + 2) * sizeof *x->loop_s);
            x->loop_s[n] = cond ? cfg->loop_strength * strength : 0.0;
        }
        lo = c->loops[n].a;
        hi = c->loops[n].b + 1;
        break;
    }
    case SIM_LOOP_LOSS:
        s->loop_s[idx] *= 1.0 - strength;
        lo = c->loops[idx].a;
        hi = c->loops[idx].b + 1;
        break;
    case SIM_BOUNDARY_LOSS:
        s->merge[idx] = strength;
        lo = c->tops[t0].lo;
        hi = c->tops[t1].hi;
        break;
    case SIM_DOMAIN_WEAKENING:
        weaken_domains(c, s, t0, t1, 1.0 - strength);
        lo = c->tops[t0].lo;
        hi = c->tops[t1].hi;
        break;
    case SIM_COMPARTMENT_SHIFT:
        s->seg_value[idx] *= 1.0 - 2.0 * strength;
        lo = c->segs[idx].lo;
        hi = c->segs[idx].hi;
        break;
    default:
        break;
    }
    int64_t len = cfg->chroms[k].length, res = cfg->resolution;
    sim_site site = {k, lo * res, hi * res < len ? hi * res : len, kind, strength};
    g->sites[g->nsites++] = site;
}

static int site_cmp(const void *a, const void *b) {
    const sim_site *x = a, *y = b;
    if (x->chrom != y->chrom) return x->chrom < y->chrom ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

/* Sites are drawn genome-wide without replacement; each claims its top-level
 * domains so that no two changes overlap (their effects stay separable).
 * Large changes are placed first so that small ones fill the gaps. */
static int plant_changes(const hw_sim_config *cfg, sim_genome *g) {
    int total = 0;
    for (int i = 0; i < cfg->nchanges; i++) total += cfg->changes[i].count;
    g->sites = xcalloc((size_t)total + 1, sizeof *g->sites);
    unsigned char **used = xcalloc((size_t)g->nchroms, sizeof *used);
    for (int k = 0; k < g->nchroms; k++) used[k] = xcalloc((size_t)g->chroms[k].ntops, 1);
    sim_rng r;
    sim_rng_seed(&r, cfg->seed, SIM_STREAM_CHANGES, 0, 0);
    static const sim_change_kind order[] = {SIM_COMPARTMENT_SHIFT, SIM_DOMAIN_WEAKENING,
                                            SIM_BOUNDARY_LOSS, SIM_LOOP_GAIN, SIM_LOOP_LOSS};
    int rc = 0;
    for (int o = 0; o < 5 && rc == 0; o++) {
        for (int i = 0; i < cfg->nchanges && rc == 0; i++) {
            const sim_change_spec *spec = &cfg->changes[i];
            if (spec->kind != order[o] || spec->count == 0) continue;
            int n = 0;
            for (int k = 0; k < g->nchroms; k++) n += ncands_of(&g->chroms[k], spec->kind);
            cand *cs = xmalloc((size_t)(n + 1) * sizeof *cs);
            n = 0;
            for (int k = 0; k < g->nchroms; k++)
                for (int j = 0; j < ncands_of(&g->chroms[k], spec->kind); j++) cs[n++] = (cand){k, j};
            shuffle(cs, n, &r);
            int placed = 0;
            for (int j = 0; j < n && placed < spec->count; j++) {
                int k = cs[j].chrom, t0, t1, ok = 1;
                if (!site_span(cfg, &g->chroms[k], spec->kind, spec->size, cs[j].idx, &t0, &t1))
                    continue;
                for (int t = t0; t <= t1; t++) ok &= !used[k][t];
                if (!ok) continue;
                for (int t = t0; t <= t1; t++) used[k][t] = 1;
                apply_change(cfg, g, spec->kind, k, cs[j].idx, t0, t1, spec->strength);
                placed++;
            }
            free(cs);
            if (placed < spec->count)
                rc = hw_fail("cannot place %d %s changes: only %d free sites in this genome "
                             "(lower the count or use a larger genome)",
                             spec->count, sim_change_kind_name(spec->kind), placed);
        }
    }
    for (int k = 0; k < g->nchroms; k++) free(used[k]);
    free(used);
    qsort(g->sites, (size_t)g->nsites, sizeof *g->sites, site_cmp);
    return rc;
}

/* Genome-wide depletion: every top-level domain gets its own magnitude m in
 * [0, 1]. cohesin: domains, sub-domains, loops and stripes inside keep 1 - m.
 * ctcf: loops inside keep 1 - m and the boundary on the domain's right lets a
 * share m of the enrichment through. */
static void genome_wide(const hw_sim_config *cfg, sim_genome *g) {
    g->gw_mag = xcalloc((size_t)g->nchroms, sizeof *g->gw_mag);
    for (int k = 0; k < g->nchroms; k++) {
        const sim_chrom *c = &g->chroms[k];
        sim_state *s = &g->state[1][k];
        sim_rng r;
        sim_rng_seed(&r, cfg->seed, SIM_STREAM_GENOMEWIDE, k, 0);
        g->gw_mag[k] = xmalloc((size_t)c->ntops * sizeof(double));
        for (int t = 0; t < c->ntops; t++) {
            double m = cfg->gw_strength + cfg->gw_spread * sim_rng_normal(&r);
            m = m < 0 ? 0 : m > 1 ? 1 : m;
            g->gw_mag[k][t] = m;
            if (cfg->gw_kind == SIM_GW_COHESIN) {
                weaken_domains(c, s, t, t, 1.0 - m);
            } else {
                for (int i = 0; i < c->nloops; i++)
                    if (c->loops[i].top == t) s->loop_s[i] *= 1.0 - m;
                if (t + 1 < c->ntops) s->merge[t] = m;
            }
        }
    }
}

int sim_genome_build(const hw_sim_config *cfg, sim_genome *g) {
    memset(g, 0, sizeof *g);
    g->nchroms = cfg->nchroms;
    g->chroms = xcalloc((size_t)g->nchroms, sizeof *g->chroms);
    g->state[0] = xcalloc((size_t)g->nchroms, sizeof(sim_state));
    g->state[1] = xcalloc((size_t)g->nchroms, sizeof(sim_state));
    if (cfg->bg.file) {
        if (sim_bg_build_chroms(cfg, g) < 0) return -1;
        for (int k = 0; k < g->nchroms; k++) {
            base_state(&g->chroms[k], &g->state[0][k]);
            copy_state(&g->chroms[k], &g->state[0][k], &g->state[1][k]);
        }
        if (cfg->gw_kind != SIM_GW_NONE) {
            sim_bg_dense(cfg, g);
            return 0;
        }
        return sim_bg_plant(cfg, g);
    }
    for (int k = 0; k < g->nchroms; k++) {
        build_chrom(cfg, k, &g->chroms[k]);
        base_state(&g->chroms[k], &g->state[0][k]);
        copy_state(&g->chroms[k], &g->state[0][k], &g->state[1][k]);
    }
    if (cfg->gw_kind != SIM_GW_NONE) {
        genome_wide(cfg, g);
        return 0;
    }
    return plant_changes(cfg, g);
}

void sim_genome_free(sim_genome *g) {
    for (int k = 0; k < g->nchroms; k++) {
        sim_state_free(&g->state[0][k]);
        sim_state_free(&g->state[1][k]);
        free_chrom(&g->chroms[k]);
        if (g->gw_mag) free(g->gw_mag[k]);
        if (g->bg) sim_bg_chrom_free(&g->bg[k]);
    }
    free(g->bg);
    free(g->state[0]);
    free(g->state[1]);
    free(g->chroms);
    free(g->sites);
    free(g->gw_mag);
    memset(g, 0, sizeof *g);
}

void sim_replicate_state(const hw_sim_config *cfg, const sim_genome *g, int chrom, int cond,
                         int sample, sim_state *out) {
    const sim_chrom *c = &g->chroms[chrom];
    copy_state(c, &g->state[cond][chrom], out);
    sim_rng r;
    sim_rng_seed(&r, cfg->seed, SIM_STREAM_BIOLOGY, chrom, sample);
    double sd = cfg->bio_sd;
    for (int i = 0; i < c->nsegs; i++) out->seg_value[i] = locus_strength(&r, out->seg_value[i], sd);
    for (int i = 0; i < c->ntops; i++) out->top_t[i] = locus_strength(&r, out->top_t[i], sd);
    for (int i = 0; i < c->nsubs; i++) out->sub_t[i] = locus_strength(&r, out->sub_t[i], sd);
    for (int i = 0; i < c->nloops; i++) out->loop_s[i] = locus_strength(&r, out->loop_s[i], sd);
    for (int i = 0; i < c->nstripes; i++) out->stripe_s[i] = locus_strength(&r, out->stripe_s[i], sd);
}

/* ---- structure factor on the band -------------------------------------------------- */

void sim_structure_band(const hw_sim_config *cfg, const sim_chrom *c, const sim_state *s,
                        int64_t w, double *f) {
    const int64_t n = c->nbins;
    const double cs = cfg->comp_strength;
    for (int64_t i = 0; i < n; i++) {
        double *row = f + i * w;
        const double vi = s->seg_value[c->seg_of[i]];
        const int p = c->top_of[i], si = c->sub_of[i];
        for (int64_t d = 0; d < w; d++) {
            int64_t j = i + d;
            if (j >= n) {
                row[d] = 0;
                continue;
            }
            double v = exp(cs * vi * s->seg_value[c->seg_of[j]]);
            int q = c->top_of[j];
            if (p == q) {
                v *= 1.0 + s->top_t[p];
            } else {
                /* enrichment crosses a boundary only as far as every boundary
                 * between the two domains lets it through */
                double m = 1.0;
                for (int t = p; t < q && m > 0; t++) m *= s->merge[t];
                if (m > 0) v *= 1.0 + m * 0.5 * (s->top_t[p] + s->top_t[q]);
            }
            if (si >= 0 && si == c->sub_of[j]) v *= 1.0 + s->sub_t[si];
            row[d] = v;
        }
    }
    /* Loops: a Gaussian spot of sigma `width` bins around each corner. */
    const double sig = cfg->loop_width;
    const int64_t rad = (int64_t)ceil(3 * sig);
    for (int l = 0; l < c->nloops; l++) {
        double L = s->loop_s[l];
        if (L == 0) continue;
        for (int64_t di = -rad; di <= rad; di++)
            for (int64_t dj = -rad; dj <= rad; dj++) {
                int64_t i = c->loops[l].a + di, j = c->loops[l].b + dj;
                if (i < 0 || j >= n || j < i || j - i >= w) continue;
                f[i * w + (j - i)] *= 1.0 + L * exp(-(double)(di * di + dj * dj) / (2 * sig * sig));
            }
    }
    /* Stripes: one boundary bin contacts the whole domain (loop extrusion
     * stalled on one side). */
    for (int t = 0; t < c->nstripes; t++) {
        const sim_stripe *st = &c->stripes[t];
        double g = 1.0 + s->stripe_s[t];
        if (st->is_row) {
            for (int64_t j = st->anchor + 1; j < st->end && j - st->anchor < w; j++)
                f[st->anchor * w + (j - st->anchor)] *= g;
        } else {
            for (int64_t i = st->end; i < st->anchor; i++)
                if (st->anchor - i < w) f[i * w + (st->anchor - i)] *= g;
        }
    }
}
