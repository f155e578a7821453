// Batches assembled on the device (gpu_batch.h): the resident tiles uploaded once, then per
// batch one table upload and up to three kernels: the gather of the originals (a thread per
// output pixel), the Poisson copies and the dropout copies (a block per copy). Together they
// are hw_batch_gather_ref (batch_table.c); the draws come from train_thin.h, whose
// arithmetic rounds as the host's does, so the batch is bit-identical to hw_batcher_fill's.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cub/block/block_scan.cuh>

#include "gpu_internal.cuh"
#include "gpu_reduce.cuh"
#include "hitwin/gpu_batch.h"
#include "hitwin/train_augment.h"
#include "hitwin/train_thin.h"
#include "hitwin/train_tile_cache.h"

enum { COPY_THREADS = 256 }; // threads of a block that makes one copy

struct hw_gpu_tiles {
    hw_gpu *g;
    int64_t n_tiles;
    int T;
    int max_entries;
    void *tiles;              // device [n_slots, T, T]: every tile, or the streamed cache
    int u16;                  // every tile, as uint16 (the set holds counts exactly, fp32 else)
    float *batch;             // device [max_entries, T, T]
    hw_batch_entry *d_table;  // device [max_entries]
    hw_batch_entry *table;    // host [max_entries]
    // dropout copies: each block's list of non-zeros in shared memory when T*T int32 fit
    // (224 bins: 196 KiB of the H100's 227), else in `lists` ([max_entries, T, T] int32,
    // allocated at the first dropout copy)
    int lists_in_smem;
    int32_t *lists;
    // streamed (n_slots < n_tiles): the host's tiles, pinned when cudaHostRegister allows,
    // the cache's bookkeeping and its per-batch arrays ([max_entries] each)
    int32_t n_slots;
    int streamed, pinned;
    const float *host;
    hw_tile_cache cache;
    int64_t *want, *fetch_tile;
    int32_t *slot, *fetch_slot;
};

// Element k of output tile t. A thinned tile is drawn from its lower triangle: the thread of
// pixel (a, c), c <= a, draws it once and writes it and its mirror (c, a); the threads of the
// upper triangle have nothing to do. The flip maps flat index k to T*T-1-k.
template <typename Src>
__global__ static void gather_kernel(float *out, const Src *tiles, const hw_batch_entry *table,
                                     int T, size_t n) {
    const size_t TT = (size_t)T * T;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const size_t t = i / TT, k = i % TT;
        const hw_batch_entry e = table[t];
        if (e.aug != HW_AUG_IDENTITY) continue; // a copy: its own kernel below
        const Src *src = tiles + (size_t)e.tile * TT;
        float *dst = out + t * TT;
        if (!e.thin) {
            dst[e.flip ? TT - 1 - k : k] = (float)src[k];
            continue;
        }
        const size_t a = k / (size_t)T, c = k % (size_t)T;
        if (c > a) continue;
        const float v = hw_thin_pixel(hw_pois_key(e.thin_seed), (uint32_t)k, e.thin_p, (float)src[k]);
        const size_t m = c * (size_t)T + a;
        dst[e.flip ? TT - 1 - k : k] = v;
        dst[e.flip ? TT - 1 - m : m] = v;
    }
}

// A Poisson copy (hw_aug_poisson, then the flip): each thread draws lower-triangle pixels
// and writes them and their mirrors; the block adds the drawn tile (exact: integers), then
// rescales it. Blocks of other entries return at once.
template <typename Src>
__global__ static void poisson_kernel(float *out, const Src *tiles, const hw_batch_entry *table,
                                      int T) {
    const hw_batch_entry e = table[blockIdx.x];
    if (e.aug != HW_AUG_POISSON) return; // the whole block: no barrier is skipped by part of it
    const size_t TT = (size_t)T * T;
    const Src *src = tiles + (size_t)e.tile * TT;
    float *dst = out + (size_t)blockIdx.x * TT;
    const uint64_t key = hw_aug_poisson_key(e.aug_seed);
    double drawn = 0;
    for (size_t k = threadIdx.x; k < TT; k += blockDim.x) {
        const size_t a = k / (size_t)T, c = k % (size_t)T;
        if (c > a) continue;
        const float v = hw_thin_pixel(key, (uint32_t)k, 1.0, (float)src[k]);
        const size_t m = c * (size_t)T + a;
        dst[e.flip ? TT - 1 - k : k] = v;
        dst[e.flip ? TT - 1 - m : m] = v;
        drawn += a == c ? (double)v : 2.0 * (double)v;
    }
    drawn = hw_block_sum(drawn); // its barriers also order the writes above before the rescale
    float scale;
    if (hw_aug_poisson_scale(e.aug_value, drawn, &scale))
        for (size_t k = threadIdx.x; k < TT; k += blockDim.x) dst[k] *= scale;
}

// A dropout copy (hw_aug_dropout_apply with the entry's fraction and counter, then the
// flip): the block copies the tile and lists its non-zeros in memory order (a block scan per
// COPY_THREADS pixels), then one thread runs the partial Fisher-Yates, which is sequential:
// each swap may move an entry a later one picks.
template <typename Src>
__global__ static void dropout_kernel(float *out, const Src *tiles, const hw_batch_entry *table,
                                      int T, int32_t *lists, int lists_in_smem) {
    extern __shared__ int32_t smem_list[];
    typedef cub::BlockScan<int, COPY_THREADS> Scan;
    __shared__ typename Scan::TempStorage scan_storage;
    const hw_batch_entry e = table[blockIdx.x];
    if (e.aug != HW_AUG_DROPOUT) return;
    const size_t TT = (size_t)T * T;
    const Src *src = tiles + (size_t)e.tile * TT;
    float *dst = out + (size_t)blockIdx.x * TT;
    int32_t *list = lists_in_smem ? smem_list : lists + (size_t)blockIdx.x * TT;
    int64_t nnz = 0;
    for (size_t k0 = 0; k0 < TT; k0 += COPY_THREADS) {
        const size_t k = k0 + threadIdx.x;
        const int nonzero = k < TT && (float)src[k] != 0.0f;
        if (k < TT) dst[e.flip ? TT - 1 - k : k] = (float)src[k];
        int at = 0, count = 0;
        Scan(scan_storage).ExclusiveSum(nonzero, at, count);
        if (nonzero) list[nnz + at] = (int32_t)k;
        nnz += count;
        __syncthreads(); // scan_storage is used again
    }
    if (threadIdx.x != 0) return;
    const int64_t n = (int64_t)floor(HW_DMUL(e.aug_value, (double)nnz));
    const uint64_t key = hw_pois_key(e.aug_seed);
    uint64_t counter = e.aug_counter;
    for (int64_t i = 0; i < n; i++) {
        const uint64_t range = (uint64_t)(nnz - i);
        const int64_t j = i + (int64_t)(((uint64_t)hw_pois_u32(key, &counter) * range) >> 32);
        const int32_t t = list[i];
        list[i] = list[j];
        list[j] = t;
        const size_t z = (size_t)list[i];
        dst[e.flip ? TT - 1 - z : z] = 0.0f;
    }
}

extern "C" void hw_gpu_tiles_free(hw_gpu_tiles *t) {
    if (!t) return;
    // teardown: a failure here is not actionable (the device may be in a failed state)
    if (t->g) cudaStreamSynchronize(t->g->stream);
    hw_gpu_release(&t->tiles);
    hw_gpu_release((void **)&t->batch);
    hw_gpu_release((void **)&t->d_table);
    hw_gpu_release((void **)&t->lists);
    if (t->pinned) cudaHostUnregister((void *)t->host);
    hw_tile_cache_free(&t->cache);
    free(t->want);
    free(t->fetch_tile);
    free(t->slot);
    free(t->fetch_slot);
    free(t->table);
    free(t);
}

// Whether the dropout kernel's list of non-zeros fits in a block's shared memory (opt-in
// size, less the kernel's own static shared memory); if so, the kernel is allowed that much.
static int plan_lists(hw_gpu_tiles *t) {
    const size_t bytes = (size_t)t->T * t->T * sizeof(int32_t);
    int optin = 0;
    cudaFuncAttributes fa, fb;
    HW_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin,
                                         t->g->device));
    HW_CUDA_CHECK(cudaFuncGetAttributes(&fa, dropout_kernel<float>));
    HW_CUDA_CHECK(cudaFuncGetAttributes(&fb, dropout_kernel<uint16_t>));
    const size_t fixed = fa.sharedSizeBytes > fb.sharedSizeBytes ? fa.sharedSizeBytes : fb.sharedSizeBytes;
    t->lists_in_smem = bytes + fixed <= (size_t)optin;
    if (t->lists_in_smem) {
        HW_CUDA_CHECK(cudaFuncSetAttribute(dropout_kernel<float>,
                                           cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes));
        HW_CUDA_CHECK(cudaFuncSetAttribute(dropout_kernel<uint16_t>,
                                           cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes));
    }
    return 0;
}

// The whole set as uint16 (the caller's hw_tiles_exact_u16 said every value is a count), converted
// on the host a chunk at a time.
static int upload_u16(hw_gpu_tiles *t, const float *resident, size_t n) {
    const size_t CHUNK = (size_t)1 << 22;
    uint16_t *buf = (uint16_t *)malloc((n < CHUNK ? n : CHUNK) * sizeof(uint16_t));
    if (!buf) return hw_fail("device tiles: out of host memory");
    int rc = 0;
    for (size_t at = 0; at < n && rc == 0; at += CHUNK) {
        const size_t m = n - at < CHUNK ? n - at : CHUNK;
        for (size_t i = 0; i < m; i++) buf[i] = (uint16_t)resident[at + i];
        rc = hw_gpu_upload(t->g, (uint16_t *)t->tiles + at, buf, m * sizeof(uint16_t));
    }
    free(buf);
    return rc;
}

// Every tile uploaded once (n_slots == n_tiles), or a cache of n_slots filled per batch.
static hw_gpu_tiles *create(hw_gpu *g, const float *resident, int64_t n_tiles, int T,
                            int max_entries, int64_t n_slots, int counts) {
    if (n_tiles < 1 || T < 1 || T > 46340 || max_entries < 1 || n_slots < 1 || n_slots > n_tiles ||
        (n_slots < n_tiles && (n_slots < max_entries || n_slots > INT32_MAX))) {
        // T*T indices in int32; a cache holds at least one batch
        hw_fail("device tiles: %lld tiles of %d x %d in %lld slots, batches of %d (internal error)",
                (long long)n_tiles, T, T, (long long)n_slots, max_entries);
        return NULL;
    }
    hw_gpu_tiles *t = (hw_gpu_tiles *)calloc(1, sizeof *t);
    if (!t) {
        hw_fail("device tiles: out of host memory");
        return NULL;
    }
    t->g = g;
    t->n_tiles = n_tiles;
    t->T = T;
    t->max_entries = max_entries;
    t->n_slots = (int32_t)(n_slots < n_tiles ? n_slots : 0);
    t->streamed = n_slots < n_tiles;
    t->host = resident;
    const size_t TT = (size_t)T * T;
    t->u16 = !t->streamed && counts;
    t->table = (hw_batch_entry *)calloc((size_t)max_entries, sizeof *t->table);
    int rc = t->table ? 0 : hw_fail("device tiles: out of host memory");
    if (rc == 0)
        rc = hw_gpu_alloc(&t->tiles, (size_t)n_slots * TT * (t->u16 ? sizeof(uint16_t) : sizeof(float)));
    if (rc == 0) rc = hw_gpu_alloc((void **)&t->batch, (size_t)max_entries * TT * sizeof(float));
    if (rc == 0) rc = hw_gpu_alloc((void **)&t->d_table, (size_t)max_entries * sizeof(hw_batch_entry));
    if (rc == 0 && !t->streamed)
        rc = t->u16 ? upload_u16(t, resident, (size_t)n_tiles * TT)
                    : hw_gpu_upload(g, t->tiles, resident, (size_t)n_tiles * TT * sizeof(float));
    if (rc == 0 && t->streamed) {
        rc = hw_tile_cache_init(&t->cache, n_tiles, (int32_t)n_slots);
        t->want = (int64_t *)malloc((size_t)max_entries * sizeof(int64_t));
        t->fetch_tile = (int64_t *)malloc((size_t)max_entries * sizeof(int64_t));
        t->slot = (int32_t *)malloc((size_t)max_entries * sizeof(int32_t));
        t->fetch_slot = (int32_t *)malloc((size_t)max_entries * sizeof(int32_t));
        if (rc == 0 && !(t->want && t->fetch_tile && t->slot && t->fetch_slot))
            rc = hw_fail("device tiles: out of host memory");
        // pinned host memory makes the per-batch copies DMA; without it (a locked-memory
        // limit, say) they still work, staged by the driver
        if (rc == 0) {
            t->pinned = cudaHostRegister((void *)resident, (size_t)n_tiles * TT * sizeof(float),
                                         cudaHostRegisterDefault) == cudaSuccess;
            if (!t->pinned) (void)cudaGetLastError();
        }
    }
    if (rc == 0) rc = plan_lists(t);
    if (rc != 0) {
        hw_gpu_tiles_free(t);
        return NULL;
    }
    return t;
}

extern "C" hw_gpu_tiles *hw_gpu_tiles_create(hw_gpu *g, const float *resident, int64_t n_tiles,
                                             int T, int max_entries, int counts) {
    return create(g, resident, n_tiles, T, max_entries, n_tiles, counts);
}

extern "C" hw_gpu_tiles *hw_gpu_tiles_create_streamed(hw_gpu *g, const float *resident,
                                                      int64_t n_tiles, int T, int max_entries,
                                                      int64_t n_slots) {
    return create(g, resident, n_tiles, T, max_entries, n_slots, 0);
}

extern "C" int hw_gpu_tiles_streamed(const hw_gpu_tiles *t, int64_t *hits, int64_t *uploads) {
    if (hits) *hits = t->streamed ? t->cache.hits : 0;
    if (uploads) *uploads = t->streamed ? t->cache.uploads : 0;
    return t->streamed;
}

// Streamed: the batch's tiles into the cache (the missing ones copied from the host, queued
// on the stream after the previous batch's kernels, which may still read a slot being
// replaced), and the table's tiles turned into slots.
static int stage(hw_gpu_tiles *t, int n) {
    const size_t bytes = (size_t)t->T * t->T * sizeof(float);
    for (int i = 0; i < n; i++) t->want[i] = t->table[i].tile;
    int nf = 0;
    if (hw_tile_cache_stage(&t->cache, t->want, n, t->slot, t->fetch_tile, t->fetch_slot, &nf))
        return -1;
    for (int k = 0; k < nf; k++)
        HW_CUDA_CHECK(cudaMemcpyAsync((char *)t->tiles + (size_t)t->fetch_slot[k] * bytes, // fp32
                                      (const char *)t->host + (size_t)t->fetch_tile[k] * bytes,
                                      bytes, cudaMemcpyHostToDevice, t->g->stream));
    for (int i = 0; i < n; i++) t->table[i].tile = t->slot[i];
    return 0;
}

extern "C" size_t hw_gpu_tiles_bytes(const hw_gpu_tiles *t) {
    const size_t TT = (size_t)t->T * t->T;
    const size_t slots = t->streamed ? (size_t)t->n_slots : (size_t)t->n_tiles;
    return slots * TT * (t->u16 ? sizeof(uint16_t) : sizeof(float)) +
           (size_t)t->max_entries * TT * sizeof(float) +
           (size_t)t->max_entries * sizeof(hw_batch_entry);
}

extern "C" hw_batch_entry *hw_gpu_tiles_table(hw_gpu_tiles *t, int *max_entries) {
    *max_entries = t->max_entries;
    return t->table;
}

// The batch's kernels on the stream, for tiles stored as Src; errors at HW_LAUNCH_CHECK after.
template <typename Src>
static void launch(hw_gpu_tiles *t, int n, size_t total, int poisson, int dropout, const Src *tiles) {
    cudaStream_t st = t->g->stream;
    gather_kernel<Src><<<hw_grid(total, 256), 256, 0, st>>>(t->batch, tiles, t->d_table, t->T, total);
    if (cudaPeekAtLastError() != cudaSuccess) return;
    if (poisson) poisson_kernel<Src><<<n, COPY_THREADS, 0, st>>>(t->batch, tiles, t->d_table, t->T);
    if (cudaPeekAtLastError() != cudaSuccess) return;
    const size_t smem = t->lists_in_smem ? (size_t)t->T * t->T * sizeof(int32_t) : 0;
    if (dropout)
        dropout_kernel<Src><<<n, COPY_THREADS, smem, st>>>(t->batch, tiles, t->d_table, t->T,
                                                           t->lists, t->lists_in_smem);
}

extern "C" int hw_gpu_tiles_gather(hw_gpu_tiles *t, int n, const float **batch) {
    *batch = t->batch;
    if (n < 0 || n > t->max_entries)
        return hw_fail("device gather: %d tiles, room for %d (internal error)", n, t->max_entries);
    // the kernels trust the table: a bad index would read outside the resident set
    int poisson = 0, dropout = 0;
    for (int i = 0; i < n; i++) {
        const hw_batch_entry *e = &t->table[i];
        if (e->tile < 0 || e->tile >= t->n_tiles)
            return hw_fail("device gather: entry %d names tile %lld of %lld (internal error)", i,
                           (long long)e->tile, (long long)t->n_tiles);
        if (e->aug < HW_AUG_IDENTITY || e->aug > HW_AUG_DROPOUT)
            return hw_fail("device gather: entry %d has augmentation %d (internal error)", i,
                           (int)e->aug);
        poisson += e->aug == HW_AUG_POISSON;
        dropout += e->aug == HW_AUG_DROPOUT;
    }
    if (n == 0) return 0;
    const size_t TT = (size_t)t->T * t->T;
    if (t->streamed && stage(t, n) != 0) return -1;
    if (dropout && !t->lists_in_smem && !t->lists &&
        hw_gpu_alloc((void **)&t->lists, (size_t)t->max_entries * TT * sizeof(int32_t)))
        return -1;
    // the upload waits for the stream, so the previous batch's gather is done with the table
    if (hw_gpu_upload(t->g, t->d_table, t->table, (size_t)n * sizeof(hw_batch_entry))) return -1;
    const size_t total = (size_t)n * t->T * t->T;
    if (t->u16) launch(t, n, total, poisson, dropout, (const uint16_t *)t->tiles);
    else launch(t, n, total, poisson, dropout, (const float *)t->tiles);
    HW_LAUNCH_CHECK();
    return 0;
}
