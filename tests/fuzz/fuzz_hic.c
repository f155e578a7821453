/* .hic reader (src/io/hic_*.c): header, footer (master index, expected and
 * normalisation vectors, v9 norm index), matrix metadata, blocks; v6-v9.
 * The reader takes a path and preads it: the input goes into a memfd. */
#include "fuzz_common.h"
#include "hitwin/hic.h"

static int fetch(void *f, const hw_query *q, hw_contact_fn fn, void *ctx) { return hic_fetch(f, q, fn, ctx); }
static int64_t nbins(const void *f, int c, int32_t r) { return hic_nbins(f, c, r); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    int fd = fz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    hw_info info;
    hic_file *h = hic_open(path, &info);
    if (h) {
        fz_sweep(h, &info, fetch, nbins);
        hic_close(h);
    }
    close(fd);
    return 0;
}
