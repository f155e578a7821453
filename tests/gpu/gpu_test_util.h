/* Helpers of the GPU tests: the skip rule, device copies of host arrays, and comparisons
 * of a GPU result with the C op's, with the tolerance named at each call.
 *
 * Skip rule: exit 77 (CTest SKIP_RETURN_CODE) when no CUDA device is visible, never 0, so a
 * machine without a GPU reports these tests as skipped rather than passed. */
#ifndef HITWIN_GPU_TEST_UTIL_H
#define HITWIN_GPU_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/gpu.h"
#include "hitwin/gpu_context.h"
#include "test_util.h"

#define GPU_SKIP_IF_NO_DEVICE()                                                      \
    do {                                                                             \
        if (hw_gpu_count() == 0) {                                                   \
            printf("no CUDA device visible: skipped (exit 77)\n");                   \
            return 77;                                                               \
        }                                                                            \
    } while (0)

/* A failed GPU call ends the test with its message: later checks would only repeat it. */
/* Device 0 for a test: described on stdout first, or NULL with the reason on stderr. */
static inline hw_gpu *gpu_test_open(void) {
    char desc[1024];
    hw_gpu_describe(desc, sizeof desc);
    printf("%s", desc);
    hw_gpu *g = hw_gpu_create(0);
    if (!g) fprintf(stderr, "%s\n", hw_error());
    return g;
}

#define GPU_OK(call)                                                                       \
    do {                                                                                   \
        if ((call) != 0) {                                                                 \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, hw_error()); \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

/* Device allocations of one test case, released together by dev_release_all(). */
#define DEV_MAX_ALLOCS 256
static void *dev_allocs[DEV_MAX_ALLOCS];
static int dev_n_allocs;

static inline void *dev_alloc(size_t bytes) {
    void *d = NULL;
    GPU_OK(hw_gpu_alloc(&d, bytes));
    if (dev_n_allocs == DEV_MAX_ALLOCS) {
        fprintf(stderr, "gpu test: more than %d device buffers in one case\n", DEV_MAX_ALLOCS);
        exit(1);
    }
    dev_allocs[dev_n_allocs++] = d;
    return d;
}

static inline void *dev_from(hw_gpu *g, const void *host, size_t bytes) {
    void *d = dev_alloc(bytes);
    GPU_OK(hw_gpu_upload(g, d, host, bytes));
    return d;
}

static inline void dev_release_all(void) {
    for (int i = 0; i < dev_n_allocs; i++) GPU_OK(hw_gpu_release(&dev_allocs[i]));
    dev_n_allocs = 0;
}

/* Host copy of n floats of device memory (waits for the stream). Caller frees. */
static inline float *host_floats(hw_gpu *g, const float *dev, size_t n) {
    float *h = (float *)malloc(n * sizeof(float) + 1);
    GPU_OK(hw_gpu_download(g, h, dev, n * sizeof(float)));
    return h;
}

static inline float *host_copy(const float *src, size_t n) {
    float *h = (float *)malloc(n * sizeof(float) + 1);
    memcpy(h, src, n * sizeof(float));
    return h;
}

/* |gpu - ref| <= atol + rtol |ref| + stol * max|ref| element-wise, both NaN counting as
 * equal. stol scales the bound by the array's magnitude: sums of many products (GEMM,
 * convolution) carry an error proportional to the terms' size, not to the (possibly
 * cancelled) result's. Prints the worst element either way. */
static inline void expect_close(const char *what, const float *gpu, const float *ref, size_t n,
                         double atol, double rtol, double stol) {
    double scale = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(ref[i]) && fabs(ref[i]) > scale) scale = fabs(ref[i]);
    size_t bad = 0, worst = 0;
    double worst_excess = -INFINITY, max_err = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = gpu[i], b = ref[i];
        if (isnan(a) && isnan(b)) continue;
        double err = fabs(a - b), bound = atol + rtol * fabs(b) + stol * scale;
        if (!(err <= bound) && !(a == b)) { /* a == b: equal infinities */
            if (bad < 5)
                fprintf(stderr, "  %s[%zu]: gpu %.9g, C %.9g (|diff| %.3g > %.3g)\n", what, i, a, b,
                        err, bound);
            bad++;
        }
        if (isfinite(err) && err > max_err) max_err = err;
        if (err - bound > worst_excess) worst_excess = err - bound, worst = i;
    }
    printf("  %-34s n %-8zu max|diff| %.3g (max|C| %.3g)%s\n", what, n, max_err, scale,
           bad ? "  FAILED" : "");
    if (bad) {
        fprintf(stderr, "%s: %zu of %zu elements outside the tolerance (worst at %zu)\n", what, bad,
                n, worst);
        test_failures++;
    }
}

/* |gpu - ref| <= bound[i] element-wise (a bound per element, derived by the caller: the
 * bf16 tests' error model), both NaN counting as equal. Prints the worst element. */
static inline void expect_within(const char *what, const float *gpu, const float *ref,
                                 const double *bound, size_t n) {
    size_t bad = 0, worst = 0;
    double worst_ratio = 0.0, max_err = 0.0, max_bound = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = gpu[i], b = ref[i];
        if ((isnan(a) && isnan(b)) || a == b) continue;
        double err = fabs(a - b);
        if (!(err <= bound[i])) {
            if (bad < 5)
                fprintf(stderr, "  %s[%zu]: gpu %.9g, C %.9g (|diff| %.3g > %.3g)\n", what, i, a,
                        b, err, bound[i]);
            bad++;
        }
        if (isfinite(err) && err > max_err) max_err = err;
        if (bound[i] > max_bound) max_bound = bound[i];
        double ratio = bound[i] > 0 ? err / bound[i] : INFINITY;
        if (!(ratio <= worst_ratio)) worst_ratio = ratio, worst = i;
    }
    printf("  %-34s n %-8zu max|diff| %.3g, max bound %.3g, worst diff/bound %.3g%s\n", what, n,
           max_err, max_bound, worst_ratio, bad ? "  FAILED" : "");
    if (bad) {
        fprintf(stderr, "%s: %zu of %zu elements outside their bound (worst at %zu)\n", what, bad,
                n, worst);
        test_failures++;
    }
}

/* Bit-identical (memcmp), for what the GPU op must reproduce exactly. */
static inline void expect_same_bits(const char *what, const void *gpu, const void *ref, size_t bytes,
                             size_t elem) {
    const unsigned char *a = (const unsigned char *)gpu, *b = (const unsigned char *)ref;
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < bytes; i += elem)
        if (memcmp(a + i, b + i, elem) != 0) {
            if (!bad) first = i / elem;
            bad++;
        }
    printf("  %-34s n %-8zu %s\n", what, bytes / elem, bad ? "DIFFERENT" : "bit-identical");
    if (bad) {
        fprintf(stderr, "%s: %zu of %zu elements differ in their bits (first at %zu)\n", what, bad,
                bytes / elem, first);
        test_failures++;
    }
}

#endif
