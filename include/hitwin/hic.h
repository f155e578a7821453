/* .hic reader (versions 6 to 9), used through contacts.h.
 * Layout notes: docs/formats.md sections 1 to 9 (in ../shared/docs). */
#ifndef HITWIN_HIC_H
#define HITWIN_HIC_H

#include "hitwin/contacts.h"

typedef struct hic_file hic_file;

/* Parse header, master index, expected vectors and normalisation index.
 * Fills *info (owned by the hic_file). NULL + hw_error on failure. */
hic_file *hic_open(const char *path, hw_info *info);
void hic_close(hic_file *h);
int64_t hic_nbins(const hic_file *h, int chrom, int32_t resolution);
int hic_has_norm(const hic_file *h, const char *norm, int32_t resolution);
int hic_fetch(hic_file *h, const hw_query *q, hw_contact_fn fn, void *ctx);

#endif
