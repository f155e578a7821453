/* Which resident tiles are in which slot of a device tile buffer smaller than the resident
 * set (gpu_batch.h, "streamed"): the bookkeeping of the GPU's tile cache, in plain C so that
 * the CPU tests check it. A batch's tiles are staged before its gather: each gets a slot,
 * the ones not cached yet are listed for upload, and a slot is given to another tile only
 * when no tile of the batch being staged is in it. Victims are taken round the slots in
 * turn (a clock), so a tile stays as long as n_slots other tiles have not come in since.
 * Ordering the uploads after the previous batch's reads is the caller's (gpu_batch.cu queues
 * both on one stream). */
#ifndef HITWIN_TRAIN_TILE_CACHE_H
#define HITWIN_TRAIN_TILE_CACHE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int64_t n_tiles;  /* resident tiles */
    int32_t n_slots;
    int32_t *slot_of; /* [n_tiles]: the tile's slot, or -1 */
    int64_t *tile_of; /* [n_slots]: the slot's tile, or -1 */
    int64_t *used_at; /* [n_slots]: the last staging that used the slot */
    int64_t stamp;    /* stagings so far */
    int32_t hand;     /* the clock: the next slot to look at for a victim */
    int64_t hits, uploads;
} hw_tile_cache;

/* 0, or -1 with hw_fail (n_slots < 1, or no memory). */
int hw_tile_cache_init(hw_tile_cache *c, int64_t n_tiles, int32_t n_slots);
void hw_tile_cache_free(hw_tile_cache *c);

/* Slots for tiles[0..n) (repeats allowed) into slots[i]; the tiles to upload, each once,
 * into fetch_tile[k] -> fetch_slot[k], k < *n_fetch (both arrays of n). -1 with hw_fail
 * when a tile is outside [0, n_tiles) or the batch has more distinct tiles than slots
 * (nothing is changed then). */
int hw_tile_cache_stage(hw_tile_cache *c, const int64_t *tiles, int n, int32_t *slots,
                        int64_t *fetch_tile, int32_t *fetch_slot, int *n_fetch);

#ifdef __cplusplus
}
#endif
#endif
