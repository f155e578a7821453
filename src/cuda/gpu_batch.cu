// Batches assembled on the device (gpu_batch.h): the resident tiles uploaded once, then per
// batch one table upload and one gather kernel. The kernel is hw_batch_gather_ref
// (batch_table.c) with one thread per output pixel; thinning's draws come from
// train_thin.h, whose arithmetic rounds as the host's does, so the batch is bit-identical
// to hw_batcher_fill's.
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.cuh"
#include "hitwin/gpu_batch.h"
#include "hitwin/train_thin.h"

struct hw_gpu_tiles {
    hw_gpu *g;
    int64_t n_tiles;
    int T;
    int max_entries;
    float *tiles;             // device [n_tiles, T, T]
    float *batch;             // device [max_entries, T, T]
    hw_batch_entry *d_table;  // device [max_entries]
    hw_batch_entry *table;    // host [max_entries]
};

// Element k of output tile t. A thinned tile is drawn from its lower triangle: the thread of
// pixel (a, c), c <= a, draws it once and writes it and its mirror (c, a); the threads of the
// upper triangle have nothing to do. The flip maps flat index k to T*T-1-k.
__global__ static void gather_kernel(float *out, const float *tiles, const hw_batch_entry *table,
                                     int T, size_t n) {
    const size_t TT = (size_t)T * T;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const size_t t = i / TT, k = i % TT;
        const hw_batch_entry e = table[t];
        const float *src = tiles + (size_t)e.tile * TT;
        float *dst = out + t * TT;
        if (!e.thin) {
            dst[e.flip ? TT - 1 - k : k] = src[k];
            continue;
        }
        const size_t a = k / (size_t)T, c = k % (size_t)T;
        if (c > a) continue;
        const float v = hw_thin_pixel(hw_pois_key(e.thin_seed), (uint32_t)k, e.thin_p, src[k]);
        const size_t m = c * (size_t)T + a;
        dst[e.flip ? TT - 1 - k : k] = v;
        dst[e.flip ? TT - 1 - m : m] = v;
    }
}

extern "C" void hw_gpu_tiles_free(hw_gpu_tiles *t) {
    if (!t) return;
    // teardown: a failure here is not actionable (the device may be in a failed state)
    if (t->g) cudaStreamSynchronize(t->g->stream);
    hw_gpu_release((void **)&t->tiles);
    hw_gpu_release((void **)&t->batch);
    hw_gpu_release((void **)&t->d_table);
    free(t->table);
    free(t);
}

extern "C" hw_gpu_tiles *hw_gpu_tiles_create(hw_gpu *g, const float *resident, int64_t n_tiles,
                                             int T, int max_entries) {
    if (n_tiles < 1 || T < 1 || T > 65535 || max_entries < 1) {
        hw_fail("device tiles: %lld tiles of %d x %d, batches of %d (internal error)",
                (long long)n_tiles, T, T, max_entries);
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
    const size_t TT = (size_t)T * T;
    t->table = (hw_batch_entry *)calloc((size_t)max_entries, sizeof *t->table);
    int rc = t->table ? 0 : hw_fail("device tiles: out of host memory");
    if (rc == 0) rc = hw_gpu_alloc((void **)&t->tiles, (size_t)n_tiles * TT * sizeof(float));
    if (rc == 0) rc = hw_gpu_alloc((void **)&t->batch, (size_t)max_entries * TT * sizeof(float));
    if (rc == 0) rc = hw_gpu_alloc((void **)&t->d_table, (size_t)max_entries * sizeof(hw_batch_entry));
    if (rc == 0) rc = hw_gpu_upload(g, t->tiles, resident, (size_t)n_tiles * TT * sizeof(float));
    if (rc != 0) {
        hw_gpu_tiles_free(t);
        return NULL;
    }
    return t;
}

extern "C" size_t hw_gpu_tiles_bytes(const hw_gpu_tiles *t) {
    const size_t TT = (size_t)t->T * t->T;
    return ((size_t)t->n_tiles + (size_t)t->max_entries) * TT * sizeof(float) +
           (size_t)t->max_entries * sizeof(hw_batch_entry);
}

extern "C" hw_batch_entry *hw_gpu_tiles_table(hw_gpu_tiles *t, int *max_entries) {
    *max_entries = t->max_entries;
    return t->table;
}

extern "C" int hw_gpu_tiles_gather(hw_gpu_tiles *t, int n, const float **batch) {
    *batch = t->batch;
    if (n < 0 || n > t->max_entries)
        return hw_fail("device gather: %d tiles, room for %d (internal error)", n, t->max_entries);
    // the kernel trusts the table: a bad index would read outside the resident set
    for (int i = 0; i < n; i++)
        if (t->table[i].tile < 0 || t->table[i].tile >= t->n_tiles)
            return hw_fail("device gather: entry %d names tile %lld of %lld (internal error)", i,
                           (long long)t->table[i].tile, (long long)t->n_tiles);
    if (n == 0) return 0;
    // the upload waits for the stream, so the previous batch's gather is done with the table
    if (hw_gpu_upload(t->g, t->d_table, t->table, (size_t)n * sizeof(hw_batch_entry))) return -1;
    const size_t total = (size_t)n * t->T * t->T;
    gather_kernel<<<hw_grid(total, 256), 256, 0, t->g->stream>>>(t->batch, t->tiles, t->d_table,
                                                                 t->T, total);
    HW_LAUNCH_CHECK();
    return 0;
}
