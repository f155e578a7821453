/* Training and validation batches assembled on the GPU (docs/gpu.md, "Batches on the
 * device"): the resident windows (train_preload.h) are uploaded once, fp32, and each batch
 * is one small upload, its table of hw_batch_entry (one per output tile, built on the host
 * by hw_batch_table, train_batch.h), and one gather kernel that writes the [n, views, T, T]
 * batch in hw_batcher_fill's order with the recipe's thinning and flip applied, bit-identical
 * to hw_batcher_fill's tiles. The reference's n_aug copies are made there too, by a second
 * kernel with a block per copy: the Poisson resample (a thread per pixel, a block sum for the
 * rescale) and the pixel dropout (the non-zeros listed in order with a block scan, then the
 * sequential partial Fisher-Yates of hw_aug_dropout_apply in one thread, on a list in shared
 * memory when it fits).
 *
 * The entry layout is plain C, shared by the C reference gather (hw_batch_gather_ref, every
 * build) and the kernel; the functions are only built with the CUDA backend
 * (HITWIN_HAVE_CUDA). Errors: 0 or -1 (NULL for the constructor) with one hw_error() line. */
#ifndef HITWIN_GPU_BATCH_H
#define HITWIN_GPU_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "hitwin/gpu_context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One output tile: copy resident tile `tile`, thinned (hw_aug_thin with thin_seed, whose p
 * is thin_p = hw_thin_p(thin_seed, p_min), computed on the host) when `thin`, or augmented
 * as the reference's copy (hw_augment) when `aug` is not HW_AUG_IDENTITY, then reversed
 * (hw_aug_flip) when `flip`. The augmentation's draws that need no pixel (its choice, the
 * dropout fraction) are made on the host. */
typedef struct {
    int64_t tile;         /* resident window slot * S + sample */
    uint64_t thin_seed;   /* the tile's thinning stream (hw_aug_seed(seed, epoch, item, 0, view)) */
    double thin_p;
    int32_t thin;
    int32_t flip;
    int32_t aug;          /* hw_aug_kind of a copy (train_augment.h); 0 for an original */
    int32_t pad;
    uint64_t aug_seed;    /* the copy's stream (hw_aug_seed(seed, epoch, item, copy, view)) */
    uint64_t aug_counter; /* dropout: the stream's counter at the first swap */
    double aug_value;     /* Poisson: sum of the source tile (hw_aug_tile_sum); dropout: f */
} hw_batch_entry;

typedef struct hw_gpu_tiles hw_gpu_tiles;

/* 1 when every one of the n values is a count that a uint16 holds exactly (an integer in
 * [0, 65535], not -0), as raw .hic and .cool counts are; then the device keeps the set in
 * 16 bits, half the memory, and reads back the same floats. Plain C (batch_table.c). */
int hw_tiles_exact_u16(const float *t, size_t n);

/* Upload n_tiles resident tiles [n_tiles, T, T] (host, fp32; kept as uint16 on the device
 * when `counts`, which the caller sets to hw_tiles_exact_u16 of the set: one pass over it,
 * made once, where the caller also needs it) and allocate a batch of up to max_entries tiles
 * and its table. NULL with hw_fail when the device memory is not there
 * (the trainer then assembles on the host). */
hw_gpu_tiles *hw_gpu_tiles_create(hw_gpu *g, const float *resident, int64_t n_tiles, int T,
                                  int max_entries, int counts);
/* Streamed, for a set larger than the GPU can hold: a cache of n_slots tiles
 * (max_entries <= n_slots < n_tiles) filled per batch from `resident`, which must stay
 * valid (and unchanged) until hw_gpu_tiles_free; it is pinned (cudaHostRegister) when the
 * system allows, so the copies are DMA. Each gather copies the batch's tiles that are not
 * cached (hw_tile_cache, train_tile_cache.h) before its kernels, on the same stream; the
 * batch is the same as with every tile resident. */
hw_gpu_tiles *hw_gpu_tiles_create_streamed(hw_gpu *g, const float *resident, int64_t n_tiles,
                                           int T, int max_entries, int64_t n_slots);
void hw_gpu_tiles_free(hw_gpu_tiles *t);
/* 1 when streamed, with the cache's lookups that hit and its uploads so far; 0 otherwise. */
int hw_gpu_tiles_streamed(const hw_gpu_tiles *t, int64_t *hits, int64_t *uploads);
size_t hw_gpu_tiles_bytes(const hw_gpu_tiles *t); /* device bytes: tiles or cache, batch, table */
/* The host table to fill (*max_entries entries: the constructor's), then hw_gpu_tiles_gather. */
hw_batch_entry *hw_gpu_tiles_table(hw_gpu_tiles *t, int *max_entries);
/* Upload the first n entries of the table and queue the gather on the context's stream;
 * *batch: the device batch [n, T, T], valid until the next gather. Entries naming a tile
 * outside the set are refused before anything is queued. */
int hw_gpu_tiles_gather(hw_gpu_tiles *t, int n, const float **batch);

#ifdef __cplusplus
}
#endif
#endif
