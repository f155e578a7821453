/* Reader of the binary PyTorch fixtures that tests/fixtures/make_nn_fixtures.py
 * and make_model_fixture.py write: magic "HWNNFIX\0", u32 version 1, u32 count,
 * then per array: u32 name length, name, u32 ndim, u32 dims..., float32 data
 * (all little-endian). Header-only, like test_util.h. */
#ifndef HITWIN_FIXTURE_READER_H
#define HITWIN_FIXTURE_READER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

typedef struct {
    char name[96];
    int ndim;
    int dims[8];
    size_t n;
    float *data;
} FixArray;

static FixArray *g_arr;
static int g_count;

static int fix_read_u32(FILE *f, uint32_t *v) {
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) return 0;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 1;
}

/* Load every array of the fixture at path; script names how to regenerate it. */
static int fix_load(const char *path, const char *script) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s (run from the repository root; regenerate with "
                        "/usr/bin/python3 %s)\n", path, script);
        return 0;
    }
    char magic[8];
    uint32_t version, count;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "HWNNFIX", 8) != 0 ||
        !fix_read_u32(f, &version) || !fix_read_u32(f, &count)) {
        fprintf(stderr, "%s: not a fixture (bad magic)\n", path);
        fclose(f);
        return 0;
    }
    if (version != 1) {
        fprintf(stderr, "%s: fixture version %u, this test reads 1; regenerate it with %s\n", path,
                version, script);
        fclose(f);
        return 0;
    }
    g_arr = calloc(count, sizeof(FixArray));
    for (uint32_t i = 0; i < count; i++) {
        FixArray *a = &g_arr[i];
        uint32_t len, nd, dim;
        if (!fix_read_u32(f, &len) || len >= sizeof a->name || fread(a->name, 1, len, f) != len ||
            !fix_read_u32(f, &nd) || nd > 8)
            goto truncated;
        a->ndim = (int)nd;
        a->n = 1;
        for (uint32_t k = 0; k < nd; k++) {
            if (!fix_read_u32(f, &dim)) goto truncated;
            a->dims[k] = (int)dim;
            a->n *= dim;
        }
        a->data = malloc(a->n * sizeof(float) + 1);
        for (size_t k = 0; k < a->n; k++) {
            uint32_t bits;
            if (!fix_read_u32(f, &bits)) goto truncated;
            memcpy(&a->data[k], &bits, 4);
        }
        g_count++;
    }
    fclose(f);
    return 1;
truncated:
    fprintf(stderr, "%s: truncated at array %d\n", path, g_count);
    fclose(f);
    return 0;
}

/* The array called name; a missing one counts as a failure and reads as empty. */
static const FixArray *get(const char *name) {
    for (int i = 0; i < g_count; i++)
        if (strcmp(g_arr[i].name, name) == 0) return &g_arr[i];
    fprintf(stderr, "fixture has no array %s\n", name);
    test_failures++;
    static FixArray empty;
    return &empty;
}

#endif
