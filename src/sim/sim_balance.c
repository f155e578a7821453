/* ICE balancing, a port of cooler's _balance.py (genome-wide mode), with one
 * difference: the update is the symmetric half step bias /= sqrt(marg / mean)
 * instead of cooler's bias /= marg / mean. Both have the same fixed point
 * (rows summing to a constant), but on a band-limited matrix (no contacts
 * beyond max_distance) cooler's full step oscillates at chromosome ends and
 * never reaches tol (measured: variance stuck near 3e4 after 300 iterations at
 * 100 kb), while the half step reaches 1e-20 in under 100. Starting cooler's
 * own balance_cooler from our weights, it stops at once (tests check this). */
#include "hitwin/sim_balance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/xalloc.h"

typedef enum { MARG_NNZ, MARG_COUNT, MARG_BALANCED } marg_kind;

/* Genome-wide marginal: a diagonal pixel counts once, an off-diagonal one for
 * both of its bins (cooler's _marginalize), diagonals < ignore_diags left out. */
static void marginal(const sim_band *bands, int c0, int c1, const int64_t *chrom_offset,
                     int ignore, marg_kind kind, const double *bias, int64_t nbins, MPI_Comm comm,
                     double *local, double *out) {
    memset(local, 0, (size_t)nbins * sizeof *local);
    for (int k = c0; k < c1; k++) {
        const sim_band *b = &bands[k - c0];
        const int64_t base = chrom_offset[k];
        for (int64_t i = 0; i < b->nbins; i++) {
            const int64_t gi = base + i;
            for (int64_t p = b->rowptr[i]; p < b->rowptr[i + 1]; p++) {
                const int64_t d = b->off[p];
                if (d < ignore) continue;
                const int64_t gj = gi + d;
                double v = kind == MARG_NNZ ? 1.0 : (double)b->count[p];
                if (kind == MARG_BALANCED) v *= bias[gi] * bias[gj];
                if (d > 0) local[gi] += v;
                local[gj] += v;
            }
        }
    }
    MPI_Allreduce(local, out, (int)nbins, MPI_DOUBLE, MPI_SUM, comm);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.median: the mean of the two middle values for an even count. */
static double median(double *v, int64_t n) {
    if (n == 0) return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* cooler's MAD-max filter: marginals normalised by their chromosome's median,
 * then bins more than mad_max median absolute deviations below the median of
 * the log marginals are masked. */
static void mad_filter(double *marg, const int64_t *chrom_offset, int nchroms, double mad_max,
                       double *bias, double *tmp) {
    const int64_t nbins = chrom_offset[nchroms];
    for (int k = 0; k < nchroms; k++) {
        int64_t m = 0;
        for (int64_t i = chrom_offset[k]; i < chrom_offset[k + 1]; i++)
            if (marg[i] > 0) tmp[m++] = marg[i];
        double med = median(tmp, m);
        if (m == 0) continue;
        for (int64_t i = chrom_offset[k]; i < chrom_offset[k + 1]; i++) marg[i] /= med;
    }
    int64_t m = 0;
    for (int64_t i = 0; i < nbins; i++)
        if (marg[i] > 0) tmp[m++] = log(marg[i]);
    if (m == 0) return;
    double med = median(tmp, m);
    for (int64_t i = 0; i < m; i++) tmp[i] = fabs(tmp[i] - med);
    double mad = median(tmp, m);
    double cutoff = exp(med - mad_max * mad);
    for (int64_t i = 0; i < nbins; i++)
        if (marg[i] < cutoff) bias[i] = 0;
}

void sim_balance(const sim_band *bands, int c0, int c1, const int64_t *chrom_offset, int nchroms,
                 const sim_balance_opts *o, MPI_Comm comm, double *bias, sim_balance_stats *st) {
    const int64_t nbins = chrom_offset[nchroms];
    double *local = xmalloc((size_t)nbins * sizeof *local);
    double *marg = xmalloc((size_t)nbins * sizeof *marg);
    for (int64_t i = 0; i < nbins; i++) bias[i] = 1.0;

    if (o->min_nnz > 0) {
        marginal(bands, c0, c1, chrom_offset, o->ignore_diags, MARG_NNZ, NULL, nbins, comm, local, marg);
        for (int64_t i = 0; i < nbins; i++)
            if (marg[i] < o->min_nnz) bias[i] = 0;
    }
    if (o->mad_max > 0) {
        marginal(bands, c0, c1, chrom_offset, o->ignore_diags, MARG_COUNT, NULL, nbins, comm, local, marg);
        mad_filter(marg, chrom_offset, nchroms, o->mad_max, bias, local);
    }

    double scale = 1.0, var = 0.0;
    int it = 0;
    for (it = 0; it < o->max_iters; it++) {
        marginal(bands, c0, c1, chrom_offset, o->ignore_diags, MARG_BALANCED, bias, nbins, comm,
                 local, marg);
        double sum = 0, sum2 = 0;
        int64_t nz = 0;
        for (int64_t i = 0; i < nbins; i++)
            if (marg[i] != 0) {
                sum += marg[i];
                nz++;
            }
        if (nz == 0) {
            scale = NAN;
            var = 0;
            for (int64_t i = 0; i < nbins; i++) bias[i] = NAN;
            break;
        }
        double mean = sum / (double)nz;
        for (int64_t i = 0; i < nbins; i++)
            if (marg[i] != 0) sum2 += (marg[i] - mean) * (marg[i] - mean);
        var = sum2 / (double)nz;
        scale = mean;
        for (int64_t i = 0; i < nbins; i++)
            if (marg[i] != 0) bias[i] /= sqrt(marg[i] / mean);
        if (var < o->tol) {
            it++;
            break;
        }
    }
    for (int64_t i = 0; i < nbins; i++) {
        if (bias[i] == 0) bias[i] = NAN;
        else bias[i] /= sqrt(scale);
    }
    st->scale = scale;
    st->var = var;
    st->converged = var < o->tol;
    st->iters = it;
    free(local);
    free(marg);
}
