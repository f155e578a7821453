/* Text outputs of `hitwin simulate` (truth, dataset config) and the naming of
 * samples. */
#ifndef HITWIN_SIM_OUTPUTS_H
#define HITWIN_SIM_OUTPUTS_H

#include <stddef.h>

#include "hitwin/sim_config.h"
#include "hitwin/sim_genome.h"

/* <condition>_R<rep + 1>, e.g. control_R1. */
void sim_sample_name(const hw_sim_config *cfg, int cond, int rep, char *out, size_t cap);

/* truth.bed (sites) or, in the genome-wide mode, truth.bedgraph. Caller frees. */
char *sim_truth_text(const hw_sim_config *cfg, const sim_genome *g);

/* dataset.yaml for `hitwin tile`. Caller frees. */
char *sim_dataset_text(const hw_sim_config *cfg);

/* Write dir/name through a temporary file renamed when complete. */
int sim_write_text(const char *dir, const char *name, const char *text);

#endif
