/* cooler reader (src/io/cool_*.c) on an HDF5 file image in memory (core
 * driver, no temp files): layout detection, attributes, bins/chroms tables,
 * the index, pixels, weights, expected values. */
#include "fuzz_common.h"
#include "hitwin/cool.h"

static int fetch(void *f, const hw_query *q, hw_contact_fn fn, void *ctx) { return cool_fetch(f, q, fn, ctx); }
static int64_t nbins(const void *f, int c, int32_t r) { return cool_nbins(f, c, r); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hw_info info;
    cool_file *c = cool_open_image(data, size, "fuzz.cool", &info);
    if (c) {
        fz_sweep(c, &info, fetch, nbins);
        cool_close(c);
    }
    return 0;
}
