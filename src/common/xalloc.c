#include "hitwin/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size, const char *file, int line) {
    fprintf(stderr, "hitwin: error: out of memory allocating %zu bytes (%s:%d)\n", size, file, line);
    exit(1);
}

void *hw_xmalloc_at(size_t size, const char *file, int line) {
    void *p = malloc(size ? size : 1);
    if (!p) out_of_memory(size, file, line);
    return p;
}

void *hw_xcalloc_at(size_t n, size_t size, const char *file, int line) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) out_of_memory(n * size, file, line);
    return p;
}

void *hw_xrealloc_at(void *p, size_t size, const char *file, int line) {
    void *q = realloc(p, size ? size : 1);
    if (!q) out_of_memory(size, file, line);
    return q;
}

char *hw_xstrdup_at(const char *s, const char *file, int line) {
    size_t n = strlen(s) + 1;
    char *p = hw_xmalloc_at(n, file, line);
    memcpy(p, s, n);
    return p;
}

void hw_grow_at(void **buf, size_t *cap, size_t need, size_t elem_size, const char *file, int line) {
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    *buf = hw_xrealloc_at(*buf, c * elem_size, file, line);
    *cap = c;
}
