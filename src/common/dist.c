#include "hitwin/dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hitwin/log.h"
#include "hitwin/output_guard.h"

void hw_dist_init(hw_dist *d, int *argc, char ***argv) {
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) MPI_Init(argc, argv);
    d->comm = MPI_COMM_WORLD;
    MPI_Comm_rank(d->comm, &d->rank);
    MPI_Comm_size(d->comm, &d->size);
    hw_log_set_rank(d->rank, d->size);
}

static int exit_failed;

void hw_dist_exit_failed_at_finalize(void) { exit_failed = 1; }

void hw_dist_finalize(void) {
    if (exit_failed) {
        fflush(stdout);
        fflush(stderr);
        _exit(1);
    }
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (inited && !finalized) MPI_Finalize();
}

int hw_dist_agree(const hw_dist *d, int status) {
    int bad = status != 0, any = 0;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, d->comm);
    return any ? -1 : 0;
}

void hw_dist_abort(const hw_dist *d, const char *msg) {
    log_error("%s", msg);
    hw_temp_cleanup();
    if (d && d->size > 1) MPI_Abort(d->comm, 1);
    exit(1);
}

int hw_dist_agree_report(const hw_dist *d, int status) {
    int mine = status ? d->rank : d->size, first = d->size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, d->comm);
    if (first == d->rank) log_error("%s", hw_error());
    return first < d->size ? -1 : 0;
}
