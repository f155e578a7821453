/* Genomic regions from a BED file (chrom, start, end, anything after), as `hitwin saliency
 * --regions` reads them: a distance run's CKPT_{measure}_called.bed, or a lab's own regions.
 * `track`, `browser` and `#` lines and blank lines are skipped; columns are split at tabs or
 * spaces; chromosomes are matched against a tile store's names with the usual aliases (chr1 =
 * 1, chrM = MT: hw_chrom_names_match). Every malformed line is an error naming the file and
 * line: fewer than three columns, a start or end that is not a whole number >= 0, end <=
 * start, a chromosome the store does not have. */
#ifndef HITWIN_BED_REGIONS_H
#define HITWIN_BED_REGIONS_H

#include <stdint.h>

typedef struct {
    int64_t n;
    int32_t *chrom; /* index into the names given to hw_regions_read */
    int64_t *start, *end;
} hw_regions;

/* 0, or -1 with hw_error() = "<path>:<line>: <cause>" (or "<path>: <cause>" for the file). */
int hw_regions_read(const char *path, char *const *names, int n_names, hw_regions *r);
void hw_regions_free(hw_regions *r);
/* 1 when [start, end) on chromosome chrom overlaps a region */
int hw_regions_overlap(const hw_regions *r, int32_t chrom, int64_t start, int64_t end);

#endif
