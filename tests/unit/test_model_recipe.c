/* The recipe's input scaling (docs/recipe.md): a model with input_transform / norm_region
 * embeds a tile exactly as the reference-scaled model (same seed, same weights) embeds the
 * tile transformed by hand: log1p (or the per-tile O/E), divided by the maximum over the
 * off-diagonal pixels, the masked band zeroed (so the reference's whole-tile max is 1 and
 * its normalisation the identity); with norm_region whole the transform alone; with
 * norm_region none the transform undivided (the band zeroed and its pixel (0, 0) set to 1,
 * so that the reference's max is 1 again: the tiles' O/E stays below e - 1). Also: the zero
 * config is the reference. */
#include <math.h>
#include <stdlib.h>

#include "hitwin/model.h"
#include "hitwin/nn.h"
#include "test_util.h"

#define S 32

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
                                      HW_INPUT_OE};
    const hw_norm_region regs[] = {HW_NORM_OFFDIAG, HW_NORM_OFFDIAG, HW_NORM_OFFDIAG, HW_NORM_WHOLE,
                                   HW_NORM_NONE};
    for (int v = 0; v < 5; v++) {
        hw_model_config rc = ref;
        rc.input_transform = trs[v];
        rc.norm_region = regs[v];
        hw_model *a = hw_model_create(&rc, 7), *b = hw_model_create(&ref, 7);
        for (int i = 0; i < 2; i++) by_hand(h + i * S * S, t + i * S * S, trs[v], regs[v]);
        float ea[2 * 83], eb[2 * 83];
        CHECK_INT_EQ(hw_model_embed(a, t, 2, ea), 0);
        CHECK_INT_EQ(hw_model_embed(b, h, 2, eb), 0);
        double maxd = 0, maxe = 0;
        for (int k = 0; k < 2 * 83; k++) {
            maxd = fmax(maxd, fabs(ea[k] - eb[k]));
            maxe = fmax(maxe, fabs(eb[k]));
        }
        if (!(maxd <= 1e-5 * (1 + maxe))) {
            fprintf(stderr, "variant %d: embeddings differ by %g (scale %g)\n", v, maxd, maxe);
            test_failures++;
        }
        /* and the reference scaling differs from the recipe's on these tiles */
        if (v == 1) {
            float er[2 * 83];
            CHECK_INT_EQ(hw_model_embed(b, t, 2, er), 0);
            double dr = 0;
            for (int k = 0; k < 2 * 83; k++) dr = fmax(dr, fabs(er[k] - ea[k]));
            CHECK(dr > 1e-3 * (1 + maxe));
        }
        hw_model_free(a);
        hw_model_free(b);
    }
    return test_failures ? 1 : 0;
}
