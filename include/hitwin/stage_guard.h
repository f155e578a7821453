/* Each stage's inputs and outputs, checked by the rules of output_guard.h before
 * the stage opens anything for writing: one call near the top of each stage. All
 * return 0 or -1 with one line in hw_error(). Run them on rank 0 only (the
 * directory outputs are created here) and agree (hw_dist_agree_report). */
#ifndef HITWIN_STAGE_GUARD_H
#define HITWIN_STAGE_GUARD_H

#include "hitwin/dataset_config.h"
#include "hitwin/sim_config.h"
#include "hitwin/train.h"

/* tile: the config and every sample -> the store (cfg->output; -o when from_flag). */
int hw_guard_tile(const hw_dataset_config *cfg, const char *config_path, int from_flag);
/* train: the config and its tile store -> the run directory. */
int hw_guard_train(const hw_train_config *cfg, const char *config_path);
/* distance: the store and the checkpoints -> OUT_DIR (made with hw_output_dir_make
 * once every input has been read: a failed run leaves no new directory). */
int hw_guard_distance(const char *store, char *const *ckpts, int n_ckpts, const char *out_dir);
/* evaluate: the distances and the truth -> the JSON file (when json != NULL). */
int hw_guard_evaluate(const char *dist, const char *truth, const char *json);
/* simulate: the config file (may be NULL) -> cfg->output. */
int hw_guard_simulate(const hw_sim_config *cfg, const char *config_path);
/* info, dump: the file read; dump's stdout must not be that file. */
int hw_guard_read_only(const char *path, int writes_stdout);

#endif
