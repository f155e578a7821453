/* The tiny MaxViT of the fixtures (tests/fixtures/make_maxvit_model_fixture.py): image S,
 * stem 8, blocks [8, 16] x [1, 2] layers, head_dim 4, triplet loss. The unit tests that
 * build it take it from here, so the architecture cannot drift from the fixture's in one of
 * them. Define S before including. */
#ifndef HITWIN_TESTS_MAXVIT_TINY_H
#define HITWIN_TESTS_MAXVIT_TINY_H

#include "hitwin/model.h"

static hw_model_config tiny_cfg(void) {
    hw_model_config c = {.image_size = S, .mask = 1, .loss = HW_LOSS_TRIPLET, .margin = 1.0f,
                         .backbone = HW_BACKBONE_SMAXVIT};
    c.maxvit = (hw_maxvit_arch){.n_blocks = 2, .stem_channels = 8, .channels = {8, 16}, .layers = {1, 2},
                                .head_dim = 4, .stochastic_depth = 0.2f};
    return c;
}

#endif
