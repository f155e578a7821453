#include "hitwin/cli_set.h"

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
