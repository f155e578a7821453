/* hitwin: one executable, one subcommand per pipeline stage. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hitwin/blas_core.h"
#include "hitwin/dist.h"
#include "hitwin/distance.h"
#include "hitwin/evaluate.h"
#include "hitwin/gpu.h"
#include "hitwin/plot.h"
#include "hitwin/saliency.h"
#include "hitwin/simulate.h"
#include "hitwin/stages.h"
#include "hitwin/sweep.h"
#include "hitwin/train.h"
#include "hitwin/version.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    int uses_mpi; /* MPI is started only for stages that run over ranks */
    const char *help;
} subcommand;

static int version_main(int argc, char **argv) {
    (void)argc, (void)argv;
    char gpus[2048];
    hw_gpu_describe(gpus, sizeof gpus);
    printf("%s\n", HITWIN_VERSION_STRING);
    printf("cuda backend: %s\n", hw_gpu_built() ? "built" : "not built");
    printf("gpus: %d\n%s", hw_gpu_count(), gpus);
    char blas[256];
    hw_blas_describe(blas, sizeof blas);
    printf("%s\n", blas);
    return 0;
}

static const subcommand commands[] = {
    {"simulate", hw_simulate_main, 1, "make replicate/condition Hi-C data with known differences (MPI)"},
    {"tile", hw_tile_main, 1, "cut Hi-C files into an HDF5 tile store (MPI)"},
    {"train", hw_train_main, 1, "Siamese training on a tile store (MPI)"},
    {"distance", hw_distance_main, 1, "embedding distances per window, with SSIM/Pearson/MSE baselines (MPI)"},
    {"saliency", hw_saliency_main, 1, "feature maps, integrated gradients and strips per window (MPI)"},
    {"features", hw_features_main, 0, "feature calls (BED + HDF5) on the strips of hitwin saliency"},
    {"evaluate", hw_evaluate_main, 0, "score distances against a simulated truth (AUROC, AP, threshold)"},
    {"plot", hw_plot_main, 0, "figures: distance tracks, KDEs, training and ROC curves, region maps (PNG/SVG/PDF)"},
    {"sweep", hw_sweep_main, 0, "a grid of trainings as SLURM job arrays or locally; --collect gathers them"},
    {"info", hw_info_main, 0, "describe a .hic/.cool/.mcool file"},
    {"dump", hw_dump_main, 0, "print pixels of a region as bedGraph2"},
    {"version", version_main, 0, "print version and GPU devices"},
};

static void usage(FILE *out) {
    fprintf(out, "%s: Siamese embeddings of Hi-C maps\nusage: hitwin COMMAND [args]\n\ncommands:\n",
            HITWIN_VERSION_STRING);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n'hitwin COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv) {
    /* a file size limit (ulimit -f) makes write() fail with EFBIG, reported by the
     * stage as one line, instead of killing the process half-way through a file */
    signal(SIGXFSZ, SIG_IGN);
    /* before anything else (MPI above all): may start this program again, with the BLAS
     * kernels for this CPU where OpenBLAS did not know it */
    hw_blas_pick_core(argv);
    if (argc < 2) {
        fprintf(stderr, "hitwin: error: a COMMAND is missing (hitwin --help lists them)\n");
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) return version_main(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        hw_dist d;
        if (commands[i].uses_mpi) hw_dist_init(&d, &argc, &argv);
        int rc = commands[i].run(argc - 1, argv + 1);
        /* for every command: a serial one that failed to close an HDF5 file must end
         * without HDF5's own termination too (hw_dist_exit_failed_at_finalize) */
        hw_dist_finalize();
        return rc;
    }
    fprintf(stderr, "hitwin: error: unknown command '%s' (hitwin --help lists them)\n", argv[1]);
    return 2;
}
