/* `hitwin sweep SWEEP.yaml` (docs/sweep.md): a grid of trainings over any train keys,
 * each followed by distance and evaluate, written as a SLURM job array (one task per
 * grid point; the downstream array waits on each training task with aftercorr) and as a
 * local runner; `hitwin sweep --collect DIR` gathers the runs into one CSV and figure.
 *
 * The sweep file:
 *   train_config: train-slenet.yaml   # the base config (relative to the sweep file)
 *   output: ../sweep-out              # the sweep directory
 *   hitwin: /path/to/hitwin           # optional: the executable the scripts run
 *   set: {recipe: reference}          # optional: --set for every point
 *   grid:                             # a map of lists: their product; or a list of such
 *     loss: [contrastive, triplet]    # maps: the union of their products
 *     seed: [1, 2]
 *   distance: {store: tiles.h5, split: test, options: [--no-baselines]}   # optional
 *   evaluate: {truth: truth.bed}      # optional, needs distance
 *   slurm:
 *     train: {partition: gpu, gpus: 1, cpus_per_task: 12, mem: 32G, time: "24:00:00", ntasks: 1}
 *     downstream: {partition: cpu, cpus_per_task: 4, mem: 16G, time: "02:00:00"}
 *     max_parallel: 0                 # the array's %N throttle; 0: none
 *     account: ""                     # optional
 *     setup: "module load openmpi"    # optional: a line run before hitwin */
#ifndef HITWIN_SWEEP_H
#define HITWIN_SWEEP_H

typedef struct {
    char *partition, *mem, *time, *account;
    int gpus, cpus_per_task, ntasks;
} hw_sweep_resources;

typedef struct {
    char name[256];   /* p<index>_<key>-<value>_...: the run directory under runs/ */
    char **sets;      /* "key=value": the sweep's set, then the point's grid values */
    int n_sets;
} hw_sweep_point;

typedef struct {
    char *path;          /* the sweep file */
    char *base_dir;      /* its directory, absolute: tasks run there (relative --set paths) */
    char *train_config;  /* resolved */
    char *output;        /* resolved, absolute once hw_sweep_write made it */
    char *hitwin;        /* the executable the scripts call */
    hw_sweep_point *points;
    int n_points;
    int has_distance, has_evaluate;
    char *store, *split, *truth; /* resolved; store defaults to the train config's tiles */
    char **distance_options;
    int n_distance_options;
    hw_sweep_resources train_res, down_res;
    int max_parallel;
    char *setup;
} hw_sweep;

/* Parse and check the sweep file, expand the grid, and load every point's training
 * config with its --set values (so that an unknown key or a bad value is reported
 * now, not by a task hours later): -1 with "SWEEP.yaml:LINE: ..." or
 * "SWEEP.yaml: grid point N (NAME): <the train config's message>". */
int hw_sweep_load(const char *path, const char *hitwin_exe, hw_sweep *s);
void hw_sweep_free(hw_sweep *s);

/* Point i is finished: its run holds the marker of its last stage. */
int hw_sweep_point_done(const hw_sweep *s, int i);

/* Write the sweep directory: sweep.tsv (one line per point: task, name, sets), task.sh,
 * train.sbatch and downstream.sbatch (arrays over the unfinished points), submit.sh and
 * run-local.sh. Every file under a temporary name, renamed when written. Returns the
 * number of unfinished points, or -1. */
int hw_sweep_write(hw_sweep *s);

/* Gather DIR's runs: DIR/summary.csv (per point: status, best epoch and validation
 * loss, epochs, training seconds, AUROC of each measure, the log of a failed stage) and
 * DIR/training.png. Failed points are printed with their log. Returns 0 when every
 * point finished, 1 when some failed or are pending, -1 on error. */
int hw_sweep_collect(const char *dir);

int hw_sweep_main(int argc, char **argv);

#endif
