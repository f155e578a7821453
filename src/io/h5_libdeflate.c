/* Faster deflate for HDF5: zlib's compress2 (writes) and inflate (reads), served by
 * libdeflate.
 *
 * Writing the tile store is dominated by HDF5's deflate filter (bench/tile.sh:
 * 80 % of `hitwin tile` time in zlib). HDF5 refuses to replace its predefined
 * filters (H5Zregister rejects ids below 256), and h5py readers need the stock
 * deflate id, so instead this file defines compress2 itself: HDF5's deflate
 * filter calls compress2, and the executable's definition takes precedence over
 * libz's. libdeflate writes the same zlib-format stream (any zlib inflates it),
 * about 2.4x faster at level 1 and slightly smaller. Levels libdeflate does not
 * have fall back to the real zlib through dlsym(RTLD_NEXT).
 *
 * HDF5 compresses chunks one after another inside H5Dwrite, so one process
 * uses one core for it. hw_deflate_prepare lets a writer compress the chunks of
 * its next H5Dwrite beforehand on several threads (the tile stage does, when
 * its rank has more than one core); compress2 then returns those results for
 * byte-identical inputs.
 *
 * Reads: HDF5's deflate filter hands inflate a whole chunk with an output buffer
 * of the chunk's size, so the first call on a fresh stream can decompress it in
 * one go with libdeflate (2-3x zlib's speed; it checks the Adler-32 too). Anything
 * else (a stream part-way through, output that does not fit, not a zlib stream,
 * corrupt data) goes to the real inflate, whose state has not been touched, so
 * errors and messages are zlib's own. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hitwin/h5_util.h"
#include "hitwin/xalloc.h"

/* Results of hw_deflate_prepare: inputs compressed ahead of time, on several
 * threads, that compress2 hands back when HDF5 asks for exactly those bytes. */
typedef struct {
    const unsigned char *input;
    size_t len;
    int level;
    unsigned char *output;
    size_t output_len; /* 0 = not compressible into the bound (never happens) */
} prepared_chunk;

static prepared_chunk *prepared;
static int n_prepared, prepared_cap, next_prepared; /* HDF5 asks in order: try next first */

typedef int (*compress2_fn)(Bytef *, uLongf *, const Bytef *, uLong, int);

static int zlib_compress2(Bytef *dest, uLongf *dest_len, const Bytef *src, uLong src_len, int level) {
    static compress2_fn real;
    if (!real) real = (compress2_fn)dlsym(RTLD_NEXT, "compress2");
    if (!real) return Z_STREAM_ERROR;
    return real(dest, dest_len, src, src_len, level);
}

/* One compressor per level and thread; a prepare thread frees its own when it ends
 * (hw_deflate_prepare starts new ones each round: kept, they leaked ~200 KB a round). */
static _Thread_local struct libdeflate_compressor *compressors[10];

static struct libdeflate_compressor *compressor_for(int level) {
    if (!compressors[level]) compressors[level] = libdeflate_alloc_compressor(level);
    return compressors[level];
}

static void free_thread_compressors(void) {
    for (int l = 0; l < 10; l++) {
        if (compressors[l]) libdeflate_free_compressor(compressors[l]);
        compressors[l] = NULL;
    }
}

int compress2(Bytef *dest, uLongf *dest_len, const Bytef *src, uLong src_len, int level) {
    if (level == Z_DEFAULT_COMPRESSION) level = 6;
    if (level < 1 || level > 9) return zlib_compress2(dest, dest_len, src, src_len, level);
    /* Prepared ahead? The input must be byte-identical, so a stale or unrelated
     * entry can never be returned; a miss just compresses here. */
    for (int i = 0; i < n_prepared; i++) {
        int k = (next_prepared + i) % n_prepared;
        prepared_chunk *p = &prepared[k];
        if (p->len == src_len && p->level == level && p->output_len > 0 &&
            p->output_len <= *dest_len && memcmp(p->input, src, src_len) == 0) {
            memcpy(dest, p->output, p->output_len);
            *dest_len = (uLongf)p->output_len;
            next_prepared = k + 1;
            return Z_OK;
        }
    }
    struct libdeflate_compressor *c = compressor_for(level);
    if (!c) return Z_MEM_ERROR;
    size_t n = libdeflate_zlib_compress(c, src, src_len, dest, *dest_len);
    /* libdeflate gives up on output that would fit but leaves it too little slack
     * (incompressible input with dest_len = compressBound, as HDF5's deflate filter
     * asks). zlib's compress2 succeeds there, so it must do the work: a failed
     * optional filter makes HDF5 store the chunk raw, and parallel HDF5 1.10 then
     * loses the filter mask that says so, leaving a chunk that cannot be read. */
    if (n == 0) return zlib_compress2(dest, dest_len, src, src_len, level);
    *dest_len = (uLongf)n;
    return Z_OK;
}

typedef struct {
    int first, step;
    int own_thread; /* a thread started for this job: frees its compressors at the end */
} prepare_job;

static void *prepare_worker(void *arg) {
    const prepare_job *job = arg;
    for (int k = job->first; k < n_prepared; k += job->step) {
        prepared_chunk *p = &prepared[k];
        struct libdeflate_compressor *c = compressor_for(p->level);
        size_t bound = c ? libdeflate_zlib_compress_bound(c, p->len) : 0;
        p->output = bound ? malloc(bound) : NULL;
        p->output_len = p->output ? libdeflate_zlib_compress(c, p->input, p->len, p->output, bound) : 0;
    }
    if (job->own_thread) free_thread_compressors();
    return NULL;
}

void hw_deflate_prepare(const unsigned char *const *inputs, size_t len, int n, int level, int threads) {
    hw_deflate_forget();
    if (level < 1 || level > 9 || n <= 0) return;
    if (n > prepared_cap) {
        prepared = xrealloc(prepared, (size_t)n * sizeof *prepared);
        prepared_cap = n;
    }
    for (int k = 0; k < n; k++) prepared[k] = (prepared_chunk){inputs[k], len, level, NULL, 0};
    n_prepared = n;
    if (threads > n) threads = n;
    if (threads < 1) threads = 1;
    pthread_t tid[64];
    prepare_job jobs[64];
    if (threads > 64) threads = 64;
    int started = 0;
    for (int t = 1; t < threads; t++) {
        jobs[t] = (prepare_job){t, threads, 1};
        if (pthread_create(&tid[t], NULL, prepare_worker, &jobs[t]) != 0) break;
        started = t;
    }
    /* this thread takes its share, and the shares of threads that did not start */
    for (int t = started + 1; t < threads; t++) {
        jobs[t] = (prepare_job){t, threads, 0};
        prepare_worker(&jobs[t]);
    }
    jobs[0] = (prepare_job){0, threads, 0};
    prepare_worker(&jobs[0]);
    for (int t = 1; t <= started; t++) pthread_join(tid[t], NULL);
}

void hw_deflate_forget(void) {
    for (int k = 0; k < n_prepared; k++) free(prepared[k].output);
    n_prepared = 0;
    next_prepared = 0;
}

int hw_h5_use_libdeflate(void) {
    /* Referenced from hw_h5_quiet so that this object, and with it compress2,
     * is linked into every program that writes HDF5 through this library. */
    return 0;
}

/* ---- reads ---------------------------------------------------------------------- */

typedef int (*inflate_fn)(z_streamp, int);

/* HDF5 starts with an output buffer the size of the compressed chunk and grows it
 * while inflate fills it, so the whole chunk is decompressed here at the first call
 * and handed out as the caller's buffer allows, one stream at a time per thread. */
typedef struct {
    z_streamp strm; /* the stream being served, NULL when none */
    unsigned char *buf;
    size_t cap, len, served;
} inflated;

static int serve(inflated *f, z_streamp strm) {
    size_t n = f->len - f->served;
    if (n > strm->avail_out) n = strm->avail_out;
    memcpy(strm->next_out, f->buf + f->served, n);
    f->served += n;
    strm->next_out += n;
    strm->avail_out -= (uInt)n;
    strm->total_out += n;
    strm->msg = NULL;
    if (f->served < f->len) return Z_OK;
    f->strm = NULL;
    return Z_STREAM_END;
}

int inflate(z_streamp strm, int flush) {
    static inflate_fn real;
    static _Thread_local inflated f;
    static _Thread_local struct libdeflate_decompressor *d;
    if (!real) real = (inflate_fn)dlsym(RTLD_NEXT, "inflate");
    if (strm && f.strm == strm && strm->total_out == f.served && strm->next_out && strm->avail_out > 0)
        return serve(&f, strm); /* the rest of a chunk decompressed at the first call */
    if (strm && strm->total_in == 0 && strm->total_out == 0 && strm->next_in && strm->next_out &&
        strm->avail_in > 0 && strm->avail_out > 0) {
        if (!d) d = libdeflate_alloc_decompressor();
        if (f.cap < 4 * (size_t)strm->avail_in) {
            f.cap = 4 * (size_t)strm->avail_in;
            f.buf = xrealloc(f.buf, f.cap);
        }
        enum libdeflate_result r = LIBDEFLATE_INSUFFICIENT_SPACE;
        size_t used = 0;
        while (d && r == LIBDEFLATE_INSUFFICIENT_SPACE && f.cap <= ((size_t)1 << 32)) {
            r = libdeflate_zlib_decompress_ex(d, strm->next_in, strm->avail_in, f.buf, f.cap, &used, &f.len);
            if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
                f.cap *= 2;
                f.buf = xrealloc(f.buf, f.cap);
            }
        }
        if (r == LIBDEFLATE_SUCCESS) {
            strm->adler = libdeflate_adler32(1, f.buf, f.len);
            strm->next_in += used;
            strm->avail_in -= (uInt)used;
            strm->total_in += used;
            f.strm = strm;
            f.served = 0;
            return serve(&f, strm);
        }
        f.strm = NULL; /* not ours to serve: zlib's own inflate, state untouched */
    }
    return real ? real(strm, flush) : Z_STREAM_ERROR;
}
