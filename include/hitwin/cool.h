/* .cool / .mcool reader through HDF5 (cooler schema v1-v3), used through
 * contacts.h. Layout notes: ../shared/docs/formats.md section 10. */
#ifndef HITWIN_COOL_H
#define HITWIN_COOL_H

#include <stddef.h>
#include "hitwin/contacts.h"

typedef struct cool_file cool_file;

/* A single-resolution .cool (root cooler) or an .mcool (/resolutions/<bp>).
 * Fills *info (owned by the cool_file). NULL + hw_error on failure. */
cool_file *cool_open(const char *path, hw_info *info);
/* The same on an HDF5 file image in memory (the fuzzer's entry point); name
 * stands for the path in messages. buf must outlive the cool_file. */
cool_file *cool_open_image(const void *buf, size_t n, const char *name, hw_info *info);
void cool_close(cool_file *c);
int64_t cool_nbins(const cool_file *c, int chrom, int32_t resolution);
int cool_has_norm(const cool_file *c, const char *norm, int32_t resolution);
int cool_fetch(cool_file *c, const hw_query *q, hw_contact_fn fn, void *ctx);

#endif
