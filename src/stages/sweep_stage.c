/* `hitwin sweep SWEEP.yaml [--local]` and `hitwin sweep --collect DIR` (docs/sweep.md). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/cli_args.h"
#include "hitwin/error.h"
#include "hitwin/log.h"
#include "hitwin/output_guard.h"
#include "hitwin/sweep.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hitwin sweep SWEEP.yaml [--local]\n"
            "       hitwin sweep --collect DIR\n"
            "A grid of trainings, each followed by distance and evaluate (docs/sweep.md).\n"
            "  SWEEP.yaml        writes the sweep directory (its `output`): sweep.tsv, task.sh,\n"
            "                    train.sbatch and downstream.sbatch (SLURM job arrays over the\n"
            "                    points not yet finished), submit.sh, run-local.sh\n"
            "  --local           then runs run-local.sh: every unfinished point on this machine\n"
            "  --collect DIR     DIR/summary.csv (state, best validation, timing, AUROCs per run)\n"
            "                    and DIR/training.png; exit 1 while a point failed or is pending\n"
            "  -h, --help\n");
}

int hw_sweep_main(int argc, char **argv) {
    static const struct option opts[] = {{"collect", required_argument, 0, 'c'},
                                         {"local", no_argument, 0, 'l'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *collect = NULL;
    int local = 0, c;
    optind = 1;
    while ((c = hw_getopt(argc, argv, "c:lh", opts)) != -1) {
        switch (c) {
        case 'c': collect = optarg; break;
        case 'l': local = 1; break;
        case 'h': usage(stdout); return 0;
        default: return hw_usage_error(usage);
        }
    }
    if (collect) {
        if (optind != argc) return hw_usage_fail(usage, "sweep --collect: unexpected argument '%s'", argv[optind]);
        int rc = hw_sweep_collect(collect);
        if (rc < 0) log_error("%s", hw_error());
        return rc < 0 ? 1 : rc;
    }
    if (optind == argc) return hw_usage_fail(usage, "sweep: the sweep file (SWEEP.yaml) is missing");
    if (optind + 1 != argc) return hw_usage_fail(usage, "sweep: one SWEEP.yaml expected, got '%s' too", argv[optind + 1]);
    const char *path = argv[optind];
    hw_input in = {path, "SWEEP.yaml"};
    char exe[PATH_MAX] = "hitwin";
    if (!realpath("/proc/self/exe", exe)) snprintf(exe, sizeof exe, "hitwin");
    hw_sweep s;
    int pending = -1;
    if (hw_input_check(&in) == 0 && hw_sweep_load(path, exe, &s) == 0) {
        pending = hw_sweep_write(&s);
    } else {
        log_error("%s", hw_error());
        return 1;
    }
    if (pending < 0) {
        log_error("%s", hw_error());
        hw_sweep_free(&s);
        return 1;
    }
    printf("%d grid points, %d to run (%d finished); wrote %s/{sweep.tsv, task.sh, submit.sh, run-local.sh%s}\n",
           s.n_points, pending, s.n_points - pending, s.output,
           pending ? (s.has_distance ? ", train.sbatch, downstream.sbatch" : ", train.sbatch") : "");
    int rc = 0;
    if (local && pending) {
        char cmd[PATH_MAX + 64];
        snprintf(cmd, sizeof cmd, "bash '%s/run-local.sh'", s.output);
        fflush(stdout);
        int st = system(cmd);
        rc = st == 0 ? 0 : 1;
        if (rc) log_error("%s: some points failed (their logs are named above); hitwin sweep --collect %s", path, s.output);
    } else if (pending) {
        printf("submit: bash %s/submit.sh   (or run here: bash %s/run-local.sh)\n", s.output, s.output);
    }
    hw_sweep_free(&s);
    return rc;
}
