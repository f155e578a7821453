/* safetensors reader and writer with the small JSON subset its header needs: objects,
 * arrays, strings (all escapes), integers; other JSON values are skipped. */
#include "hitwin/safetensors.h"

#include "hitwin/error.h"
#include "hitwin/output_guard.h"
#include "hitwin/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c writes host-order data and assumes a little-endian host"
#endif

/* Headers above this are not plausible for our files (the format's own limit is 100 MB). */
#define HW_ST_MAX_HEADER (100u << 20)

size_t hw_st_dtype_size(const char *t) {
    static const struct { const char *name; size_t size; } sizes[] = {
        {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I16", 2},
        {"I8", 1},  {"U64", 8}, {"U32", 4}, {"U16", 2},  {"U8", 1},  {"BOOL", 1},
        {"F8_E4M3", 1}, {"F8_E5M2", 1}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (strcmp(t, sizes[i].name) == 0) return sizes[i].size;
    return 0;
}

/* ---- writing ------------------------------------------------------------------------ */

typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    hw_grow(&b->s, &b->cap, b->len + n + 1);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_fmt(sbuf *b, const char *fmt, long long v) {
    char tmp[32];
    int k = snprintf(tmp, sizeof tmp, fmt, v);
    sb_put(b, tmp, (size_t)k);
}

static void sb_json_string(sbuf *b, const char *s) {
    sb_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': sb_put(b, "\\\"", 2); break;
        case '\\': sb_put(b, "\\\\", 2); break;
        case '\n': sb_put(b, "\\n", 2); break;
        case '\r': sb_put(b, "\\r", 2); break;
        case '\t': sb_put(b, "\\t", 2); break;
        default:
            if (*p < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                sb_put(b, esc, 6);
            } else {
                sb_put(b, (const char *)p, 1);
            }
        }
    }
    sb_put(b, "\"", 1);
}

int hw_st_write(const char *path, const hw_st_tensor *t, int n, const char *const *metadata) {
    sbuf h = {0};
    sb_str(&h, "{");
    int first = 1;
    if (metadata && metadata[0]) {
        sb_str(&h, "\"__metadata__\":{");
        for (int i = 0; metadata[i] && metadata[i + 1]; i += 2) {
            if (i) sb_str(&h, ",");
            sb_json_string(&h, metadata[i]);
            sb_str(&h, ":");
            sb_json_string(&h, metadata[i + 1]);
        }
        sb_str(&h, "}");
        first = 0;
    }
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        if (!first) sb_str(&h, ",");
        first = 0;
        sb_json_string(&h, t[i].name);
        sb_str(&h, ":{\"dtype\":");
        sb_json_string(&h, t[i].dtype);
        sb_str(&h, ",\"shape\":[");
        for (int d = 0; d < t[i].ndim; d++) sb_fmt(&h, d ? ",%lld" : "%lld", t[i].shape[d]);
        sb_fmt(&h, "],\"data_offsets\":[%lld,", (long long)off);
        off += t[i].nbytes;
        sb_fmt(&h, "%lld]}", (long long)off);
    }
    sb_str(&h, "}");
    while (h.len % 8) sb_put(&h, " ", 1);

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    hw_temp_add(tmp); /* removed if the job is stopped while it is written */
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        int e = errno;
        hw_temp_forget(tmp);
        free(h.s);
        return hw_fail("%s: cannot create: %s", path, strerror(e));
    }
    uint64_t hlen = h.len;
    int ok = fwrite(&hlen, 8, 1, fp) == 1 && fwrite(h.s, 1, h.len, fp) == h.len;
    for (int i = 0; ok && i < n; i++)
        ok = t[i].nbytes == 0 || fwrite(t[i].data, 1, t[i].nbytes, fp) == t[i].nbytes;
    ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
    int err = errno;
    ok = (fclose(fp) == 0) && ok;
    free(h.s);
    if (!ok) {
        unlink(tmp);
        hw_temp_forget(tmp);
        return hw_fail("%s: write failed: %s", path, strerror(err));
    }
    if (rename(tmp, path) != 0) {
        err = errno;
        unlink(tmp);
        hw_temp_forget(tmp);
        return hw_fail("%s: cannot rename %s to it: %s", path, tmp, strerror(err));
    }
    hw_temp_forget(tmp);
    return 0;
}

/* ---- reading ------------------------------------------------------------------------ */

typedef struct {
    const char *s;
    size_t pos, len;
    const char *err;
} jp;

static void ws(jp *p) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\n' ||
                               p->s[p->pos] == '\r' || p->s[p->pos] == '\t'))
        p->pos++;
}

static int expect(jp *p, char c) {
    ws(p);
    if (p->pos < p->len && p->s[p->pos] == c) {
        p->pos++;
        return 1;
    }
    if (!p->err) p->err = c == ':' ? "expected ':'" : c == '{' ? "expected '{'" : "unexpected character";
    return 0;
}

static int peek(jp *p, char c) {
    ws(p);
    return p->pos < p->len && p->s[p->pos] == c;
}

static void put_utf8(sbuf *b, unsigned cp) {
    char u[4];
    size_t k;
    if (cp < 0x80) { u[0] = (char)cp; k = 1; }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); k = 2; }
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 63));
        u[2] = (char)(0x80 | (cp & 63)); k = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 63));
        u[2] = (char)(0x80 | ((cp >> 6) & 63)); u[3] = (char)(0x80 | (cp & 63)); k = 4;
    }
    sb_put(b, u, k);
}

static int hex4(jp *p, unsigned *v) {
    if (p->pos + 4 > p->len) return 0;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos++];
        *v = *v * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99);
        if (*v > 0xFFFF) return 0;
    }
    return 1;
}

/* A string value, malloc'ed; NULL (and p->err) on error. */
static char *jstring(jp *p) {
    if (!expect(p, '"')) {
        p->err = "expected a string";
        return NULL;
    }
    sbuf b = {0};
    sb_put(&b, "", 0);
    while (p->pos < p->len && p->s[p->pos] != '"') {
        char c = p->s[p->pos++];
        if ((unsigned char)c < 0x20) { p->err = "control character in string"; break; }
        if (c != '\\') { sb_put(&b, &c, 1); continue; }
        if (p->pos >= p->len) break;
        c = p->s[p->pos++];
        unsigned cp, lo;
        switch (c) {
        case '"': case '\\': case '/': sb_put(&b, &c, 1); break;
        case 'b': sb_put(&b, "\b", 1); break;
        case 'f': sb_put(&b, "\f", 1); break;
        case 'n': sb_put(&b, "\n", 1); break;
        case 'r': sb_put(&b, "\r", 1); break;
        case 't': sb_put(&b, "\t", 1); break;
        case 'u':
            if (!hex4(p, &cp)) { p->err = "bad \\u escape"; break; }
            if (cp >= 0xD800 && cp < 0xDC00 && p->pos + 6 <= p->len && p->s[p->pos] == '\\' &&
                p->s[p->pos + 1] == 'u') {
                p->pos += 2;
                if (!hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) { p->err = "bad surrogate pair"; break; }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(&b, cp);
            break;
        default: p->err = "bad escape in string";
        }
        if (p->err) break;
    }
    if (!p->err && p->pos >= p->len) p->err = "unterminated string";
    if (p->err) {
        free(b.s);
        return NULL;
    }
    p->pos++; /* closing quote */
    return b.s;
}

static int jint(jp *p, int64_t *v) {
    ws(p);
    size_t start = p->pos;
    int neg = p->pos < p->len && p->s[p->pos] == '-';
    if (neg) p->pos++;
    uint64_t x = 0;
    int digits = 0;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        if (x > (UINT64_MAX / 2 - 9) / 10) { p->err = "integer out of range"; return 0; }
        x = x * 10 + (uint64_t)(p->s[p->pos++] - '0');
        digits++;
    }
    if (!digits || (p->pos < p->len && strchr(".eE", p->s[p->pos]))) {
        p->pos = start;
        p->err = "expected an integer";
        return 0;
    }
    *v = neg ? -(int64_t)x : (int64_t)x;
    return 1;
}

static int skip_value(jp *p, int depth) {
    ws(p);
    if (depth > 32) { p->err = "nesting too deep"; return 0; }
    if (p->pos >= p->len) { p->err = "unexpected end"; return 0; }
    char c = p->s[p->pos];
    if (c == '"') {
        free(jstring(p));
        return !p->err;
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        p->pos++;
        if (peek(p, close)) { p->pos++; return 1; }
        do {
            if (c == '{') {
                free(jstring(p));
                if (p->err || !expect(p, ':')) return 0;
            }
            if (!skip_value(p, depth + 1)) return 0;
        } while (peek(p, ',') && ++p->pos);
        return expect(p, close);
    }
    /* number, true, false, null */
    size_t start = p->pos;
    while (p->pos < p->len && strchr("+-.0123456789eEtruefalsn", p->s[p->pos])) p->pos++;
    if (p->pos == start) { p->err = "unexpected character"; return 0; }
    return 1;
}

static int parse_ints(jp *p, int64_t *out, int max, int *count) {
    *count = 0;
    if (!expect(p, '[')) { p->err = "expected an array"; return 0; }
    if (peek(p, ']')) { p->pos++; return 1; }
    do {
        if (*count >= max) { p->err = "array too long"; return 0; }
        if (!jint(p, &out[(*count)++])) return 0;
    } while (peek(p, ',') && ++p->pos);
    return expect(p, ']');
}

static int parse_tensor(jp *p, hw_st_tensor *t, int64_t off[2]) {
    int have_dtype = 0, have_shape = 0, have_off = 0, k;
    if (!expect(p, '{')) { p->err = "expected a tensor object"; return 0; }
    if (!peek(p, '}')) do {
        char *key = jstring(p);
        if (!key || !expect(p, ':')) { free(key); return 0; }
        if (strcmp(key, "dtype") == 0) {
            char *d = jstring(p);
            if (d && strlen(d) < sizeof t->dtype) strcpy(t->dtype, d);
            else if (d) p->err = "unknown dtype";
            have_dtype = d != NULL;
            free(d);
        } else if (strcmp(key, "shape") == 0) {
            have_shape = parse_ints(p, t->shape, HW_ST_MAX_DIMS, &t->ndim);
        } else if (strcmp(key, "data_offsets") == 0) {
            have_off = parse_ints(p, off, 2, &k) && k == 2;
            if (k != 2 && !p->err) p->err = "data_offsets needs two integers";
        } else {
            skip_value(p, 1);
        }
        free(key);
        if (p->err) return 0;
    } while (peek(p, ',') && ++p->pos);
    if (!expect(p, '}')) return 0;
    if (!have_dtype || !have_shape || !have_off) {
        p->err = "tensor entry without dtype, shape or data_offsets";
        return 0;
    }
    return 1;
}

static int read_all(const char *path, char **buf, size_t *size) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return hw_fail("%s: cannot open: %s", path, strerror(errno));
    if (fseek(fp, 0, SEEK_END) != 0) { fclose(fp); return hw_fail("%s: cannot seek", path); }
    long sz = ftell(fp);
    if (sz < 0) { fclose(fp); return hw_fail("%s: cannot tell its size (not a regular file?)", path); }
    rewind(fp);
    *buf = xmalloc((size_t)sz + 1);
    size_t got = fread(*buf, 1, (size_t)sz, fp);
    fclose(fp);
    if (got != (size_t)sz) {
        free(*buf);
        *buf = NULL;
        return hw_fail("%s: read error", path);
    }
    *size = (size_t)sz;
    return 0;
}

typedef struct {
    int64_t lo, hi;
    int k;
} st_span;

static int cmp_span(const void *a, const void *b) {
    const st_span *x = a, *y = b;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    return (x->hi > y->hi) - (x->hi < y->hi);
}

/* The tensors' byte ranges must tile the data section exactly, as the
 * reference implementation demands: sorted by start, each begins where the
 * previous ended, and the last ends at the end of the file. Overlapping
 * tensors would alias each other's weights; a gap or a tail is damage. */
static int check_spans(const hw_st_file *f, const char *path, const int64_t (*off)[2], size_t data_size) {
    if (f->n == 0) {
        if (data_size != 0)
            return hw_fail("%s: corrupt safetensors file: %zu bytes of data but no tensors", path, data_size);
        return 0;
    }
    st_span *s = xmalloc((size_t)f->n * sizeof *s);
    for (int i = 0; i < f->n; i++) s[i] = (st_span){off[i][0], off[i][1], i};
    qsort(s, (size_t)f->n, sizeof *s, cmp_span);
    int64_t end = 0;
    int prev = -1, rc = 0;
    for (int i = 0; i < f->n && rc == 0; i++) {
        if (s[i].lo != end) {
            if (prev < 0)
                rc = hw_fail("%s: corrupt safetensors file: tensor '%s' starts at data offset %lld, the first must start at 0",
                             path, f->tensors[s[i].k].name, (long long)s[i].lo);
            else
                rc = hw_fail("%s: corrupt safetensors file: tensor '%s' [%lld, %lld) %s tensor '%s' [%lld, %lld)", path,
                             f->tensors[s[i].k].name, (long long)s[i].lo, (long long)s[i].hi,
                             s[i].lo < end ? "overlaps" : "leaves a gap after", f->tensors[s[prev].k].name,
                             (long long)s[prev].lo, (long long)s[prev].hi);
        }
        end = s[i].hi;
        prev = i;
    }
    if (rc == 0 && (uint64_t)end < data_size)
        rc = hw_fail("%s: corrupt safetensors file: %llu bytes after the last tensor", path,
                     (unsigned long long)(data_size - (uint64_t)end));
    free(s);
    return rc;
}

int hw_st_read(hw_st_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    char *buf = NULL;
    size_t size = 0;
    if (read_all(path, &buf, &size)) return -1;
    return hw_st_parse(f, buf, size, path);
}

int hw_st_parse(hw_st_file *f, char *buf, size_t size, const char *path) {
    memset(f, 0, sizeof *f);
    f->buf = buf;
    f->size = size;
    uint64_t hlen = 0;
    if (f->size >= 8) memcpy(&hlen, f->buf, 8);
    if (f->size < 9 || hlen < 2 || hlen > HW_ST_MAX_HEADER || f->buf[8] != '{') {
        hw_st_close(f);
        return hw_fail("%s: not a safetensors file (no 8-byte header length followed by a JSON header)",
                       path);
    }
    if (8 + hlen > f->size) {
        unsigned long long need = 8 + hlen, have = f->size;
        hw_st_close(f);
        return hw_fail("%s: truncated safetensors file (the header needs %llu bytes, the file has %llu)",
                       path, need, have);
    }
    const size_t data_start = 8 + (size_t)hlen, data_size = f->size - data_start;
    jp p = {f->buf + 8, 0, (size_t)hlen, NULL};
    size_t cap = 0, meta_cap = 0, off_cap = 0;
    uint64_t data_end = 0;
    int64_t (*offs)[2] = NULL;
    expect(&p, '{');
    if (!p.err && !peek(&p, '}')) do {
        char *key = jstring(&p);
        if (!key || !expect(&p, ':')) { free(key); break; }
        if (strcmp(key, "__metadata__") == 0) {
            free(key);
            if (!expect(&p, '{')) break;
            if (!peek(&p, '}')) do {
                char *k = jstring(&p), *v = NULL;
                if (k && expect(&p, ':')) v = jstring(&p);
                if (!v) { free(k); break; }
                hw_grow(&f->meta, &meta_cap, 2 * (size_t)f->n_meta + 2);
                f->meta[2 * f->n_meta] = k;
                f->meta[2 * f->n_meta + 1] = v;
                f->n_meta++;
            } while (peek(&p, ',') && ++p.pos);
            if (!p.err) expect(&p, '}');
            continue;
        }
        if (hw_st_find(f, key)) {
            free(key);
            p.err = "duplicate tensor name";
            break;
        }
        hw_grow(&f->tensors, &cap, (size_t)f->n + 1);
        hw_st_tensor *t = &f->tensors[f->n];
        memset(t, 0, sizeof *t);
        t->name = key;
        f->n++;
        int64_t off[2];
        if (!parse_tensor(&p, t, off)) break;
        size_t esize = hw_st_dtype_size(t->dtype);
        uint64_t numel = 1;
        for (int d = 0; d < t->ndim; d++) {
            if (t->shape[d] < 0) { p.err = "negative dimension"; break; }
            /* the product must not wrap: [2^32, 2^32] is not 0 elements */
            if (t->shape[d] > 0 && numel > (UINT64_MAX / 16) / (uint64_t)t->shape[d]) {
                p.err = "shape too large";
                break;
            }
            numel *= (uint64_t)t->shape[d];
        }
        if (p.err) break;
        if (!esize) { p.err = "unknown dtype"; break; }
        hw_grow(&offs, &off_cap, (size_t)f->n);
        offs[f->n - 1][0] = off[0];
        offs[f->n - 1][1] = off[1];
        if (off[0] < 0 || off[1] < off[0] || (uint64_t)(off[1] - off[0]) != numel * esize) {
            p.err = "data_offsets do not match dtype and shape";
            break;
        }
        if ((uint64_t)off[1] > data_end) data_end = (uint64_t)off[1];
        t->nbytes = (size_t)(off[1] - off[0]);
        t->data = (uint64_t)off[1] <= data_size ? f->buf + data_start + off[0] : NULL;
    } while (peek(&p, ',') && ++p.pos);
    if (!p.err) expect(&p, '}');
    if (!p.err) {
        ws(&p);
        if (p.pos != p.len) p.err = "text after the header object";
    }
    if (p.err) {
        const char *what = p.err;
        size_t at = 8 + p.pos;
        free(offs);
        hw_st_close(f);
        return hw_fail("%s: corrupt safetensors header: %s at byte %zu", path, what, at);
    }
    if (data_end > data_size) {
        unsigned long long need = data_start + data_end, have = f->size;
        free(offs);
        hw_st_close(f);
        return hw_fail("%s: truncated safetensors file (the tensors need %llu bytes, the file has %llu)",
                       path, need, have);
    }
    int rc = check_spans(f, path, (const int64_t(*)[2])offs, data_size);
    free(offs);
    if (rc != 0) hw_st_close(f);
    return rc;
}

const hw_st_tensor *hw_st_find(const hw_st_file *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

const char *hw_st_meta(const hw_st_file *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta[2 * i], key) == 0) return f->meta[2 * i + 1];
    return NULL;
}

void hw_st_close(hw_st_file *f) {
    for (int i = 0; i < f->n; i++) free((char *)f->tensors[i].name);
    for (int i = 0; i < 2 * f->n_meta; i++) free(f->meta[i]);
    free(f->tensors);
    free(f->meta);
    free(f->buf);
    memset(f, 0, sizeof *f);
}
