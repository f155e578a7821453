/* `hitwin saliency`: differential feature maps and integrated gradients per window, and
 * their per-chromosome strips (docs/saliency.md; the reference's make_feature_map.py and
 * make_maps_combined, reference.md 7.1-7.4, with bugs 28-32 fixed).
 *
 * Flow: every rank opens the tile store and selects the same windows (split, optional
 * chromosome, at least one pair of the requested kind among the samples passing QC); rank r
 * takes the contiguous run [n r / size, n (r + 1) / size), the same windows whatever the rank
 * count, each computed alone, so the maps do not depend on it. Per window: every kept tile is
 * prepared and embedded once, its conv2 maps taken once; per pair the oriented feature
 * difference and the IG map; per kind (condition, replicate) the mean over its pairs. The
 * maps go into one HDF5 file written by all ranks at once, one window per collective write.
 * Then each chromosome's strips are built by one rank (round robin) from the written maps, in
 * window order (so they too are the same for any rank count), and written collectively. Rank
 * 0 writes the bedGraph tracks of the strips' column means and renames the files.
 *
 * --device cuda (SLeNet only): the integrated gradients, all but a sliver of the work, run
 * on the GPU model of this rank (gpu_slenet.h, hw_gpu_slenet_path_grad, one GPU per rank as
 * in distance: stage_device.h), through the same formula (hw_ig_map_path). Preparing,
 * embedding and taking conv2 of the few tiles of a window stay on the CPU model: one
 * forward per tile against 2 x steps interpolants forward and back per pair. */
#define _GNU_SOURCE
#include <getopt.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/checkpoint_config.h"
#include "hitwin/cli_args.h"
#include "hitwin/dist.h"
#include "hitwin/error.h"
#include "hitwin/gpu.h"
#include "hitwin/h5_util.h"
#include "hitwin/log.h"
#include "hitwin/model.h"
#include "hitwin/output_guard.h"
#include "hitwin/safetensors.h"
#include "hitwin/bed_regions.h"
#include "hitwin/saliency.h"
#include "hitwin/stage_device.h"
#include "hitwin/tile_store.h"
#include "hitwin/train.h"
#include "hitwin/version.h"
#include "hitwin/xalloc.h"

#ifdef HITWIN_HAVE_CUDA
#include "hitwin/gpu_context.h"
#include "hitwin/gpu_slenet.h"

/* hw_gpu_slenet_path_grad as an hw_ig_path_fn */
static int gpu_path(void *ctx, const float *from, const float *to, const float *alpha, int n,
                    const float *other, int second, hw_ig_measure measure, double *gsum) {
    return hw_gpu_slenet_path_grad((hw_gpu_slenet *)ctx, from, to, alpha, n, other, second, measure,
                                   gsum);
}
#else
/* without the CUDA backend --device never resolves to cuda: these are never reached */
typedef struct hw_gpu_slenet hw_gpu_slenet;
static hw_gpu_slenet *hw_gpu_slenet_create(hw_gpu *g, const hw_model *m, uint64_t seed) {
    (void)g, (void)m, (void)seed;
    hw_fail("saliency: this hitwin was built without the CUDA backend");
    return NULL;
}
static void hw_gpu_slenet_free(hw_gpu_slenet *s) { (void)s; }
static int gpu_path(void *ctx, const float *from, const float *to, const float *alpha, int n,
                    const float *other, int second, hw_ig_measure measure, double *gsum) {
    (void)ctx, (void)from, (void)to, (void)alpha, (void)n, (void)other, (void)second, (void)measure,
        (void)gsum;
    return hw_fail("saliency: this hitwin was built without the CUDA backend");
}
#endif

/* One BLAS thread per rank: results independent of the rank count (see distance_stage.c). */
extern void openblas_set_num_threads(int) __attribute__((weak));

enum { KIND_CONDITION = 0, KIND_REPLICATE = 1, N_KINDS = 2 };
static const char *const kind_name[N_KINDS] = {"condition", "replicate"};

/* The masked band of the model: saliency is zero there by construction, and the strips and
 * tracks leave it out. */
#define DIAG_SKIP 3

static void usage(FILE *out) {
    fprintf(out,
            "usage: hitwin saliency STORE --checkpoint CKPT -o DIR [options]\n"
            "Differential feature maps (conv2, |f_treatment| - |f_control| averaged over filters)\n"
            "and integrated gradients of the embedding distance for every pair of samples at every\n"
            "window, and their per-chromosome strips (docs/saliency.md).\n"
            "  -c, --checkpoint CKPT   a SLeNet backbone checkpoint (.safetensors, hitwin train)\n"
            "  -o, --output DIR        output directory (created when missing)\n"
            "  -s, --split NAME        all (default), train, validation or test\n"
            "      --chrom NAME        this chromosome only (output saliency_NAME.h5)\n"
            "      --steps N           integrated-gradient steps (default 100)\n"
            "      --rule R            where the path is sampled: reference (default: k/(N-1), both\n"
            "                          ends) or midpoint ((k+1/2)/N: as accurate at half the\n"
            "                          steps; docs/saliency.md \"Steps and rule\")\n"
            "      --pairs KIND        condition, replicate or all (default)\n"
            "      --measure M         pairwise (default, the reference's) or cosine\n"
            "      --chunk N           interpolants per forward/backward (default %d)\n"
            "      --every K           every K-th window of each chromosome only (default 1; the\n"
            "                          strips stay covered while K x stride < tile size)\n"
            "      --regions BED       only the windows whose tile overlaps a region of BED (e.g.\n"
            "                          distance's CKPT_pairwise_called.bed); strip pixels with both\n"
            "                          bins in a region are those of a run over every window\n"
            "      --device DEV        cpu (default), cuda (integrated gradients on one GPU per\n"
            "                          rank; SLeNet checkpoints) or auto (cuda where every rank\n"
            "                          has a GPU and the checkpoint is SLeNet's, else cpu)\n"
            "  -q, --quiet             no progress output\n"
            "  -h, --help\n"
            "Outputs in DIR: saliency.h5 (per window the maps, per chromosome the strips) and\n"
            "{condition,replicate}_{features,saliency}.bedgraph (column means of the strips).\n"
            "Run with mpiexec -n N to shard the windows over N ranks.\n",
            HW_IG_DEFAULT_CHUNK);
}

static int split_code(const char *name) {
    if (!strcmp(name, "all")) return -1;
    if (!strcmp(name, "train")) return 0;
    if (!strcmp(name, "validation")) return 1;
    if (!strcmp(name, "test")) return 2;
    return -2;
}

/* ---- the checkpoint (as distance_stage.c loads it: the checkpoint decides mask and input
 * scaling) ------------------------------------------------------------------------------- */

static hw_model *load_model(const char *path, int tile_size) {
    hw_st_file f;
    if (hw_st_read(&f, path) != 0) return NULL;
    /* SLeNet's tensors, or MaxViT's first; a head (*_nn) or anything else is refused */
    if (!(hw_st_find(&f, "features.2.weight") && hw_st_find(&f, "linear.1.weight")) &&
        !hw_st_find(&f, "stem.0.0.weight")) {
        hw_st_close(&f);
        hw_fail("%s: not a backbone checkpoint (no features.2.weight / linear.1.weight of SLeNet, no "
                "stem.0.0.weight of MaxViT); saliency supports SLeNet, SMaxViT and SMaxViTMulti", path);
        return NULL;
    }
    hw_model_config cfg;
    int bad = hw_checkpoint_model_config(&f, path, tile_size, &cfg);
    hw_st_close(&f);
    if (bad) return NULL;
    hw_model *m = hw_model_create(&cfg, 0);
    if (!m) {
        hw_fail_prefix("%s", path);
        return NULL;
    }
    hw_feature_geometry geo; /* a backbone without the saliency hooks: its own line */
    if (hw_model_load(m, path) != 0 || hw_model_feature_geometry(m, &geo) != 0) {
        hw_model_free(m);
        return NULL;
    }
    return m;
}

/* ---- the windows ------------------------------------------------------------------------ */

/* Kind of the pair of samples a < b, and its orientation: the map is (second - first) of the
 * returned pair. Condition pairs: the higher class id (treatment) minus the lower (control).
 * Replicate pairs: the later sample of the store minus the earlier, by store index (never
 * the index among a window's kept tiles, bug 6), so every window orients a given pair of
 * libraries alike (docs/saliency.md, bug 31). */
static int pair_kind(const hw_tile_meta *m, int a, int b, int *first, int *second) {
    if (m->class_id[a] != m->class_id[b]) {
        int hi = m->class_id[a] > m->class_id[b] ? a : b;
        *second = hi;
        *first = hi == a ? b : a;
        return KIND_CONDITION;
    }
    *first = a;
    *second = b;
    return KIND_REPLICATE;
}

typedef struct {
    int64_t n;
    int64_t *win;      /* store window indices, store order */
    int32_t *n_pairs;  /* [n, N_KINDS] pairs of each kind (0 when the kind is not asked for) */
} plan;

/* every: keep windows 0, every, 2 every, ... of each chromosome (in store order, among those
 * the split selects), so that a coarser set of overlapping tiles still covers the strips */
static void plan_windows(const hw_tile_meta *m, int split, int chrom, const int *want, int every,
                         const hw_regions *regions, plan *p) {
    const int S = m->n_samples;
    int64_t seen = 0;
    int last_chrom = -1;
    memset(p, 0, sizeof *p);
    p->win = xcalloc((size_t)m->n_windows + 1, sizeof *p->win);
    p->n_pairs = xcalloc(((size_t)m->n_windows + 1) * N_KINDS, sizeof *p->n_pairs);
    for (int64_t w = 0; w < m->n_windows; w++) {
        if (split >= 0 && m->win_split[w] != split) continue;
        if (chrom >= 0 && m->win_chrom[w] != chrom) continue;
        if (m->win_chrom[w] != last_chrom) last_chrom = m->win_chrom[w], seen = 0;
        if (seen++ % every != 0) continue;
        if (regions && !hw_regions_overlap(regions, m->win_chrom[w], m->win_start[w],
                                           m->win_start[w] + (int64_t)m->tile_size * m->resolution))
            continue;
        int32_t cnt[N_KINDS] = {0, 0};
        for (int a = 0; a < S; a++)
            for (int b = a + 1; b < S; b++) {
                if (!m->kept[w * S + a] || !m->kept[w * S + b]) continue;
                int f, s, k = pair_kind(m, a, b, &f, &s);
                if (want[k]) cnt[k]++;
            }
        if (cnt[0] + cnt[1] == 0) continue;
        memcpy(p->n_pairs + p->n * N_KINDS, cnt, sizeof cnt);
        p->win[p->n++] = w;
    }
}

/* ---- one window's maps ------------------------------------------------------------------- */

typedef struct {
    hw_model *model;
    hw_gpu_slenet *gnet; /* --device cuda: the model on this rank's GPU, for the IG paths */
    int S, G, C, D, steps, chunk; /* C: feature maps per tile (hw_feature_geometry) */
    hw_ig_measure measure;
    hw_ig_rule rule;
    const int *want;
    float *tiles, *x, *emb, *conv; /* [n_samples, ...] */
    float *diff, *ig;              /* one pair: [G, G], [S, S] */
    /* outputs of the window, per kind: features [G, G], saliency [S, S] (NaN when no pair) */
    float *feat[N_KINDS], *sal[N_KINDS];
    double pair_s; /* seconds of IG + features per pair, this rank */
    int64_t n_pairs_done;
} worker;

static int window_maps(worker *wk, const hw_tile_meta *m, hw_tile_store *store, int64_t w) {
    const int NS = m->n_samples, S = wk->S, G = wk->G, C = wk->C;
    const size_t S2 = (size_t)S * S, G2 = (size_t)G * G, C2 = (size_t)C * G2;
    if (hw_tile_store_read_window(store, w, wk->tiles) != 0) return -1;
    /* every kept tile prepared, embedded and through conv2 once (bug 29) */
    int row[64], n = 0;
    for (int s = 0; s < NS; s++) {
        row[s] = -1;
        if (!m->kept[w * NS + s]) continue;
        if (n != s) memcpy(wk->tiles + (size_t)n * S2, wk->tiles + (size_t)s * S2, S2 * sizeof(float));
        row[s] = n++;
    }
    hw_model_prepare(wk->model, wk->tiles, n, wk->x, wk->emb);
    hw_model_conv2_maps(wk->model, wk->x, n, wk->conv);
    for (size_t p = 0; p < (size_t)n * C2; p++) wk->conv[p] = fabsf(wk->conv[p]);
    int cnt[N_KINDS] = {0, 0};
    for (int k = 0; k < N_KINDS; k++) {
        memset(wk->feat[k], 0, G2 * sizeof(float));
        memset(wk->sal[k], 0, S2 * sizeof(float));
    }
    for (int a = 0; a < NS; a++)
        for (int b = a + 1; b < NS; b++) {
            if (row[a] < 0 || row[b] < 0) continue;
            int first, second, k = pair_kind(m, a, b, &first, &second);
            if (!wk->want[k]) continue;
            double t0 = MPI_Wtime();
            const float *f1 = wk->conv + (size_t)row[first] * C2, *f2 = wk->conv + (size_t)row[second] * C2;
            for (size_t p = 0; p < G2; p++) {
                double s = 0.0;
                for (int c = 0; c < C; c++) s += (double)f2[c * G2 + p] - f1[c * G2 + p];
                wk->feat[k][p] += (float)(s / C);
            }
            const int i = row[a], j = row[b];
            const float *x1 = wk->x + (size_t)i * S2, *x2 = wk->x + (size_t)j * S2;
            const float *e1 = wk->emb + (size_t)i * wk->D, *e2 = wk->emb + (size_t)j * wk->D;
            if (wk->gnet ? hw_ig_map_path(gpu_path, wk->gnet, S, wk->D, x1, x2, e1, e2, wk->steps, wk->chunk,
                                          wk->measure, wk->rule, wk->ig)
                         : hw_ig_map_rule(wk->model, x1, x2, e1, e2, wk->steps, wk->chunk, wk->measure, wk->rule,
                                          wk->ig))
                return -1;
            for (size_t p = 0; p < S2; p++) wk->sal[k][p] += wk->ig[p];
            cnt[k]++;
            wk->pair_s += MPI_Wtime() - t0;
            wk->n_pairs_done++;
        }
    for (int k = 0; k < N_KINDS; k++) {
        for (size_t p = 0; p < G2; p++) wk->feat[k][p] = cnt[k] ? wk->feat[k][p] / cnt[k] : NAN;
        for (size_t p = 0; p < S2; p++) wk->sal[k][p] = cnt[k] ? wk->sal[k][p] / cnt[k] : NAN;
    }
    return 0;
}

/* ---- HDF5 ------------------------------------------------------------------------------- */

static hid_t open_parallel(MPI_Comm comm, const char *path, int create) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
    H5Pset_all_coll_metadata_ops(fapl, 1);
    H5Pset_coll_metadata_write(fapl, 1);
    hid_t f = create ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl)
                     : H5Fopen(path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    return f;
}

/* A dataset [d0, d1, d2] (nd 1 to 3), chunked as given, byte-shuffled and deflated (level 4:
 * about 2.4x smaller on IG maps and strips); collective creation. The deflate filter must
 * never fail here: parallel HDF5 1.10 stores a chunk whose optional filter failed raw
 * without the filter mask saying so, and it cannot be read back. zlib's compress2 always
 * fits HDF5's compressBound buffer, and so does ours (src/io/h5_libdeflate.c). */
static hid_t create_dset(hid_t loc, const char *name, hid_t type, int nd, const hsize_t *dims,
                         const hsize_t *chunk) {
    hid_t sp = H5Screate_simple(nd, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int empty = 0;
    for (int i = 0; i < nd; i++) empty |= dims[i] == 0;
    if (!empty) {
        H5Pset_chunk(dcpl, nd, chunk);
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 4);
    }
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(loc, name, type, sp, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return d;
}

/* Collective write of rows [row, row + n) (n 0: nothing, but still taking part). */
static int write_rows(hid_t d, hid_t mtype, int nd, const hsize_t *dims, hsize_t row, hsize_t n,
                      const void *buf, hid_t dxpl) {
    hid_t fs = H5Dget_space(d);
    hsize_t start[3] = {row, 0, 0}, count[3] = {n, dims[1], nd > 2 ? dims[2] : 1};
    hid_t ms = H5Screate_simple(nd, count, NULL);
    if (n > 0) {
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    } else {
        H5Sselect_none(fs);
        H5Sselect_none(ms);
    }
    herr_t e = H5Dwrite(d, mtype, ms, fs, dxpl, buf);
    H5Sclose(ms);
    H5Sclose(fs);
    return e < 0 ? -1 : 0;
}

/* ---- strips ---------------------------------------------------------------------------- */

/* One chromosome's four strips (kind x {features, saliency}) from the written window maps,
 * in window order. strips[k * 2 + v], counts likewise: [S, n_bins]. */
static int chrom_strips(const char *path, const plan *p, const hw_tile_meta *m, int chrom,
                        int64_t n_bins, int S, const hw_feature_geometry *geo, const int *want, float **strips,
                        int32_t **counts) {
    const int G = geo->side;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return hw_fail("%s: cannot reopen to build the strips", path);
    hw_strip acc[2 * N_KINDS];
    for (int q = 0; q < 2 * N_KINDS; q++) hw_strip_init(&acc[q], S, want[q / 2] ? n_bins : 0);
    float *fmap = xmalloc((size_t)G * G * sizeof(float)), *reg = xmalloc((size_t)S * S * sizeof(float));
    float *sal = xmalloc((size_t)S * S * sizeof(float));
    uint8_t *cover = xmalloc((size_t)S);
    int rc = 0;
    for (int k = 0; k < N_KINDS && !rc; k++) {
        if (!want[k]) continue;
        char fn[64], sn[64];
        snprintf(fn, sizeof fn, "windows/%s_features", kind_name[k]);
        snprintf(sn, sizeof sn, "windows/%s_saliency", kind_name[k]);
        hid_t df = H5Dopen2(f, fn, H5P_DEFAULT), ds = H5Dopen2(f, sn, H5P_DEFAULT);
        if (df < 0 || ds < 0) rc = hw_fail("%s: %s missing", path, fn);
        for (int64_t i = 0; i < p->n && !rc; i++) {
            int64_t w = p->win[i];
            if (m->win_chrom[w] != chrom || p->n_pairs[i * N_KINDS + k] == 0) continue;
            int64_t start = m->win_start[w] / m->resolution;
            hsize_t off[3] = {(hsize_t)i, 0, 0}, cf[3] = {1, (hsize_t)G, (hsize_t)G},
                    cs[3] = {1, (hsize_t)S, (hsize_t)S};
            hid_t fs = H5Dget_space(df), ms = H5Screate_simple(3, cf, NULL);
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, NULL, cf, NULL);
            if (H5Dread(df, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, fmap) < 0) rc = hw_fail("%s: read %s", path, fn);
            H5Sclose(ms);
            H5Sclose(fs);
            fs = H5Dget_space(ds), ms = H5Screate_simple(3, cs, NULL);
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, NULL, cs, NULL);
            if (!rc && H5Dread(ds, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, sal) < 0) rc = hw_fail("%s: read %s", path, sn);
            H5Sclose(ms);
            H5Sclose(fs);
            if (rc) break;
            hw_register_feature_map_at(fmap, G, S, geo->stride, geo->offset, reg, cover);
            hw_strip_add(&acc[k * 2 + 0], reg, cover, start, 0);
            hw_strip_add(&acc[k * 2 + 1], sal, NULL, start, DIAG_SKIP);
        }
        if (df >= 0) H5Dclose(df);
        if (ds >= 0) H5Dclose(ds);
    }
    H5Fclose(f);
    for (int q = 0; q < 2 * N_KINDS; q++) {
        strips[q] = NULL;
        counts[q] = NULL;
        if (!want[q / 2] || rc) continue;
        strips[q] = xmalloc((size_t)S * (size_t)n_bins * sizeof(float) + 1);
        hw_strip_mean(&acc[q], strips[q]);
        counts[q] = acc[q].count; /* handed over */
        acc[q].count = NULL;
    }
    for (int q = 0; q < 2 * N_KINDS; q++) hw_strip_free(&acc[q]);
    free(fmap);
    free(reg);
    free(sal);
    free(cover);
    return rc;
}

static const char *const map_suffix[2] = {"features", "saliency"};

/* Rank 0: the bedGraph of each strip's column means (covered pixels, rows >= DIAG_SKIP). */
static int write_tracks(const char *h5path, const char *out_dir, const char *stem,
                        const hw_tile_meta *m, const int *want, const int64_t *n_bins,
                        const int *has_chrom, char **tmp_names, char **final_names, int *n_tracks) {
    hid_t f = H5Fopen(h5path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return hw_fail("%s: cannot reopen for the tracks", h5path);
    int rc = 0;
    *n_tracks = 0;
    for (int q = 0; q < 2 * N_KINDS && !rc; q++) {
        if (!want[q / 2]) continue;
        char name[4200], tmp[4300];
        snprintf(name, sizeof name, "%s/%s%s_%s.bedgraph", out_dir, stem, kind_name[q / 2], map_suffix[q % 2]);
        snprintf(tmp, sizeof tmp, "%s.tmp-%ld", name, (long)getpid());
        hw_temp_add(tmp);
        FILE *out = fopen(tmp, "w");
        if (!out) {
            rc = hw_fail("%s: cannot write", tmp);
            break;
        }
        fprintf(out, "track type=bedGraph name=\"%s %s\" description=\"hitwin saliency: column mean of the %s %s strip\"\n",
                kind_name[q / 2], map_suffix[q % 2], kind_name[q / 2], map_suffix[q % 2]);
        for (int c = 0; c < m->n_chroms && !rc; c++) {
            if (!has_chrom[c]) continue;
            const int64_t nb = n_bins[c];
            const int S = m->tile_size;
            float *v = xmalloc((size_t)S * nb * sizeof(float) + 1);
            int32_t *cnt = xmalloc((size_t)S * nb * sizeof(int32_t) + 1);
            char dn[512], cn[512];
            snprintf(dn, sizeof dn, "strips/%s/%s_%s", m->chrom_name[c], kind_name[q / 2], map_suffix[q % 2]);
            snprintf(cn, sizeof cn, "strips/%s/%s_%s_count", m->chrom_name[c], kind_name[q / 2], map_suffix[q % 2]);
            hid_t d1 = H5Dopen2(f, dn, H5P_DEFAULT), d2 = H5Dopen2(f, cn, H5P_DEFAULT);
            if (d1 < 0 || d2 < 0 || H5Dread(d1, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0 ||
                H5Dread(d2, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, cnt) < 0)
                rc = hw_fail("%s: cannot read %s", h5path, dn);
            if (d1 >= 0) H5Dclose(d1);
            if (d2 >= 0) H5Dclose(d2);
            for (int64_t b = 0; b < nb && !rc; b++) {
                double s = 0.0;
                int k = 0;
                for (int r = DIAG_SKIP; r < S; r++)
                    if (cnt[(size_t)r * nb + b] > 0) {
                        s += v[(size_t)r * nb + b];
                        k++;
                    }
                if (k == 0) continue;
                fprintf(out, "%s\t%lld\t%lld\t%.6g\n", m->chrom_name[c], (long long)b * m->resolution,
                        (long long)(b + 1) * m->resolution, s / k);
            }
            free(v);
            free(cnt);
        }
        if (fclose(out) != 0 && !rc) rc = hw_fail("%s: write failed", tmp);
        tmp_names[*n_tracks] = xstrdup(tmp);
        final_names[*n_tracks] = xstrdup(name);
        (*n_tracks)++;
    }
    H5Fclose(f);
    return rc;
}

int hw_saliency_main(int argc, char **argv) {
    hw_dist d;
    hw_dist_init(&d, &argc, &argv);
    static const struct option opts[] = {{"checkpoint", required_argument, 0, 'c'},
                                         {"output", required_argument, 0, 'o'},
                                         {"split", required_argument, 0, 's'},
                                         {"chrom", required_argument, 0, 'C'},
                                         {"steps", required_argument, 0, 'n'},
                                         {"pairs", required_argument, 0, 'p'},
                                         {"measure", required_argument, 0, 'm'},
                                         {"rule", required_argument, 0, 'r'},
                                         {"chunk", required_argument, 0, 'k'},
                                         {"every", required_argument, 0, 'e'},
                                         {"regions", required_argument, 0, 'R'},
                                         {"device", required_argument, 0, 'D'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *ckpt = NULL, *out_dir = NULL, *split_name = "all", *chrom_name = NULL;
    const char *regions_path = NULL;
    int steps = 100, chunk = HW_IG_DEFAULT_CHUNK, every = 1, want[N_KINDS] = {1, 1};
    hw_ig_measure measure = HW_IG_PAIRWISE;
    hw_ig_rule rule = HW_IG_RULE_REFERENCE;
    hw_device_kind device = HW_DEVICE_CPU;
    const char *pairs_name = "all";
    int c;
    optind = 1;
    while ((c = hw_getopt(argc, argv, "c:o:s:qh", opts)) != -1) {
        int64_t v;
        switch (c) {
        case 'c': ckpt = optarg; break;
        case 'o': out_dir = optarg; break;
        case 's': split_name = optarg; break;
        case 'C': chrom_name = optarg; break;
        case 'R': regions_path = optarg; break;
        case 'n':
            if (hw_parse_int("--steps", optarg, 1, 100000, &v) != 0) return hw_usage_error(NULL);
            steps = (int)v;
            break;
        case 'k':
            if (hw_parse_int("--chunk", optarg, 1, 100000, &v) != 0) return hw_usage_error(NULL);
            chunk = (int)v;
            break;
        case 'e':
            if (hw_parse_int("--every", optarg, 1, 1000, &v) != 0) return hw_usage_error(NULL);
            every = (int)v;
            break;
        case 'p':
            pairs_name = optarg;
            if (!strcmp(optarg, "condition")) want[KIND_REPLICATE] = 0;
            else if (!strcmp(optarg, "replicate")) want[KIND_CONDITION] = 0;
            else if (strcmp(optarg, "all") != 0)
                return hw_usage_fail(NULL, "--pairs %s: expected condition, replicate or all", optarg);
            break;
        case 'm':
            if (!strcmp(optarg, "pairwise")) measure = HW_IG_PAIRWISE;
            else if (!strcmp(optarg, "cosine")) measure = HW_IG_COSINE;
            else return hw_usage_fail(NULL, "--measure %s: expected pairwise or cosine", optarg);
            break;
        case 'r':
            if (!strcmp(optarg, "reference")) rule = HW_IG_RULE_REFERENCE;
            else if (!strcmp(optarg, "midpoint")) rule = HW_IG_RULE_MIDPOINT;
            else return hw_usage_fail(NULL, "--rule %s: expected reference or midpoint", optarg);
            break;
        case 'D':
            if (hw_device_parse(optarg, &device) != 0)
                return hw_usage_fail(NULL, "--device %s: expected cpu, cuda or auto", optarg);
            break;
        case 'q': hw_log_set_quiet(1); break;
        case 'h':
            if (d.rank == 0) usage(stdout);
            return 0;
        default: return hw_usage_error(usage);
        }
    }
    if (optind == argc) return hw_usage_fail(usage, "saliency: the tile store (STORE) is missing");
    if (optind != argc - 1)
        return hw_usage_fail(usage, "saliency: one STORE expected, got '%s' too", argv[optind + 1]);
    if (!ckpt) return hw_usage_fail(usage, "saliency: --checkpoint is missing");
    if (!out_dir) return hw_usage_fail(usage, "saliency: -o DIR is missing");
    int split = split_code(split_name);
    if (split == -2) return hw_usage_fail(NULL, "--split %s: expected all, train, validation or test", split_name);
    const char *store_path = argv[optind];
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    double t_start = MPI_Wtime();

    /* ---- inputs: one line from rank 0 on any failure, then all ranks stop ---- */
    char stem[300] = "";
    if (chrom_name) snprintf(stem, sizeof stem, "%s_", chrom_name);
    char h5name[400];
    snprintf(h5name, sizeof h5name, "saliency%s%s.h5", chrom_name ? "_" : "", chrom_name ? chrom_name : "");
    int rc = 0;
    if (d.rank == 0) {
        hw_input in[] = {{store_path, "the tile store"}, {ckpt, "--checkpoint"},
                         {regions_path, "--regions"}};
        const int n_in = regions_path ? 3 : 2;
        for (int i = 0; i < n_in && !rc; i++) rc = hw_input_check(&in[i]);
        char names[9][400];
        const char *ptr[9];
        snprintf(names[0], sizeof names[0], "%s", h5name);
        for (int q = 0; q < 4; q++)
            snprintf(names[q + 1], sizeof names[0], "%s%s_%s.bedgraph", stem, kind_name[q / 2], map_suffix[q % 2]);
        for (int q = 0; q < 5; q++) ptr[q] = names[q];
        if (!rc) rc = hw_output_dir_check(out_dir, "-o", 0, ptr, 5, in, n_in);
    }
    if (hw_dist_agree_report(&d, rc) != 0) return 1;
    hw_tile_store *store = hw_tile_store_open(store_path);
    const hw_tile_meta *m = store ? hw_tile_store_meta(store) : NULL;
    hw_model *model = store ? load_model(ckpt, m->tile_size) : NULL;
    plan pl = {0};
    hw_regions regions = {0};
    int chrom = -1;
    rc = store && model ? 0 : -1;
    if (!rc && m->n_samples > 64) rc = hw_fail("%s: %d samples; saliency handles at most 64", store_path, m->n_samples);
    if (!rc && chrom_name) {
        for (int i = 0; i < m->n_chroms; i++)
            if (!strcmp(m->chrom_name[i], chrom_name)) chrom = i;
        if (chrom < 0) rc = hw_fail("--chrom %s: no such chromosome in %s", chrom_name, store_path);
    }
    if (!rc && regions_path) rc = hw_regions_read(regions_path, m->chrom_name, m->n_chroms, &regions);
    if (!rc) {
        plan_windows(m, split, chrom, want, every, regions_path ? &regions : NULL, &pl);
        if (pl.n == 0)
            rc = hw_fail("%s: no windows in split '%s'%s%s%s%s with a %spair of samples passing QC", store_path,
                         split_name, chrom_name ? " on " : "", chrom_name ? chrom_name : "",
                         regions_path ? " overlapping a region of " : "", regions_path ? regions_path : "",
                         want[0] && want[1] ? "" : want[0] ? "condition " : "replicate ");
    }
    hw_regions_free(&regions);
    /* ---- the device: once every input is read, before anything is written ---- */
    int status = hw_dist_agree_report(&d, rc) != 0 ? 1 : 0;
    hw_gpu *gpu = NULL;
    hw_gpu_slenet *gnet = NULL;
    const char *backbone = model ? hw_model_backbone_name(model) : "";
    const int slenet = !strcmp(backbone, "SLeNet");
    if (!status && device == HW_DEVICE_CUDA && !slenet) { /* the GPU model is SLeNet's (gpu_slenet.h) */
        if (d.rank == 0)
            log_error("%s: --device cuda: GPU saliency is SLeNet only, this is an %s checkpoint (use "
                      "--device cpu)", ckpt, backbone);
        status = 2;
    }
    if (!status && device == HW_DEVICE_AUTO && !slenet) {
        log_info0("saliency: device cpu (asked for auto; GPU saliency is SLeNet only, %s is %s)", ckpt,
                  backbone);
        device = HW_DEVICE_CPU;
    }
    if (!status && hw_stage_device_open(&d, "saliency", device, &device, &gpu) != 0) status = 1;
    if (!status && gpu) { /* fp32: a new GPU model's precision (docs/saliency.md) */
        gnet = hw_gpu_slenet_create(gpu, model, 0);
        status = hw_dist_agree_report(&d, gnet ? 0 : hw_fail_prefix("%s: --device cuda", ckpt)) != 0;
    }
    if (!status) status = hw_dist_agree_report(&d, d.rank == 0 ? hw_output_dir_make(out_dir, "-o") : 0) != 0;
    if (status) {
        free(pl.win);
        free(pl.n_pairs);
        hw_gpu_slenet_free(gnet);
        hw_stage_device_close(gpu);
        hw_model_free(model);
        hw_tile_store_close(store);
        return status;
    }

    hw_feature_geometry geo;
    hw_model_feature_geometry(model, &geo); /* load_model made sure the backbone has one */
    const int S = m->tile_size, G = geo.side, NS = m->n_samples;
    const size_t S2 = (size_t)S * S, G2 = (size_t)G * G;
    const int64_t w0 = pl.n * d.rank / d.size, w1 = pl.n * (d.rank + 1) / d.size;
    int64_t total_pairs = 0;
    for (int64_t i = 0; i < pl.n; i++) total_pairs += pl.n_pairs[i * 2] + pl.n_pairs[i * 2 + 1];
    log_info0("%s: saliency: %lld windows (split %s%s%s), %lld pairs (%s), %d IG steps (%s rule), %s, %d rank%s%s",
              HITWIN_VERSION_STRING, (long long)pl.n, split_name, chrom_name ? ", " : "",
              chrom_name ? chrom_name : "", (long long)total_pairs, pairs_name, steps,
              rule == HW_IG_RULE_MIDPOINT ? "midpoint" : "reference",
              measure == HW_IG_PAIRWISE ? "pairwise" : "cosine", d.size, d.size > 1 ? "s" : "",
              gnet ? ", integrated gradients on the GPU" : "");

    /* ---- the file: a temporary name (rank 0's pid) for all ranks ---- */
    long pid = (long)getpid();
    MPI_Bcast(&pid, 1, MPI_LONG, 0, d.comm);
    char h5path[4400], h5tmp[4500];
    snprintf(h5path, sizeof h5path, "%s/%s", out_dir, h5name);
    snprintf(h5tmp, sizeof h5tmp, "%s.tmp-%ld", h5path, pid);
    if (d.rank == 0) hw_temp_add(h5tmp);
    hw_h5_quiet();
    hid_t f = open_parallel(d.comm, h5tmp, 1);
    rc = f < 0 ? hw_fail("%s: cannot create", h5tmp) : 0;
    if (hw_dist_agree_report(&d, rc) != 0) return 1;

    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    hsize_t fdims[3] = {(hsize_t)pl.n, (hsize_t)G, (hsize_t)G}, sdims[3] = {(hsize_t)pl.n, (hsize_t)S, (hsize_t)S};
    hsize_t fchunk[3] = {1, (hsize_t)G, (hsize_t)G}, schunk[3] = {1, (hsize_t)S, (hsize_t)S};
    hid_t dfeat[N_KINDS] = {-1, -1}, dsal[N_KINDS] = {-1, -1};
    for (int k = 0; k < N_KINDS; k++) {
        if (!want[k]) continue;
        char n1[64], n2[64];
        snprintf(n1, sizeof n1, "windows/%s_features", kind_name[k]);
        snprintf(n2, sizeof n2, "windows/%s_saliency", kind_name[k]);
        dfeat[k] = create_dset(f, n1, H5T_IEEE_F32LE, 3, fdims, fchunk);
        dsal[k] = create_dset(f, n2, H5T_IEEE_F32LE, 3, sdims, schunk);
    }

    worker wk = {.model = model, .gnet = gnet, .S = S, .G = G, .C = geo.channels, .D = hw_model_embed_dim(model), .steps = steps,
                 .chunk = chunk, .measure = measure, .rule = rule, .want = want};
    wk.tiles = xmalloc((size_t)NS * S2 * sizeof(float));
    wk.x = xmalloc((size_t)NS * S2 * sizeof(float));
    wk.emb = xmalloc((size_t)NS * wk.D * sizeof(float));
    wk.conv = xmalloc((size_t)NS * geo.channels * G2 * sizeof(float));
    wk.diff = xmalloc(G2 * sizeof(float));
    wk.ig = xmalloc(S2 * sizeof(float));
    for (int k = 0; k < N_KINDS; k++) {
        wk.feat[k] = xmalloc(G2 * sizeof(float));
        wk.sal[k] = xmalloc(S2 * sizeof(float));
    }
    /* one window per round; every rank takes part in every round's writes */
    int64_t rounds = (pl.n + d.size - 1) / d.size, mine = w1 - w0; /* the most any rank has */
    for (int64_t r = 0; r < rounds; r++) {
        int have = r < mine && !rc;
        if (have) rc = window_maps(&wk, m, store, pl.win[w0 + r]);
        have = have && !rc;
        for (int k = 0; k < N_KINDS; k++) {
            if (!want[k]) continue;
            if (write_rows(dfeat[k], H5T_NATIVE_FLOAT, 3, fdims, (hsize_t)(w0 + r), have, wk.feat[k], dxpl) ||
                write_rows(dsal[k], H5T_NATIVE_FLOAT, 3, sdims, (hsize_t)(w0 + r), have, wk.sal[k], dxpl))
                rc = rc ? rc : hw_fail("%s: write failed", h5tmp);
        }
        if (d.rank == 0 && have && r % 4 == 3)
            log_progress0("saliency: window %lld/%lld on rank 0 (%.2f s per pair)", (long long)(r + 1),
                          (long long)mine, wk.pair_s / (double)(wk.n_pairs_done ? wk.n_pairs_done : 1));
    }
    log_progress_done0();
    if (rc) log_error("%s", hw_error());
    for (int k = 0; k < N_KINDS; k++) {
        if (dfeat[k] >= 0) H5Dclose(dfeat[k]);
        if (dsal[k] >= 0) H5Dclose(dsal[k]);
    }
    /* the window table (rank 0's data, written collectively: every rank holds the same) */
    {
        int64_t *cols[3];
        for (int q = 0; q < 3; q++) cols[q] = xmalloc(((size_t)pl.n + 1) * sizeof(int64_t));
        int32_t *np = pl.n_pairs;
        for (int64_t i = 0; i < pl.n; i++) {
            cols[0][i] = pl.win[i];
            cols[1][i] = m->win_chrom[pl.win[i]];
            cols[2][i] = m->win_start[pl.win[i]];
        }
        static const char *const tn[3] = {"windows/index", "windows/chrom", "windows/start"};
        hsize_t dims[2] = {(hsize_t)pl.n, N_KINDS}, ch[2] = {(hsize_t)(pl.n > 0 ? pl.n : 1), N_KINDS};
        for (int q = 0; q < 3; q++) {
            hid_t ds = create_dset(f, tn[q], H5T_STD_I64LE, 1, dims, ch);
            if (write_rows(ds, H5T_NATIVE_INT64, 1, dims, 0, d.rank == 0 ? (hsize_t)pl.n : 0, cols[q], dxpl))
                rc = rc ? rc : hw_fail("%s: write failed", h5tmp);
            H5Dclose(ds);
            free(cols[q]);
        }
        hid_t ds = create_dset(f, "windows/n_pairs", H5T_STD_I32LE, 2, dims, ch);
        if (write_rows(ds, H5T_NATIVE_INT32, 2, dims, 0, d.rank == 0 ? (hsize_t)pl.n : 0, np, dxpl))
            rc = rc ? rc : hw_fail("%s: write failed", h5tmp);
        H5Dclose(ds);
    }
    if (H5Fclose(f) < 0) { /* full disk: HDF5 keeps a dangling id (dist.h) */
        rc = rc ? rc : hw_fail("%s: close failed", h5tmp);
        hw_dist_exit_failed_at_finalize();
    }
    double compute_s = MPI_Wtime() - t_start;
    double pair_s = wk.pair_s;
    int64_t pairs_done = wk.n_pairs_done;
    if (hw_dist_agree(&d, rc) != 0) goto done;

    /* ---- strips: chromosome c on rank c % size, from the written maps in window order ---- */
    int64_t *n_bins = xcalloc((size_t)m->n_chroms + 1, sizeof *n_bins);
    int *has = xcalloc((size_t)m->n_chroms + 1, sizeof *has);
    for (int64_t i = 0; i < pl.n; i++) has[m->win_chrom[pl.win[i]]] = 1;
    for (int cc = 0; cc < m->n_chroms; cc++)
        n_bins[cc] = (m->chrom_length[cc] + m->resolution - 1) / m->resolution;
    float ***strips = xcalloc((size_t)m->n_chroms + 1, sizeof *strips);
    int32_t ***counts = xcalloc((size_t)m->n_chroms + 1, sizeof *counts);
    for (int cc = 0; cc < m->n_chroms && !rc; cc++) {
        if (!has[cc] || cc % d.size != d.rank) continue;
        strips[cc] = xcalloc(2 * N_KINDS, sizeof **strips);
        counts[cc] = xcalloc(2 * N_KINDS, sizeof **counts);
        rc = chrom_strips(h5tmp, &pl, m, cc, n_bins[cc], S, &geo, want, strips[cc], counts[cc]);
    }
    if (rc) log_error("%s", hw_error());
    if (hw_dist_agree(&d, rc) == 0) {
        f = open_parallel(d.comm, h5tmp, 0);
        rc = f < 0 ? hw_fail("%s: cannot reopen", h5tmp) : 0;
        for (int cc = 0; cc < m->n_chroms && !rc; cc++) {
            if (!has[cc]) continue;
            const int own = cc % d.size == d.rank;
            for (int q = 0; q < 2 * N_KINDS && !rc; q++) {
                if (!want[q / 2]) continue;
                char n1[512], n2[600];
                snprintf(n1, sizeof n1, "strips/%s/%s_%s", m->chrom_name[cc], kind_name[q / 2], map_suffix[q % 2]);
                snprintf(n2, sizeof n2, "%s_count", n1);
                hsize_t dims[2] = {(hsize_t)S, (hsize_t)n_bins[cc]};
                hsize_t ch[2] = {(hsize_t)S, (hsize_t)(n_bins[cc] < 1024 ? (n_bins[cc] > 0 ? n_bins[cc] : 1) : 1024)};
                hid_t d1 = create_dset(f, n1, H5T_IEEE_F32LE, 2, dims, ch);
                hid_t d2 = create_dset(f, n2, H5T_STD_I32LE, 2, dims, ch);
                if (d1 < 0 || d2 < 0 ||
                    write_rows(d1, H5T_NATIVE_FLOAT, 2, dims, 0, own ? (hsize_t)S : 0, own ? strips[cc][q] : NULL, dxpl) ||
                    write_rows(d2, H5T_NATIVE_INT32, 2, dims, 0, own ? (hsize_t)S : 0, own ? counts[cc][q] : NULL, dxpl))
                    rc = hw_fail("%s: cannot write %s", h5tmp, n1);
                if (d1 >= 0) H5Dclose(d1);
                if (d2 >= 0) H5Dclose(d2);
            }
        }
        if (!rc) { /* provenance: every rank writes the same attributes (collective metadata) */
            char config[2048];
            snprintf(config, sizeof config,
                     "tile_store: %s\ncheckpoint: %s\nsplit: %s\nchrom: %s\nsteps: %d\npairs: %s\n"
                     "measure: %s\nrule: %s\nchunk: %d\nevery: %d\nregions: %s\nmask: %s\ninput_transform: %s\n"
                     "norm_region: %s\nsmooth: %d\n"
                     "feature_layer: features.2 (conv2, %d x %d, pixel r at bin 2 r + 6.5)\n"
                     "orientation: condition = higher class_id minus lower; replicate = later store "
                     "sample minus earlier\n"
                     "strips: rows = separation (bins), columns = midpoint bin; mean over the windows "
                     "covering each pixel\n",
                     store_path, ckpt, split_name, chrom_name ? chrom_name : "all", steps, pairs_name,
                     measure == HW_IG_PAIRWISE ? "pairwise" : "cosine",
                     rule == HW_IG_RULE_MIDPOINT ? "midpoint ((k + 1/2) / steps)" : "reference (k / (steps - 1))",
                     chunk, every,
                     regions_path ? regions_path : "none (every window)", hw_model_cfg(model)->mask ? "true" : "false",
                     hw_input_transform_name(hw_model_cfg(model)->input_transform),
                     hw_norm_region_name(hw_model_cfg(model)->norm_region),
                     hw_model_cfg(model)->smooth, G, G);
            hw_h5_write_attr_str(f, "format", "hitwin-saliency");
            hw_h5_write_attr_int(f, "format_version", 1);
            hw_h5_write_attr_str(f, "hitwin_version", HITWIN_VERSION_STRING);
            if (gnet) /* a cpu run's config is what it was before --device existed */
                snprintf(config + strlen(config), sizeof config - strlen(config),
                         "device: cuda (integrated gradients in fp32, passes of 64 interpolants; "
                         "embeddings and feature maps on the CPU)\n");
            hw_h5_write_attr_str(f, "config", config);
            hw_h5_write_attr_str(f, "checkpoint", ckpt);
            hw_h5_write_attr_str(f, "tile_store", store_path);
            hw_h5_write_attr_int(f, "resolution", m->resolution);
            hw_h5_write_attr_int(f, "tile_size", S);
            hw_h5_write_attr_int(f, "steps", steps);
            hw_h5_write_attr_str(f, "measure", measure == HW_IG_PAIRWISE ? "pairwise" : "cosine");
            hw_h5_write_attr_str(f, "rule", rule == HW_IG_RULE_MIDPOINT ? "midpoint" : "reference");
            hw_h5_write_attr_str(f, "pairs", pairs_name);
            hw_h5_write_attr_str(f, "split", split_name);
        }
        if (f >= 0 && H5Fclose(f) < 0) { /* full disk: HDF5 keeps a dangling id (dist.h) */
            rc = rc ? rc : hw_fail("%s: close failed", h5tmp);
            hw_dist_exit_failed_at_finalize();
        }
        if (rc) log_error("%s", hw_error());
        rc = hw_dist_agree(&d, rc);
    }
    if (!rc && d.rank == 0) { /* tracks, then every file renamed */
        char *tmp[4] = {0}, *fin[4] = {0};
        int nt = 0;
        rc = write_tracks(h5tmp, out_dir, stem, m, want, n_bins, has, tmp, fin, &nt);
        for (int q = 0; q < nt && !rc; q++) {
            if (rename(tmp[q], fin[q]) != 0) rc = hw_fail("%s: cannot rename to %s", tmp[q], fin[q]);
            hw_temp_forget(tmp[q]);
        }
        if (!rc && rename(h5tmp, h5path) != 0) rc = hw_fail("%s: cannot rename to %s", h5tmp, h5path);
        if (!rc) hw_temp_forget(h5tmp);
        for (int q = 0; q < nt; q++) {
            if (rc) unlink(tmp[q]);
            free(tmp[q]);
            free(fin[q]);
        }
        if (rc) log_error("%s", hw_error());
    }
    for (int cc = 0; cc < m->n_chroms; cc++) {
        if (!strips[cc]) continue;
        for (int q = 0; q < 2 * N_KINDS; q++) {
            free(strips[cc][q]);
            free(counts[cc][q]);
        }
        free(strips[cc]);
        free(counts[cc]);
    }
    free(strips);
    free(counts);
    free(n_bins);
    free(has);
    if (hw_dist_agree(&d, rc) == 0) {
        double all_s = 0.0;
        int64_t all_pairs = 0;
        MPI_Reduce(&pair_s, &all_s, 1, MPI_DOUBLE, MPI_SUM, 0, d.comm);
        MPI_Reduce(&pairs_done, &all_pairs, 1, MPI_INT64_T, MPI_SUM, 0, d.comm);
        if (d.rank == 0) {
            printf("saliency: %s: %lld windows, %lld pairs, %.3f s per pair (%d IG steps), compute %.2f s\n",
                   h5path, (long long)pl.n, (long long)all_pairs, all_pairs ? all_s / all_pairs : 0.0, steps,
                   compute_s);
            printf("elapsed: %.2f s\n", MPI_Wtime() - t_start);
            fflush(stdout);
        }
    } else {
        rc = -1;
    }
done:
    if (rc && d.rank == 0) unlink(h5tmp);
    H5Pclose(dxpl);
    free(wk.tiles);
    free(wk.x);
    free(wk.emb);
    free(wk.conv);
    free(wk.diff);
    free(wk.ig);
    for (int k = 0; k < N_KINDS; k++) {
        free(wk.feat[k]);
        free(wk.sal[k]);
    }
    free(pl.win);
    free(pl.n_pairs);
    hw_gpu_slenet_free(gnet);
    hw_stage_device_close(gpu);
    hw_model_free(model);
    hw_tile_store_close(store);
    return rc ? 1 : 0;
}
