/* The MPI side of every stage: world rank/size, and the one rule for errors in
 * a job: a rank that fails reports its line, then the whole job stops. Where
 * all ranks reach a common point, hw_dist_agree() lets them stop together and
 * exit cleanly; anywhere else hw_dist_abort() takes the job down with MPI_Abort,
 * so no rank is left waiting in a collective. */
#ifndef HITWIN_DIST_H
#define HITWIN_DIST_H

#include <mpi.h>

typedef struct {
    int rank, size;
    MPI_Comm comm;
} hw_dist;

/* MPI_Init if needed (singleton runs work without mpiexec). */
void hw_dist_init(hw_dist *d, int *argc, char ***argv);
void hw_dist_finalize(void);

/* A failed run that holds an HDF5 file it could not close (a full disk or a file size
 * limit during a parallel write): HDF5 1.10 leaves such a file's id dangling, and its
 * termination (run by MPI_Finalize, or at exit) then crashes. After this call,
 * hw_dist_finalize ends the process with status 1 at once (_exit), without MPI_Finalize
 * or HDF5's cleanup; the stage has already printed its line and removed its output. */
void hw_dist_exit_failed_at_finalize(void);

/* Collective: returns 0 if every rank passed ok == 0, else -1 on all ranks.
 * A failing rank has already printed its own message. */
int hw_dist_agree(const hw_dist *d, int status);

/* Collective, like hw_dist_agree, and the lowest failing rank prints its
 * hw_error() line: one line however many ranks failed alike. */
int hw_dist_agree_report(const hw_dist *d, int status);

/* Print "hitwin: error: <msg>" and stop every rank (temporary files of
 * output_guard.h removed first). Never returns. */
void hw_dist_abort(const hw_dist *d, const char *msg) __attribute__((noreturn));

#endif
