/* What every kind of `hitwin plot` shares: the region, the input labels and the --data
 * file (plot.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/output_guard.h"
#include "hitwin/plot.h"
#include "hitwin/xalloc.h"

/* a base-pair coordinate with optional thousands separators */
static int parse_bp(const char *s, size_t len, int64_t *out) {
    char buf[64];
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ',') continue;
        if (s[i] < '0' || s[i] > '9' || k + 1 >= sizeof buf) return -1;
        buf[k++] = s[i];
    }
    if (k == 0) return -1;
    buf[k] = '\0';
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno) return -1;
    *out = v;
    return 0;
}

int hw_plot_region_parse(const char *text, hw_plot_region *r) {
    memset(r, 0, sizeof *r);
    const char *colon = strchr(text, ':');
    size_t n = colon ? (size_t)(colon - text) : strlen(text);
    if (n == 0 || n >= sizeof r->chrom)
        return hw_fail("--region '%s': expected CHROM or CHROM:START-END (bp)", text);
    memcpy(r->chrom, text, n);
    r->end = -1;
    if (colon) {
        const char *dash = strchr(colon + 1, '-');
        if (!dash || parse_bp(colon + 1, (size_t)(dash - colon - 1), &r->start) != 0 ||
            parse_bp(dash + 1, strlen(dash + 1), &r->end) != 0)
            return hw_fail("--region '%s': expected CHROM or CHROM:START-END (bp)", text);
        if (r->end <= r->start) return hw_fail("--region '%s': the end is not after the start", text);
    }
    r->set = 1;
    return 0;
}

static const char *strip_chr(const char *s) {
    return strncmp(s, "chr", 3) == 0 ? s + 3 : s;
}

int hw_plot_chrom_match(const char *a, const char *b) {
    return strcmp(strip_chr(a), strip_chr(b)) == 0;
}

char **hw_plot_labels(char *const *paths, int n) {
    char **out = xcalloc((size_t)n + 1, sizeof *out);
    if (n == 1) {
        const char *base = strrchr(paths[0], '/');
        base = base ? base + 1 : paths[0];
        out[0] = xstrdup(base);
        char *dot = strrchr(out[0], '.');
        if (dot && dot != out[0]) *dot = '\0';
        return out;
    }
    size_t pre = strlen(paths[0]), suf = strlen(paths[0]);
    for (int i = 1; i < n; i++) {
        size_t k = 0, li = strlen(paths[i]), l0 = strlen(paths[0]);
        while (k < pre && paths[i][k] == paths[0][k]) k++;
        pre = k;
        k = 0;
        while (k < suf && k < li && k < l0 && paths[i][li - 1 - k] == paths[0][l0 - 1 - k]) k++;
        suf = k;
    }
    /* cut at path separators, so that "run10" and "run11" stay whole names */
    while (pre > 0 && paths[0][pre - 1] != '/') pre--;
    for (int i = 0; i < n; i++) {
        size_t li = strlen(paths[i]), s = suf;
        while (s > 0 && paths[i][li - s] != '/') s--;
        if (pre + s >= li) {
            out[i] = xstrdup(paths[i]); /* the same path twice: nothing tells them apart */
            continue;
        }
        out[i] = xcalloc(li - pre - s + 1, 1);
        memcpy(out[i], paths[i] + pre, li - pre - s);
    }
    return out;
}

int hw_plot_data_open(hw_plot_data *d, const char *path) {
    memset(d, 0, sizeof *d);
    snprintf(d->path, sizeof d->path, "%s", path);
    snprintf(d->tmp, sizeof d->tmp, "%s.tmp-%ld", path, (long)getpid());
    d->fp = fopen(d->tmp, "w");
    if (!d->fp) return hw_fail("%s: cannot create (--data): %s", path, strerror(errno));
    hw_temp_add(d->tmp);
    return 0;
}

int hw_plot_data_close(hw_plot_data *d, int keep) {
    if (!d->fp) return 0;
    int bad = ferror(d->fp);
    bad |= fclose(d->fp) != 0;
    d->fp = NULL;
    int rc = 0;
    if (keep && bad) rc = hw_fail("%s: write failed (--data)", d->path);
    else if (keep && rename(d->tmp, d->path) != 0) rc = hw_fail("%s: cannot rename into place (--data)", d->path);
    if (!keep || rc) unlink(d->tmp);
    hw_temp_forget(d->tmp);
    return rc;
}
