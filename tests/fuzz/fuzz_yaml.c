/* The YAML config loaders over the strict tree (src/config/yaml_tree.c):
 * FUZZ_LOADER selects dataset (hw_dataset_config_load), train
 * (hw_train_config_load) or simulate (hw_sim_config_load). The loaders take
 * a path: the input goes into a memfd. */
#include "fuzz_common.h"
#include "hitwin/dataset_config.h"
#include "hitwin/sim_config.h"
#include "hitwin/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    int fd = fz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
#if FUZZ_LOADER == 0
    hw_dataset_config cfg;
    memset(&cfg, 0, sizeof cfg);
    hw_dataset_config_load(path, &cfg);
    hw_dataset_config_free(&cfg);
#elif FUZZ_LOADER == 1
    hw_train_config cfg;
    memset(&cfg, 0, sizeof cfg);
    hw_train_config_load(path, &cfg);
    hw_train_config_free(&cfg);
#else
    hw_sim_config cfg;
    memset(&cfg, 0, sizeof cfg);
    hw_sim_config_load(&cfg, path);
    hw_sim_config_free(&cfg);
#endif
    close(fd);
    return 0;
}
