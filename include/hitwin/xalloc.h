/* Allocation that cannot silently fail: out of memory is not a recoverable
 * condition for this program, so these print one line (the size, and the setting
 * to lower that the running stage named with hw_xalloc_hint; the call site only
 * with HITWIN_DEBUG_ALLOC set), remove the run's temporary files and stop the job
 * (MPI_Abort under mpiexec, so that no rank waits for this one). */
#ifndef HITWIN_XALLOC_H
#define HITWIN_XALLOC_H

#include <stddef.h>

void *hw_xmalloc_at(size_t size, const char *file, int line);
void *hw_xcalloc_at(size_t n, size_t size, const char *file, int line);
void *hw_xrealloc_at(void *p, size_t size, const char *file, int line);
char *hw_xstrdup_at(const char *s, const char *file, int line);

#define xmalloc(size) hw_xmalloc_at((size), __FILE__, __LINE__)
#define xcalloc(n, size) hw_xcalloc_at((n), (size), __FILE__, __LINE__)
#define xrealloc(p, size) hw_xrealloc_at((p), (size), __FILE__, __LINE__)
#define xstrdup(s) hw_xstrdup_at((s), __FILE__, __LINE__)

/* What a user lowers when memory runs out, e.g. "--batch (tiles per forward pass)":
 * "out of memory allocating N bytes: lower --batch (...)". NULL: no hint. */
void hw_xalloc_hint(const char *setting);

/* Grow *buf (of *cap elements of elem_size) so it holds at least need elements. */
void hw_grow_at(void **buf, size_t *cap, size_t need, size_t elem_size, const char *file, int line);
#define hw_grow(buf, cap, need) \
    hw_grow_at((void **)(buf), (cap), (need), sizeof(**(buf)), __FILE__, __LINE__)

#endif
