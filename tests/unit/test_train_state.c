/* The training state file: exact round trip (with and without model state: BatchNorm
 * running statistics), atomic replace, a version 1 file (before the model state) still read
 * for a model without state and refused for one with it, and refusals (another model,
 * another shape, corrupt, truncated) with their messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/train.h"
#include "hitwin/train_state.h"
#include "test_util.h"

static char dir[] = "/tmp/hw_train_state_XXXXXX";

static const char *msg(void) {
    static char m[1024];
    const char *e = hw_error();
    size_t dl = strlen(dir);
    snprintf(m, sizeof m, "%s", strncmp(e, dir, dl) == 0 ? e + dl + 1 : e);
    return m;
}

int main(void) {
    if (!mkdtemp(dir)) return 77;
    char path[512];
    snprintf(path, sizeof path, "%s/state.bin", dir);
    hw_tensor t[2] = {{"features.0.weight", 4, {6, 1, 5, 5}, 0, 150},
                      {"linear.1.weight", 2, {120, 400}, 150, 48000}};
    size_t n = 48150;
    float *p = malloc(n * 4), *m = malloc(n * 4), *v = malloc(n * 4);
    float *p2 = malloc(n * 4), *m2 = malloc(n * 4), *v2 = malloc(n * 4);
    for (size_t i = 0; i < n; i++) p[i] = sinf((float)i), m[i] = 1e-3f * (float)i, v[i] = -0.0f;
    p[7] = NAN; /* bits, not values */
    hw_train_state st = {.config_hash = 0x1234567890abcdefULL, .epoch = 3, .cursor = 5, .step = 77,
                         .optim_kind = 1, .best_epoch = 2, .patience_counter = 1, .best_val = 0.125,
                         .sum_loss = 1.5, .sum_con = 0.5, .sum_ce = 0.25, .n_items = 80,
                         .n_correct = 41, .seconds = 2.5, .config_yaml = "tiles: x\n",
                         .version = "hitwin test"};
    CHECK_INT_EQ(hw_train_state_write(path, &st, t, 2, p, m, v, n, NULL), 0);
    hw_train_state r;
    CHECK_INT_EQ(hw_train_state_read(path, &r, t, 2, p2, m2, v2, n, NULL), 0);
    CHECK(memcmp(p, p2, n * 4) == 0);
    CHECK(memcmp(m, m2, n * 4) == 0);
    CHECK(memcmp(v, v2, n * 4) == 0);
    CHECK(r.config_hash == st.config_hash);
    CHECK_INT_EQ(r.epoch, 3);
    CHECK_INT_EQ(r.cursor, 5);
    CHECK_INT_EQ(r.step, 77);
    CHECK_INT_EQ(r.optim_kind, 1);
    CHECK_INT_EQ(r.best_epoch, 2);
    CHECK_INT_EQ(r.patience_counter, 1);
    CHECK(r.best_val == 0.125 && r.sum_loss == 1.5 && r.sum_con == 0.5 && r.sum_ce == 0.25);
    CHECK(r.n_items == 80 && r.n_correct == 41 && r.seconds == 2.5);
    CHECK_STR_EQ(r.config_yaml, "tiles: x\n");
    CHECK_STR_EQ(r.version, "hitwin test");
    hw_train_state_free(&r);
    /* no temporary left behind */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp", dir);
    CHECK(system(cmd) != 0);

    /* another shape, another model */
    hw_tensor t2[2] = {t[0], {"linear.1.weight", 2, {120, 1296}, 150, 155520}};
    CHECK_INT_EQ(hw_train_state_read(path, &r, t2, 2, p2, m2, v2, n, NULL), -1);
    CHECK_STR_EQ(msg(), "state.bin: checkpoint of another shape: tensor linear.1.weight is "
                        "[120, 400] in the file, [120, 1296] in this model");
    hw_tensor t3[2] = {t[0], {"blocks.0.weight", 2, {120, 400}, 150, 48000}};
    CHECK_INT_EQ(hw_train_state_read(path, &r, t3, 2, p2, m2, v2, n, NULL), -1);
    CHECK_STR_EQ(msg(), "state.bin: checkpoint of another model: it has tensor linear.1.weight "
                        "where this model has blocks.0.weight");
    CHECK_INT_EQ(hw_train_state_read(path, &r, t, 1, p2, m2, v2, 150, NULL), -1);
    CHECK_STR_EQ(msg(), "state.bin: checkpoint of another model: it has tensor linear.1.weight "
                        "where this model has none");

    /* version 1 (no model state section): the version 2 file of a model without state ends
     * in u32 0 (state tensors) and u64 0 (state values) before the checksum; without them,
     * version 1 in the header and the checksum redone, it is what version 1 wrote */
    {
        FILE *g = fopen(path, "rb");
        fseek(g, 0, SEEK_END);
        long len = ftell(g);
        fseek(g, 0, SEEK_SET);
        unsigned char *b = malloc((size_t)len);
        CHECK_INT_EQ((long)fread(b, 1, (size_t)len, g), len);
        fclose(g);
        const long body = len - 8 - 12;
        uint32_t v1 = 1;
        memcpy(b + 8, &v1, 4);
        uint64_t h = hw_fnv1a64(b, (size_t)body, HW_FNV_OFFSET);
        memcpy(b + body, &h, 8);
        char p1[600];
        snprintf(p1, sizeof p1, "%s/v1.bin", dir);
        g = fopen(p1, "wb");
        fwrite(b, 1, (size_t)body + 8, g);
        fclose(g);
        free(b);
        memset(p2, 0, n * 4);
        CHECK_INT_EQ(hw_train_state_read(p1, &r, t, 2, p2, m2, v2, n, NULL), 0);
        CHECK(memcmp(p, p2, n * 4) == 0 && memcmp(v, v2, n * 4) == 0);
        CHECK_INT_EQ(r.step, 77);
        hw_train_state_free(&r);
        /* a model with state cannot continue from it */
        hw_tensor bt[2] = {{"stem.0.1.running_mean", 1, {8}, 0, 8}, {"stem.0.1.running_var", 1, {8}, 8, 8}};
        float sv[16];
        hw_train_model_state ms = {bt, 2, sv, 16};
        CHECK_INT_EQ(hw_train_state_read(p1, &r, t, 2, p2, m2, v2, n, &ms), -1);
        CHECK_STR_EQ(msg(), "v1.bin: training state version 1 has no model state (BatchNorm running "
                            "statistics), which this model needs; start the run again");
    }

    /* model state: round trip bit for bit, and refusals of another state table */
    {
        char ps[600];
        snprintf(ps, sizeof ps, "%s/bn.bin", dir);
        hw_tensor bt[2] = {{"stem.0.1.running_mean", 1, {8}, 0, 8}, {"stem.0.1.running_var", 1, {8}, 8, 8}};
        float sv[16], sv2[16];
        for (int i = 0; i < 16; i++) sv[i] = 0.1f * (float)i - 0.37f, sv2[i] = 99.0f;
        sv[3] = -0.0f;
        hw_train_model_state ms = {bt, 2, sv, 16}, ms2 = {bt, 2, sv2, 16};
        CHECK_INT_EQ(hw_train_state_write(ps, &st, t, 2, p, m, v, n, &ms), 0);
        CHECK_INT_EQ(hw_train_state_read(ps, &r, t, 2, p2, m2, v2, n, &ms2), 0);
        CHECK(memcmp(sv, sv2, sizeof sv) == 0);
        CHECK(memcmp(p, p2, n * 4) == 0);
        hw_train_state_free(&r);
        hw_tensor bt3[2] = {bt[0], {"stem.0.1.running_var", 1, {16}, 8, 16}};
        float sv3[24];
        hw_train_model_state ms3 = {bt3, 2, sv3, 24};
        CHECK_INT_EQ(hw_train_state_read(ps, &r, t, 2, p2, m2, v2, n, &ms3), -1);
        CHECK_STR_EQ(msg(), "bn.bin: checkpoint of another shape: tensor stem.0.1.running_var is [8] in "
                            "the file, [16] in this model");
        /* a model without state (SLeNet) given a MaxViT's state file */
        CHECK_INT_EQ(hw_train_state_read(ps, &r, t, 2, p2, m2, v2, n, NULL), -1);
        CHECK_STR_EQ(msg(), "bn.bin: checkpoint of another model: it has tensor stem.0.1.running_mean "
                            "where this model has none");
        /* a file with a future version */
        FILE *g = fopen(ps, "r+b");
        uint32_t v9 = 9;
        fseek(g, 8, SEEK_SET);
        fwrite(&v9, 4, 1, g);
        fclose(g);
        CHECK_INT_EQ(hw_train_state_read(ps, &r, t, 2, p2, m2, v2, n, &ms2), -1);
        CHECK_STR_EQ(msg(), "bn.bin: training state version 9, this program reads versions 1 to 2");
    }

    /* corrupt: one flipped byte in the weights; truncated */
    FILE *f = fopen(path, "r+b");
    fseek(f, -1000, SEEK_END);
    int c = fgetc(f);
    fseek(f, -1000, SEEK_END);
    fputc(c ^ 0x40, f);
    fclose(f);
    CHECK_INT_EQ(hw_train_state_read(path, &r, t, 2, p2, m2, v2, n, NULL), -1);
    CHECK_STR_EQ(msg(), "state.bin: training state checksum mismatch (corrupt file)");
    CHECK_INT_EQ(truncate(path, 5000), 0);
    CHECK_INT_EQ(hw_train_state_read(path, &r, t, 2, p2, m2, v2, n, NULL), -1);
    CHECK_STR_EQ(msg(), "state.bin: truncated training state");
    f = fopen(path, "wb");
    fputs("PK not a state", f);
    fclose(f);
    CHECK_INT_EQ(hw_train_state_read(path, &r, t, 2, p2, m2, v2, n, NULL), -1);
    CHECK_STR_EQ(msg(), "state.bin: not a hitwin training state (bad magic)");

    free(p), free(m), free(v), free(p2), free(m2), free(v2);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    return TEST_RESULT();
}
