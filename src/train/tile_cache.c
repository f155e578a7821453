/* The device tile cache's bookkeeping (include/hitwin/train_tile_cache.h). */
#include <stdlib.h>

#include "hitwin/error.h"
#include "hitwin/train_tile_cache.h"

int hw_tile_cache_init(hw_tile_cache *c, int64_t n_tiles, int32_t n_slots) {
    *c = (hw_tile_cache){0};
    if (n_tiles < 1 || n_slots < 1)
        return hw_fail("tile cache: %lld tiles, %d slots (internal error)", (long long)n_tiles,
                       (int)n_slots);
    c->n_tiles = n_tiles;
    c->n_slots = n_slots;
    c->slot_of = malloc((size_t)n_tiles * sizeof *c->slot_of);
    c->tile_of = malloc((size_t)n_slots * sizeof *c->tile_of);
    c->used_at = malloc((size_t)n_slots * sizeof *c->used_at);
    if (!c->slot_of || !c->tile_of || !c->used_at) {
        hw_tile_cache_free(c);
        return hw_fail("tile cache: out of host memory for %lld tiles", (long long)n_tiles);
    }
    for (int64_t t = 0; t < n_tiles; t++) c->slot_of[t] = -1;
    for (int32_t s = 0; s < n_slots; s++) c->tile_of[s] = -1, c->used_at[s] = -1;
    return 0;
}

void hw_tile_cache_free(hw_tile_cache *c) {
    free(c->slot_of);
    free(c->tile_of);
    free(c->used_at);
    *c = (hw_tile_cache){0};
}

int hw_tile_cache_stage(hw_tile_cache *c, const int64_t *tiles, int n, int32_t *slots,
                        int64_t *fetch_tile, int32_t *fetch_slot, int *n_fetch) {
    *n_fetch = 0;
    for (int i = 0; i < n; i++)
        if (tiles[i] < 0 || tiles[i] >= c->n_tiles)
            return hw_fail("tile cache: tile %lld of %lld (internal error)", (long long)tiles[i],
                           (long long)c->n_tiles);
    const int64_t now = ++c->stamp;
    /* pass 1: the cached tiles are this staging's (never victims below); count the rest */
    int64_t missing = 0, in_use = 0;
    for (int i = 0; i < n; i++) {
        int32_t s = c->slot_of[tiles[i]];
        if (s >= 0) {
            in_use += c->used_at[s] != now;
            c->used_at[s] = now;
        }
    }
    for (int i = 0; i < n; i++) /* a repeated missing tile counts once: marked -2 meanwhile */
        if (c->slot_of[tiles[i]] == -1) c->slot_of[tiles[i]] = -2, missing++;
    for (int i = 0; i < n; i++)
        if (c->slot_of[tiles[i]] == -2) c->slot_of[tiles[i]] = -1;
    if (in_use + missing > c->n_slots) {
        /* the slots stamped above carry a stamp no later staging has: harmless */
        return hw_fail("tile cache: a batch of %lld distinct tiles, %d slots (internal error)",
                       (long long)(in_use + missing), (int)c->n_slots);
    }
    /* pass 2: a slot for each missing tile, from the clock's next slot not staged now */
    for (int i = 0; i < n; i++) {
        int64_t t = tiles[i];
        if (c->slot_of[t] < 0) {
            while (c->used_at[c->hand] == now) c->hand = (c->hand + 1) % c->n_slots;
            int32_t s = c->hand;
            c->hand = (c->hand + 1) % c->n_slots;
            if (c->tile_of[s] >= 0) c->slot_of[c->tile_of[s]] = -1;
            c->tile_of[s] = t;
            c->slot_of[t] = s;
            c->used_at[s] = now;
            fetch_tile[*n_fetch] = t;
            fetch_slot[*n_fetch] = s;
            (*n_fetch)++;
            c->uploads++;
        }
        slots[i] = c->slot_of[t];
    }
    c->hits += n - *n_fetch;
    return 0;
}
