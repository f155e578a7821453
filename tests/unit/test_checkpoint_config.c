/* A checkpoint's model config (checkpoint_config.h), as distance and saliency read it: the
 * reference's scaling when the checkpoint stores no config, the stored input_transform and
 * norm_region otherwise (every name train.h writes, `none` included), the mask from the
 * "mask" tensor, exact messages for an unknown value, and the "key: value" reader not
 * mistaking one key for another that it begins (fold / folds). */
#include <string.h>

#include "hitwin/checkpoint_config.h"
#include "hitwin/error.h"
#include "test_util.h"

/* a file with one metadata pair "config" -> yaml (or none) and, optionally, a "mask" tensor */
static hw_st_file file_with(const char *yaml, int mask, char **meta, hw_st_tensor *t) {
    hw_st_file f = {0};
    if (yaml) {
        meta[0] = "config";
        meta[1] = (char *)yaml;
        f.meta = meta;
        f.n_meta = 1;
    }
    if (mask) {
        memset(t, 0, sizeof *t);
        t->name = "mask";
        f.tensors = t;
        f.n = 1;
    }
    return f;
}

int main(void) {
    char *meta[2];
    hw_st_tensor t;
    hw_model_config c;

    hw_st_file f = file_with(NULL, 0, meta, &t);
    CHECK_INT_EQ(hw_checkpoint_model_config(&f, "ref.safetensors", 224, &c), 0);
    CHECK_INT_EQ(c.image_size, 224);
    CHECK_INT_EQ(c.mask, 0);
    CHECK_INT_EQ(c.input_transform, HW_INPUT_NONE);
    CHECK_INT_EQ(c.norm_region, HW_NORM_WHOLE);

    f = file_with("tiles: t.h5\ninput_transform: oe\nnorm_region: none\n", 1, meta, &t);
    CHECK_INT_EQ(hw_checkpoint_model_config(&f, "a.safetensors", 32, &c), 0);
    CHECK_INT_EQ(c.image_size, 32);
    CHECK_INT_EQ(c.mask, 1);
    CHECK_INT_EQ(c.input_transform, HW_INPUT_OE);
    CHECK_INT_EQ(c.norm_region, HW_NORM_NONE);

    f = file_with("input_transform: \"log1p\"\nnorm_region: offdiag   # comment\n", 0, meta, &t);
    CHECK_INT_EQ(hw_checkpoint_model_config(&f, "b.safetensors", 224, &c), 0);
    CHECK_INT_EQ(c.input_transform, HW_INPUT_LOG1P);
    CHECK_INT_EQ(c.norm_region, HW_NORM_OFFDIAG);

    f = file_with("input_transform: none\nnorm_region: whole\n", 0, meta, &t);
    CHECK_INT_EQ(hw_checkpoint_model_config(&f, "c.safetensors", 224, &c), 0);
    CHECK_INT_EQ(c.input_transform, HW_INPUT_NONE);
    CHECK_INT_EQ(c.norm_region, HW_NORM_WHOLE);

    CHECK_INT_EQ(c.smooth, 0); /* a config without the key: a run from before it */
    f = file_with("input_transform: oe\nsmooth: 2\n", 0, meta, &t);
    CHECK_INT_EQ(hw_checkpoint_model_config(&f, "s.safetensors", 224, &c), 0);
    CHECK_INT_EQ(c.smooth, 2);
    f = file_with("smooth: 9\n", 0, meta, &t);
    CHECK_INT_EQ(hw_checkpoint_model_config(&f, "s9.safetensors", 224, &c), -1);
    CHECK_STR_EQ(hw_error(), "s9.safetensors: 'smooth' in the checkpoint's config must be 0..8, got '9'");
    f = file_with("input_transform: sqrt\n", 0, meta, &t);
    CHECK_INT_EQ(hw_checkpoint_model_config(&f, "d.safetensors", 224, &c), -1);
    CHECK_STR_EQ(hw_error(), "d.safetensors: unknown input_transform 'sqrt' in the checkpoint's config");
    f = file_with("input_transform: oe\nnorm_region: whole_tile\n", 0, meta, &t);
    CHECK_INT_EQ(hw_checkpoint_model_config(&f, "e.safetensors", 224, &c), -1);
    CHECK_STR_EQ(hw_error(), "e.safetensors: unknown norm_region 'whole_tile' in the checkpoint's config");

    char v[8];
    const char *y = "folds: 2\nfold: 1\nname: abcdefghij\n";
    CHECK_INT_EQ(hw_config_value(y, "fold", v, sizeof v), 1);
    CHECK_STR_EQ(v, "1");
    CHECK_INT_EQ(hw_config_value(y, "folds", v, sizeof v), 1);
    CHECK_STR_EQ(v, "2");
    CHECK_INT_EQ(hw_config_value(y, "name", v, sizeof v), 1);
    CHECK_STR_EQ(v, "abcdefg"); /* cut at cap - 1 */
    CHECK_INT_EQ(hw_config_value(y, "seed", v, sizeof v), 0);
    return test_failures ? 1 : 0;
}
