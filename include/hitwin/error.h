/* Error reporting for library code.
 *
 * Library functions return a status (0 ok, -1 failed) or NULL, and leave one
 * human-readable line describing the cause in a thread-local buffer. The CLI
 * prints that line; tests compare it verbatim. Messages name the file first:
 *   "data/a.hic: truncated file (needed 8 bytes at offset 1234, file has 1200)"
 */
#ifndef HITWIN_ERROR_H
#define HITWIN_ERROR_H

#include <stdarg.h>

#if defined(__GNUC__)
#define HW_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HW_PRINTF(a, b)
#endif

/* Replace the current error message. Always returns -1 so callers can write
 * `return hw_fail("...")`. */
int hw_fail(const char *fmt, ...) HW_PRINTF(1, 2);
int hw_vfail(const char *fmt, va_list ap);

/* Prefix the current message, e.g. with the file name: "<prefix>: <old>". */
int hw_fail_prefix(const char *fmt, ...) HW_PRINTF(1, 2);

/* The last message ("" if none). Valid until the next hw_fail on this thread. */
const char *hw_error(void);
void hw_error_clear(void);

#endif
