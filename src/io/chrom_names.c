/* Chromosome name matching across files that disagree on naming:
 * "chr1" == "1", "chrX" == "X", and the mitochondrion as M, MT, chrM or chrMT. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hitwin/contacts.h"
#include "hitwin/error.h"

static const char *strip_chr(const char *s) {
    return strncasecmp(s, "chr", 3) == 0 ? s + 3 : s;
}

static int is_mito(const char *s) {
    return strcasecmp(s, "M") == 0 || strcasecmp(s, "MT") == 0;
}

int hw_chrom_names_match(const char *a, const char *b) {
    if (strcmp(a, b) == 0) return 1;
    const char *sa = strip_chr(a), *sb = strip_chr(b);
    if (is_mito(sa) && is_mito(sb)) return 1;
    return strcmp(sa, sb) == 0;
}

int hw_find_chrom(const hw_info *info, const char *path, const char *name) {
    for (int c = 0; c < info->nchroms; c++) /* an exact match wins over an alias */
        if (strcmp(info->chroms[c].name, name) == 0) return c;
    for (int c = 0; c < info->nchroms; c++)
        if (hw_chrom_names_match(info->chroms[c].name, name)) return c;
    char list[2048] = "";
    for (int c = 0; c < info->nchroms; c++) {
        size_t len = strlen(list);
        if (len > sizeof list - 64) {
            snprintf(list + len, sizeof list - len, ", ... (%d in all)", info->nchroms);
            break;
        }
        snprintf(list + len, sizeof list - len, "%s%s", c ? ", " : "", info->chroms[c].name);
    }
    return hw_fail("%s: no chromosome '%s' (file has: %s)", path, name, list);
}
