/* The text outputs of a simulation: truth (BED or bedGraph), the dataset
 * config for `hitwin tile`, the resolved simulate config. Rank 0 writes them,
 * each to a temporary name renamed when complete. */
#include "hitwin/sim_outputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/xalloc.h"

int sim_write_text(const char *dir, const char *name, const char *text) {
    char path[4096], tmp[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    FILE *f = fopen(tmp, "w");
    if (!f) return hw_fail("%s: cannot create: %s", tmp, strerror(errno));
    size_t n = strlen(text);
    int bad = fwrite(text, 1, n, f) != n;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return hw_fail("%s: cannot write: %s", path, strerror(errno));
    }
    return 0;
}

char *sim_truth_text(const hw_sim_config *cfg, const sim_genome *g) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (g->gw_mag) {
        fprintf(f, "track type=bedGraph name=\"%s\" description=\"hitwin simulate: %s depletion, "
                   "change magnitude per domain (0 = unchanged, 1 = lost)\"\n",
                cfg->gw_kind == SIM_GW_CTCF ? "ctcf" : "cohesin",
                cfg->gw_kind == SIM_GW_CTCF ? "CTCF" : "cohesin");
        for (int k = 0; k < g->nchroms; k++) {
            const sim_chrom *c = &g->chroms[k];
            for (int t = 0; t < c->ntops; t++) {
                int64_t s = c->tops[t].lo * cfg->resolution, e = c->tops[t].hi * cfg->resolution;
                if (e > cfg->chroms[k].length) e = cfg->chroms[k].length;
                fprintf(f, "%s\t%lld\t%lld\t%.6g\n", cfg->chroms[k].name, (long long)s,
                        (long long)e, g->gw_mag[k][t]);
            }
        }
    } else {
        fprintf(f, "#chrom\tstart\tend\tkind\tstrength\n");
        for (int i = 0; i < g->nsites; i++) {
            const sim_site *s = &g->sites[i];
            fprintf(f, "%s\t%lld\t%lld\t%s\t%.6g\n", cfg->chroms[s->chrom].name,
                    (long long)s->start, (long long)s->end, sim_change_kind_name(s->kind),
                    s->strength);
        }
    }
    fclose(f);
    return buf;
}

void sim_sample_name(const hw_sim_config *cfg, int cond, int rep, char *out, size_t cap) {
    snprintf(out, cap, "%s_R%d", cfg->conditions[cond], rep + 1);
}

static int has_chrom(const hw_sim_config *cfg, const char *name) {
    for (int k = 0; k < cfg->nchroms; k++)
        if (strcmp(cfg->chroms[k].name, name) == 0) return 1;
    return 0;
}

char *sim_dataset_text(const hw_sim_config *cfg) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "# Written by hitwin simulate: `hitwin tile dataset.yaml` takes it as it is.\n"
               "# Paths are relative to this file.\n");
    fprintf(f, "name: sim-%s\nresolution: %d\nnormalisation: NONE\ntype: observed\n", cfg->preset,
            cfg->resolution);
    /* The tile stage's default split holds out chr2 (test) and chr18
     * (validation); name them explicitly, or pick the 2nd and 3rd chromosome
     * of a custom genome that has neither. */
    const char *test = has_chrom(cfg, "chr2") ? "chr2" : cfg->nchroms >= 3 ? cfg->chroms[1].name : NULL;
    const char *val = has_chrom(cfg, "chr18") ? "chr18" : cfg->nchroms >= 3 ? cfg->chroms[2].name : NULL;
    if (test && val && strcmp(test, val) != 0)
        fprintf(f, "split:\n  test: [%s]\n  validation: [%s]\n", test, val);
    fprintf(f, "conditions: [%s, %s]\nsamples:\n", cfg->conditions[0], cfg->conditions[1]);
    for (int c = 0; c < 2; c++)
        for (int r = 0; r < cfg->replicates; r++) {
            char name[256];
            sim_sample_name(cfg, c, r, name, sizeof name);
            fprintf(f, "  - {name: %s, path: %s.mcool, condition: %s, replicate: R%d}\n", name,
                    name, cfg->conditions[c], r + 1);
        }
    fprintf(f, "output: tiles.h5\n");
    fclose(f);
    return buf;
}
