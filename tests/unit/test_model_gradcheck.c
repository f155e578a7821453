/* The whole Siamese model (normalisation, mask, SLeNet, dropout, head, each objective)
 * against central finite differences at a small image size, the loss against a direct
 * double-precision composition from the embeddings, shard additivity (two shards with
 * global_n = n sum to the full batch's gradient, dropout included), and the 224 model's
 * parameter count and tensor table.
 *
 * Finite differences per tensor along 8 unit directions u: the gradient direction, 3
 * random sign vectors, and the 4 elements of largest |gradient|; analytic g.u against the
 * fourth-order central difference [8 (L(+h) - L(-h)) - (L(+2h) - L(-2h))] / 12h of
 * L(w + s u), h = 1e-3 (the loss is a float32 computation; whole-
 * tensor directions carry a signal of |g|, far above the rounding noise). Tolerance:
 *   |analytic - fd| <= 1e-3 * G + 2e-2 * |fd| + 2e-7 |L| / h
 * G = |g|_2 of the tensor for the whole-tensor directions, max|g| for single elements;
 * the last term is the float rounding of the loss. */
#include "hitwin/model.h"
#include "hitwin/error.h"
#include "hitwin/nn.h"
#include "test_util.h"

#include <stdlib.h>

#define S 32

static float frand(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((*s >> 40) & 0xFFFFFF) / 16777216.0f;
}

/* Hi-C-like raw tiles: a decaying diagonal plus noise */
static void make_tiles(float *t, int count, uint64_t seed) {
    for (int k = 0; k < count; k++)
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++) {
                int d = abs(i - j);
                t[((size_t)k * S + i) * S + j] = 50.0f / (1.0f + d) * (0.5f + frand(&seed)) + 3.0f * frand(&seed);
            }
}

static hw_model_config cfg_for(hw_loss_kind loss, hw_ce_form ce) {
    hw_model_config c = {S, 1, 0.5f, loss, ce, 2.0f, loss == HW_LOSS_TRIPLET ? 1.0f : 2.0f, 0.07f, HW_INPUT_NONE, HW_NORM_WHOLE, HW_BACKBONE_SLENET, {0}, 0};
    return c;
}

static double loss_at(hw_model *m, const hw_batch *b, uint64_t ctr) {
    hw_step_stats st;
    hw_model_zero_grad(m);
    if (hw_model_train_step(m, b, ctr, &st)) {
        fprintf(stderr, "train_step: %s\n", hw_error());
        return NAN;
    }
    return st.loss;
}

static void gradcheck(const char *what, hw_model *m, const hw_batch *b, int corrupt) {
    const uint64_t ctr = 12345;
    const double h = 1e-3;
    size_t np;
    float *p = hw_model_params(m, &np);
    float *g0 = malloc(np * sizeof(float)), *w0 = malloc(np * sizeof(float));
    double *u = malloc(np * sizeof(double));
    double L0 = loss_at(m, b, ctr);
    memcpy(g0, hw_model_grads(m, NULL), np * sizeof(float));
    memcpy(w0, p, np * sizeof(float));
    const double noise = 2e-7 * fabs(L0) / h; /* float rounding of the loss, over 2h */
    const hw_tensor *t;
    int nt = hw_model_tensors(m, &t);
    uint64_t rs = 77;
    for (int k = 0; k < nt; k++) {
        const float *g = g0 + t[k].offset;
        const size_t ne = t[k].numel;
        double gmax = 0, gnorm = 0;
        for (size_t i = 0; i < ne; i++) gmax = fmax(gmax, fabs(g[i])), gnorm += (double)g[i] * g[i];
        gnorm = sqrt(gnorm);
        CHECK(gmax > 0); /* every tensor gets a gradient */
        int bad = 0, checks = 0;
        double worst = 0;
        size_t top[4] = {0, 0, 0, 0}; /* the 4 largest |g|, in order */
        for (int r = 0; r < 4 && (size_t)r < ne; r++) {
            double bv = -1;
            for (size_t i = 0; i < ne; i++) {
                int taken = 0;
                for (int q = 0; q < r; q++) taken |= top[q] == i;
                if (!taken && fabs(g[i]) > bv) bv = fabs(g[i]), top[r] = i;
            }
        }
        if (corrupt && k == 2) g0[t[k].offset + top[0]] *= 1.05f; /* self-test: 5 % off */
        /* directions: the gradient itself, 3 random signs, then the 4 largest elements */
        for (int dir = 0; dir < 8; dir++) {
            memset(u, 0, ne * sizeof(double));
            if (dir == 0) {
                for (size_t i = 0; i < ne; i++) u[i] = g[i] / gnorm;
            } else if (dir < 4) {
                for (size_t i = 0; i < ne; i++) u[i] = (frand(&rs) < 0.5f ? -1.0 : 1.0) / sqrt((double)ne);
            } else {
                if ((size_t)(dir - 4) >= ne) break;
                u[top[dir - 4]] = 1.0;
            }
            double a = 0, lpm[4];
            for (size_t i = 0; i < ne; i++) a += (double)g[i] * u[i];
            static const double steps[4] = {1, -1, 2, -2};
            for (int q = 0; q < 4; q++) {
                for (size_t i = 0; i < ne; i++)
                    p[t[k].offset + i] = (float)(w0[t[k].offset + i] + steps[q] * h * u[i]);
                lpm[q] = loss_at(m, b, ctr);
            }
            memcpy(p + t[k].offset, w0 + t[k].offset, ne * sizeof(float));
            /* fourth-order central difference: supcon's 1/tau^3 curvature defeats the
             * second-order one at any h the float loss allows */
            double fd = (8 * (lpm[0] - lpm[1]) - (lpm[2] - lpm[3])) / (12 * h);
            double err = fabs(a - fd), tol = 1e-3 * (dir < 4 ? gnorm : gmax) + 2e-2 * fabs(fd) + noise;
            checks++;
            if (err > tol) {
                bad++;
                fprintf(stderr, "  %s %s direction %d: analytic %.6g fd %.6g (tol %.3g)\n", what,
                        t[k].name, dir, a, fd, tol);
            }
            worst = fmax(worst, err / tol);
        }
        printf("%-22s %-18s |g| %.3e  worst err/tol %.2f  failed %d/%d\n", what, t[k].name, gnorm,
               worst, bad, checks);
        if (corrupt && k == 2) {
            CHECK(bad > 0); /* the check can fail */
            break;
        }
        CHECK(bad == 0);
    }
    free(g0);
    free(w0);
    free(u);
}

/* double-precision reference composition from the embeddings (dropout 0, eval mode) */
static double ref_loss(hw_model *m, const hw_batch *b, double *con_out, double *ce_out) {
    const hw_model_config *c = hw_model_cfg(m);
    const int D = hw_model_embed_dim(m), n = b->n, V = b->views;
    float *e = malloc((size_t)n * V * D * sizeof(float));
    /* rows item-major: e[(i*V + v)*D]; supcon never masks (reference bug 17): embed with a
     * mask-off twin of the same parameters */
    hw_model_config c0 = *c;
    c0.mask = c->loss == HW_LOSS_SUPCON ? 0 : c->mask;
    hw_model *me = hw_model_create(&c0, 0);
    memcpy(hw_model_params(me, NULL), hw_model_params(m, NULL), hw_model_backbone_floats(m) * sizeof(float));
    hw_model_embed(me, b->tiles, n * V, e);
    hw_model_free(me);
    const hw_tensor *t;
    hw_model_tensors(m, &t);
    double total = 0, con = 0, ce = 0;
    if (c->loss == HW_LOSS_CONTRASTIVE) {
        const float *W = hw_model_params(m, NULL) + t[8].offset, *B = hw_model_params(m, NULL) + t[9].offset;
        for (int i = 0; i < n; i++) {
            const float *e1 = e + (size_t)(2 * i) * D, *e2 = e1 + D;
            double d2 = 0;
            for (int k = 0; k < D; k++) d2 += pow((double)e1[k] - e2[k] + 1e-6, 2);
            double d = sqrt(d2), y = b->labels[i];
            con += (1 - y) * d2 + y * pow(fmax(0, c->margin - d), 2);
            double z[2], pr[2];
            for (int o = 0; o < 2; o++) {
                double s = B[o];
                for (int k = 0; k < D; k++) s += (double)W[o * D + k] * ((double)e1[k] - e2[k]);
                z[o] = 0.5 * s * (1 + erf(s / sqrt(2.0)));
            }
            double mx = fmax(z[0], z[1]);
            double lse = mx + log(exp(z[0] - mx) + exp(z[1] - mx));
            pr[0] = exp(z[0] - lse), pr[1] = exp(z[1] - lse);
            if (c->ce_form == HW_CE_REFERENCE)
                ce += -pr[b->labels[i]] + log(exp(pr[0]) + exp(pr[1]));
            else
                ce += -(z[b->labels[i]] - lse);
        }
        con /= b->global_n, ce /= b->global_n;
        total = c->bias * con + ce;
    } else if (c->loss == HW_LOSS_TRIPLET) {
        for (int i = 0; i < n; i++) {
            const float *a = e + (size_t)(3 * i) * D, *p = a + D, *q = p + D;
            double dp = 0, dn = 0;
            for (int k = 0; k < D; k++) {
                dp += pow((double)a[k] - p[k] + 1e-7, 2);
                dn += pow((double)a[k] - q[k] + 1e-7, 2);
            }
            total += fmax(0, sqrt(dp) - sqrt(dn) + c->margin);
        }
        con = total /= b->global_n;
    } else {
        for (int i = 0; i < n; i++) {
            double z[16][128];
            for (int v = 0; v < V; v++) {
                double nn = 0;
                for (int k = 0; k < D; k++) nn += (double)e[((size_t)i * V + v) * D + k] * e[((size_t)i * V + v) * D + k];
                for (int k = 0; k < D; k++) z[v][k] = e[((size_t)i * V + v) * D + k] / sqrt(nn);
            }
            const int *lab = b->labels + i * V;
            double li = 0;
            for (int a = 0; a < V; a++) {
                int np = 0;
                double sum = 0;
                for (int q = 0; q < V; q++) {
                    if (q == a || lab[q] != lab[a]) continue;
                    np++;
                    double sp = 0, den;
                    for (int k = 0; k < D; k++) sp += z[a][k] * z[q][k];
                    sp /= c->temperature;
                    den = exp(sp);
                    for (int r = 0; r < V; r++) {
                        if (lab[r] == lab[a]) continue;
                        double sn = 0;
                        for (int k = 0; k < D; k++) sn += z[a][k] * z[r][k];
                        den += exp(sn / c->temperature);
                    }
                    sum += -(sp - log(den));
                }
                if (np) li += sum / np;
            }
            total += li / V;
        }
        con = total /= b->global_n;
    }
    free(e);
    *con_out = con;
    *ce_out = ce;
    return total;
}

static void run_case(const char *what, hw_loss_kind loss, hw_ce_form ce, int n, int V,
                     const int *labels) {
    hw_model_config c = cfg_for(loss, ce);
    /* supcon's loss sums terms of size 1/tau: its float rounding (~1e-7/tau absolute) over
     * 2h swamps the finite difference at tau = 0.07, so the gradient check runs at tau =
     * 0.5 (the same code path); the loss check below uses 0.07 */
    c.temperature = 0.5f;
    hw_model *m = hw_model_create(&c, 7);
    c.temperature = 0.07f;
    float *tiles = malloc((size_t)n * V * S * S * sizeof(float));
    make_tiles(tiles, n * V, 99 + (uint64_t)loss);
    hw_batch b = {n, V, n, tiles, labels, 0, NULL};
    gradcheck(what, m, &b, 0);
    if (loss == HW_LOSS_CONTRASTIVE && ce == HW_CE_REFERENCE) {
        printf("self-test: features.2.weight's largest gradient element made 5 %% wrong\n");
        gradcheck("(self-test)", m, &b, 1);
    }

    /* the loss against the double composition: dropout off */
    c.dropout = 0.0f;
    hw_model *m0 = hw_model_create(&c, 7);
    hw_step_stats st;
    b.global_n = 2 * n; /* losses are sums over the shard / global_n */
    CHECK(hw_model_train_step(m0, &b, 0, &st) == 0);
    double con, ce_ref, ref = ref_loss(m0, &b, &con, &ce_ref);
    printf("%-22s loss %.7f  reference %.7f (con %.7f / %.7f, ce %.7f / %.7f)\n", what, st.loss, ref,
           st.con_loss, con, st.ce_loss, ce_ref);
    CHECK_NEAR(st.loss, ref, 1e-6, 1e-5);
    CHECK_NEAR(st.con_loss, con, 1e-6, 1e-5);
    CHECK_NEAR(st.ce_loss, ce_ref, 1e-6, 1e-5);
    hw_step_stats se;
    CHECK(hw_model_eval_loss(m0, &b, &se) == 0);
    CHECK_NEAR(se.loss, st.loss, 0, 1e-6);

    /* shard additivity with dropout on: items [0, h) and [h, n) with global_n = n and
     * rng_counter advanced by h * V * F give the full batch's gradient */
    b.global_n = n;
    size_t np;
    hw_model_zero_grad(m);
    CHECK(hw_model_train_step(m, &b, 1000, &st) == 0);
    float *gfull = malloc(np = hw_model_params(m, NULL) ? 0 : 0);
    hw_model_grads(m, &np);
    gfull = realloc(gfull, np * sizeof(float));
    memcpy(gfull, hw_model_grads(m, NULL), np * sizeof(float));
    const int h = n / 2;
    const uint64_t F = hw_model_dropout_draws_per_tile(m);
    hw_batch b1 = {h, V, n, tiles, labels, 0, NULL};
    hw_batch b2 = {n - h, V, n, tiles + (size_t)h * V * S * S, labels ? labels + (loss == HW_LOSS_SUPCON ? h * V : h) : NULL, 0, NULL};
    hw_step_stats s1, s2;
    hw_model_zero_grad(m);
    CHECK(hw_model_train_step(m, &b1, 1000, &s1) == 0);
    CHECK(hw_model_train_step(m, &b2, 1000 + (uint64_t)h * V * F, &s2) == 0);
    CHECK_NEAR(s1.loss + s2.loss, st.loss, 1e-7, 1e-5);
    const float *gs = hw_model_grads(m, NULL);
    double gm = 0, em = 0;
    for (size_t i = 0; i < np; i++) gm = fmax(gm, fabs(gfull[i])), em = fmax(em, fabs(gs[i] - gfull[i]));
    printf("%-22s shards: loss %.7f + %.7f = %.7f, max |grad diff| %.2e of max %.2e\n", what,
           s1.loss, s2.loss, st.loss, em, gm);
    CHECK(em <= 1e-5 * gm);
    free(gfull);
    free(tiles);
    hw_model_free(m);
    hw_model_free(m0);
}

static void check_table(void) {
    hw_model_config c = {224, 1, 0.5f, HW_LOSS_CONTRASTIVE, HW_CE_REFERENCE, 2.0f, 2.0f, 0.07f, HW_INPUT_NONE, HW_NORM_WHOLE, HW_BACKBONE_SLENET, {0}, 0};
    hw_model *m = hw_model_create(&c, 1);
    const hw_tensor *t;
    int nt = hw_model_tensors(m, &t);
    CHECK_INT_EQ(nt, 10);
    CHECK_INT_EQ(hw_model_backbone_floats(m), 5406015);
    size_t np;
    hw_model_params(m, &np);
    CHECK_INT_EQ(np, 5406015 + 168);
    static const char *names[10] = {"features.0.weight", "features.0.bias", "features.2.weight",
                                    "features.2.bias", "linear.1.weight", "linear.1.bias",
                                    "linear.3.weight", "linear.3.bias", "head.0.weight", "head.0.bias"};
    static const int64_t shapes[10][4] = {{6, 1, 5, 5}, {6}, {16, 6, 5, 5}, {16}, {120, 44944}, {120},
                                          {83, 120}, {83}, {2, 83}, {2}};
    static const int nd[10] = {4, 1, 4, 1, 2, 1, 2, 1, 2, 1};
    size_t off = 0;
    for (int k = 0; k < nt; k++) {
        CHECK_STR_EQ(t[k].name, names[k]);
        CHECK_INT_EQ(t[k].ndim, nd[k]);
        size_t numel = 1;
        for (int d = 0; d < nd[k]; d++) {
            CHECK_INT_EQ(t[k].shape[d], shapes[k][d]);
            numel *= (size_t)shapes[k][d];
        }
        CHECK_INT_EQ(t[k].numel, numel);
        CHECK_INT_EQ(t[k].offset, off);
        off += numel;
    }
    CHECK_INT_EQ(hw_model_embed_dim(m), 83);
    CHECK_INT_EQ(hw_model_dropout_draws_per_tile(m), 44944);
    /* init bounds: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    const float *p = hw_model_params(m, NULL);
    float mx = 0;
    for (size_t i = 0; i < t[4].numel; i++) mx = fmaxf(mx, fabsf(p[t[4].offset + i]));
    CHECK(mx <= 1.0f / sqrtf(44944.0f) && mx > 0.99f / sqrtf(44944.0f));
    hw_model_free(m);
    /* triplet and supcon models have no head */
    c.loss = HW_LOSS_TRIPLET;
    m = hw_model_create(&c, 1);
    CHECK_INT_EQ(hw_model_tensors(m, NULL), 8);
    hw_model_params(m, &np);
    CHECK_INT_EQ(np, 5406015);
    hw_model_free(m);
}

static void check_guards(void) {
    /* an all-zero tile stays zero (reference: NaN) and the loss is finite */
    hw_model_config c = cfg_for(HW_LOSS_CONTRASTIVE, HW_CE_REFERENCE);
    hw_model *m = hw_model_create(&c, 3);
    float *tiles = calloc(2 * 2 * S * S, sizeof(float));
    make_tiles(tiles + 2 * S * S, 2, 5);
    int labels[2] = {0, 1};
    hw_batch b = {2, 2, 2, tiles, labels, 0, NULL};
    hw_step_stats st;
    CHECK(hw_model_train_step(m, &b, 0, &st) == 0);
    CHECK(isfinite(st.loss));
    /* a NaN tile gives a non-finite loss: -1 with a message, no gradient written */
    tiles[5] = NAN;
    hw_model_zero_grad(m);
    CHECK(hw_model_train_step(m, &b, 0, &st) == -1);
    CHECK(strncmp(hw_error(), "model: non-finite loss", 22) == 0);
    size_t np;
    const float *g = hw_model_grads(m, &np);
    int nz = 0;
    for (size_t i = 0; i < np; i++) nz += g[i] != 0;
    CHECK_INT_EQ(nz, 0);
    /* wrong view count */
    b.views = 3;
    CHECK(hw_model_train_step(m, &b, 0, &st) == -1);
    CHECK_STR_EQ(hw_error(), "model: contrastive loss takes 2 views per item, the batch has 3");
    free(tiles);
    hw_model_free(m);
}

/* Contrastive targets (graded edits, hw_batch.targets) replace the labels in the contrastive
 * term only: the labels' own values give the labels' loss bit for bit, and the loss is
 * linear in the targets (each pair's (1 - y) d^2 + y max(0, margin - d)^2). */
static void check_targets(void) {
    hw_model_config c = cfg_for(HW_LOSS_CONTRASTIVE, HW_CE_REFERENCE);
    hw_model *m = hw_model_create(&c, 3);
    float *tiles = calloc(2 * 2 * S * S, sizeof(float));
    make_tiles(tiles, 4, 9);
    int labels[2] = {0, 1};
    float as_labels[2] = {0.0f, 1.0f}, zeros[2] = {0, 0}, ones[2] = {1, 1}, halves[2] = {0.5f, 0.5f};
    hw_batch b = {2, 2, 2, tiles, labels, 0, NULL};
    hw_step_stats st;
    double con[5];
    const float *t[5] = {NULL, as_labels, zeros, ones, halves};
    for (int k = 0; k < 5; k++) {
        b.targets = t[k];
        CHECK(hw_model_train_step(m, &b, 0, &st) == 0);
        con[k] = st.con_loss;
    }
    CHECK(con[0] == con[1]);
    CHECK(con[2] != con[3]);
    CHECK_NEAR(con[4], 0.5 * (con[2] + con[3]), 1e-6, 1e-6);
    free(tiles);
    hw_model_free(m);
}

int main(void) {
    check_table();
    check_guards();
    check_targets();
    const int pair_labels[4] = {0, 1, 1, 0};
    run_case("contrastive/reference", HW_LOSS_CONTRASTIVE, HW_CE_REFERENCE, 4, 2, pair_labels);
    run_case("contrastive/logits", HW_LOSS_CONTRASTIVE, HW_CE_LOGITS, 4, 2, pair_labels);
    run_case("triplet", HW_LOSS_TRIPLET, HW_CE_REFERENCE, 4, 3, NULL);
    const int sc_labels[12] = {0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1};
    run_case("supcon", HW_LOSS_SUPCON, HW_CE_REFERENCE, 3, 4, sc_labels);
    return TEST_RESULT();
}
