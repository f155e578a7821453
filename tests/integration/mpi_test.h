/* The end of an MPI test: rank 0 removes the scratch folder once every rank is done with it,
 * the ranks' failure counts are summed, and every rank exits with the verdict (0 pass, 1 fail). */
#ifndef HITWIN_MPI_TEST_H
#define HITWIN_MPI_TEST_H

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "hitwin/dist.h"
#include "test_util.h"

static int mpi_test_finish(const hw_dist *d, const char *dir) {
    MPI_Barrier(d->comm);
    if (d->rank == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    }
    int fails = test_failures, all = 0;
    MPI_Allreduce(&fails, &all, 1, MPI_INT, MPI_SUM, d->comm);
    int rank = d->rank;
    hw_dist_finalize();
    if (all && rank == 0) fprintf(stderr, "%d check(s) failed\n", all);
    return all ? 1 : 0;
}

#endif
