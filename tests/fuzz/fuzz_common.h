/* Shared by the libFuzzer harnesses (tests/fuzz, built with -DHITWIN_FUZZ=ON):
 * bytes into a file the path-taking readers can open, and a query sweep over
 * whatever a contact file claims to hold. Every harness drives the real
 * reader; a failure with a message is a pass, only crashes, leaks and
 * sanitizer reports are findings. */
#ifndef HITWIN_FUZZ_COMMON_H
#define HITWIN_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hitwin/contacts.h"
#include "hitwin/error.h"

/* An anonymous in-memory file holding the bytes; *path names it for open().
 * Returns the descriptor (close it when done) or -1. */
static int fz_memfile(const uint8_t *data, size_t size, char *path, size_t cap) {
    int fd = memfd_create("hitwin-fuzz", 0);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

static int fz_sink(void *ctx, int64_t i, int64_t j, float v) {
    (void)i, (void)j;
    *(volatile float *)ctx += v; /* touch every value */
    return 0;
}

typedef int (*fz_fetch_fn)(void *file, const hw_query *q, hw_contact_fn fn, void *ctx);
typedef int64_t (*fz_nbins_fn)(const void *file, int chrom, int32_t res);

/* A bounded sweep: every resolution, every norm, observed and oe, each
 * chromosome with itself and its neighbour, a head window and a window past
 * the end. Bounded so one input costs milliseconds. */
static void fz_sweep(void *file, const hw_info *in, fz_fetch_fn fetch, fz_nbins_fn nbins) {
    volatile float acc = 0;
    int nres = in->nresolutions < 4 ? in->nresolutions : 4;
    int nnorm = in->nnorms < 4 ? in->nnorms : 4;
    int nch = in->nchroms < 4 ? in->nchroms : 4;
    for (int r = 0; r < nres; r++)
        for (int k = 0; k < nnorm; k++)
            for (int t = 0; t < 2; t++)
                for (int c1 = 0; c1 < nch; c1++)
                    for (int c2 = c1; c2 < nch && c2 <= c1 + 1; c2++) {
                        int32_t res = in->resolutions[r];
                        int64_t n1 = nbins(file, c1, res), n2 = nbins(file, c2, res);
                        if (n1 < 0 || n2 < 0) continue;
                        hw_query q = {.resolution = res, .norm = in->norms[k], .type = t ? HW_OE : HW_OBSERVED,
                                      .chrom1 = c1, .chrom2 = c2, .lo1 = 0, .hi1 = n1 < 64 ? n1 : 64,
                                      .lo2 = 0, .hi2 = n2 < 64 ? n2 : 64, .max_offset = t ? 0 : 16};
                        fetch(file, &q, fz_sink, (void *)&acc);
                        q.lo1 = n1 > 8 ? n1 - 8 : 0, q.hi1 = n1 + 8;
                        q.lo2 = 0, q.hi2 = n2 + 8;
                        fetch(file, &q, fz_sink, (void *)&acc);
                    }
}

#endif
