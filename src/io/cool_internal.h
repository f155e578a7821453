/* State shared by the cooler reader's files (cool_file.c: open and metadata,
 * cool_index.c: per-resolution tables, cool_fetch.c: pixel streaming,
 * cool_expected.c: O/E expected values). Not a public header.
 *
 * One cool_file holds one cool_res per resolution. Opening reads only
 * attributes, the chromosome table and the bins/ column names; the index,
 * the bins/start column check, weights and expected values are loaded the
 * first time a query needs them, so opening a many-resolution .mcool is cheap.
 * A cool_file is therefore mutated by queries: not thread-safe. */
#ifndef HITWIN_COOL_INTERNAL_H
#define HITWIN_COOL_INTERNAL_H

#include <hdf5.h>
#include <stdint.h>

#include "hitwin/cool.h"

/* Pixels per H5Dread: large enough that HDF5's per-call overhead vanishes,
 * small enough (4 MiB of ids + values) to stay cache- and memory-friendly. */
#define COOL_READ_PIXELS (256 * 1024)

typedef struct {
    char name[32];
    int divisive;   /* 1: value / (w[p] w[q]); 0: value * w[p] * w[q] */
    double *w;      /* nbins genome-wide, loaded on first use */
} cool_norm;

/* Expected values of one chromosome under one norm (index into res->norms,
 * -1 for NONE): exp[d] for diagonals d < ndiag. */
typedef struct cool_expected {
    int chrom, norm;
    int64_t ndiag;
    double *exp;
    struct cool_expected *next;
} cool_expected;

/* Mean of an inter-chromosomal block (chrom1 < chrom2 in file order). */
typedef struct cool_trans_mean {
    int chrom1, chrom2, norm;
    double mean;
    struct cool_trans_mean *next;
} cool_trans_mean;

typedef struct {
    int32_t res;
    char uri[1100];       /* "<path>" or "<path>::resolutions/<res>", prefixes messages */
    char group[64];       /* HDF5 path of the cooler group, "/" for a root cooler */
    int square;           /* storage-mode "square": both triangles stored */
    int nnorms;
    cool_norm *norms;
    /* ---- loaded by cool_res_load ---- */
    int loaded;
    hid_t grp, d_bin1, d_bin2, d_count;
    int64_t nbins, nnz;
    int64_t *chrom_offset;   /* nchroms + 1: first genome-wide bin id of each chromosome */
    int64_t *bin1_offset;    /* nbins + 1: first pixel row of each bin1 (CSR indptr) */
    int64_t *rel0;           /* nchroms: chromosome-relative bin of the chromosome's first bin */
    cool_expected *expected;
    cool_trans_mean *trans;
} cool_res;

struct cool_file {
    char *path;
    hid_t fid;
    hw_info *info;
    int nres;
    cool_res *res;         /* ascending resolution, parallel to info->resolutions */
    /* pixel read buffers, reused by every fetch */
    int64_t *bin1_buf;
    int64_t *bin2_buf;
    double *count_buf;
    size_t buf_cap;
};

/* cool_index.c */
cool_res *cool_find_res(cool_file *c, int32_t resolution); /* NULL + hw_error if absent */
int cool_res_load(cool_file *c, cool_res *r);
int cool_norm_index(const cool_res *r, const char *norm); /* -1 NONE, -2 absent */
int cool_norm_load(cool_file *c, cool_res *r, int k);
void cool_res_free(cool_res *r);

/* cool_fetch.c: stream the stored pixels of rows (bin1 ids) [r0, r1) whose
 * bin2 id lies in [q0, q1), and also q >= p when `upper`, and |q - p| < band
 * when band > 0. The callback gets genome-wide ids and the balanced value
 * (norm: index into r->norms, -1 for NONE; NaN for masked bins). Pixels are
 * read in contiguous slices of whole rows; duplicate (p, q) entries of a row
 * are summed before the callback sees them. Uses c's shared buffers: not
 * reentrant. */
typedef int (*cool_pixel_fn)(void *ctx, int64_t p, int64_t q, double value);
int cool_scan_rows(cool_file *c, cool_res *r, int norm, int64_t r0, int64_t r1, int64_t q0,
                   int64_t q1, int upper, int64_t band, cool_pixel_fn fn, void *ctx);

/* cool_expected.c: O/E denominators, cached per (chromosome, norm) in r.
 * cool_expected_cis returns exp[d] for d < ndiag; px, when not NULL, holds
 * every stored pixel (p <= q) of the chromosome with q - p < ndiag (already
 * balanced), so that a whole-chromosome band fetch reads its pixels once. */
typedef struct {
    int64_t p, q;
    double v;
} cool_pixel;
const double *cool_expected_cached(const cool_res *r, int norm, int chrom, int64_t ndiag);
const double *cool_expected_cis(cool_file *c, cool_res *r, int norm, int chrom, int64_t ndiag,
                                const cool_pixel *px, int64_t npx);
int cool_expected_trans(cool_file *c, cool_res *r, int norm, int chrom1, int chrom2, double *mean);
void cool_expected_free(cool_res *r);

#endif
