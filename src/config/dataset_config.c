/* Loads and validates the dataset config (include/hitwin/dataset_config.h). */
#include "hitwin/dataset_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hitwin/cli_set.h"
#include "hitwin/error.h"
#include "hitwin/xalloc.h"
#include "hitwin/yaml_tree.h"

static const char *const top_keys[] = {"name", "resolution", "normalisation", "normalization",
                                       "type", "tile_size", "stride", "min_row_coverage", "split",
                                       "conditions", "samples", "output", "min_replicates",
                                       "compression", NULL};
static const char *const split_keys[] = {"test", "validation", "exclude", NULL};
static const char *const sample_keys[] = {"name", "path", "condition", "replicate",
                                          "normalisation", "normalization", NULL};

static char **dup_list(const char **src, int n) {
    char **out = xcalloc((size_t)n + 1, sizeof *out);
    for (int i = 0; i < n; i++) out[i] = xstrdup(src[i]);
    return out;
}

static void free_list(char **list, int n) {
    if (!list) return;
    for (int i = 0; i < n; i++) free(list[i]);
    free(list);
}

static int parse_type(const char *s, hw_value_type *t) {
    if (strcasecmp(s, "observed") == 0) *t = HW_OBSERVED;
    else if (strcasecmp(s, "oe") == 0) *t = HW_OE;
    else return -1;
    return 0;
}

static void set_defaults(hw_dataset_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->source = xstrdup("");
    cfg->name = xstrdup("dataset");
    cfg->resolution = 10000;
    cfg->norm = xstrdup("NONE");
    cfg->type = HW_OBSERVED;
    cfg->tile_size = 224;
    cfg->stride = 0; /* 0 = tile_size / 8, resolved in validate */
    cfg->min_row_coverage = 0.9;
    const char *test[] = {"chr2"}, *val[] = {"chr18"}, *excl[] = {"chrX", "chrY", "chrM"};
    cfg->test_chroms = dup_list(test, 1);
    cfg->n_test = 1;
    cfg->val_chroms = dup_list(val, 1);
    cfg->n_val = 1;
    cfg->exclude_chroms = dup_list(excl, 3);
    cfg->n_exclude = 3;
    cfg->output = xstrdup("tiles.h5");
    cfg->min_replicates = 2;
    cfg->compression = 1;
}

static int load_samples(const yt_doc *d, const yt_node *seq, hw_dataset_config *cfg) {
    if (yt_expect_seq(d, seq, "'samples'") != 0) return -1;
    cfg->samples = xcalloc((size_t)seq->n + 1, sizeof *cfg->samples);
    for (int i = 0; i < seq->n; i++) {
        const yt_node *m = seq->vals[i];
        char what[64];
        snprintf(what, sizeof what, "sample %d", i + 1);
        if (yt_expect_map(d, m, what) != 0 || yt_check_keys(d, m, what, sample_keys) != 0) return -1;
        const char *name = NULL, *path = NULL, *cond = NULL, *rep = NULL, *norm = NULL;
        if (yt_get_str(d, m, what, "path", 1, &path) != 0) return -1;
        if (yt_get_str(d, m, what, "condition", 1, &cond) != 0) return -1;
        if (yt_get_str(d, m, what, "replicate", 1, &rep) != 0) return -1;
        if (yt_get_str(d, m, what, "name", 0, &name) != 0) return -1;
        if (yt_get_str(d, m, what, "normalisation", 0, &norm) != 0) return -1;
        if (!norm && yt_get_str(d, m, what, "normalization", 0, &norm) != 0) return -1;
        hw_sample *s = &cfg->samples[cfg->n_samples++];
        char autoname[256];
        if (!name) {
            snprintf(autoname, sizeof autoname, "%s_%s", cond, rep);
            name = autoname;
        }
        s->name = xstrdup(name);
        s->path = yt_resolve_path(d->name, path);
        s->condition = xstrdup(cond);
        s->replicate = xstrdup(rep);
        s->norm = norm ? xstrdup(norm) : NULL;
    }
    return 0;
}

/* Assign class ids from the conditions list, or from order of first use. */
static int assign_classes(hw_dataset_config *cfg, const char *where) {
    if (cfg->n_conditions == 0) {
        cfg->conditions = xcalloc((size_t)cfg->n_samples + 1, sizeof *cfg->conditions);
        for (int i = 0; i < cfg->n_samples; i++) {
            int seen = 0;
            for (int c = 0; c < cfg->n_conditions; c++)
                seen |= strcmp(cfg->conditions[c], cfg->samples[i].condition) == 0;
            if (!seen) cfg->conditions[cfg->n_conditions++] = xstrdup(cfg->samples[i].condition);
        }
    }
    for (int i = 0; i < cfg->n_samples; i++) {
        cfg->samples[i].class_id = -1;
        for (int c = 0; c < cfg->n_conditions; c++)
            if (strcmp(cfg->conditions[c], cfg->samples[i].condition) == 0) cfg->samples[i].class_id = c;
        if (cfg->samples[i].class_id < 0)
            return hw_fail("%s: sample '%s' has condition '%s', which is not in conditions", where,
                           cfg->samples[i].name, cfg->samples[i].condition);
    }
    return 0;
}

int hw_dataset_config_load(const char *path, hw_dataset_config *cfg) {
    set_defaults(cfg);
    free(cfg->source);
    cfg->source = xstrdup(path);
    yt_doc *d = yt_load_file(path);
    if (!d) return -1;
    const yt_node *r = d->root;
    int rc = -1;
    const char *what = "dataset config";
    if (yt_expect_map(d, r, what) != 0 || yt_check_keys(d, r, what, top_keys) != 0) goto done;

    const char *s = NULL;
    int64_t v = 0;
    if (yt_get_str(d, r, what, "name", 0, &s) != 0) goto done;
    if (s) free(cfg->name), cfg->name = xstrdup(s);
    v = cfg->resolution;
    if (yt_get_int(d, r, what, "resolution", 1, 1, 100000000, &v) != 0) goto done;
    cfg->resolution = (int32_t)v;
    s = NULL;
    if (yt_get_str(d, r, what, "normalisation", 0, &s) != 0) goto done;
    if (!s && yt_get_str(d, r, what, "normalization", 0, &s) != 0) goto done;
    if (s) free(cfg->norm), cfg->norm = xstrdup(s);
    s = NULL;
    if (yt_get_str(d, r, what, "type", 0, &s) != 0) goto done;
    if (s && parse_type(s, &cfg->type) != 0) {
        hw_fail("%s:%d: 'type' must be observed or oe, got '%s'", path, yt_get(r, "type")->line, s);
        goto done;
    }
    v = cfg->tile_size;
    if (yt_get_int(d, r, what, "tile_size", 0, 8, 4096, &v) != 0) goto done;
    cfg->tile_size = (int32_t)v;
    v = 0;
    if (yt_get_int(d, r, what, "stride", 0, 1, 4096, &v) != 0) goto done;
    cfg->stride = (int32_t)v;
    if (yt_get_double(d, r, what, "min_row_coverage", 0, 0.0, 1.0, &cfg->min_row_coverage) != 0)
        goto done;
    v = cfg->min_replicates;
    if (yt_get_int(d, r, what, "min_replicates", 0, 1, 1000, &v) != 0) goto done;
    cfg->min_replicates = (int)v;
    v = cfg->compression;
    if (yt_get_int(d, r, what, "compression", 0, 0, 9, &v) != 0) goto done;
    cfg->compression = (int)v;
    if (yt_get_str(d, r, what, "output", 0, &s) != 0) goto done;
    if (yt_get(r, "output")) free(cfg->output), cfg->output = yt_resolve_path(path, s);

    const yt_node *split = yt_get(r, "split");
    if (split) {
        if (yt_expect_map(d, split, "'split'") != 0 ||
            yt_check_keys(d, split, "split", split_keys) != 0)
            goto done;
        const char **list;
        int n;
        struct { const char *key; char ***dst; int *n; } fields[] = {
            {"test", &cfg->test_chroms, &cfg->n_test},
            {"validation", &cfg->val_chroms, &cfg->n_val},
            {"exclude", &cfg->exclude_chroms, &cfg->n_exclude}};
        for (int k = 0; k < 3; k++) {
            const yt_node *node = yt_get(split, fields[k].key);
            if (!node) continue;
            if (node->kind == YT_SEQ && node->n == 0) { /* an explicit empty list */
                free_list(*fields[k].dst, *fields[k].n);
                *fields[k].dst = xcalloc(1, sizeof(char *));
                *fields[k].n = 0;
                continue;
            }
            if (yt_get_str_list(d, split, "split", fields[k].key, 0, &list, &n) != 0) goto done;
            free_list(*fields[k].dst, *fields[k].n);
            *fields[k].dst = dup_list(list, n);
            *fields[k].n = n;
            free(list);
        }
    }
    if (yt_get(r, "conditions")) {
        const char **list;
        int n;
        if (yt_get_str_list(d, r, what, "conditions", 0, &list, &n) != 0) goto done;
        cfg->conditions = dup_list(list, n);
        cfg->n_conditions = n;
        free(list);
    }
    const yt_node *samples = yt_get(r, "samples");
    if (!samples) {
        hw_fail("%s:%d: missing required key 'samples' in dataset config", path, r->line);
        goto done;
    }
    if (load_samples(d, samples, cfg) != 0) goto done;
    if (assign_classes(cfg, path) != 0) goto done;
    rc = hw_dataset_config_validate(cfg);
done:
    yt_free(d);
    return rc;
}

int hw_dataset_config_validate(const hw_dataset_config *cfg) {
    const char *src = cfg->source && cfg->source[0] ? cfg->source : "config";
    if (cfg->stride < 0 || cfg->stride > cfg->tile_size)
        return hw_fail("%s: stride %d must be between 1 and tile_size %d", src, cfg->stride,
                       cfg->tile_size);
    if (cfg->n_samples == 0) return hw_fail("%s: no samples", src);
    for (int i = 0; i < cfg->n_samples; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(cfg->samples[i].name, cfg->samples[j].name) == 0)
                return hw_fail("%s: sample name '%s' is used twice", src, cfg->samples[i].name);
    for (int c = 0; c < cfg->n_conditions; c++)
        for (int k = 0; k < c; k++)
            if (strcmp(cfg->conditions[c], cfg->conditions[k]) == 0)
                return hw_fail("%s: condition '%s' is listed twice in 'conditions'", src,
                               cfg->conditions[c]);
    for (int c = 0; c < cfg->n_conditions; c++) {
        int n = 0;
        for (int i = 0; i < cfg->n_samples; i++) n += cfg->samples[i].class_id == c;
        if (n < cfg->min_replicates)
            return hw_fail("%s: condition '%s' has %d replicate%s, at least %d needed", src,
                           cfg->conditions[c], n, n == 1 ? "" : "s", cfg->min_replicates);
    }
    if (cfg->n_conditions < 1) return hw_fail("%s: no conditions", src);
    return 0;
}

/* "a,b,c" -> list */
static char **split_commas(const char *val, int *n) {
    char *copy = xstrdup(val);
    int cap = 1;
    for (const char *p = val; *p; p++) cap += *p == ',';
    char **out = xcalloc((size_t)cap + 1, sizeof *out);
    *n = 0;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) out[(*n)++] = xstrdup(tok);
    free(copy);
    return out;
}

int hw_dataset_config_set(hw_dataset_config *cfg, const char *assignment) {
    char key[64];
    const char *val;
    if (hw_set_split(assignment, key, sizeof key, &val) != 0) return -1;
    int64_t v = 0;
    if (!strcmp(key, "resolution")) {
        if (hw_set_int(key, val, 1, 100000000, &v)) return -1;
        cfg->resolution = (int32_t)v;
    } else if (!strcmp(key, "tile_size")) {
        if (hw_set_int(key, val, 8, 4096, &v)) return -1;
        cfg->tile_size = (int32_t)v;
    } else if (!strcmp(key, "stride")) {
        if (hw_set_int(key, val, 1, 4096, &v)) return -1;
        cfg->stride = (int32_t)v;
    } else if (!strcmp(key, "min_replicates")) {
        if (hw_set_int(key, val, 1, 1000, &v)) return -1;
        cfg->min_replicates = (int)v;
    } else if (!strcmp(key, "compression")) {
        if (hw_set_int(key, val, 0, 9, &v)) return -1;
        cfg->compression = (int)v;
    } else if (!strcmp(key, "min_row_coverage")) {
        if (hw_set_double(key, val, 0.0, 1.0, &cfg->min_row_coverage)) return -1;
    } else if (!strcmp(key, "normalisation") || !strcmp(key, "normalization")) {
        free(cfg->norm);
        cfg->norm = xstrdup(val);
    } else if (!strcmp(key, "type")) {
        if (parse_type(val, &cfg->type) != 0)
            return hw_fail("--set type: must be observed or oe, got '%s'", val);
    } else if (!strcmp(key, "output")) {
        free(cfg->output);
        cfg->output = xstrdup(val);
    } else if (!strcmp(key, "name")) {
        free(cfg->name);
        cfg->name = xstrdup(val);
    } else if (!strcmp(key, "split.test") || !strcmp(key, "split.validation") ||
               !strcmp(key, "split.exclude")) {
        char ***dst = !strcmp(key, "split.test") ? &cfg->test_chroms
                      : !strcmp(key, "split.validation") ? &cfg->val_chroms : &cfg->exclude_chroms;
        int *n = dst == &cfg->test_chroms ? &cfg->n_test
                 : dst == &cfg->val_chroms ? &cfg->n_val : &cfg->n_exclude;
        free_list(*dst, *n);
        *dst = split_commas(val, n);
    } else {
        return hw_fail("--set: unknown key '%s' (expected one of: name, resolution, normalisation, "
                       "type, tile_size, stride, min_row_coverage, min_replicates, compression, output, "
                       "split.test, split.validation, split.exclude)", key);
    }
    return 0;
}

hw_split hw_dataset_split_of(const hw_dataset_config *cfg, const char *chrom) {
    for (int i = 0; i < cfg->n_exclude; i++)
        if (hw_chrom_names_match(cfg->exclude_chroms[i], chrom)) return HW_SPLIT_EXCLUDED;
    for (int i = 0; i < cfg->n_test; i++)
        if (hw_chrom_names_match(cfg->test_chroms[i], chrom)) return HW_SPLIT_TEST;
    for (int i = 0; i < cfg->n_val; i++)
        if (hw_chrom_names_match(cfg->val_chroms[i], chrom)) return HW_SPLIT_VAL;
    return HW_SPLIT_TRAIN;
}

const char *hw_split_name(hw_split s) {
    switch (s) {
    case HW_SPLIT_TRAIN: return "train";
    case HW_SPLIT_VAL: return "validation";
    case HW_SPLIT_TEST: return "test";
    default: return "excluded";
    }
}

/* ---- provenance ------------------------------------------------------------ */

typedef struct {
    char *buf;
    size_t len, cap;
} text;

static void add(text *t, const char *fmt, ...) HW_PRINTF(2, 3);
static void add(text *t, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        hw_grow(&t->buf, &t->cap, t->len + (size_t)(n > 0 ? n : 64) + 256);
    }
}

static void add_list(text *t, const char *key, char **list, int n) {
    add(t, "  %s: [", key);
    for (int i = 0; i < n; i++) add(t, "%s\"%s\"", i ? ", " : "", list[i]);
    add(t, "]\n");
}

char *hw_dataset_config_to_yaml(const hw_dataset_config *cfg) {
    text t = {0};
    hw_grow(&t.buf, &t.cap, 1024);
    t.buf[0] = '\0';
    add(&t, "name: \"%s\"\nresolution: %d\nnormalisation: \"%s\"\ntype: %s\n", cfg->name,
        cfg->resolution, cfg->norm, cfg->type == HW_OE ? "oe" : "observed");
    add(&t, "tile_size: %d\nstride: %d\nmin_row_coverage: %.17g\nmin_replicates: %d\ncompression: %d\n",
        cfg->tile_size, cfg->stride ? cfg->stride : cfg->tile_size / 8, cfg->min_row_coverage,
        cfg->min_replicates, cfg->compression);
    add(&t, "split:\n");
    add_list(&t, "test", cfg->test_chroms, cfg->n_test);
    add_list(&t, "validation", cfg->val_chroms, cfg->n_val);
    add_list(&t, "exclude", cfg->exclude_chroms, cfg->n_exclude);
    add(&t, "conditions: [");
    for (int c = 0; c < cfg->n_conditions; c++) add(&t, "%s\"%s\"", c ? ", " : "", cfg->conditions[c]);
    add(&t, "]\nsamples:\n");
    for (int i = 0; i < cfg->n_samples; i++) {
        const hw_sample *s = &cfg->samples[i];
        add(&t, "  - name: \"%s\"\n    path: \"%s\"\n    condition: \"%s\"\n    replicate: \"%s\"\n",
            s->name, s->path, s->condition, s->replicate);
        if (s->norm) add(&t, "    normalisation: \"%s\"\n", s->norm);
    }
    add(&t, "output: \"%s\"\n", cfg->output);
    return t.buf;
}

void hw_dataset_config_free(hw_dataset_config *cfg) {
    free(cfg->source);
    free(cfg->name);
    free(cfg->norm);
    free_list(cfg->test_chroms, cfg->n_test);
    free_list(cfg->val_chroms, cfg->n_val);
    free_list(cfg->exclude_chroms, cfg->n_exclude);
    free_list(cfg->conditions, cfg->n_conditions);
    for (int i = 0; i < cfg->n_samples; i++) {
        hw_sample *s = &cfg->samples[i];
        free(s->name);
        free(s->path);
        free(s->condition);
        free(s->replicate);
        free(s->norm);
    }
    free(cfg->samples);
    free(cfg->output);
    memset(cfg, 0, sizeof *cfg);
}
