/* `hitwin distance`: embedding distances per genomic window, genome-wide, with
 * classical baselines on the same tile pairs (docs/distance.md; the reference's
 * distance_calculation.py, reference.md 6, with bugs 24-27 fixed).
 *
 * Flow: every rank opens the tile store and selects the same windows (split, at
 * least two samples passing QC); the windows are grouped into blocks of at most
 * --batch kept tiles, the same blocks whatever the number of ranks, and each rank
 * takes a contiguous run of blocks. Per block: read each window's tiles (all
 * samples in one read), compute the baselines per pair (first checkpoint only:
 * they do not depend on it), embed every kept tile ONCE in evaluation mode
 * (bug 24, 25), and form all pair distances. Rank 0 gathers the pairs and writes
 * the outputs of each checkpoint (temporary names, renamed when all are complete).
 * Any rank's error stops all ranks at the next common point.
 *
 * --device cuda: the embeddings come from the GPU model's evaluation-mode forward
 * (gpu_model.h: the backbone's GPU model, one GPU per rank, in chunks of 64 tiles for
 * SLeNet and 16 for MaxViT); the reading, the baselines and
 * the distances between embeddings stay on the host, as with --device cpu. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hitwin/checkpoint_config.h"
#include "hitwin/cli_args.h"
#include "hitwin/dist.h"
#include "hitwin/distance.h"
#include "hitwin/cross_fit.h"
#include "hitwin/distance_output.h"
#include "hitwin/error.h"
#include "hitwin/gpu.h"
#include "hitwin/log.h"
#include "hitwin/model.h"
#include "hitwin/train.h"
#include "hitwin/output_guard.h"
#include "hitwin/safetensors.h"
#include "hitwin/stage_device.h"
#include "hitwin/stage_guard.h"
#include "hitwin/tile_store.h"
#include "hitwin/train_folds.h"
#include "hitwin/version.h"
#include "hitwin/xalloc.h"

/* The widest embedding a checkpoint may have: SLeNet 83, SMaxViT and SMaxViTMulti 512. */
#define HW_DISTANCE_MAX_EMBED 512

#ifdef HITWIN_HAVE_CUDA
#include "hitwin/gpu_context.h"
#include "hitwin/gpu_model.h"
#else
/* without the CUDA backend --device never resolves to cuda: these are never reached */
typedef struct hw_gpu_model hw_gpu_model;
static hw_gpu_model *hw_gpu_model_create(hw_gpu *g, const hw_model *m, uint64_t seed) {
    (void)g, (void)m, (void)seed;
    hw_fail("distance: this hitwin was built without the CUDA backend");
    return NULL;
}
static void hw_gpu_model_free(hw_gpu_model *s) { (void)s; }
static int hw_gpu_model_embed_chunk(const hw_gpu_model *s) { return (void)s, 0; }
static int hw_gpu_model_embed(hw_gpu_model *s, const float *tiles, int n, float *emb, float *maps) {
    (void)s, (void)tiles, (void)n, (void)emb, (void)maps;
    return hw_fail("distance: this hitwin was built without the CUDA backend");
}
#endif

#define PAIR_FIELDS (4 + HW_N_MEASURES) /* window, a, b, label, distances: packed as doubles */

/* OpenBLAS partitions a GEMM differently with another thread count, which moves the
 * embeddings by an ulp or so, and a distance between two close embeddings by far more
 * in relative terms. One BLAS thread per rank (parallelism comes from the ranks) keeps
 * the results independent of the number of ranks and of how mpiexec binds them. */
extern void openblas_set_num_threads(int) __attribute__((weak));

static void usage(FILE *out) {
    fprintf(out,
            "usage: hitwin distance STORE (--checkpoint CKPT | --checkpoint-dir DIR) [options]\n"
            "Embedding distances between every pair of samples at every window of a tile store,\n"
            "with SSIM (as CHESS), Pearson (log1p), MSE (max-normalised), HiCRep SCC and\n"
            "insulation-profile baselines.\n"
            "  -c, --checkpoint CKPT      a backbone checkpoint (.safetensors, from hitwin train)\n"
            "  -d, --checkpoint-dir DIR   every backbone checkpoint in DIR (heads *_nn.* skipped)\n"
            "  -o, --output DIR           output directory (default .)\n"
            "  -s, --split NAME           all (default), train, validation or test\n"
            "  -b, --batch N              tiles per forward pass (default 100)\n"
            "      --device DEV           cpu (default), cuda (embeddings on one GPU per rank) or\n"
            "                             auto (cuda when built with CUDA and a GPU is visible)\n"
            "      --no-baselines         embedding distances only (no SSIM, Pearson, MSE, SCC,\n"
            "                             insulation; their columns are NaN, their files absent)\n"
            "      --fdr X                call a window changed when its Benjamini-Hochberg q <= X\n"
            "                             (default 0.05; X in (0, 1])\n"
            "      --neighbours H         window scores from each pair's distance averaged over the\n"
            "                             window and the windows up to H strides away on each side\n"
            "                             (default 2; 0: the window's own, as the reference;\n"
            "                             docs/distance.md \"Neighbouring windows\")\n"
            "  -q, --quiet                no progress output\n"
            "  -h, --help\n"
            "Outputs per checkpoint CKPT: CKPT_distances.h5, CKPT_{measure}_distances_raw.csv,\n"
            "CKPT_{measure}_distances_summary.csv, CKPT_{measure}_{within,between,score,z}.bedgraph,\n"
            "CKPT_{measure}_called.bed\n"
            "for measure in pairwise, cosine, ssim, pearson, mse, scc, insulation.\n"
            "Run with mpiexec -n N to shard the windows over N ranks.\n");
}

static int split_code(const char *name) {
    if (!strcmp(name, "all")) return -1;
    if (!strcmp(name, "train")) return 0;
    if (!strcmp(name, "validation")) return 1;
    if (!strcmp(name, "test")) return 2;
    return -2;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rank 0: the checkpoints to process. A directory gives every *.safetensors that
 * holds the backbone (features.0.weight), sorted by name; heads (*_nn.safetensors)
 * and anything else are skipped (bug 26). */
static int list_checkpoints(const char *ckpt, const char *dir, char ***out, int *n_out) {
    *out = NULL;
    *n_out = 0;
    if (ckpt) {
        *out = xcalloc(1, sizeof **out);
        (*out)[0] = xstrdup(ckpt);
        *n_out = 1;
        return 0;
    }
    DIR *dp = opendir(dir);
    if (!dp) return hw_fail("%s: cannot open checkpoint directory", dir);
    char **names = NULL;
    size_t cap = 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.') continue;
        hw_grow(&names, &cap, (size_t)n + 1);
        names[n++] = xstrdup(e->d_name);
    }
    closedir(dp);
    if (n > 1) qsort(names, (size_t)n, sizeof *names, cmp_str); /* names is NULL when n == 0 */
    int kept = 0;
    char **paths = xcalloc((size_t)n + 1, sizeof *paths);
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        int use = stat(path, &st) == 0 && S_ISREG(st.st_mode) && ends_with(names[i], ".safetensors") &&
                  !ends_with(names[i], "_nn.safetensors");
        if (use) {
            hw_st_file f;
            /* SLeNet's first tensor, or MaxViT's */
            use = hw_st_read(&f, path) == 0 &&
                  (hw_st_find(&f, "features.0.weight") != NULL || hw_st_find(&f, "stem.0.0.weight") != NULL);
            hw_st_close(&f);
        }
        if (use) paths[kept++] = xstrdup(path);
        else log_info0("distance: skipping %s (not a backbone checkpoint)", path);
        free(names[i]);
    }
    free(names);
    names = paths;
    if (kept == 0) {
        free(names);
        return hw_fail("%s: no backbone checkpoints (*.safetensors holding features.0.weight) in the "
                       "directory", dir);
    }
    *out = names;
    *n_out = kept;
    return 0;
}

/* A model for one checkpoint, built for the store's tile size, with the diagonal mask
 * when the checkpoint carries one (the reference always builds mask=True and so cannot
 * load a checkpoint trained without it, bug 12; here the checkpoint decides). */
typedef struct {
    hw_model *model;
    char **meta; /* key, value */
    int n_meta;
    int mask;
} loaded_ckpt;

static void free_ckpt(loaded_ckpt *c) {
    hw_model_free(c->model);
    for (int i = 0; i < 2 * c->n_meta; i++) free(c->meta[i]);
    free(c->meta);
    memset(c, 0, sizeof *c);
}

static int load_ckpt(const char *path, int tile_size, loaded_ckpt *c) {
    memset(c, 0, sizeof *c);
    hw_st_file f;
    if (hw_st_read(&f, path) != 0) return -1;
    c->mask = hw_st_find(&f, "mask") != NULL;
    c->n_meta = f.n_meta;
    c->meta = xcalloc((size_t)(2 * f.n_meta) + 1, sizeof *c->meta);
    for (int i = 0; i < 2 * f.n_meta; i++) c->meta[i] = xstrdup(f.meta[i]);
    hw_model_config cfg;
    int rc = hw_checkpoint_model_config(&f, path, tile_size, &cfg);
    hw_st_close(&f);
    if (rc != 0) {
        free_ckpt(c);
        return -1;
    }
    c->model = hw_model_create(&cfg, 0);
    if (!c->model || hw_model_load(c->model, path) != 0) {
        if (!c->model) hw_fail_prefix("%s", path);
        free_ckpt(c);
        return -1;
    }
    return 0;
}

/* The selected windows grouped into blocks of at most `batch` kept tiles (a window
 * with more tiles than that is a block of its own): the same blocks on any number of
 * ranks, so every tile is embedded in the same batch and the results do not depend on
 * the rank count. */
typedef struct {
    int64_t n_sel;
    int64_t *sel;        /* selected window indices, store order */
    int64_t n_blocks;
    int64_t *block_first; /* [n_blocks + 1] into sel */
    int64_t tiles, pairs;
} window_plan;

static void plan_windows(const hw_tile_meta *m, int split, int batch, window_plan *p) {
    int S = m->n_samples;
    memset(p, 0, sizeof *p);
    p->sel = xcalloc((size_t)m->n_windows + 1, sizeof *p->sel);
    p->block_first = xcalloc((size_t)m->n_windows + 2, sizeof *p->block_first);
    int64_t in_block = 0;
    for (int64_t w = 0; w < m->n_windows; w++) {
        if (split >= 0 && m->win_split[w] != split) continue;
        int kept = 0;
        for (int s = 0; s < S; s++) kept += m->kept[w * S + s] != 0;
        if (kept < 2) continue;
        if (p->n_sel == 0 || in_block + kept > batch) {
            p->block_first[p->n_blocks++] = p->n_sel;
            in_block = 0;
        }
        in_block += kept;
        p->tiles += kept;
        p->pairs += (int64_t)kept * (kept - 1) / 2;
        p->sel[p->n_sel++] = w;
    }
    p->block_first[p->n_blocks] = p->n_sel;
}

typedef struct {
    const hw_tile_meta *m;
    hw_tile_store *store;
    int is_oe;
    int first_pass;      /* build the pair table (and the baselines) */
    int baselines;       /* compute SSIM, Pearson, MSE (else NaN) */
    float *wtiles;       /* [S, T, T] one window */
    float *btiles;       /* [batch, T, T] kept tiles of a block */
    float *emb;          /* [batch, D] */
    float *maps;         /* [batch_cap, map_c * map_p]: the feature maps of the maps measure */
    int map_c, map_p;    /* the model's (hw_model_head_maps_shape) */
    size_t maps_floats;  /* allocated */
    int *tile_of;        /* [block windows * S]: row in btiles, -1 when not kept */
    hw_tile_prep *prep;  /* [S] */
    hw_gpu_model *gnet;  /* --device cuda: the checkpoint's model on this rank's GPU */
    int gpu_chunk;       /* its tiles per evaluation pass, for the run's config */
    double *work;
    int batch_cap;
    double t_read, t_baseline, t_embed; /* seconds, this rank */
} worker;

/* wk->maps for batch_cap tiles of the current model's map shape */
static void reserve_maps(worker *wk) {
    const size_t need = (size_t)wk->batch_cap * wk->map_c * wk->map_p;
    if (need <= wk->maps_floats) return;
    wk->maps = xrealloc(wk->maps, need * sizeof(float));
    wk->maps_floats = need;
}

/* One block: windows sel[i0, i1). Appends its pairs (first pass) or fills the model
 * distances of pairs already there, starting at *cursor. */
static int run_block(worker *wk, hw_model *model, const window_plan *plan, int64_t i0, int64_t i1,
                     hw_pair_table *pt, int64_t *cursor) {
    const hw_tile_meta *m = wk->m;
    int S = m->n_samples, T = m->tile_size;
    size_t TT = (size_t)T * T;
    int D = hw_model_embed_dim(model);
    int n = 0;
    int64_t nwin = i1 - i0;
    for (int64_t i = i0; i < i1; i++) {
        int64_t w = plan->sel[i];
        int *row = wk->tile_of + (i - i0) * S;
        double t0 = MPI_Wtime();
        if (hw_tile_store_read_window(wk->store, w, wk->wtiles) != 0) return -1;
        double t1 = MPI_Wtime();
        wk->t_read += t1 - t0;
        int n_here = 0;
        for (int s = 0; s < S; s++) n_here += m->kept[w * S + s] != 0;
        if (n + n_here > wk->batch_cap) { /* a window wider than --batch */
            wk->batch_cap = n + n_here;
            wk->btiles = xrealloc(wk->btiles, (size_t)wk->batch_cap * TT * sizeof(float));
            wk->emb = xrealloc(wk->emb, (size_t)wk->batch_cap * D * sizeof(float));
            reserve_maps(wk);
        }
        for (int s = 0; s < S; s++) {
            row[s] = -1;
            if (!m->kept[w * S + s]) continue;
            row[s] = n;
            memcpy(wk->btiles + (size_t)n * TT, wk->wtiles + (size_t)s * TT, TT * sizeof(float));
            if (wk->first_pass && wk->baselines) hw_tile_prep_compute(&wk->prep[s], wk->wtiles + (size_t)s * TT, wk->is_oe);
            n++;
        }
        if (!wk->first_pass) continue;
        for (int a = 0; a < S; a++)
            for (int b = a + 1; b < S; b++) {
                if (row[a] < 0 || row[b] < 0) continue;
                hw_pair_table_reserve(pt, pt->n + 1);
                int64_t k = pt->n++;
                pt->window[k] = w;
                pt->a[k] = a;
                pt->b[k] = b;
                pt->label[k] = m->class_id[a] != m->class_id[b];
                double d[HW_N_MEASURES];
                for (int q = 0; q < HW_N_MEASURES; q++) d[q] = NAN;
                if (wk->baselines) hw_baseline_distances(&wk->prep[a], &wk->prep[b], wk->work, d);
                for (int q = HW_M_SSIM; q <= HW_M_INSULATION; q++) pt->d[q][k] = d[q];
                pt->d[HW_M_HYBRID][k] = NAN; /* with combined, on rank 0 (main) */
            }
        wk->t_baseline += MPI_Wtime() - t1;
    }
    double t2 = MPI_Wtime();
    /* every kept tile once, in evaluation mode */
    if (wk->gnet ? hw_gpu_model_embed(wk->gnet, wk->btiles, n, wk->emb, wk->maps) != 0
                 : hw_model_embed_maps(model, wk->btiles, n, wk->emb, wk->maps) != 0)
        return -1;
    const size_t per_map = (size_t)wk->map_c * wk->map_p;
    for (int64_t i = i0; i < i1; i++) {
        int64_t w = plan->sel[i];
        const int *row = wk->tile_of + (i - i0) * S;
        for (int a = 0; a < S; a++)
            for (int b = a + 1; b < S; b++) {
                if (row[a] < 0 || row[b] < 0) continue;
                int64_t k = (*cursor)++;
                if (k >= pt->n || pt->window[k] != w || pt->a[k] != a || pt->b[k] != b)
                    return hw_fail("distance: pair table out of step (internal error)");
                const float *ea = wk->emb + (size_t)row[a] * D, *eb = wk->emb + (size_t)row[b] * D;
                pt->d[HW_M_PAIRWISE][k] = hw_euclidean_distance(ea, eb, D);
                pt->d[HW_M_COSINE][k] = hw_cosine_distance(ea, eb, D);
                pt->d[HW_M_MAPS][k] = hw_map_distance(wk->maps + (size_t)row[a] * per_map,
                                                      wk->maps + (size_t)row[b] * per_map, wk->map_c, wk->map_p);
                pt->d[HW_M_COMBINED][k] = NAN; /* on rank 0, once every window is in (main) */
            }
    }
    wk->t_embed += MPI_Wtime() - t2;
    (void)nwin;
    return 0;
}

/* Rank 0 receives every rank's pairs, in rank order (= window order). */
static void gather_pairs(const hw_dist *d, const hw_pair_table *mine, hw_pair_table *all) {
    int64_t n = mine->n;
    double *send = xcalloc((size_t)n * PAIR_FIELDS + 1, sizeof *send);
    for (int64_t i = 0; i < n; i++) {
        double *r = send + i * PAIR_FIELDS;
        r[0] = (double)mine->window[i];
        r[1] = mine->a[i];
        r[2] = mine->b[i];
        r[3] = mine->label[i];
        for (int q = 0; q < HW_N_MEASURES; q++) r[4 + q] = mine->d[q][i];
    }
    int count = (int)(n * PAIR_FIELDS);
    int *counts = d->rank == 0 ? xcalloc((size_t)d->size, sizeof *counts) : NULL;
    int *displs = d->rank == 0 ? xcalloc((size_t)d->size, sizeof *displs) : NULL;
    MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, 0, d->comm);
    int64_t total = 0;
    if (d->rank == 0)
        for (int r = 0; r < d->size; r++) {
            displs[r] = (int)total;
            total += counts[r];
        }
    double *recv = d->rank == 0 ? xcalloc((size_t)total + 1, sizeof *recv) : NULL;
    MPI_Gatherv(send, count, MPI_DOUBLE, recv, counts, displs, MPI_DOUBLE, 0, d->comm);
    if (d->rank == 0) {
        int64_t np = total / PAIR_FIELDS;
        all->n = 0;
        hw_pair_table_reserve(all, np + 1);
        for (int64_t i = 0; i < np; i++) {
            const double *r = recv + i * PAIR_FIELDS;
            all->window[i] = (int64_t)r[0];
            all->a[i] = (int32_t)r[1];
            all->b[i] = (int32_t)r[2];
            all->label[i] = (int8_t)r[3];
            for (int q = 0; q < HW_N_MEASURES; q++) all->d[q][i] = r[4 + q];
        }
        all->n = np;
    }
    free(send);
    free(recv);
    free(counts);
    free(displs);
}

static char *basename_stem(const char *path) {
    const char *slash = strrchr(path, '/');
    char *s = xstrdup(slash ? slash + 1 : path);
    char *dot = strrchr(s, '.');
    if (dot && dot != s) *dot = '\0';
    return s;
}

static void print_summary(const char *ckpt, const hw_window_table *w, const hw_pair_table *p,
                          const char *out_dir, const char *base, double seconds) {
    int64_t within = 0, between = 0;
    for (int64_t i = 0; i < p->n; i++) {
        if (p->label[i]) between++;
        else within++;
    }
    printf("checkpoint: %s\n", ckpt);
    printf("windows: %lld, pairs: %lld (%lld within, %lld between), %.2f s, %.1f pairs/s\n",
           (long long)w->n, (long long)p->n, (long long)within, (long long)between, seconds,
           seconds > 0 ? (double)p->n / seconds : 0.0);
    printf("%-10s %12s %12s %12s %10s %8s\n", "measure", "within", "between", "score", "score>0", "called");
    for (int q = 0; q < HW_N_MEASURES; q++) {
        double s[3] = {0, 0, 0};
        int64_t n[3] = {0, 0, 0}, pos = 0, called = 0;
        for (int64_t k = 0; k < w->n; k++) {
            const double v[3] = {w->within[q][k], w->between[q][k], w->score[q][k]};
            for (int c = 0; c < 3; c++)
                if (!isnan(v[c])) s[c] += v[c], n[c]++;
            pos += w->score[q][k] > 0;
            called += w->called[q][k];
        }
        printf("%-10s %12.6g %12.6g %12.6g %10lld %8lld\n", hw_measure_names[q], n[0] ? s[0] / n[0] : NAN,
               n[1] ? s[1] / n[1] : NAN, n[2] ? s[2] / n[2] : NAN, (long long)pos, (long long)called);
    }
    printf("outputs: %s/%s_distances.h5 (+ CSV and bedGraph per measure)\n", out_dir, base);
    fflush(stdout);
}

/* folds and fold of a checkpoint trained with `folds: K` (train_folds.h); 1 and -1 otherwise. */
static int ckpt_folds(const loaded_ckpt *c, int *fold) {
    int folds = 1;
    *fold = -1;
    for (int i = 0; i < c->n_meta; i++) {
        if (strcmp(c->meta[2 * i], "config") != 0) continue;
        char v[32];
        if (hw_config_value(c->meta[2 * i + 1], "folds", v, sizeof v)) folds = atoi(v);
        if (hw_config_value(c->meta[2 * i + 1], "fold", v, sizeof v)) *fold = atoi(v);
    }
    return folds > 1 && folds <= 16 && *fold >= 0 && *fold < folds ? folds : 1;
}

/* The checkpoint of fold k beside `path` (<run>/fold<j>/<name>, or <run>/<name> linking to
 * fold j's): <run>/fold<k>/<name>. */
static int fold_sibling(const char *path, int k, char *out, size_t cap) {
    char real[4096];
    if (!realpath(path, real)) return hw_fail("%s: %s", path, strerror(errno));
    char *slash = strrchr(real, '/');
    if (!slash) return hw_fail("%s: no directory (internal error)", real);
    *slash = '\0';
    const char *name = slash + 1;
    char *up = strrchr(real, '/');
    if (!up || strncmp(up + 1, "fold", 4) != 0)
        return hw_fail("%s: a cross-fitted checkpoint (folds in its config) must sit in a fold<k> "
                       "directory of its training run", path);
    *up = '\0';
    snprintf(out, cap, "%s/fold%d/%s", real, k, name);
    return 0;
}

/* Every pair's distances under one model: the rank's blocks, gathered on rank 0. */
static int pairs_for_model(const hw_dist *d, worker *wk, hw_model *model, hw_gpu *gpu,
                           const window_plan *plan, int64_t b0, int64_t b1, const char *name,
                           hw_pair_table *mine, hw_pair_table *all) {
    int rc = 0;
    hw_model_head_maps_shape(model, &wk->map_c, &wk->map_p);
    reserve_maps(wk);
    /* the backbone's GPU model (gpu_model.h), fp32 */
    if (gpu && !(wk->gnet = hw_gpu_model_create(gpu, model, 0))) rc = hw_fail_prefix("%s", name);
    if (wk->gnet) wk->gpu_chunk = hw_gpu_model_embed_chunk(wk->gnet);
    int64_t cursor = 0;
    for (int64_t b = b0; !rc && b < b1; b++) {
        rc = run_block(wk, model, plan, plan->block_first[b], plan->block_first[b + 1], mine, &cursor);
        if (d->rank == 0 && (b - b0) % 8 == 7)
            log_progress0("distance: %s: block %lld/%lld on rank 0 (%d rank%s)", name,
                          (long long)(b - b0 + 1), (long long)(b1 - b0), d->size,
                          d->size > 1 ? "s" : "");
    }
    log_progress_done0();
    hw_gpu_model_free(wk->gnet);
    wk->gnet = NULL;
    if (rc) log_error("%s", hw_error());
    if (hw_dist_agree(d, rc) != 0) return -1;
    gather_pairs(d, mine, all);
    return 0;
}

/* A cross-fitted checkpoint: the other folds' models over the same pairs, then every pair
 * takes its own fold model's scaled distance (cross_fit.h). all holds the given fold's. */
static int cross_fit(const hw_dist *d, worker *wk, hw_gpu *gpu, const window_plan *plan,
                     int64_t b0, int64_t b1, const char *ckpt, int folds, int fold,
                     hw_pair_table *mine, hw_pair_table *all) {
    const hw_tile_meta *m = wk->m;
    hw_pair_table *tables[16] = {0};
    hw_pair_table extra[16];
    memset(extra, 0, sizeof extra);
    int rc = 0;
    for (int k = 0; k < folds && rc == 0; k++) {
        if (k == fold) {
            tables[k] = all;
            continue;
        }
        char path[4200];
        loaded_ckpt lc = {0};
        rc = fold_sibling(ckpt, k, path, sizeof path);
        if (rc == 0) rc = load_ckpt(path, m->tile_size, &lc);
        if (rc == 0 && hw_model_embed_dim(lc.model) > HW_DISTANCE_MAX_EMBED)
            rc = hw_fail("distance: embedding too wide");
        if (rc) log_error("%s", hw_error());
        if (hw_dist_agree(d, rc) != 0) {
            free_ckpt(&lc);
            rc = -1;
            break;
        }
        log_info0("distance: cross-fitted: fold %d of %d from %s", k, folds, path);
        rc = pairs_for_model(d, wk, lc.model, gpu, plan, b0, b1, path, mine, &extra[k]);
        tables[k] = &extra[k];
        free_ckpt(&lc);
    }
    if (rc == 0 && d->rank == 0) {
        int *fold_of = xcalloc((size_t)m->n_chroms + 1, sizeof *fold_of);
        hw_folds_assign(m, folds, fold_of);
        rc = hw_cross_fit_combine(all, tables, folds, m, fold_of);
        free(fold_of);
        if (rc) log_error("%s", hw_error());
    }
    for (int k = 0; k < folds; k++) hw_pair_table_free(&extra[k]);
    return hw_dist_agree(d, rc);
}

int hw_distance_main(int argc, char **argv) {
    hw_dist d;
    hw_dist_init(&d, &argc, &argv);
    static const struct option opts[] = {{"checkpoint", required_argument, 0, 'c'},
                                         {"checkpoint-dir", required_argument, 0, 'd'},
                                         {"output", required_argument, 0, 'o'},
                                         {"split", required_argument, 0, 's'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"no-baselines", no_argument, 0, 'N'},
                                         {"device", required_argument, 0, 'D'},
                                         {"fdr", required_argument, 0, 'F'},
                                         {"neighbours", required_argument, 0, 'H'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *ckpt = NULL, *ckpt_dir = NULL, *out_dir = ".", *split_name = "all";
    long batch = 100;
    int baselines = 1;
    double fdr = HW_DEFAULT_FDR;
    int neighbours = HW_DEFAULT_NEIGHBOURS;
    hw_device_kind device = HW_DEVICE_CPU;
    int c;
    optind = 1;
    while ((c = hw_getopt(argc, argv, "c:d:o:s:b:qh", opts)) != -1) {
        switch (c) {
        case 'c': ckpt = optarg; break;
        case 'd': ckpt_dir = optarg; break;
        case 'o': out_dir = optarg; break;
        case 's': split_name = optarg; break;
        case 'b': {
            int64_t v;
            if (hw_parse_int("--batch", optarg, 1, 100000, &v) != 0) return hw_usage_error(NULL);
            batch = (long)v;
            break;
        }
        case 'F': {
            char *end;
            fdr = strtod(optarg, &end);
            if (end == optarg || *end || !(fdr > 0.0 && fdr <= 1.0)) {
                if (d.rank == 0) log_error("--fdr %s: expected a false discovery rate in (0, 1]", optarg);
                return 2;
            }
            break;
        }
        case 'H': {
            int64_t v;
            if (hw_parse_int("--neighbours", optarg, 0, 64, &v) != 0) return hw_usage_error(NULL);
            neighbours = (int)v;
            break;
        }
        case 'q': hw_log_set_quiet(1); break;
        case 'N': baselines = 0; break;
        case 'D':
            if (hw_device_parse(optarg, &device) != 0) {
                if (d.rank == 0) log_error("--device %s: expected cpu, cuda or auto", optarg);
                return 2;
            }
            break;
        case 'h':
            if (d.rank == 0) usage(stdout);
            return 0;
        default: return hw_usage_error(usage);
        }
    }
    if (optind == argc) return hw_usage_fail(usage, "distance: the tile store (STORE) is missing");
    if (optind != argc - 1)
        return hw_usage_fail(usage, "distance: one STORE expected, got '%s' too", argv[optind + 1]);
    if (!ckpt == !ckpt_dir) return hw_usage_fail(usage, "give one of --checkpoint or --checkpoint-dir");
    int split = split_code(split_name);
    if (split == -2) {
        if (d.rank == 0)
            log_error("--split %s: expected all, train, validation or test", split_name);
        return 2;
    }
    const char *store_path = argv[optind];
    hw_xalloc_hint("--batch (tiles per forward pass)");
    double t_start = MPI_Wtime();
    if (openblas_set_num_threads) openblas_set_num_threads(1);

    /* ---- device: cuda on every rank or on none (auto), decided before any input ---- */
    hw_gpu *gpu = NULL;
    if (hw_stage_device_open(&d, "distance", device, &device, &gpu) != 0) return 1;

    /* ---- inputs: every failure is one line from rank 0, then all ranks stop ---- */
    int rc = 0;
    char **ckpts = NULL;
    int n_ckpts = 0;
    /* inputs are files, no output over an input, -o created when missing */
    if (d.rank == 0) rc = list_checkpoints(ckpt, ckpt_dir, &ckpts, &n_ckpts);
    if (!rc && d.rank == 0) rc = hw_guard_distance(store_path, ckpts, n_ckpts, out_dir);
    hw_tile_store *store = NULL;
    if (!rc) {
        store = hw_tile_store_open(store_path);
        if (!store) rc = -1;
    }
    window_plan plan = {0};
    const hw_tile_meta *m = store ? hw_tile_store_meta(store) : NULL;
    if (!rc) {
        plan_windows(m, split, (int)batch, &plan);
        if (plan.n_sel == 0)
            rc = hw_fail("%s: no windows in split '%s' with at least two samples passing QC", store_path,
                         split_name);
    }
    /* every checkpoint is checked before anything is computed or written */
    for (int k = 0; !rc && d.rank == 0 && k < n_ckpts; k++) {
        loaded_ckpt lc;
        rc = load_ckpt(ckpts[k], m->tile_size, &lc);
        free_ckpt(&lc);
    }
    struct stat out_st;
    int made_out_dir = d.rank == 0 && stat(out_dir, &out_st) != 0; /* removed again on failure */
    if (!rc && d.rank == 0) rc = hw_output_dir_make(out_dir, "-o"); /* inputs all read */
    if (!rc && made_out_dir) hw_temp_add(out_dir); /* removed (if empty) if the job is stopped */
    if (rc && d.rank == 0) log_error("%s", hw_error());
    if (hw_dist_agree(&d, rc) != 0) {
        if (!rc && made_out_dir) {
            rmdir(out_dir);
            hw_temp_forget(out_dir);
        }
        for (int k = 0; k < n_ckpts; k++) free(ckpts[k]);
        free(ckpts);
        free(plan.sel);
        free(plan.block_first);
        hw_tile_store_close(store);
        hw_stage_device_close(gpu);
        return 1;
    }
    MPI_Bcast(&n_ckpts, 1, MPI_INT, 0, d.comm);
    if (d.rank != 0) ckpts = xcalloc((size_t)n_ckpts, sizeof *ckpts);
    for (int k = 0; k < n_ckpts; k++) {
        int len = d.rank == 0 ? (int)strlen(ckpts[k]) + 1 : 0;
        MPI_Bcast(&len, 1, MPI_INT, 0, d.comm);
        if (d.rank != 0) ckpts[k] = xcalloc((size_t)len, 1);
        MPI_Bcast(ckpts[k], len, MPI_CHAR, 0, d.comm);
    }

    int S = m->n_samples, T = m->tile_size;
    int64_t b0 = plan.n_blocks * d.rank / d.size, b1 = plan.n_blocks * (d.rank + 1) / d.size;
    int64_t max_block = 1;
    for (int64_t b = 0; b < plan.n_blocks; b++)
        if (plan.block_first[b + 1] - plan.block_first[b] > max_block)
            max_block = plan.block_first[b + 1] - plan.block_first[b];
    log_info0("%s: %lld windows (split %s), %lld tiles, %lld pairs, %lld blocks of <= %ld tiles, "
              "%d checkpoint%s, %d rank%s",
              HITWIN_VERSION_STRING, (long long)plan.n_sel, split_name, (long long)plan.tiles,
              (long long)plan.pairs, (long long)plan.n_blocks, batch, n_ckpts, n_ckpts > 1 ? "s" : "",
              d.size, d.size > 1 ? "s" : "");

    worker wk = {.m = m, .store = store, .first_pass = 1, .baselines = baselines};
    wk.is_oe = m->type && strcmp(m->type, "oe") == 0;
    wk.batch_cap = (int)batch;
    wk.wtiles = xmalloc((size_t)S * T * T * sizeof(float));
    wk.btiles = xmalloc((size_t)batch * T * T * sizeof(float));
    wk.emb = xmalloc((size_t)batch * HW_DISTANCE_MAX_EMBED * sizeof(float));
    wk.tile_of = xmalloc((size_t)max_block * S * sizeof(int));
    wk.prep = xcalloc((size_t)S, sizeof *wk.prep);
    for (int s = 0; s < S; s++) hw_tile_prep_init(&wk.prep[s], T);
    wk.work = xmalloc(hw_ssim_work_doubles(T) * sizeof(double));

    hw_pair_table mine = {0}, all = {0};
    int failed = 0;
    for (int k = 0; k < n_ckpts && !failed; k++) {
        double t0 = MPI_Wtime();
        loaded_ckpt lc;
        rc = load_ckpt(ckpts[k], T, &lc);
        if (!rc && hw_model_embed_dim(lc.model) > HW_DISTANCE_MAX_EMBED)
            rc = hw_fail("distance: embedding too wide");
        if (rc) log_error("%s", hw_error());
        if (hw_dist_agree(&d, rc) != 0 ||
            pairs_for_model(&d, &wk, lc.model, gpu, &plan, b0, b1, ckpts[k], &mine, &all) != 0) {
            failed = 1;
            free_ckpt(&lc);
            break;
        }
        log_info0("distance: rank 0: read %.2f s, baselines %.2f s, embedding + distances %.2f s",
                  wk.t_read, wk.t_baseline, wk.t_embed);
        wk.t_read = wk.t_baseline = wk.t_embed = 0.0;
        wk.first_pass = 0;
        int fold, folds = ckpt_folds(&lc, &fold);
        if (folds > 1 && cross_fit(&d, &wk, gpu, &plan, b0, b1, ckpts[k], folds, fold, &mine,
                                   &all) != 0) {
            failed = 1;
            free_ckpt(&lc);
            break;
        }
        double compute_s = MPI_Wtime() - t0;
        int wrc = 0;
        hw_window_table wt;
        hw_distance_files *files = NULL;
        char *base = NULL;
        if (d.rank == 0) {
            /* the combined measure and the hybrid score, their scales from each window's own
             * pairs: a pair's distance does not depend on --neighbours. Then the window scores
             * from the neighbour-averaged distances; pairs/ and the raw CSV keep each window's
             * own */
            double scale[HW_N_SUM_PARTS];
            hw_combined_scales(&all, m, scale);
            hw_pair_table_combine(&all, scale);
            hw_pair_table avg;
            hw_pair_table_neighbours(&all, m, neighbours, &avg);
            hw_window_table_build(&wt, &avg, m);
            hw_window_table_scores(&wt, &avg, fdr);
            hw_pair_table_free(&avg);
            base = basename_stem(ckpts[k]);
            char hybrid_line[160] = "";
            if (baselines)
                snprintf(hybrid_line, sizeof hybrid_line,
                         "hybrid: combined + pearson / %.6g (the default score)\n", scale[2]);
            char config[8192];
            snprintf(config, sizeof config,
                     "tile_store: %s\ncheckpoint: %s\nsplit: %s\nbatch: %ld\nmask: %s\nimage_size: %d\n"
                     "input_transform: %s\nnorm_region: %s\nsmooth: %d\n"
                     "measures: %s\n%s"
                     "combined: pairwise / %.6g + maps / %.6g (each the 1.4826 MAD of its "
                     "window scores, between - within)\n%s"
                     "baseline_band: %d\nssim: chess-hic compare_matrix_pair defaults on %s\n"
                     "scc: hicrep 0.2.6 sccByDiag, h %d, strata %d..%d\n"
                     "insulation: cooltools 0.7.1 insul_diamond, window %d bins, mean |difference|\n"
                     "fdr: %g\nneighbours: %d (window scores from each pair's distance averaged "
                     "over the window and the windows up to this many strides away)\n",
                     store_path, ckpts[k], split_name, batch, lc.mask ? "true" : "false", T,
                     hw_input_transform_name(hw_model_cfg(lc.model)->input_transform),
                     hw_norm_region_name(hw_model_cfg(lc.model)->norm_region),
                     hw_model_cfg(lc.model)->smooth,
                     baselines ? "[pairwise, cosine, maps, combined, ssim, pearson, mse, scc, insulation, "
                                 "hybrid]"
                               : "[pairwise, cosine, maps, combined] (--no-baselines)",
                     folds > 1 ? "cross_fit: every window scored by the fold model that did not "
                                 "train on it; pairwise, cosine and maps in units of that model's "
                                 "median within-condition distance\n" : "",
                     scale[0], scale[1], hybrid_line,
                     HW_BASELINE_BAND, wk.is_oe ? "the stored O/E" : "O/E with the expected from the tile",
                     HW_SCC_H, HW_BASELINE_BAND, T - 1, HW_INSULATION_WINDOW, fdr, neighbours);
            if (gpu) /* a cpu run's config is what it was before --device existed */
                snprintf(config + strlen(config), sizeof config - strlen(config),
                         "device: cuda (fp32 embeddings, chunks of %d tiles)\n", wk.gpu_chunk);
            hw_distance_run run = {.out_dir = out_dir, .ckpt_path = ckpts[k], .ckpt_base = base,
                                   .ckpt_meta = lc.meta, .n_ckpt_meta = lc.n_meta,
                                   .store_path = store_path, .run_config = config,
                                   .split = split_name, .meta = m, .baselines = baselines,
                                   .model_name = hw_model_backbone_name(lc.model)};
            files = hw_distance_write_temps(&run, &all, &wt);
            if (!files) {
                log_error("%s", hw_error());
                wrc = -1;
            }
        }
        /* every rank still there before anything is renamed into place: a rank lost while
         * the files were written leaves none of them (mpiexec stops this one with SIGTERM,
         * which removes the temporary files) */
        int keep = hw_dist_agree(&d, wrc) == 0;
        if (d.rank == 0) {
            if (files) wrc = hw_distance_commit(files, keep);
            if (keep && wrc) log_error("%s", hw_error());
            else if (keep) print_summary(ckpts[k], &wt, &all, out_dir, base, compute_s);
            free(base);
            hw_window_table_free(&wt);
        }
        free_ckpt(&lc);
        if (!keep || hw_dist_agree(&d, wrc) != 0) failed = 1;
    }
    if (!failed && d.rank == 0) {
        printf("elapsed: %.2f s\n", MPI_Wtime() - t_start);
        fflush(stdout);
    }
    if (failed && made_out_dir) rmdir(out_dir); /* the -o this run made, if it is still empty */
    if (made_out_dir) hw_temp_forget(out_dir);

    for (int s = 0; s < S; s++) hw_tile_prep_free(&wk.prep[s]);
    free(wk.prep);
    free(wk.work);
    free(wk.wtiles);
    free(wk.btiles);
    free(wk.emb);
    free(wk.maps);
    free(wk.tile_of);
    hw_pair_table_free(&mine);
    hw_pair_table_free(&all);
    for (int k = 0; k < n_ckpts; k++) free(ckpts[k]);
    free(ckpts);
    free(plan.sel);
    free(plan.block_first);
    hw_tile_store_close(store);
    hw_stage_device_close(gpu);
    return failed ? 1 : 0;
}
