#include "hitwin/cli_set.h"

#include <stdlib.h>
#include <string.h>

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

int hw_set_int(const char *key, const char *value, int64_t lo, int64_t hi, int64_t *out) {
    char *end;
    long long x = strtoll(value, &end, 10);
    if (end == value || *end) return hw_fail("--set %s: '%s' is not an integer", key, value);
    if (x < lo || x > hi)
        return hw_fail("--set %s: %lld is out of range [%lld, %lld]", key, x, (long long)lo,
                       (long long)hi);
    *out = x;
    return 0;
}

int hw_set_double(const char *key, const char *value, double lo, double hi, double *out) {
    char *end;
    double x = strtod(value, &end);
    if (end == value || *end) return hw_fail("--set %s: '%s' is not a number", key, value);
    if (!(x >= lo && x <= hi))
        return hw_fail("--set %s: %s is out of range [%g, %g]", key, value, lo, hi);
    *out = x;
    return 0;
}
