/* The sweep file read, checked and expanded into grid points (sweep.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/train.h"
#include "hitwin/sweep.h"
#include "hitwin/xalloc.h"
#include "hitwin/yaml_tree.h"

#define MAX_POINTS 10000 /* a SLURM array's usual MaxArraySize */

/* one grid value of a point, before names are made */
typedef struct {
    const char *key, *value;
} kv;

typedef struct {
    kv *v;
    int n;
} raw_point;

static int res_load(const yt_doc *d, const yt_node *m, const char *what, hw_sweep_resources *r) {
    static const char *const keys[] = {"partition", "gpus", "cpus_per_task", "ntasks", "mem", "time", "account", NULL};
    if (yt_expect_map(d, m, what) || yt_check_keys(d, m, what, keys)) return -1;
    const char *s = NULL;
    int64_t v;
    if (yt_get_str(d, m, what, "partition", 0, &s)) return -1;
    if (s) r->partition = xstrdup(s), s = NULL;
    if (yt_get_str(d, m, what, "mem", 0, &s)) return -1;
    if (s) r->mem = xstrdup(s), s = NULL;
    if (yt_get_str(d, m, what, "time", 0, &s)) return -1;
    if (s) r->time = xstrdup(s), s = NULL;
    if (yt_get_str(d, m, what, "account", 0, &s)) return -1;
    if (s) r->account = xstrdup(s), s = NULL;
    v = r->gpus;
    if (yt_get_int(d, m, what, "gpus", 0, 0, 64, &v)) return -1;
    r->gpus = (int)v;
    v = r->cpus_per_task;
    if (yt_get_int(d, m, what, "cpus_per_task", 0, 1, 4096, &v)) return -1;
    r->cpus_per_task = (int)v;
    v = r->ntasks;
    if (yt_get_int(d, m, what, "ntasks", 0, 1, 100000, &v)) return -1;
    r->ntasks = (int)v;
    return 0;
}

static int has_space(const char *s) {
    for (; *s; s++)
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\'' || *s == '"' || *s == '\\') return 1;
    return 0;
}

/* one block of the grid: the product of its lists, the first key outermost */
static int expand_block(const yt_doc *d, const yt_node *m, raw_point **pts, int *n) {
    if (yt_expect_map(d, m, "grid")) return -1;
    if (m->n == 0) return hw_fail("%s:%d: the grid block names no key", d->name, m->line);
    int nk = m->n;
    const char ***vals = xcalloc((size_t)nk, sizeof *vals);
    int *nv = xcalloc((size_t)nk, sizeof *nv), rc = 0;
    long total = 1;
    for (int k = 0; k < nk && !rc; k++) {
        rc = yt_get_str_list(d, m, "grid", m->keys[k], 1, &vals[k], &nv[k]);
        if (!rc && nv[k] == 0) rc = hw_fail("%s:%d: grid key '%s' has no values", d->name, m->key_lines[k], m->keys[k]);
        for (int j = 0; !rc && j < nv[k]; j++)
            if (has_space(vals[k][j]) || has_space(m->keys[k]))
                rc = hw_fail("%s:%d: grid value '%s' of '%s' holds white space or quotes", d->name, m->key_lines[k],
                             vals[k][j], m->keys[k]);
        if (!rc) total *= nv[k];
        if (!rc && *n + total > MAX_POINTS)
            rc = hw_fail("%s:%d: the grid has more than %d points", d->name, m->line, MAX_POINTS);
    }
    for (long p = 0; p < total && !rc; p++) {
        raw_point rp = {xcalloc((size_t)nk, sizeof(kv)), nk};
        long rest = p;
        for (int k = nk - 1; k >= 0; k--) {
            rp.v[k].key = m->keys[k];
            rp.v[k].value = vals[k][rest % nv[k]];
            rest /= nv[k];
        }
        *pts = xrealloc(*pts, (size_t)(*n + 1) * sizeof **pts);
        (*pts)[(*n)++] = rp;
    }
    for (int k = 0; k < nk; k++) free(vals[k]);
    free(vals), free(nv);
    return rc;
}

/* the name shows the keys whose value differs somewhere in the sweep */
static void name_points(hw_sweep *s, const raw_point *pts) {
    int width = s->n_points > 1000 ? 4 : s->n_points > 100 ? 3 : 2;
    for (int i = 0; i < s->n_points; i++) {
        char *nm = s->points[i].name;
        size_t cap = sizeof s->points[i].name;
        snprintf(nm, cap, "p%0*d", width, i);
        for (int k = 0; k < pts[i].n; k++) {
            int varies = 0;
            for (int j = 0; j < s->n_points && !varies; j++) {
                const char *other = NULL;
                for (int l = 0; l < pts[j].n; l++)
                    if (!strcmp(pts[j].v[l].key, pts[i].v[k].key)) other = pts[j].v[l].value;
                varies = !other || strcmp(other, pts[i].v[k].value) != 0;
            }
            if (!varies) continue;
            size_t len = strlen(nm);
            snprintf(nm + len, cap - len, "_%s-%s", pts[i].v[k].key, pts[i].v[k].value);
        }
        for (char *c = nm; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
                  *c == '-' || *c == '_' || *c == '+'))
                *c = '_';
    }
}

/* relative to the sweep file, and absolute: the scripts run from anywhere */
static char *resolved(const char *sweep_path, const char *p) {
    char *r = yt_resolve_path(sweep_path, p);
    if (r[0] == '/') return r;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return r;
    size_t len = strlen(cwd) + strlen(r) + 2;
    char *abs = xmalloc(len);
    snprintf(abs, len, "%s/%s", cwd, strncmp(r, "./", 2) ? r : r + 2);
    free(r);
    return abs;
}

/* every point's training config loads, takes its --set values and validates */
static int check_points(hw_sweep *s) {
    for (int i = 0; i < s->n_points; i++) {
        hw_train_config cfg; /* hw_train_config_load starts from the defaults itself */
        int rc = hw_train_config_load(s->train_config, &cfg);
        if (rc) {
            hw_train_config_free(&cfg);
            return hw_fail_prefix("%s: train_config", s->path);
        }
        for (int k = 0; k < s->points[i].n_sets && !rc; k++) rc = hw_train_config_set(&cfg, s->points[i].sets[k]);
        if (!rc) rc = hw_train_config_validate(&cfg);
        /* a --set tiles is relative to the sweep file (the tasks run in its directory) */
        if (!rc && i == 0 && s->has_distance && !s->store)
            s->store = cfg.tiles[0] == '/' ? xstrdup(cfg.tiles) : resolved(s->path, cfg.tiles);
        hw_train_config_free(&cfg);
        if (rc) return hw_fail_prefix("%s: grid point %d (%s)", s->path, i, s->points[i].name);
    }
    return 0;
}

int hw_sweep_load(const char *path, const char *hitwin_exe, hw_sweep *s) {
    memset(s, 0, sizeof *s);
    s->path = xstrdup(path);
    s->train_res = (hw_sweep_resources){.cpus_per_task = 1, .ntasks = 1};
    s->down_res = (hw_sweep_resources){.cpus_per_task = 1, .ntasks = 1};
    yt_doc *d = yt_load_file(path);
    if (!d) return -1;
    static const char *const top[] = {"train_config", "output", "hitwin", "set", "grid", "distance", "evaluate", "slurm", NULL};
    const yt_node *root = d->root;
    int rc = 0;
    if (!root) rc = hw_fail("%s: empty sweep file", path);
    if (!rc) rc = yt_expect_map(d, root, "the sweep") || yt_check_keys(d, root, "the sweep", top);
    const char *tc = NULL, *out = NULL, *exe = NULL;
    if (!rc) rc = yt_get_str(d, root, "the sweep", "train_config", 1, &tc);
    if (!rc) rc = yt_get_str(d, root, "the sweep", "output", 1, &out);
    if (!rc) rc = yt_get_str(d, root, "the sweep", "hitwin", 0, &exe);
    if (!rc) {
        s->base_dir = resolved(path, ".");
        size_t bl = strlen(s->base_dir);
        if (bl > 2 && !strcmp(s->base_dir + bl - 2, "/.")) s->base_dir[bl - 2] = '\0';
        s->train_config = resolved(path, tc);
        s->output = resolved(path, out);
        s->hitwin = exe && strchr(exe, '/') ? resolved(path, exe) : xstrdup(exe ? exe : hitwin_exe);
        if (access(s->train_config, R_OK) != 0)
            rc = hw_fail("%s: train_config %s: no such file", path, s->train_config);
    }
    /* the fixed --set of every point */
    char **fixed = NULL;
    int n_fixed = 0;
    const yt_node *set = rc ? NULL : yt_get(root, "set");
    if (set && !(rc = yt_expect_map(d, set, "set"))) {
        fixed = xcalloc((size_t)set->n + 1, sizeof *fixed);
        for (int k = 0; k < set->n && !rc; k++) {
            const yt_node *v = set->vals[k];
            if (v->kind != YT_SCALAR) rc = hw_fail("%s:%d: set: '%s' must be a single value", path, v->line, set->keys[k]);
            else if (has_space(v->scalar)) rc = hw_fail("%s:%d: set: '%s' holds white space or quotes", path, v->line, set->keys[k]);
            else {
                size_t len = strlen(set->keys[k]) + strlen(v->scalar) + 2;
                fixed[n_fixed] = xmalloc(len);
                snprintf(fixed[n_fixed++], len, "%s=%s", set->keys[k], v->scalar);
            }
        }
    }
    raw_point *pts = NULL;
    int np = 0;
    const yt_node *grid = rc ? NULL : yt_get(root, "grid");
    if (!rc && !grid) rc = hw_fail("%s: 'grid' is missing (a map of train keys to lists of values)", path);
    if (!rc && grid->kind == YT_SEQ) {
        for (int b = 0; b < grid->n && !rc; b++) rc = expand_block(d, grid->vals[b], &pts, &np);
    } else if (!rc) {
        rc = expand_block(d, grid, &pts, &np);
    }
    if (!rc) {
        s->n_points = np;
        s->points = xcalloc((size_t)np, sizeof *s->points);
        for (int i = 0; i < np; i++) {
            hw_sweep_point *p = &s->points[i];
            p->sets = xcalloc((size_t)(n_fixed + pts[i].n), sizeof *p->sets);
            for (int k = 0; k < n_fixed; k++) p->sets[p->n_sets++] = xstrdup(fixed[k]);
            for (int k = 0; k < pts[i].n; k++) {
                if (!strcmp(pts[i].v[k].key, "output")) {
                    rc = hw_fail("%s: grid: 'output' is set by the sweep (runs/NAME/train)", path);
                    break;
                }
                size_t len = strlen(pts[i].v[k].key) + strlen(pts[i].v[k].value) + 2;
                p->sets[p->n_sets] = xmalloc(len);
                snprintf(p->sets[p->n_sets++], len, "%s=%s", pts[i].v[k].key, pts[i].v[k].value);
            }
        }
        if (!rc) name_points(s, pts);
    }
    for (int i = 0; i < np; i++) free(pts[i].v);
    free(pts);
    for (int k = 0; k < n_fixed; k++) free(fixed[k]);
    free(fixed);
    /* downstream stages */
    const yt_node *dist = rc ? NULL : yt_get(root, "distance");
    if (dist) {
        static const char *const dk[] = {"store", "split", "options", NULL};
        rc = yt_expect_map(d, dist, "distance") || yt_check_keys(d, dist, "distance", dk);
        const char *store = NULL, *split = "test";
        if (!rc) rc = yt_get_str(d, dist, "distance", "store", 0, &store);
        if (!rc) rc = yt_get_str(d, dist, "distance", "split", 0, &split);
        if (!rc && strcmp(split, "all") && strcmp(split, "train") && strcmp(split, "validation") && strcmp(split, "test"))
            rc = hw_fail("%s:%d: distance: split '%s' (expected all, train, validation or test)", path,
                         yt_get(dist, "split")->line, split);
        const char **opts = NULL;
        if (!rc && yt_get(dist, "options")) {
            rc = yt_get_str_list(d, dist, "distance", "options", 0, &opts, &s->n_distance_options);
            s->distance_options = xcalloc((size_t)s->n_distance_options + 1, sizeof(char *));
            for (int k = 0; !rc && k < s->n_distance_options; k++) {
                if (has_space(opts[k])) rc = hw_fail("%s: distance: option '%s' holds white space or quotes", path, opts[k]);
                s->distance_options[k] = xstrdup(opts[k]);
            }
            free(opts);
        }
        if (!rc) {
            s->has_distance = 1;
            s->split = xstrdup(split);
            if (store) s->store = resolved(path, store);
        }
    }
    const yt_node *ev = rc ? NULL : yt_get(root, "evaluate");
    if (ev) {
        static const char *const ek[] = {"truth", NULL};
        const char *truth = NULL;
        rc = yt_expect_map(d, ev, "evaluate") || yt_check_keys(d, ev, "evaluate", ek) ||
             yt_get_str(d, ev, "evaluate", "truth", 1, &truth);
        if (!rc && !s->has_distance)
            rc = hw_fail("%s:%d: evaluate needs a distance section (it scores the distances)", path, ev->line);
        if (!rc) s->truth = resolved(path, truth), s->has_evaluate = 1;
        if (!rc && access(s->truth, R_OK) != 0) rc = hw_fail("%s: evaluate: truth %s: no such file", path, s->truth);
    }
    const yt_node *sl = rc ? NULL : yt_get(root, "slurm");
    if (sl) {
        static const char *const sk[] = {"train", "downstream", "max_parallel", "setup", NULL};
        rc = yt_expect_map(d, sl, "slurm") || yt_check_keys(d, sl, "slurm", sk);
        if (!rc && yt_get(sl, "train")) rc = res_load(d, yt_get(sl, "train"), "slurm.train", &s->train_res);
        if (!rc && yt_get(sl, "downstream")) rc = res_load(d, yt_get(sl, "downstream"), "slurm.downstream", &s->down_res);
        int64_t mp = 0;
        if (!rc) rc = yt_get_int(d, sl, "slurm", "max_parallel", 0, 0, MAX_POINTS, &mp);
        s->max_parallel = (int)mp;
        const char *setup = NULL;
        if (!rc) rc = yt_get_str(d, sl, "slurm", "setup", 0, &setup);
        if (setup) s->setup = xstrdup(setup);
    }
    yt_free(d);
    if (!rc) rc = check_points(s);
    if (!rc && s->has_distance && access(s->store, R_OK) != 0)
        rc = hw_fail("%s: distance: store %s: no such file", path, s->store);
    return rc ? -1 : 0;
}

static void res_free(hw_sweep_resources *r) {
    free(r->partition), free(r->mem), free(r->time), free(r->account);
}

void hw_sweep_free(hw_sweep *s) {
    for (int i = 0; i < s->n_points; i++) {
        for (int k = 0; k < s->points[i].n_sets; k++) free(s->points[i].sets[k]);
        free(s->points[i].sets);
    }
    free(s->points);
    for (int k = 0; k < s->n_distance_options; k++) free(s->distance_options[k]);
    free(s->distance_options);
    free(s->path), free(s->base_dir), free(s->train_config), free(s->output), free(s->hitwin);
    free(s->store), free(s->split), free(s->truth), free(s->setup);
    res_free(&s->train_res), res_free(&s->down_res);
    memset(s, 0, sizeof *s);
}
