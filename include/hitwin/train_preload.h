/* Resident tiles for training: the windows of the training and validation items read
 * from the tile store once, decompressed, and kept in memory for the whole run, as the
 * reference keeps its pickled tiles in memory. Without them every batch reads and
 * inflates its windows again (a window's items land in different batches, so each window
 * is read several times an epoch), about a tenth of a CPU training step.
 *
 * Every rank holds the same resident set (any item can land in any rank's shard). The
 * ranks share the reading: in round k rank r reads the window at k * size + r and an
 * all-gather hands every rank the round's windows. When the set is larger than the
 * budget, the first windows (store order) that fit stay resident and the rest are read
 * per batch as before. */
#ifndef HITWIN_TRAIN_PRELOAD_H
#define HITWIN_TRAIN_PRELOAD_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "hitwin/train_batch.h"
#include "hitwin/train_pairs.h"

/* Bytes per rank for tile_memory_mb (HW_TILE_MEMORY_AUTO: half of the node's memory,
 * or of the job's cgroup limit where that is lower, divided by the ranks on the node). */
size_t hw_tile_memory_budget(int64_t tile_memory_mb, MPI_Comm comm);

/* Collective over comm: make the windows of the sets' items resident in b, as many as
 * budget bytes hold. *n_wanted: distinct windows the sets use; b->n_resident: how many
 * were kept. 0; after a failure anywhere every rank returns non-zero: -1 on a rank that
 * failed itself (its message in hw_error), -2 on the others. */
int hw_batcher_preload(hw_batcher *b, const hw_item_set *const *sets, int n_sets, size_t budget,
                       MPI_Comm comm, int64_t *n_wanted);

#endif
