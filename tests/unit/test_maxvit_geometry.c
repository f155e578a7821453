/* hw_maxvit_layers (maxvit_geometry.c), the one description of a MaxViT's shape that the CPU
 * backbone and its CUDA twin both build from: maxvit_t at 224 (torchvision's strides, widths,
 * heads, stochastic-depth linspace and state_dict prefixes) and a small architecture. */
#include <string.h>

#include "hitwin/maxvit_geometry.h"
#include "test_util.h"

int main(void) {
    const hw_maxvit_arch zero = {0};
    hw_maxvit_arch t = hw_maxvit_resolved(&zero);
    CHECK_INT_EQ(t.n_blocks, 4);
    CHECK_INT_EQ(hw_maxvit_n_layers(&t), 11);
    CHECK_INT_EQ(hw_maxvit_conv_out(224), 112);
    CHECK_INT_EQ(hw_maxvit_conv_out(7), 4);
    hw_maxvit_layer L[11];
    int end[4];
    CHECK_INT_EQ(hw_maxvit_layers(&t, 224, L, end), 64 + 128 + 256 + 512);
    CHECK_INT_EQ(end[0], 1); CHECK_INT_EQ(end[1], 3); CHECK_INT_EQ(end[2], 8); CHECK_INT_EQ(end[3], 10);
    /* block 0: 112 -> 56, stem's 64 in; block 2's second layer: 256 -> 256 at 14 */
    CHECK_INT_EQ(L[0].cin, 64); CHECK_INT_EQ(L[0].cout, 64); CHECK_INT_EQ(L[0].stride, 2);
    CHECK_INT_EQ(L[0].in_side, 112); CHECK_INT_EQ(L[0].out_side, 56);
    CHECK_INT_EQ(L[0].mid, 256); CHECK_INT_EQ(L[0].squeeze, 16); CHECK_INT_EQ(L[0].heads, 2);
    CHECK_INT_EQ(L[4].block, 2); CHECK_INT_EQ(L[4].index, 0);
    CHECK_INT_EQ(L[4].cin, 128); CHECK_INT_EQ(L[4].cout, 256); CHECK_INT_EQ(L[4].in_side, 28);
    CHECK_INT_EQ(L[5].cin, 256); CHECK_INT_EQ(L[5].stride, 1); CHECK_INT_EQ(L[5].in_side, 14);
    CHECK_INT_EQ(L[10].out_side, 7); CHECK_INT_EQ(L[10].heads, 16);
    CHECK_STR_EQ(L[5].prefix, "blocks.2.layers.1.layers.");
    CHECK_INT_EQ(L[5].sd_slot, 25);
    CHECK(L[0].p_sd == 0.0f);
    CHECK_NEAR(L[5].p_sd, 0.1, 1e-7, 0);
    CHECK_NEAR(L[10].p_sd, 0.2, 1e-7, 0);

    /* a small one: one layer, no stochastic depth to spread */
    hw_maxvit_arch s = {.n_blocks = 1, .stem_channels = 8, .channels = {8}, .layers = {1},
                        .head_dim = 4, .stochastic_depth = 0.2f};
    CHECK(memcmp(&s, &(hw_maxvit_arch){0}, sizeof s) != 0);
    hw_maxvit_arch r = hw_maxvit_resolved(&s);
    CHECK_INT_EQ(r.stem_channels, 8);
    CHECK_INT_EQ(hw_maxvit_layers(&r, 28, L, end), 8);
    CHECK_INT_EQ(end[0], 0); CHECK_INT_EQ(L[0].in_side, 14); CHECK_INT_EQ(L[0].out_side, 7);
    CHECK(L[0].p_sd == 0.0f);
    return TEST_RESULT();
}
