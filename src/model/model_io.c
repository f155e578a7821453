/* Checkpoints as the reference's two state_dicts in safetensors form (model.h):
 *   <path>        SiameseNet + backbone: mask (int32 [S, S], only when cfg.mask), the
 *                 backbone's tensors (SLeNet: features.0.weight ... linear.3.bias), then
 *                 its state (MaxViT: BatchNorm running_mean / running_var), then its int64
 *                 buffers (MaxViT: num_batches_tracked, relative_position_index; SLeNet has
 *                 none, so its files are as before)
 *   <path>_nn.ext LastLayerNN: net.0.weight [2, 83], net.0.bias [2] (contrastive only;
 *                 the reference's head is nn.Sequential `net`, our table calls it head.0.*)
 * Load checks every name, dtype and shape before it copies anything. The int64 buffers are
 * optional there (files written before them lack them) and never copied; a present one must
 * have its dtype and shape, and a checked one its value. */
#include "model_internal.h"

#include "hitwin/error.h"
#include "hitwin/nn.h"
#include "hitwin/safetensors.h"
#include "hitwin/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hw_model_head_path(const char *path, char *out, size_t cap) {
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    size_t stem = dot && dot != (slash ? slash + 1 : path) ? (size_t)(dot - path) : strlen(path);
    int k = snprintf(out, cap, "%.*s_nn%s", (int)stem, path, path + stem);
    if (k < 0 || (size_t)k >= cap) return hw_fail("%s: path too long", path);
    return 0;
}

static void band_mask(int32_t *mask, int S) {
    for (int i = 0; i < S; i++)
        for (int j = 0; j < S; j++) mask[(size_t)i * S + j] = abs(i - j) >= NN_DIAG_MASK_BAND;
}

/* The expected tensors of one file; returns the count, of which the first *n_required must
 * be present on load (the rest are the optional int64 buffers). mask_buf holds the mask. The
 * backbone's file: the mask, the backbone's parameters, then its state (BatchNorm running
 * statistics, under their PyTorch buffer names), then its int64 buffers; the head's file:
 * the head. */
static int expected(const hw_model *m, int head, hw_st_tensor *t, int32_t *mask_buf, int *n_required) {
    int n = 0;
    if (!head && m->cfg.mask) {
        t[n] = (hw_st_tensor){.name = "mask", .dtype = "I32", .ndim = 2,
                              .shape = {m->S, m->S}, .data = mask_buf,
                              .nbytes = (size_t)m->S * m->S * sizeof(int32_t)};
        n++;
    }
    static const char *head_names[2] = {"net.0.weight", "net.0.bias"};
    int lo = head ? m->head_w : 0, hi = head ? m->head_b : m->n_backbone_tensors - 1;
    for (int i = lo; i <= hi; i++) {
        const hw_tensor *x = &m->tensors[i];
        t[n] = (hw_st_tensor){.name = head ? head_names[i - m->head_w] : x->name, .dtype = "F32",
                              .ndim = x->ndim, .data = m->params + x->offset,
                              .nbytes = x->numel * sizeof(float)};
        for (int d = 0; d < x->ndim; d++) t[n].shape[d] = x->shape[d];
        n++;
    }
    for (int i = 0; !head && i < m->n_state_tensors; i++) {
        const hw_tensor *x = &m->state_tensors[i];
        t[n] = (hw_st_tensor){.name = x->name, .dtype = "F32", .ndim = x->ndim,
                              .data = m->state + x->offset, .nbytes = x->numel * sizeof(float)};
        for (int d = 0; d < x->ndim; d++) t[n].shape[d] = x->shape[d];
        n++;
    }
    *n_required = n;
    for (int i = 0; !head && i < m->n_int64_buffers; i++) {
        const hw_int64_buffer *x = &m->int64_buffers[i];
        t[n] = (hw_st_tensor){.name = x->name, .dtype = "I64", .ndim = x->ndim, .data = x->value,
                              .nbytes = x->numel * sizeof(int64_t)};
        for (int d = 0; d < x->ndim; d++) t[n].shape[d] = x->shape[d];
        n++;
    }
    return n;
}

/* Room for every entry of either file: the mask, all parameters, all state, all int64 buffers. */
static size_t max_entries(const hw_model *m) {
    return (size_t)m->n_tensors + m->n_state_tensors + m->n_int64_buffers + 1;
}

int hw_model_save(const hw_model *m, const char *path, const char *const *metadata) {
    /* __metadata__: the caller's pairs, plus format=pt (the convention of torch's files) */
    int nm = 0;
    while (metadata && metadata[nm] && metadata[nm + 1]) nm += 2;
    const char **meta = xcalloc((size_t)nm + 3, sizeof *meta);
    int has_format = 0;
    for (int i = 0; i < nm; i++) {
        meta[i] = metadata[i];
        if (i % 2 == 0 && strcmp(metadata[i], "format") == 0) has_format = 1;
    }
    if (!has_format) {
        meta[nm++] = "format";
        meta[nm++] = "pt";
    }
    hw_st_tensor *t = xcalloc(max_entries(m), sizeof *t);
    int32_t *mask = m->cfg.mask ? xmalloc((size_t)m->S * m->S * sizeof(int32_t)) : NULL;
    if (mask) band_mask(mask, m->S);
    int required;
    int rc = hw_st_write(path, t, expected(m, 0, t, mask, &required), meta);
    if (!rc && m->has_head) {
        char head[4096];
        rc = hw_model_head_path(path, head, sizeof head);
        if (!rc) rc = hw_st_write(head, t, expected(m, 1, t, NULL, &required), meta);
    }
    free(mask);
    free(meta);
    free(t);
    return rc;
}

static void shape_str(char *out, size_t cap, int ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(out, cap, "[");
    for (int d = 0; d < ndim && k < cap; d++)
        k += (size_t)snprintf(out + k, cap - k, d ? ", %lld" : "%lld", (long long)shape[d]);
    if (k < cap) snprintf(out + k, cap - k, "]");
}

/* Check file f (at path) holds the tensors of want[0..n_required), and of want[n_required..n)
 * those it has, and no others. */
static int check_file(const hw_st_file *f, const char *path, const hw_st_tensor *want, int n_required,
                      int n, const hw_model *m) {
    for (int i = 0; i < n; i++) {
        const hw_st_tensor *got = hw_st_find(f, want[i].name);
        if (!got && i >= n_required) continue;
        if (!got)
            return hw_fail("%s: no tensor %s (a checkpoint of another model%s?)", path, want[i].name,
                           strcmp(want[i].name, "mask") == 0 ? ", or saved without the mask" : "");
        if (strcmp(got->dtype, want[i].dtype) != 0)
            return hw_fail("%s: tensor %s is %s, the model expects %s", path, want[i].name,
                           got->dtype, want[i].dtype);
        int same = got->ndim == want[i].ndim;
        for (int d = 0; same && d < got->ndim; d++) same = got->shape[d] == want[i].shape[d];
        if (!same) {
            char a[128], b[128];
            shape_str(a, sizeof a, got->ndim, got->shape);
            shape_str(b, sizeof b, want[i].ndim, want[i].shape);
            return hw_fail("%s: tensor %s has shape %s, the model expects %s (image size %d)", path,
                           want[i].name, a, b, m->S);
        }
    }
    for (int j = 0; j < f->n; j++) {
        int known = 0;
        for (int i = 0; i < n && !known; i++) known = strcmp(f->tensors[j].name, want[i].name) == 0;
        if (!known)
            return hw_fail("%s: unexpected tensor %s%s", path, f->tensors[j].name,
                           strcmp(f->tensors[j].name, "mask") == 0 ? " (the model was built without the mask)"
                                                                  : "");
    }
    return 0;
}

/* A checked int64 buffer that f holds must hold the model's value; the first differing
 * element is named, in the file's row-major coordinates. */
static int check_int64_values(const hw_st_file *f, const char *path, const hw_model *m) {
    for (int i = 0; i < m->n_int64_buffers; i++) {
        const hw_int64_buffer *b = &m->int64_buffers[i];
        const hw_st_tensor *got = hw_st_find(f, b->name);
        if (!got || !b->checked) continue;
        for (size_t k = 0; k < b->numel; k++) {
            int64_t v;
            memcpy(&v, (const char *)got->data + k * sizeof v, sizeof v); /* the data is not aligned */
            if (v == b->value[k]) continue;
            int64_t at[4] = {0};
            for (int d = b->ndim - 1, r = (int)k; d >= 0; d--) {
                at[d] = r % b->shape[d];
                r /= (int)b->shape[d];
            }
            char where[128];
            shape_str(where, sizeof where, b->ndim, at);
            return hw_fail("%s: tensor %s is not %s (element %s is %lld, not %lld)", path, b->name,
                           b->checked, where, (long long)v, (long long)b->value[k]);
        }
    }
    return 0;
}

int hw_model_load(hw_model *m, const char *path) {
    int nw[2] = {0, 0}, required[2] = {0, 0};
    hw_st_file f[2];
    char head[4096];
    memset(f, 0, sizeof f);
    int nfiles = m->has_head ? 2 : 1, rc = 0;
    if (m->has_head && hw_model_head_path(path, head, sizeof head)) return -1;
    hw_st_tensor *want[2] = {xcalloc(max_entries(m), sizeof(hw_st_tensor)),
                             xcalloc(max_entries(m), sizeof(hw_st_tensor))};
    int32_t *mask = m->cfg.mask ? xmalloc((size_t)m->S * m->S * sizeof(int32_t)) : NULL;
    if (mask) band_mask(mask, m->S);
    for (int k = 0; k < nfiles && !rc; k++) {
        const char *p = k ? head : path;
        nw[k] = expected(m, k, want[k], mask, &required[k]);
        rc = hw_st_read(&f[k], p) || check_file(&f[k], p, want[k], required[k], nw[k], m);
        if (!rc && k == 0 && mask &&
            memcmp(hw_st_find(&f[0], "mask")->data, mask, want[0][0].nbytes) != 0)
            rc = hw_fail("%s: tensor mask is not the diagonal mask (|i - j| >= %d)", p,
                         NN_DIAG_MASK_BAND);
        if (!rc && k == 0) rc = check_int64_values(&f[0], p, m);
    }
    if (!rc) /* everything checked: copy the parameters and the state (the float tensors) */
        for (int k = 0; k < nfiles; k++)
            for (int i = 0; i < required[k]; i++) {
                if (strcmp(want[k][i].name, "mask") == 0) continue;
                memcpy((void *)want[k][i].data, hw_st_find(&f[k], want[k][i].name)->data,
                       want[k][i].nbytes);
            }
    for (int k = 0; k < nfiles; k++) hw_st_close(&f[k]);
    free(mask);
    free(want[0]);
    free(want[1]);
    return rc ? -1 : 0;
}
