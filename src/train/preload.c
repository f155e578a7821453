/* Resident tiles for training (include/hitwin/train_preload.h). */
#include "hitwin/train_preload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/log.h"
#include "hitwin/xalloc.h"

/* The job's memory limit where a cgroup (v2, then v1) sets one, else 0. SLURM confines a
 * job's memory this way, and sysconf reports the whole node. */
static size_t cgroup_limit(void) {
    const char *paths[] = {"/sys/fs/cgroup/memory.max",
                           "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        FILE *f = fopen(paths[i], "r");
        if (!f) continue;
        unsigned long long v = 0;
        int ok = fscanf(f, "%llu", &v) == 1; /* "max" (no limit) does not parse */
        fclose(f);
        if (ok && v > 0) return (size_t)v;
    }
    return 0;
}

size_t hw_tile_memory_budget(int64_t tile_memory_mb, MPI_Comm comm) {
    if (tile_memory_mb >= 0) return (size_t)tile_memory_mb << 20;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    size_t node = pages > 0 && page > 0 ? (size_t)pages * (size_t)page : (size_t)4 << 30;
    size_t limit = cgroup_limit();
    if (limit && limit < node) node = limit;
    MPI_Comm local;
    int local_size = 1;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
        MPI_Comm_size(local, &local_size);
        MPI_Comm_free(&local);
    }
    return node / 2 / (size_t)(local_size > 0 ? local_size : 1);
}

int hw_batcher_preload(hw_batcher *b, const hw_item_set *const *sets, int n_sets, size_t budget,
                       MPI_Comm comm, int64_t *n_wanted) {
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    const int64_t W = b->meta->n_windows;
    const size_t per = (size_t)b->S * b->T * b->T; /* floats of one window */

    /* the distinct windows, in store order */
    free(b->resident_slot);
    free(b->resident);
    free(b->resident_sum);
    b->resident = NULL;
    b->resident_sum = NULL;
    b->n_resident = 0;
    b->resident_slot = xmalloc((size_t)(W > 0 ? W : 1) * sizeof *b->resident_slot);
    for (int64_t w = 0; w < W; w++) b->resident_slot[w] = -1;
    for (int s = 0; s < n_sets; s++)
        for (int64_t i = 0; i < sets[s]->n; i++) b->resident_slot[sets[s]->items[i].window] = 0;
    int64_t wanted = 0;
    for (int64_t w = 0; w < W; w++) wanted += b->resident_slot[w] == 0;
    *n_wanted = wanted;
    int64_t fit = (int64_t)(budget / (per * sizeof(float)));
    int64_t keep = wanted < fit ? wanted : fit;
    int64_t *list = xmalloc((size_t)(keep > 0 ? keep : 1) * sizeof *list);
    int64_t k = 0;
    for (int64_t w = 0; w < W; w++) {
        int use = b->resident_slot[w] == 0 && k < keep;
        if (use) list[k] = w;
        b->resident_slot[w] = use ? k++ : -1;
    }
    if (keep == 0) {
        free(list);
        free(b->resident_slot);
        b->resident_slot = NULL;
        return 0;
    }
    /* the same size on every rank (same sets, same budget), so one failure is everyone's */
    b->resident = malloc((size_t)keep * per * sizeof(float));
    int rc = b->resident ? 0 : hw_fail("no memory for %lld resident windows (%.0f MiB): lower "
                                       "tile_memory_mb", (long long)keep,
                                       (double)keep * per * 4 / 1048576.0);

    /* one window per rank and round; the all-gather counts in windows, so that no int
     * count or displacement overflows whatever the ranks or samples */
    MPI_Datatype window;
    MPI_Type_contiguous((int)per, MPI_FLOAT, &window);
    MPI_Type_commit(&window);
    int *counts = xmalloc((size_t)size * sizeof *counts), *displs = xmalloc((size_t)size * sizeof *displs);
    double t0 = MPI_Wtime(), last = 0, every = isatty(fileno(stderr)) ? 0.2 : 30.0;
    for (int64_t first = 0; first < keep; first += size) {
        int64_t mine = first + rank;
        int bad = rc;
        if (!bad && mine < keep &&
            hw_tile_store_read_window(b->store, list[mine], b->resident + (size_t)mine * per) != 0)
            bad = -1;
        /* the lowest failing rank's message stands for all */
        int flag = bad ? rank : size, first_bad = size;
        MPI_Allreduce(&flag, &first_bad, 1, MPI_INT, MPI_MIN, comm);
        if (first_bad < size) {
            rc = bad ? -1 : -2;
            break;
        }
        for (int r = 0; r < size; r++) {
            counts[r] = first + r < keep ? 1 : 0;
            displs[r] = r;
        }
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, b->resident + (size_t)first * per,
                       counts, displs, window, comm);
        double now = MPI_Wtime() - t0;
        if (now - last >= every) {
            last = now;
            int64_t done = first + size < keep ? first + size : keep;
            log_progress0("loading tiles into memory: %lld/%lld windows", (long long)done,
                          (long long)keep);
        }
    }
    log_progress_done0();
    MPI_Type_free(&window);
    free(counts);
    free(displs);
    free(list);
    if (rc != 0) {
        if (rc == -2) hw_fail("another rank could not read its resident windows");
        free(b->resident);
        free(b->resident_slot);
        b->resident = NULL;
        b->resident_slot = NULL;
        return -1;
    }
    b->n_resident = keep;
    return 0;
}
