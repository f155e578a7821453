/* The device tile cache's bookkeeping (train_tile_cache.h): a random run of stagings against
 * a model of the device buffer (each fetch writes its tile into its slot): every staged tile
 * is then in the slot it was given, nothing cached is fetched again, nothing is fetched twice
 * in one staging, the maps stay each other's inverse; a cache as large as the set fetches
 * each tile once; the clock's first slots; exact refusals (a tile outside the set, a batch
 * larger than the cache), after which the cache still works. */
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/train_tile_cache.h"
#include "test_util.h"

enum { NT = 50, NS = 12, MAXB = 10 };

static int consistent(const hw_tile_cache *c) {
    int ok = 1;
    for (int32_t s = 0; s < c->n_slots; s++)
        if (c->tile_of[s] >= 0) ok &= c->slot_of[c->tile_of[s]] == s;
    for (int64_t t = 0; t < c->n_tiles; t++)
        if (c->slot_of[t] >= 0) ok &= c->tile_of[c->slot_of[t]] == t;
    return ok;
}

/* stage and apply the fetches to dev[]; 1 when every rule above holds for this staging */
static int stage_checked(hw_tile_cache *c, int64_t *dev, const int64_t *tiles, int n) {
    int32_t slots[64], fslot[64];
    int64_t ftile[64];
    int nf = -1, ok = 1;
    int32_t before[NT];
    memcpy(before, c->slot_of, sizeof before);
    if (hw_tile_cache_stage(c, tiles, n, slots, ftile, fslot, &nf) != 0) return 0;
    for (int k = 0; k < nf; k++) {
        ok &= before[ftile[k]] < 0; /* only what was not cached */
        for (int j = 0; j < k; j++) ok &= ftile[j] != ftile[k] && fslot[j] != fslot[k];
        dev[fslot[k]] = ftile[k];
    }
    for (int i = 0; i < n; i++) ok &= slots[i] >= 0 && slots[i] < c->n_slots && dev[slots[i]] == tiles[i];
    return ok && consistent(c);
}

int main(void) {
    hw_tile_cache c;
    int64_t dev[NT];
    srand(12345);

    /* the clock's first slots, a hit, a repeat within a batch */
    CHECK_INT_EQ(hw_tile_cache_init(&c, NT, NS), 0);
    for (int s = 0; s < NT; s++) dev[s] = -1;
    {
        int64_t t1[3] = {5, 7, 5};
        int32_t slots[3], fs[3];
        int64_t ft[3];
        int nf = 0;
        CHECK_INT_EQ(hw_tile_cache_stage(&c, t1, 3, slots, ft, fs, &nf), 0);
        CHECK_INT_EQ(nf, 2);
        CHECK(slots[0] == 0 && slots[1] == 1 && slots[2] == 0);
        CHECK(ft[0] == 5 && fs[0] == 0 && ft[1] == 7 && fs[1] == 1);
        int64_t t2[2] = {7, 9};
        CHECK_INT_EQ(hw_tile_cache_stage(&c, t2, 2, slots, ft, fs, &nf), 0);
        CHECK_INT_EQ(nf, 1);
        CHECK(slots[0] == 1 && slots[1] == 2 && ft[0] == 9);
        CHECK_INT_EQ(c.uploads, 3);
        CHECK_INT_EQ(c.hits, 2);
    }
    hw_tile_cache_free(&c);

    /* a random run: batches of 1 to MAXB tiles (repeats allowed) from 50, 12 slots */
    CHECK_INT_EQ(hw_tile_cache_init(&c, NT, NS), 0);
    for (int s = 0; s < NT; s++) dev[s] = -1;
    int bad = 0, runs = 2000;
    for (int r = 0; r < runs; r++) {
        int n = 1 + rand() % MAXB;
        int64_t tiles[MAXB];
        for (int i = 0; i < n; i++) tiles[i] = rand() % (r % 3 ? 15 : NT); /* some locality */
        bad += !stage_checked(&c, dev, tiles, n);
    }
    printf("random run: %d stagings, %lld lookups hit, %lld uploads, %d bad\n", runs,
           (long long)c.hits, (long long)c.uploads, bad);
    CHECK_INT_EQ(bad, 0);
    CHECK(c.hits > 0 && c.uploads > NS);

    /* refusals, then the cache still works */
    int64_t many[NS + 1], out_of[1] = {NT};
    for (int i = 0; i <= NS; i++) many[i] = 20 + i;
    int32_t slots[NS + 1], fs[NS + 1];
    int64_t ft[NS + 1];
    int nf = 0;
    CHECK_INT_EQ(hw_tile_cache_stage(&c, many, NS + 1, slots, ft, fs, &nf), -1);
    CHECK_STR_EQ(hw_error(), "tile cache: a batch of 13 distinct tiles, 12 slots (internal error)");
    CHECK_INT_EQ(hw_tile_cache_stage(&c, out_of, 1, slots, ft, fs, &nf), -1);
    CHECK_STR_EQ(hw_error(), "tile cache: tile 50 of 50 (internal error)");
    CHECK(consistent(&c));
    CHECK(stage_checked(&c, dev, many, NS)); /* exactly as many as the slots */
    hw_tile_cache_free(&c);

    /* as many slots as tiles: each tile is fetched once, whatever the order */
    CHECK_INT_EQ(hw_tile_cache_init(&c, NT, NT), 0);
    for (int s = 0; s < NT; s++) dev[s] = -1;
    for (int r = 0; r < 500; r++) {
        int n = 1 + rand() % MAXB;
        int64_t tiles[MAXB];
        for (int i = 0; i < n; i++) tiles[i] = rand() % NT;
        bad += !stage_checked(&c, dev, tiles, n);
    }
    CHECK_INT_EQ(bad, 0);
    CHECK(c.uploads <= NT);
    hw_tile_cache_free(&c);

    CHECK_INT_EQ(hw_tile_cache_init(&c, NT, 0), -1);
    CHECK_STR_EQ(hw_error(), "tile cache: 50 tiles, 0 slots (internal error)");
    return TEST_RESULT();
}
