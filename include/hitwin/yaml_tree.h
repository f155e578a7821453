/* A small strict YAML layer over libyaml: the document is loaded into a tree
 * that remembers line numbers, and typed getters turn every mistake (unknown
 * key, missing key, wrong type, out of range) into one line naming the file,
 * the line and the key:  "run.yaml:12: unknown key 'resolutin' in dataset
 * (expected one of: samples, resolution, ...)". Anchors and aliases are refused. */
#ifndef HITWIN_YAML_TREE_H
#define HITWIN_YAML_TREE_H

#include <stdint.h>

typedef enum { YT_SCALAR, YT_MAP, YT_SEQ } yt_kind;

typedef struct yt_node {
    yt_kind kind;
    int line;              /* 1-based line where the node starts */
    char *scalar;          /* YT_SCALAR */
    int n;                 /* entries of a map or sequence */
    char **keys;           /* YT_MAP: key strings */
    int *key_lines;        /* YT_MAP: line of each key */
    struct yt_node **vals; /* YT_MAP values or YT_SEQ items */
} yt_node;

typedef struct {
    char *name;    /* the file path, used in messages */
    yt_node *root; /* NULL for an empty document */
} yt_doc;

yt_doc *yt_load_file(const char *path);
yt_doc *yt_load_string(const char *text, const char *name);
void yt_free(yt_doc *doc);

/* Value for key in a map, NULL when absent. */
const yt_node *yt_get(const yt_node *map, const char *key);

/* Fail (with file:line) unless node is a map / a sequence. `what` names it. */
int yt_expect_map(const yt_doc *d, const yt_node *node, const char *what);
int yt_expect_seq(const yt_doc *d, const yt_node *node, const char *what);

/* Fail on the first key of map not in `allowed` (NULL-terminated). */
int yt_check_keys(const yt_doc *d, const yt_node *map, const char *what, const char *const *allowed);

/* Typed getters. With required=0 an absent key leaves *out untouched and
 * returns 0; with required=1 it is an error naming the key. */
int yt_get_str(const yt_doc *d, const yt_node *map, const char *what, const char *key, int required,
               const char **out);
int yt_get_int(const yt_doc *d, const yt_node *map, const char *what, const char *key, int required,
               int64_t lo, int64_t hi, int64_t *out);
int yt_get_double(const yt_doc *d, const yt_node *map, const char *what, const char *key,
                  int required, double lo, double hi, double *out);
int yt_get_bool(const yt_doc *d, const yt_node *map, const char *what, const char *key, int required,
                int *out);
/* A scalar or a sequence of scalars, returned as an array of string pointers
 * into the tree (free the array, not the strings). */
int yt_get_str_list(const yt_doc *d, const yt_node *map, const char *what, const char *key,
                    int required, const char ***out, int *n);

/* Parse a scalar node as an integer / a number, failing with file:line. */
int yt_node_int(const yt_doc *d, const yt_node *node, const char *what, int64_t lo, int64_t hi,
                int64_t *out);
int yt_node_double(const yt_doc *d, const yt_node *node, const char *what, double lo, double hi,
                   double *out);

/* A path written in the config file `config_path`: relative to the config's
 * directory unless absolute. Caller frees. */
char *yt_resolve_path(const char *config_path, const char *p);

/* Emit a tree back as YAML text (for provenance attributes). Caller frees. */
char *yt_emit(const yt_node *node);

#endif
