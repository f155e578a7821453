/* The saliency entry points of saliency.h: input preparation is the wrapper's, the rest goes
 * to the backbone's feature-map and input-gradient hooks (backbone.h), refused with a message
 * when the backbone has none. */
#include "model_internal.h"

#include "hitwin/error.h"
#include "hitwin/saliency.h"

#include <string.h>

static int no_hook(const hw_model *m, const char *what) {
    return hw_fail("model: the %s backbone has no %s (saliency supports SLeNet, SMaxViT and SMaxViTMulti)",
                   m->bb->name, what);
}

int hw_model_feature_geometry(const hw_model *m, hw_feature_geometry *g) {
    if (!m->bb->feature_geometry) return no_hook(m, "feature map");
    return m->bb->feature_geometry(m, g);
}

int hw_model_feature_side(const hw_model *m) {
    hw_feature_geometry g;
    return hw_model_feature_geometry(m, &g) ? -1 : g.side;
}

int hw_model_prepare(hw_model *m, const float *tiles, int n, float *x, float *emb) {
    const size_t S2 = (size_t)m->S * m->S;
    const int chunk = m->bb->eval_chunk; /* the arena grows with the largest pass */
    for (int i0 = 0; i0 < n; i0 += chunk) {
        int k = n - i0 < chunk ? n - i0 : chunk;
        hw_model_reserve(m, k, 1);
        hw_backbone_forward(m, tiles + (size_t)i0 * S2, k, 1, m->cfg.mask, 0, 0);
        memcpy(x + (size_t)i0 * S2, m->x, (size_t)k * S2 * sizeof(float));
        if (emb) memcpy(emb + (size_t)i0 * m->D, m->emb, (size_t)k * m->D * sizeof(float));
    }
    return 0;
}

int hw_model_conv2_maps(hw_model *m, const float *x, int n, float *maps) {
    if (!m->bb->feature_maps) return no_hook(m, "feature map");
    return m->bb->feature_maps(m, x, n, maps);
}

int hw_model_distance_grad(hw_model *m, const float *x, int n, const float *other, const uint8_t *role,
                           hw_ig_measure measure, float *dist, float *dx) {
    if (!m->bb->distance_grad) return no_hook(m, "input gradient");
    for (int i = 0; role && i < n; i++)
        if (role[i] & (HW_IG_BOTH | HW_IG_BASELINE_TO))
            return hw_fail("saliency: a both-directions row (HW_IG_BOTH) is for paths only");
    return m->bb->distance_grad(m, x, n, other, role, measure, dist, dx);
}

int hw_model_path_grad(hw_model *m, const float *from, const float *to, const float *alpha, int n,
                       const float *other, int second, hw_ig_measure measure, double *gsum) {
    if (!m->bb->path_grad) return no_hook(m, "input gradient");
    return m->bb->path_grad(m, from, to, alpha, n, other, second, measure, gsum);
}
