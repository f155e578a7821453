/* The dataset config: which Hi-C files make a dataset, how to tile them, and
 * where the tile store goes. YAML, documented in docs/dataset-config.md:
 *
 *   name: demo
 *   resolution: 10000          # bp per bin
 *   normalisation: NONE        # NONE, KR, VC, VC_SQRT, SCALE, or a cooler column (weight)
 *   type: observed             # observed | oe
 *   tile_size: 224             # bins
 *   stride: 28                 # bins between window starts; default tile_size / 8
 *   min_row_coverage: 0.9      # QC: fraction of tile rows with a positive value
 *   compression: 1             # deflate level of the stored tiles (0 = none)
 *   split:
 *     test: [chr2]
 *     validation: [chr18]
 *     exclude: [chrX, chrY, chrM]
 *   conditions: [control, treatment]   # optional; class 0, 1 (default: order of first use)
 *   samples:
 *     - {name: ctrl_R1, path: ctrl_R1.mcool, condition: control, replicate: R1}
 *     - ...
 *   output: tiles.h5
 *
 * Relative paths are relative to the config file's directory. */
#ifndef HITWIN_DATASET_CONFIG_H
#define HITWIN_DATASET_CONFIG_H

#include <stdint.h>

#include "hitwin/contacts.h"

typedef struct {
    char *name;      /* unique sample name */
    char *path;      /* resolved path */
    char *condition;
    char *replicate;
    int class_id;    /* index of condition in conditions[] */
    char *norm;      /* per-sample override, else the dataset's */
} hw_sample;

typedef struct {
    char *source;          /* config file path ("" when built from the CLI) */
    char *name;
    int32_t resolution;
    char *norm;
    hw_value_type type;
    int32_t tile_size;
    int32_t stride;
    double min_row_coverage;
    char **test_chroms, **val_chroms, **exclude_chroms;
    int n_test, n_val, n_exclude;
    char **conditions;
    int n_conditions;
    hw_sample *samples;
    int n_samples;
    char *output;
    int min_replicates;    /* per condition, default 2 */
    int compression;       /* deflate level of the tiles, 0 (none) to 9, default 1 */
} hw_dataset_config;

/* Load and validate. -1 with "<file>:<line>: <cause>" on any problem. */
int hw_dataset_config_load(const char *path, hw_dataset_config *cfg);

/* Apply one "key=value" override from the CLI (same keys as the YAML top
 * level, e.g. "resolution=25000", "split.test=chr3,chr4", "output=x.h5"). */
int hw_dataset_config_set(hw_dataset_config *cfg, const char *assignment);

/* Check cross-field rules (stride <= tile, >= min_replicates per condition,
 * unique sample names, ...). Called by load; call again after overrides. */
int hw_dataset_config_validate(const hw_dataset_config *cfg);

/* The resolved config as YAML (stored with every output). Caller frees. */
char *hw_dataset_config_to_yaml(const hw_dataset_config *cfg);

void hw_dataset_config_free(hw_dataset_config *cfg);

/* Split of a chromosome under this config. */
typedef enum { HW_SPLIT_TRAIN = 0, HW_SPLIT_VAL = 1, HW_SPLIT_TEST = 2, HW_SPLIT_EXCLUDED = 3 } hw_split;
hw_split hw_dataset_split_of(const hw_dataset_config *cfg, const char *chrom);
const char *hw_split_name(hw_split s);

#endif
