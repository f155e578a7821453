/* Real-map backgrounds (docs/simulate.md, "Real-map backgrounds"). The
 * background is the simulator's own output: a deep, noise-free synthetic map
 * whose domains and loops are known, written to a temporary directory.
 *  - detection: every planted top-level boundary has a detected boundary
 *    within 2 bins, and >= 80 % of the detected ones lie within 2 bins of a
 *    planted one; >= 70 % of the planted loops are detected within 2 bins and
 *    >= 70 % of the detected loops are planted ones;
 *  - with all noise off and 2e10 contacts, a replicate's O/E per diagonal
 *    reproduces the smoothed background's: mean |log ratio| < 0.01, max < 0.1
 *    (Poisson at >= ~5e3 counts a pixel);
 *  - noise.pixel_sd 0.1: sd of log(R1 / R2) / sqrt(2) in [0.095, 0.105], and
 *    the two libraries' patterns independent (|corr| < 0.05);
 *  - noise.dispersion 0.1 (gamma-Poisson): sd of log(R1 / R2) / sqrt(2) =
 *    sqrt(trigamma(10)) = 0.3243 within 0.01;
 *  - a background resolution that sums file bins (40 kb from 20 kb) and is
 *    resampled to a finer simulate resolution (20 kb) keeps the genome and
 *    still finds the planted boundaries;
 *  - boundary_loss 0.6: the mean log O/E of the cross pixels at each distance
 *    rises by 0.6 x (intra - cross) in the expected map (1e-4);
 *  - --null keeps every site and leaves the treatment's map identical to
 *    control's (sparse and dense);
 *  - synthetic loop_gain: a corner without a loop gets one in the treatment
 *    only, structure ratio treatment / control = 1 + loops.strength (1e-9);
 *  - the background errors, exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/dist.h"
#include "hitwin/error.h"
#include "hitwin/log.h"
#include "hitwin/sim_genome.h"
#include "hitwin/sim_sample.h"
#include "hitwin/simulate.h"
#include "hitwin/xalloc.h"
#include "test_util.h"

/* The planted synthetic map: strong domains, a loop at every domain corner,
 * no compartments, sub-domains or stripes, no technical noise. */
static const char *SYNTH =
    "genome:\n"
    "  chromosomes:\n"
    "    - {name: chr1, length: 8000000}\n"
    "    - {name: chr2, length: 6000000}\n"
    "coarser_resolutions: [20000]\n"
    "max_distance: 2000000\n"
    "compartments: {strength: 0.0}\n"
    "domains: {min_size: 300000, max_size: 1000000, strength: 1.0, nested_fraction: 0}\n"
    "loops: {fraction: 0.7, strength: 4.0, width: 1.0}\n"
    "stripes: {fraction: 0}\n"
    "locus_sd: 0.2\n"
    "replicates: 1\n"
    "depth: {contacts_per_mb: 20000000}\n"
    "noise: {depth_cv: 0, slope_sd: 0, bias_sd: 0, shared_bias_sd: 0, dropout: 0, "
    "biological_sd: 0}\n"
    "changes: []\n"
    "seed: 3\n";

static const char *BG_NOISE_OFF =
    "resolution: 10000\n"
    "max_distance: 2000000\n"
    "coarser_resolutions: []\n"
    "depth: {total: 20000000000}\n"
    "noise: {depth_cv: 0, slope_sd: 0, bias_sd: 0, shared_bias_sd: 0, dropout: 0, "
    "biological_sd: 0, pixel_sd: %g}\n";

static int load_bg(hw_sim_config *cfg, const char *file, const char *extra, double pixel_sd,
                   const char *out) {
    char text[8192], noise[1024];
    snprintf(noise, sizeof noise, BG_NOISE_OFF, pixel_sd);
    snprintf(text, sizeof text,
             "background: {file: \"%s\", smooth_scale: 16}\n"
             "%s%soutput: \"%s\"\n",
             file, noise, extra, out);
    hw_sim_config_defaults(cfg, "small");
    if (hw_sim_config_load_string(cfg, text, "test.yaml") < 0) return -1;
    return hw_sim_config_validate(cfg);
}

/* The first error of a config (load + validate + build), "" if none. */
static char errbuf[2048];
static const char *config_error(const char *text) {
    hw_sim_config cfg;
    hw_sim_config_defaults(&cfg, "small");
    errbuf[0] = '\0';
    int rc = hw_sim_config_load_string(&cfg, text, "test.yaml");
    if (rc == 0) rc = hw_sim_config_validate(&cfg);
    if (rc == 0) {
        sim_genome g;
        rc = sim_genome_build(&cfg, &g);
        sim_genome_free(&g);
    }
    if (rc < 0) snprintf(errbuf, sizeof errbuf, "%s", hw_error());
    hw_sim_config_free(&cfg);
    return errbuf;
}

static int near_sorted(const int64_t *v, int n, int64_t x, int64_t tol) {
    for (int i = 0; i < n; i++)
        if (llabs(v[i] - x) <= tol) return 1;
    return 0;
}

static void check_detection(const sim_genome *syn, const sim_genome *bg) {
    int planted = 0, found = 0, detected = 0, true_pos = 0;
    int lp = 0, lfound = 0, ld = 0, ltrue = 0;
    for (int k = 0; k < syn->nchroms; k++) {
        const sim_chrom *c = &syn->chroms[k];
        const sim_bg_chrom *b = &bg->bg[k];
        int64_t *edges = xmalloc((size_t)c->ntops * sizeof *edges);
        for (int t = 1; t < c->ntops; t++) {
            edges[t - 1] = c->tops[t].lo;
            planted++;
            found += near_sorted(b->bounds, b->nbounds, c->tops[t].lo, 2);
        }
        for (int i = 0; i < b->nbounds; i++) {
            detected++;
            true_pos += near_sorted(edges, c->ntops - 1, b->bounds[i], 2);
        }
        free(edges);
        for (int l = 0; l < c->nloops; l++) {
            lp++;
            for (int i = 0; i < b->nloops; i++)
                if (llabs(b->loops[i].a - c->loops[l].a) <= 2 && llabs(b->loops[i].b - c->loops[l].b) <= 2) {
                    lfound++;
                    break;
                }
        }
        for (int i = 0; i < b->nloops; i++) {
            ld++;
            for (int l = 0; l < c->nloops; l++)
                if (llabs(b->loops[i].a - c->loops[l].a) <= 2 && llabs(b->loops[i].b - c->loops[l].b) <= 2) {
                    ltrue++;
                    break;
                }
        }
    }
    printf("boundaries: %d of %d planted found, %d of %d detected planted; loops: %d of %d planted "
           "found, %d of %d detected planted\n", found, planted, true_pos, detected, lfound, lp,
           ltrue, ld);
    CHECK(planted > 10 && found == planted);
    CHECK(detected > 0 && true_pos >= 0.8 * detected);
    CHECK(lp > 10 && lfound >= 0.7 * lp);
    CHECK(ld > 0 && ltrue >= 0.7 * ld);
}

/* Counts of one replicate as a dense band (0 where no pixel). */
static double *sample_band(const hw_sim_config *cfg, const sim_genome *g, int k, int cond, int rep) {
    const sim_bg_chrom *b = &g->bg[k];
    double *norm = xmalloc((size_t)b->w * sizeof *norm), *work = xmalloc((size_t)(b->nbins * b->w) * 8);
    for (int64_t d = 0; d < b->w; d++) norm[d] = 1;
    sim_band out;
    sim_sample_chrom(cfg, g, k, cond, rep, norm, work, &out);
    memset(work, 0, (size_t)(b->nbins * b->w) * 8);
    for (int64_t i = 0; i < b->nbins; i++)
        for (int64_t p = out.rowptr[i]; p < out.rowptr[i + 1]; p++) work[i * b->w + out.off[p]] = out.count[p];
    sim_band_free(&out);
    free(norm);
    return work;
}

static void check_oe_reproduced(const hw_sim_config *cfg, const sim_genome *g) {
    double sum_abs = 0, max_abs = 0;
    int64_t n_all = 0;
    for (int k = 0; k < g->nchroms; k++) {
        const sim_bg_chrom *b = &g->bg[k];
        double *cnt = sample_band(cfg, g, k, 0, 0);
        for (int64_t d = 0; d < b->w; d++) {
            double sc = 0, se = 0;
            int64_t m = 0;
            for (int64_t i = 0; i + d < b->nbins; i++)
                if (b->mask[i] && b->mask[i + d]) {
                    sc += cnt[i * b->w + d];
                    se += exp(b->logoe[i * b->w + d]);
                    m++;
                }
            for (int64_t i = 0; i + d < b->nbins; i++) {
                if (!b->mask[i] || !b->mask[i + d]) continue;
                double o = cnt[i * b->w + d] / (sc / m), e = exp(b->logoe[i * b->w + d]) / (se / m);
                double x = fabs(log(o > 0 ? o : 1e-9) - log(e));
                sum_abs += x;
                if (x > max_abs) max_abs = x;
                n_all++;
            }
        }
        free(cnt);
    }
    printf("O/E reproduced: mean |log ratio| %.5f (< 0.01), max %.4f (< 0.1) over %lld pixels\n",
           sum_abs / (double)n_all, max_abs, (long long)n_all);
    CHECK(sum_abs / (double)n_all < 0.01);
    CHECK(max_abs < 0.1);
}

static void check_pixel_sd(const hw_sim_config *cfg, const sim_genome *g) {
    double s = 0, s2 = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    int64_t n = 0;
    const sim_bg_chrom *b = &g->bg[0];
    double *r1 = sample_band(cfg, g, 0, 0, 0), *r2 = sample_band(cfg, g, 0, 0, 1);
    double *t1 = sample_band(cfg, g, 0, 1, 0);
    for (int64_t i = 0; i < b->nbins; i++)
        for (int64_t d = 2; d < b->w && i + d < b->nbins; d++) {
            int64_t p = i * b->w + d;
            if (!b->mask[i] || !b->mask[i + d] || r1[p] <= 0 || r2[p] <= 0 || t1[p] <= 0) continue;
            double x = log(r1[p] / r2[p]), y = log(t1[p] / r2[p]);
            s += x;
            s2 += x * x;
            sx += x;
            sy += y;
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
            n++;
        }
    double var = s2 / n - (s / n) * (s / n), sd = sqrt(var / 2);
    /* log(R1/R2) and log(T1/R2) share R2's pattern: corr 1/2 if independent of each other */
    double cov = sxy / n - (sx / n) * (sy / n), corr = cov / sqrt((sxx / n - sx * sx / n / n) *
                                                                  (syy / n - sy * sy / n / n));
    printf("pixel_sd 0.1: measured %.4f (within [0.095, 0.105]); corr(R1/R2, T1/R2) %.3f "
           "(0.5 +- 0.05 when patterns are independent) over %lld pixels\n", sd, corr, (long long)n);
    CHECK(sd >= 0.095 && sd <= 0.105);
    CHECK(fabs(corr - 0.5) < 0.05);
    free(r1);
    free(r2);
    free(t1);
}

/* sd of log(R1 / R2) / sqrt(2) over mappable pixels (d >= 2) of chromosome 0. */
static double replicate_log_sd(const hw_sim_config *cfg, const sim_genome *g) {
    const sim_bg_chrom *b = &g->bg[0];
    double *r1 = sample_band(cfg, g, 0, 0, 0), *r2 = sample_band(cfg, g, 0, 0, 1);
    double s = 0, s2 = 0;
    int64_t n = 0;
    for (int64_t i = 0; i < b->nbins; i++)
        for (int64_t d = 2; d < b->w && i + d < b->nbins; d++) {
            int64_t p = i * b->w + d;
            if (!b->mask[i] || !b->mask[i + d] || r1[p] <= 0 || r2[p] <= 0) continue;
            double x = log(r1[p] / r2[p]);
            s += x;
            s2 += x * x;
            n++;
        }
    free(r1);
    free(r2);
    return sqrt((s2 / n - (s / n) * (s / n)) / 2);
}

static void check_boundary_loss(const hw_sim_config *cfg, const sim_genome *g, double strength) {
    int checked = 0, bad = 0;
    for (int s = 0; s < g->nsites; s++) {
        const sim_site *st = &g->sites[s];
        if (st->kind != SIM_BOUNDARY_LOSS) continue;
        const sim_bg_chrom *c = &g->bg[st->chrom];
        int64_t l = st->start / cfg->resolution, r = (st->end + cfg->resolution - 1) / cfg->resolution, bnd = -1;
        for (int i = 0; i < c->nbounds; i++)
            if (c->bounds[i] > l && c->bounds[i] < r) bnd = c->bounds[i];
        CHECK(bnd > 0);
        double want = 0, raised = 0;
        for (int64_t d = 1; d < r - l && d < c->w; d++) {
            double si = 0, sc = 0, dt = 0;
            int64_t ni = 0, nc = 0;
            for (int64_t i = l; i + d < r; i++) {
                if (!c->mask[i] || !c->mask[i + d]) continue;
                int cross = i < bnd && i + d >= bnd;
                double v = c->logoe[i * c->w + d];
                if (cross) {
                    sc += v;
                    nc++;
                    dt += c->treat[i * c->w + d] - v;
                } else {
                    si += v;
                    ni++;
                }
            }
            if (!nc) continue;
            if (ni) want = strength * fmax(0, si / ni - sc / nc);
            double got = dt / nc;
            if (fabs(got - want) > 1e-4) bad++;
            if (d < 10) raised += got;
            checked++;
        }
        printf("boundary_loss at bin %lld: %d distances checked, %d off; mean rise of log O/E "
               "(d < 10) %.3f\n", (long long)bnd, checked, bad, raised / 9);
        CHECK(raised / 9 > 0.05);
    }
    CHECK(checked > 0 && bad == 0);
}

static void check_synthetic_loop_gain(void) {
    hw_sim_config cfg;
    hw_sim_config_defaults(&cfg, "small");
    CHECK(hw_sim_config_load_string(&cfg, "changes: [{kind: loop_gain, count: 3, strength: 1}]\n"
                                    "output: x\n", "gain.yaml") == 0);
    CHECK(hw_sim_config_validate(&cfg) == 0);
    sim_genome g;
    CHECK(sim_genome_build(&cfg, &g) == 0);
    CHECK_INT_EQ(g.nsites, 3);
    int ok = 0;
    for (int s = 0; s < g.nsites; s++) {
        const sim_site *st = &g.sites[s];
        const sim_chrom *c = &g.chroms[st->chrom];
        int64_t a = st->start / cfg.resolution, b = st->end / cfg.resolution - 1;
        int64_t w = sim_band_width(&cfg, c->nbins);
        double *f0 = xmalloc((size_t)(c->nbins * w) * 8), *f1 = xmalloc((size_t)(c->nbins * w) * 8);
        sim_structure_band(&cfg, c, &g.state[0][st->chrom], w, f0);
        sim_structure_band(&cfg, c, &g.state[1][st->chrom], w, f1);
        double ratio = f1[a * w + (b - a)] / f0[a * w + (b - a)];
        printf("loop_gain %s:%lld-%lld: treatment / control at the corner %.6f (want %.6f)\n",
               cfg.chroms[st->chrom].name, (long long)st->start, (long long)st->end, ratio,
               1 + cfg.loop_strength);
        ok += st->kind == SIM_LOOP_GAIN && fabs(ratio - (1 + cfg.loop_strength)) < 1e-9;
        free(f0);
        free(f1);
    }
    CHECK_INT_EQ(ok, 3);
    sim_genome_free(&g);
    hw_sim_config_free(&cfg);
}

int main(int argc, char **argv) {
    hw_dist d;
    hw_dist_init(&d, &argc, &argv);
    hw_log_set_quiet(1);
    char dir[] = "/tmp/hw_sim_background_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char file[4096], out[4096];
    snprintf(file, sizeof file, "%s/control_R1.mcool", dir);
    snprintf(out, sizeof out, "%s/out", dir);

    /* the planted background */
    hw_sim_config syn;
    hw_sim_config_defaults(&syn, "small");
    CHECK(hw_sim_config_load_string(&syn, SYNTH, "synth.yaml") == 0);
    free(syn.output);
    syn.output = xstrdup(dir);
    CHECK(hw_sim_config_validate(&syn) == 0);
    if (hw_simulate_run(&syn, &d) < 0) {
        fprintf(stderr, "simulate failed: %s\n", hw_error());
        return 1;
    }
    sim_genome gs;
    CHECK(sim_genome_build(&syn, &gs) == 0);

    /* detection, O/E, boundary loss */
    hw_sim_config cfg;
    const char *bl = "changes: [{kind: boundary_loss, count: 1, strength: 0.6}]\n";
    if (load_bg(&cfg, file, bl, 0.0, out) < 0) {
        fprintf(stderr, "background config failed: %s\n", hw_error());
        return 1;
    }
    sim_genome g;
    CHECK(sim_genome_build(&cfg, &g) == 0);
    check_detection(&gs, &g);
    check_oe_reproduced(&cfg, &g);
    check_boundary_loss(&cfg, &g, 0.6);
    sim_genome_free(&g);
    hw_sim_config_free(&cfg);

    /* pixel noise */
    CHECK(load_bg(&cfg, file, "replicates: 2\nchanges: []\n", 0.1, out) == 0);
    CHECK(sim_genome_build(&cfg, &g) == 0);
    check_pixel_sd(&cfg, &g);
    sim_genome_free(&g);
    hw_sim_config_free(&cfg);

    /* over-dispersion */
    {
        char extra[256];
        snprintf(extra, sizeof extra, "replicates: 2\nchanges: []\n");
        CHECK(load_bg(&cfg, file, extra, 0.0, out) == 0);
        cfg.dispersion = 0.1;
        CHECK(sim_genome_build(&cfg, &g) == 0);
        double sd = replicate_log_sd(&cfg, &g);
        printf("dispersion 0.1: measured %.4f (want 0.3243 +- 0.01)\n", sd);
        CHECK(fabs(sd - 0.3243) < 0.01);
        sim_genome_free(&g);
        hw_sim_config_free(&cfg);
    }

    /* summed and resampled background bins */
    {
        char text[8192];
        snprintf(text, sizeof text,
                 "background: {file: \"%s\", resolution: 40000, smooth_scale: 16, "
                 "insulation_window: 6}\nresolution: 20000\nmax_distance: 2000000\n"
                 "coarser_resolutions: []\nchanges: []\noutput: x\n", file);
        hw_sim_config_defaults(&cfg, "small");
        CHECK(hw_sim_config_load_string(&cfg, text, "coarse.yaml") == 0);
        CHECK(hw_sim_config_validate(&cfg) == 0);
        CHECK_INT_EQ(cfg.bg.file_resolution, 20000);
        CHECK_INT_EQ(cfg.nchroms, 2);
        CHECK(sim_genome_build(&cfg, &g) == 0);
        int planted = 0, found = 0;
        for (int k = 0; k < g.nchroms; k++) {
            CHECK_INT_EQ(g.bg[k].nbins, cfg.chroms[k].length / 20000);
            const sim_chrom *c = &gs.chroms[k];
            for (int t = 1; t < c->ntops; t++) {
                planted++;
                /* 10 kb edges seen at 40 kb: within 2 bins of 40 kb = 4 bins of 20 kb */
                found += near_sorted(g.bg[k].bounds, g.bg[k].nbounds, c->tops[t].lo / 2, 4);
            }
        }
        printf("40 kb background at 20 kb: %d of %d planted boundaries found\n", found, planted);
        CHECK(found >= 0.8 * planted);
        sim_genome_free(&g);
        hw_sim_config_free(&cfg);
    }

    /* the null: same sites, identical maps (sparse, then dense) */
    const char *kinds[] = {"changes: [{kind: boundary_loss, count: 2, strength: 1}, {kind: loop_loss, "
                           "count: 2, strength: 1}, {kind: loop_gain, count: 2, strength: 1}, "
                           "{kind: domain_weakening, count: 1, strength: 1, size: 500000}]\n",
                           "genome_wide: {kind: ctcf, strength: 0.5, spread: 0.2}\n",
                           "genome_wide: {kind: cohesin, strength: 0.5, spread: 0.2}\n"};
    for (int t = 0; t < 3; t++) {
        sim_genome g1, g0;
        hw_sim_config c1, c0;
        CHECK(load_bg(&c1, file, kinds[t], 0.0, out) == 0);
        CHECK(load_bg(&c0, file, kinds[t], 0.0, out) == 0);
        hw_sim_config_make_null(&c0);
        CHECK(sim_genome_build(&c1, &g1) == 0);
        CHECK(sim_genome_build(&c0, &g0) == 0);
        CHECK_INT_EQ(g1.nsites, g0.nsites);
        for (int s = 0; s < g1.nsites && s < g0.nsites; s++) {
            CHECK(g1.sites[s].chrom == g0.sites[s].chrom && g1.sites[s].start == g0.sites[s].start &&
                  g1.sites[s].end == g0.sites[s].end && g1.sites[s].kind == g0.sites[s].kind);
            CHECK(g0.sites[s].strength == 0 && g1.sites[s].strength == 1);
        }
        int same = 1, changed = 0;
        for (int k = 0; k < g0.nchroms; k++) {
            size_t nb = (size_t)(g0.bg[k].nbins * g0.bg[k].w) * sizeof(float);
            same &= memcmp(g0.bg[k].treat, g0.bg[k].logoe, nb) == 0;
            changed |= memcmp(g1.bg[k].treat, g1.bg[k].logoe, nb) != 0;
        }
        printf("null %d: %d sites kept, treatment %s control; non-null %s\n", t, g0.nsites,
               same ? "==" : "!=", changed ? "differs" : "does not differ");
        CHECK(same && changed);
        if (t == 0) CHECK_INT_EQ(g0.nsites, 7);
        sim_genome_free(&g1);
        sim_genome_free(&g0);
        hw_sim_config_free(&c1);
        hw_sim_config_free(&c0);
    }

    check_synthetic_loop_gain();

    /* errors: one line naming the file */
    CHECK_STR_EQ(config_error("background: {file: ../shared/data/unittest_matrix_2.cool}\n"
                              "resolution: 5000\noutput: x\n"),
                 "../shared/data/unittest_matrix_2.cool: no resolution 5000 (has 10000)");
    CHECK_STR_EQ(config_error("background: {file: ../shared/data/unittest_matrix_2.cool, "
                              "chromosomes: [chr9]}\noutput: x\n"),
                 "../shared/data/unittest_matrix_2.cool: chromosome 'chr9' not in the file (has: chr1)");
    CHECK_STR_EQ(config_error("background:\n  file: ../shared/data/unittest_matrix_2.cool\n"
                              "  regions: [{name: x, chrom: chr1, start: 170000000, end: 190000000}]\n"
                              "output: x\n"),
                 "../shared/data/unittest_matrix_2.cool: region 'x' (chr1:170000000-190000000) is "
                 "outside chr1 (length 180000000)");
    CHECK_STR_EQ(config_error("background: {file: ../shared/data/unittest_matrix_2.cool, norm: KR}\n"
                              "output: x\n"),
                 "../shared/data/unittest_matrix_2.cool: no normalisation 'KR' at 10000 (has: NONE)");
    CHECK_STR_EQ(config_error("background: {file: ../shared/data/unittest_matrix_2.cool}\n"
                              "changes: [{kind: compartment_shift, count: 1}]\noutput: x\n"),
                 "test.yaml: compartment_shift is not available with a background (its "
                 "compartments are not modelled)");
    CHECK_STR_EQ(config_error("genome: {preset: small}\n"
                              "background: {file: ../shared/data/unittest_matrix_2.cool}\n"),
                 "test.yaml:2: give either genome or background, not both (the background's "
                 "chromosomes are the genome)");
    CHECK_STR_EQ(config_error("background: {file: ../shared/data/unittest_matrix_2.cool, foo: 1}\n"),
                 "test.yaml:1: unknown key 'foo' in background (expected one of: file, resolution, "
                 "norm, chromosomes, regions, smooth_scale, insulation_window, boundary_prominence, "
                 "loop_enrichment, loop_min_distance)");
    /* too sparse: the planted map thinned to 2000 contacts */
    char sparse_dir[4096], text[8192], want[8192];
    snprintf(sparse_dir, sizeof sparse_dir, "%s/sparse", dir);
    hw_sim_config sp;
    hw_sim_config_defaults(&sp, "small");
    CHECK(hw_sim_config_load_string(&sp, SYNTH, "synth.yaml") == 0);
    sp.contacts_per_mb = 250;
    free(sp.output);
    sp.output = xstrdup(sparse_dir);
    CHECK(hw_sim_config_validate(&sp) == 0);
    CHECK(hw_simulate_run(&sp, &d) == 0);
    hw_sim_config_free(&sp);
    snprintf(text, sizeof text, "background: {file: \"%s/control_R1.mcool\", chromosomes: [chr1, chr2]}\n"
             "output: x\n", sparse_dir);
    const char *e = config_error(text);
    char *real = realpath(sparse_dir, NULL);
    snprintf(want, sizeof want, "%s/control_R1.mcool: background too sparse to detect features: ",
             real ? real : sparse_dir);
    free(real);
    printf("sparse: %s\n", e);
    CHECK(strncmp(e, want, strlen(want)) == 0);
    CHECK(strstr(e, "(need at least 2 boundaries: use a denser map, a coarser "
                    "background.resolution or a lower boundary_prominence)") != NULL);

    sim_genome_free(&gs);
    hw_sim_config_free(&syn);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    int rc = TEST_RESULT();
    hw_dist_finalize();
    return rc;
}
