/* Expected values for O/E from a cooler, which stores none (formats.md 10.5).
 *
 * cis, cooltools-style: per chromosome and norm, exp[d] = (sum of the
 * balanced values on diagonal d over pairs of valid bins) / (number of pairs
 * (i, i + d) of valid bins), where the bins are the chromosome's bins in the
 * bins table. Valid: every bin for NONE; a bin with a finite, non-zero weight
 * for a norm. Unlike cooltools' default we ignore no diagonals (ignore_diags
 * = 0): the main diagonal gets its own mean. A diagonal without valid pairs
 * gives NaN. Only the diagonals a query can reach are computed (all of them
 * for a whole-chromosome rectangle, max_offset for a band), and the result is
 * cached per (chromosome, norm) in the resolution, extended when a later
 * query needs more diagonals.
 *
 * trans: one value per chromosome pair: the sum of the balanced values of the
 * block over valid pairs / (valid bins of chrom1 * valid bins of chrom2). */
#include <math.h>
#include <stdlib.h>

#include "cool_internal.h"
#include "hitwin/error.h"
#include "hitwin/xalloc.h"

static int bin_valid(const cool_res *r, int norm, int64_t id) {
    if (norm < 0) return 1;
    double w = r->norms[norm].w[id];
    return isfinite(w) && w != 0.0;
}

const double *cool_expected_cached(const cool_res *r, int norm, int chrom, int64_t ndiag) {
    for (const cool_expected *x = r->expected; x; x = x->next)
        if (x->chrom == chrom && x->norm == norm && x->ndiag >= ndiag) return x->exp;
    return NULL;
}

typedef struct {
    const cool_res *r;
    int norm;
    int64_t ndiag;
    double *sum;
} diag_sum_ctx;

static int add_diag(void *vctx, int64_t p, int64_t q, double v) {
    diag_sum_ctx *s = vctx;
    int64_t d = q - p;
    if (d >= 0 && d < s->ndiag && isfinite(v) && bin_valid(s->r, s->norm, p) && bin_valid(s->r, s->norm, q))
        s->sum[d] += v;
    return 0;
}

const double *cool_expected_cis(cool_file *c, cool_res *r, int norm, int chrom, int64_t ndiag,
                                const cool_pixel *px, int64_t npx) {
    const double *hit = cool_expected_cached(r, norm, chrom, ndiag);
    if (hit) return hit;
    int64_t b0 = r->chrom_offset[chrom], nb = r->chrom_offset[chrom + 1] - b0;
    double *sum = xcalloc((size_t)ndiag, sizeof *sum);
    diag_sum_ctx s = {r, norm, ndiag, sum};
    if (px) {
        for (int64_t k = 0; k < npx; k++) add_diag(&s, px[k].p, px[k].q, px[k].v);
    } else if (cool_scan_rows(c, r, norm, b0, b0 + nb, b0, b0 + nb, 1, ndiag, add_diag, &s) != 0) {
        free(sum);
        return NULL;
    }

    /* valid pairs at distance d = (nb - d) minus pairs with an invalid end:
     * inclusion-exclusion with prefix counts of invalid bins, plus the
     * invalid-invalid pairs, which are few (masked bins are a small minority) */
    int64_t *pre = xcalloc((size_t)nb + 1, sizeof *pre);
    int64_t *bad = xmalloc((size_t)(nb > 0 ? nb : 1) * sizeof *bad);
    int64_t nbad = 0;
    for (int64_t i = 0; i < nb; i++) {
        int invalid = !bin_valid(r, norm, b0 + i);
        pre[i + 1] = pre[i] + invalid;
        if (invalid) bad[nbad++] = i;
    }
    int64_t *both = xcalloc((size_t)ndiag, sizeof *both);
    for (int64_t a = 0; a < nbad; a++)
        for (int64_t b = a; b < nbad && bad[b] - bad[a] < ndiag; b++) both[bad[b] - bad[a]]++;
    double *exp = xmalloc((size_t)ndiag * sizeof *exp);
    for (int64_t d = 0; d < ndiag; d++) {
        int64_t pairs = d < nb ? (nb - d) - pre[nb - d] - (pre[nb] - pre[d]) + both[d] : 0;
        exp[d] = pairs > 0 ? sum[d] / (double)pairs : NAN;
    }
    free(both);
    free(bad);
    free(pre);
    free(sum);

    /* replace a shorter cached vector of the same (chrom, norm) */
    for (cool_expected *x = r->expected; x; x = x->next)
        if (x->chrom == chrom && x->norm == norm) {
            free(x->exp);
            x->exp = exp;
            x->ndiag = ndiag;
            return exp;
        }
    cool_expected *x = xcalloc(1, sizeof *x);
    *x = (cool_expected){chrom, norm, ndiag, exp, r->expected};
    r->expected = x;
    return exp;
}

typedef struct {
    const cool_res *r;
    int norm;
    double sum;
} block_sum_ctx;

static int add_block(void *vctx, int64_t p, int64_t q, double v) {
    block_sum_ctx *s = vctx;
    if (isfinite(v) && bin_valid(s->r, s->norm, p) && bin_valid(s->r, s->norm, q)) s->sum += v;
    return 0;
}

int cool_expected_trans(cool_file *c, cool_res *r, int norm, int chrom1, int chrom2, double *mean) {
    if (chrom1 > chrom2) { /* stored as (earlier, later) */
        int t = chrom1;
        chrom1 = chrom2;
        chrom2 = t;
    }
    for (const cool_trans_mean *x = r->trans; x; x = x->next)
        if (x->chrom1 == chrom1 && x->chrom2 == chrom2 && x->norm == norm) {
            *mean = x->mean;
            return 0;
        }
    int64_t a0 = r->chrom_offset[chrom1], a1 = r->chrom_offset[chrom1 + 1];
    int64_t c0 = r->chrom_offset[chrom2], c1 = r->chrom_offset[chrom2 + 1];
    block_sum_ctx s = {r, norm, 0.0};
    if (cool_scan_rows(c, r, norm, a0, a1, c0, c1, 0, 0, add_block, &s) != 0) return -1;
    int64_t n1 = 0, n2 = 0;
    for (int64_t i = a0; i < a1; i++) n1 += bin_valid(r, norm, i);
    for (int64_t i = c0; i < c1; i++) n2 += bin_valid(r, norm, i);
    *mean = n1 > 0 && n2 > 0 ? s.sum / ((double)n1 * (double)n2) : NAN;
    cool_trans_mean *x = xcalloc(1, sizeof *x);
    *x = (cool_trans_mean){chrom1, chrom2, norm, *mean, r->trans};
    r->trans = x;
    return 0;
}

void cool_expected_free(cool_res *r) {
    while (r->expected) {
        cool_expected *x = r->expected;
        r->expected = x->next;
        free(x->exp);
        free(x);
    }
    while (r->trans) {
        cool_trans_mean *x = r->trans;
        r->trans = x->next;
        free(x);
    }
}
