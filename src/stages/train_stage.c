/* `hitwin train`: data-parallel Siamese training on a tile store (docs/train.md).
 *
 * Flow: every rank loads the config, opens the tile store and builds the same
 * item lists (pairs / triplets / SupCon positions of the training and validation
 * windows); the model is created from the seed on every rank (identical weights).
 * Per epoch the item order is a seeded shuffle, the same everywhere; each global
 * batch of B items is cut into one contiguous shard per rank. Per step: zero the
 * gradients, forward/backward on the shard (losses are means over the GLOBAL
 * batch), the gradient sum and the optimiser step sharded over the ranks
 * (train_shard.h: ring reduce-scatter, each rank steps its slice, ring all-gather),
 * so the weights stay bit-identical (checked at every epoch end). Then validation in evaluation mode, early stopping as the
 * reference's, the best model saved (safetensors), metrics (stdout +
 * metrics.jsonl), and the state file that --resume continues from. Any rank's
 * error stops every rank at the next agreement point with that rank's message.
 *
 * --device cuda (docs/gpu.md): the same flow with one GPU per rank. When every training
 * and validation window is resident, the tiles are uploaded once and each batch is
 * gathered, thinned, flipped and augmented on the device (gpu_batch.h), bit-identical to
 * the host's batch; otherwise batches are assembled on the host and uploaded; the
 * backbone's GPU model (gpu_model.h: SLeNet or MaxViT) does forward/backward, NCCL sums the
 * gradients, the GPU optimiser steps; the weights (and, for state files, the moments and
 * BatchNorm statistics) come back to the host buffers only to be hashed, broadcast, saved
 * and returned. With --device cpu none of it runs: gpu == NULL. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hitwin/cli_args.h"
#include "hitwin/dist.h"
#include "hitwin/error.h"
#include "hitwin/gpu.h"
#include "hitwin/log.h"
#include "hitwin/model.h"
#include "hitwin/output_guard.h"
#include "hitwin/stage_guard.h"
#include "hitwin/tile_store.h"
#include "hitwin/train.h"
#include "hitwin/train_batch.h"
#include "hitwin/train_folds.h"
#include "hitwin/train_preload.h"
#include "hitwin/train_shard.h"
#include "hitwin/train_smooth.h"
#include "hitwin/train_pairs.h"
#include "hitwin/train_state.h"
#include "hitwin/version.h"
#include "hitwin/xalloc.h"

#ifdef HITWIN_HAVE_CUDA
#include "hitwin/gpu_batch.h"
#include "hitwin/gpu_context.h"
#include "hitwin/gpu_nccl.h"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_model.h"
#endif

#define STEP_STREAM_SHIFT 40 /* dropout draws of step s start at s << 40 */

/* ---- the GPU side of a run (--device cuda) ---------------------------------------------
 * One GPU per rank: the device of this rank's local rank (hw_gpu_pick_device), the GPU copy
 * of the model and its optimiser (moments on the device), and the NCCL communicator (only
 * with more than one rank). Functions return 0 or -1 with hw_error() set. */
typedef struct gpu_run gpu_run;
#ifdef HITWIN_HAVE_CUDA
struct gpu_run {
    hw_gpu *g;
    hw_gpu_model *net; /* the backbone's GPU model (gpu_model.h) */
    hw_gpu_optim opt;
    int have_opt;
    hw_nccl *nc;
    int device, local_rank, local_size;
    hw_gpu_tiles *tiles; /* resident tiles on the device; NULL: batches assembled on the host */
};

static void gpu_close(gpu_run *gr) {
    if (!gr) return;
    hw_gpu_tiles_free(gr->tiles);
    hw_nccl_destroy(gr->nc);
    if (gr->have_opt) hw_gpu_optim_free(&gr->opt);
    hw_gpu_model_free(gr->net);
    hw_gpu_destroy(gr->g);
    free(gr);
}

/* Collective over d->comm (the device pick splits it, NCCL joins it). The GPU model starts
 * from the host model's current weights, the optimiser from the host optimiser's moments and
 * step (both fresh, or restored from state.bin by --resume). NULL on every rank if any failed
 * (the failing rank's message printed by the caller's agree). */
static int agree(const hw_dist *d, int rc);
static gpu_run *gpu_open(const hw_dist *d, hw_model *model, uint64_t seed, const hw_optim *o,
                         int bf16) {
    gpu_run *gr = xcalloc(1, sizeof *gr);
    int rc = 0;
    gr->device = hw_gpu_pick_device(d->comm, &gr->local_rank, &gr->local_size);
    if (gr->device < 0) rc = -1;
    if (rc == 0 && !(gr->g = hw_gpu_create(gr->device))) rc = -1;
    if (rc == 0 && !(gr->net = hw_gpu_model_create(gr->g, model, seed))) rc = -1;
    if (rc == 0 && hw_gpu_model_set_precision(gr->net, bf16) != 0) rc = -1;
    if (rc == 0) {
        gr->have_opt = 1; /* gpu_close frees what an init that stopped part way allocated */
        if (hw_gpu_optim_init(gr->g, &gr->opt, (int)o->kind, o->lr, o->n) != 0) rc = -1;
    }
    if (rc == 0) {
        gr->opt.step = o->step;
        /* Adagrad has no first moment on the GPU (m NULL) */
        if (gr->opt.m && o->m && hw_gpu_upload(gr->g, gr->opt.m, o->m, o->n * sizeof(float)) != 0)
            rc = -1;
        if (rc == 0 && gr->opt.v && o->v &&
            hw_gpu_upload(gr->g, gr->opt.v, o->v, o->n * sizeof(float)) != 0)
            rc = -1;
    }
    if (agree(d, rc) != 0) {
        gpu_close(gr);
        return NULL;
    }
    if (d->size > 1) {
        gr->nc = hw_nccl_create(gr->g, d->comm); /* agrees over MPI itself */
        if (agree(d, gr->nc ? 0 : -1) != 0) {
            gpu_close(gr);
            return NULL;
        }
    }
    return gr;
}

/* Device memory the tiles may take on this rank: what is free once the activations of the
 * largest batch are allocated, less a margin for cuDNN's workspaces, cuBLAS and NCCL (1 GiB
 * and 1/16 of the device), shared by the ranks on the device. HITWIN_GPU_TILE_MB, where set,
 * is the budget instead (MiB; the tests use it to make a set "too large"). */
static size_t gpu_tile_budget(gpu_run *gr, const hw_batcher *b, int supcon) {
    const char *env = getenv("HITWIN_GPU_TILE_MB");
    if (env && *env) return (size_t)(strtod(env, NULL) * 1048576.0);
    int copies = 1 + b->n_aug;
    int n = supcon ? b->cap_items : b->cap_items * copies;
    int views = supcon ? b->max_views * copies : b->max_views;
    size_t free_b = 0, total = 0;
    if (hw_gpu_model_reserve(gr->net, n, views) != 0 || hw_gpu_memory(gr->g, &free_b, &total) != 0) {
        log_warn("tiles on the GPU: %s", hw_error());
        return 0;
    }
    size_t margin = ((size_t)1 << 30) + total / 16;
    int devices = hw_gpu_count(), share = devices > 0 ? (gr->local_size + devices - 1) / devices : 1;
    return free_b > margin ? (free_b - margin) / (size_t)(share > 0 ? share : 1) : 0;
}

/* Collective over d->comm: the batcher's resident windows to the device, for batches
 * assembled there (gpu_batch.h: originals, thinning, flip and the n_aug copies), when every
 * wanted window is resident in host memory: all of them when they fit the rank's device
 * budget, else a cache of as many tiles as fit, filled per batch from the host (streamed).
 * Otherwise (a set only partly in host memory, a budget smaller than one batch, a failed
 * allocation on any rank) no rank uses it and batches are assembled on the host; one log
 * line says which. */
static void gpu_tiles_open(const hw_dist *d, gpu_run *gr, const hw_batcher *b, int64_t wanted,
                           int supcon, int edits) {
    const char *host = "batches assembled on the host and uploaded per step";
    /* the same on every rank: same config, same host budget */
    if (b->technical > 0.0 || edits) {
        log_info0("%s: pairs: edits and technical augmentation are made on the host", host);
        return;
    }
    if (wanted == 0 || b->n_resident < wanted) {
        log_info0("%s: only %lld of %lld windows are in memory (tile_memory_mb)", host,
                  (long long)b->n_resident, (long long)wanted);
        return;
    }
    const int64_t n_tiles = b->n_resident * b->S;
    const int entries = b->cap_items * b->max_views * (1 + b->n_aug);
    const size_t tile_bytes = (size_t)b->T * b->T * sizeof(float);
    const size_t batch_bytes = (size_t)entries * (tile_bytes + sizeof(hw_batch_entry));
    const size_t budget = gpu_tile_budget(gr, b, supcon);
    /* the whole set in 16 bits when it is counts (hw_tiles_exact_u16), else fp32; a cache
     * is fp32 */
    const int u16 = hw_tiles_exact_u16(b->resident, (size_t)n_tiles * b->T * b->T);
    const size_t room = budget > batch_bytes ? budget - batch_bytes : 0;
    int64_t slots = (int64_t)(room / tile_bytes);
    if (room / (u16 ? tile_bytes / 2 : tile_bytes) >= (size_t)n_tiles)
        gr->tiles = hw_gpu_tiles_create(gr->g, b->resident, n_tiles, b->T, entries, u16);
    else if (slots >= entries)
        gr->tiles = hw_gpu_tiles_create_streamed(gr->g, b->resident, n_tiles, b->T, entries,
                                                 slots < INT32_MAX ? slots : INT32_MAX);
    else
        hw_fail("%.0f MiB of device memory for tiles, a batch needs %.0f MiB", budget / 1048576.0,
                (batch_bytes + (size_t)entries * tile_bytes) / 1048576.0);
    int ok = gr->tiles != NULL, all = 0;
    if (!ok) log_warn("tiles on the GPU: %s", hw_error());
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, d->comm);
    if (!all) {
        hw_gpu_tiles_free(gr->tiles);
        gr->tiles = NULL;
        log_info0("%s: no room for the tiles on a GPU (its rank's warning says why)", host);
        return;
    }
    if (hw_gpu_tiles_streamed(gr->tiles, NULL, NULL))
        log_info0("tiles streamed to the GPU: a cache of %lld of %lld tiles, %.0f MiB; batches "
                  "assembled on the device", (long long)slots, (long long)n_tiles,
                  hw_gpu_tiles_bytes(gr->tiles) / 1048576.0);
    else
        log_info0("tiles on the GPU: %lld windows, %.0f MiB; batches assembled on the device%s",
                  (long long)b->n_resident, hw_gpu_tiles_bytes(gr->tiles) / 1048576.0,
                  u16 ? " (counts: 16 bits a pixel)" : "");
}
static int gpu_fill(gpu_run *gr, hw_batcher *b, const hw_item_set *set, const int64_t *idx, int n,
                    int augment, uint64_t seed, int64_t epoch, hw_batch *out) {
    return hw_batcher_fill_device(b, gr->tiles, set, idx, n, augment, seed, epoch, out);
}

static int gpu_zero_grad(gpu_run *gr) { return hw_gpu_model_zero_grad(gr->net); }
static int gpu_train_step(gpu_run *gr, const hw_batch *b, uint64_t counter, hw_step_stats *st) {
    return hw_gpu_model_train_step(gr->net, b, counter, st);
}
static int gpu_eval_loss(gpu_run *gr, const hw_batch *b, hw_step_stats *st) {
    return hw_gpu_model_eval_loss(gr->net, b, st);
}
/* The gradient sum over ranks, as the CPU path's reduce-scatter (SUM): the model's losses are
 * divided by the global batch already. Queued on the context's stream. */
static int gpu_allreduce(gpu_run *gr) {
    if (!gr->nc) return 0;
    size_t n;
    float *dgrads = hw_gpu_model_grads(gr->net, &n);
    return hw_nccl_allreduce(gr->nc, dgrads, n, HW_NCCL_SUM);
}
static int gpu_optim_step(gpu_run *gr) {
    size_t n;
    float *dparams = hw_gpu_model_params(gr->net, &n);
    return hw_gpu_optim_step(gr->g, &gr->opt, dparams, hw_gpu_model_grads(gr->net, NULL));
}
/* Weights into the host model's buffer; with o, the optimiser's moments too (state files). */
static int gpu_to_host(gpu_run *gr, float *params, hw_optim *o) {
    size_t n;
    const float *dparams = hw_gpu_model_params(gr->net, &n);
    if (hw_gpu_download(gr->g, params, dparams, n * sizeof(float)) != 0) return -1;
    if (!o) return 0;
    if (gr->opt.m && o->m && hw_gpu_download(gr->g, o->m, gr->opt.m, n * sizeof(float)) != 0)
        return -1;
    if (gr->opt.v && o->v && hw_gpu_download(gr->g, o->v, gr->opt.v, n * sizeof(float)) != 0)
        return -1;
    o->step = gr->opt.step;
    return 0;
}
/* The model state (BatchNorm running statistics; none for SLeNet, n = 0) between the device
 * and the host model's buffer: down before it is broadcast or saved, up after the broadcast. */
static int gpu_state_to_host(gpu_run *gr, hw_train_model_state *ms) {
    return hw_gpu_model_state_to_host(gr->net, ms->values, ms->n);
}
static int gpu_state_from_host(gpu_run *gr, const hw_train_model_state *ms) {
    return hw_gpu_model_state_from_host(gr->net, ms->values, ms->n);
}
#else
/* Without the CUDA backend hw_device_resolve never gives cuda, so none of these is called. */
#define NO_CUDA hw_fail("train: this hitwin was built without the CUDA backend")
struct gpu_run {
    int device, local_size;
    void *nc;
    void *tiles;
};
static void gpu_close(gpu_run *gr) { (void)gr; }
static void gpu_tiles_open(const hw_dist *d, gpu_run *gr, const hw_batcher *b, int64_t wanted,
                           int supcon, int edits) {
    (void)d, (void)gr, (void)b, (void)wanted, (void)supcon, (void)edits;
}
static int gpu_fill(gpu_run *gr, hw_batcher *b, const hw_item_set *set, const int64_t *idx, int n,
                    int augment, uint64_t seed, int64_t epoch, hw_batch *out) {
    return (void)gr, (void)b, (void)set, (void)idx, (void)n, (void)augment, (void)seed, (void)epoch,
           (void)out, NO_CUDA;
}
static gpu_run *gpu_open(const hw_dist *d, hw_model *model, uint64_t seed, const hw_optim *o,
                         int bf16) {
    (void)d, (void)model, (void)seed, (void)o, (void)bf16;
    NO_CUDA;
    return NULL;
}
static int gpu_zero_grad(gpu_run *gr) { return (void)gr, NO_CUDA; }
static int gpu_train_step(gpu_run *gr, const hw_batch *b, uint64_t counter, hw_step_stats *st) {
    return (void)gr, (void)b, (void)counter, (void)st, NO_CUDA;
}
static int gpu_eval_loss(gpu_run *gr, const hw_batch *b, hw_step_stats *st) {
    return (void)gr, (void)b, (void)st, NO_CUDA;
}
static int gpu_allreduce(gpu_run *gr) { return (void)gr, NO_CUDA; }
static int gpu_optim_step(gpu_run *gr) { return (void)gr, NO_CUDA; }
static int gpu_to_host(gpu_run *gr, float *params, hw_optim *o) {
    return (void)gr, (void)params, (void)o, NO_CUDA;
}
static int gpu_state_to_host(gpu_run *gr, hw_train_model_state *ms) { return (void)gr, (void)ms, NO_CUDA; }
static int gpu_state_from_host(gpu_run *gr, const hw_train_model_state *ms) {
    return (void)gr, (void)ms, NO_CUDA;
}
#endif

void hw_train_result_free(hw_train_result *r) {
    free(r->train_loss);
    free(r->val_loss);
    free(r->params);
    free(r->state);
    memset(r, 0, sizeof *r);
}

static int mkdir_p(const char *dir) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    size_t n = strlen(buf);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return hw_fail("%s: cannot create the output directory (%s)", buf, strerror(errno));
            buf[i] = c;
        }
    }
    return 0;
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* Keep the metrics lines of epochs <= last_epoch (a resumed run re-does the rest). */
static void truncate_metrics(const char *path, int64_t last_epoch) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t cap = strlen(path) + 32;
    char *tmp = xmalloc(cap);
    snprintf(tmp, cap, "%s.tmp-%ld", path, (long)getpid());
    hw_temp_add(tmp);
    FILE *o = fopen(tmp, "w");
    if (!o) {
        hw_temp_forget(tmp);
        fclose(f);
        free(tmp);
        return;
    }
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        long long e = 0;
        const char *p = strstr(line, "\"epoch\":");
        if (p && sscanf(p + 8, "%lld", &e) == 1 && e <= last_epoch) fputs(line, o);
    }
    fclose(f);
    int bad = ferror(o) | (fclose(o) != 0);
    if (bad || rename(tmp, path) != 0) unlink(tmp); /* the old file stays; metrics are appended */
    hw_temp_forget(tmp);
    free(tmp);
}

/* The first line where two YAML texts differ (outside output/epochs, which may change). */
static void first_difference(const char *a, const char *b, char *la, char *lb, size_t cap) {
    la[0] = lb[0] = '\0';
    for (;;) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t na = ea ? (size_t)(ea - a) : strlen(a), nb = eb ? (size_t)(eb - b) : strlen(b);
        int skip = !strncmp(a, "output:", 7) || !strncmp(a, "epochs:", 7) ||
                   !strncmp(a, "checkpoint_every_steps:", 23);
        if (!skip && (na != nb || strncmp(a, b, na) != 0)) {
            snprintf(la, cap, "%.*s", (int)na, a);
            snprintf(lb, cap, "%.*s", (int)nb, b);
            return;
        }
        if (!ea || !eb) return;
        a = ea + 1;
        b = eb + 1;
    }
}

/* Collective: 0 if every rank passed rc == 0, else -1 everywhere; the lowest
 * failing rank prints its message (ranks that fail alike print one line). */
static int agree(const hw_dist *d, int rc) {
    int mine = rc ? d->rank : d->size, first = d->size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, d->comm);
    if (first == d->rank) log_error("%s", hw_error());
    return first < d->size ? -1 : 0;
}

/* Parameter fingerprint (bit-exact). */
static uint64_t params_hash(const float *p, size_t n) { return hw_fnv1a64(p, n * sizeof *p, HW_FNV_OFFSET); }

typedef struct {
    double loss, con, ce, items, correct, failed;
} sums;

/* Run items idx[0..n) (one rank's part) through the model in sub-batches of at
 * most cap items, grouped in runs of equal view count (only SupCon varies).
 * train: gradients accumulate, dropout counters from (step, first_global_view);
 * else evaluation. Sums per-item loss terms (scaled back from the model's
 * per-global_n means when global_n is the sub-batch's own size). */
typedef struct {
    hw_model *model;
    hw_batcher *batcher;
    const hw_item_set *set;
    const hw_train_config *cfg;
    uint64_t F; /* dropout draws per tile */
    gpu_run *gpu; /* NULL: the CPU model */
} runner;

static int run_items(runner *r, const int64_t *idx, int n, int train, int global_n, uint64_t step,
                     uint64_t first_view, int64_t epoch, sums *acc) {
    uint64_t view_pos = first_view; /* views of the global batch before the sub-batch */
    int i = 0;
    while (i < n) {
        int views = r->set->items[idx[i]].n;
        int j = i + 1;
        while (j < n && j - i < r->batcher->cap_items && r->set->items[idx[j]].n == views) j++;
        hw_batch b = {0};
        /* on the device when the tiles are there (bit-identical to the host's batch) */
        int frc;
        if (r->gpu && r->gpu->tiles)
            frc = gpu_fill(r->gpu, r->batcher, r->set, idx + i, j - i, train, r->cfg->seed, epoch, &b);
        else
            frc = hw_batcher_fill(r->batcher, r->set, idx + i, j - i, train, r->cfg->seed, epoch, &b);
        if (frc != 0) return -1;
        hw_step_stats st = {0};
        int rc;
        if (train) {
            b.global_n = global_n;
            uint64_t counter = (step << STEP_STREAM_SHIFT) + view_pos * r->F;
            rc = r->gpu ? gpu_train_step(r->gpu, &b, counter, &st)
                        : hw_model_train_step(r->model, &b, counter, &st);
        } else {
            b.global_n = b.n;
            rc = r->gpu ? gpu_eval_loss(r->gpu, &b, &st) : hw_model_eval_loss(r->model, &b, &st);
        }
        if (rc != 0) {
            /* a non-finite loss is reported by the caller, with the epoch and batch */
            if (isfinite(st.loss)) return -1;
            acc->failed = 1;
        }
        double w = train ? 1.0 : (double)b.n; /* eval: means over the sub-batch -> sums */
        acc->loss += st.loss * w;
        acc->con += st.con_loss * w;
        acc->ce += st.ce_loss * w;
        acc->correct += st.n_correct;
        acc->items += b.n;
        view_pos += (uint64_t)b.n * (uint64_t)b.views;
        i = j;
    }
    return 0;
}

/* JSON number, or null for nan/inf (JSON has neither). */
static int jnum(char *buf, size_t cap, const char *key, double x) {
    if (isfinite(x)) return snprintf(buf, cap, "\"%s\": %.9g, ", key, x);
    return snprintf(buf, cap, "\"%s\": null, ", key);
}

static void write_metrics(FILE *mf, int64_t epoch, const hw_train_config *cfg, const sums *tr,
                          const sums *va, double val_metric, int best, double pairs_per_s,
                          double seconds, double train_seconds, int64_t step, uint64_t hash,
                          int64_t patience) {
    char line[2048];
    size_t k = 0, cap = sizeof line;
    int contrastive = cfg->loss == HW_LOSS_CONTRASTIVE;
    double tn = tr->items > 0 ? tr->items : 1, vn = va->items > 0 ? va->items : 1;
    k += (size_t)snprintf(line + k, cap - k, "{\"epoch\": %lld, \"step\": %lld, \"loss\": \"%s\", ",
                          (long long)epoch, (long long)step, hw_loss_name(cfg->loss));
    k += (size_t)jnum(line + k, cap - k, "train_loss", tr->loss / tn);
    if (contrastive) {
        k += (size_t)jnum(line + k, cap - k, "train_con_loss", tr->con / tn);
        k += (size_t)jnum(line + k, cap - k, "train_ce_loss", tr->ce / tn);
        k += (size_t)jnum(line + k, cap - k, "train_accuracy", tr->correct / tn);
    }
    k += (size_t)jnum(line + k, cap - k, "val_loss", val_metric);
    k += (size_t)jnum(line + k, cap - k, "val_objective", va->loss / vn);
    if (contrastive) {
        k += (size_t)jnum(line + k, cap - k, "val_con_loss", va->con / vn);
        k += (size_t)jnum(line + k, cap - k, "val_ce_loss", va->ce / vn);
        k += (size_t)jnum(line + k, cap - k, "val_accuracy", va->correct / vn);
    }
    k += (size_t)jnum(line + k, cap - k, "pairs_per_s", pairs_per_s);
    k += (size_t)jnum(line + k, cap - k, "train_seconds", train_seconds);
    k += (size_t)jnum(line + k, cap - k, "seconds", seconds);
    snprintf(line + k, cap - k, "\"best\": %s, \"patience_counter\": %lld, \"params_hash\": \"%016llx\"}\n",
             best ? "true" : "false", (long long)patience, (unsigned long long)hash);
    fputs(line, mf);
    fflush(mf);
}

static int train_body(const hw_train_config *cfg, const hw_train_options *opt, const hw_dist *d,
                      hw_train_result *res);

/* One model. A failed run in a directory it created that left no state to resume from
 * (a full disk in the first epoch) takes its files and the directory away: a
 * best.safetensors without a run behind it would pass for a finished model. */
static int train_one(const hw_train_config *cfg, const hw_train_options *opt, const hw_dist *d,
                     hw_train_result *res) {
    char state_path[4200];
    snprintf(state_path, sizeof state_path, "%s/state.bin", cfg->output);
    int had_dir = d->rank == 0 && file_exists(cfg->output);
    int rc = train_body(cfg, opt, d, res);
    if (rc != 0 && d->rank == 0 && !had_dir && file_exists(cfg->output) && !file_exists(state_path)) {
        const char *names[] = {"metrics.jsonl", "best.safetensors", "best_nn.safetensors"};
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            char p[4300];
            snprintf(p, sizeof p, "%s/%s", cfg->output, names[i]);
            unlink(p);
        }
        rmdir(cfg->output); /* only if nothing else is there */
    }
    return rc;
}

static int train_body(const hw_train_config *cfg, const hw_train_options *opt, const hw_dist *d,
                      hw_train_result *res) {
    memset(res, 0, sizeof *res);
    int rank = d->rank, size = d->size;
    double t_start = MPI_Wtime();

    /* ---- device: decided before anything is read or written ------------------------- */
    hw_device_kind device = HW_DEVICE_CPU;
    /* the GPU model of every backbone (gpu_model.h); the GPU MaxViT is fp32 only (gpu_maxvit.h),
     * refused here, before anything is read or written, as soon as cuda is certain */
    const int fp32_only = cfg->backbone != HW_BACKBONE_SLENET && cfg->precision == HW_PRECISION_BF16;
#define FP32_ONLY_LINE "--device cuda: model %s runs in fp32 only on the GPU (set precision: fp32, or --precision fp32)"
    if (fp32_only && cfg->device == HW_DEVICE_CUDA) return agree(d, hw_fail(FP32_ONLY_LINE, cfg->model));
    if (cfg->device != HW_DEVICE_CPU) {
        if (agree(d, hw_device_resolve(cfg->device, &device)) != 0) return -1;
        int mine = device == HW_DEVICE_CUDA, all = 0; /* auto: cuda only if every rank has one */
        MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, d->comm);
        device = all ? HW_DEVICE_CUDA : HW_DEVICE_CPU;
    }
    if (fp32_only && device == HW_DEVICE_CUDA) return agree(d, hw_fail(FP32_ONLY_LINE, cfg->model));
#undef FP32_ONLY_LINE

    /* ---- inputs: store, items (every rank, the same) ------------------------------- */
    hw_tile_store *store = hw_tile_store_open(cfg->tiles);
    if (agree(d, store ? 0 : -1) != 0) {
        hw_tile_store_close(store);
        return -1;
    }
    const hw_tile_meta *meta = hw_tile_store_meta(store);
    hw_item_set train = {0}, val = {0};
    if (cfg->pairs == HW_PAIRS_EDITS && cfg->loss == HW_LOSS_CONTRASTIVE) {
        hw_items_build_edits(&train, meta, 0);
        hw_items_build_edits(&val, meta, 1);
    } else {
        hw_items_build(&train, meta, 0, cfg->loss);
        hw_items_build(&val, meta, 1, cfg->loss);
    }
    if (cfg->folds > 1) { /* cross-fitting: this model never sees fold `fold` */
        int *fold_of = xcalloc((size_t)meta->n_chroms + 1, sizeof *fold_of);
        hw_folds_assign(meta, cfg->folds, fold_of);
        hw_items_drop_fold(&train, meta, fold_of, cfg->fold);
        free(fold_of);
    }
    const char *unit = cfg->loss == HW_LOSS_CONTRASTIVE ? "pairs"
                       : cfg->loss == HW_LOSS_TRIPLET   ? "triplets" : "SupCon positions";
    int rc = 0;
    const char *need = cfg->loss == HW_LOSS_SUPCON ? "2 kept tiles of each of classes 0 and 1"
                       : cfg->loss == HW_LOSS_TRIPLET ? "2 kept tiles of one class and 1 of another"
                       : "2 kept tiles";
    if (train.n == 0)
        rc = hw_fail("%s: no training windows with %s (split 0 of /windows/split is empty or "
                     "rejected by QC)", cfg->tiles, need);
    else if (val.n == 0)
        rc = hw_fail("%s: no validation windows with %s (split 1 of /windows/split is empty or "
                     "rejected by QC)", cfg->tiles, need);
    else if (cfg->loss == HW_LOSS_CONTRASTIVE && cfg->pairs == HW_PAIRS_CONDITION &&
             (train.n_label[0] == 0 || train.n_label[1] == 0))
        rc = hw_fail("%s: the training split has no pairs of label %d (%s condition)", cfg->tiles,
                     train.n_label[0] == 0 ? 0 : 1, train.n_label[0] == 0 ? "same" : "different");
    if (rc != 0) {
        if (rank == 0) log_error("%s", hw_error());
        hw_items_free(&train);
        hw_items_free(&val);
        hw_tile_store_close(store);
        return -1;
    }

    /* ---- model and optimiser -------------------------------------------------------- */
    hw_model_config mc = {.image_size = meta->tile_size,
                          .mask = cfg->mask,
                          .dropout = (float)cfg->dropout,
                          .loss = cfg->loss,
                          .ce_form = cfg->ce_form,
                          .bias = (float)cfg->bias,
                          .margin = (float)hw_train_margin(cfg),
                          .temperature = (float)cfg->temperature,
                          .input_transform = cfg->input_transform,
                          .norm_region = cfg->norm_region,
                          .smooth = cfg->smooth,
                          .backbone = cfg->backbone,
                          .maxvit = cfg->maxvit};
    hw_model *model = hw_model_create(&mc, cfg->seed);
    if (!model) { /* e.g. a tile size MaxViT's partitions do not divide: name the store */
        hw_fail_prefix("%s (tile size %d)", cfg->tiles, meta->tile_size);
        if (rank == 0) log_error("%s", hw_error());
        hw_items_free(&train);
        hw_items_free(&val);
        hw_tile_store_close(store);
        return -1;
    }
    size_t n_params = 0;
    float *params = hw_model_params(model, &n_params);
    float *grads = hw_model_grads(model, NULL);
    const hw_tensor *tensors;
    int n_tensors = hw_model_tensors(model, &tensors);
    hw_optim optim;
    hw_optim_init(&optim, cfg->optimiser, (float)cfg->learning_rate, n_params);
    /* BatchNorm running statistics (MaxViT; none for SLeNet): saved with the state */
    hw_train_model_state mstate = {0};
    mstate.values = hw_model_state(model, &mstate.n);
    mstate.n_tensors = hw_model_state_tensors(model, &mstate.tensors);

    int B = cfg->batch_size;
    int shard_cap = (B + size - 1) / size;
    int max_views = train.max_views > val.max_views ? train.max_views : val.max_views;
    hw_batcher batcher;
    hw_batcher_init(&batcher, store, shard_cap, max_views, cfg->n_aug);
    batcher.flip = cfg->flip;
    batcher.thin = cfg->thin;
    batcher.technical = cfg->technical;
    batcher.graded = cfg->pairs == HW_PAIRS_EDITS ? cfg->graded_edits : 0.0;
    batcher.max_edits = cfg->edits_per_tile;
    batcher.contrast = cfg->pairs == HW_PAIRS_EDITS ? cfg->contrast_edits : 0.0;
    batcher.contrast_strength = cfg->contrast_strength;
    batcher.loops = cfg->pairs == HW_PAIRS_EDITS ? cfg->loop_edits : 0.0;
    runner run = {model, &batcher, &train, cfg, hw_model_dropout_draws_per_tile(model), NULL};

    /* ---- output directory, state, resume ------------------------------------------- */
    char state_path[4200], best_path[4200], metrics_path[4200];
    snprintf(state_path, sizeof state_path, "%s/state.bin", cfg->output);
    snprintf(best_path, sizeof best_path, "%s/best.safetensors", cfg->output);
    snprintf(metrics_path, sizeof metrics_path, "%s/metrics.jsonl", cfg->output);
    char *config_yaml = hw_train_config_to_yaml(cfg);
    uint64_t cfg_hash = hw_train_config_hash(cfg);
    hw_train_state st = {.config_hash = cfg_hash, .optim_kind = cfg->optimiser,
                         .best_val = INFINITY};
    rc = rank == 0 ? mkdir_p(cfg->output) : 0;
    int resumed = 0;
    if (agree(d, rc) == 0) {
        int have_state = file_exists(state_path);
        if (have_state && !opt->resume) {
            rc = hw_fail("%s: a run is already there (pass --resume to continue it, or choose "
                         "another output)", state_path);
        } else if (have_state) {
            hw_train_state s2;
            rc = hw_train_state_read(state_path, &s2, tensors, n_tensors, params, optim.m, optim.v,
                                     n_params, &mstate);
            if (rc == 0 && s2.config_hash != cfg_hash) {
                char la[256], lb[256];
                first_difference(s2.config_yaml, config_yaml, la, lb, sizeof la);
                rc = hw_fail("%s: the state was written with another config (state: '%s', this "
                             "run: '%s')", state_path, la, lb);
            }
            if (rc == 0 && s2.optim_kind != cfg->optimiser)
                rc = hw_fail("%s: state of another optimiser", state_path);
            if (rc == 0) {
                free(s2.config_yaml);
                free(s2.version);
                s2.config_yaml = s2.version = NULL;
                st = s2;
                optim.step = st.step;
                resumed = 1;
            } else {
                hw_train_state_free(&s2);
            }
        }
        rc = agree(d, rc);
    } else {
        rc = -1;
    }
    /* the GPU model from the host model's weights and moments (new or resumed) */
    gpu_run *gpu = NULL;
    if (rc == 0 && device == HW_DEVICE_CUDA) {
        gpu = gpu_open(d, model, cfg->seed, &optim, cfg->precision == HW_PRECISION_BF16);
        if (!gpu) rc = -1;
        run.gpu = gpu;
    }
    FILE *mf = NULL;
    if (rc == 0 && rank == 0) {
        if (resumed) truncate_metrics(metrics_path, st.epoch);
        mf = fopen(metrics_path, resumed ? "a" : "w");
        if (!mf) hw_fail("%s: cannot write metrics (%s)", metrics_path, strerror(errno));
    }
    if (rc == 0 && agree(d, rank == 0 && !mf) != 0) rc = -1;
    /* the training and validation tiles, read once and kept (train_preload.h) */
    int64_t tiles_wanted = 0;
    double tiles_seconds = MPI_Wtime();
    if (rc == 0) {
        const hw_item_set *sets[2] = {&train, &val};
        size_t budget = hw_tile_memory_budget(cfg->tile_memory_mb, d->comm);
        int prc = hw_batcher_preload(&batcher, sets, 2, budget, d->comm, &tiles_wanted);
        if (prc != 0) {
            agree(d, prc == -1); /* the lowest rank that failed itself prints its line */
            rc = -1;
        }
    }
    tiles_seconds = MPI_Wtime() - tiles_seconds;
    if (rc != 0) {
        if (mf) fclose(mf);
        gpu_close(gpu);
        free(config_yaml);
        hw_batcher_free(&batcher);
        hw_optim_free(&optim);
        hw_model_free(model);
        hw_items_free(&train);
        hw_items_free(&val);
        hw_tile_store_close(store);
        return -1;
    }

    int copies = 1 + cfg->n_aug;
    int64_t N = train.n, NB = (N + B - 1) / B;
    log_info0("%s: training %s on %s (%d samples, tile %d) with %d rank%s", HITWIN_VERSION_STRING,
              cfg->model, cfg->tiles, meta->n_samples, meta->tile_size, size, size > 1 ? "s" : "");
    log_info0("train: %lld %s from %lld windows (%lld skipped); validation: %lld %s from %lld "
              "windows", (long long)train.n, unit, (long long)train.windows_used,
              (long long)train.windows_skipped, (long long)val.n, unit,
              (long long)val.windows_used);
    if (cfg->pairs == HW_PAIRS_EDITS && cfg->loss != HW_LOSS_CONTRASTIVE)
        log_info0("pairs: edits applies to the contrastive loss; loss %s trains on its own items "
                  "(reference.md 2.3-2.4)", hw_loss_name(cfg->loss));
    if (cfg->pairs == HW_PAIRS_EDITS && cfg->loss == HW_LOSS_CONTRASTIVE)
        log_info0("train pairs: %lld same condition (label 0), %lld with a structural edit "
                  "(label 1); no pair compares the conditions (pairs: edits)",
                  (long long)train.n_label[0], (long long)train.n_label[1]);
    else if (cfg->loss == HW_LOSS_CONTRASTIVE)
        log_info0("train pairs: %lld same condition (label 0), %lld different (label 1)",
                  (long long)train.n_label[0], (long long)train.n_label[1]);
    log_info0("memory per rank: params %.1f MiB, grads %.1f MiB, optimiser %.1f MiB, batch "
              "buffers %.1f MiB", n_params * 4 / 1048576.0, n_params * 4 / 1048576.0,
              n_params * 8 / 1048576.0, hw_batcher_bytes(&batcher) / 1048576.0);
    if (gpu)
        log_info0("device: cuda, %s, one GPU per rank (rank 0: GPU %d, %d rank%s on its node), "
                  "gradients summed with %s",
                  cfg->precision == HW_PRECISION_BF16
                      ? "bf16 mixed precision (fp32 weights, optimiser, losses)"
                      : "fp32",
                  gpu->device, gpu->local_size, gpu->local_size > 1 ? "s" : "",
                  gpu->nc ? "NCCL" : "no all-reduce (1 rank)");
    log_info0("config:\n%s", config_yaml);
    if (resumed)
        log_info0("resuming from %s: epoch %lld done, batch %lld of epoch %lld, step %lld",
                  state_path, (long long)st.epoch, (long long)st.cursor, (long long)st.epoch + 1,
                  (long long)st.step);
    else if (opt->resume)
        log_info0("no state in %s: starting a new run", cfg->output);

    /* the tiles read before training (above): what was kept; GPU: to the device too */
    {
        double mib = (double)batcher.n_resident * meta->n_samples * meta->tile_size *
                     meta->tile_size * 4 / 1048576.0;
        if (batcher.n_resident == tiles_wanted && tiles_wanted > 0)
            log_info0("tiles in memory: %lld windows, %.0f MiB per rank (read in %.1f s)",
                      (long long)tiles_wanted, mib, tiles_seconds);
        else if (tiles_wanted > 0 && cfg->tile_memory_mb != 0)
            log_info0("tiles in memory: %lld of %lld windows, %.0f MiB per rank (tile_memory_mb "
                      "%s); the rest are read from the store per batch",
                      (long long)batcher.n_resident, (long long)tiles_wanted, mib,
                      cfg->tile_memory_mb == HW_TILE_MEMORY_AUTO ? "auto" : "set");
        /* GPU: the resident tiles to the device, batches gathered there (gpu_batch.h) */
        if (gpu) gpu_tiles_open(d, gpu, &batcher, tiles_wanted, cfg->loss == HW_LOSS_SUPCON,
                                cfg->pairs == HW_PAIRS_EDITS);
    }

    res->train_loss = xmalloc((size_t)cfg->epochs * sizeof(double));
    res->val_loss = xmalloc((size_t)cfg->epochs * sizeof(double));
    for (int e = 0; e < cfg->epochs; e++) res->train_loss[e] = res->val_loss[e] = NAN;

    /* CPU: gradients reduce-scattered, each rank steps its slice (train_shard.h) */
    hw_shard shard;
    hw_shard_init(&shard, n_params, d->comm);
    int64_t *order = xmalloc((size_t)N * sizeof *order);
    int64_t *val_idx = xmalloc((size_t)val.n * sizeof *val_idx);
    for (int64_t i = 0; i < val.n; i++) val_idx[i] = i;
    int64_t step = st.step;
    int failed = 0, stopped = 0, done = 0;
    /* progress: a live line on a terminal, a line every 30 s in a log file */
    double last_progress = 0, progress_every = isatty(fileno(stderr)) ? 0.2 : 30.0;

    /* the early-stopping state machine can already be finished (resume after the end) */
    if (st.epoch >= cfg->epochs ||
        (st.epoch > cfg->enforced_epochs && st.patience_counter >= cfg->patience && st.epoch > 0 &&
         st.cursor == 0))
        done = 1;

    for (int64_t epoch = st.epoch + 1; !done && !failed && !stopped && epoch <= cfg->epochs; epoch++) {
        double t_epoch = MPI_Wtime() - st.seconds;
        hw_train_shuffle(order, N, cfg->seed, epoch);
        sums tr = {st.sum_loss, st.sum_con, st.sum_ce, st.n_items, st.n_correct, 0};
        for (int64_t bi = st.cursor; bi < NB; bi++) {
            int64_t g0 = bi * B, gB = N - g0 < B ? N - g0 : B;
            int64_t lo = g0 + rank * gB / size, hi = g0 + (rank + 1) * gB / size;
            /* views of the global batch before this shard, for the dropout stream */
            uint64_t first_view = 0;
            for (int64_t k = g0; k < lo; k++) first_view += (uint64_t)train.items[order[k]].n;
            first_view *= (uint64_t)copies; /* each view comes with its n_aug copies */
            int zrc = 0;
            if (gpu) zrc = gpu_zero_grad(gpu);
            else hw_model_zero_grad(model);
            sums local = {0};
            run.set = &train;
            int global_n = (int)(cfg->loss == HW_LOSS_SUPCON ? gB : gB * copies);
            rc = zrc       ? zrc
                 : hi > lo ? run_items(&run, order + lo, (int)(hi - lo), 1, global_n, (uint64_t)step,
                                       first_view, epoch, &local)
                           : 0;
            if (agree(d, rc) != 0) {
                failed = 1;
                break;
            }
            int grc = 0; /* GPU: queued all-reduce, agreed on after the optimiser step */
            if (gpu) grc = gpu_allreduce(gpu);
            else hw_shard_reduce(&shard, grads); /* this rank's slice of the sum */
            double lv[6] = {local.loss, local.con, local.ce, local.items, local.correct, local.failed};
            double gv[6];
            MPI_Allreduce(lv, gv, 6, MPI_DOUBLE, MPI_SUM, d->comm);
            /* failed: ranks with a non-finite loss */
            if (gv[5] > 0 || !isfinite(gv[0])) {
                if (rank == 0)
                    log_error("non-finite training loss (%g) in epoch %lld, batch %lld of %lld "
                              "(step %lld); a tile with NaN/inf values, or lower learning_rate",
                              gv[0], (long long)epoch, (long long)bi + 1, (long long)NB,
                              (long long)step + 1);
                failed = 1;
                break;
            }
            if (gpu) {
                if (agree(d, grc ? grc : gpu_optim_step(gpu)) != 0) {
                    failed = 1;
                    break;
                }
            } else {
                hw_shard_update(&shard, &optim, params, grads);
            }
            step++;
            /* gv[0..2] are means over the batch's gv[3] effective items (with copies) */
            tr.loss += gv[0] * gv[3];
            tr.con += gv[1] * gv[3];
            tr.ce += gv[2] * gv[3];
            tr.items += gv[3];
            tr.correct += gv[4];
            double el = MPI_Wtime() - t_epoch, now = MPI_Wtime();
            if (now - last_progress >= progress_every || bi + 1 == NB) {
                last_progress = now;
                log_progress0("epoch %lld/%d batch %lld/%lld loss %.4f %.1f %s/s", (long long)epoch,
                          cfg->epochs, (long long)bi + 1, (long long)NB, gv[0],
                              tr.items / (el > 0 ? el : 1),
                              cfg->loss == HW_LOSS_SUPCON ? "positions" : "pairs");
            }
            int last = bi + 1 == NB;
            if (!last && cfg->checkpoint_every_steps > 0 && step % cfg->checkpoint_every_steps == 0) {
                hw_train_state s2 = st;
                s2.epoch = epoch - 1;
                s2.cursor = bi + 1;
                s2.step = step;
                s2.sum_loss = tr.loss, s2.sum_con = tr.con, s2.sum_ce = tr.ce;
                s2.n_items = tr.items, s2.n_correct = tr.correct;
                s2.seconds = MPI_Wtime() - t_epoch;
                s2.config_yaml = config_yaml;
                s2.version = (char *)HITWIN_VERSION_STRING;
                if (!gpu) hw_shard_gather_moments(&shard, &optim); /* collective */
                rc = gpu && rank == 0 ? gpu_to_host(gpu, params, &optim) : 0;
                if (rc == 0 && gpu && rank == 0) rc = gpu_state_to_host(gpu, &mstate);
                if (rc == 0)
                    rc = rank == 0 ? hw_train_state_write(state_path, &s2, tensors, n_tensors,
                                                          params, optim.m, optim.v, n_params, &mstate)
                                   : 0;
                if (agree(d, rc) != 0) {
                    failed = 1;
                    break;
                }
            }
            if (opt->stop_after_steps > 0 && step >= opt->stop_after_steps) {
                stopped = 1;
                break;
            }
        }
        log_progress_done0();
        if (failed || stopped) break;
        double train_seconds = MPI_Wtime() - t_epoch;

        /* ---- BatchNorm running statistics: rank 0's on every rank (docs/maxvit.md) -------
         * Each rank's BatchNorm saw only its own shard, so the ranks' running statistics
         * differ. As PyTorch's DistributedDataParallel (broadcast_buffers, its default), the
         * model's are rank 0's: every rank validates with them and rank 0 saves them. Rank 0's
         * statistics depend only on its own batches, so the other ranks' never reach a result
         * and a resumed run (which starts every rank from rank 0's) is bit-identical. */
        if (mstate.n > 0) { /* GPU: the device's statistics down, rank 0's back up */
            if (gpu && agree(d, gpu_state_to_host(gpu, &mstate)) != 0) {
                failed = 1;
                break;
            }
            MPI_Bcast(mstate.values, (int)mstate.n, MPI_FLOAT, 0, d->comm);
            if (gpu && agree(d, gpu_state_from_host(gpu, &mstate)) != 0) {
                failed = 1;
                break;
            }
        }

        /* ---- validation: evaluation mode, every rank a contiguous part ----------------- */
        int64_t vlo = rank * val.n / size, vhi = (rank + 1) * val.n / size;
        sums va = {0};
        run.set = &val;
        rc = 0;
        for (int64_t i = vlo; rc == 0 && i < vhi; i += shard_cap) {
            int n = (int)(vhi - i < shard_cap ? vhi - i : shard_cap);
            rc = run_items(&run, val_idx + i, n, 0, n, 0, 0, epoch, &va);
        }
                if (agree(d, rc) != 0) {
            failed = 1;
            break;
        }
        double vl[5] = {va.loss, va.con, va.ce, va.items, va.correct}, vg[5];
        MPI_Allreduce(vl, vg, 5, MPI_DOUBLE, MPI_SUM, d->comm);
        va = (sums){vg[0], vg[1], vg[2], vg[3], vg[4], 0};
        /* the reference's validation metric: mean L_con for contrastive (bug 18: the
         * full objective is logged beside it), the mean loss otherwise */
        double val_metric = (cfg->loss == HW_LOSS_CONTRASTIVE ? va.con : va.loss) / va.items;

        /* ---- replicas must agree bit for bit ------------------------------------------- */
        /* GPU: the weights (every rank, for the hash) and on rank 0 the moments (state) */
        if (gpu && agree(d, gpu_to_host(gpu, params, rank == 0 ? &optim : NULL)) != 0) {
            failed = 1;
            break;
        }
        uint64_t h = params_hash(params, n_params), hmin = h, hmax = h;
        MPI_Allreduce(MPI_IN_PLACE, &hmin, 1, MPI_UINT64_T, MPI_MIN, d->comm);
        MPI_Allreduce(MPI_IN_PLACE, &hmax, 1, MPI_UINT64_T, MPI_MAX, d->comm);
        if (hmin != hmax) {
            if (rank == 0)
                log_error("weights differ between ranks after epoch %lld (internal error)",
                          (long long)epoch);
            failed = 1;
            break;
        }

        /* ---- early stopping (reference.md 5.4) ----------------------------------------- */
        int improved = val_metric + cfg->min_delta < st.best_val;
        if (improved) {
            st.best_val = val_metric;
            st.best_epoch = epoch;
            st.patience_counter = 0;
            if (rank == 0) {
                char ep[32], vs[64], hs[32];
                snprintf(ep, sizeof ep, "%lld", (long long)epoch);
                snprintf(vs, sizeof vs, "%.9g", val_metric);
                snprintf(hs, sizeof hs, "%016llx", (unsigned long long)cfg_hash);
                const char *md[] = {"hitwin_version", HITWIN_VERSION_STRING, "config", config_yaml,
                                    "config_hash", hs, "epoch", ep, "val_loss", vs, NULL};
                rc = hw_model_save(model, best_path, md);
            }
            if (agree(d, rc) != 0) {
                failed = 1;
                break;
            }
        } else {
            st.patience_counter++;
        }
        if (epoch <= cfg->enforced_epochs) st.patience_counter = 0;
        int stop_now = epoch > cfg->enforced_epochs && st.patience_counter >= cfg->patience;

        double seconds = MPI_Wtime() - t_epoch;
        double pps = tr.items / (train_seconds > 0 ? train_seconds : 1);
        res->train_loss[epoch - 1] = tr.loss / tr.items;
        res->val_loss[epoch - 1] = val_metric;
        if (rank == 0) {
            write_metrics(mf, epoch, cfg, &tr, &va, val_metric, improved, pps, seconds,
                          train_seconds, step, h, st.patience_counter);
            if (cfg->loss == HW_LOSS_CONTRASTIVE)
                printf("epoch %3lld  train %.5f (con %.5f, ce %.5f, acc %.3f)  val %.5f (objective "
                       "%.5f, acc %.3f)%s  %.1f pairs/s  %.1f s\n",
                       (long long)epoch, tr.loss / tr.items, tr.con / tr.items, tr.ce / tr.items,
                       tr.correct / tr.items, val_metric, va.loss / va.items,
                       va.correct / va.items, improved ? " *" : "", pps, seconds);
            else
                printf("epoch %3lld  train %.5f  val %.5f%s  %.1f %s/s  %.1f s\n", (long long)epoch,
                       tr.loss / tr.items, val_metric, improved ? " *" : "", pps,
                       cfg->loss == HW_LOSS_SUPCON ? "positions" : "triplets", seconds);
            fflush(stdout);
        }

        /* ---- state at the end of the epoch --------------------------------------------- */
        st.epoch = epoch;
        st.cursor = 0;
        st.step = step;
        st.sum_loss = st.sum_con = st.sum_ce = st.n_items = st.n_correct = st.seconds = 0;
        st.config_yaml = config_yaml;
        st.version = (char *)HITWIN_VERSION_STRING;
        if (!gpu) hw_shard_gather_moments(&shard, &optim); /* collective */
        rc = rank == 0 ? hw_train_state_write(state_path, &st, tensors, n_tensors, params, optim.m,
                                              optim.v, n_params, &mstate)
                       : 0;
        st.config_yaml = st.version = NULL;
                if (agree(d, rc) != 0) {
            failed = 1;
            break;
        }
        res->epochs_run = (int)epoch;
        if (stop_now) {
            log_info0("early stop after epoch %lld: validation has not improved by %g for %d "
                      "epoch%s (best %.6g at epoch %lld)", (long long)epoch, cfg->min_delta,
                      cfg->patience, cfg->patience > 1 ? "s" : "", st.best_val,
                      (long long)st.best_epoch);
            break;
        }
    }
    if (stopped) log_info0("stopped after step %lld (--stop-after-steps)", (long long)step);
    /* GPU: the final weights (a stopped run ends mid-epoch) */
    if (gpu && !failed && (gpu_to_host(gpu, params, NULL) != 0 || gpu_state_to_host(gpu, &mstate) != 0)) {
        log_error("%s", hw_error());
        failed = 1;
    }

    res->steps = step;
    res->best_val = st.best_val;
    res->stopped = stopped;
    res->n_params = n_params;
    res->params = xmalloc(n_params * sizeof(float));
    memcpy(res->params, params, n_params * sizeof(float));
    res->params_hash = params_hash(params, n_params);
    if (mstate.n > 0) {
        res->n_state = mstate.n;
        res->state = xmalloc(mstate.n * sizeof(float));
        memcpy(res->state, mstate.values, mstate.n * sizeof(float));
    }
    if (res->epochs_run > 0) {
        res->last_train_loss = res->train_loss[res->epochs_run - 1];
        res->last_val_loss = res->val_loss[res->epochs_run - 1];
    }
    if (rank == 0 && !failed && !stopped)
        log_info0("done: %lld steps, best validation %.6g at epoch %lld (%s), %.1f s",
                  (long long)step, st.best_val, (long long)st.best_epoch, best_path,
                  MPI_Wtime() - t_start);

    if (mf) fclose(mf);
    gpu_close(gpu);
    free(order);
    free(val_idx);
    free(config_yaml);
    hw_batcher_free(&batcher);
    hw_shard_free(&shard);
    hw_optim_free(&optim);
    hw_model_free(model);
    hw_items_free(&train);
    hw_items_free(&val);
    hw_tile_store_close(store);
    return failed ? -1 : 0;
}

/* folds: K > 1 trains K models, model k in <output>/fold<k> without fold k's chromosomes
 * (train_folds.h); <output>/best.safetensors and best_nn.safetensors then link to fold 0's,
 * and `hitwin distance` given that checkpoint finds the others beside it. */
/* smooth: auto (train_smooth.h): every rank reads the same training tiles and so resolves the
 * same h; the run then goes on as if the config had said it, and its config, checkpoints and
 * resume hash carry the number. A store that does not open is left to the run to report. */
static int resolve_smooth(const hw_train_config *cfg, const hw_dist *d, hw_train_config *out) {
    *out = *cfg;
    out->smooth = 0;
    hw_tile_store *store = hw_tile_store_open(cfg->tiles);
    if (!store) return 0;
    char why[256];
    int rc = hw_smooth_auto(store, &out->smooth, why, sizeof why);
    if (rc != 0) hw_fail_prefix("%s", cfg->tiles);
    hw_tile_store_close(store);
    if (agree(d, rc) != 0) return -1;
    log_info0("%s", why);
    return 0;
}

int hw_train_run(const hw_train_config *cfg_in, const hw_train_options *opt, const hw_dist *d,
                 hw_train_result *res) {
    memset(res, 0, sizeof *res);
    hw_train_config resolved;
    const hw_train_config *cfg = cfg_in;
    if (cfg_in->smooth == HW_SMOOTH_AUTO) {
        if (resolve_smooth(cfg_in, d, &resolved) != 0) return -1;
        cfg = &resolved;
    }
    if (cfg->folds <= 1) return train_one(cfg, opt, d, res);
    hw_tile_store *store = hw_tile_store_open(cfg->tiles);
    int used = 0;
    if (store) {
        const hw_tile_meta *meta = hw_tile_store_meta(store);
        int *fold_of = xcalloc((size_t)meta->n_chroms + 1, sizeof *fold_of);
        used = hw_folds_assign(meta, cfg->folds, fold_of);
        for (int k = 0; k < cfg->folds; k++) {
            char list[4096] = "";
            for (int c = 0; c < meta->n_chroms; c++)
                if (fold_of[c] == k)
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                             list[0] ? ", " : "", meta->chrom_name[c]);
            log_info0("fold %d of %d: held out %s", k, cfg->folds, list[0] ? list : "(nothing)");
        }
        free(fold_of);
    }
    hw_tile_store_close(store);
    int rc = store ? 0 : -1;
    if (rc == 0 && used < cfg->folds)
        rc = hw_fail("%s: folds %d: only %d chromosome%s with training windows (lower folds, or "
                     "set folds: 1)", cfg->tiles, cfg->folds, used, used == 1 ? "" : "s");
    if (agree(d, rc) != 0) return -1;
    for (int k = 0; k < cfg->folds; k++) {
        hw_train_config c = *cfg;
        char out[4200];
        snprintf(out, sizeof out, "%s/fold%d", cfg->output, k);
        c.output = out;
        c.fold = k;
        if (k > 0) hw_train_result_free(res);
        if (train_one(&c, opt, d, res) != 0) return -1;
    }
    rc = 0;
    if (d->rank == 0) {
        const char *names[2] = {"best.safetensors", "best_nn.safetensors"};
        for (int i = 0; i < 2 && rc == 0; i++) {
            char link[4200], target[64];
            snprintf(link, sizeof link, "%s/%s", cfg->output, names[i]);
            snprintf(target, sizeof target, "fold0/%s", names[i]);
            unlink(link);
            if (symlink(target, link) != 0)
                rc = hw_fail("%s: cannot link to %s: %s", link, target, strerror(errno));
        }
    }
    return agree(d, rc) == 0 ? 0 : -1;
}

/* ---- CLI ------------------------------------------------------------------------------ */
static void usage(FILE *out) {
    fprintf(out,
            "usage: hitwin train CONFIG.yaml [options]\n"
            "Train a Siamese network on a tile store (docs/train.md).\n"
            "  -s, --set KEY=VALUE      override a config key (tiles, loss, ce_form, bias, margin,\n"
            "                           temperature, learning_rate, batch_size, epochs,\n"
            "                           enforced_epochs, patience, min_delta, seed, mask, n_aug, flip, thin, pairs,\n"
            "                           technical, graded_edits, edits_per_tile, contrast_edits, contrast_strength, folds, optimiser, dropout,\n"
            "                           output, checkpoint_every_steps, device, precision, tile_memory_mb,\n"
            "                           recipe, input_transform, norm_region, smooth)\n"
            "      --device DEV         cpu (default), cuda (one GPU per rank) or auto (cuda when\n"
            "                           built with CUDA and a GPU is visible); overrides 'device'\n"
            "      --precision P        GPU arithmetic: bf16 (default: mixed precision, fp32\n"
            "                           weights and losses) or fp32; overrides 'precision'\n"
            "  -r, --resume             continue the run in 'output' from its last state\n"
            "                           (a new run when there is none)\n"
            "      --stop-after-steps N stop after N optimiser steps, as if killed (tests)\n"
            "  -q, --quiet              no progress output\n"
            "  -h, --help\n"
            "Run with mpiexec -n N for N data-parallel ranks (the global batch is split);\n"
            "one rank per core: each rank uses one BLAS thread unless OPENBLAS_NUM_THREADS is set.\n");
}

/* OpenBLAS, when present: its threads do not pay on SLeNet's GEMMs (measured on
 * 2 cores, batch 32: 1 thread 52-59 pairs/s, 2 threads 54-58), while ranks
 * scale (2 ranks x 1 thread: 80-100). So one thread per rank, one rank per core,
 * unless the user sets OPENBLAS_NUM_THREADS. */
extern void openblas_set_num_threads(int) __attribute__((weak));

int hw_train_main(int argc, char **argv) {
    hw_dist d;
    hw_dist_init(&d, &argc, &argv);
    if (!getenv("OPENBLAS_NUM_THREADS") && openblas_set_num_threads) openblas_set_num_threads(1);
    static const struct option opts[] = {{"set", required_argument, 0, 's'},
                                         {"resume", no_argument, 0, 'r'},
                                         {"stop-after-steps", required_argument, 0, 'S'},
                                         {"device", required_argument, 0, 'D'},
                                         {"precision", required_argument, 0, 'P'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    hw_train_options opt = {0};
    const char *device_arg = NULL;
    hw_device_kind device = HW_DEVICE_CPU;
    const char *precision_arg = NULL;
    hw_precision precision = HW_PRECISION_BF16;
    char **sets = xcalloc((size_t)argc + 1, sizeof *sets);
    int n_sets = 0, c;
    optind = 1;
    while ((c = hw_getopt(argc, argv, "s:rqh", opts)) != -1) {
        switch (c) {
        case 's': sets[n_sets++] = optarg; break;
        case 'r': opt.resume = 1; break;
        case 'D':
            if (hw_device_parse(optarg, &device) != 0) {
                if (d.rank == 0) log_error("--device %s: expected cpu, cuda or auto", optarg);
                free(sets);
                return 2;
            }
            device_arg = optarg;
            break;
        case 'P':
            if (hw_precision_parse(optarg, &precision) != 0) {
                if (d.rank == 0) log_error("--precision %s: expected bf16 or fp32", optarg);
                free(sets);
                return 2;
            }
            precision_arg = optarg;
            break;
        case 'S': {
            int64_t v;
            if (hw_parse_int("--stop-after-steps", optarg, 1, INT64_MAX, &v) != 0) {
                free(sets);
                return hw_usage_error(NULL);
            }
            opt.stop_after_steps = v;
            break;
        }
        case 'q':
            opt.quiet = 1;
            hw_log_set_quiet(1);
            break;
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
        if (optind == argc) return hw_usage_fail(usage, "train: the train config (CONFIG.yaml) is missing");
        return hw_usage_fail(usage, "train: one CONFIG.yaml expected, got '%s' too", argv[optind + 1]);
    }
    hw_train_config cfg;
    hw_input config_in = {argv[optind], "the train config"};
    if (hw_input_check(&config_in) != 0) {
        if (d.rank == 0) log_error("%s", hw_error());
        free(sets);
        return 1;
    }
    int rc = hw_train_config_load(argv[optind], &cfg);
    for (int i = 0; rc == 0 && i < n_sets; i++) rc = hw_train_config_set(&cfg, sets[i]);
    if (rc == 0 && device_arg) cfg.device = device;
    if (rc == 0 && precision_arg) cfg.precision = precision;
    if (rc == 0) rc = hw_train_config_validate(&cfg);
    free(sets);
    if (rc != 0) {
        if (d.rank == 0) log_error("%s", hw_error());
        hw_train_config_free(&cfg);
        return 1;
    }
    /* the tile store is a file, the run directory holds no input */
    rc = d.rank == 0 ? hw_guard_train(&cfg, argv[optind]) : 0;
    if (hw_dist_agree_report(&d, rc) != 0) {
        hw_train_config_free(&cfg);
        return 1;
    }
    hw_xalloc_hint("batch_size (or tile_memory_mb)");
    hw_train_result res;
    rc = hw_train_run(&cfg, &opt, &d, &res);
    hw_train_result_free(&res);
    hw_train_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}
