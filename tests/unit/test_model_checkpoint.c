/* Checkpoints: save/load round trip (parameters bit-identical, metadata with escapes,
 * the head file beside the backbone's), the head path rule, and the exact one-line
 * messages for a checkpoint of another shape or mask setting, a truncated file, a corrupt
 * header, a non-safetensors file and a missing head file. A refused load leaves the
 * model's parameters untouched. */
#include "hitwin/error.h"
#include "hitwin/model.h"
#include "hitwin/safetensors.h"
#include "test_util.h"

#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/hw_ckpt_XXXXXX";

static hw_model *make(int S, int mask, hw_loss_kind loss, uint64_t seed) {
    hw_model_config c = {S, mask, 0.5f, loss, HW_CE_REFERENCE, 2.0f, 2.0f, 0.07f, HW_INPUT_NONE, HW_NORM_WHOLE, HW_BACKBONE_SLENET, {0}, 0};
    return hw_model_create(&c, seed);
}

static void copy_prefix(const char *from, const char *to, long nbytes) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char *buf = malloc((size_t)nbytes);
    size_t got = fread(buf, 1, (size_t)nbytes, a);
    fwrite(buf, 1, got, b);
    fclose(a);
    fclose(b);
    free(buf);
}

static long file_size(const char *p) {
    FILE *f = fopen(p, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* load must fail with exactly `want` and leave the parameters as they were */
static void refuse(hw_model *m, const char *path, const char *want) {
    size_t n;
    float *p = hw_model_params(m, &n);
    float *before = malloc(n * sizeof(float));
    memcpy(before, p, n * sizeof(float));
    CHECK(hw_model_load(m, path) == -1);
    CHECK_STR_EQ(hw_error(), want);
    CHECK(memcmp(before, p, n * sizeof(float)) == 0);
    free(before);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    char p40[256], p40nn[256], p40nomask[256], p224[256], bad[256], want[1024];
    snprintf(p40, sizeof p40, "%s/m40.safetensors", dir);
    snprintf(p40nn, sizeof p40nn, "%s/m40_nn.safetensors", dir);
    snprintf(p40nomask, sizeof p40nomask, "%s/m40_nomask.safetensors", dir);
    snprintf(p224, sizeof p224, "%s/m224.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);

    /* head path */
    char hp[64];
    CHECK(hw_model_head_path("run/best.safetensors", hp, sizeof hp) == 0);
    CHECK_STR_EQ(hp, "run/best_nn.safetensors");
    CHECK(hw_model_head_path("run.d/best", hp, sizeof hp) == 0);
    CHECK_STR_EQ(hp, "run.d/best_nn");
    CHECK(hw_model_head_path("a.b.ckpt", hp, sizeof hp) == 0);
    CHECK_STR_EQ(hp, "a.b_nn.ckpt");
    CHECK(hw_model_head_path("x/y.z", hp, 4) == -1);

    /* round trip, with metadata that needs JSON escapes */
    hw_model *a = make(40, 1, HW_LOSS_CONTRASTIVE, 1), *b = make(40, 1, HW_LOSS_CONTRASTIVE, 2);
    const char *meta[] = {"config", "model:\n  name: \"SLeNet\"\tx\\y", "hitwin", "0.1.0", NULL};
    CHECK(hw_model_save(a, p40, meta) == 0);
    CHECK(file_size(p40nn) > 0);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", p40, (long)getpid());
    CHECK(access(tmp, F_OK) != 0); /* renamed, not left behind */
    size_t n;
    CHECK(memcmp(hw_model_params(a, &n), hw_model_params(b, NULL), 64) != 0);
    CHECK(hw_model_load(b, p40) == 0);
    CHECK(memcmp(hw_model_params(a, &n), hw_model_params(b, NULL), n * sizeof(float)) == 0);
    hw_st_file f;
    CHECK(hw_st_read(&f, p40) == 0);
    CHECK_STR_EQ(hw_st_meta(&f, "config"), meta[1]);
    CHECK_STR_EQ(hw_st_meta(&f, "hitwin"), "0.1.0");
    CHECK_STR_EQ(hw_st_meta(&f, "format"), "pt");
    CHECK_INT_EQ(f.n, 9);
    const hw_st_tensor *mk = hw_st_find(&f, "mask");
    CHECK(mk && strcmp(mk->dtype, "I32") == 0 && mk->ndim == 2 && mk->shape[0] == 40);
    if (mk) {
        const int32_t *mv = mk->data;
        CHECK(mv[0] == 0 && mv[2] == 0 && mv[3] == 1 && mv[40 * 5 + 2] == 1 && mv[40 * 5 + 3] == 0);
    }
    hw_st_close(&f);
    CHECK(hw_st_read(&f, p40nn) == 0);
    CHECK_INT_EQ(f.n, 2);
    CHECK(hw_st_find(&f, "net.0.weight") && hw_st_find(&f, "net.0.bias"));
    hw_st_close(&f);
    /* a triplet model reads the backbone file alone */
    hw_model *t = make(40, 1, HW_LOSS_TRIPLET, 3);
    CHECK(hw_model_load(t, p40) == 0);
    CHECK(memcmp(hw_model_params(a, NULL), hw_model_params(t, NULL),
                 hw_model_backbone_floats(t) * sizeof(float)) == 0);

    /* another image size */
    hw_model *big = make(224, 1, HW_LOSS_CONTRASTIVE, 4);
    snprintf(want, sizeof want,
             "%s: tensor mask has shape [40, 40], the model expects [224, 224] (image size 224)", p40);
    refuse(big, p40, want);
    hw_model *nomask = make(40, 0, HW_LOSS_TRIPLET, 5), *nomask224 = make(224, 0, HW_LOSS_TRIPLET, 6);
    CHECK(hw_model_save(nomask, p40nomask, NULL) == 0);
    snprintf(want, sizeof want,
             "%s: tensor linear.1.weight has shape [120, 784], the model expects [120, 44944] (image size 224)",
             p40nomask);
    refuse(nomask224, p40nomask, want);
    /* mask settings differ */
    snprintf(want, sizeof want, "%s: unexpected tensor mask (the model was built without the mask)", p40);
    refuse(nomask, p40, want);
    snprintf(want, sizeof want, "%s: no tensor mask (a checkpoint of another model, or saved without the mask?)",
             p40nomask);
    refuse(t, p40nomask, want);

    /* truncated: inside the data, inside the header */
    long full = file_size(p40);
    copy_prefix(p40, bad, full / 2);
    snprintf(want, sizeof want, "%s: truncated safetensors file (the tensors need %ld bytes, the file has %ld)",
             bad, full, full / 2);
    refuse(t, bad, want);
    copy_prefix(p40, bad, 100);
    uint64_t hlen;
    FILE *fp = fopen(p40, "rb");
    CHECK(fread(&hlen, 8, 1, fp) == 1);
    fclose(fp);
    snprintf(want, sizeof want, "%s: truncated safetensors file (the header needs %llu bytes, the file has 100)",
             bad, (unsigned long long)hlen + 8);
    refuse(t, bad, want);
    /* not a safetensors file */
    snprintf(want, sizeof want,
             "%s: not a safetensors file (no 8-byte header length followed by a JSON header)",
             "tests/data/model_fixture.bin");
    refuse(t, "tests/data/model_fixture.bin", want);
    fp = fopen(bad, "wb");
    fputs("hello", fp);
    fclose(fp);
    snprintf(want, sizeof want, "%s: not a safetensors file (no 8-byte header length followed by a JSON header)", bad);
    refuse(t, bad, want);
    /* corrupt header: a broken value, an unknown dtype */
    const char *hdr = "{\"mask\":{\"dtype\":\"I32\",\"shape\":[40,40],\"data_offsets\":[0,x]}}   ";
    fp = fopen(bad, "wb");
    uint64_t len = strlen(hdr);
    fwrite(&len, 8, 1, fp);
    fputs(hdr, fp);
    fclose(fp);
    snprintf(want, sizeof want, "%s: corrupt safetensors header: expected an integer at byte %d", bad,
             8 + (int)(strchr(hdr, 'x') - hdr));
    refuse(t, bad, want);
    hdr = "{\"mask\":{\"dtype\":\"Q32\",\"shape\":[1],\"data_offsets\":[0,4]}}      ";
    fp = fopen(bad, "wb");
    len = strlen(hdr);
    fwrite(&len, 8, 1, fp);
    fputs(hdr, fp);
    fputs("abcd", fp);
    fclose(fp);
    CHECK(hw_model_load(t, bad) == -1);
    CHECK(strstr(hw_error(), "corrupt safetensors header: unknown dtype at byte") != NULL);
    /* a missing head file */
    unlink(p40nn);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", p40nn);
    refuse(b, p40, want);

    hw_model_free(a);
    hw_model_free(b);
    hw_model_free(t);
    hw_model_free(big);
    hw_model_free(nomask);
    hw_model_free(nomask224);
    unlink(p40);
    unlink(p40nomask);
    unlink(bad);
    rmdir(dir);
    return TEST_RESULT();
}
