/* Reader of tests/data/scores_fixture.txt (tests/fixtures/make_scores_fixtures.py):
 * one record per line, "KEY... v1 v2 ...", found by the exact text of its leading
 * fields. Header-only, like test_util.h. */
#ifndef HITWIN_SCORES_FIXTURE_H
#define HITWIN_SCORES_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCORES_FIXTURE "tests/data/scores_fixture.txt"

static char *sf_text;

static inline int sf_load(void) {
    FILE *f = fopen(SCORES_FIXTURE, "rb");
    if (!f) {
        fprintf(stderr, "%s missing (run from the repository root; regenerate with python3 "
                        "tests/fixtures/make_scores_fixtures.py)\n", SCORES_FIXTURE);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    sf_text = malloc((size_t)n + 1);
    size_t got = fread(sf_text, 1, (size_t)n, f);
    sf_text[got] = '\0';
    fclose(f);
    return 0;
}

/* The values after the line starting with `key ` (up to cap of them); the count, or
 * -1 when there is no such line. */
static inline int sf_values(const char *key, double *out, int cap) {
    size_t kl = strlen(key);
    for (const char *p = sf_text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, kl) != 0 || p[kl] != ' ') continue;
        const char *q = p + kl;
        int n = 0;
        while (n < cap) {
            char *end;
            double v = strtod(q, &end);
            if (end == q) break;
            out[n++] = v;
            q = end;
        }
        return n;
    }
    fprintf(stderr, "%s: no record '%s'\n", SCORES_FIXTURE, key);
    return -1;
}

/* One value; NaN-safe sentinel -12345 when the record is missing. */
static inline double sf_value(const char *key) {
    double v = -12345.0;
    return sf_values(key, &v, 1) == 1 ? v : -12345.0;
}

#endif
