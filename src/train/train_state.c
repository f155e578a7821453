/* The training state file (include/hitwin/train_state.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/output_guard.h"
#include "hitwin/train.h"
#include "hitwin/train_state.h"
#include "hitwin/xalloc.h"

static const char MAGIC[8] = {'H', 'W', 'T', 'R', 'A', 'I', 'N', '1'};
#define N_I64 7
#define N_F64 7

void hw_train_state_free(hw_train_state *st) {
    free(st->config_yaml);
    free(st->version);
    st->config_yaml = st->version = NULL;
}

/* ---- writing: everything goes through one hashing writer ---------------------- */
typedef struct {
    FILE *f;
    uint64_t h;
    int err;
} wr;

static void put(wr *w, const void *p, size_t n) {
    if (w->err) return;
    w->h = hw_fnv1a64(p, n, w->h);
    if (n && fwrite(p, 1, n, w->f) != n) w->err = 1;
}
static void put_u32(wr *w, uint32_t x) { put(w, &x, 4); }
static void put_str(wr *w, const char *s) {
    uint32_t n = s ? (uint32_t)strlen(s) : 0;
    put_u32(w, n);
    put(w, s, n);
}

static void put_table(wr *w, const hw_tensor *tensors, int n_tensors) {
    put_u32(w, (uint32_t)n_tensors);
    for (int t = 0; t < n_tensors; t++) {
        put_str(w, tensors[t].name);
        put_u32(w, (uint32_t)tensors[t].ndim);
        put(w, tensors[t].shape, (size_t)tensors[t].ndim * sizeof(int64_t));
    }
}

int hw_train_state_write(const char *path, const hw_train_state *st, const hw_tensor *tensors,
                         int n_tensors, const float *params, const float *m, const float *v,
                         size_t n, const hw_train_model_state *ms) {
    size_t plen = strlen(path) + 32;
    char *tmp = xmalloc(plen);
    snprintf(tmp, plen, "%s.tmp-%ld", path, (long)getpid());
    hw_temp_add(tmp); /* removed if the job is stopped while it is written */
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        hw_temp_forget(tmp);
        hw_fail("%s: cannot write the training state (%s)", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    wr w = {f, HW_FNV_OFFSET, 0};
    put(&w, MAGIC, 8);
    put_u32(&w, HW_TRAIN_STATE_VERSION);
    put_u32(&w, 8 + N_I64 * 8 + N_F64 * 8);
    put(&w, &st->config_hash, 8);
    int64_t iv[N_I64] = {st->epoch, st->cursor, st->step, st->optim_kind, st->best_epoch,
                         st->patience_counter, 0};
    put(&w, iv, sizeof iv);
    double dv[N_F64] = {st->best_val, st->sum_loss, st->sum_con, st->sum_ce, st->n_items,
                        st->n_correct, st->seconds};
    put(&w, dv, sizeof dv);
    put_str(&w, st->config_yaml);
    put_str(&w, st->version);
    put_table(&w, tensors, n_tensors);
    uint64_t n64 = n;
    put(&w, &n64, 8);
    put(&w, params, n * sizeof(float));
    put(&w, m, n * sizeof(float));
    put(&w, v, n * sizeof(float));
    /* version 2: the model state (BatchNorm running statistics), so that a resume evaluates
     * and continues with exactly the statistics the interrupted run had */
    put_table(&w, ms ? ms->tensors : NULL, ms ? ms->n_tensors : 0);
    uint64_t ns = ms ? ms->n : 0;
    put(&w, &ns, 8);
    if (ns) put(&w, ms->values, ns * sizeof(float));
    uint64_t h = w.h;
    put(&w, &h, 8);
    int err = w.err || fflush(f) != 0 || fsync(fileno(f)) != 0;
    err |= fclose(f) != 0;
    if (err || rename(tmp, path) != 0) {
        hw_fail("%s: cannot write the training state (%s)", path, strerror(errno));
        unlink(tmp);
        hw_temp_forget(tmp);
        free(tmp);
        return -1;
    }
    hw_temp_forget(tmp);
    free(tmp);
    return 0;
}

/* ---- reading ---------------------------------------------------------------------- */
typedef struct {
    FILE *f;
    uint64_t h;
    int err;
} rd;

static void get(rd *r, void *p, size_t n) {
    if (r->err) return;
    if (n && fread(p, 1, n, r->f) != n) {
        r->err = 1;
        memset(p, 0, n);
        return;
    }
    r->h = hw_fnv1a64(p, n, r->h);
}
static uint32_t get_u32(rd *r) {
    uint32_t x = 0;
    get(r, &x, 4);
    return x;
}
static char *get_str(rd *r) {
    uint32_t n = get_u32(r);
    if (r->err || n > (1u << 26)) {
        r->err = 1;
        return xstrdup("");
    }
    char *s = xmalloc((size_t)n + 1);
    get(r, s, n);
    s[n] = '\0';
    return s;
}

static void shape_str(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && k < cap; d++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
}

/* A tensor table in the file against the model's: the first difference is refused by name. */
static int check_table(rd *r, const char *path, const hw_tensor *tensors, int n_tensors) {
    uint32_t nt = get_u32(r);
    if (r->err) {
        hw_fail("%s: truncated training state", path);
        return -1;
    }
    for (uint32_t t = 0; t < nt || (int)t < n_tensors; t++) {
        if (t >= nt) {
            hw_fail("%s: checkpoint of another model: tensor %s is missing (the file has %u "
                    "tensors, this model %d)", path, tensors[t].name, nt, n_tensors);
            return -1;
        }
        char *name = get_str(r);
        uint32_t nd = get_u32(r);
        int64_t shape[8] = {0};
        if (nd > 8) r->err = 1;
        else get(r, shape, nd * sizeof(int64_t));
        if (r->err) {
            free(name);
            hw_fail("%s: truncated training state", path);
            return -1;
        }
        if ((int)t >= n_tensors || strcmp(name, tensors[t].name) != 0) {
            hw_fail("%s: checkpoint of another model: it has tensor %s where this model has %s",
                    path, name, (int)t < n_tensors ? tensors[t].name : "none");
            free(name);
            return -1;
        }
        int same = (int)nd == tensors[t].ndim;
        for (uint32_t d = 0; same && d < nd; d++) same = shape[d] == tensors[t].shape[d];
        if (!same) {
            char a[128], b[128];
            shape_str(a, sizeof a, (int)nd, shape);
            shape_str(b, sizeof b, tensors[t].ndim, tensors[t].shape);
            hw_fail("%s: checkpoint of another shape: tensor %s is %s in the file, %s in this "
                    "model", path, name, a, b);
            free(name);
            return -1;
        }
        free(name);
    }
    return 0;
}

int hw_train_state_read(const char *path, hw_train_state *st, const hw_tensor *tensors,
                        int n_tensors, float *params, float *m, float *v, size_t n,
                        const hw_train_model_state *ms) {
    memset(st, 0, sizeof *st);
    FILE *f = fopen(path, "rb");
    if (!f) return hw_fail("%s: cannot open the training state (%s)", path, strerror(errno));
    rd r = {f, HW_FNV_OFFSET, 0};
    int rc = -1;
    char magic[8];
    get(&r, magic, 8);
    if (r.err || memcmp(magic, MAGIC, 8) != 0) {
        hw_fail("%s: not a hitwin training state (bad magic)", path);
        goto done;
    }
    uint32_t version = get_u32(&r), hbytes = get_u32(&r);
    if (version < 1 || version > HW_TRAIN_STATE_VERSION || hbytes != 8 + N_I64 * 8 + N_F64 * 8) {
        hw_fail("%s: training state version %u, this program reads versions 1 to %d", path, version,
                HW_TRAIN_STATE_VERSION);
        goto done;
    }
    get(&r, &st->config_hash, 8);
    int64_t iv[N_I64];
    double dv[N_F64];
    get(&r, iv, sizeof iv);
    get(&r, dv, sizeof dv);
    st->epoch = iv[0], st->cursor = iv[1], st->step = iv[2], st->optim_kind = iv[3];
    st->best_epoch = iv[4], st->patience_counter = iv[5];
    st->best_val = dv[0], st->sum_loss = dv[1], st->sum_con = dv[2], st->sum_ce = dv[3];
    st->n_items = dv[4], st->n_correct = dv[5], st->seconds = dv[6];
    st->config_yaml = get_str(&r);
    st->version = get_str(&r);
    if (check_table(&r, path, tensors, n_tensors) != 0) goto done;
    uint64_t n64 = 0;
    get(&r, &n64, 8);
    if (!r.err && n64 != n) {
        hw_fail("%s: checkpoint holds %llu parameters, this model %zu", path,
                (unsigned long long)n64, n);
        goto done;
    }
    get(&r, params, n * sizeof(float));
    get(&r, m, n * sizeof(float));
    get(&r, v, n * sizeof(float));
    const int ms_tensors = ms ? ms->n_tensors : 0;
    const size_t ms_n = ms ? ms->n : 0;
    if (version == 1 && ms_tensors > 0) {
        hw_fail("%s: training state version 1 has no model state (BatchNorm running statistics), "
                "which this model needs; start the run again", path);
        goto done;
    }
    if (version >= 2) {
        if (check_table(&r, path, ms ? ms->tensors : NULL, ms_tensors) != 0) goto done;
        uint64_t ns = 0;
        get(&r, &ns, 8);
        if (!r.err && ns != ms_n) {
            hw_fail("%s: checkpoint holds %llu model state values, this model %zu", path,
                    (unsigned long long)ns, ms_n);
            goto done;
        }
        if (ms_n) get(&r, ms->values, ms_n * sizeof(float));
    }
    uint64_t want = r.h, stored = 0;
    if (!r.err && fread(&stored, 1, 8, f) != 8) r.err = 1;
    if (r.err) {
        hw_fail("%s: truncated training state", path);
        goto done;
    }
    if (stored != want) {
        hw_fail("%s: training state checksum mismatch (corrupt file)", path);
        goto done;
    }
    rc = 0;
done:
    fclose(f);
    if (rc != 0) hw_train_state_free(st);
    return rc;
}
