/* Loads a YAML document into a line-aware tree with libyaml's event parser. */
#include "hitwin/yaml_tree.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "hitwin/cli_set.h"
#include "hitwin/error.h"
#include "hitwin/xalloc.h"

static yt_node *new_node(yt_kind kind, int line) {
    yt_node *n = xcalloc(1, sizeof *n);
    n->kind = kind;
    n->line = line;
    return n;
}

static void free_node(yt_node *n) {
    if (!n) return;
    for (int i = 0; i < n->n; i++) {
        free_node(n->vals[i]);
        if (n->keys) free(n->keys[i]);
    }
    free(n->vals);
    free(n->keys);
    free(n->key_lines);
    free(n->scalar);
    free(n);
}

static void append(yt_node *parent, char *key, int key_line, yt_node *child) {
    int k = parent->n++;
    parent->vals = xrealloc(parent->vals, (size_t)parent->n * sizeof *parent->vals);
    parent->vals[k] = child;
    if (parent->kind == YT_MAP) {
        parent->keys = xrealloc(parent->keys, (size_t)parent->n * sizeof *parent->keys);
        parent->key_lines = xrealloc(parent->key_lines, (size_t)parent->n * sizeof *parent->key_lines);
        parent->keys[k] = key;
        parent->key_lines[k] = key_line;
    }
}

/* Deeper than any config needs; the tree is built by recursion, so a
 * hostile document nested 200,000 levels deep must stop here, not at the
 * end of the stack. */
#define YT_MAX_DEPTH 64

/* Parse one node whose first event is ev (already taken from the parser);
 * depth counts the mappings and lists around it. */
static yt_node *parse_node(yaml_parser_t *p, yaml_event_t *ev, const char *name, int depth) {
    int line = (int)ev->start_mark.line + 1;
    if (ev->type == YAML_ALIAS_EVENT) {
        hw_fail("%s:%d: YAML aliases are not supported", name, line);
        return NULL;
    }
    if (ev->type == YAML_SCALAR_EVENT) {
        yt_node *n = new_node(YT_SCALAR, line);
        n->scalar = xstrdup((const char *)ev->data.scalar.value);
        return n;
    }
    int is_map = ev->type == YAML_MAPPING_START_EVENT;
    if (!is_map && ev->type != YAML_SEQUENCE_START_EVENT) {
        hw_fail("%s:%d: unexpected YAML structure", name, line);
        return NULL;
    }
    if (depth >= YT_MAX_DEPTH) {
        hw_fail("%s:%d: YAML nested deeper than %d levels", name, line, YT_MAX_DEPTH);
        return NULL;
    }
    yt_node *n = new_node(is_map ? YT_MAP : YT_SEQ, line);
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(p, &e)) {
            hw_fail("%s:%d: YAML syntax error: %s", name, (int)p->problem_mark.line + 1,
                    p->problem ? p->problem : "unknown");
            free_node(n);
            return NULL;
        }
        if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&e);
            return n;
        }
        char *key = NULL;
        int key_line = (int)e.start_mark.line + 1;
        if (is_map) {
            if (e.type != YAML_SCALAR_EVENT) {
                hw_fail("%s:%d: mapping keys must be plain strings", name, key_line);
                yaml_event_delete(&e);
                free_node(n);
                return NULL;
            }
            key = xstrdup((const char *)e.data.scalar.value);
            for (int i = 0; i < n->n; i++) {
                if (strcmp(n->keys[i], key) == 0) {
                    hw_fail("%s:%d: duplicate key '%s' (first at line %d)", name, key_line, key,
                            n->key_lines[i]);
                    free(key);
                    yaml_event_delete(&e);
                    free_node(n);
                    return NULL;
                }
            }
            yaml_event_delete(&e);
            if (!yaml_parser_parse(p, &e)) {
                hw_fail("%s:%d: YAML syntax error: %s", name, (int)p->problem_mark.line + 1,
                        p->problem ? p->problem : "unknown");
                free(key);
                free_node(n);
                return NULL;
            }
        }
        yt_node *child = parse_node(p, &e, name, depth + 1);
        yaml_event_delete(&e);
        if (!child) {
            free(key);
            free_node(n);
            return NULL;
        }
        append(n, key, key_line, child);
    }
}

static yt_doc *load(yaml_parser_t *p, const char *name) {
    yt_doc *doc = xcalloc(1, sizeof *doc);
    doc->name = xstrdup(name);
    int done = 0;
    while (!done) {
        yaml_event_t e;
        if (!yaml_parser_parse(p, &e)) {
            hw_fail("%s:%d: YAML syntax error: %s", name, (int)p->problem_mark.line + 1,
                    p->problem ? p->problem : "unknown");
            yt_free(doc);
            return NULL;
        }
        switch (e.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            break;
        default:
            if (doc->root) {
                hw_fail("%s:%d: more than one YAML document", name, (int)e.start_mark.line + 1);
                yaml_event_delete(&e);
                yt_free(doc);
                return NULL;
            }
            doc->root = parse_node(p, &e, name, 0);
            if (!doc->root) {
                yaml_event_delete(&e);
                yt_free(doc);
                return NULL;
            }
        }
        yaml_event_delete(&e);
    }
    return doc;
}

yt_doc *yt_load_file(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        hw_fail("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, fp);
    yt_doc *doc = load(&p, path);
    yaml_parser_delete(&p);
    fclose(fp);
    return doc;
}

yt_doc *yt_load_string(const char *text, const char *name) {
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    yt_doc *doc = load(&p, name);
    yaml_parser_delete(&p);
    return doc;
}

void yt_free(yt_doc *doc) {
    if (!doc) return;
    free_node(doc->root);
    free(doc->name);
    free(doc);
}

const yt_node *yt_get(const yt_node *map, const char *key) {
    if (!map || map->kind != YT_MAP) return NULL;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0) return map->vals[i];
    return NULL;
}

static const char *kind_name(yt_kind k) {
    return k == YT_MAP ? "a mapping" : k == YT_SEQ ? "a list" : "a scalar";
}

int yt_expect_map(const yt_doc *d, const yt_node *node, const char *what) {
    if (!node) return hw_fail("%s: empty document, expected %s as a mapping", d->name, what);
    if (node->kind != YT_MAP)
        return hw_fail("%s:%d: %s must be a mapping, found %s", d->name, node->line, what,
                       kind_name(node->kind));
    return 0;
}

int yt_expect_seq(const yt_doc *d, const yt_node *node, const char *what) {
    if (node->kind != YT_SEQ)
        return hw_fail("%s:%d: %s must be a list, found %s", d->name, node->line, what,
                       kind_name(node->kind));
    return 0;
}

int yt_check_keys(const yt_doc *d, const yt_node *map, const char *what, const char *const *allowed) {
    for (int i = 0; i < map->n; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++) ok |= strcmp(*a, map->keys[i]) == 0;
        if (ok) continue;
        char list[1024] = "";
        for (const char *const *a = allowed; *a; a++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s", a == allowed ? "" : ", ", *a);
        }
        return hw_fail("%s:%d: unknown key '%s' in %s (expected one of: %s)", d->name,
                       map->key_lines[i], map->keys[i], what, list);
    }
    return 0;
}

/* Look up key; 1 = found (scalar checked), 0 = absent and optional, -1 = error. */
static int lookup_scalar(const yt_doc *d, const yt_node *map, const char *what, const char *key,
                         int required, const yt_node **out) {
    const yt_node *v = yt_get(map, key);
    if (!v) {
        if (required)
            return hw_fail("%s:%d: missing required key '%s' in %s", d->name, map->line, key, what);
        return 0;
    }
    if (v->kind != YT_SCALAR)
        return hw_fail("%s:%d: '%s' in %s must be a single value, found %s", d->name, v->line, key,
                       what, kind_name(v->kind));
    *out = v;
    return 1;
}

int yt_get_str(const yt_doc *d, const yt_node *map, const char *what, const char *key, int required,
               const char **out) {
    const yt_node *v;
    int r = lookup_scalar(d, map, what, key, required, &v);
    if (r <= 0) return r;
    *out = v->scalar;
    return 0;
}

int yt_node_int(const yt_doc *d, const yt_node *v, const char *what, int64_t lo, int64_t hi,
                int64_t *out) {
    if (v->kind != YT_SCALAR)
        return hw_fail("%s:%d: %s must be an integer, found %s", d->name, v->line, what,
                       kind_name(v->kind));
    int64_t x = 0;
    int r = hw_parse_i64(v->scalar, &x);
    if (r == 1) return hw_fail("%s:%d: %s must be an integer, got '%s'", d->name, v->line, what, v->scalar);
    if (r == 2)
        return hw_fail("%s:%d: %s = %s is out of range [%lld, %lld]", d->name, v->line, what, v->scalar,
                       (long long)lo, (long long)hi);
    if (x < lo || x > hi)
        return hw_fail("%s:%d: %s = %lld is out of range [%lld, %lld]", d->name, v->line, what, (long long)x,
                       (long long)lo, (long long)hi);
    *out = x;
    return 0;
}

int yt_node_double(const yt_doc *d, const yt_node *v, const char *what, double lo, double hi,
                   double *out) {
    if (v->kind != YT_SCALAR)
        return hw_fail("%s:%d: %s must be a number, found %s", d->name, v->line, what,
                       kind_name(v->kind));
    char *end;
    double x = strtod(v->scalar, &end);
    if (end == v->scalar || *end != '\0' || !isfinite(x))
        return hw_fail("%s:%d: %s must be a number, got '%s'", d->name, v->line, what, v->scalar);
    if (x < lo || x > hi)
        return hw_fail("%s:%d: %s = %g is out of range [%g, %g]", d->name, v->line, what, x, lo, hi);
    *out = x;
    return 0;
}

int yt_get_int(const yt_doc *d, const yt_node *map, const char *what, const char *key, int required,
               int64_t lo, int64_t hi, int64_t *out) {
    const yt_node *v;
    int r = lookup_scalar(d, map, what, key, required, &v);
    if (r <= 0) return r;
    char label[256];
    snprintf(label, sizeof label, "'%s' in %s", key, what);
    return yt_node_int(d, v, label, lo, hi, out);
}

int yt_get_double(const yt_doc *d, const yt_node *map, const char *what, const char *key,
                  int required, double lo, double hi, double *out) {
    const yt_node *v;
    int r = lookup_scalar(d, map, what, key, required, &v);
    if (r <= 0) return r;
    char label[256];
    snprintf(label, sizeof label, "'%s' in %s", key, what);
    return yt_node_double(d, v, label, lo, hi, out);
}

int yt_get_bool(const yt_doc *d, const yt_node *map, const char *what, const char *key, int required,
                int *out) {
    const yt_node *v;
    int r = lookup_scalar(d, map, what, key, required, &v);
    if (r <= 0) return r;
    const char *s = v->scalar;
    if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")) *out = 1;
    else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")) *out = 0;
    else
        return hw_fail("%s:%d: '%s' in %s must be true or false, got '%s'", d->name, v->line, key,
                       what, s);
    return 0;
}

int yt_get_str_list(const yt_doc *d, const yt_node *map, const char *what, const char *key,
                    int required, const char ***out, int *n) {
    const yt_node *v = yt_get(map, key);
    if (!v) {
        if (required)
            return hw_fail("%s:%d: missing required key '%s' in %s", d->name, map->line, key, what);
        return 0;
    }
    if (v->kind == YT_SCALAR) {
        *out = xmalloc(sizeof **out);
        (*out)[0] = v->scalar;
        *n = 1;
        return 0;
    }
    if (v->kind != YT_SEQ)
        return hw_fail("%s:%d: '%s' in %s must be a list of names", d->name, v->line, key, what);
    const char **list = xmalloc((size_t)(v->n + 1) * sizeof *list);
    for (int i = 0; i < v->n; i++) {
        if (v->vals[i]->kind != YT_SCALAR) {
            free(list);
            return hw_fail("%s:%d: '%s' in %s must be a list of names", d->name, v->vals[i]->line,
                           key, what);
        }
        list[i] = v->vals[i]->scalar;
    }
    *out = list;
    *n = v->n;
    return 0;
}

char *yt_resolve_path(const char *config_path, const char *p) {
    if (p[0] == '/' || !config_path || !config_path[0]) return xstrdup(p);
    char *copy = xstrdup(config_path);
    const char *dir = dirname(copy);
    size_t n = strlen(dir) + strlen(p) + 2;
    char *out = xmalloc(n);
    if (strcmp(dir, ".") == 0) snprintf(out, n, "%s", p);
    else snprintf(out, n, "%s/%s", dir, p);
    free(copy);
    return out;
}

/* ---- emit ---------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
} strbuf;

static void sb_add(strbuf *s, const char *t) {
    size_t n = strlen(t);
    hw_grow(&s->buf, &s->cap, s->len + n + 1);
    memcpy(s->buf + s->len, t, n + 1);
    s->len += n;
}

static void sb_scalar(strbuf *s, const char *v) {
    /* Quote anything that YAML could read as something else. */
    int plain = v[0] != '\0' && !strpbrk(v, ":#{}[],&*!|>'\"%@`\n") && v[0] != '-' && v[0] != ' ' &&
                v[strlen(v) - 1] != ' ';
    if (plain) {
        sb_add(s, v);
        return;
    }
    sb_add(s, "\"");
    for (const char *c = v; *c; c++) {
        char t[3] = {*c, 0, 0};
        if (*c == '"' || *c == '\\') t[0] = '\\', t[1] = *c;
        else if (*c == '\n') t[0] = '\\', t[1] = 'n';
        sb_add(s, t);
    }
    sb_add(s, "\"");
}

static void emit_node(strbuf *s, const yt_node *n, int indent) {
    char pad[64];
    int w = indent < 60 ? indent : 60;
    memset(pad, ' ', (size_t)w);
    pad[w] = '\0';
    if (n->kind == YT_SCALAR) {
        sb_scalar(s, n->scalar);
        sb_add(s, "\n");
    } else if (n->kind == YT_MAP) {
        if (n->n == 0) sb_add(s, "{}\n");
        for (int i = 0; i < n->n; i++) {
            if (i > 0 || indent == 0) sb_add(s, pad);
            sb_scalar(s, n->keys[i]);
            sb_add(s, ":");
            if (n->vals[i]->kind == YT_SCALAR) {
                sb_add(s, " ");
                emit_node(s, n->vals[i], indent + 2);
            } else if (n->vals[i]->n == 0) {
                sb_add(s, n->vals[i]->kind == YT_MAP ? " {}\n" : " []\n");
            } else {
                sb_add(s, "\n");
                char pad2[64];
                int w2 = indent + 2 < 60 ? indent + 2 : 60;
                memset(pad2, ' ', (size_t)w2);
                pad2[w2] = '\0';
                sb_add(s, pad2);
                emit_node(s, n->vals[i], indent + 2);
            }
        }
    } else {
        if (n->n == 0) sb_add(s, "[]\n");
        for (int i = 0; i < n->n; i++) {
            if (i > 0) sb_add(s, pad);
            sb_add(s, "- ");
            emit_node(s, n->vals[i], indent + 2);
        }
    }
}

char *yt_emit(const yt_node *node) {
    strbuf s = {0};
    sb_add(&s, "");
    if (node) emit_node(&s, node, 0);
    return s.buf;
}
