/* The test helpers' one way to hand PyTorch an array: DIR/NAME, raw little-endian bytes.
 * Header-only: each helper is its own executable. */
#ifndef HITWIN_TESTS_RAW_FILE_H
#define HITWIN_TESTS_RAW_FILE_H

#include <stdio.h>

static int write_raw(const char *dir, const char *name, const void *data, size_t bytes) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, bytes, f) != bytes || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return -1;
    }
    return 0;
}

#endif
