/* Real-map backgrounds: the genome from the file, reading (bins summed to the
 * background resolution), balancing, observed/expected per diagonal and a
 * smoothing that widens away from the diagonal (see sim_background.h). */
#include "hitwin/sim_background.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/contacts.h"
#include "hitwin/error.h"
#include "hitwin/xalloc.h"

/* ---- the genome from the file --------------------------------------------------- */

static void list_resolutions(const hw_info *in, char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < in->nresolutions && n + 16 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%d", i ? ", " : "", in->resolutions[i]);
}

static void list_chroms(const hw_info *in, char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < in->nchroms; i++) {
        if (i == 12 || n + strlen(in->chroms[i].name) + 8 >= cap) {
            snprintf(buf + n, cap - n, ", ... (%d in all)", in->nchroms);
            return;
        }
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", in->chroms[i].name);
    }
}

static int find_chrom(const hw_info *in, const char *file, const char *name) {
    for (int i = 0; i < in->nchroms; i++)
        if (hw_chrom_names_match(in->chroms[i].name, name)) return i;
    char buf[1024];
    list_chroms(in, buf, sizeof buf);
    return hw_fail("%s: chromosome '%s' not in the file (has: %s)", file, name, buf);
}

/* Bins with a contact within 2 bins of the diagonal: a cheap measure of how
 * much of a chromosome the file covers (readers skip far blocks). */
typedef struct {
    unsigned char *seen;
    int64_t n;
} cover_ctx;

static int cover_cb(void *ctx, int64_t i, int64_t j, float v) {
    cover_ctx *c = ctx;
    (void)j;
    if (isfinite(v) && v > 0 && i >= 0 && i < c->n) c->seen[i] = 1;
    return 0;
}

static int64_t covered_bins(hw_contacts *f, int chrom, int32_t res, int64_t lo_bp, int64_t hi_bp) {
    int64_t n = hw_contacts_nbins(f, chrom, res), lo = lo_bp / res, hi = (hi_bp + res - 1) / res;
    if (hi > n) hi = n;
    cover_ctx c = {xcalloc((size_t)n + 1, 1), n};
    hw_query q = {res, "NONE", HW_OBSERVED, chrom, chrom, lo, hi, lo, hi, 3};
    int64_t k = 0;
    if (hw_contacts_fetch(f, &q, cover_cb, &c) == 0)
        for (int64_t i = 0; i < n; i++) k += c.seen[i];
    free(c.seen);
    return k;
}

int sim_bg_resolve(hw_sim_config *cfg) {
    sim_background *b = &cfg->bg;
    hw_contacts *f = hw_contacts_open(b->file);
    if (!f) return -1;
    const hw_info *in = hw_contacts_info(f);
    int rc = 0;
    const int32_t res = cfg->resolution, bres = b->resolution ? b->resolution : res;
    char buf[1024];
    /* The background resolution, or the coarsest file resolution it is a
     * multiple of (then bins are summed). */
    int32_t fres = 0;
    for (int i = 0; i < in->nresolutions; i++)
        if (bres % in->resolutions[i] == 0) fres = in->resolutions[i];
    if (!fres) {
        list_resolutions(in, buf, sizeof buf);
        rc = hw_fail("%s: no resolution %d (has %s)", b->file, bres, buf);
        goto done;
    }
    if (bres % res != 0) {
        /* a finer background than the simulation: say how to read it at the simulation's */
        if (res % fres == 0)
            rc = hw_fail("%s: background.resolution %d is not a multiple of the simulate resolution "
                         "%d (set it to %d, or leave it out, to sum the file's %d bp bins)",
                         b->file, bres, res, res, fres);
        else
            rc = hw_fail("%s: background.resolution %d is not a multiple of the simulate "
                         "resolution %d", b->file, bres, res);
        goto done;
    }
    /* Normalisation: the file's `weight` where it has one at that resolution
     * and no bins are summed (weights of finer bins do not balance their sums);
     * otherwise raw counts balanced here. */
    const char *norm = b->norm;
    free(b->norm_used);
    if (!strcmp(norm, "auto")) {
        b->norm_used = xstrdup(fres == bres && hw_contacts_has_norm(f, "weight", fres) ? "weight"
                                                                                     : "NONE");
    } else if (strcmp(norm, "NONE") && !hw_contacts_has_norm(f, norm, fres)) {
        size_t n = 0;
        buf[0] = '\0';
        for (int i = 0; i < in->nnorms; i++)
            if (hw_contacts_has_norm(f, in->norms[i], fres))
                n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? ", " : "", in->norms[i]);
        rc = hw_fail("%s: no normalisation '%s' at %d (has: %s)", b->file, norm, fres, buf);
        goto done;
    } else {
        b->norm_used = xstrdup(norm);
    }

    /* Output chromosomes: regions, the listed chromosomes, or every
     * chromosome with data on at least 100 background bins. */
    int nout = 0;
    hw_chrom *out = NULL;
    char **src = NULL;
    int64_t *off = NULL;
    b->data_bp = 0;
    int nmax = b->nregions ? b->nregions : b->nchroms ? b->nchroms : in->nchroms;
    out = xcalloc((size_t)nmax + 1, sizeof *out);
    src = xcalloc((size_t)nmax + 1, sizeof *src);
    off = xcalloc((size_t)nmax + 1, sizeof *off);
    for (int i = 0; i < nmax && rc == 0; i++) {
        int k;
        if (b->nregions) {
            const sim_region *g = &b->regions[i];
            if ((k = find_chrom(in, b->file, g->chrom)) < 0) {
                rc = -1;
                break;
            }
            int64_t len = in->chroms[k].length;
            if (g->end > len) {
                rc = hw_fail("%s: region '%s' (%s:%lld-%lld) is outside %s (length %lld)", b->file,
                             g->name, g->chrom, (long long)g->start, (long long)g->end,
                             in->chroms[k].name, (long long)len);
                break;
            }
            if (g->start % bres != 0) {
                rc = hw_fail("%s: region '%s' start %lld is not a multiple of the background "
                             "resolution %d", b->file, g->name, (long long)g->start, bres);
                break;
            }
            snprintf(out[nout].name, HW_NAME_CAP, "%s", g->name);
            out[nout].length = g->end - g->start;
            off[nout] = g->start;
        } else if (b->nchroms) {
            if ((k = find_chrom(in, b->file, b->chroms[i])) < 0) {
                rc = -1;
                break;
            }
            out[nout] = in->chroms[k];
        } else {
            k = i;
            if (covered_bins(f, k, fres, 0, in->chroms[k].length) * fres / bres < 100) continue;
            out[nout] = in->chroms[k];
        }
        b->data_bp += covered_bins(f, k, fres, off[nout], off[nout] + out[nout].length) * fres;
        src[nout] = xstrdup(in->chroms[k].name);
        nout++;
    }
    if (rc == 0 && nout == 0)
        rc = hw_fail("%s: no chromosome has data on 100 bins of %d bp (give background.regions or "
                     "a coarser background.resolution)", b->file, bres);
    if (rc < 0) {
        for (int i = 0; i < nout; i++) free(src[i]);
        free(src);
        free(out);
        free(off);
        goto done;
    }
    for (int i = 0; i < b->nout; i++) free(b->source_chrom[i]);
    free(b->source_chrom);
    free(b->offset);
    free(cfg->chroms);
    b->source_chrom = src;
    b->offset = off;
    b->nout = nout;
    b->file_resolution = fres;
    if (!b->resolution) b->resolution = bres;
    cfg->chroms = out;
    cfg->nchroms = nout;
    free(cfg->preset);
    cfg->preset = xstrdup("background");
    free(cfg->assembly);
    cfg->assembly = xstrdup(strcmp(in->genome, "unknown") && in->genome[0] ? in->genome
                                                                           : "sim-background");
    /* absolute, so the resolved config works from the output directory */
    char *abs = realpath(b->file, NULL);
    if (abs) {
        free(b->file);
        b->file = abs;
    }
done:
    hw_contacts_close(f);
    return rc;
}

/* ---- reading ------------------------------------------------------------------- */

typedef struct {
    double *band;
    int64_t lo, nb, wb, q; /* first file bin, background bins, width, file bins per bin */
} read_ctx;

static int read_cb(void *ctx, int64_t i, int64_t j, float v) {
    read_ctx *r = ctx;
    if (!isfinite(v)) return 0;
    int64_t bi = (i - r->lo) / r->q, bj = (j - r->lo) / r->q;
    if (i < r->lo || j < r->lo || bj >= r->nb) return 0;
    int64_t d = bj - bi;
    if (d >= 0 && d < r->wb) r->band[bi * r->wb + d] += v;
    return 0;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Iterative correction on the band (cooler's ICE without the MAD filter):
 * bins with fewer than min_nnz nonzero pixels or a marginal below a tenth of
 * the median are masked; the damped step b /= sqrt(r / mean) as in
 * sim_balance.c. Diagonals below ignore_diags take no part. */
static void ice(double *m, unsigned char *mask, int64_t n, int64_t w, const sim_balance_opts *o) {
    double *bias = xmalloc((size_t)n * sizeof *bias), *r = xcalloc((size_t)n, sizeof *r);
    int64_t *nnz = xcalloc((size_t)n, sizeof *nnz);
    const int64_t d0 = o->ignore_diags;
    for (int64_t i = 0; i < n; i++)
        for (int64_t d = d0; d < w && i + d < n; d++)
            if (m[i * w + d] > 0) {
                nnz[i]++;
                if (d) nnz[i + d]++;
                r[i] += m[i * w + d];
                if (d) r[i + d] += m[i * w + d];
            }
    double *sorted = xmalloc((size_t)n * sizeof *sorted);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (r[i] > 0) sorted[k++] = r[i];
    double med = 0;
    if (k) {
        qsort(sorted, (size_t)k, sizeof *sorted, cmp_double);
        med = sorted[k / 2];
    }
    free(sorted);
    for (int64_t i = 0; i < n; i++) {
        mask[i] = nnz[i] >= o->min_nnz && r[i] > 0.1 * med;
        bias[i] = mask[i] ? 1.0 : 0.0;
    }
    for (int it = 0; it < o->max_iters; it++) {
        memset(r, 0, (size_t)n * sizeof *r);
        for (int64_t i = 0; i < n; i++) {
            if (!mask[i]) continue;
            for (int64_t d = d0; d < w && i + d < n; d++) {
                double v = m[i * w + d] * bias[i] * bias[i + d];
                r[i] += v;
                if (d) r[i + d] += v;
            }
        }
        double s = 0, s2 = 0;
        int64_t c = 0;
        for (int64_t i = 0; i < n; i++)
            if (mask[i] && r[i] > 0) {
                s += r[i];
                c++;
            }
        if (!c) break;
        double mean = s / (double)c;
        for (int64_t i = 0; i < n; i++)
            if (mask[i] && r[i] > 0) {
                double x = r[i] / mean - 1;
                s2 += x * x;
                bias[i] /= sqrt(r[i] / mean);
            }
        if (s2 / (double)c < o->tol) break;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t d = 0; d < w && i + d < n; d++) m[i * w + d] *= bias[i] * bias[i + d];
    free(bias);
    free(r);
    free(nnz);
}

int sim_bg_smooth_halfwidth(int64_t d, double scale) {
    return (int)floor(sqrt((double)d / scale));
}

/* Scale every diagonal to mean 1 over the pixels of two mappable bins. */
static void per_diagonal_mean_one(float *oe, const unsigned char *mask, int64_t n, int64_t w) {
    for (int64_t d = 0; d < w; d++) {
        double s = 0;
        int64_t c = 0;
        for (int64_t i = 0; i + d < n; i++)
            if (mask[i] && mask[i + d]) {
                s += oe[i * w + d];
                c++;
            }
        double mean = c ? s / (double)c : 0;
        for (int64_t i = 0; i + d < n; i++)
            oe[i * w + d] = mean > 0 ? (float)(oe[i * w + d] / mean) : 1.0f;
    }
}

/* Two passes of a box mean, down the columns then along the rows, each with
 * the half-width h(d) of the output pixel's distance: the box is
 * (2h+1) x (2h+1) pixels and never crosses the diagonal (h(d) <= d). Masked
 * pixels carry no weight. Separable with a varying h is not an exact box, but
 * is O(pixels) at every width. */
void sim_bg_smooth(float *oe, const unsigned char *mask, int64_t n, int64_t w, double scale) {
    double *pv = xmalloc((size_t)(w + 1) * sizeof *pv), *pm = xmalloc((size_t)(w + 1) * sizeof *pm);
    float *tmp = xmalloc((size_t)(n * w) * sizeof *tmp);
    memcpy(tmp, oe, (size_t)(n * w) * sizeof *tmp);
    /* pass 1: column j, pixels (j - d', j) for d' in [d - h, d + h] */
    for (int64_t j = 0; j < n; j++) {
        pv[0] = pm[0] = 0;
        for (int64_t d = 0; d < w; d++) {
            int64_t i = j - d;
            double m = (i >= 0 && mask[i] && mask[j]) ? 1.0 : 0.0;
            pv[d + 1] = pv[d] + (m > 0 ? m * oe[i * w + d] : 0.0);
            pm[d + 1] = pm[d] + m;
        }
        for (int64_t d = 0; d < w && j - d >= 0; d++) {
            int h = sim_bg_smooth_halfwidth(d, scale);
            if (!h) continue;
            int64_t a = d - h, b = d + h + 1 < w ? d + h + 1 : w;
            double c = pm[b] - pm[a];
            if (c > 0) tmp[(j - d) * w + d] = (float)((pv[b] - pv[a]) / c);
        }
    }
    /* pass 2: row i, pixels (i, i + d') for d' in [d - h, d + h] */
    for (int64_t i = 0; i < n; i++) {
        pv[0] = pm[0] = 0;
        for (int64_t d = 0; d < w; d++) {
            double m = (i + d < n && mask[i] && mask[i + d]) ? 1.0 : 0.0;
            pv[d + 1] = pv[d] + (m > 0 ? m * tmp[i * w + d] : 0.0);
            pm[d + 1] = pm[d] + m;
        }
        for (int64_t d = 0; d < w && i + d < n; d++) {
            int h = sim_bg_smooth_halfwidth(d, scale);
            if (!h) {
                oe[i * w + d] = tmp[i * w + d];
                continue;
            }
            int64_t a = d - h, b = d + h + 1 < w ? d + h + 1 : w;
            double c = pm[b] - pm[a];
            oe[i * w + d] = c > 0 ? (float)((pv[b] - pv[a]) / c) : tmp[i * w + d];
        }
    }
    free(tmp);
    free(pv);
    free(pm);
    per_diagonal_mean_one(oe, mask, n, w);
}

/* O/E per diagonal over pixels of two mappable bins; unmappable pixels get 1
 * (neutral: their bias is 0 anyway). */
static void observed_over_expected(const double *m, const unsigned char *mask, int64_t n,
                                   int64_t w, float *oe) {
    for (int64_t d = 0; d < w; d++) {
        double s = 0;
        int64_t c = 0;
        for (int64_t i = 0; i + d < n; i++)
            if (mask[i] && mask[i + d]) {
                s += m[i * w + d];
                c++;
            }
        double mean = c ? s / (double)c : 0;
        for (int64_t i = 0; i < n; i++)
            oe[i * w + d] = (i + d < n && mask[i] && mask[i + d] && mean > 0)
                                ? (float)(m[i * w + d] / mean) : 1.0f;
    }
}

/* O/E below this is clamped before the log: an empty pixel near the diagonal
 * of a sparse map would otherwise give log 0. */
#define OE_FLOOR 0.01

int sim_bg_load_chrom(const hw_sim_config *cfg, int k, sim_bg_chrom *c) {
    const sim_background *b = &cfg->bg;
    memset(c, 0, sizeof *c);
    hw_contacts *f = hw_contacts_open(b->file);
    if (!f) return -1;
    const hw_info *in = hw_contacts_info(f);
    int fc = find_chrom(in, b->file, b->source_chrom[k]);
    if (fc < 0) {
        hw_contacts_close(f);
        return -1;
    }
    const int32_t fres = b->file_resolution, bres = b->resolution, res = cfg->resolution;
    const int64_t len = cfg->chroms[k].length, q = bres / fres, u = bres / res;
    const int64_t nb = (len + bres - 1) / bres;
    int64_t wb = cfg->max_distance / bres + 1;
    if (wb > nb) wb = nb;
    read_ctx r = {xcalloc((size_t)(nb * wb), sizeof(double)), b->offset[k] / fres, nb, wb, q};
    int64_t hi = (b->offset[k] + len + fres - 1) / fres, nf = hw_contacts_nbins(f, fc, fres);
    if (hi > nf) hi = nf;
    hw_query qu = {fres, b->norm_used, HW_OBSERVED, fc, fc, r.lo, hi, r.lo, hi, wb * q + q};
    if (hw_contacts_fetch(f, &qu, read_cb, &r) < 0) {
        hw_contacts_close(f);
        free(r.band);
        return -1;
    }
    hw_contacts_close(f);
    unsigned char *mb = xcalloc((size_t)nb, 1);
    if (!strcmp(b->norm_used, "NONE")) {
        ice(r.band, mb, nb, wb, &cfg->balance);
    } else {
        /* already balanced: mask what the normalisation (NaN) or the map left empty */
        sim_balance_opts o = cfg->balance;
        o.max_iters = 0;
        ice(r.band, mb, nb, wb, &o);
    }
    float *oeb = xmalloc((size_t)(nb * wb) * sizeof *oeb);
    observed_over_expected(r.band, mb, nb, wb, oeb);
    free(r.band);
    sim_bg_smooth(oeb, mb, nb, wb, b->smooth_scale);

    /* at the simulate resolution (nearest background pixel when it is coarser) */
    const int64_t n = (len + res - 1) / res;
    int64_t w = cfg->max_distance / res + 1;
    if (w > n) w = n;
    c->nbins = n;
    c->w = w;
    c->logoe = xmalloc((size_t)(n * w) * sizeof *c->logoe);
    c->mask = xmalloc((size_t)n);
    for (int64_t i = 0; i < n; i++) {
        c->mask[i] = mb[i / u];
        for (int64_t d = 0; d < w; d++) {
            int64_t I = i / u, D = (i + d) / u - I;
            double v = (i + d < n && D < wb) ? oeb[I * wb + D] : 1.0;
            c->logoe[i * w + d] = (float)log(v > OE_FLOOR ? v : OE_FLOOR);
        }
    }
    free(oeb);
    free(mb);
    return 0;
}

void sim_bg_chrom_free(sim_bg_chrom *c) {
    free(c->logoe);
    free(c->treat);
    free(c->mask);
    free(c->insulation);
    free(c->bounds);
    free(c->loops);
    memset(c, 0, sizeof *c);
}
