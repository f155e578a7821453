/* Dataset config: defaults, overrides, and one exact message per kind of mistake. */
#include <stdlib.h>
#include <unistd.h>

#include "hitwin/cli_set.h"
#include "hitwin/dataset_config.h"
#include "hitwin/error.h"
#include "test_util.h"

static const char *dir;

static char *write_config(const char *name, const char *text) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

#define SAMPLES4                                                   \
    "samples:\n"                                                   \
    "  - {path: a.mcool, condition: ctrl, replicate: R1}\n"        \
    "  - {path: b.mcool, condition: ctrl, replicate: R2}\n"        \
    "  - {path: c.mcool, condition: ko, replicate: R1}\n"          \
    "  - {name: last, path: /abs/d.hic, condition: ko, replicate: R2}\n"

/* Load text and expect failure with exactly msg (with %s = the config path). */
static void expect_error(const char *text, const char *msg_fmt) {
    char *path = write_config("bad.yaml", text);
    hw_dataset_config cfg;
    int rc = hw_dataset_config_load(path, &cfg);
    char want[1024];
    snprintf(want, sizeof want, msg_fmt, path);
    CHECK_INT_EQ(rc, -1);
    CHECK_STR_EQ(hw_error(), want);
    hw_dataset_config_free(&cfg);
}

int main(void) {
    char tmpl[] = "/tmp/hw_cfg_XXXXXX";
    dir = mkdtemp(tmpl);

    /* a complete config with defaults filled in */
    char *path = write_config("ok.yaml", "name: demo\nresolution: 10000\n" SAMPLES4);
    hw_dataset_config cfg;
    CHECK_INT_EQ(hw_dataset_config_load(path, &cfg), 0);
    CHECK_STR_EQ(cfg.name, "demo");
    CHECK_INT_EQ(cfg.resolution, 10000);
    CHECK_INT_EQ(cfg.tile_size, 224);
    CHECK_INT_EQ(cfg.stride, 0); /* resolved to tile/8 by the stage */
    CHECK_STR_EQ(cfg.norm, "NONE");
    CHECK_INT_EQ(cfg.n_samples, 4);
    CHECK_INT_EQ(cfg.n_conditions, 2);
    CHECK_STR_EQ(cfg.conditions[0], "ctrl");
    CHECK_INT_EQ(cfg.samples[2].class_id, 1);
    CHECK_STR_EQ(cfg.samples[0].name, "ctrl_R1");
    CHECK_STR_EQ(cfg.samples[3].name, "last");
    char want[600];
    snprintf(want, sizeof want, "%s/a.mcool", dir);
    CHECK_STR_EQ(cfg.samples[0].path, want); /* relative to the config file */
    CHECK_STR_EQ(cfg.samples[3].path, "/abs/d.hic");
    CHECK_INT_EQ(hw_dataset_split_of(&cfg, "2"), HW_SPLIT_TEST);     /* chr2 matches 2 */
    CHECK_INT_EQ(hw_dataset_split_of(&cfg, "chr18"), HW_SPLIT_VAL);
    CHECK_INT_EQ(hw_dataset_split_of(&cfg, "MT"), HW_SPLIT_EXCLUDED); /* chrM matches MT */
    CHECK_INT_EQ(hw_dataset_split_of(&cfg, "chr1"), HW_SPLIT_TRAIN);

    /* CLI overrides */
    CHECK_INT_EQ(hw_dataset_config_set(&cfg, "resolution=25000"), 0);
    CHECK_INT_EQ(cfg.resolution, 25000);
    CHECK_INT_EQ(hw_dataset_config_set(&cfg, "split.test=chr3,chr4"), 0);
    CHECK_INT_EQ(cfg.n_test, 2);
    CHECK_INT_EQ(hw_dataset_split_of(&cfg, "chr4"), HW_SPLIT_TEST);
    CHECK_INT_EQ(hw_dataset_split_of(&cfg, "chr2"), HW_SPLIT_TRAIN);
    CHECK_INT_EQ(hw_dataset_config_set(&cfg, "resolutoin=5"), -1);
    CHECK(strstr(hw_error(), "--set: unknown key 'resolutoin'") == hw_error());
    CHECK_INT_EQ(hw_dataset_config_set(&cfg, "stride=abc"), -1);
    CHECK_STR_EQ(hw_error(), "--set stride: 'abc' is not an integer");
    CHECK_INT_EQ(hw_dataset_config_set(&cfg, "type=expected"), -1);
    CHECK_STR_EQ(hw_error(), "--set type: must be observed or oe, got 'expected'");

    /* the resolved YAML is itself a valid config */
    char *yaml = hw_dataset_config_to_yaml(&cfg);
    char *p2 = write_config("resolved.yaml", yaml);
    hw_dataset_config again;
    CHECK_INT_EQ(hw_dataset_config_load(p2, &again), 0);
    CHECK_INT_EQ(again.resolution, 25000);
    CHECK_INT_EQ(again.stride, 28);
    CHECK_INT_EQ(again.n_test, 2);
    CHECK_STR_EQ(again.samples[3].path, "/abs/d.hic");
    hw_dataset_config_free(&again);
    free(yaml);
    hw_dataset_config_free(&cfg);

    /* mistakes, each one line naming file and line */
    expect_error("resolution: 10000\nresolutin: 5\n" SAMPLES4,
                 "%s:2: unknown key 'resolutin' in dataset config (expected one of: name, "
                 "resolution, normalisation, normalization, type, tile_size, stride, "
                 "min_row_coverage, split, conditions, samples, output, min_replicates, compression)");
    expect_error("name: x\nresolution: 10000\n", "%s:1: missing required key 'samples' in dataset config");
    expect_error("samples:\n  - {condition: ctrl, replicate: R1}\n",
                 "%s:1: missing required key 'resolution' in dataset config");
    expect_error("resolution: 10000\nsamples:\n  - {condition: ctrl, replicate: R1}\n",
                 "%s:3: missing required key 'path' in sample 1");
    expect_error("resolution: ten\n" SAMPLES4,
                 "%s:1: 'resolution' in dataset config must be an integer, got 'ten'");
    expect_error("resolution: -5\n" SAMPLES4,
                 "%s:1: 'resolution' in dataset config = -5 is out of range [1, 100000000]");
    expect_error("resolution: 10000\ntype: expected\n" SAMPLES4,
                 "%s:2: 'type' must be observed or oe, got 'expected'");
    expect_error("resolution: 10000\nstride: 300\n" SAMPLES4,
                 "%s: stride 300 must be between 1 and tile_size 224");
    expect_error("resolution: 10000\nsplit: {tset: [chr1]}\n" SAMPLES4,
                 "%s:2: unknown key 'tset' in split (expected one of: test, validation, exclude)");
    expect_error("resolution: 10000\nsamples:\n"
                 "  - {path: a.mcool, condition: ctrl, replicate: R1}\n"
                 "  - {path: b.mcool, condition: ctrl, replicate: R2}\n"
                 "  - {path: c.mcool, condition: ko, replicate: R1}\n",
                 "%s: condition 'ko' has 1 replicate, at least 2 needed");
    expect_error("resolution: 10000\nsamples:\n"
                 "  - {path: a.mcool, condition: ctrl, replicate: R1}\n"
                 "  - {path: b.mcool, condition: ctrl, replicate: R1}\n",
                 "%s: sample name 'ctrl_R1' is used twice");
    expect_error("resolution: 10000\nconditions: [wt, ko]\n" SAMPLES4,
                 "%s: sample 'ctrl_R1' has condition 'ctrl', which is not in conditions");
    expect_error("resolution: 10000\nresolution: 5000\n" SAMPLES4,
                 "%s:2: duplicate key 'resolution' (first at line 1)");
    expect_error("resolution: [10000\n", "%s:2: YAML syntax error: did not find expected ',' or ']'");
    expect_error("", "%s: empty document, expected dataset config as a mapping");

    /* numbers are parsed in 64 bits and range-checked, never wrapped */
    expect_error("resolution: 4294977296\n" SAMPLES4,
                 "%s:1: 'resolution' in dataset config = 4294977296 is out of range [1, 100000000]");
    expect_error("resolution: 99999999999999999999\n" SAMPLES4,
                 "%s:1: 'resolution' in dataset config = 99999999999999999999 is out of range [1, 100000000]");
    expect_error("resolution: 1e30\n" SAMPLES4,
                 "%s:1: 'resolution' in dataset config = 1e30 is out of range [1, 100000000]");
    expect_error("resolution: 0x2710\n" SAMPLES4,
                 "%s:1: 'resolution' in dataset config must be an integer, got '0x2710'");
    expect_error("resolution: inf\n" SAMPLES4,
                 "%s:1: 'resolution' in dataset config must be an integer, got 'inf'");
    expect_error("resolution: 1e4\ntile_size: 2.5\n" SAMPLES4,
                 "%s:2: 'tile_size' in dataset config must be an integer, got '2.5'");
    /* the shared parser of flags and --set values */
    {
        int64_t v = 7;
        CHECK_INT_EQ(hw_parse_int("--resolution", "4294977296", 1, INT32_MAX, &v), -1);
        CHECK_STR_EQ(hw_error(), "--resolution: 4294977296 is out of range [1, 2147483647]");
        CHECK_INT_EQ(hw_parse_int("--resolution", "18446744073709551617", 1, INT64_MAX, &v), -1);
        CHECK_STR_EQ(hw_error(), "--resolution: 18446744073709551617 is out of range [1, 9223372036854775807]");
        CHECK_INT_EQ(hw_parse_int("--resolution", "10kb", 1, INT32_MAX, &v), -1);
        CHECK_STR_EQ(hw_error(), "--resolution: '10kb' is not an integer");
        CHECK_INT_EQ(hw_parse_int("--resolution", " 10", 1, INT32_MAX, &v), -1);
        CHECK_STR_EQ(hw_error(), "--resolution: ' 10' is not an integer");
        CHECK_INT_EQ(v, 7);
        CHECK_INT_EQ(hw_parse_int("--resolution", "1e4", 1, INT32_MAX, &v), 0);
        CHECK_INT_EQ(v, 10000);
        CHECK_INT_EQ(hw_parse_int("--seed", "9223372036854775807", 0, INT64_MAX, &v), 0);
        CHECK_INT_EQ(v, INT64_MAX);
        CHECK_INT_EQ(hw_set_int("stride", "99999999999999999999", 1, 4096, &v), -1);
        CHECK_STR_EQ(hw_error(), "--set stride: 99999999999999999999 is out of range [1, 4096]");
    }
    /* nesting is limited before the recursive tree builder can exhaust the stack */
    {
        size_t depth = 200000;
        char *deep = malloc(2 * depth + 16);
        memcpy(deep, "resolution: ", 12);
        for (size_t k = 0; k < depth; k++) deep[12 + k] = '[';
        for (size_t k = 0; k < depth; k++) deep[12 + depth + k] = ']';
        strcpy(deep + 12 + 2 * depth, "\n");
        expect_error(deep, "%s:1: YAML nested deeper than 64 levels");
        free(deep);
    }

    hw_dataset_config missing;
    CHECK_INT_EQ(hw_dataset_config_load("/nonexistent/x.yaml", &missing), -1);
    CHECK_STR_EQ(hw_error(), "/nonexistent/x.yaml: cannot open: No such file or directory");
    hw_dataset_config_free(&missing);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return TEST_RESULT();
}
