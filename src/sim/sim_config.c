/* Simulate config: presets, YAML overlay, validation, YAML emission. */
#include "hitwin/sim_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/sim_background.h"
#include "hitwin/xalloc.h"
#include "hitwin/yaml_tree.h"

static const char *const kind_names[SIM_NKINDS] = {"loop_loss", "boundary_loss",
                                                   "domain_weakening", "compartment_shift",
                                                   "loop_gain"};

const char *sim_change_kind_name(sim_change_kind k) {
    return (k >= 0 && k < SIM_NKINDS) ? kind_names[k] : "?";
}

static const char *gw_names[] = {"none", "ctcf", "cohesin"};

/* ---- presets ---------------------------------------------------------------- */

/* chr1 trains, chr2 tests, chr18 validates under the dataset config's default
 * split, so the small preset gives every split some data. */
static const hw_chrom small_genome[] = {
    {"chr1", 24000000}, {"chr2", 16000000}, {"chr18", 12000000}};

/* mm10 autosomes. */
static const hw_chrom mouse_genome[] = {
    {"chr1", 195471971},  {"chr2", 182113224},  {"chr3", 160039680},  {"chr4", 156508116},
    {"chr5", 151834684},  {"chr6", 149736546},  {"chr7", 145441459},  {"chr8", 129401213},
    {"chr9", 124595110},  {"chr10", 130694993}, {"chr11", 122082543}, {"chr12", 120129022},
    {"chr13", 120421639}, {"chr14", 124902244}, {"chr15", 104043685}, {"chr16", 98207768},
    {"chr17", 94987271},  {"chr18", 90702639},  {"chr19", 61431566}};

static void set_str(char **dst, const char *s) {
    free(*dst);
    *dst = xstrdup(s);
}

static void set_chroms(hw_sim_config *cfg, const hw_chrom *c, int n) {
    free(cfg->chroms);
    cfg->chroms = xmalloc((size_t)n * sizeof *cfg->chroms);
    memcpy(cfg->chroms, c, (size_t)n * sizeof *c);
    cfg->nchroms = n;
}

static int set_genome_preset(hw_sim_config *cfg, const char *preset) {
    if (strcmp(preset, "small") == 0) {
        set_chroms(cfg, small_genome, 3);
        set_str(&cfg->assembly, "sim-small");
    } else if (strcmp(preset, "mouse") == 0) {
        set_chroms(cfg, mouse_genome, 19);
        set_str(&cfg->assembly, "sim-mm10");
    } else {
        return hw_fail("unknown genome preset '%s' (expected small or mouse)", preset);
    }
    set_str(&cfg->preset, preset);
    return 0;
}

int hw_sim_config_defaults(hw_sim_config *cfg, const char *preset) {
    memset(cfg, 0, sizeof *cfg);
    if (set_genome_preset(cfg, preset) < 0) return -1;
    cfg->source = xstrdup("");
    cfg->resolution = 10000;
    cfg->ncoarser = 3;
    cfg->coarser = xmalloc(3 * sizeof *cfg->coarser);
    cfg->coarser[0] = 20000;
    cfg->coarser[1] = 50000;
    cfg->coarser[2] = 100000;
    cfg->max_distance = 4000000;
    cfg->decay_exponent = 1.0;
    cfg->comp_strength = 0.3;
    cfg->comp_mean_size = 3000000;
    cfg->tad_min = 200000;
    cfg->tad_max = 2000000;
    cfg->tad_strength = 0.8;
    cfg->tad_nested = 0.3;
    cfg->loop_fraction = 0.5;
    cfg->loop_strength = 3.0;
    cfg->loop_width = 1.0;
    cfg->stripe_fraction = 0.1;
    cfg->stripe_strength = 0.5;
    cfg->locus_sd = 0.3;
    cfg->conditions[0] = xstrdup("control");
    cfg->conditions[1] = xstrdup("treatment");
    cfg->replicates = 2;
    cfg->contacts_per_mb = 100000;
    cfg->total_contacts = 0;
    cfg->depth_cv = 0.15;
    cfg->slope_sd = 0.02;
    cfg->bias_sd = 0.1;
    cfg->shared_bias_sd = 0.2;
    cfg->dropout = 0.01;
    cfg->bio_sd = 0.05;
    cfg->pixel_sd = 0;
    cfg->dispersion = 0;
    cfg->bg.norm = xstrdup("auto");
    cfg->bg.smooth_scale = 4;
    cfg->bg.insulation_window = 10;
    cfg->bg.boundary_prominence = 0.1;
    cfg->bg.loop_enrichment = 2.0;
    cfg->bg.loop_min_distance = 15;
    cfg->gw_kind = SIM_GW_NONE;
    cfg->gw_strength = 0.5;
    cfg->gw_spread = 0.2;
    cfg->seed = 1;
    cfg->output = NULL;
    cfg->balance = (sim_balance_opts){.ignore_diags = 2, .mad_max = 5, .min_nnz = 10,
                                      .tol = 1e-5, .max_iters = 200};
    return 0;
}

int64_t hw_sim_genome_length(const hw_sim_config *cfg) {
    int64_t n = 0;
    for (int i = 0; i < cfg->nchroms; i++) n += cfg->chroms[i].length;
    return n;
}

/* ---- YAML overlay --------------------------------------------------------------- */

#define BIG 4000000000000LL /* 4 Tb: longer than any genome */

/* Optional sub-map `key` of the root: NULL when absent, checked keys when present. */
static int sub_map(const yt_doc *d, const yt_node *root, const char *key,
                   const char *const *allowed, const yt_node **out) {
    *out = yt_get(root, key);
    if (!*out) return 0;
    if (yt_expect_map(d, *out, key) < 0) return -1;
    return yt_check_keys(d, *out, key, allowed);
}

static int get_i32(const yt_doc *d, const yt_node *m, const char *what, const char *key,
                   int64_t lo, int64_t hi, int32_t *out) {
    int64_t v = *out;
    if (yt_get_int(d, m, what, key, 0, lo, hi, &v) < 0) return -1;
    *out = (int32_t)v;
    return 0;
}

static int get_int(const yt_doc *d, const yt_node *m, const char *what, const char *key,
                   int64_t lo, int64_t hi, int *out) {
    int64_t v = *out;
    if (yt_get_int(d, m, what, key, 0, lo, hi, &v) < 0) return -1;
    *out = (int)v;
    return 0;
}

static int load_genome(hw_sim_config *cfg, const yt_doc *d, const yt_node *root) {
    static const char *const keys[] = {"preset", "assembly", "chromosomes", NULL};
    const yt_node *g;
    if (sub_map(d, root, "genome", keys, &g) < 0 || !g) return g ? -1 : 0;
    const char *preset = NULL;
    if (yt_get_str(d, g, "genome", "preset", 0, &preset) < 0) return -1;
    const yt_node *chroms = yt_get(g, "chromosomes");
    if (preset && chroms)
        return hw_fail("%s:%d: genome: give either preset or chromosomes, not both", d->name,
                       yt_get(g, "preset")->line);
    if (preset && set_genome_preset(cfg, preset) < 0)
        return hw_fail_prefix("%s:%d", d->name, yt_get(g, "preset")->line);
    if (chroms) {
        if (yt_expect_seq(d, chroms, "genome.chromosomes") < 0) return -1;
        if (chroms->n == 0)
            return hw_fail("%s:%d: genome.chromosomes is empty", d->name, chroms->line);
        hw_chrom *list = xcalloc((size_t)chroms->n, sizeof *list);
        static const char *const ckeys[] = {"name", "length", NULL};
        for (int i = 0; i < chroms->n; i++) {
            const yt_node *c = chroms->vals[i];
            const char *name = NULL;
            int64_t len = 0;
            if (yt_expect_map(d, c, "a chromosome") < 0 ||
                yt_check_keys(d, c, "a chromosome", ckeys) < 0 ||
                yt_get_str(d, c, "a chromosome", "name", 1, &name) < 0 ||
                yt_get_int(d, c, "a chromosome", "length", 1, 1, BIG, &len) < 0) {
                free(list);
                return -1;
            }
            if (strlen(name) == 0 || strlen(name) >= HW_NAME_CAP || strpbrk(name, " \t/")) {
                free(list);
                return hw_fail("%s:%d: chromosome name '%s' must be 1-%d characters without "
                               "spaces or '/'", d->name, c->line, name, HW_NAME_CAP - 1);
            }
            for (int k = 0; k < i; k++)
                if (strcmp(list[k].name, name) == 0) {
                    free(list);
                    return hw_fail("%s:%d: chromosome '%s' listed twice", d->name, c->line, name);
                }
            snprintf(list[i].name, HW_NAME_CAP, "%s", name);
            list[i].length = len;
        }
        free(cfg->chroms);
        cfg->chroms = list;
        cfg->nchroms = chroms->n;
        set_str(&cfg->preset, "custom");
        set_str(&cfg->assembly, "sim-custom");
    }
    const char *assembly = NULL;
    if (yt_get_str(d, g, "genome", "assembly", 0, &assembly) < 0) return -1;
    if (assembly) set_str(&cfg->assembly, assembly);
    return 0;
}

static int load_changes(hw_sim_config *cfg, const yt_doc *d, const yt_node *list) {
    if (yt_expect_seq(d, list, "changes") < 0) return -1;
    sim_change_spec *ch = xcalloc((size_t)list->n + 1, sizeof *ch);
    static const char *const keys[] = {"kind", "count", "strength", "size", NULL};
    for (int i = 0; i < list->n; i++) {
        const yt_node *c = list->vals[i];
        const char *kind = NULL;
        if (yt_expect_map(d, c, "a change") < 0 || yt_check_keys(d, c, "a change", keys) < 0 ||
            yt_get_str(d, c, "a change", "kind", 1, &kind) < 0)
            goto fail;
        int k = -1;
        for (int j = 0; j < SIM_NKINDS; j++)
            if (strcmp(kind, kind_names[j]) == 0) k = j;
        if (k < 0) {
            hw_fail("%s:%d: unknown change kind '%s' (expected one of: loop_loss, boundary_loss, "
                    "domain_weakening, compartment_shift, loop_gain)", d->name,
                    yt_get(c, "kind")->line, kind);
            goto fail;
        }
        ch[i].kind = (sim_change_kind)k;
        ch[i].strength = 1.0;
        ch[i].size = 2000000;
        int64_t count = 0;
        if (yt_get_int(d, c, "a change", "count", 1, 0, 100000, &count) < 0 ||
            yt_get_double(d, c, "a change", "strength", 0, 0.0, 1.0, &ch[i].strength) < 0 ||
            yt_get_int(d, c, "a change", "size", 0, 1, BIG, &ch[i].size) < 0)
            goto fail;
        if (yt_get(c, "size") && k != SIM_DOMAIN_WEAKENING) {
            hw_fail("%s:%d: 'size' applies to domain_weakening only", d->name,
                    yt_get(c, "size")->line);
            goto fail;
        }
        ch[i].count = (int)count;
    }
    free(cfg->changes);
    cfg->changes = ch;
    cfg->nchanges = list->n;
    cfg->changes_given = 1;
    return 0;
fail:
    free(ch);
    return -1;
}

static void free_background(sim_background *b) {
    free(b->file);
    free(b->norm);
    free(b->norm_used);
    for (int i = 0; i < b->nchroms; i++) free(b->chroms[i]);
    free(b->chroms);
    free(b->regions);
    if (b->source_chrom)
        for (int i = 0; i < b->nout; i++) free(b->source_chrom[i]);
    free(b->source_chrom);
    free(b->offset);
    b->file = b->norm = b->norm_used = NULL;
    b->chroms = b->source_chrom = NULL;
    b->regions = NULL;
    b->offset = NULL;
    b->nchroms = b->nregions = b->nout = 0;
}

/* A relative background path is looked up beside the config first (a config
 * and its data travel together), then in the working directory. */
static char *resolve_path(const char *config, const char *file) {
    if (file[0] == '/' || !config || !config[0]) return xstrdup(file);
    const char *slash = strrchr(config, '/');
    if (!slash) return xstrdup(file);
    size_t n = (size_t)(slash - config) + 1 + strlen(file) + 1;
    char *p = xmalloc(n);
    snprintf(p, n, "%.*s/%s", (int)(slash - config), config, file);
    FILE *f = fopen(p, "rb");
    if (f) {
        fclose(f);
        return p;
    }
    free(p);
    return xstrdup(file);
}

static int load_background(hw_sim_config *cfg, const yt_doc *d, const yt_node *root) {
    static const char *const keys[] = {"file", "resolution", "norm", "chromosomes", "regions",
                                       "smooth_scale", "insulation_window", "boundary_prominence",
                                       "loop_enrichment", "loop_min_distance", NULL};
    const yt_node *m;
    if (sub_map(d, root, "background", keys, &m) < 0) return -1;
    if (!m) return 0;
    if (yt_get(root, "genome"))
        return hw_fail("%s:%d: give either genome or background, not both (the background's "
                       "chromosomes are the genome)", d->name, m->line);
    sim_background *b = &cfg->bg;
    const char *file = NULL, *norm = NULL;
    int64_t res = b->resolution, win = b->insulation_window, mind = b->loop_min_distance;
    if (yt_get_str(d, m, "background", "file", 1, &file) < 0 ||
        yt_get_int(d, m, "background", "resolution", 0, 100, 10000000, &res) < 0 ||
        yt_get_str(d, m, "background", "norm", 0, &norm) < 0 ||
        yt_get_double(d, m, "background", "smooth_scale", 0, 0.5, 1e6, &b->smooth_scale) < 0 ||
        yt_get_int(d, m, "background", "insulation_window", 0, 2, 1000, &win) < 0 ||
        yt_get_double(d, m, "background", "boundary_prominence", 0, 0.0, 10.0,
                      &b->boundary_prominence) < 0 ||
        yt_get_double(d, m, "background", "loop_enrichment", 0, 1.0, 100.0, &b->loop_enrichment) < 0 ||
        yt_get_int(d, m, "background", "loop_min_distance", 0, 3, 100000, &mind) < 0)
        return -1;
    free(b->file);
    b->file = resolve_path(d->name, file);
    b->resolution = (int32_t)res;
    b->insulation_window = (int)win;
    b->loop_min_distance = (int)mind;
    if (norm) set_str(&b->norm, norm);
    const char **names = NULL;
    int n = 0;
    if (yt_get_str_list(d, m, "background", "chromosomes", 0, &names, &n) < 0) return -1;
    if (names) {
        b->chroms = xcalloc((size_t)n + 1, sizeof *b->chroms);
        for (int i = 0; i < n; i++) b->chroms[i] = xstrdup(names[i]);
        b->nchroms = n;
        free(names);
    }
    const yt_node *regs = yt_get(m, "regions");
    if (regs) {
        if (yt_expect_seq(d, regs, "background.regions") < 0) return -1;
        if (regs->n == 0) return hw_fail("%s:%d: background.regions is empty", d->name, regs->line);
        if (names)
            return hw_fail("%s:%d: background: give either chromosomes or regions, not both",
                           d->name, regs->line);
        static const char *const rkeys[] = {"chrom", "start", "end", "name", NULL};
        b->regions = xcalloc((size_t)regs->n, sizeof *b->regions);
        b->nregions = regs->n;
        for (int i = 0; i < regs->n; i++) {
            const yt_node *r = regs->vals[i];
            const char *chrom = NULL, *name = NULL;
            sim_region *g = &b->regions[i];
            if (yt_expect_map(d, r, "a region") < 0 || yt_check_keys(d, r, "a region", rkeys) < 0 ||
                yt_get_str(d, r, "a region", "chrom", 1, &chrom) < 0 ||
                yt_get_str(d, r, "a region", "name", 1, &name) < 0 ||
                yt_get_int(d, r, "a region", "start", 1, 0, BIG, &g->start) < 0 ||
                yt_get_int(d, r, "a region", "end", 1, 1, BIG, &g->end) < 0)
                return -1;
            if (g->end <= g->start)
                return hw_fail("%s:%d: region '%s': end (%lld) must be larger than start (%lld)",
                               d->name, r->line, name, (long long)g->end, (long long)g->start);
            if (!name[0] || strlen(name) >= HW_NAME_CAP || strpbrk(name, " \t/") ||
                strlen(chrom) >= HW_NAME_CAP)
                return hw_fail("%s:%d: region name '%s' must be 1-%d characters without spaces or "
                               "'/'", d->name, r->line, name, HW_NAME_CAP - 1);
            for (int k = 0; k < i; k++)
                if (!strcmp(b->regions[k].name, name))
                    return hw_fail("%s:%d: region '%s' listed twice", d->name, r->line, name);
            snprintf(g->name, HW_NAME_CAP, "%s", name);
            snprintf(g->chrom, HW_NAME_CAP, "%s", chrom);
        }
    }
    return 0;
}

static int load_tree(hw_sim_config *cfg, const yt_doc *d) {
    const yt_node *root = d->root;
    if (yt_expect_map(d, root, "the simulate config") < 0) return -1;
    static const char *const top[] = {
        "genome", "resolution", "coarser_resolutions", "max_distance", "decay", "compartments",
        "domains", "loops", "stripes", "locus_sd", "conditions", "replicates", "depth", "noise",
        "changes", "genome_wide", "seed", "output", "balance", "background", NULL};
    if (yt_check_keys(d, root, "the simulate config", top) < 0) return -1;
    if (load_genome(cfg, d, root) < 0) return -1;

    const char *W = "the simulate config";
    if (get_i32(d, root, W, "resolution", 100, 10000000, &cfg->resolution) < 0) return -1;
    const yt_node *cr = yt_get(root, "coarser_resolutions");
    if (cr) {
        if (yt_expect_seq(d, cr, "coarser_resolutions") < 0) return -1;
        int32_t *list = xmalloc(((size_t)cr->n + 1) * sizeof *list);
        for (int i = 0; i < cr->n; i++) {
            int64_t v;
            if (yt_node_int(d, cr->vals[i], "a coarser resolution", 100, 100000000, &v) < 0) {
                free(list);
                return -1;
            }
            list[i] = (int32_t)v;
        }
        free(cfg->coarser);
        cfg->coarser = list;
        cfg->ncoarser = cr->n;
    }
    if (yt_get_int(d, root, W, "max_distance", 0, 1, BIG, &cfg->max_distance) < 0) return -1;

    const yt_node *m;
    static const char *const decay_k[] = {"exponent", NULL};
    if (sub_map(d, root, "decay", decay_k, &m) < 0) return -1;
    if (m && yt_get_double(d, m, "decay", "exponent", 0, 0.0, 3.0, &cfg->decay_exponent) < 0)
        return -1;
    static const char *const comp_k[] = {"strength", "mean_size", NULL};
    if (sub_map(d, root, "compartments", comp_k, &m) < 0) return -1;
    if (m && (yt_get_double(d, m, "compartments", "strength", 0, 0.0, 3.0, &cfg->comp_strength) < 0 ||
              yt_get_int(d, m, "compartments", "mean_size", 0, 1, BIG, &cfg->comp_mean_size) < 0))
        return -1;
    static const char *const dom_k[] = {"min_size", "max_size", "strength", "nested_fraction", NULL};
    if (sub_map(d, root, "domains", dom_k, &m) < 0) return -1;
    if (m && (yt_get_int(d, m, "domains", "min_size", 0, 1, BIG, &cfg->tad_min) < 0 ||
              yt_get_int(d, m, "domains", "max_size", 0, 1, BIG, &cfg->tad_max) < 0 ||
              yt_get_double(d, m, "domains", "strength", 0, 0.0, 100.0, &cfg->tad_strength) < 0 ||
              yt_get_double(d, m, "domains", "nested_fraction", 0, 0.0, 1.0, &cfg->tad_nested) < 0))
        return -1;
    static const char *const loop_k[] = {"fraction", "strength", "width", NULL};
    if (sub_map(d, root, "loops", loop_k, &m) < 0) return -1;
    if (m && (yt_get_double(d, m, "loops", "fraction", 0, 0.0, 1.0, &cfg->loop_fraction) < 0 ||
              yt_get_double(d, m, "loops", "strength", 0, 0.0, 1000.0, &cfg->loop_strength) < 0 ||
              yt_get_double(d, m, "loops", "width", 0, 0.1, 10.0, &cfg->loop_width) < 0))
        return -1;
    static const char *const stripe_k[] = {"fraction", "strength", NULL};
    if (sub_map(d, root, "stripes", stripe_k, &m) < 0) return -1;
    if (m && (yt_get_double(d, m, "stripes", "fraction", 0, 0.0, 1.0, &cfg->stripe_fraction) < 0 ||
              yt_get_double(d, m, "stripes", "strength", 0, 0.0, 100.0, &cfg->stripe_strength) < 0))
        return -1;
    if (yt_get_double(d, root, W, "locus_sd", 0, 0.0, 2.0, &cfg->locus_sd) < 0) return -1;

    const char **names = NULL;
    int n = 0;
    if (yt_get_str_list(d, root, W, "conditions", 0, &names, &n) < 0) return -1;
    if (names) {
        int line = yt_get(root, "conditions")->line;
        int bad = n != 2 || strcmp(names[0], names[1]) == 0;
        for (int i = 0; i < n && !bad; i++)
            bad = !names[i][0] || strpbrk(names[i], " \t/_") != NULL;
        if (bad) {
            free(names);
            return hw_fail("%s:%d: conditions must be two different names without spaces, '/' or "
                           "'_' (e.g. [control, treatment])", d->name, line);
        }
        set_str(&cfg->conditions[0], names[0]);
        set_str(&cfg->conditions[1], names[1]);
        free(names);
    }
    if (get_int(d, root, W, "replicates", 1, 64, &cfg->replicates) < 0) return -1;

    static const char *const depth_k[] = {"contacts_per_mb", "total", NULL};
    if (sub_map(d, root, "depth", depth_k, &m) < 0) return -1;
    if (m && (yt_get_double(d, m, "depth", "contacts_per_mb", 0, 1.0, 1e12, &cfg->contacts_per_mb) < 0 ||
              yt_get_double(d, m, "depth", "total", 0, 0.0, 1e15, &cfg->total_contacts) < 0))
        return -1;
    static const char *const noise_k[] = {"depth_cv", "slope_sd", "bias_sd", "shared_bias_sd",
                                          "dropout", "biological_sd", "pixel_sd", "dispersion",
                                          NULL};
    if (sub_map(d, root, "noise", noise_k, &m) < 0) return -1;
    if (m && (yt_get_double(d, m, "noise", "depth_cv", 0, 0.0, 2.0, &cfg->depth_cv) < 0 ||
              yt_get_double(d, m, "noise", "slope_sd", 0, 0.0, 1.0, &cfg->slope_sd) < 0 ||
              yt_get_double(d, m, "noise", "bias_sd", 0, 0.0, 2.0, &cfg->bias_sd) < 0 ||
              yt_get_double(d, m, "noise", "shared_bias_sd", 0, 0.0, 2.0, &cfg->shared_bias_sd) < 0 ||
              yt_get_double(d, m, "noise", "dropout", 0, 0.0, 0.5, &cfg->dropout) < 0 ||
              yt_get_double(d, m, "noise", "biological_sd", 0, 0.0, 2.0, &cfg->bio_sd) < 0 ||
              yt_get_double(d, m, "noise", "pixel_sd", 0, 0.0, 2.0, &cfg->pixel_sd) < 0 ||
              yt_get_double(d, m, "noise", "dispersion", 0, 0.0, 10.0, &cfg->dispersion) < 0))
        return -1;
    if (load_background(cfg, d, root) < 0) return -1;

    const yt_node *ch = yt_get(root, "changes");
    if (ch && load_changes(cfg, d, ch) < 0) return -1;
    static const char *const gw_k[] = {"kind", "strength", "spread", NULL};
    if (sub_map(d, root, "genome_wide", gw_k, &m) < 0) return -1;
    if (m) {
        const char *kind = NULL;
        if (yt_get_str(d, m, "genome_wide", "kind", 1, &kind) < 0) return -1;
        if (strcmp(kind, "ctcf") == 0) cfg->gw_kind = SIM_GW_CTCF;
        else if (strcmp(kind, "cohesin") == 0) cfg->gw_kind = SIM_GW_COHESIN;
        else
            return hw_fail("%s:%d: unknown genome_wide kind '%s' (expected ctcf or cohesin)",
                           d->name, yt_get(m, "kind")->line, kind);
        if (yt_get_double(d, m, "genome_wide", "strength", 0, 0.0, 1.0, &cfg->gw_strength) < 0 ||
            yt_get_double(d, m, "genome_wide", "spread", 0, 0.0, 1.0, &cfg->gw_spread) < 0)
            return -1;
        if (ch)
            return hw_fail("%s:%d: give either changes or genome_wide, not both", d->name, m->line);
    }
    int64_t seed = (int64_t)cfg->seed;
    if (yt_get_int(d, root, W, "seed", 0, 0, INT64_MAX, &seed) < 0) return -1;
    cfg->seed = (uint64_t)seed;
    const char *out = NULL;
    if (yt_get_str(d, root, W, "output", 0, &out) < 0) return -1;
    if (out) set_str(&cfg->output, out);

    static const char *const bal_k[] = {"ignore_diags", "mad_max", "min_nnz", "tol", "max_iters", NULL};
    if (sub_map(d, root, "balance", bal_k, &m) < 0) return -1;
    if (m && (get_int(d, m, "balance", "ignore_diags", 0, 100, &cfg->balance.ignore_diags) < 0 ||
              yt_get_double(d, m, "balance", "mad_max", 0, 0.0, 100.0, &cfg->balance.mad_max) < 0 ||
              get_int(d, m, "balance", "min_nnz", 0, 1000000, &cfg->balance.min_nnz) < 0 ||
              yt_get_double(d, m, "balance", "tol", 0, 1e-15, 1.0, &cfg->balance.tol) < 0 ||
              get_int(d, m, "balance", "max_iters", 1, 100000, &cfg->balance.max_iters) < 0))
        return -1;
    return 0;
}

static int load_doc(hw_sim_config *cfg, yt_doc *d, const char *name) {
    if (!d) return -1;
    set_str(&cfg->source, name);
    int rc = load_tree(cfg, d);
    yt_free(d);
    return rc;
}

int hw_sim_config_load(hw_sim_config *cfg, const char *path) {
    return load_doc(cfg, yt_load_file(path), path);
}

int hw_sim_config_load_string(hw_sim_config *cfg, const char *text, const char *name) {
    return load_doc(cfg, yt_load_string(text, name), name);
}

/* ---- validation ------------------------------------------------------------------ */

/* Defaults per 50 Mb of genome (at least one of each): enough sites to
 * measure, few enough that the changed domains stay a minority. */
static void default_changes(hw_sim_config *cfg) {
    if (cfg->bg.file) {
        /* a background: one boundary loss and one loop loss per 20 Mb with
         * data, which touches about a fifth of the 224-bin windows */
        long count = lround((double)cfg->bg.data_bp / 20e6);
        free(cfg->changes);
        cfg->changes = xcalloc(2, sizeof *cfg->changes);
        cfg->nchanges = 2;
        cfg->changes[0] = (sim_change_spec){SIM_BOUNDARY_LOSS, count > 0 ? (int)count : 1, 1.0, 2000000};
        cfg->changes[1] = (sim_change_spec){SIM_LOOP_LOSS, count > 0 ? (int)count : 1, 1.0, 2000000};
        return;
    }
    double units = (double)hw_sim_genome_length(cfg) / 50e6;
    static const struct { sim_change_kind k; int per; double s; } def[] = {
        {SIM_LOOP_LOSS, 8, 1.0}, {SIM_BOUNDARY_LOSS, 4, 1.0},
        {SIM_DOMAIN_WEAKENING, 2, 0.7}, {SIM_COMPARTMENT_SHIFT, 1, 1.0}};
    free(cfg->changes);
    cfg->changes = xcalloc(4, sizeof *cfg->changes);
    cfg->nchanges = 4;
    for (int i = 0; i < 4; i++)
    {
        long count = lround(def[i].per * units);
        cfg->changes[i] = (sim_change_spec){def[i].k, count > 0 ? (int)count : 1, def[i].s, 2000000};
    }
}

int hw_sim_config_validate(hw_sim_config *cfg) {
    const char *src = cfg->source && cfg->source[0] ? cfg->source : "simulate config";
    const int bg = cfg->bg.file != NULL;
    /* The background file gives the genome (chromosomes or regions of it). */
    if (bg && !cfg->bg.offset && sim_bg_resolve(cfg) < 0) return -1;
    if (!cfg->changes_given && cfg->gw_kind == SIM_GW_NONE && !cfg->changes) default_changes(cfg);
    int32_t res = cfg->resolution;
    for (int i = 0; i < cfg->nchroms; i++) {
        const hw_chrom *c = &cfg->chroms[i];
        if ((!bg && c->length < cfg->tad_max) || c->length < 20LL * res)
            return hw_fail("%s: chromosome %s (%lld bp) is shorter than domains.max_size (%lld) "
                           "or 20 bins", src, c->name, (long long)c->length, (long long)cfg->tad_max);
    }
    for (int i = 0; i < cfg->ncoarser; i++) {
        int32_t r = cfg->coarser[i];
        if (r <= res || r % res != 0)
            return hw_fail("%s: coarser resolution %d is not a multiple of resolution %d larger "
                           "than it", src, r, res);
        if (i > 0 && r <= cfg->coarser[i - 1])
            return hw_fail("%s: coarser_resolutions must be ascending without repeats", src);
    }
    if (cfg->max_distance < 10LL * res)
        return hw_fail("%s: max_distance (%lld) must be at least 10 bins (%lld)", src,
                       (long long)cfg->max_distance, 10LL * res);
    if (cfg->max_distance / res > 60000)
        return hw_fail("%s: max_distance (%lld) is more than 60000 bins of %d bp", src,
                       (long long)cfg->max_distance, res);
    if (cfg->tad_min < 3LL * res)
        return hw_fail("%s: domains.min_size (%lld) must be at least 3 bins (%lld)", src,
                       (long long)cfg->tad_min, 3LL * res);
    if (cfg->tad_min > cfg->tad_max)
        return hw_fail("%s: domains.min_size (%lld) is larger than domains.max_size (%lld)", src,
                       (long long)cfg->tad_min, (long long)cfg->tad_max);
    if (!bg && cfg->tad_max > cfg->max_distance)
        return hw_fail("%s: domains.max_size (%lld) is larger than max_distance (%lld): domain "
                       "corners and loops would fall outside the simulated band", src,
                       (long long)cfg->tad_max, (long long)cfg->max_distance);
    if (cfg->comp_mean_size < cfg->tad_min)
        return hw_fail("%s: compartments.mean_size (%lld) is smaller than domains.min_size (%lld)",
                       src, (long long)cfg->comp_mean_size, (long long)cfg->tad_min);
    for (int i = 0; i < cfg->nchanges; i++) {
        const sim_change_spec *c = &cfg->changes[i];
        if (bg && c->kind == SIM_COMPARTMENT_SHIFT && c->count > 0)
            return hw_fail("%s: compartment_shift is not available with a background (its "
                           "compartments are not modelled)", src);
        if (!bg && c->kind == SIM_DOMAIN_WEAKENING && c->size < cfg->tad_min)
            return hw_fail("%s: domain_weakening size (%lld) is smaller than domains.min_size "
                           "(%lld)", src, (long long)c->size, (long long)cfg->tad_min);
    }
    if (cfg->changes_given && cfg->gw_kind != SIM_GW_NONE)
        return hw_fail("%s: give either changes or genome_wide, not both", src);
    if (!cfg->output || !cfg->output[0])
        return hw_fail("%s: no output directory (give --out DIR or output: in the config)", src);
    return 0;
}

void hw_sim_config_make_null(hw_sim_config *cfg) {
    for (int i = 0; i < cfg->nchanges; i++) cfg->changes[i].strength = 0;
    cfg->gw_strength = 0;
    cfg->gw_spread = 0;
}

/* ---- emission --------------------------------------------------------------------- */

char *hw_sim_config_to_yaml(const hw_sim_config *cfg) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "# resolved simulate config (hitwin simulate --config reads it back)\n");
    if (cfg->bg.file) {
        const sim_background *b = &cfg->bg;
        fprintf(f, "# genome: the background's (");
        for (int i = 0; i < cfg->nchroms; i++)
            fprintf(f, "%s%s %lld", i ? ", " : "", cfg->chroms[i].name,
                    (long long)cfg->chroms[i].length);
        fprintf(f, ")\nbackground:\n  file: \"%s\"\n  resolution: %d\n  norm: \"%s\"\n",
                b->file, b->resolution ? b->resolution : cfg->resolution, b->norm);
        if (b->nchroms) {
            fprintf(f, "  chromosomes: [");
            for (int i = 0; i < b->nchroms; i++) fprintf(f, "%s\"%s\"", i ? ", " : "", b->chroms[i]);
            fprintf(f, "]\n");
        }
        if (b->nregions) {
            fprintf(f, "  regions:\n");
            for (int i = 0; i < b->nregions; i++)
                fprintf(f, "    - {name: \"%s\", chrom: \"%s\", start: %lld, end: %lld}\n",
                        b->regions[i].name, b->regions[i].chrom, (long long)b->regions[i].start,
                        (long long)b->regions[i].end);
        }
        fprintf(f, "  smooth_scale: %.17g\n  insulation_window: %d\n  boundary_prominence: %.17g\n"
                   "  loop_enrichment: %.17g\n  loop_min_distance: %d\n",
                b->smooth_scale, b->insulation_window, b->boundary_prominence, b->loop_enrichment,
                b->loop_min_distance);
    } else {
        fprintf(f, "genome:\n  assembly: \"%s\"\n  chromosomes:\n", cfg->assembly);
        for (int i = 0; i < cfg->nchroms; i++)
            fprintf(f, "    - {name: \"%s\", length: %lld}\n", cfg->chroms[i].name,
                    (long long)cfg->chroms[i].length);
    }
    fprintf(f, "resolution: %d\ncoarser_resolutions: [", cfg->resolution);
    for (int i = 0; i < cfg->ncoarser; i++) fprintf(f, "%s%d", i ? ", " : "", cfg->coarser[i]);
    fprintf(f, "]\nmax_distance: %lld\n", (long long)cfg->max_distance);
    fprintf(f, "decay: {exponent: %.17g}\n", cfg->decay_exponent);
    fprintf(f, "compartments: {strength: %.17g, mean_size: %lld}\n", cfg->comp_strength,
            (long long)cfg->comp_mean_size);
    fprintf(f, "domains: {min_size: %lld, max_size: %lld, strength: %.17g, nested_fraction: %.17g}\n",
            (long long)cfg->tad_min, (long long)cfg->tad_max, cfg->tad_strength, cfg->tad_nested);
    fprintf(f, "loops: {fraction: %.17g, strength: %.17g, width: %.17g}\n", cfg->loop_fraction,
            cfg->loop_strength, cfg->loop_width);
    fprintf(f, "stripes: {fraction: %.17g, strength: %.17g}\n", cfg->stripe_fraction,
            cfg->stripe_strength);
    fprintf(f, "locus_sd: %.17g\n", cfg->locus_sd);
    fprintf(f, "conditions: [%s, %s]\nreplicates: %d\n", cfg->conditions[0], cfg->conditions[1],
            cfg->replicates);
    fprintf(f, "depth: {contacts_per_mb: %.17g, total: %.17g}\n", cfg->contacts_per_mb,
            cfg->total_contacts);
    fprintf(f, "noise: {depth_cv: %.17g, slope_sd: %.17g, bias_sd: %.17g, shared_bias_sd: %.17g, "
               "dropout: %.17g, biological_sd: %.17g, pixel_sd: %.17g, dispersion: %.17g}\n",
            cfg->depth_cv, cfg->slope_sd, cfg->bias_sd, cfg->shared_bias_sd, cfg->dropout,
            cfg->bio_sd, cfg->pixel_sd, cfg->dispersion);
    if (cfg->gw_kind != SIM_GW_NONE) {
        fprintf(f, "genome_wide: {kind: %s, strength: %.17g, spread: %.17g}\n",
                gw_names[cfg->gw_kind], cfg->gw_strength, cfg->gw_spread);
    } else {
        fprintf(f, "changes:%s\n", cfg->nchanges ? "" : " []");
        for (int i = 0; i < cfg->nchanges; i++) {
            const sim_change_spec *c = &cfg->changes[i];
            fprintf(f, "  - {kind: %s, count: %d, strength: %.17g", kind_names[c->kind], c->count,
                    c->strength);
            if (c->kind == SIM_DOMAIN_WEAKENING) fprintf(f, ", size: %lld", (long long)c->size);
            fprintf(f, "}\n");
        }
    }
    fprintf(f, "seed: %llu\noutput: \"%s\"\n", (unsigned long long)cfg->seed,
            cfg->output ? cfg->output : "");
    fprintf(f, "balance: {ignore_diags: %d, mad_max: %.17g, min_nnz: %d, tol: %.17g, max_iters: %d}\n",
            cfg->balance.ignore_diags, cfg->balance.mad_max, cfg->balance.min_nnz,
            cfg->balance.tol, cfg->balance.max_iters);
    fclose(f);
    return buf;
}

void hw_sim_config_free(hw_sim_config *cfg) {
    free(cfg->source);
    free(cfg->preset);
    free(cfg->assembly);
    free(cfg->chroms);
    free(cfg->coarser);
    free(cfg->conditions[0]);
    free(cfg->conditions[1]);
    free(cfg->changes);
    free(cfg->output);
    free_background(&cfg->bg);
    memset(cfg, 0, sizeof *cfg);
}
