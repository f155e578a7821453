/* Allocation that cannot silently fail: out of memory is not a recoverable
 * condition for this program, so these print the size and call site and exit. */
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

/* Grow *buf (of *cap elements of elem_size) so it holds at least need elements. */
void hw_grow_at(void **buf, size_t *cap, size_t need, size_t elem_size, const char *file, int line);
#define hw_grow(buf, cap, need) \
    hw_grow_at((void **)(buf), (cap), (need), sizeof(**(buf)), __FILE__, __LINE__)

#endif
