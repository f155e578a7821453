/* The `pairs: edits` operators (train_edits.h): a structural edit changes the tile only
 * where it says, by the factor it says, symmetrically; a technical signature is symmetric
 * and an identity at scale 0; both are functions of (tile, seed) alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/train_edits.h"
#include "test_util.h"

enum { T = 64 };

static void fill(float *t) {
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) t[i * T + j] = 100.0f / (float)(1 + abs(i - j)) + 1.0f;
}

static int symmetric(const float *t) {
    for (int i = 0; i < T; i++)
        for (int j = 0; j < i; j++)
            if (t[i * T + j] != t[j * T + i] && !(isnan(t[i * T + j]) && isnan(t[j * T + i]))) return 0;
    return 1;
}

int main(void) {
    static float a[T * T], b[T * T], c[T * T];
    int seen[3] = {0, 0, 0};
    for (uint64_t seed = 1; seed <= 300; seed++) {
        fill(a);
        fill(b);
        hw_edit_info e = hw_aug_edit(a, T, 1.0, seed);
        hw_edit_info e2 = hw_aug_edit(b, T, 1.0, seed);
        CHECK(memcmp(a, b, sizeof a) == 0); /* same seed, same bits */
        CHECK_INT_EQ(e.kind, e2.kind);
        CHECK(symmetric(a));
        seen[e.kind]++;
        fill(c);
        double m = fabs(log(e.factor));
        CHECK(m >= 0.35 - 1e-9 || e.kind == HW_EDIT_SPOT);
        /* where the edit acts, by how much, and nowhere else (beyond its soft edges) */
        for (int i = 0; i < T; i++)
            for (int j = 0; j <= i; j++) {
                double r = a[i * T + j] / c[i * T + j];
                int far;
                if (e.kind == HW_EDIT_BLOCK)
                    far = i >= e.hi + 12 || j < e.lo - 12 || (i < e.lo - 12) || (j >= e.hi + 12);
                else if (e.kind == HW_EDIT_INSULATION)
                    far = i < e.p - 12 || j >= e.p + 12 || j < e.lo - 12 || i >= e.hi + 12;
                else
                    far = abs(i - e.hi) > 8 || abs(j - e.lo) > 8;
                if (far && fabs(r - 1.0) > 1e-3) {
                    CHECK(!"edit leaks outside its support");
                    i = T;
                    break;
                }
            }
        if (e.kind == HW_EDIT_BLOCK && e.hi - e.lo >= 16) {
            int mid = (e.lo + e.hi) / 2;
            double r = a[mid * T + mid - 3] / c[mid * T + mid - 3];
            CHECK(fabs(log(r)) >= 0.85 * m && fabs(log(r)) <= m + 1e-6);
        }
        if (e.kind == HW_EDIT_SPOT) {
            double r = a[e.hi * T + e.lo] / c[e.hi * T + e.lo];
            CHECK_NEAR(r, e.factor, 0, 1e-5);
        }
    }
    for (int k = 0; k < 3; k++) CHECK(seen[k] > 60); /* ~100 each */

    /* a scaled edit: the same kind, place and sign, its log magnitude times the scale */
    for (uint64_t seed = 1; seed <= 60; seed++) {
        fill(a);
        fill(b);
        fill(c);
        hw_edit_info full = hw_aug_edit(a, T, 1.0, seed);
        hw_edit_info part = hw_aug_edit(b, T, 0.25, seed);
        CHECK_INT_EQ(full.kind, part.kind);
        CHECK_INT_EQ(full.lo, part.lo);
        CHECK_INT_EQ(full.hi, part.hi);
        CHECK_NEAR(log(part.factor), 0.25 * log(full.factor), 0, 1e-9);
        for (int k = 0; k < T * T; k++) {
            double la = log(a[k] / c[k]), lb = log(b[k] / c[k]);
            if (full.kind != HW_EDIT_SPOT && fabs(lb - 0.25 * la) > 1e-5) {
                CHECK(!"a block or insulation edit at scale 0.25 is not a quarter of the full one");
                break;
            }
            if (fabs(lb) > fabs(la) + 1e-6 || la * lb < -1e-12) {
                CHECK(!"a scaled edit is larger than the full one or of the other sign");
                break;
            }
        }
    }
    /* graded_edits: 1 at g = 0; else w in [0.1, 1), drawn with probability g */
    CHECK(hw_edit_scale(0.0, 5) == 1.0);
    int scaled = 0;
    for (uint64_t seed = 1; seed <= 2000; seed++) {
        double w = hw_edit_scale(0.5, seed);
        CHECK(w == hw_edit_scale(0.5, seed));
        if (w < 1.0) {
            scaled++;
            CHECK(w >= 0.1);
        }
    }
    CHECK(scaled > 900 && scaled < 1100); /* binomial(2000, 0.5): sd 22 */
    /* edits_per_tile: 1 for K <= 1; else every count in 1..K, about equally often */
    CHECK_INT_EQ(hw_edit_count(0, 9), 1);
    CHECK_INT_EQ(hw_edit_count(1, 9), 1);
    int counts[5] = {0};
    for (uint64_t seed = 1; seed <= 3000; seed++) {
        int k = hw_edit_count(4, seed);
        CHECK(k >= 1 && k <= 4);
        if (k >= 1 && k <= 4) counts[k]++;
    }
    for (int k = 1; k <= 4; k++) CHECK(counts[k] > 650 && counts[k] < 850); /* 750, sd 24 */

    /* technical: identity at scale 0; symmetric, positive, seed-determined otherwise */
    fill(a);
    fill(c);
    hw_aug_technical(a, T, 0.0, 7);
    CHECK(memcmp(a, c, sizeof a) == 0);
    hw_aug_technical(a, T, 1.0, 7);
    fill(b);
    hw_aug_technical(b, T, 1.0, 7);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(symmetric(a));
    CHECK(memcmp(a, c, sizeof a) != 0);
    double lo = 1e9, hi = 0;
    for (int k = 0; k < T * T; k++) {
        double r = a[k] / c[k];
        lo = r < lo ? r : lo;
        hi = r > hi ? r : hi;
    }
    CHECK(lo > 0.05 && hi < 20.0);
    /* NaN stays NaN */
    fill(a);
    a[5 * T + 9] = a[9 * T + 5] = NAN;
    hw_aug_technical(a, T, 1.0, 3);
    hw_aug_edit(a, T, 1.0, 3);
    CHECK(isnan(a[5 * T + 9]) && isnan(a[9 * T + 5]));
    /* contrast: symmetric, seed-determined, only inside its run (beyond its soft edges), and
     * a flattening (a > 0) pulls a planted domain towards the expected by its own factor: the
     * domain's log O/E contrast shrinks, a sharpening grows it; scale 0 is the identity */
    int flat = 0, sharp = 0;
    for (uint64_t seed = 1; seed <= 80; seed++) {
        fill(a);
        for (int i = 20; i < 44; i++) /* a domain: contacts inside bins 20..43 doubled */
            for (int j = 20; j < 44; j++) a[i * T + j] *= 2.0f;
        memcpy(c, a, sizeof a);
        memcpy(b, a, sizeof a);
        hw_edit_info e = hw_aug_contrast(a, T, 1.0, 0.7, seed);
        hw_edit_info e2 = hw_aug_contrast(b, T, 1.0, 0.7, seed);
        CHECK(memcmp(a, b, sizeof a) == 0);
        CHECK_INT_EQ(e.kind, HW_EDIT_CONTRAST);
        CHECK_INT_EQ(e2.lo, e.lo);
        CHECK(symmetric(a));
        CHECK(e.hi - e.lo >= T / 4 && e.lo >= 0 && e.hi <= T);
        double la = fabs(log(e.factor));
        CHECK(la >= 0.25 - 1e-9 && la <= 0.7 + 1e-9);
        for (int i = 0; i < T; i++)
            for (int j = 0; j <= i; j++) {
                int far = i >= e.hi + 12 || j < e.lo - 12;
                if (far && fabs(a[i * T + j] / c[i * T + j] - 1.0) > 1e-3) {
                    CHECK(!"contrast edit leaks outside its run");
                    i = T;
                    break;
                }
            }
        if (e.lo <= 16 && e.hi >= 48) { /* the whole domain inside the run */
            /* the domain's mid pixel against the same diagonal outside the domain */
            double before = log(c[32 * T + 28] / c[56 * T + 52]);
            double after = log(a[32 * T + 28] / a[56 * T + 52]);
            if (e.factor < 1) {
                flat++;
                CHECK(after < before - 0.1 && after > 0);
            } else {
                sharp++;
                CHECK(after > before + 0.1);
            }
        }
        memcpy(b, c, sizeof a);
        hw_aug_contrast(b, T, 0.0, 0.7, seed);
        CHECK(memcmp(b, c, sizeof a) == 0);
    }
    CHECK(flat > 3 && sharp > 3);
    CHECK(!hw_edit_is_contrast(0.0, 3));
    int contrast = 0;
    for (uint64_t seed = 1; seed <= 2000; seed++) contrast += hw_edit_is_contrast(0.25, seed);
    CHECK(contrast > 430 && contrast < 570); /* binomial(2000, 0.25): sd 19 */
    {
        /* contrast_strength s: |a| ~ U(0.25, s), so a strength of 1 reaches flattenings that
         * 0.7 never draws, and a strength of 0.25 draws 0.25 only */
        double lo = 1, hi = 0;
        for (uint64_t seed = 1; seed <= 200; seed++) {
            fill(a);
            double la = fabs(log(hw_aug_contrast(a, T, 1.0, 1.0, seed).factor));
            lo = la < lo ? la : lo;
            hi = la > hi ? la : hi;
            fill(a);
            CHECK_NEAR(fabs(log(hw_aug_contrast(a, T, 1.0, 0.25, seed).factor)), 0.25, 1e-12, 0);
        }
        CHECK(lo >= 0.25 - 1e-9 && lo < 0.3 && hi <= 1.0 + 1e-9 && hi > 0.95);
    }
    fill(a);
    a[5 * T + 9] = a[9 * T + 5] = NAN;
    hw_aug_contrast(a, T, 1.0, 0.7, 5);
    CHECK(isnan(a[5 * T + 9]) && isnan(a[9 * T + 5]));

    /* loop edits: the planted loop at (40, 22) (a Gaussian spot, x3 at its centre) is found to
     * the pixel; a loss brings it down towards its background by 0.6..1 of its enrichment, a
     * gain raises it; nothing changes more than 7 bins from it; a tile without a loop gets the
     * ordinary edit of the same seed; NaN stays NaN */
    int losses = 0, gains = 0;
    for (uint64_t seed = 1; seed <= 60; seed++) {
        fill(a);
        for (int i = 36; i <= 44; i++)
            for (int j = 18; j <= 26; j++) {
                float f = 1.0f + 2.0f * (float)exp(-((i - 40) * (i - 40) + (j - 22) * (j - 22)) / 2.0);
                a[i * T + j] *= f;
                a[j * T + i] *= f;
            }
        a[50 * T + 3] = a[3 * T + 50] = NAN;
        memcpy(c, a, sizeof a);
        memcpy(b, a, sizeof a);
        hw_edit_info e = hw_aug_loop(a, T, 1.0, seed);
        hw_aug_loop(b, T, 1.0, seed);
        CHECK(memcmp(a, b, sizeof a) == 0);
        CHECK_INT_EQ(e.kind, HW_EDIT_LOOP);
        CHECK_INT_EQ(e.hi, 40);
        CHECK_INT_EQ(e.lo, 22);
        CHECK(symmetric(a));
        CHECK(isnan(a[50 * T + 3]));
        double r = a[40 * T + 22] / c[40 * T + 22];
        CHECK_NEAR(r, e.factor, 0, 1e-5);
        if (e.factor < 1) {
            losses++;
            /* rho (the 3 x 3 mean over the donut's) is about 2.1 (1.8..2.4): a loss of
             * 0.6..1 of the enrichment */
            CHECK(r < 1.0 / (1.0 + 0.6 * 0.8) && r > 1.0 / (1.0 + 1.0 * 1.4));
        } else {
            gains++;
            CHECK(r >= exp(0.7) - 1e-4 && r <= exp(1.6) + 1e-4);
        }
        for (int i = 0; i < T; i++)
            for (int j = 0; j <= i; j++)
                if ((abs(i - 40) > 7 || abs(j - 22) > 7) && a[i * T + j] != c[i * T + j] &&
                    !(isnan(a[i * T + j]) && isnan(c[i * T + j]))) {
                    CHECK(!"loop edit leaks beyond its loop");
                    i = T;
                    break;
                }
        /* scale 0 is the identity */
        memcpy(b, c, sizeof a);
        hw_aug_loop(b, T, 0.0, seed);
        for (int q = 0; q < T * T; q++)
            if (!(b[q] == c[q] || (isnan(b[q]) && isnan(c[q])))) {
                CHECK(!"a loop edit at scale 0 changed the tile");
                break;
            }
        /* no loop: the ordinary edit of the same seed */
        fill(a);
        fill(b);
        hw_edit_info f = hw_aug_loop(a, T, 1.0, seed), g = hw_aug_edit(b, T, 1.0, seed);
        CHECK(f.kind != HW_EDIT_LOOP && f.kind == g.kind && f.lo == g.lo && f.hi == g.hi);
        CHECK(memcmp(a, b, sizeof a) == 0);
    }
    CHECK(losses > 15 && gains > 15);
    return TEST_RESULT();
}
