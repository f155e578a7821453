/* safetensors reader (src/model/safetensors.c) through hw_st_parse, the
 * in-memory half of hw_st_read: header length, JSON, dtypes, shapes, data
 * offsets; every tensor found is read end to end. */
#include "fuzz_common.h"
#include "hitwin/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    hw_st_file f;
    if (hw_st_parse(&f, buf, size, "fuzz.safetensors") == 0) {
        volatile unsigned char acc = 0;
        for (int i = 0; i < f.n; i++) {
            const unsigned char *p = f.tensors[i].data;
            for (size_t k = 0; p && k < f.tensors[i].nbytes; k++) acc ^= p[k];
            (void)hw_st_find(&f, f.tensors[i].name);
        }
        (void)hw_st_meta(&f, "format");
        hw_st_close(&f);
    }
    return 0;
}
