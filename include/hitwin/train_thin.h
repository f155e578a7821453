/* Poisson draws that give the same bits in C and in CUDA, and thinning's per-pixel rule,
 * for augment.c (hw_rng_poisson, hw_aug_thin) and the device batch gather (gpu_batch.cu).
 *
 * Why own exp and log: the Poisson sampler compares products and sums of uniforms with
 * exp(-lambda), log(lambda) and log(k!) (numpy's PTRS). glibc's exp/log and CUDA's differ in
 * the last bit for some arguments, which would flip a draw once in a while, so the CPU batch
 * and the device batch could not be compared bit for bit. Here exp, log and log-gamma are
 * written with + - * / and sqrt only, each of which IEEE 754 rounds correctly on both sides:
 * the same arguments give the same doubles. On the device every operation is an explicit
 * round-to-nearest intrinsic (__dmul_rn, __dadd_rn, ...), so nvcc cannot fuse a multiply and
 * an add into an FMA (which rounds once instead of twice). On the host the build has no
 * -march, so gcc emits no FMA on x86-64 (the same assumption as optim.c, docs/gpu.md); a
 * host with FMA in its baseline (aarch64) would need -ffp-contract=off for these files.
 * Accuracy: exp and log within a few ulp of libm's (test_train_augment checks 1e-15
 * relative), far below what a Poisson sampler can notice.
 *
 * Random numbers: nn_rng's counter-based stream (nn.h): draw c of seed s is
 * mix64(mix64(s + golden) + (c + 1) * golden) >> 32. The key mix64(s + golden) is computed
 * once per stream; hw_pois_u32 is nn_rng_u32_at(s, c) (checked by test_train_augment).
 *
 * Thinning (hw_aug_thin, docs/recipe.md): pixel k = i*T + j of the lower triangle (j <= i)
 * draws Poisson(p * value) from ITS OWN range of the tile's stream, counters starting at
 * k << 32, so every pixel can be drawn by its own GPU thread and still equal the CPU's
 * sequential loop. The tile's p ~ U(p_min, 1) comes from the range at HW_THIN_P_COUNTER,
 * which no pixel reaches (k < 2^32 - 1 for any T < 65536). */
#ifndef HITWIN_TRAIN_THIN_H
#define HITWIN_TRAIN_THIN_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__CUDACC__)
#define HW_THIN_FN static __host__ __device__ __forceinline__
#else
#define HW_THIN_FN static inline
#endif

/* one rounding per operation on both sides (see above) */
#if defined(__CUDA_ARCH__)
#define HW_DADD(a, b) __dadd_rn((a), (b))
#define HW_DSUB(a, b) __dsub_rn((a), (b))
#define HW_DMUL(a, b) __dmul_rn((a), (b))
#define HW_DDIV(a, b) __ddiv_rn((a), (b))
#define HW_DSQRT(a) __dsqrt_rn(a)
#else
#define HW_DADD(a, b) ((a) + (b))
#define HW_DSUB(a, b) ((a) - (b))
#define HW_DMUL(a, b) ((a) * (b))
#define HW_DDIV(a, b) ((a) / (b))
#define HW_DSQRT(a) sqrt(a)
#endif
#define HW_DFLOOR(a) floor(a) /* exact on both */

#define HW_THIN_P_COUNTER (0xFFFFFFFFull << 32)

/* ---- the counter-based stream (nn_rng.c's arithmetic, integers only) ------------------ */
HW_THIN_FN uint64_t hw_pois_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
HW_THIN_FN uint64_t hw_pois_key(uint64_t seed) { return hw_pois_mix64(seed + 0x9E3779B97F4A7C15ull); }
HW_THIN_FN uint32_t hw_pois_u32(uint64_t key, uint64_t *counter) {
    uint64_t c = (*counter)++;
    return (uint32_t)(hw_pois_mix64(key + (c + 1) * 0x9E3779B97F4A7C15ull) >> 32);
}
/* [0, 1) with 53 random bits from two draws; every operation is exact (hw_rng_double). The
 * explicit operations keep nvcc from fusing a * 2^26 + b into an FMA: harmless here (the
 * sum is exact either way) but it would be the one fma.rn.f64 in the thinning's PTX, which
 * is how a fused operation elsewhere would be spotted. */
HW_THIN_FN double hw_pois_double(uint64_t key, uint64_t *counter) {
    uint32_t a = hw_pois_u32(key, counter) >> 5, b = hw_pois_u32(key, counter) >> 6;
    return HW_DMUL(HW_DADD(HW_DMUL((double)a, 67108864.0), (double)b),
                   1.0 / 9007199254740992.0);
}

/* ---- exp, log, log-gamma from correctly rounded operations ---------------------------- */
HW_THIN_FN double hw_pois_bits_to_double(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}
HW_THIN_FN uint64_t hw_pois_double_to_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* e^x for |x| <= 700 (below -700: 0; NaN: NaN). x = n ln2 + r, |r| <= ln2 / 2, with ln2 split
 * in two (fdlibm's ln2_hi has 32 significant bits, so n * ln2_hi is exact); e^r by its
 * Taylor series to r^13 (remainder < 5e-18); times 2^n built from its exponent bits. */
HW_THIN_FN double hw_pois_exp(double x) {
    if (x != x) return x;
    if (x < -700.0) return 0.0;
    if (x > 700.0) x = 700.0;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    const double n = HW_DFLOOR(HW_DADD(HW_DMUL(x, 1.4426950408889634), 0.5));
    const double r = HW_DSUB(HW_DSUB(x, HW_DMUL(n, ln2_hi)), HW_DMUL(n, ln2_lo));
    const double c[14] = {1.0, 1.0, 0.5, 0.16666666666666666, 0.041666666666666664,
                          0.008333333333333333, 0.001388888888888889, 0.0001984126984126984,
                          2.48015873015873e-05, 2.7557319223985893e-06, 2.755731922398589e-07,
                          2.505210838544172e-08, 2.08767569878681e-09, 1.6059043836821613e-10};
    double s = c[13];
    for (int k = 12; k >= 0; k--) s = HW_DADD(HW_DMUL(s, r), c[k]);
    /* |n| <= 1010: 2^n is a normal double */
    return HW_DMUL(s, hw_pois_bits_to_double((uint64_t)((int64_t)n + 1023) << 52));
}

/* log x for x >= 0 (0: -inf; +inf: +inf; negative or NaN: NaN). x = m 2^e with m in
 * (sqrt(1/2), sqrt(2)]; log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172, by its series
 * to s^21 (remainder < 2e-17). */
HW_THIN_FN double hw_pois_log(double x) {
    if (x != x || x < 0) return hw_pois_bits_to_double(0x7FF8000000000000ull); /* NaN */
    if (x == 0) return hw_pois_bits_to_double(0xFFF0000000000000ull);          /* -inf */
    if (x > DBL_MAX) return x;
    int e = 0;
    if (x < DBL_MIN) { /* subnormal: scale into the normal range (exact) */
        x = HW_DMUL(x, 18014398509481984.0); /* 2^54 */
        e = -54;
    }
    uint64_t u = hw_pois_double_to_bits(x);
    e += (int)((u >> 52) & 0x7FF) - 1023;
    double m = hw_pois_bits_to_double((u & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull); /* [1, 2) */
    if (m > 1.4142135623730951) {
        m = HW_DMUL(m, 0.5);
        e += 1;
    }
    const double s = HW_DDIV(HW_DSUB(m, 1.0), HW_DADD(m, 1.0)), z = HW_DMUL(s, s);
    const double c[11] = {1.0, 0.3333333333333333, 0.2, 0.14285714285714285, 0.1111111111111111,
                          0.09090909090909091, 0.07692307692307693, 0.06666666666666667,
                          0.058823529411764705, 0.05263157894736842, 0.047619047619047616};
    double q = c[10];
    for (int k = 9; k >= 0; k--) q = HW_DADD(HW_DMUL(q, z), c[k]);
    const double logm = HW_DMUL(HW_DMUL(2.0, s), q);
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    const double de = (double)e;
    return HW_DADD(HW_DMUL(de, ln2_hi), HW_DADD(HW_DMUL(de, ln2_lo), logm));
}

/* log Gamma(x) for x >= 1: numpy's random_loggam (Stirling's series at x + n >= 7, then
 * log(x0 - 1) subtracted n times), with hw_pois_log. */
HW_THIN_FN double hw_pois_loggam(double x) {
    const double a[10] = {8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04,
                          -5.952380952380952e-04, 8.417508417508418e-04, -1.917526917526918e-03,
                          6.410256410256410e-03, -2.955065359477124e-02, 1.796443723688307e-01,
                          -1.39243221690590e+00};
    if (x == 1.0 || x == 2.0) return 0.0;
    const int n = x < 7.0 ? (int)(7.0 - x) : 0;
    double x0 = HW_DADD(x, (double)n);
    const double r = HW_DDIV(1.0, x0), x2 = HW_DMUL(r, r);
    double gl0 = a[9];
    for (int k = 8; k >= 0; k--) gl0 = HW_DADD(HW_DMUL(gl0, x2), a[k]);
    const double lg2pi = 1.8378770664093453e+00; /* log(2 pi) */
    double gl = HW_DSUB(HW_DADD(HW_DADD(HW_DDIV(gl0, x0), HW_DMUL(0.5, lg2pi)),
                                HW_DMUL(HW_DSUB(x0, 0.5), hw_pois_log(x0))),
                        x0);
    for (int k = 1; k <= n; k++) {
        gl = HW_DSUB(gl, hw_pois_log(HW_DSUB(x0, 1.0)));
        x0 = HW_DSUB(x0, 1.0);
    }
    return gl;
}

/* ---- Poisson(lambda) ------------------------------------------------------------------ */
/* Knuth's multiplication method given L = exp(-lambda): the number of uniforms multiplied
 * before the product drops to L or below. */
HW_THIN_FN int64_t hw_pois_product(uint64_t key, uint64_t *counter, double L) {
    double p = 1.0;
    int64_t k = 0;
    for (;;) {
        p = HW_DMUL(p, hw_pois_double(key, counter));
        if (p <= L) return k;
        k++;
    }
}

/* Poisson(lambda): the multiplication method below 10, Hormann's PTRS above (W. Hormann, "The
 * transformed rejection method for generating Poisson random variables", 1993; numpy's
 * random_poisson_ptrs, its constants and its log-gamma). lambda <= 0, inf or NaN gives 0. */
HW_THIN_FN int64_t hw_pois_poisson(uint64_t key, uint64_t *counter, double lam) {
    if (!(lam > 0 && lam <= DBL_MAX)) return 0;
    if (lam < 10) return hw_pois_product(key, counter, hw_pois_exp(-lam));
    const double slam = HW_DSQRT(lam), loglam = hw_pois_log(lam);
    const double b = HW_DADD(0.931, HW_DMUL(2.53, slam)), a = HW_DADD(-0.059, HW_DMUL(0.02483, b));
    const double invalpha = HW_DADD(1.1239, HW_DDIV(1.1328, HW_DSUB(b, 3.4)));
    const double vr = HW_DSUB(0.9277, HW_DDIV(3.6224, HW_DSUB(b, 2.0)));
    const double log_invalpha = hw_pois_log(invalpha);
    for (;;) {
        const double U = HW_DSUB(hw_pois_double(key, counter), 0.5), V = hw_pois_double(key, counter);
        const double us = HW_DSUB(0.5, U < 0 ? -U : U);
        /* floor((2a / us + b) U + lambda + 0.43); us = 0 gives -inf or +inf, never NaN */
        const double kd = HW_DFLOOR(HW_DADD(
            HW_DADD(HW_DMUL(HW_DADD(HW_DDIV(HW_DMUL(2.0, a), us), b), U), lam), 0.43));
        if (us >= 0.07 && V <= vr) return (int64_t)kd;
        if (!(kd >= 0) || (us < 0.013 && V > us)) continue;
        const double k = kd;
        const double lhs = HW_DSUB(HW_DADD(hw_pois_log(V), log_invalpha),
                                   hw_pois_log(HW_DADD(HW_DDIV(a, HW_DMUL(us, us)), b)));
        const double rhs = HW_DSUB(HW_DADD(-lam, HW_DMUL(k, loglam)), hw_pois_loggam(HW_DADD(k, 1.0)));
        if (lhs <= rhs) return (int64_t)kd;
    }
}

/* ---- thinning (hw_aug_thin) ----------------------------------------------------------- */
/* The tile's p ~ U(p_min, 1) from its own counter range. */
HW_THIN_FN double hw_thin_p(uint64_t seed, double p_min) {
    uint64_t c = HW_THIN_P_COUNTER;
    const double u = hw_pois_double(hw_pois_key(seed), &c);
    return HW_DADD(p_min, HW_DMUL(HW_DSUB(1.0, p_min), u));
}

/* Lower-triangle pixel k (value x) of a tile thinned to p: Poisson(p x) from counter k << 32
 * of the tile's stream (key = hw_pois_key(seed)); NaN and inf are kept as they are. */
HW_THIN_FN float hw_thin_pixel(uint64_t key, uint32_t k, double p, float x) {
    if (!(x >= -FLT_MAX && x <= FLT_MAX)) return x;
    uint64_t c = (uint64_t)k << 32;
    return (float)hw_pois_poisson(key, &c, HW_DMUL(p, (double)x));
}

/* ---- the reference's Poisson copies (hw_aug_poisson, n_aug) ---------------------------
 * Pixel k of the lower triangle draws Poisson(value) as a thinning with p = 1 would, from
 * counter k << 32 of the copy's own Poisson stream: the copy's stream seed salted, so no
 * pixel reuses the draws that chose the augmentation (counters 0, 1, ... of the copy's
 * stream). Then the tile is rescaled by sum(original) / sum(drawn), as a float, when the
 * drawn sum is positive and both are finite (a tile with NaN or inf keeps its values, so
 * the trainer's check still fires). The drawn values are integers, so their sum is exact in
 * any order (below 2^53): a GPU block may add them as it likes. */
#define HW_AUG_POISSON_SALT 0x706f6973736f6e21ull /* "poisson!" */
HW_THIN_FN uint64_t hw_aug_poisson_key(uint64_t seed) { return hw_pois_key(seed ^ HW_AUG_POISSON_SALT); }
HW_THIN_FN int hw_aug_poisson_scale(double orig, double drawn, float *scale) {
    if (!(drawn > 0) || !isfinite(orig) || !isfinite(drawn)) return 0;
    *scale = (float)HW_DDIV(orig, drawn);
    return 1;
}

#endif
