/* `hitwin tile`: Hi-C files -> one HDF5 tile store, sharded over MPI ranks by
 * (sample, chromosome).
 *
 * Flow: every rank loads the config; rank 0 opens every input once to check it
 * (resolution, normalisation, chromosomes, lengths) and broadcasts the plan;
 * work units are dealt to ranks by size (largest first to the least loaded);
 * each rank reads each of its chromosomes' diagonal band once, cuts and QCs the
 * windows, and writes kept tiles in collective rounds (compressed parallel HDF5
 * writes must be collective); rank 0 adds the tables and renames the temporary
 * file into place. Any rank's error stops every rank at the next round, with
 * that rank's message, and no output is left behind. */
#define _GNU_SOURCE /* sched_getaffinity */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/cli_args.h"
#include "hitwin/contacts.h"
#include "hitwin/dataset_config.h"
#include "hitwin/dist.h"
#include "hitwin/error.h"
#include "hitwin/h5_util.h"
#include "hitwin/log.h"
#include "hitwin/output_guard.h"
#include "hitwin/stage_guard.h"
#include "hitwin/stages.h"
#include "hitwin/tile_store.h"
#include "hitwin/version.h"
#include "hitwin/windows.h"
#include "hitwin/xalloc.h"

#define TILES_PER_ROUND 32

/* What rank 0 learned from the inputs, broadcast to all ranks. */
typedef struct {
    int n_chroms;               /* tiled (non-excluded) chromosomes, first sample's order */
    char (*name)[HW_NAME_CAP];  /* as named in the first sample */
    int64_t *length;
    int8_t *split;
    int *file_chrom;            /* [S * n_chroms]: chromosome index in each sample's file */
    int64_t *first_window;      /* [n_chroms + 1]: global window index of each chromosome */
} tile_plan;

typedef struct {
    int sample, chrom;
    int64_t cost;
} work_unit;

static void usage(FILE *out) {
    fprintf(out,
            "usage: hitwin tile CONFIG.yaml [options]\n"
            "Cut diagonal tiles from every sample of a dataset into one HDF5 tile store.\n"
            "  -o, --output PATH     tile store to write (overrides 'output')\n"
            "  -s, --set KEY=VALUE   override a config key (resolution, normalisation, type,\n"
            "                        tile_size, stride, min_row_coverage, min_replicates,\n"
            "                        compression, split.test, split.validation, split.exclude,\n"
            "                        name)\n"
            "  -q, --quiet           no progress output\n"
            "  -h, --help\n"
            "Run with mpiexec -n N to shard (sample, chromosome) pairs over N ranks.\n");
}

static const char *sample_norm(const hw_dataset_config *cfg, int s) {
    return cfg->samples[s].norm ? cfg->samples[s].norm : cfg->norm;
}

/* Rank 0: open every sample, check it can serve the config, build the plan. */
static int make_plan(const hw_dataset_config *cfg, tile_plan *plan) {
    int S = cfg->n_samples;
    hw_contacts **files = xcalloc((size_t)S, sizeof *files);
    int rc = -1;
    for (int s = 0; s < S; s++) {
        files[s] = hw_contacts_open(cfg->samples[s].path);
        if (!files[s]) goto done;
        const hw_info *in = hw_contacts_info(files[s]);
        int res_ok = 0;
        for (int r = 0; r < in->nresolutions; r++) res_ok |= in->resolutions[r] == cfg->resolution;
        if (!res_ok) {
            char list[512] = "";
            for (int r = 0; r < in->nresolutions; r++) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%d", r ? ", " : "", in->resolutions[r]);
            }
            hw_fail("%s: resolution %d bp not in file (has %s); all samples must offer the "
                    "dataset's resolution", cfg->samples[s].path, cfg->resolution, list);
            goto done;
        }
        const char *norm = sample_norm(cfg, s);
        if (!hw_contacts_has_norm(files[s], norm, cfg->resolution)) {
            char list[512] = "";
            for (int k = 0; k < in->nnorms; k++) {
                if (!hw_contacts_has_norm(files[s], in->norms[k], cfg->resolution)) continue;
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", in->norms[k]);
            }
            hw_fail("%s: normalisation %s not available at %d bp (has %s)", cfg->samples[s].path,
                    norm, cfg->resolution, list);
            goto done;
        }
    }
    /* Chromosomes named in the split must exist: a typo would silently empty a split. */
    const hw_info *first = hw_contacts_info(files[0]);
    for (int k = 0; k < cfg->n_test + cfg->n_val; k++) {
        const char *name = k < cfg->n_test ? cfg->test_chroms[k] : cfg->val_chroms[k - cfg->n_test];
        if (hw_find_chrom(first, cfg->samples[0].path, name) < 0) {
            hw_fail_prefix("split.%s", k < cfg->n_test ? "test" : "validation");
            goto done;
        }
    }
    int C = 0;
    plan->name = xcalloc((size_t)first->nchroms + 1, sizeof *plan->name);
    plan->length = xcalloc((size_t)first->nchroms + 1, sizeof *plan->length);
    plan->split = xcalloc((size_t)first->nchroms + 1, sizeof *plan->split);
    plan->file_chrom = xcalloc((size_t)(S * first->nchroms) + 1, sizeof *plan->file_chrom);
    for (int c = 0; c < first->nchroms; c++) {
        const hw_chrom *ch = &first->chroms[c];
        hw_split sp = hw_dataset_split_of(cfg, ch->name);
        if (sp == HW_SPLIT_EXCLUDED) continue;
        for (int s = 0; s < S; s++) {
            const hw_info *in = hw_contacts_info(files[s]);
            int idx = hw_find_chrom(in, cfg->samples[s].path, ch->name);
            if (idx < 0) {
                hw_fail("%s: chromosome %s of %s is missing (exclude it with split.exclude)",
                        cfg->samples[s].path, ch->name, cfg->samples[0].path);
                goto done;
            }
            if (in->chroms[idx].length != ch->length) {
                hw_fail("%s: chromosome %s is %lld bp, but %lld bp in %s (different assemblies?)",
                        cfg->samples[s].path, in->chroms[idx].name, (long long)in->chroms[idx].length,
                        (long long)ch->length, cfg->samples[0].path);
                goto done;
            }
            plan->file_chrom[s * first->nchroms + C] = idx;
        }
        snprintf(plan->name[C], HW_NAME_CAP, "%s", ch->name);
        plan->length[C] = ch->length;
        plan->split[C] = (int8_t)sp;
        C++;
    }
    /* compact file_chrom from stride nchroms to stride C */
    for (int s = 0; s < S; s++)
        for (int c = 0; c < C; c++) plan->file_chrom[s * C + c] = plan->file_chrom[s * first->nchroms + c];
    plan->n_chroms = C;
    /* a config that selects nothing is an error, not an empty store */
    int64_t windows = 0;
    for (int k = 0; k < C; k++)
        windows += hw_window_count(plan->length[k], cfg->resolution, cfg->tile_size, cfg->stride);
    if (C == 0) {
        hw_fail("%s: no chromosome left to tile: split.exclude excludes all %d chromosomes of %s",
                cfg->source, first->nchroms, cfg->samples[0].path);
        goto done;
    }
    if (windows == 0) {
        hw_fail("%s: no window fits: every chromosome is shorter than tile_size x resolution "
                "(%d bins x %d bp); lower tile_size or resolution", cfg->source, cfg->tile_size,
                cfg->resolution);
        goto done;
    }
    rc = 0;
done:
    for (int s = 0; s < S; s++) hw_contacts_close(files[s]);
    free(files);
    return rc;
}

static void broadcast_plan(const hw_dist *d, tile_plan *p, int n_samples) {
    MPI_Bcast(&p->n_chroms, 1, MPI_INT, 0, d->comm);
    int C = p->n_chroms;
    if (d->rank != 0) {
        p->name = xcalloc((size_t)C + 1, sizeof *p->name);
        p->length = xcalloc((size_t)C + 1, sizeof *p->length);
        p->split = xcalloc((size_t)C + 1, sizeof *p->split);
        p->file_chrom = xcalloc((size_t)(n_samples * C) + 1, sizeof *p->file_chrom);
    }
    MPI_Bcast(p->name, C * HW_NAME_CAP, MPI_CHAR, 0, d->comm);
    MPI_Bcast(p->length, C, MPI_INT64_T, 0, d->comm);
    MPI_Bcast(p->split, C, MPI_INT8_T, 0, d->comm);
    MPI_Bcast(p->file_chrom, n_samples * C, MPI_INT, 0, d->comm);
}

static void free_plan(tile_plan *p) {
    free(p->name);
    free(p->length);
    free(p->split);
    free(p->file_chrom);
    free(p->first_window);
}

static int cmp_unit_cost(const void *a, const void *b) {
    const work_unit *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    if (x->chrom != y->chrom) return x->chrom - y->chrom;
    return x->sample - y->sample;
}

/* Largest unit first to the least loaded rank: the same on every rank. */
static work_unit *my_units(const tile_plan *p, int S, const hw_dist *d, int *n_out) {
    int n = 0;
    work_unit *all = xcalloc((size_t)(S * p->n_chroms) + 1, sizeof *all);
    for (int c = 0; c < p->n_chroms; c++) {
        if (p->first_window[c + 1] == p->first_window[c]) continue; /* no window fits */
        for (int s = 0; s < S; s++) all[n++] = (work_unit){s, c, p->length[c]};
    }
    qsort(all, (size_t)n, sizeof *all, cmp_unit_cost);
    int64_t *load = xcalloc((size_t)d->size, sizeof *load);
    work_unit *mine = xcalloc((size_t)n + 1, sizeof *mine);
    int k = 0;
    for (int u = 0; u < n; u++) {
        int best = 0;
        for (int r = 1; r < d->size; r++)
            if (load[r] < load[best]) best = r;
        load[best] += all[u].cost;
        if (best == d->rank) mine[k++] = all[u];
    }
    free(load);
    free(all);
    *n_out = k;
    return mine;
}

/* This rank's next write: consecutive windows of one unit (rejected ones as
 * zero tiles, which compress to almost nothing), flushed collectively. */
typedef struct {
    int n;
    int64_t first_window;
    int sample;
    float *data; /* [TILES_PER_ROUND, T, T] */
} tile_batch;

typedef struct {
    const hw_dataset_config *cfg;
    const tile_plan *plan;
    hw_contacts **files; /* opened lazily, per sample */
    /* current unit */
    int unit;            /* index into units, -1 before the first */
    float *band;
    int64_t band_nbins;
    int64_t next_window, end_window;
    int unit_sample, unit_chrom;
    int64_t unit_kept, unit_rejected;
    /* results for rank 0 */
    uint8_t *kept;          /* [W * S] */
    int32_t *rows_covered;  /* [W * S] */
    int64_t tiles_kept, windows_rejected;
} tile_worker;

/* Read one unit's diagonal band (every block of that chromosome read once). */
static int start_unit(tile_worker *w, const work_unit *u) {
    const hw_dataset_config *cfg = w->cfg;
    int s = u->sample, c = u->chrom;
    if (!w->files[s]) {
        w->files[s] = hw_contacts_open(cfg->samples[s].path);
        if (!w->files[s]) return -1;
    }
    int fc = w->plan->file_chrom[s * w->plan->n_chroms + c];
    int64_t nbins = hw_contacts_nbins(w->files[s], fc, cfg->resolution);
    if (nbins < 0) return -1;
    free(w->band);
    w->band = xmalloc((size_t)(nbins * cfg->tile_size) * sizeof *w->band);
    w->band_nbins = nbins;
    if (hw_contacts_fetch_band(w->files[s], cfg->resolution, sample_norm(cfg, s), cfg->type, fc,
                               cfg->tile_size, w->band) != 0) {
        hw_fail_prefix("%s (chromosome %s)", cfg->samples[s].name, w->plan->name[c]);
        return -1;
    }
    w->unit_sample = s;
    w->unit_chrom = c;
    w->next_window = w->plan->first_window[c];
    w->end_window = w->plan->first_window[c + 1];
    w->unit_kept = w->unit_rejected = 0;
    return 0;
}

static void finish_unit(tile_worker *w) {
    const hw_dataset_config *cfg = w->cfg;
    const char *who = cfg->samples[w->unit_sample].name;
    const char *chrom = w->plan->name[w->unit_chrom];
    log_info("tile: %s %s: %lld kept, %lld rejected", who, chrom, (long long)w->unit_kept,
                  (long long)w->unit_rejected);
    free(w->band);
    w->band = NULL;
}

/* Fill the batch with the next windows of the current unit, moving to the next
 * unit when this one is done. */
static int fill_batch(tile_worker *w, const work_unit *units, int n_units, tile_batch *b) {
    const hw_dataset_config *cfg = w->cfg;
    int32_t T = cfg->tile_size;
    int S = cfg->n_samples;
    b->n = 0;
    while (w->unit < 0 || w->next_window >= w->end_window) {
        if (w->unit >= 0 && w->band) finish_unit(w);
        if (w->unit + 1 >= n_units) return 0;
        w->unit++;
        if (start_unit(w, &units[w->unit]) != 0) return -1;
    }
    b->first_window = w->next_window;
    b->sample = w->unit_sample;
    while (b->n < TILES_PER_ROUND && w->next_window < w->end_window) {
        int64_t win = w->next_window++;
        int64_t start_bin = (win - w->plan->first_window[w->unit_chrom]) * cfg->stride;
        float *tile = b->data + (size_t)b->n * T * T;
        hw_tile_from_band(tile, w->band, w->band_nbins, T, start_bin, T);
        int rows = hw_tile_rows_covered(tile, T);
        int keep = hw_tile_passes(rows, T, cfg->min_row_coverage);
        size_t qi = (size_t)(win * S + w->unit_sample);
        w->rows_covered[qi] = rows;
        w->kept[qi] = (uint8_t)keep;
        if (keep) {
            w->unit_kept++;
            w->tiles_kept++;
        } else {
            memset(tile, 0, (size_t)T * T * sizeof *tile); /* rejected tiles read as zeros */
            w->unit_rejected++;
            w->windows_rejected++;
        }
        b->n++;
    }
    return 0;
}

/* Cores this rank may use: its CPU affinity (mpiexec and srun bind ranks). */
static int cores_of_this_rank(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

/* HDF5 deflates the chunks of one write one after another; with spare cores,
 * compress them beforehand in parallel (src/io/h5_libdeflate.c). The input
 * must be what HDF5's shuffle filter hands to deflate: byte planes. */
static void prepare_compression(const tile_batch *b, int32_t T, int level, int threads,
                                unsigned char *shuffled) {
    if (level <= 0 || threads <= 1 || b->n == 0) return;
    size_t elems = (size_t)T * T, bytes = elems * sizeof(float);
    const unsigned char *inputs[TILES_PER_ROUND];
    for (int k = 0; k < b->n; k++) {
        const unsigned char *src = (const unsigned char *)(b->data + (size_t)k * elems);
        unsigned char *dst = shuffled + (size_t)k * bytes;
        for (size_t i = 0; i < elems; i++)
            for (size_t byte = 0; byte < sizeof(float); byte++)
                dst[byte * elems + i] = src[i * sizeof(float) + byte];
        inputs[k] = dst;
    }
    hw_deflate_prepare(inputs, bytes, b->n, level, threads);
}

static void print_summary(const hw_dataset_config *cfg, const tile_plan *plan, const uint8_t *kept,
                          const char *output, double seconds) {
    int S = cfg->n_samples;
    int64_t W = plan->first_window[plan->n_chroms];
    printf("tile store: %s\n", output);
    printf("windows evaluated: %lld on %d chromosomes, tile %d bins, stride %d bins, %d bp\n",
           (long long)W, plan->n_chroms, cfg->tile_size, cfg->stride, cfg->resolution);
    printf("%-24s %-12s %10s %10s %10s %10s\n", "sample", "condition", "train", "validation",
           "test", "rejected");
    for (int s = 0; s < S; s++) {
        int64_t n[4] = {0, 0, 0, 0}, rejected = 0;
        for (int c = 0; c < plan->n_chroms; c++)
            for (int64_t w = plan->first_window[c]; w < plan->first_window[c + 1]; w++) {
                if (kept[w * S + s]) n[plan->split[c]]++;
                else rejected++;
            }
        printf("%-24s %-12s %10lld %10lld %10lld %10lld\n", cfg->samples[s].name,
               cfg->samples[s].condition, (long long)n[0], (long long)n[1], (long long)n[2],
               (long long)rejected);
    }
    printf("elapsed: %.2f s\n", seconds);
    fflush(stdout);
}

static void fill_meta(hw_tile_meta *m, const hw_dataset_config *cfg, const tile_plan *plan,
                      char *config_yaml, uint8_t *kept, int32_t *rows) {
    int S = cfg->n_samples;
    int64_t W = plan->first_window[plan->n_chroms];
    memset(m, 0, sizeof *m);
    m->config_yaml = config_yaml;
    m->version = HITWIN_VERSION_STRING;
    m->name = cfg->name;
    m->norm = cfg->norm;
    m->type = cfg->type == HW_OE ? "oe" : "observed";
    m->resolution = cfg->resolution;
    m->tile_size = cfg->tile_size;
    m->stride = cfg->stride;
    m->min_row_coverage = cfg->min_row_coverage;
    m->n_samples = S;
    m->sample_name = xcalloc((size_t)S, sizeof(char *));
    m->sample_path = xcalloc((size_t)S, sizeof(char *));
    m->condition = xcalloc((size_t)S, sizeof(char *));
    m->replicate = xcalloc((size_t)S, sizeof(char *));
    m->class_id = xcalloc((size_t)S, sizeof(int32_t));
    for (int s = 0; s < S; s++) {
        m->sample_name[s] = cfg->samples[s].name;
        m->sample_path[s] = cfg->samples[s].path;
        m->condition[s] = cfg->samples[s].condition;
        m->replicate[s] = cfg->samples[s].replicate;
        m->class_id[s] = cfg->samples[s].class_id;
    }
    m->n_chroms = plan->n_chroms;
    m->chrom_name = xcalloc((size_t)plan->n_chroms + 1, sizeof(char *));
    for (int c = 0; c < plan->n_chroms; c++) m->chrom_name[c] = (char *)plan->name[c];
    m->chrom_length = plan->length;
    m->chrom_split = plan->split;
    m->n_windows = W;
    m->win_chrom = xcalloc((size_t)W + 1, sizeof(int32_t));
    m->win_start = xcalloc((size_t)W + 1, sizeof(int64_t));
    m->win_split = xcalloc((size_t)W + 1, sizeof(int8_t));
    for (int c = 0; c < plan->n_chroms; c++)
        for (int64_t w = plan->first_window[c]; w < plan->first_window[c + 1]; w++) {
            m->win_chrom[w] = c;
            m->win_start[w] = (w - plan->first_window[c]) * (int64_t)cfg->stride * cfg->resolution;
            m->win_split[w] = plan->split[c];
        }
    m->kept = kept;
    m->rows_covered = rows;
}

/* Free only what fill_meta allocated (the rest is borrowed). */
static void free_meta_arrays(hw_tile_meta *m) {
    free(m->sample_name);
    free(m->sample_path);
    free(m->condition);
    free(m->replicate);
    free(m->class_id);
    free(m->chrom_name);
    free(m->win_chrom);
    free(m->win_start);
    free(m->win_split);
}

int hw_tile_main(int argc, char **argv) {
    hw_dist d;
    hw_dist_init(&d, &argc, &argv);
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"set", required_argument, 0, 's'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *output = NULL;
    char **sets = xcalloc((size_t)argc + 1, sizeof *sets);
    int n_sets = 0, c;
    optind = 1;
    while ((c = hw_getopt(argc, argv, "o:s:qh", opts)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 's': sets[n_sets++] = optarg; break;
        case 'q': hw_log_set_quiet(1); break;
        case 'h':
            if (d.rank == 0) usage(stdout);
            free(sets);
            return 0;
        default:
            free(sets);
            return hw_usage_error(usage);
        }
    }
    if (optind != argc - 1) {
        free(sets);
        if (optind == argc) return hw_usage_fail(usage, "tile: the dataset config (CONFIG.yaml) is missing");
        return hw_usage_fail(usage, "tile: one CONFIG.yaml expected, got '%s' too", argv[optind + 1]);
    }
    double t0 = MPI_Wtime();

    /* Config: every rank parses it; the result (and any error) is the same everywhere. */
    hw_dataset_config cfg;
    hw_input config_in = {argv[optind], "the dataset config"};
    int rc = hw_input_check(&config_in);
    if (rc != 0) {
        if (d.rank == 0) log_error("%s", hw_error());
        free(sets);
        return 1;
    }
    rc = hw_dataset_config_load(argv[optind], &cfg);
    for (int i = 0; rc == 0 && i < n_sets; i++) rc = hw_dataset_config_set(&cfg, sets[i]);
    if (rc == 0 && output) {
        free(cfg.output);
        cfg.output = xstrdup(output);
    }
    if (rc == 0 && cfg.stride == 0) cfg.stride = cfg.tile_size / 8;
    if (rc == 0) rc = hw_dataset_config_validate(&cfg);
    free(sets);
    if (rc != 0) {
        if (d.rank == 0) log_error("%s", hw_error());
        hw_dataset_config_free(&cfg);
        return 1;
    }
    int S = cfg.n_samples;
    /* no output over an input, nothing opened for writing before the inputs are known */
    rc = d.rank == 0 ? hw_guard_tile(&cfg, argv[optind], output != NULL) : 0;
    if (hw_dist_agree_report(&d, rc) != 0) {
        hw_dataset_config_free(&cfg);
        return 1;
    }

    tile_plan plan = {0};
    rc = d.rank == 0 ? make_plan(&cfg, &plan) : 0;
    if (rc != 0) log_error("%s", hw_error());
    if (hw_dist_agree(&d, rc) != 0) {
        free_plan(&plan);
        hw_dataset_config_free(&cfg);
        return 1;
    }
    broadcast_plan(&d, &plan, S);
    plan.first_window = xcalloc((size_t)plan.n_chroms + 1, sizeof *plan.first_window);
    for (int k = 0; k < plan.n_chroms; k++)
        plan.first_window[k + 1] = plan.first_window[k] +
            hw_window_count(plan.length[k], cfg.resolution, cfg.tile_size, cfg.stride);
    int64_t W = plan.first_window[plan.n_chroms];
    char *config_yaml = hw_dataset_config_to_yaml(&cfg);

    /* Temporary name chosen by rank 0 (unique per job), renamed when complete. */
    char tmp_path[4096];
    if (d.rank == 0) snprintf(tmp_path, sizeof tmp_path, "%s.tmp-%ld", cfg.output, (long)getpid());
    MPI_Bcast(tmp_path, sizeof tmp_path, MPI_CHAR, 0, d.comm);
    /* removed if the job is stopped; by every rank, so that the ranks that mpiexec stops
     * with SIGTERM remove it when the rank that dies is rank 0 (SIGKILL runs no handler) */
    hw_temp_add(tmp_path);
    hw_tile_writer *writer = hw_tile_writer_create(d.comm, tmp_path, W, S, cfg.tile_size, cfg.compression);
    if (!writer) {
        /* collective create failed the same way on every rank */
        if (d.rank == 0) {
            log_error("%s: cannot create the tile store (%s)", cfg.output, hw_error());
            unlink(tmp_path); /* a partly created file (full disk) */
        }
        hw_temp_forget(tmp_path);
        free(config_yaml);
        free_plan(&plan);
        hw_dataset_config_free(&cfg);
        return 1;
    }

    log_info0("%s: tiling %d samples, %d chromosomes, %lld windows on %d rank%s",
              HITWIN_VERSION_STRING, S, plan.n_chroms, (long long)W, d.size, d.size > 1 ? "s" : "");

    int n_units;
    work_unit *units = my_units(&plan, S, &d, &n_units);
    tile_worker w = {.cfg = &cfg, .plan = &plan, .unit = -1};
    w.files = xcalloc((size_t)S, sizeof *w.files);
    w.kept = xcalloc((size_t)(W * S) + 1, 1);
    w.rows_covered = xcalloc((size_t)(W * S) + 1, sizeof *w.rows_covered);
    tile_batch batch = {0};
    batch.data = xmalloc((size_t)TILES_PER_ROUND * cfg.tile_size * cfg.tile_size * sizeof(float));
    int threads = cores_of_this_rank();
    unsigned char *shuffled = threads > 1 && cfg.compression > 0
        ? xmalloc((size_t)TILES_PER_ROUND * cfg.tile_size * cfg.tile_size * sizeof(float)) : NULL;

    int failed = 0, local_err = 0, write_failed = 0;
    int64_t rounds = 0, tiles_kept_all = 0;
    for (;;) {
        local_err = 0;
        if (!failed && fill_batch(&w, units, n_units, &batch) != 0) {
            local_err = 1; /* reported once, by the lowest failing rank, after the loop */
            batch.n = 0;
        }
        if (!failed) prepare_compression(&batch, cfg.tile_size, cfg.compression, threads, shuffled);
        int wrc = hw_tile_writer_write(writer, failed ? 0 : batch.n, batch.first_window, batch.sample,
                                       batch.data);
        hw_deflate_forget();
        if (wrc != 0 && !local_err) {
            hw_fail_prefix("%s", cfg.output); /* the name the user gave, not the temporary one */
            local_err = 1;
        }
        /* [any error, any rank with work left, tiles kept, windows rejected, write errors] */
        int64_t mine[5] = {local_err, batch.n > 0 || w.unit + 1 < n_units ||
                           (w.unit >= 0 && w.next_window < w.end_window), w.tiles_kept,
                           w.windows_rejected, wrc != 0};
        int64_t all[5];
        MPI_Allreduce(mine, all, 5, MPI_INT64_T, MPI_SUM, d.comm);
        rounds++;
        tiles_kept_all = all[2];
        if (all[0]) {
            failed = 1;
            write_failed = all[4] > 0;
            break;
        }
        if (rounds % 16 == 0)
            log_progress0("tile: %lld tiles kept, %lld rejected", (long long)all[2], (long long)all[3]);
        if (!all[1]) break;
    }
    log_progress_done0();
    if (failed) hw_dist_agree_report(&d, local_err); /* one line, however many ranks failed */

    int close_rc = 0;
    if (write_failed) hw_tile_writer_abandon(writer); /* closing it would fail (tile_store.h) */
    else close_rc = hw_tile_writer_close(writer);
    if (close_rc) hw_fail_prefix("%s", cfg.output);
    if (hw_dist_agree_report(&d, failed ? 0 : close_rc) != 0) failed = 1;

    if (!failed && tiles_kept_all == 0) {
        if (d.rank == 0)
            log_error("%s: no tile passes QC: every window of every sample has fewer than "
                      "min_row_coverage %g of its rows covered (lower min_row_coverage)", cfg.source,
                      cfg.min_row_coverage);
        failed = 1;
    }
    uint8_t *kept = d.rank == 0 ? xcalloc((size_t)(W * S) + 1, 1) : NULL;
    int32_t *rows = d.rank == 0 ? xcalloc((size_t)(W * S) + 1, sizeof *rows) : NULL;
    if (!failed) {
        /* each (window, sample) was evaluated by exactly one rank: the sum is that value */
        MPI_Reduce(w.kept, kept, (int)(W * S), MPI_UINT8_T, MPI_SUM, 0, d.comm);
        MPI_Reduce(w.rows_covered, rows, (int)(W * S), MPI_INT32_T, MPI_SUM, 0, d.comm);
    }
    int meta_rc = 0;
    if (d.rank == 0) {
        if (!failed) {
            hw_tile_meta meta;
            fill_meta(&meta, &cfg, &plan, config_yaml, kept, rows);
            meta_rc = hw_tile_store_write_meta(tmp_path, &meta);
            free_meta_arrays(&meta);
            if (meta_rc == 0 && rename(tmp_path, cfg.output) != 0)
                meta_rc = hw_fail("%s: cannot rename %s into place: %s", cfg.output, tmp_path,
                                  strerror(errno));
            if (meta_rc != 0) log_error("%s", hw_error());
        }
        if (failed || meta_rc != 0) unlink(tmp_path);
        else print_summary(&cfg, &plan, kept, cfg.output, MPI_Wtime() - t0);
    }
    int status = hw_dist_agree(&d, failed || meta_rc) == 0 ? 0 : 1;
    hw_temp_forget(tmp_path); /* renamed or removed by rank 0 (agreed just above) */

    for (int s = 0; s < S; s++) hw_contacts_close(w.files[s]);
    free(w.files);
    free(w.band);
    free(w.kept);
    free(w.rows_covered);
    free(batch.data);
    free(shuffled);
    free(units);
    free(kept);
    free(rows);
    free(config_yaml);
    free_plan(&plan);
    hw_dataset_config_free(&cfg);
    return status;
}
