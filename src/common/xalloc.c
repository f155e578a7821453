#include "hitwin/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "hitwin/output_guard.h"

static const char *memory_hint;

void hw_xalloc_hint(const char *setting) { memory_hint = setting; }

static void out_of_memory(size_t size, const char *file, int line) {
    char where[512] = "";
    if (getenv("HITWIN_DEBUG_ALLOC")) snprintf(where, sizeof where, " [%s:%d]", file, line);
    fprintf(stderr, "hitwin: error: out of memory allocating %zu bytes%s%s%s\n", size,
            memory_hint ? ": lower " : "", memory_hint ? memory_hint : "", where);
    fflush(stderr);
    hw_temp_cleanup();
    int inited = 0, finalized = 0, size_w = 1;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (inited && !finalized) {
        MPI_Comm_size(MPI_COMM_WORLD, &size_w);
        if (size_w > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    }
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
