/* The tile store: one HDF5 file per dataset, written by all ranks at once and
 * readable with h5py alone. Layout (docs/tile-store.md):
 *
 *   /            attrs: format "hitwin-tiles", format_version 1, hitwin_version,
 *                       config (resolved YAML), name, resolution, tile_size, stride,
 *                       normalisation, type, min_row_coverage
 *   /tiles       float32 [W, S, T, T]: window x sample x tile; chunk [1, 1, T, T],
 *                shuffle + deflate (level from the config, default 1; 0 = none). A window's S tiles are adjacent chunks, so all
 *                samples at one genomic start come in one read. Rejected tiles are
 *                never written and read back as 0.
 *   /samples/    name, path, condition, replicate (strings) [S]; class_id int32 [S]
 *   /chroms/     name [C] (string), length int64 [C], split int8 [C]
 *   /windows/    chrom int32 [W] (index into /chroms), start int64 [W] (bp),
 *                split int8 [W] (0 train, 1 validation, 2 test)
 *   /qc/         kept uint8 [W, S], rows_covered int32 [W, S]
 *
 * W counts every evaluated window of every non-excluded chromosome (the
 * per-window QC table), kept or not. */
#ifndef HITWIN_TILE_STORE_H
#define HITWIN_TILE_STORE_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#define HW_TILE_STORE_FORMAT "hitwin-tiles"
#define HW_TILE_STORE_VERSION 1

typedef struct {
    char *config_yaml, *version, *name, *norm, *type;
    int32_t resolution, tile_size, stride;
    double min_row_coverage;
    int n_samples;
    char **sample_name, **sample_path, **condition, **replicate;
    int32_t *class_id;
    int n_chroms;
    char **chrom_name;
    int64_t *chrom_length;
    int8_t *chrom_split;
    int64_t n_windows;
    int32_t *win_chrom;
    int64_t *win_start;
    int8_t *win_split;
    uint8_t *kept;         /* [W * S] */
    int32_t *rows_covered; /* [W * S] */
} hw_tile_meta;

void hw_tile_meta_free(hw_tile_meta *m);

/* ---- writing (collective over comm) ------------------------------------------ */

typedef struct hw_tile_writer hw_tile_writer;

/* Create `path` with an empty /tiles [n_windows, n_samples, tile, tile]. */
hw_tile_writer *hw_tile_writer_create(MPI_Comm comm, const char *path, int64_t n_windows,
                                      int n_samples, int32_t tile, int deflate_level);

/* Write the tiles of windows [first_window, first_window + n) of one sample:
 * tiles is [n, T, T]. Collective: every rank calls this the same number of
 * times, with n = 0 when it has nothing to write. */
int hw_tile_writer_write(hw_tile_writer *w, int n, int64_t first_window, int sample,
                         const float *tiles);

/* Collective close. Returns -1 if any write failed on this rank. */
int hw_tile_writer_close(hw_tile_writer *w);
/* After a write failure the ranks agreed on: the store is given up without closing it
 * (that would fail and leave HDF5 unable to terminate: hw_dist_exit_failed_at_finalize).
 * The caller removes the file. */
void hw_tile_writer_abandon(hw_tile_writer *w);

/* After the collective close, one rank adds the tables and attributes. */
int hw_tile_store_write_meta(const char *path, const hw_tile_meta *meta);

/* ---- reading --------------------------------------------------------------------- */

typedef struct hw_tile_store hw_tile_store;

/* Open read-only and load the metadata; refuses other formats or versions. */
hw_tile_store *hw_tile_store_open(const char *path);
/* The same on an HDF5 file image in memory (the fuzzer's entry point); name
 * stands for the path in messages. buf must outlive the store. */
hw_tile_store *hw_tile_store_open_image(const void *buf, size_t n, const char *name);
void hw_tile_store_close(hw_tile_store *s);
const hw_tile_meta *hw_tile_store_meta(const hw_tile_store *s);

/* All samples' tiles at one window: out is [S, T, T]. */
int hw_tile_store_read_window(hw_tile_store *s, int64_t window, float *out);

#endif
