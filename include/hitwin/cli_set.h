/* `--set KEY=VALUE` overrides, shared by every stage's config: splitting the
 * assignment and parsing its value, with one message style for all of them:
 *   "--set stride: 'abc' is not an integer". */
#ifndef HITWIN_CLI_SET_H
#define HITWIN_CLI_SET_H

#include <stddef.h>
#include <stdint.h>

/* Split "key=value": key copied into key[cap], *value points into assignment. */
int hw_set_split(const char *assignment, char *key, size_t cap, const char **value);

/* Parse value as an integer / a number within [lo, hi]; errors name the key. */
int hw_set_int(const char *key, const char *value, int64_t lo, int64_t hi, int64_t *out);
int hw_set_double(const char *key, const char *value, double lo, double hi, double *out);

#endif
