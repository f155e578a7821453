/* A checkpoint's model config (include/hitwin/checkpoint_config.h). */
#include <stdlib.h>
#include <string.h>

#include "hitwin/checkpoint_config.h"
#include "hitwin/error.h"
#include "hitwin/maxvit_config.h"
#include "hitwin/train.h"

int hw_config_value(const char *yaml, const char *key, char *out, size_t cap) {
    size_t kl = strlen(key);
    for (const char *p = yaml; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, kl) != 0 || p[kl] != ':') continue;
        p += kl + 1;
        while (*p == ' ' || *p == '"') p++;
        size_t n = 0;
        while (p[n] && p[n] != '\n' && p[n] != '"' && p[n] != ' ' && p[n] != '#' && n + 1 < cap) n++;
        memcpy(out, p, n);
        out[n] = '\0';
        return 1;
    }
    return 0;
}

/* An enum value by its name, through train.h's own name functions, so that every value the
 * trainer can write is read back without a second list to keep; -1 when none has it. */
#define ENUM_LIMIT 16
static int transform_by_name(const char *v) {
    for (int k = 0; k < ENUM_LIMIT; k++)
        if (!strcmp(hw_input_transform_name((hw_input_transform)k), v)) return k;
    return -1;
}
static int region_by_name(const char *v) {
    for (int k = 0; k < ENUM_LIMIT; k++)
        if (!strcmp(hw_norm_region_name((hw_norm_region)k), v)) return k;
    return -1;
}

int hw_checkpoint_model_config(const hw_st_file *f, const char *path, int tile_size,
                               hw_model_config *cfg) {
    /* the evaluation model: loss, margin and dropout do not act outside training */
    *cfg = (hw_model_config){.image_size = tile_size, .mask = hw_st_find(f, "mask") != NULL,
                             .dropout = 0.5f, .loss = HW_LOSS_TRIPLET, .margin = 1.0f,
                             .temperature = 0.07f};
    const char *yaml = hw_st_meta(f, "config");
    if (!yaml) return 0;
    char v[32];
    if (hw_config_value(yaml, "model", v, sizeof v) && hw_model_backbone_by_name(v, &cfg->backbone) != 0)
        return hw_fail("%s: unknown model '%s' in the checkpoint's config (SLeNet, SMaxViT or SMaxViTMulti)",
                       path, v);
    /* a smaller MaxViT than maxvit_t: its `maxvit:` mapping, read by the trainer's parser */
    if (cfg->backbone != HW_BACKBONE_SLENET && strstr(yaml, "\nmaxvit:")) {
        yt_doc *d = yt_load_string(yaml, path);
        const yt_node *a = d && d->root && d->root->kind == YT_MAP ? yt_get(d->root, "maxvit") : NULL;
        /* the parser's messages name the file and the line of the stored config */
        int bad = !d ? -1 : !a ? hw_fail("%s: the stored config's 'maxvit' is not a mapping", path)
                               : hw_maxvit_arch_parse(d, a, &cfg->maxvit);
        yt_free(d);
        if (bad) return -1;
    }
    if (hw_config_value(yaml, "input_transform", v, sizeof v)) {
        int k = transform_by_name(v);
        if (k < 0) return hw_fail("%s: unknown input_transform '%s' in the checkpoint's config", path, v);
        cfg->input_transform = (hw_input_transform)k;
    }
    if (hw_config_value(yaml, "smooth", v, sizeof v)) { /* absent: a run from before the key, 0 */
        char *end = NULL;
        long h = strtol(v, &end, 10);
        if (end == v || *end || h < 0 || h > HW_SMOOTH_MAX)
            return hw_fail("%s: 'smooth' in the checkpoint's config must be 0..%d, got '%s'", path,
                           HW_SMOOTH_MAX, v);
        cfg->smooth = (int)h;
    }
    if (hw_config_value(yaml, "norm_region", v, sizeof v)) {
        int k = region_by_name(v);
        if (k < 0) return hw_fail("%s: unknown norm_region '%s' in the checkpoint's config", path, v);
        cfg->norm_region = (hw_norm_region)k;
    }
    return 0;
}
