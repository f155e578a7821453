// The Siamese objectives and the input stage on the device (gpu_objective.h), shared by the
// GPU SLeNet (slenet_cuda.cu) and the GPU MaxViT (maxvit_cuda.c): siamese_loss.c's
// contrastive (+ the LastLayerNN head), triplet and supcon on view-major embeddings, and
// hw_model_prepare_inputs. Moved here from slenet_cuda.cu unchanged in arithmetic: the same
// op calls in the same order, so SLeNet's results are bit-identical to before.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.cuh"
#include "gpu_objective.h"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_slenet.h" // gpu_input_normalise

__global__ static void sub_kernel(float *out, const float *a, const float *b, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = a[i] - b[i];
}

// d1 += x, d2 -= x (the head's input e1 - e2)
__global__ static void add_sub_kernel(float *d1, float *d2, const float *x, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        d1[i] += x[i];
        d2[i] -= x[i];
    }
}


// ---- objectives (siamese_loss.c) ------------------------------------------------------------

static int contrastive(hw_gpu *g, hw_gpu_objective *o, const float *emb, float *demb,
                       const hw_batch *b, int train, hw_step_stats *st) {
    const int n = b->n, D = o->D, HO = o->HO;
    const size_t nD = (size_t)n * D;
    const float scale = (float)n / (float)b->global_n;
    const float *e1 = emb, *e2 = emb + nD; // views 0 and 1 (view-major)
    int32_t *t = (int32_t *)malloc((size_t)n * sizeof(int32_t));
    float *yh = (float *)malloc((size_t)n * sizeof(float)), *ph = (float *)malloc((size_t)n * HO * sizeof(float));
    float lh[2];
    int rc = -1;
    for (int i = 0; i < n; i++) t[i] = b->labels[i], yh[i] = b->targets ? b->targets[i] : (float)b->labels[i];
    if (hw_gpu_upload(g, o->labels, t, (size_t)n * sizeof(int32_t)) ||
        hw_gpu_upload(g, o->y, yh, (size_t)n * sizeof(float)))
        goto done;
    if (gpu_pairwise_distance_forward(g, o->dist, e1, e2, NN_PAIRWISE_EPS, n, D) ||
        gpu_contrastive_loss_forward(g, o->loss, o->dist, o->y, o->cfg.margin, n))
        goto done;
    // LastLayerNN: Linear(D, 2) -> GELU -> Softmax on e1 - e2
    sub_kernel<<<hw_grid(nD, 256), 256, 0, g->stream>>>(o->diff, e1, e2, nD);
    if (cudaGetLastError() != cudaSuccess) {
        hw_fail("cuda objective: the e1 - e2 kernel failed to launch");
        goto done;
    }
    if (gpu_linear_forward(g, o->hz, o->diff, o->head_w, o->head_b, n, D, HO) ||
        gpu_gelu_forward(g, o->hg, o->hz, (size_t)n * HO))
        goto done;
    if (o->cfg.ce_form == HW_CE_REFERENCE
            ? gpu_double_softmax_ce_forward(g, o->loss + 1, o->probs, o->probs2, o->hg, o->labels, n, HO)
            : gpu_crossentropy_forward(g, o->loss + 1, o->probs, o->hg, o->labels, n, HO))
        goto done;
    if (hw_gpu_download(g, lh, o->loss, sizeof lh) ||
        hw_gpu_download(g, ph, o->probs, (size_t)n * HO * sizeof(float)))
        goto done;
    st->con_loss = (double)lh[0] * scale;
    st->ce_loss = (double)lh[1] * scale;
    st->loss = (double)o->cfg.bias * st->con_loss + st->ce_loss;
    for (int i = 0; i < n; i++) st->n_correct += (ph[2 * i + 1] > ph[2 * i]) == (t[i] == 1);
    if (!isfinite(st->loss)) {
        hw_fail("model: non-finite loss %g (contrastive %g, classifier %g)", st->loss, st->con_loss,
                st->ce_loss);
        goto done;
    }
    if (!train) {
        rc = 0;
        goto done;
    }
    // backward into d1 = demb[0], d2 = demb[1]
    {
        float *d1 = demb, *d2 = demb + nD;
        const size_t fs = sizeof(float);
        if (hw_gpu_zero(g, demb, 2 * nD * fs) || hw_gpu_zero(g, o->ddist, (size_t)n * fs) ||
            hw_gpu_zero(g, o->dhg, (size_t)n * HO * fs) || hw_gpu_zero(g, o->dhz, (size_t)n * HO * fs) ||
            hw_gpu_zero(g, o->ddiff, nD * fs))
            goto done;
        if (gpu_contrastive_loss_backward(g, o->ddist, o->cfg.bias * scale, o->dist, o->y,
                                          o->cfg.margin, n) ||
            gpu_pairwise_distance_backward(g, d1, d2, o->ddist, e1, e2, o->dist, NN_PAIRWISE_EPS, n, D))
            goto done;
        if (o->cfg.ce_form == HW_CE_REFERENCE
                ? gpu_double_softmax_ce_backward(g, o->dhg, scale, o->probs, o->probs2, o->labels, n, HO)
                : gpu_crossentropy_backward(g, o->dhg, scale, o->probs, o->labels, n, HO))
            goto done;
        if (gpu_gelu_backward(g, o->dhz, o->dhg, o->hz, (size_t)n * HO) ||
            gpu_linear_backward(g, o->ddiff, o->dhead_w, o->dhead_b, o->dhz, o->diff, o->head_w,
                                n, D, HO))
            goto done;
        add_sub_kernel<<<hw_grid(nD, 256), 256, 0, g->stream>>>(d1, d2, o->ddiff, nD);
        if (cudaGetLastError() != cudaSuccess) {
            hw_fail("cuda objective: the head-gradient kernel failed to launch");
            goto done;
        }
    }
    rc = 0;
done:
    free(t), free(yh), free(ph);
    return rc;
}

static int triplet(hw_gpu *g, hw_gpu_objective *o, const float *emb, float *demb,
                       const hw_batch *b, int train, hw_step_stats *st) {
    const int n = b->n, D = o->D;
    const size_t nD = (size_t)n * D, fs = sizeof(float);
    const float scale = (float)n / (float)b->global_n, eps = NN_TRIPLET_EPS_HTF;
    const float *a = emb, *p = a + nD, *q = p + nD; // views 0, 1, 2 (view-major)
    float l;
    if (gpu_pairwise_distance_forward(g, o->dist, a, p, eps, n, D) ||
        gpu_pairwise_distance_forward(g, o->dist2, a, q, eps, n, D) ||
        gpu_triplet_loss_forward(g, o->loss, o->dist, o->dist2, o->cfg.margin, n) ||
        hw_gpu_download(g, &l, o->loss, sizeof l))
        return -1;
    st->con_loss = st->loss = (double)l * scale;
    if (!isfinite(st->loss)) return hw_fail("model: non-finite loss %g (triplet)", st->loss);
    if (!train) return 0;
    float *da = demb, *dp = da + nD, *dq = dp + nD;
    if (hw_gpu_zero(g, demb, 3 * nD * fs) || hw_gpu_zero(g, o->ddist, (size_t)n * fs) ||
        hw_gpu_zero(g, o->ddist2, (size_t)n * fs))
        return -1;
    if (gpu_triplet_loss_backward(g, o->ddist, o->ddist2, scale, o->dist, o->dist2, o->cfg.margin, n) ||
        gpu_pairwise_distance_backward(g, da, dp, o->ddist, a, p, o->dist, eps, n, D) ||
        gpu_pairwise_distance_backward(g, da, dq, o->ddist2, a, q, o->dist2, eps, n, D))
        return -1;
    return 0;
}

// One position of V views per item; siamese_loss.c's loop, batched where the C op is per row:
// gather the views item-major, L2-normalise every row twice (forward_one of a supcon model,
// then the loop's F.normalize), SINCERE per position over its V rows (labels per row), and
// back. Positions are independent, so the per-position calls differ from the C loop only in
// running on the GPU.
static int supcon(hw_gpu *g, hw_gpu_objective *o, const float *emb, float *demb,
                       const hw_batch *b, int train, hw_step_stats *st) {
    cudaStream_t stream = g->stream;
    const int n = b->n, V = b->views, D = o->D;
    const size_t row = (size_t)D * sizeof(float), VD = (size_t)V * D, rows = (size_t)n * VD;
    const float inv_global = 1.0f / (float)b->global_n, tau = o->cfg.temperature;
    int32_t *lab = (int32_t *)malloc((size_t)n * V * sizeof(int32_t));
    float *lh = (float *)malloc((size_t)n * sizeof(float));
    int rc = -1;
    for (size_t k = 0; k < (size_t)n * V; k++) lab[k] = b->labels[k];
    if (hw_gpu_upload(g, o->labels, lab, (size_t)n * V * sizeof(int32_t))) goto done;
    // zr[i, v] = emb of view v, item i: a strided copy per view
    for (int v = 0; v < V; v++) {
        cudaError_t e = cudaMemcpy2DAsync(o->zr + (size_t)v * D, VD * sizeof(float),
                                          emb + (size_t)v * n * D,
                                          row, row, (size_t)n, cudaMemcpyDeviceToDevice, stream);
        if (e != cudaSuccess) {
            hw_gpu_failed("cuda", "cudaMemcpy2DAsync (gather the views)", cudaGetErrorString(e),
                          NULL, __FILE__, __LINE__);
            goto done;
        }
    }
    if (gpu_l2norm_forward(g, o->z1, o->zr, NN_L2NORM_EPS, n * V, D) ||
        gpu_l2norm_forward(g, o->z2, o->z1, NN_L2NORM_EPS, n * V, D))
        goto done;
    for (int i = 0; i < n; i++)
        if (gpu_sincere_loss_forward(g, o->loss + i, o->slogits + (size_t)i * V * V,
                                     o->z2 + (size_t)i * VD, o->labels + (size_t)i * V, tau, V, 1, D))
            goto done;
    if (hw_gpu_download(g, lh, o->loss, (size_t)n * sizeof(float))) goto done;
    {
        double total = 0.0;
        for (int i = 0; i < n; i++) total += lh[i];
        st->con_loss = st->loss = total / b->global_n;
    }
    if (!isfinite(st->loss)) {
        hw_fail("model: non-finite loss %g (supcon)", st->loss);
        goto done;
    }
    if (!train) {
        rc = 0;
        goto done;
    }
    if (hw_gpu_zero(g, o->dz2, rows * sizeof(float)) || hw_gpu_zero(g, o->dz1, rows * sizeof(float)) ||
        hw_gpu_zero(g, o->dzr, rows * sizeof(float)))
        goto done;
    for (int i = 0; i < n; i++)
        if (gpu_sincere_loss_backward(g, o->dz2 + (size_t)i * VD, o->sscratch, inv_global,
                                      o->slogits + (size_t)i * V * V, o->z2 + (size_t)i * VD,
                                      o->labels + (size_t)i * V, tau, V, 1, D))
            goto done;
    if (gpu_l2norm_backward(g, o->dz1, o->dz2, o->z1, NN_L2NORM_EPS, n * V, D) ||
        gpu_l2norm_backward(g, o->dzr, o->dz1, o->zr, NN_L2NORM_EPS, n * V, D))
        goto done;
    // demb[v, i] = dzr[i, v] (written, not added: the C op copies too)
    for (int v = 0; v < V; v++) {
        cudaError_t e = cudaMemcpy2DAsync(demb + (size_t)v * n * D, row, o->dzr + (size_t)v * D,
                                          VD * sizeof(float), row, (size_t)n,
                                          cudaMemcpyDeviceToDevice, stream);
        if (e != cudaSuccess) {
            hw_gpu_failed("cuda", "cudaMemcpy2DAsync (scatter the views)", cudaGetErrorString(e),
                          NULL, __FILE__, __LINE__);
            goto done;
        }
    }
    rc = 0;
done:
    free(lab), free(lh);
    return rc;
}

// ---- the public entry points ----------------------------------------------------------------

extern "C" void hw_gpu_objective_layout(hw_gpu_objective *o, hw_gpu_carver *c, int n, int views) {
    const size_t n1 = (size_t)n, N = n1 * views, D = (size_t)o->D;
    o->labels = (int32_t *)hw_gpu_carve(c, N, sizeof(int32_t));
    o->y = (float *)hw_gpu_carve(c, n1, sizeof(float));
    o->dist = (float *)hw_gpu_carve(c, n1, sizeof(float));
    o->dist2 = (float *)hw_gpu_carve(c, n1, sizeof(float));
    o->ddist = (float *)hw_gpu_carve(c, n1, sizeof(float));
    o->ddist2 = (float *)hw_gpu_carve(c, n1, sizeof(float));
    o->diff = (float *)hw_gpu_carve(c, n1 * D, sizeof(float));
    o->ddiff = (float *)hw_gpu_carve(c, n1 * D, sizeof(float));
    const size_t nh = n1 * (o->HO > 0 ? o->HO : 1);
    o->hz = (float *)hw_gpu_carve(c, nh, sizeof(float));
    o->hg = (float *)hw_gpu_carve(c, nh, sizeof(float));
    o->probs = (float *)hw_gpu_carve(c, nh, sizeof(float));
    o->probs2 = (float *)hw_gpu_carve(c, nh, sizeof(float));
    o->dhg = (float *)hw_gpu_carve(c, nh, sizeof(float));
    o->dhz = (float *)hw_gpu_carve(c, nh, sizeof(float));
    o->loss = (float *)hw_gpu_carve(c, n1 > 4 ? n1 : 4, sizeof(float));
    o->zr = o->z1 = o->z2 = o->dz2 = o->dz1 = o->dzr = o->slogits = o->sscratch = NULL;
    if (o->cfg.loss == HW_LOSS_SUPCON) {
        const size_t rows = N * D, V2 = (size_t)views * views;
        o->zr = (float *)hw_gpu_carve(c, rows, sizeof(float));
        o->z1 = (float *)hw_gpu_carve(c, rows, sizeof(float));
        o->z2 = (float *)hw_gpu_carve(c, rows, sizeof(float));
        o->dz2 = (float *)hw_gpu_carve(c, rows, sizeof(float));
        o->dz1 = (float *)hw_gpu_carve(c, rows, sizeof(float));
        o->dzr = (float *)hw_gpu_carve(c, rows, sizeof(float));
        o->slogits = (float *)hw_gpu_carve(c, n1 * V2, sizeof(float));
        o->sscratch = (float *)hw_gpu_carve(c, V2, sizeof(float));
    }
}

extern "C" int hw_gpu_objective_check(const hw_model_config *cfg, const hw_batch *b) {
    const hw_loss_kind loss = cfg->loss;
    if (b->n < 1 || b->global_n < b->n)
        return hw_fail("model: batch of %d items with global_n %d", b->n, b->global_n);
    const int want = loss == HW_LOSS_CONTRASTIVE ? 2 : loss == HW_LOSS_TRIPLET ? 3 : 0;
    if (want && b->views != want)
        return hw_fail("model: %s loss takes %d views per item, the batch has %d",
                       loss == HW_LOSS_CONTRASTIVE ? "contrastive" : "triplet", want, b->views);
    if (!want && b->views < 2)
        return hw_fail("model: supcon loss needs at least 2 views per item, the batch has %d",
                       b->views);
    if (loss != HW_LOSS_TRIPLET && !b->labels) return hw_fail("model: batch without labels");
    return 0;
}

extern "C" int hw_gpu_objective_run(hw_gpu *g, hw_gpu_objective *o, const float *emb, float *demb,
                                    const hw_batch *b, int train, hw_step_stats *st) {
    return o->cfg.loss == HW_LOSS_CONTRASTIVE ? contrastive(g, o, emb, demb, b, train, st)
           : o->cfg.loss == HW_LOSS_TRIPLET   ? triplet(g, o, emb, demb, b, train, st)
                                              : supcon(g, o, emb, demb, b, train, st);
}

extern "C" int hw_gpu_prepare_inputs(hw_gpu *g, const hw_model_config *cfg, float *x, float *maxval,
                                     const float *in, int n, int views, int mask) {
    const size_t S2 = (size_t)cfg->image_size * cfg->image_size, vn = (size_t)n;
    // row v n + i is item i's view v: view v's tiles are read from the item-major batch,
    // views * S2 apart, into rows v n .. v n + n - 1
    for (int v = 0; v < views; v++)
        if (gpu_input_normalise(g, x + v * vn * S2, maxval + v * vn, in + v * S2, views * S2, n,
                                cfg->image_size, cfg->input_transform, cfg->norm_region,
                                cfg->smooth))
            return -1;
    if (mask && gpu_diagmask_forward(g, x, x, NN_DIAG_MASK_BAND, n * views, cfg->image_size,
                                     cfg->image_size))
        return -1;
    return 0;
}
