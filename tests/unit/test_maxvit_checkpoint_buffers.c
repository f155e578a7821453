/* The int64 buffers of MaxViT checkpoints (src/model/model_io.c; docs/maxvit.md, "Checkpoints
 * and PyTorch"), on a tiny SMaxViT (S = 56, stem 8, blocks [8, 16] x [1, 2], head_dim 4):
 *  - hw_model_save writes, after the parameters and the running statistics, every BatchNorm's
 *    num_batches_tracked (I64, shape [], 0) and every attention's relative_position_index (I64
 *    [49, 49], (r_i - r_j + 6) 13 + (c_i - c_j + 6), computed here from the definition), under
 *    torchvision's names: 10 and 6 of them here;
 *  - hw_model_load takes the file back; a file without them (written before them) loads with
 *    the same parameters and statistics; a counter of any value is accepted;
 *  - refused, with one line naming the file and the tensor, and nothing copied: a wrong
 *    index element, a counter of another dtype, an index of another shape;
 *  - SLeNet's checkpoint holds no int64 tensor. */
#include "hitwin/error.h"
#include "hitwin/model.h"
#include "hitwin/safetensors.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S 56
#define P 49 /* tokens of a 7 x 7 partition */
#include "maxvit_tiny.h" /* after S */

static int ends_with(const char *s, const char *tail) {
    const size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

static int64_t get_i64(const hw_st_tensor *t, size_t k) {
    int64_t v;
    memcpy(&v, (const char *)t->data + k * sizeof v, sizeof v);
    return v;
}

/* A copy of file f at path with tensor `name` dropped (edit NULL) or edited: edit gets a
 * writable copy of the tensor (dtype, shape and bytes may change, data stays within 8 KB). */
typedef void (*edit_fn)(hw_st_tensor *t, unsigned char *bytes);

static int write_edited(const hw_st_file *f, const char *path, int drop_i64, const char *name, edit_fn edit) {
    hw_st_tensor *t = calloc((size_t)f->n, sizeof *t);
    static unsigned char bytes[P * P * 8];
    int n = 0;
    for (int i = 0; i < f->n; i++) {
        if (drop_i64 && !strcmp(f->tensors[i].dtype, "I64")) continue;
        t[n] = f->tensors[i];
        if (name && !strcmp(t[n].name, name)) {
            memcpy(bytes, t[n].data, t[n].nbytes);
            edit(&t[n], bytes);
            t[n].data = bytes;
        }
        n++;
    }
    const char *meta[] = {"format", "pt", NULL};
    const int rc = hw_st_write(path, t, n, meta);
    free(t);
    return rc;
}

static void wrong_index_element(hw_st_tensor *t, unsigned char *bytes) {
    (void)t;
    const int64_t v = 0; /* element [3, 5]: (0 - 0 + 6) 13 + (3 - 5 + 6) = 82 */
    memcpy(bytes + (3 * P + 5) * sizeof v, &v, sizeof v);
}

static void counter_seven(hw_st_tensor *t, unsigned char *bytes) {
    (void)t;
    const int64_t v = 7;
    memcpy(bytes, &v, sizeof v);
}

static void counter_as_f32(hw_st_tensor *t, unsigned char *bytes) {
    const float v = 0.0f;
    strcpy(t->dtype, "F32");
    t->nbytes = sizeof v;
    memcpy(bytes, &v, sizeof v);
}

static void index_48(hw_st_tensor *t, unsigned char *bytes) {
    (void)bytes;
    t->shape[0] = t->shape[1] = 48;
    t->nbytes = 48 * 48 * sizeof(int64_t);
}

/* Load path into a fresh model; returns hw_model_load's result, and whether the parameters and
 * statistics are m's (restored) or still the fresh model's own (nothing copied). */
static int load_into_fresh(const char *path, const hw_model *m, int *same_as_m, int *untouched) {
    hw_model_config c = tiny_cfg();
    hw_model *fresh = hw_model_create(&c, 99);
    size_t np, ns;
    float *p = hw_model_params(fresh, &np), *st = hw_model_state(fresh, &ns);
    float *p0 = malloc(np * sizeof *p0);
    memcpy(p0, p, np * sizeof *p0);
    const int rc = hw_model_load(fresh, path);
    const float *pm = hw_model_params((hw_model *)m, NULL), *sm = hw_model_state((hw_model *)m, NULL);
    *same_as_m = !memcmp(p, pm, np * sizeof *p) && !memcmp(st, sm, ns * sizeof *st);
    *untouched = !memcmp(p, p0, np * sizeof *p);
    free(p0);
    hw_model_free(fresh);
    return rc;
}

int main(void) {
    char dir[] = "/tmp/hw_mv_buffersXXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[256], edited[256];
    snprintf(path, sizeof path, "%s/tiny.safetensors", dir);
    snprintf(edited, sizeof edited, "%s/edited.safetensors", dir);
    hw_model_config c = tiny_cfg();
    hw_model *m = hw_model_create(&c, 7);
    size_t ns;
    float *st = hw_model_state(m, &ns);
    for (size_t i = 0; i < ns; i++) st[i] += 0.01f * (float)(i % 13); /* statistics a load must restore */
    const char *meta[] = {"model", "SMaxViT", NULL};
    CHECK_INT_EQ(hw_model_save(m, path, meta), 0);

    /* what the file holds */
    hw_st_file f;
    CHECK_INT_EQ(hw_st_read(&f, path), 0);
    int counters = 0, indices = 0, first_i64 = -1, last_float = -1;
    const char *index_name = NULL, *counter_name = NULL;
    for (int i = 0; i < f.n; i++) {
        const hw_st_tensor *t = &f.tensors[i];
        if (strcmp(t->dtype, "I64")) {
            last_float = i;
            continue;
        }
        if (first_i64 < 0) first_i64 = i;
        if (ends_with(t->name, ".num_batches_tracked")) {
            counters++;
            counter_name = t->name;
            CHECK_INT_EQ(t->ndim, 0);
            CHECK_INT_EQ(get_i64(t, 0), 0);
        } else if (ends_with(t->name, ".attn_layer.1.relative_position_index")) {
            indices++;
            index_name = t->name;
            CHECK(t->ndim == 2 && t->shape[0] == P && t->shape[1] == P);
            int bad = 0;
            for (int i2 = 0; i2 < P; i2++)
                for (int j = 0; j < P; j++)
                    bad += get_i64(t, (size_t)i2 * P + j) != (i2 / 7 - j / 7 + 6) * 13 + (i2 % 7 - j % 7 + 6);
            CHECK_INT_EQ(bad, 0);
        } else {
            fprintf(stderr, "unexpected int64 tensor %s\n", t->name);
            test_failures++;
        }
    }
    CHECK_INT_EQ(counters, 10); /* stem + 3 layers x (pre_norm, conv_a, conv_b) */
    CHECK_INT_EQ(indices, 6);   /* 3 layers x (window, grid) */
    CHECK(first_i64 > last_float); /* after the parameters and the statistics */
    CHECK(hw_st_find(&f, "stem.0.1.num_batches_tracked") != NULL);
    CHECK(hw_st_find(&f, "blocks.0.layers.0.layers.window_attention.attn_layer.1.relative_position_index") != NULL);
    CHECK(hw_st_find(&f, "blocks.1.layers.1.layers.MBconv.layers.conv_b.1.num_batches_tracked") != NULL);

    int same, untouched;
    CHECK_INT_EQ(load_into_fresh(path, m, &same, &untouched), 0);
    CHECK(same);
    /* a checkpoint written before the int64 buffers */
    CHECK_INT_EQ(write_edited(&f, edited, 1, NULL, NULL), 0);
    CHECK_INT_EQ(load_into_fresh(edited, m, &same, &untouched), 0);
    CHECK(same);
    /* a counter PyTorch advanced: its value is not ours to check */
    CHECK_INT_EQ(write_edited(&f, edited, 0, counter_name, counter_seven), 0);
    CHECK_INT_EQ(load_into_fresh(edited, m, &same, &untouched), 0);
    CHECK(same);

    /* refusals: one line naming the file and the tensor, nothing copied */
    struct {
        const char *name;
        edit_fn edit;
        const char *fmt;
    } bad[3] = {
        {index_name, wrong_index_element,
         "%s: tensor %s is not torchvision's relative position index of a 7x7 partition (element [3, 5] "
         "is 0, not 82)"},
        {counter_name, counter_as_f32, "%s: tensor %s is F32, the model expects I64"},
        {index_name, index_48, "%s: tensor %s has shape [48, 48], the model expects [49, 49] (image size 56)"},
    };
    for (int k = 0; k < 3; k++) {
        char want[1024];
        snprintf(want, sizeof want, bad[k].fmt, edited, bad[k].name);
        CHECK_INT_EQ(write_edited(&f, edited, 0, bad[k].name, bad[k].edit), 0);
        CHECK_INT_EQ(load_into_fresh(edited, m, &same, &untouched), -1);
        CHECK(untouched);
        if (strcmp(hw_error(), want)) {
            fprintf(stderr, "refusal %d:\n  got  %s\n  want %s\n", k, hw_error(), want);
            test_failures++;
        }
    }
    hw_st_close(&f);
    hw_model_free(m);

    /* SLeNet: no int64 buffers, its files as before */
    hw_model_config sl = {.image_size = 64, .mask = 1, .dropout = 0.5f, .loss = HW_LOSS_TRIPLET, .margin = 1.0f};
    hw_model *s = hw_model_create(&sl, 3);
    CHECK_INT_EQ(hw_model_save(s, path, NULL), 0);
    CHECK_INT_EQ(hw_st_read(&f, path), 0);
    for (int i = 0; i < f.n; i++) CHECK(strcmp(f.tensors[i].dtype, "I64") != 0);
    hw_st_close(&f);
    hw_model_free(s);
    unlink(path);
    unlink(edited);
    rmdir(dir);
    printf("int64 buffers: %d counters, %d position indices; refusals checked\n", counters, indices);
    return TEST_RESULT();
}
