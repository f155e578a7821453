/* One replicate's counts: technical variation, expected band, Poisson draws,
 * coarsening. */
#include "hitwin/sim_sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/sim_rng.h"
#include "hitwin/xalloc.h"

void sim_band_free(sim_band *b) {
    free(b->rowptr);
    free(b->off);
    free(b->count);
    memset(b, 0, sizeof *b);
}

int64_t sim_band_nnz(const sim_band *b) { return b->rowptr ? b->rowptr[b->nbins] : 0; }

sim_library sim_library_params(const hw_sim_config *cfg, int sample) {
    sim_rng r;
    sim_rng_seed(&r, cfg->seed, SIM_STREAM_LIBRARY, sample, 0);
    double cv = cfg->depth_cv;
    sim_library lib;
    lib.depth_factor = exp(cv * sim_rng_normal(&r) - 0.5 * cv * cv);
    lib.slope_delta = cfg->slope_sd * sim_rng_normal(&r);
    return lib;
}

/* The diagonal (d = 0) is given the decay at half a bin: s^-a is singular at 0
 * and the self-bin in real maps is only a few times the first off-diagonal. */
static double decay(int64_t d, double a) { return pow(d > 0 ? (double)d : 0.5, -a); }

void sim_diag_norm(const hw_sim_config *cfg, const sim_chrom *c, const sim_state *control,
                   int64_t width, double *norm) {
    int64_t n = c->nbins;
    double *f = xmalloc((size_t)(n * width) * sizeof *f);
    sim_structure_band(cfg, c, control, width, f);
    for (int64_t d = 0; d < width; d++) {
        double s = 0;
        for (int64_t i = 0; i + d < n; i++) s += f[i * width + d];
        norm[d] = s / (double)(n - d);
    }
    free(f);
}

void sim_sample_chrom(const hw_sim_config *cfg, const sim_genome *g, int chrom, int cond,
                      int rep, const double *norm, double *work, sim_band *out) {
    const sim_chrom *c = &g->chroms[chrom];
    const int64_t n = c->nbins, w = sim_band_width(cfg, n);
    const int sample = cond * cfg->replicates + rep;
    const sim_library lib = sim_library_params(cfg, sample);

    /* per-replicate coverage bias on top of the shared one */
    double *bias = xmalloc((size_t)n * sizeof *bias);
    sim_rng rb;
    sim_rng_seed(&rb, cfg->seed, SIM_STREAM_BIAS, chrom, sample);
    const double bs = cfg->bias_sd;
    for (int64_t i = 0; i < n; i++)
        bias[i] = c->shared_bias[i] * exp(bs * sim_rng_normal(&rb) - 0.5 * bs * bs);

    if (g->bg) {
        sim_bg_structure_band(cfg, g, chrom, cond, sample, w, work);
    } else {
        sim_state st;
        sim_replicate_state(cfg, g, chrom, cond, sample, &st);
        sim_structure_band(cfg, c, &st, w, work);
        sim_state_free(&st);
    }

    double *pd = xmalloc((size_t)w * sizeof *pd);
    for (int64_t d = 0; d < w; d++)
        pd[d] = decay(d, cfg->decay_exponent + lib.slope_delta) / norm[d];
    /* The library's fixed pixel pattern (a log-normal factor per pixel, mean
     * 1): counter-based, keyed by the pixel's bins, so it is the same whatever
     * the band width, rank count or draw order. */
    const double ps = cfg->pixel_sd;
    const uint64_t pkey = sim_rng_key(cfg->seed, SIM_STREAM_PIXEL, chrom, sample);
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        double *row = work + i * w;
        for (int64_t d = 0; d < w && i + d < n; d++) {
            row[d] *= pd[d] * bias[i] * bias[i + d];
            if (ps > 0 && row[d] > 0)
                row[d] *= exp(ps * sim_rng_hash_normal(pkey, ((uint64_t)i << 32) | (uint64_t)(i + d)) -
                              0.5 * ps * ps);
            sum += row[d];
        }
    }
    double genome = (double)hw_sim_genome_length(cfg), len = (double)cfg->chroms[chrom].length;
    double target = cfg->total_contacts > 0 ? cfg->total_contacts * len / genome
                                            : cfg->contacts_per_mb * len / 1e6;
    double scale = sum > 0 ? target * lib.depth_factor / sum : 0;

    sim_rng r, rd;
    sim_rng_seed(&r, cfg->seed, SIM_STREAM_COUNTS, chrom, sample);
    sim_rng_seed(&rd, cfg->seed, SIM_STREAM_DISPERSION, chrom, sample);
    /* gamma-Poisson: the rate times Gamma(1/phi, phi), so Var = mu + phi mu^2 */
    const double phi = cfg->dispersion;
    memset(out, 0, sizeof *out);
    out->nbins = n;
    out->rowptr = xmalloc((size_t)(n + 1) * sizeof *out->rowptr);
    size_t cap = 0, cap2 = 0, nnz = 0;
    for (int64_t i = 0; i < n; i++) {
        out->rowptr[i] = (int64_t)nnz;
        const double *row = work + i * w;
        for (int64_t d = 0; d < w && i + d < n; d++) {
            double lam = row[d] * scale;
            if (phi > 0 && lam > 0) lam *= phi * sim_rng_gamma(&rd, 1.0 / phi);
            int64_t k = sim_rng_poisson(&r, lam);
            if (k == 0) continue;
            hw_grow(&out->off, &cap, nnz + 1);
            hw_grow(&out->count, &cap2, nnz + 1);
            out->off[nnz] = (uint16_t)d;
            out->count[nnz] = k > INT32_MAX ? INT32_MAX : (int32_t)k;
            nnz++;
        }
    }
    out->rowptr[n] = (int64_t)nnz;
    free(pd);
    free(bias);
}

void sim_band_coarsen(const sim_band *in, int factor, sim_band *out) {
    const int64_t nc = (in->nbins + factor - 1) / factor;
    int64_t maxoff = 0;
    for (int64_t p = 0; p < sim_band_nnz(in); p++)
        if (in->off[p] > maxoff) maxoff = in->off[p];
    const int64_t wc = (factor - 1 + maxoff) / factor + 1;
    int64_t *acc = xcalloc((size_t)wc, sizeof *acc);
    memset(out, 0, sizeof *out);
    out->nbins = nc;
    out->rowptr = xmalloc((size_t)(nc + 1) * sizeof *out->rowptr);
    size_t cap = 0, cap2 = 0, nnz = 0;
    for (int64_t I = 0; I < nc; I++) {
        out->rowptr[I] = (int64_t)nnz;
        int64_t i1 = (I + 1) * factor < in->nbins ? (I + 1) * factor : in->nbins;
        for (int64_t i = I * factor; i < i1; i++)
            for (int64_t p = in->rowptr[i]; p < in->rowptr[i + 1]; p++)
                acc[(i + in->off[p]) / factor - I] += in->count[p];
        for (int64_t D = 0; D < wc; D++) {
            if (!acc[D]) continue;
            hw_grow(&out->off, &cap, nnz + 1);
            hw_grow(&out->count, &cap2, nnz + 1);
            out->off[nnz] = (uint16_t)D;
            out->count[nnz] = acc[D] > INT32_MAX ? INT32_MAX : (int32_t)acc[D];
            acc[D] = 0;
            nnz++;
        }
    }
    out->rowptr[nc] = (int64_t)nnz;
    free(acc);
}
