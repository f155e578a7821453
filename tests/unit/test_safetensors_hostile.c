/* The safetensors reader (hw_st_parse, the in-memory entry point under
 * hw_st_read) on crafted files: every structural fact is refused with an
 * exact message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/safetensors.h"
#include "test_util.h"

/* 8-byte length + header + ndata bytes of data; hlen_delta skews the length. */
static int parse(const char *hdr, size_t ndata, int64_t hlen_delta, hw_st_file *f) {
    size_t h = strlen(hdr), n = 8 + h + ndata;
    char *buf = calloc(n, 1);
    uint64_t len = (uint64_t)((int64_t)h + hlen_delta);
    memcpy(buf, &len, 8);
    memcpy(buf + 8, hdr, h);
    return hw_st_parse(f, buf, n, "x.safetensors");
}

static void refused(const char *hdr, size_t ndata, int64_t hlen_delta, const char *msg) {
    hw_st_file f;
    CHECK_INT_EQ(parse(hdr, ndata, hlen_delta, &f), -1);
    CHECK_STR_EQ(hw_error(), msg);
    hw_st_close(&f);
}

int main(void) {
    hw_st_file f;
    const char *two = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[8,12]}}";
    CHECK_INT_EQ(parse(two, 12, 0, &f), 0);
    CHECK_INT_EQ(f.n, 2);
    hw_st_close(&f);

    refused(two, 12, 1000, "x.safetensors: truncated safetensors file (the header needs 1115 bytes, the file has 127)");
    refused(two, 11, 0, "x.safetensors: truncated safetensors file (the tensors need 127 bytes, the file has 126)");
    refused(two, 13, 0, "x.safetensors: corrupt safetensors file: 1 bytes after the last tensor");
    refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            "\"b\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[4,8]}}",
            8, 0,
            "x.safetensors: corrupt safetensors file: tensor 'b' [4, 8) overlaps tensor 'a' [0, 8)");
    refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            "\"b\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[10,14]}}",
            14, 0,
            "x.safetensors: corrupt safetensors file: tensor 'b' [10, 14) leaves a gap after tensor 'a' [0, 8)");
    refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, 0,
            "x.safetensors: corrupt safetensors file: tensor 'a' starts at data offset 4, the first must start at 0");
    const char *mism = "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
    char want[256];
    snprintf(want, sizeof want, "x.safetensors: corrupt safetensors header: data_offsets do not match dtype and shape at byte %zu",
             8 + strlen(mism) - 1); /* just after the tensor's object */
    refused(mism, 8, 0, want);
    /* a shape whose element count wraps 64 bits to 0 must not pass as an empty tensor */
    const char *wrap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}";
    hw_st_file g;
    CHECK_INT_EQ(parse(wrap, 0, 0, &g), -1);
    CHECK(strstr(hw_error(), "corrupt safetensors header: shape too large at byte") != NULL);
    hw_st_close(&g);
    const char *dup = "{\"a\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                      "\"a\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[1,2]}}";
    CHECK_INT_EQ(parse(dup, 2, 0, &g), -1);
    CHECK(strstr(hw_error(), "x.safetensors: corrupt safetensors header: duplicate tensor name at byte") != NULL);
    hw_st_close(&g);
    const char *neg = "{\"a\":{\"dtype\":\"I8\",\"shape\":[-1],\"data_offsets\":[0,1]}}";
    snprintf(want, sizeof want, "x.safetensors: corrupt safetensors header: negative dimension at byte %zu",
             8 + strlen(neg) - 1);
    refused(neg, 1, 0, want);
    refused("{}", 3, 0, "x.safetensors: corrupt safetensors file: 3 bytes of data but no tensors");
    refused("x", 0, 0, "x.safetensors: not a safetensors file (no 8-byte header length followed by a JSON header)");
    return TEST_RESULT();
}
