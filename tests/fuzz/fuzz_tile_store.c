/* The tile store reader (src/data/tile_store.c) on an HDF5 file image in
 * memory: attributes, sample/chromosome/window tables, QC tables, the
 * /tiles shape; the first and last window are read back. */
#include "fuzz_common.h"
#include "hitwin/tile_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hw_tile_store *s = hw_tile_store_open_image(data, size, "fuzz.h5");
    if (!s) return 0;
    const hw_tile_meta *m = hw_tile_store_meta(s);
    size_t n = (size_t)m->n_samples * (size_t)m->tile_size * (size_t)m->tile_size;
    if (m->n_windows > 0 && n <= ((size_t)4 << 20)) {
        float *buf = malloc(n * sizeof *buf);
        hw_tile_store_read_window(s, 0, buf);
        hw_tile_store_read_window(s, m->n_windows - 1, buf);
        free(buf);
    }
    hw_tile_store_close(s);
    return 0;
}
