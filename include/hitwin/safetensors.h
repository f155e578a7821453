/* safetensors files (https://github.com/huggingface/safetensors, format v0.x):
 *   u64 little-endian N | N bytes of JSON header, space-padded to a multiple of 8 |
 *   raw little-endian tensor data
 * The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
 * (offsets relative to the start of the data) and may hold "__metadata__", a map of
 * strings. PyTorch reads them with safetensors.torch.load_file, or with 20 lines of
 * struct/json (tests/integration/test_safetensors_torch.sh). Only what the model's
 * checkpoints need is here: any dtype is parsed, tensors are written as given. */
#ifndef HITWIN_SAFETENSORS_H
#define HITWIN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define HW_ST_MAX_DIMS 8

typedef struct {
    const char *name;
    char dtype[8];    /* "F32", "I32", ... as safetensors spells them */
    int ndim;
    int64_t shape[HW_ST_MAX_DIMS];
    const void *data; /* nbytes of little-endian data */
    size_t nbytes;
} hw_st_tensor;

/* Bytes per element of a safetensors dtype, 0 if unknown. */
size_t hw_st_dtype_size(const char *dtype);

/* Write n tensors in the given order, with metadata a NULL-terminated list of key, value
 * strings (or NULL), to `path` through a temporary file in the same directory renamed
 * over it. Returns 0, or -1 with hw_error "<path>: ...". */
int hw_st_write(const char *path, const hw_st_tensor *tensors, int n, const char *const *metadata);

/* A whole file read into memory; tensors' data point into it. */
typedef struct {
    char *buf;
    size_t size;
    hw_st_tensor *tensors;
    int n;
    char **meta; /* [2 * n_meta] key, value */
    int n_meta;
} hw_st_file;

/* Read and check a file: a non-safetensors file, a truncated file or a corrupt header
 * each give one line, "<path>: not a safetensors file ...", "<path>: truncated
 * safetensors file ...", "<path>: corrupt safetensors header: ...". */
int hw_st_read(hw_st_file *f, const char *path);
/* The same on bytes in memory: buf (malloc'ed, size bytes) is taken over by f
 * and freed by hw_st_close, also on failure; name stands for the path. */
int hw_st_parse(hw_st_file *f, char *buf, size_t size, const char *name);
const hw_st_tensor *hw_st_find(const hw_st_file *f, const char *name);
const char *hw_st_meta(const hw_st_file *f, const char *key);
void hw_st_close(hw_st_file *f);

#endif
