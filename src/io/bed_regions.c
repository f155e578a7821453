/* Genomic regions from a BED file (include/hitwin/bed_regions.h). The files are small (a call
 * set: hundreds to thousands of lines), so the lookup is a scan. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/bed_lines.h"
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

typedef struct {
    char *const *names;
    int n_names;
    hw_regions *r;
    int64_t cap;
} reader;

/* one data line (hw_bed_lines_read) into the regions */
static int region_line(void *ctx, const char *path, int64_t lineno, char **col, int nf) {
    reader *rd = ctx;
    hw_regions *r = rd->r;
    int64_t s = 0, e = 0;
    int c = -1;
    if (nf < 3) return hw_fail("%s:%lld: expected chrom, start and end", path, (long long)lineno);
    if (parse_pos(col[1], &s) || parse_pos(col[2], &e))
        return hw_fail("%s:%lld: start and end must be whole numbers >= 0, got '%s' and '%s'", path,
                       (long long)lineno, col[1], col[2]);
    if (e <= s)
        return hw_fail("%s:%lld: end %lld is not after start %lld", path, (long long)lineno, (long long)e,
                       (long long)s);
    if ((c = find_name(rd->names, rd->n_names, col[0])) < 0)
        return hw_fail("%s:%lld: chromosome '%s' is not in the tile store", path, (long long)lineno, col[0]);
    if (r->n == rd->cap) {
        rd->cap = rd->cap ? 2 * rd->cap : 64;
        r->chrom = xrealloc(r->chrom, (size_t)rd->cap * sizeof *r->chrom);
        r->start = xrealloc(r->start, (size_t)rd->cap * sizeof *r->start);
        r->end = xrealloc(r->end, (size_t)rd->cap * sizeof *r->end);
    }
    r->chrom[r->n] = c, r->start[r->n] = s, r->end[r->n] = e;
    r->n++;
    return 0;
}

int hw_regions_read(const char *path, char *const *names, int n_names, hw_regions *r) {
    memset(r, 0, sizeof *r);
    reader rd = {names, n_names, r, 0};
    int rc = hw_bed_lines_read(path, region_line, &rd);
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
