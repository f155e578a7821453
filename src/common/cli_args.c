#include "hitwin/cli_args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/log.h"

int hw_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts) {
    /* a leading ':' makes getopt tell a missing value (':') from an unknown option ('?') */
    char spec[128];
    snprintf(spec, sizeof spec, ":%s", shortopts[0] == ':' ? shortopts + 1 : shortopts);
    opterr = 0;
    int prev = optind;
    int c = getopt_long(argc, argv, spec, longopts, NULL);
    if (c != '?' && c != ':') return c;
    const char *cmd = argc > 0 ? argv[0] : "hitwin";
    /* the word that failed: the argument getopt just stepped over (or is inside) */
    int at = optind > prev ? optind - 1 : prev;
    const char *word = at < argc ? argv[at] : "";
    if (c == ':') {
        if (optopt && strncmp(word, "--", 2) != 0)
            hw_fail("%s: option '-%c' needs a value", cmd, optopt);
        else {
            size_t n = strcspn(word, "=");
            hw_fail("%s: option '%.*s' needs a value", cmd, (int)n, word);
        }
    } else if (optopt && strncmp(word, "--", 2) != 0) {
        hw_fail("%s: unknown option '-%c' (%s --help lists them)", cmd, optopt, cmd);
    } else {
        size_t n = strcspn(word, "=");
        hw_fail("%s: unknown option '%.*s' (%s --help lists them)", cmd, (int)n, word, cmd);
    }
    return '?';
}

int hw_usage_error(void (*usage)(FILE *out)) {
    if (hw_log_rank() == 0) {
        log_error("%s", hw_error());
        if (usage) usage(stderr);
        fflush(stderr);
    }
    return 2;
}

int hw_usage_fail(void (*usage)(FILE *out), const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    hw_vfail(fmt, ap);
    va_end(ap);
    return hw_usage_error(usage);
}

int hw_parse_double(const char *what, const char *text, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (!*text || end == text || *end || isnan(x)) return hw_fail("%s: '%s' is not a number", what, text);
    if (!(x >= lo && x <= hi))
        return hw_fail("%s: %s is out of range [%g, %g]", what, text, lo, hi);
    *out = x;
    return 0;
}
