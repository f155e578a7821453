/* `hitwin simulate`: CLI, and the run that ties the simulator together:
 * ground truth on every rank, counts per chromosome on its owner rank, one
 * collective .mcool per replicate, text outputs from rank 0. */
#include "hitwin/simulate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/log.h"
#include "hitwin/output_guard.h"
#include "hitwin/sim_cool.h"
#include "hitwin/stage_guard.h"
#include "hitwin/sim_genome.h"
#include "hitwin/sim_outputs.h"
#include "hitwin/sim_sample.h"
#include "hitwin/version.h"
#include "hitwin/windows.h"
#include "hitwin/xalloc.h"

static const char usage[] =
    "usage: hitwin simulate [--config FILE] [--preset small|mouse] [--background FILE]\n"
    "                       [--out DIR] [--seed N] [--null] [--quiet]\n"
    "Simulate Hi-C replicates of two conditions with known differences (docs/simulate.md).\n"
    "  --config FILE  simulate config (YAML); flags below override it\n"
    "  --preset P     genome: small (chr1, chr2, chr18; seconds) or mouse (mm10 chr1-19)\n"
    "  --background F a real map (.cool/.mcool/.hic) as the structure; its chromosomes are\n"
    "                 the genome (docs/simulate.md, \"Real-map backgrounds\")\n"
    "  --out DIR      output directory (mcools, truth, dataset.yaml)\n"
    "  --seed N       random seed (same seed, same files)\n"
    "  --null         every change gets strength 0: two conditions with no difference\n"
    "  -q, --quiet    no progress output\n";

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int mkdir_p(const char *dir) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return hw_fail("%s: cannot create directory: %s", buf, strerror(errno));
            if (c == '\0') break;
            *p = c;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return hw_fail("%s: not a directory", dir);
    return 0;
}

/* Contiguous blocks of chromosomes of about equal bin counts: owner of k is
 * where its middle falls. Contiguous, so a rank's pixels are one range. */
static void partition(const hw_sim_config *cfg, int size, int rank, int *c0, int *c1) {
    double total = 0, before = 0;
    for (int k = 0; k < cfg->nchroms; k++) total += (double)cfg->chroms[k].length;
    int found = 0;
    *c0 = *c1 = 0;
    for (int k = 0; k < cfg->nchroms; k++) {
        double mid = before + 0.5 * (double)cfg->chroms[k].length;
        int owner = (int)(mid / total * size);
        if (owner >= size) owner = size - 1;
        if (owner == rank) {
            if (!found) *c0 = k;
            found = 1;
            *c1 = k + 1;
        }
        before += (double)cfg->chroms[k].length;
    }
}

/* How many of the tile stage's default windows (224 bins, stride 28) overlap
 * a planted change: changes should stay a minority. */
static void log_window_share(const hw_sim_config *cfg, const sim_genome *g) {
    const int64_t tile = 224, stride = 28;
    int64_t all = 0, hit = 0;
    for (int k = 0; k < cfg->nchroms; k++) {
        int64_t nw = hw_window_count(cfg->chroms[k].length, cfg->resolution, (int32_t)tile,
                                     (int32_t)stride);
        for (int64_t x = 0; x < nw; x++) {
            int64_t lo = x * stride * cfg->resolution, hi = lo + tile * cfg->resolution;
            int touched = 0;
            for (int s = 0; s < g->nsites && !touched; s++)
                touched = g->sites[s].chrom == k && g->sites[s].start < hi && g->sites[s].end > lo;
            all++;
            hit += touched;
        }
    }
    log_info0("simulate: %lld of %lld windows (224 bins, stride 28) overlap a change (%.0f %%)",
              (long long)hit, (long long)all, all ? 100.0 * (double)hit / (double)all : 0.0);
}

int hw_simulate_run(const hw_sim_config *cfg, const hw_dist *d) {
    const double t_start = now();
    sim_genome g;
    int rc = sim_genome_build(cfg, &g);
    if (rc < 0) {
        /* the same on every rank: say it once */
        if (d->rank == 0) log_error("%s", hw_error());
        sim_genome_free(&g);
        return -1;
    }
    if (d->rank == 0 && mkdir_p(cfg->output) < 0) {
        log_error("%s", hw_error());
        rc = -1;
    }
    if (hw_dist_agree(d, rc) < 0) {
        sim_genome_free(&g);
        return -1;
    }
    if (!g.gw_mag) log_window_share(cfg, &g);
    int c0, c1;
    partition(cfg, d->size, d->rank, &c0, &c1);
    const int nmine = c1 - c0;
    if (g.gw_mag)
        log_info0("simulate: %d chromosomes, genome-wide %s depletion, 2 x %d replicates, %d rank(s)",
                  cfg->nchroms, cfg->gw_kind == SIM_GW_CTCF ? "CTCF" : "cohesin", cfg->replicates,
                  d->size);
    else
        log_info0("simulate: %d chromosomes, %d sites planted, 2 x %d replicates, %d rank(s)",
                  cfg->nchroms, g.nsites, cfg->replicates, d->size);

    /* Per-diagonal normalisation of each of this rank's chromosomes (control
     * structure), and one scratch band sized for the largest. */
    double **norm = xcalloc((size_t)(nmine > 0 ? nmine : 1), sizeof *norm);
    int64_t work_n = 1;
    for (int k = c0; k < c1; k++) {
        const sim_chrom *c = &g.chroms[k];
        int64_t w = sim_band_width(cfg, c->nbins);
        norm[k - c0] = xmalloc((size_t)w * sizeof(double));
        if (g.bg) /* a background's O/E has mean 1 on every diagonal already */
            for (int64_t x = 0; x < w; x++) norm[k - c0][x] = 1.0;
        else
            sim_diag_norm(cfg, c, &g.state[0][k], w, norm[k - c0]);
        if (c->nbins * w > work_n) work_n = c->nbins * w;
    }
    double *work = xmalloc((size_t)work_n * sizeof *work);
    sim_band *bands = xcalloc((size_t)(nmine > 0 ? nmine : 1), sizeof *bands);

    char generated_by[128];
    snprintf(generated_by, sizeof generated_by, "hitwin %s", HITWIN_VERSION);
    for (int cond = 0; cond < 2 && rc == 0; cond++)
        for (int rep = 0; rep < cfg->replicates && rc == 0; rep++) {
            double t0 = now();
            char name[256], path[4096], tmp[4096], meta[1024];
            sim_sample_name(cfg, cond, rep, name, sizeof name);
            snprintf(path, sizeof path, "%s/%s.mcool", cfg->output, name);
            snprintf(tmp, sizeof tmp, "%s/.%s.mcool.tmp", cfg->output, name);
            int64_t nnz = 0, all = 0;
            for (int k = c0; k < c1; k++) {
                sim_sample_chrom(cfg, &g, k, cond, rep, norm[k - c0], work, &bands[k - c0]);
                nnz += sim_band_nnz(&bands[k - c0]);
            }
            MPI_Reduce(&nnz, &all, 1, MPI_INT64_T, MPI_SUM, 0, d->comm);
            snprintf(meta, sizeof meta,
                     "{\"generated-by\": \"hitwin simulate\", \"seed\": %llu, \"condition\": "
                     "\"%s\", \"replicate\": \"R%d\", \"truth\": \"%s\"}",
                     (unsigned long long)cfg->seed, cfg->conditions[cond], rep + 1,
                     g.gw_mag ? "truth.bedgraph" : "truth.bed");
            sim_cool_spec spec = {cfg->chroms, cfg->nchroms, cfg->assembly, generated_by, meta,
                                  cfg->resolution, cfg->coarser, cfg->ncoarser, &cfg->balance,
                                  c0, c1, d->comm};
            rc = sim_cool_write(tmp, &spec, bands);
            if (rc < 0) log_error("%s", hw_error());
            for (int k = 0; k < nmine; k++) sim_band_free(&bands[k]);
            if (hw_dist_agree(d, rc) < 0) {
                if (d->rank == 0) unlink(tmp);
                rc = -1;
                break;
            }
            if (d->rank == 0 && rename(tmp, path) != 0) {
                log_error("%s: cannot rename from %s: %s", path, tmp, strerror(errno));
                unlink(tmp);
                rc = -1;
            }
            rc = hw_dist_agree(d, rc);
            log_info0("simulate: %s: %lld pixels, %.1f s", path, (long long)all, now() - t0);
        }

    if (rc == 0 && d->rank == 0) {
        char *truth = sim_truth_text(cfg, &g);
        char *dataset = sim_dataset_text(cfg);
        char *resolved = hw_sim_config_to_yaml(cfg);
        const char *truth_name = g.gw_mag ? "truth.bedgraph" : "truth.bed";
        const char *stale = g.gw_mag ? "truth.bed" : "truth.bedgraph";
        char stale_path[4096];
        snprintf(stale_path, sizeof stale_path, "%s/%s", cfg->output, stale);
        unlink(stale_path); /* a truth of another mode from an earlier run would mislead */
        if (sim_write_text(cfg->output, truth_name, truth) < 0 ||
            sim_write_text(cfg->output, "dataset.yaml", dataset) < 0 ||
            sim_write_text(cfg->output, "simulate.yaml", resolved) < 0) {
            log_error("%s", hw_error());
            rc = -1;
        }
        free(truth);
        free(dataset);
        free(resolved);
    }
    rc = hw_dist_agree(d, rc);
    if (rc == 0) log_info0("simulate: done in %.1f s, outputs in %s/", now() - t_start, cfg->output);

    for (int k = 0; k < nmine; k++) free(norm[k]);
    free(norm);
    free(work);
    free(bands);
    sim_genome_free(&g);
    return rc;
}

/* "--flag value" or "--flag=value". */
static const char *flag_value(int argc, char **argv, int *i, const char *flag) {
    size_t n = strlen(flag);
    if (strncmp(argv[*i], flag, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != '\0') return NULL;
    if (*i + 1 >= argc) return "";
    return argv[++*i];
}

int hw_simulate_main(int argc, char **argv) {
    hw_dist d;
    hw_dist_init(&d, &argc, &argv);
    const char *config = NULL, *preset = NULL, *out = NULL, *seed = NULL, *background = NULL;
    int null_mode = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            if (d.rank == 0) fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--null")) {
            null_mode = 1;
        } else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
            hw_log_set_quiet(1);
        } else if ((v = flag_value(argc, argv, &i, "--config"))) {
            config = v;
        } else if ((v = flag_value(argc, argv, &i, "--preset"))) {
            preset = v;
        } else if ((v = flag_value(argc, argv, &i, "--background"))) {
            background = v;
        } else if ((v = flag_value(argc, argv, &i, "--out"))) {
            out = v;
        } else if ((v = flag_value(argc, argv, &i, "--seed"))) {
            seed = v;
        } else {
            if (d.rank == 0) {
                log_error("simulate: unknown argument '%s'", argv[i]);
                fputs(usage, stderr);
            }
            return 2;
        }
    }
    /* Every rank resolves the same config; errors are printed once. */
    hw_sim_config cfg;
    int rc = hw_sim_config_defaults(&cfg, "small");
    hw_input config_in = {config, "--config"};
    if (rc == 0 && config) rc = hw_input_check(&config_in);
    if (rc == 0 && config) rc = hw_sim_config_load(&cfg, config);
    if (rc == 0 && preset && *preset && cfg.bg.file) {
        rc = hw_fail("--preset: the config has a background, whose chromosomes are the genome");
    } else if (rc == 0 && preset && *preset) {
        hw_sim_config tmp;
        rc = hw_sim_config_defaults(&tmp, preset);
        if (rc == 0) {
            free(cfg.chroms);
            free(cfg.assembly);
            free(cfg.preset);
            cfg.chroms = tmp.chroms;
            cfg.nchroms = tmp.nchroms;
            cfg.assembly = tmp.assembly;
            cfg.preset = tmp.preset;
            tmp.chroms = NULL;
            tmp.assembly = tmp.preset = NULL;
        } else {
            hw_fail_prefix("--preset");
        }
        hw_sim_config_free(&tmp);
    } else if (rc == 0 && preset) {
        rc = hw_fail("--preset needs a value (small or mouse)");
    }
    if (rc == 0 && background) {
        if (!*background) rc = hw_fail("--background needs a file");
        else if (preset) rc = hw_fail("give either --preset or --background, not both");
        free(cfg.bg.file);
        cfg.bg.file = xstrdup(background);
    }
    if (rc == 0 && out) {
        if (!*out) rc = hw_fail("--out needs a directory");
        free(cfg.output);
        cfg.output = xstrdup(out);
    }
    if (rc == 0 && seed) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(seed, &end, 10);
        if (!*seed || *end || errno || seed[0] == '-')
            rc = hw_fail("--seed must be a non-negative integer, got '%s'", seed);
        cfg.seed = s;
    }
    if (rc == 0) rc = hw_sim_config_validate(&cfg);
    if (rc == 0 && null_mode) hw_sim_config_make_null(&cfg);
    if (rc < 0) {
        if (d.rank == 0) log_error("%s", hw_error());
        hw_sim_config_free(&cfg);
        return 1;
    }
    /* --out holds no input (--config), and is a directory where it exists */
    rc = d.rank == 0 ? hw_guard_simulate(&cfg, config) : 0;
    if (hw_dist_agree_report(&d, rc) != 0) {
        hw_sim_config_free(&cfg);
        return 1;
    }
    rc = hw_simulate_run(&cfg, &d);
    hw_sim_config_free(&cfg);
    return rc < 0 ? 1 : 0;
}
