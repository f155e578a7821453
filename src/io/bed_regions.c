/* Genomic regions from a BED file (include/hitwin/bed_regions.h). The files are small (a call
 * set: hundreds to thousands of lines), so the lookup is a scan. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/bed_regions.h"
#include "hitwin/contacts.h"
#include "hitwin/error.h"
#include "hitwin/xalloc.h"

static int parse_pos(const char *s, int64_t *v) {
    char *end = NULL;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (end == s || *end || errno || x < 0) return -1;
    *v = x;
    return 0;
}

static int find_name(char *const *names, int n, const char *name) {
    for (int i = 0; i < n; i++) /* an exact match wins over an alias */
        if (!strcmp(names[i], name)) return i;
    for (int i = 0; i < n; i++)
        if (hw_chrom_names_match(names[i], name)) return i;
    return -1;
}

int hw_regions_read(const char *path, char *const *names, int n_names, hw_regions *r) {
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "r");
    if (!f) return hw_fail("%s: cannot open (%s)", path, strerror(errno));
    int64_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int64_t lineno = 0;
    int rc = 0;
    while (!rc && (len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        if ((size_t)len != strlen(line)) {
            rc = hw_fail("%s:%lld: a NUL byte: not a text BED file", path, (long long)lineno);
            break;
        }
        char *save = NULL, *col[3] = {NULL, NULL, NULL};
        char *tok = strtok_r(line, " \t\r\n", &save);
        if (!tok || tok[0] == '#' || !strcmp(tok, "track") || !strcmp(tok, "browser")) continue;
        col[0] = tok;
        col[1] = strtok_r(NULL, " \t\r\n", &save);
        col[2] = col[1] ? strtok_r(NULL, " \t\r\n", &save) : NULL;
        int64_t s = 0, e = 0;
        int c = -1;
        if (!col[2])
            rc = hw_fail("%s:%lld: expected chrom, start and end", path, (long long)lineno);
        else if (parse_pos(col[1], &s) || parse_pos(col[2], &e))
            rc = hw_fail("%s:%lld: start and end must be whole numbers >= 0, got '%s' and '%s'", path,
                         (long long)lineno, col[1], col[2]);
        else if (e <= s)
            rc = hw_fail("%s:%lld: end %lld is not after start %lld", path, (long long)lineno,
                         (long long)e, (long long)s);
        else if ((c = find_name(names, n_names, col[0])) < 0)
            rc = hw_fail("%s:%lld: chromosome '%s' is not in the tile store", path, (long long)lineno, col[0]);
        if (rc) break;
        if (r->n == cap) {
            cap = cap ? 2 * cap : 64;
            r->chrom = xrealloc(r->chrom, (size_t)cap * sizeof *r->chrom);
            r->start = xrealloc(r->start, (size_t)cap * sizeof *r->start);
            r->end = xrealloc(r->end, (size_t)cap * sizeof *r->end);
        }
        r->chrom[r->n] = c, r->start[r->n] = s, r->end[r->n] = e;
        r->n++;
    }
    if (!rc && ferror(f)) rc = hw_fail("%s: read error (%s)", path, strerror(errno));
    free(line);
    fclose(f);
    if (rc) hw_regions_free(r);
    return rc;
}

void hw_regions_free(hw_regions *r) {
    free(r->chrom);
    free(r->start);
    free(r->end);
    memset(r, 0, sizeof *r);
}

int hw_regions_overlap(const hw_regions *r, int32_t chrom, int64_t start, int64_t end) {
    for (int64_t i = 0; i < r->n; i++)
        if (r->chrom[i] == chrom && r->start[i] < end && start < r->end[i]) return 1;
    return 0;
}
