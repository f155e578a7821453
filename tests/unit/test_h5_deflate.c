/* compress2 as src/io/h5_libdeflate.c defines it for HDF5's deflate filter: it must
 * succeed wherever zlib's compress2 succeeds. HDF5 asks with dest_len =
 * compressBound(src_len); incompressible input (a small map of noise) used to come
 * back Z_BUF_ERROR from libdeflate, and parallel HDF5 then wrote an unreadable chunk. */
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "test_util.h"

static uint64_t state = 0x9e3779b97f4a7c15ULL;
static unsigned char next_byte(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (unsigned char)(state >> 24);
}

/* Compress with the bound HDF5 gives, then inflate with zlib: the bytes must come back. */
static void round_trip(const unsigned char *src, size_t n, int level, const char *what) {
    uLongf cap = compressBound((uLong)n), zn = cap;
    unsigned char *z = malloc(cap), *back = malloc(n + 1);
    int rc = compress2(z, &zn, src, (uLong)n, level);
    if (rc != Z_OK) {
        fprintf(stderr, "compress2(%s, %zu bytes, level %d) = %d, expected Z_OK\n", what, n, level, rc);
        test_failures++;
    } else {
        CHECK(zn <= cap);
        uLongf bn = (uLongf)n;
        CHECK_INT_EQ(uncompress(back, &bn, z, zn), Z_OK);
        CHECK_INT_EQ(bn, n);
        CHECK(memcmp(back, src, n) == 0);
    }
    free(z);
    free(back);
}

int main(void) {
    static unsigned char noise[1 << 17], zeros[4096];
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = next_byte();
    const size_t sizes[] = {1, 10, 100, 400, 4096, 40000, sizeof noise};
    const int levels[] = {1, 4, 6, 9};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (size_t l = 0; l < sizeof levels / sizeof *levels; l++) {
            round_trip(noise, sizes[s], levels[l], "noise");
            round_trip(zeros, sizes[s] < sizeof zeros ? sizes[s] : sizeof zeros, levels[l], "zeros");
        }
    /* too little room is still an error, as zlib reports it */
    unsigned char small[16];
    uLongf sn = sizeof small;
    CHECK_INT_EQ(compress2(small, &sn, noise, 400, 1), Z_BUF_ERROR);
    if (test_failures) return 1;
    printf("ok\n");
    return 0;
}
