/* `--set KEY=VALUE` overrides, shared by every stage's config: splitting the
 * assignment and parsing its value, with one message style for all of them:
 *   "--set stride: 'abc' is not an integer". */
#ifndef HITWIN_CLI_SET_H
#define HITWIN_CLI_SET_H

#include <stddef.h>
#include <stdint.h>

/* Split "key=value": key copied into key[cap], *value points into assignment. */
int hw_set_split(const char *assignment, char *key, size_t cap, const char **value);

/* The one integer parser for text from outside (configs, --set, flags):
 * optional sign and decimal digits, or an exact integer in decimal/exponent
 * notation ("1e4", "250000.0"); no spaces, no hex, no inf/nan. Parsed in
 * 64 bits with overflow detected, never wrapped.
 * Returns 0 (parsed), 1 (not an integer), 2 (outside the int64 range). */
int hw_parse_i64(const char *s, int64_t *out);

/* hw_parse_i64 plus a range check, with the messages
 *   "<what>: 'abc' is not an integer"
 *   "<what>: 4294977296 is out of range [1, 100000000]"
 * (what: "--resolution", "--set stride", ...). */
int hw_parse_int(const char *what, const char *s, int64_t lo, int64_t hi, int64_t *out);

/* Parse value as an integer / a number within [lo, hi]; errors name the key. */
int hw_set_int(const char *key, const char *value, int64_t lo, int64_t hi, int64_t *out);
int hw_set_double(const char *key, const char *value, double lo, double hi, double *out);

#endif
