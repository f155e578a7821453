#include "hitwin/stage_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hitwin/distance.h"
#include "hitwin/error.h"
#include "hitwin/output_guard.h"
#include "hitwin/sim_outputs.h"
#include "hitwin/xalloc.h"

static int check_inputs(const hw_input *in, int n) {
    for (int i = 0; i < n; i++)
        if (hw_input_check(&in[i]) != 0) return -1;
    return 0;
}

int hw_guard_tile(const hw_dataset_config *cfg, const char *config_path, int from_flag) {
    int n = cfg->n_samples + 1;
    hw_input *in = xcalloc((size_t)n, sizeof *in);
    char (*what)[320] = xcalloc((size_t)n, sizeof *what);
    in[0] = (hw_input){config_path, "the dataset config"};
    for (int s = 0; s < cfg->n_samples; s++) {
        snprintf(what[s + 1], sizeof what[s + 1], "sample %s in %s", cfg->samples[s].name, config_path);
        in[s + 1] = (hw_input){cfg->samples[s].path, what[s + 1]};
    }
    char setting[4200];
    if (from_flag) snprintf(setting, sizeof setting, "-o");
    else snprintf(setting, sizeof setting, "'output' in %s", config_path);
    int rc = check_inputs(in, n);
    if (!rc) rc = hw_output_file_check(cfg->output, setting, in, n);
    free(what);
    free(in);
    return rc;
}

int hw_guard_train(const hw_train_config *cfg, const char *config_path) {
    char tiles_what[4200];
    snprintf(tiles_what, sizeof tiles_what, "'tiles' in %s", config_path);
    hw_input in[] = {{config_path, "the train config"}, {cfg->tiles, tiles_what}};
    if (check_inputs(in, 2) != 0) return -1;
    static const char *const names[] = {"state.bin", "best.safetensors", "best_nn.safetensors",
                                        "metrics.jsonl"};
    char setting[4200];
    snprintf(setting, sizeof setting, "'output' in %s", config_path);
    return hw_output_dir_check(cfg->output, setting, 0, names, 4, in, 2);
}

int hw_guard_distance(const char *store, char *const *ckpts, int n_ckpts, const char *out_dir) {
    hw_input *in = xcalloc((size_t)n_ckpts + 1, sizeof *in);
    in[0] = (hw_input){store, "the tile store"};
    for (int k = 0; k < n_ckpts; k++) in[k + 1] = (hw_input){ckpts[k], "--checkpoint"};
    int rc = check_inputs(in, n_ckpts + 1);
    /* the names hw_distance_write gives each checkpoint's outputs */
    int per = 1 + HW_N_MEASURES * 5, n_names = n_ckpts * per;
    char (*names)[512] = xcalloc((size_t)n_names + 1, sizeof *names);
    const char **ptr = xcalloc((size_t)n_names + 1, sizeof *ptr);
    static const char *const kinds[] = {"distances_raw.csv", "distances_summary.csv", "within.bedgraph",
                                        "between.bedgraph", "score.bedgraph"};
    int k = 0;
    for (int c = 0; c < n_ckpts; c++) {
        const char *slash = strrchr(ckpts[c], '/');
        char base[400];
        snprintf(base, sizeof base, "%s", slash ? slash + 1 : ckpts[c]);
        char *dot = strrchr(base, '.');
        if (dot && dot != base) *dot = '\0';
        snprintf(names[k++], sizeof names[0], "%s_distances.h5", base);
        for (int q = 0; q < HW_N_MEASURES; q++)
            for (int j = 0; j < 5; j++)
                snprintf(names[k++], sizeof names[0], "%s_%s_%s", base, hw_measure_names[q], kinds[j]);
    }
    for (int i = 0; i < n_names; i++) ptr[i] = names[i];
    if (!rc) rc = hw_output_dir_check(out_dir, "-o", 0, ptr, n_names, in, n_ckpts + 1);
    free(ptr);
    free(names);
    free(in);
    return rc;
}

int hw_guard_evaluate(const char *dist, const char *truth, const char *json) {
    hw_input in[] = {{dist, "the distance file"}, {truth, "--truth"}};
    if (check_inputs(in, 2) != 0) return -1;
    return json ? hw_output_file_check(json, "--json", in, 2) : 0;
}

int hw_guard_simulate(const hw_sim_config *cfg, const char *config_path) {
    hw_input in[] = {{config_path, "--config"}};
    int n_in = config_path ? 1 : 0;
    if (check_inputs(in, n_in) != 0) return -1;
    int n = 2 * 2 * cfg->replicates + 4;
    char (*names)[300] = xcalloc((size_t)n, sizeof *names);
    const char **ptr = xcalloc((size_t)n, sizeof *ptr);
    int k = 0;
    for (int cond = 0; cond < 2; cond++)
        for (int rep = 0; rep < cfg->replicates; rep++) {
            char name[256];
            sim_sample_name(cfg, cond, rep, name, sizeof name);
            snprintf(names[k++], sizeof names[0], "%s.mcool", name);
            snprintf(names[k++], sizeof names[0], ".%s.mcool.tmp", name);
        }
    snprintf(names[k++], sizeof names[0], "truth.bed");
    snprintf(names[k++], sizeof names[0], "truth.bedgraph");
    snprintf(names[k++], sizeof names[0], "dataset.yaml");
    snprintf(names[k++], sizeof names[0], "simulate.yaml");
    for (int i = 0; i < k; i++) ptr[i] = names[i];
    int rc = hw_output_dir_check(cfg->output, "--out", 0, ptr, k, in, n_in);
    free(ptr);
    free(names);
    return rc;
}

int hw_guard_read_only(const char *path, int writes_stdout) {
    hw_input in = {path, "the file to read"};
    if (hw_input_check(&in) != 0) return -1;
    struct stat a, b;
    if (writes_stdout && fstat(STDOUT_FILENO, &a) == 0 && S_ISREG(a.st_mode) && stat(path, &b) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return hw_fail("%s: standard output is this file: redirect the output elsewhere", path);
    return 0;
}
