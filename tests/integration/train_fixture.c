/* Writes a synthetic tile store for the training tests (train_fixture.h):
 *   train_fixture OUT.h5 normal|noval|oneclass|nan|missing [T] [N_TRAIN] [N_VAL] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "train_fixture.h"

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: train_fixture OUT.h5 normal|noval|oneclass|nan|missing [T] [N_TRAIN] [N_VAL]\n");
        return 2;
    }
    const char *kinds[] = {"normal", "noval", "oneclass", "nan", "missing"};
    int kind = -1;
    for (int k = 0; k < 5; k++)
        if (!strcmp(argv[2], kinds[k])) kind = k;
    if (kind < 0) return 2;
    int T = argc > 3 ? atoi(argv[3]) : 32, nt = argc > 4 ? atoi(argv[4]) : 12,
        nv = argc > 5 ? atoi(argv[5]) : 6;
    MPI_Init(&argc, &argv);
    int rc = tf_write_store(MPI_COMM_WORLD, argv[1], kind, T, nt, nv);
    if (rc) fprintf(stderr, "train_fixture: %s\n", hw_error());
    MPI_Finalize();
    return rc ? 1 : 0;
}
