/* Format-independent access to a Hi-C contact file (.hic v8/v9, .cool, .mcool).
 *
 * One open file, its metadata (chromosomes, resolutions, normalisations), and
 * one query primitive, hw_contacts_fetch, that streams stored contacts of a
 * rectangle to a callback. Everything else (dense tiles, diagonal bands, dump)
 * is built on that primitive, so the two readers only implement it once each.
 *
 * Coordinates are chromosome-relative bins at the query's resolution;
 * bin = floor(bp / resolution). Values are float; non-finite values (masked
 * bins under a normalisation) are passed through as NaN/inf and callers decide.
 */
#ifndef HITWIN_CONTACTS_H
#define HITWIN_CONTACTS_H

#include <stdint.h>

typedef enum { HW_FORMAT_HIC = 1, HW_FORMAT_COOL = 2, HW_FORMAT_MCOOL = 3 } hw_format;

/* observed: (normalised) counts; oe: observed / expected at that distance. */
typedef enum { HW_OBSERVED = 0, HW_OE = 1 } hw_value_type;

#define HW_NAME_CAP 128

typedef struct {
    char name[HW_NAME_CAP]; /* as written in the file */
    int64_t length;         /* bp */
} hw_chrom;

/* Metadata filled by the reader at open. Chromosomes are the biological ones
 * in file order: the .hic "All" pseudo-chromosome is not listed. */
typedef struct {
    hw_format format;
    int version;         /* .hic: 8 or 9; cooler: format-version (1..3) */
    char genome[512];    /* genome id / assembly, "unknown" when absent */
    int nchroms;
    hw_chrom *chroms;
    int nresolutions;
    int32_t *resolutions; /* bp, ascending, no duplicates */
    int nnorms;           /* normalisations offered at any resolution, "NONE" first */
    char (*norms)[32];
} hw_info;

/* A rectangle query. For intra-chromosomal queries (chrom1 == chrom2) the file
 * stores one triangle; the reader returns every stored contact whose cell or
 * mirror cell lies in the rectangle. */
typedef struct {
    int32_t resolution;
    const char *norm;     /* "NONE", or a normalisation listed in hw_info.norms */
    hw_value_type type;
    int chrom1, chrom2;   /* indices into hw_info.chroms */
    int64_t lo1, hi1;     /* bins [lo1, hi1) on chrom1 */
    int64_t lo2, hi2;     /* bins [lo2, hi2) on chrom2 */
    int64_t max_offset;   /* intra only: if > 0, only contacts with |i - j| < max_offset;
                             readers use it to skip whole blocks far from the diagonal */
} hw_query;

/* Called once per stored contact: i on chrom1, j on chrom2. For intra queries
 * i <= j always (the upper triangle; mirror it yourself if you need both).
 * No order is promised. Return 0 to continue, non-zero to stop with an error
 * (the callback sets hw_fail first). */
typedef int (*hw_contact_fn)(void *ctx, int64_t i, int64_t j, float value);

typedef struct hw_contacts hw_contacts;

/* Open by content (magic bytes / HDF5 signature), not by extension.
 * NULL on failure with hw_error() = "<path>: <cause>". */
hw_contacts *hw_contacts_open(const char *path);
void hw_contacts_close(hw_contacts *f);
const hw_info *hw_contacts_info(const hw_contacts *f);
const char *hw_contacts_path(const hw_contacts *f);

/* Number of bins of a chromosome at a resolution: ceil(length / resolution),
 * for both formats (a cooler's bins table may cover only part of a chromosome:
 * its bins keep their genomic numbering, start / resolution). */
int64_t hw_contacts_nbins(const hw_contacts *f, int chrom, int32_t resolution);

/* Is this normalisation available at this resolution? (NONE always is.) */
int hw_contacts_has_norm(const hw_contacts *f, const char *norm, int32_t resolution);

/* Stream the contacts of q to fn. 0 ok, -1 on error (bad query, unknown
 * resolution or normalisation, corrupt data) with hw_error set. */
int hw_contacts_fetch(hw_contacts *f, const hw_query *q, hw_contact_fn fn, void *ctx);

/* Find a chromosome by name, accepting "chr1" for "1" and back, and "M"/"MT"/
 * "chrM" as one. Returns the index, or -1 with hw_error() listing the names. */
int hw_find_chrom(const hw_info *info, const char *path, const char *name);

/* Does `name` refer to the same chromosome as `canonical` under those rules? */
int hw_chrom_names_match(const char *a, const char *b);

/* Dense rows x cols float matrix of the rectangle [lo1,hi1) x [lo2,hi2)
 * (row-major), with straw's semantics: intra queries are symmetric (both
 * (i,j) and (j,i) filled), non-finite values become 0. */
int hw_contacts_fetch_dense(hw_contacts *f, const hw_query *q, float *out);

/* The diagonal band of a whole chromosome, every block read once:
 * band[i * width + d] = value at (i, i + d), 0 <= d < width, i < nbins.
 * Non-finite values become 0. band has nbins * width floats. */
int hw_contacts_fetch_band(hw_contacts *f, int32_t resolution, const char *norm,
                           hw_value_type type, int chrom, int64_t width, float *band);

#endif
