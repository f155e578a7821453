/* Minimal test harness: CHECK macros count failures; a test returns 0 when all
 * passed, 1 when any failed, 77 when it cannot run here (CTest SKIP). */
#ifndef HITWIN_TEST_UTIL_H
#define HITWIN_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_failures = 0;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            test_failures++;                                                          \
        }                                                                             \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                                  \
    do {                                                                                    \
        long long a_ = (long long)(a), b_ = (long long)(b);                                 \
        if (a_ != b_) {                                                                     \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
                    #a, a_, #b, b_);                                                        \
            test_failures++;                                                                \
        }                                                                                   \
    } while (0)

/* |a - b| <= atol + rtol * |b| */
#define CHECK_NEAR(a, b, atol, rtol)                                                          \
    do {                                                                                      \
        double a_ = (double)(a), b_ = (double)(b);                                            \
        if (!(fabs(a_ - b_) <= (atol) + (rtol) * fabs(b_))) {                                 \
            fprintf(stderr, "%s:%d: %s = %.9g, expected %.9g (%s)\n", __FILE__, __LINE__, #a, \
                    a_, b_, #b);                                                              \
            test_failures++;                                                                  \
        }                                                                                     \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                  \
    do {                                                                                    \
        const char *a_ = (a), *b_ = (b);                                                    \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                            \
            fprintf(stderr, "%s:%d: %s = \"%s\"\n    expected \"%s\"\n", __FILE__, __LINE__, \
                    #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                            \
            test_failures++;                                                                \
        }                                                                                   \
    } while (0)

#define TEST_RESULT() (test_failures ? (fprintf(stderr, "%d check(s) failed\n", test_failures), 1) : 0)

/* Path of a file in ../shared/data relative to the repository root, where
 * tests run. */
#define SHARED_DATA(name) "../shared/data/" name

/* Copy the file src to dst (a test's scratch copy of a fixture): 0, or -1 when either
 * cannot be opened or a write fails. */
static inline int test_copy_file(const char *src, const char *dst) {
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    int rc = in && out ? 0 : -1;
    char buf[8192];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = -1;
    if (in) fclose(in);
    if (out && fclose(out) != 0) rc = -1;
    return rc;
}

#endif
