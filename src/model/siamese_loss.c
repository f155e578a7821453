/* The three training objectives on top of the branches (reference.md 4.2-4.4):
 *   contrastive  bias * L_con(pairwise distance, margin) + CE of the head on e1 - e2
 *   triplet      TripletMarginLoss(margin, p=2, eps=1e-7) on (anchor, positive, negative)
 *   supcon       per position: L2-normalise twice (forward_one of a supcon model, then the
 *                loop's F.normalize), MultiviewSINCERE over its views; no mask (bug 17)
 * Every per-item term is summed over the shard and divided by global_n, so the ranks'
 * gradients add up to the gradient of the global batch's mean. */
#include "model_internal.h"

#include "hitwin/error.h"
#include "hitwin/nn.h"
#include "hitwin/xalloc.h"

#include <math.h>
#include <string.h>


/* loss scratch: bump allocation from m->lbuf, sized before the first take */
typedef struct {
    float *base;
    size_t off;
} lscratch;

static float *take(lscratch *s, size_t n) {
    float *p = s->base + s->off;
    s->off += (n + 15) & ~(size_t)15;
    memset(p, 0, n * sizeof(float));
    return p;
}

static int check_batch(const hw_model *m, const hw_batch *b) {
    if (b->n < 1 || b->global_n < b->n)
        return hw_fail("model: batch of %d items with global_n %d", b->n, b->global_n);
    int want = m->cfg.loss == HW_LOSS_CONTRASTIVE ? 2 : m->cfg.loss == HW_LOSS_TRIPLET ? 3 : 0;
    if (want && b->views != want)
        return hw_fail("model: %s loss takes %d views per item, the batch has %d",
                       m->cfg.loss == HW_LOSS_CONTRASTIVE ? "contrastive" : "triplet", want, b->views);
    if (!want && b->views < 2)
        return hw_fail("model: supcon loss needs at least 2 views per item, the batch has %d",
                       b->views);
    if (m->cfg.loss != HW_LOSS_TRIPLET && !b->labels) return hw_fail("model: batch without labels");
    if (b->tiles_on_device) return hw_fail("model: a batch in device memory for the CPU model (internal error)");
    return 0;
}

static int contrastive(hw_model *m, const hw_batch *b, int train, hw_step_stats *st) {
    const int D = m->D;
    const int n = b->n;
    const float scale = (float)n / (float)b->global_n;
    const float *e1 = hw_view_emb(m, 0, n), *e2 = hw_view_emb(m, 1, n);
    lscratch s = {m->lbuf, 0};
    float *dist = take(&s, n), *y = take(&s, n), *diff = take(&s, (size_t)n * D);
    float *hz = take(&s, 2 * n), *hg = take(&s, 2 * n), *probs = take(&s, 2 * n);
    float *probs2 = take(&s, 2 * n);
    int32_t *t = (int32_t *)take(&s, n);
    for (int i = 0; i < n; i++) {
        t[i] = b->labels[i];
        y[i] = b->targets ? b->targets[i] : (float)b->labels[i];
    }
    float con, ce;
    pairwise_distance_forward(dist, e1, e2, NN_PAIRWISE_EPS, n, D);
    contrastive_loss_forward(&con, dist, y, m->cfg.margin, n);
    /* LastLayerNN: Linear(83, 2) -> GELU -> Softmax on e1 - e2 */
    for (size_t k = 0; k < (size_t)n * D; k++) diff[k] = e1[k] - e2[k];
    linear_forward(hz, diff, hw_p(m, m->head_w), hw_p(m, m->head_b), n, D, HW_HEAD_OUT);
    gelu_forward(hg, hz, 2 * (size_t)n);
    if (m->cfg.ce_form == HW_CE_REFERENCE)
        double_softmax_ce_forward(&ce, probs, probs2, hg, t, n, HW_HEAD_OUT);
    else
        crossentropy_forward(&ce, probs, hg, t, n, HW_HEAD_OUT);
    st->con_loss = (double)con * scale;
    st->ce_loss = (double)ce * scale;
    st->loss = (double)m->cfg.bias * st->con_loss + st->ce_loss;
    for (int i = 0; i < n; i++) st->n_correct += (probs[2 * i + 1] > probs[2 * i]) == (t[i] == 1);
    if (!isfinite(st->loss))
        return hw_fail("model: non-finite loss %g (contrastive %g, classifier %g)", st->loss,
                       st->con_loss, st->ce_loss);
    if (!train) return 0;

    float *ddist = take(&s, n), *dhg = take(&s, 2 * n), *dhz = take(&s, 2 * n);
    float *ddiff = take(&s, (size_t)n * D);
    float *d1 = m->demb, *d2 = m->demb + (size_t)n * D;
    memset(m->demb, 0, 2 * (size_t)n * D * sizeof(float));
    contrastive_loss_backward(ddist, m->cfg.bias * scale, dist, y, m->cfg.margin, n);
    pairwise_distance_backward(d1, d2, ddist, e1, e2, dist, NN_PAIRWISE_EPS, n, D);
    if (m->cfg.ce_form == HW_CE_REFERENCE)
        double_softmax_ce_backward(dhg, scale, probs, probs2, t, n, HW_HEAD_OUT);
    else
        crossentropy_backward(dhg, scale, probs, t, n, HW_HEAD_OUT);
    gelu_backward(dhz, dhg, hz, 2 * (size_t)n);
    linear_backward(ddiff, hw_g(m, m->head_w), hw_g(m, m->head_b), dhz, diff, hw_p(m, m->head_w), n, D,
                    HW_HEAD_OUT);
    for (size_t k = 0; k < (size_t)n * D; k++) {
        d1[k] += ddiff[k];
        d2[k] -= ddiff[k];
    }
    return 0;
}

static int triplet(hw_model *m, const hw_batch *b, int train, hw_step_stats *st) {
    const int D = m->D;
    const int n = b->n;
    const float scale = (float)n / (float)b->global_n, eps = NN_TRIPLET_EPS_HTF;
    const float *a = hw_view_emb(m, 0, n), *p = hw_view_emb(m, 1, n), *q = hw_view_emb(m, 2, n);
    lscratch s = {m->lbuf, 0};
    float *dap = take(&s, n), *dan = take(&s, n), loss;
    pairwise_distance_forward(dap, a, p, eps, n, D);
    pairwise_distance_forward(dan, a, q, eps, n, D);
    triplet_loss_forward(&loss, dap, dan, m->cfg.margin, n);
    st->con_loss = st->loss = (double)loss * scale;
    if (!isfinite(st->loss)) return hw_fail("model: non-finite loss %g (triplet)", st->loss);
    if (!train) return 0;
    float *ddap = take(&s, n), *ddan = take(&s, n);
    float *da = m->demb, *dp = da + (size_t)n * D, *dq = dp + (size_t)n * D;
    memset(m->demb, 0, 3 * (size_t)n * D * sizeof(float));
    triplet_loss_backward(ddap, ddan, scale, dap, dan, m->cfg.margin, n);
    pairwise_distance_backward(da, dp, ddap, a, p, dap, eps, n, D);
    pairwise_distance_backward(da, dq, ddan, a, q, dan, eps, n, D);
    return 0;
}

static int supcon(hw_model *m, const hw_batch *b, int train, hw_step_stats *st) {
    const int D = m->D;
    const int n = b->n, V = b->views;
    const float inv_global = 1.0f / (float)b->global_n;
    lscratch s = {m->lbuf, 0};
    float *zr = take(&s, (size_t)V * D), *z1 = take(&s, (size_t)V * D), *z2 = take(&s, (size_t)V * D);
    float *logits = take(&s, (size_t)V * V);
    float *dz2 = take(&s, (size_t)V * D), *dz1 = take(&s, (size_t)V * D), *dzr = take(&s, (size_t)V * D);
    if (train) memset(m->demb, 0, (size_t)V * n * D * sizeof(float));
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        /* one genomic position: its V views in batch order, each row labelled by its class */
        const int32_t *lab = (const int32_t *)b->labels + (size_t)i * V;
        for (int v = 0; v < V; v++)
            memcpy(zr + (size_t)v * D, hw_view_emb(m, v, n) + (size_t)i * D, D * sizeof(float));
        l2norm_forward(z1, zr, NN_L2NORM_EPS, V, D); /* SLeNet.forward_one, supcon=True */
        l2norm_forward(z2, z1, NN_L2NORM_EPS, V, D); /* the training loop's F.normalize */
        float l;
        sincere_loss_forward(&l, logits, z2, lab, m->cfg.temperature, V, 1, D);
        total += l;
        if (!train || !isfinite(l)) continue;
        memset(dz2, 0, (size_t)V * D * sizeof(float));
        memset(dz1, 0, (size_t)V * D * sizeof(float));
        memset(dzr, 0, (size_t)V * D * sizeof(float));
        sincere_loss_backward(dz2, inv_global, logits, z2, lab, m->cfg.temperature, V, 1, D);
        l2norm_backward(dz1, dz2, z1, NN_L2NORM_EPS, V, D);
        l2norm_backward(dzr, dz1, zr, NN_L2NORM_EPS, V, D);
        for (int v = 0; v < V; v++)
            memcpy(m->demb + ((size_t)v * n + i) * D, dzr + (size_t)v * D, D * sizeof(float));
    }
    st->con_loss = st->loss = total / b->global_n;
    if (!isfinite(st->loss)) return hw_fail("model: non-finite loss %g (supcon)", st->loss);
    return 0;
}

static int run(hw_model *m, const hw_batch *b, int train, uint64_t rng_counter, hw_step_stats *st) {
    const int D = m->D;
    memset(st, 0, sizeof *st);
    if (check_batch(m, b)) return -1;
    const int n = b->n, V = b->views;
    hw_model_reserve(m, n, V);
    size_t need = (size_t)n * (4 * D + 64) + 8 * (size_t)V * D + (size_t)V * V + 256;
    hw_grow(&m->lbuf, &m->lbuf_cap, need);
    /* supcon calls forward_one directly: normalised, never masked (reference bug 17) */
    const int mask = m->cfg.loss == HW_LOSS_SUPCON ? 0 : m->cfg.mask;
    hw_backbone_forward(m, b->tiles, n, V, mask, train, rng_counter);
    int rc = m->cfg.loss == HW_LOSS_CONTRASTIVE ? contrastive(m, b, train, st)
             : m->cfg.loss == HW_LOSS_TRIPLET   ? triplet(m, b, train, st)
                                                : supcon(m, b, train, st);
    if (rc || !train) return rc;
    hw_backbone_backward(m, n, V);
    return 0;
}

int hw_model_train_step(hw_model *m, const hw_batch *b, uint64_t rng_counter, hw_step_stats *st) {
    return run(m, b, 1, rng_counter, st);
}

int hw_model_eval_loss(hw_model *m, const hw_batch *b, hw_step_stats *st) {
    return run(m, b, 0, 0, st);
}
