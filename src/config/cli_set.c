#include "hitwin/cli_set.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/cli_args.h"
#include "hitwin/error.h"

int hw_set_split(const char *assignment, char *key, size_t cap, const char **value) {
    const char *eq = strchr(assignment, '=');
    if (!eq) return hw_fail("--set '%s': expected key=value", assignment);
    size_t klen = (size_t)(eq - assignment);
    if (klen >= cap) return hw_fail("--set: key too long");
    memcpy(key, assignment, klen);
    key[klen] = '\0';
    *value = eq + 1;
    return 0;
}

int hw_parse_i64(const char *s, int64_t *out) {
    if (!s || !*s) return 1;
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (*p < '0' || *p > '9') {
        if (*p != '.') return 1;
    }
    int digits_only = 1, numeric = 1;
    for (const char *q = p; *q; q++) {
        if (*q < '0' || *q > '9') digits_only = 0;
        if (!strchr("0123456789.eE+-", *q)) numeric = 0;
    }
    if (!numeric) return 1;
    char *end;
    if (digits_only) {
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (*end) return 1;
        if (errno == ERANGE) return 2;
        *out = x;
        return 0;
    }
    /* 1e4-style integers that are exact */
    errno = 0;
    double f = strtod(s, &end);
    if (end == s || *end || !isfinite(f) || f != floor(f)) return 1;
    if (f >= 9223372036854775808.0 || f < -9223372036854775808.0) return 2;
    *out = (int64_t)f;
    return 0;
}

int hw_parse_int(const char *what, const char *s, int64_t lo, int64_t hi, int64_t *out) {
    int64_t x = 0;
    int r = hw_parse_i64(s, &x);
    if (r == 1) return hw_fail("%s: '%s' is not an integer", what, s);
    if (r == 2 || x < lo || x > hi)
        return hw_fail("%s: %s is out of range [%lld, %lld]", what, s, (long long)lo, (long long)hi);
    *out = x;
    return 0;
}

int hw_set_int(const char *key, const char *value, int64_t lo, int64_t hi, int64_t *out) {
    char what[160];
    snprintf(what, sizeof what, "--set %s", key);
    return hw_parse_int(what, value, lo, hi, out);
}

int hw_set_double(const char *key, const char *value, double lo, double hi, double *out) {
    char what[160];
    snprintf(what, sizeof what, "--set %s", key);
    return hw_parse_double(what, value, lo, hi, out);
}
