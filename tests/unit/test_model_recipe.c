/* The recipe's input scaling (docs/recipe.md): a model with input_transform / norm_region
 * embeds a tile exactly as the reference-scaled model (same seed, same weights) embeds the
 * tile transformed by hand: log1p (or the per-tile O/E), divided by the maximum over the
 * off-diagonal pixels, the masked band zeroed (so the reference's whole-tile max is 1 and
 * its normalisation the identity); with norm_region whole the transform alone; with
 * norm_region none the transform undivided (the band zeroed and its pixel (0, 0) set to 1,
 * so that the reference's max is 1 again: the tiles' O/E stays below e - 1). Also: the zero
 * config is the reference. With `smooth` h the counts are first averaged over the clipped
 * (2h + 1)^2 square (here by a summed-area table, not nn_smooth.c's loop). */
#include <math.h>
#include <stdlib.h>

#include "hitwin/model.h"
#include "hitwin/nn.h"
#include "test_util.h"

#define S 32

/* the clipped-square mean through a summed-area table of the counts (<= 0 as 0) */
static void smooth_by_hand(float *out, const float *t, int h) {
    double sat[(S + 1) * (S + 1)] = {0};
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++)
            sat[(r + 1) * (S + 1) + c + 1] = (t[r * S + c] > 0 ? t[r * S + c] : 0) + sat[r * (S + 1) + c + 1] +
                                             sat[(r + 1) * (S + 1) + c] - sat[r * (S + 1) + c];
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            int r0 = r - h < 0 ? 0 : r - h, r1 = r + h > S - 1 ? S : r + h + 1;
            int c0 = c - h < 0 ? 0 : c - h, c1 = c + h > S - 1 ? S : c + h + 1;
            double sum = sat[r1 * (S + 1) + c1] - sat[r0 * (S + 1) + c1] - sat[r1 * (S + 1) + c0] +
                         sat[r0 * (S + 1) + c0];
            out[r * S + c] = (float)(sum / ((r1 - r0) * (c1 - c0)));
        }
}

/* max |a - b| over n floats, and max |b| into *scale */
static double max_diff(const float *a, const float *b, int n, double *scale) {
    double d = 0, sc = 0;
    for (int k = 0; k < n; k++) {
        d = fmax(d, fabs(a[k] - b[k]));
        sc = fmax(sc, fabs(b[k]));
    }
    *scale = sc;
    return d;
}

static void by_hand(float *out, const float *t, hw_input_transform tr, hw_norm_region reg) {
    double e[S] = {0};
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) e[abs(r - c)] += t[r * S + c];
    for (int d = 0; d < S; d++) e[d] /= d == 0 ? S : 2.0 * (S - d);
    float mx = 0;
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            float y = t[r * S + c];
            float x = tr == HW_INPUT_LOG1P ? log1pf(y)
                      : tr == HW_INPUT_OE  ? log1pf((float)(y / e[abs(r - c)]))
                                           : y;
            out[r * S + c] = x;
            if ((reg == HW_NORM_WHOLE || abs(r - c) >= NN_DIAG_MASK_BAND) && x > mx) mx = x;
        }
    if (reg == HW_NORM_WHOLE) return; /* the reference's own max and mask do the rest */
    if (reg == HW_NORM_NONE) {
        for (int k = 0; k < S * S; k++) {
            int r = k / S, c = k % S;
            if (abs(r - c) < NN_DIAG_MASK_BAND) out[k] = 0.0f;
            else CHECK(out[k] < 1.0f);
        }
        out[0] = 1.0f;
        return;
    }
    for (int k = 0; k < S * S; k++) {
        int r = k / S, c = k % S;
        out[k] = abs(r - c) < NN_DIAG_MASK_BAND ? 0.0f : out[k] / mx;
    }
}

int main(void) {
    float t[2 * S * S], h[2 * S * S];
    unsigned s = 12345;
    for (int i = 0; i < 2; i++)
        for (int r = 0; r < S; r++)
            for (int c = 0; c <= r; c++) {
                s = s * 1103515245u + 12345u;
                /* distance decay with noise, a strong diagonal (the reference's max) */
                float v = (float)(1000.0 / (1 + r - c) * (0.5 + (s >> 16) / 65536.0) * (i + 1));
                t[i * S * S + r * S + c] = t[i * S * S + c * S + r] = v;
            }
    hw_model_config ref = {.image_size = S, .mask = 1, .dropout = 0.5f, .loss = HW_LOSS_TRIPLET,
                           .margin = 1.0f, .temperature = 0.07f};
    CHECK_INT_EQ(ref.input_transform, HW_INPUT_NONE);
    CHECK_INT_EQ(ref.norm_region, HW_NORM_WHOLE);
    const hw_input_transform trs[] = {HW_INPUT_NONE, HW_INPUT_LOG1P, HW_INPUT_OE, HW_INPUT_LOG1P,
                                      HW_INPUT_OE,   HW_INPUT_OE,    HW_INPUT_LOG1P};
    const hw_norm_region regs[] = {HW_NORM_OFFDIAG, HW_NORM_OFFDIAG, HW_NORM_OFFDIAG, HW_NORM_WHOLE,
                                   HW_NORM_NONE,    HW_NORM_NONE,    HW_NORM_OFFDIAG};
    const int smooths[] = {0, 0, 0, 0, 0, 1, 2};
    for (int v = 0; v < 7; v++) {
        hw_model_config rc = ref;
        rc.input_transform = trs[v];
        rc.norm_region = regs[v];
        rc.smooth = smooths[v];
        hw_model *a = hw_model_create(&rc, 7), *b = hw_model_create(&ref, 7);
        for (int i = 0; i < 2; i++) {
            float ts[S * S];
            if (smooths[v]) smooth_by_hand(ts, t + i * S * S, smooths[v]);
            else memcpy(ts, t + i * S * S, sizeof ts);
            by_hand(h + i * S * S, ts, trs[v], regs[v]);
        }
        float ea[2 * 83], eb[2 * 83];
        CHECK_INT_EQ(hw_model_embed(a, t, 2, ea), 0);
        CHECK_INT_EQ(hw_model_embed(b, h, 2, eb), 0);
        double maxe;
        const double maxd = max_diff(ea, eb, 2 * 83, &maxe);
        if (!(maxd <= 1e-5 * (1 + maxe))) {
            fprintf(stderr, "variant %d: embeddings differ by %g (scale %g)\n", v, maxd, maxe);
            test_failures++;
        }
        /* and the reference scaling differs from the recipe's on these tiles, and the
         * smoothing from none: m's embedding of the raw tiles is >1e-3 away from a's */
        if (v == 1 || v == 5) {
            hw_model_config u = rc;
            u.smooth = 0;
            hw_model *c = v == 1 ? b : hw_model_create(&u, 7);
            float eo[2 * 83];
            CHECK_INT_EQ(hw_model_embed(c, t, 2, eo), 0);
            double d = 0;
            for (int k = 0; k < 2 * 83; k++) d = fmax(d, fabs(eo[k] - ea[k]));
            CHECK(d > 1e-3 * (1 + maxe));
            if (c != b) hw_model_free(c);
        }
        hw_model_free(a);
        hw_model_free(b);
    }

    /* oe_balanced divides each bin's coverage out: a tile times a per-bin bias b_r b_c
     * (a library's fixed row and column pattern, log-normal sd 0.2 here) embeds as the
     * tile itself (within 1e-3 of the embedding's scale: 20 balancing rounds), where the
     * plain O/E keeps the bias (> 1e-2 away). */
    {
        float tb[2 * S * S], bias[S];
        unsigned q = 777;
        for (int r = 0; r < S; r++) {
            q = q * 1103515245u + 12345u;
            double u1 = ((q >> 8) + 0.5) / 16777216.0;
            q = q * 1103515245u + 12345u;
            double u2 = ((q >> 8) + 0.5) / 16777216.0;
            bias[r] = (float)exp(0.2 * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2));
        }
        for (int i = 0; i < 2; i++)
            for (int r = 0; r < S; r++)
                for (int c = 0; c < S; c++)
                    tb[i * S * S + r * S + c] = t[i * S * S + r * S + c] * bias[r] * bias[c];
        const hw_input_transform kinds[2] = {HW_INPUT_OE_BALANCED, HW_INPUT_OE};
        for (int v = 0; v < 2; v++) {
            hw_model_config rc = ref;
            rc.input_transform = kinds[v];
            rc.norm_region = HW_NORM_NONE;
            hw_model *a = hw_model_create(&rc, 7);
            float e0[2 * 83], e1[2 * 83];
            CHECK_INT_EQ(hw_model_embed(a, t, 2, e0), 0);
            CHECK_INT_EQ(hw_model_embed(a, tb, 2, e1), 0);
            double sc;
            const double d = max_diff(e1, e0, 2 * 83, &sc);
            if (v == 0 && !(d <= 1e-3 * sc)) {
                fprintf(stderr, "oe_balanced: a per-bin bias moves the embedding by %g (scale %g)\n", d, sc);
                test_failures++;
            }
            if (v == 1 && !(d > 1e-2 * sc)) {
                fprintf(stderr, "oe: a per-bin bias moves the embedding by only %g (scale %g)\n", d, sc);
                test_failures++;
            }
            hw_model_free(a);
        }
    }
    return test_failures ? 1 : 0;
}
