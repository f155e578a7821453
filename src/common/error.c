#include "hitwin/error.h"

#include <stdio.h>
#include <string.h>

/* Long enough for a path plus a list of chromosome names. */
#define HW_ERROR_CAP 4096

static _Thread_local char error_buf[HW_ERROR_CAP];

int hw_vfail(const char *fmt, va_list ap) {
    vsnprintf(error_buf, sizeof error_buf, fmt, ap);
    return -1;
}

int hw_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    hw_vfail(fmt, ap);
    va_end(ap);
    return -1;
}

int hw_fail_prefix(const char *fmt, ...) {
    char prefix[HW_ERROR_CAP], old[HW_ERROR_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, error_buf, sizeof old);
    /* the prefix is short (a path); truncating the tail of a long message is fine */
    size_t n = strlen(prefix);
    if (n > sizeof error_buf / 2) n = sizeof error_buf / 2;
    memcpy(error_buf, prefix, n);
    memcpy(error_buf + n, ": ", 2);
    size_t room = sizeof error_buf - n - 3;
    size_t m = strlen(old);
    if (m > room) m = room;
    memcpy(error_buf + n + 2, old, m);
    error_buf[n + 2 + m] = '\0';
    return -1;
}

const char *hw_error(void) { return error_buf; }

void hw_error_clear(void) { error_buf[0] = '\0'; }
