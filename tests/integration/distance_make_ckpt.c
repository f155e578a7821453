/* Test helper: a randomly initialised SLeNet checkpoint for `hitwin distance`
 *   distance_make_ckpt OUT.safetensors [image_size] [seed] [mask 0|1] [with_head 0|1]
 * with_head 1 also writes OUT_nn.safetensors (the head a trainer saves). */
#include <stdio.h>
#include <stdlib.h>

#include "hitwin/error.h"
#include "hitwin/model.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUT.safetensors [image_size] [seed] [mask] [with_head]\n", argv[0]);
        return 2;
    }
    hw_model_config cfg = {.image_size = argc > 2 ? atoi(argv[2]) : 224,
                           .mask = argc > 4 ? atoi(argv[4]) : 1,
                           .dropout = 0.5f,
                           .loss = argc > 5 && atoi(argv[5]) ? HW_LOSS_CONTRASTIVE : HW_LOSS_TRIPLET,
                           .bias = 2.0f, .margin = 2.0f, .temperature = 0.07f};
    hw_model *m = hw_model_create(&cfg, argc > 3 ? strtoull(argv[3], NULL, 10) : 1);
    const char *meta[] = {"made_by", "distance_make_ckpt (random initialisation)", NULL};
    if (!m || hw_model_save(m, argv[1], meta) != 0) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    hw_model_free(m);
    return 0;
}
