/* The data lines of a BED-like text file (include/hitwin/bed_lines.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/bed_lines.h"
#include "hitwin/error.h"

int hw_bed_lines_read(const char *path, hw_bed_line_fn fn, void *ctx) {
    FILE *f = fopen(path, "r");
    if (!f) return hw_fail("%s: cannot open (%s)", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t lineno = 0;
    int rc = 0;
    errno = 0;
    while (!rc && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        /* strtok would stop at the NUL and read the rest of the line as absent */
        if ((size_t)len != strlen(line)) {
            rc = hw_fail("%s:%lld: a NUL byte: not a text file", path, (long long)lineno);
            break;
        }
        char *fields[HW_BED_MAX_FIELDS], *save = NULL;
        int nf = 0;
        for (char *tok = strtok_r(line, " \t\r\n", &save); tok && nf < HW_BED_MAX_FIELDS;
             tok = strtok_r(NULL, " \t\r\n", &save))
            fields[nf++] = tok;
        if (!nf || fields[0][0] == '#' || !strcmp(fields[0], "track") || !strcmp(fields[0], "browser"))
            continue;
        rc = fn(ctx, path, lineno, fields, nf);
    }
    if (!rc && ferror(f)) rc = hw_fail("%s: read error (%s)", path, strerror(errno));
    free(line);
    fclose(f);
    return rc;
}
