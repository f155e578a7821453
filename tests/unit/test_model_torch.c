/* The Siamese SLeNet model against PyTorch running the reference's own classes
 * (tests/fixtures/make_model_fixture.py, torch in float64 from float32 weights and tiles;
 * image size 40, mask on, dropout 0). The weights come from
 * tests/data/model_fixture.safetensors (+ _nn for the head), loaded with hw_model_load.
 *
 * Tolerances (|ours - torch| <= atol + rtol |torch|):
 *   embeddings, losses                                    1e-5 + 1e-4 |torch|
 *   every gradient of one step (G = max |torch| of the
 *   tensor; gradients are ~1e-3, so a plain 1e-5 would
 *   hide a wrong tensor)                                  1e-3 G + 1e-4 |torch|
 *   the losses of 10 optimiser steps (Adam lr 1e-3,
 *   Adagrad lr 1e-2) and parameters after them           2e-5 + 5e-4 |torch|
 * Observed (float32 against float64): losses <= 5e-7, gradients <= 1e-4 G (supcon, whose
 * 1/tau amplifies rounding; ~1e-5 G elsewhere), 10 Adam steps <= 5e-7, 10 Adagrad steps
 * <= 6e-6 (its lr 1e-2 steps are large). */
#include "hitwin/error.h"
#include "hitwin/model.h"
#include "fixture_reader.h"
#include "test_util.h"

#include <stdint.h>
#include <stdlib.h>

#define FIX_PATH "tests/data/model_fixture.bin"
#define WEIGHTS "tests/data/model_fixture.safetensors"
#define S 40

static int load_fixture(const char *path) { return fix_load(path, "tests/fixtures/make_model_fixture.py"); }

static int *ints(const FixArray *a) {
    int *t = calloc(a->n + 1, sizeof(int));
    for (size_t i = 0; i < a->n; i++) t[i] = (int)a->data[i];
    return t;
}

static void compare(const char *name, const float *got, size_t n, double atol, double rtol) {
    const FixArray *ref = get(name);
    if (ref->n != n) {
        fprintf(stderr, "%s: %zu values, fixture has %zu\n", name, n, ref->n);
        test_failures++;
        return;
    }
    int bad = 0;
    double max_err = 0.0, max_ref = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = got[i], b = ref->data[i], err = fabs(a - b);
        if (err > max_err || isnan(err)) max_err = err;
        max_ref = fmax(max_ref, fabs(b));
        if (!(err <= atol + rtol * fabs(b))) {
            if (bad < 3) fprintf(stderr, "  %s[%zu] = %.8g, torch %.8g\n", name, i, a, b);
            bad++;
        }
    }
    printf("%-42s n=%-6zu max|torch| %.3e  max err %.3g%s\n", name, n, max_ref, max_err, bad ? "  FAIL" : "");
    if (bad) test_failures++;
}

static void compare1(const char *name, double got, double atol, double rtol) {
    float g = (float)got;
    compare(name, &g, 1, atol, rtol);
}

static hw_model *load_model(hw_loss_kind loss, hw_ce_form ce) {
    hw_model_config c = {S, 1, 0.0f, loss, ce, 2.0f, loss == HW_LOSS_TRIPLET ? 1.0f : 2.0f, 0.07f, HW_INPUT_NONE, HW_NORM_WHOLE, HW_BACKBONE_SLENET, {0}, 0};
    hw_model *m = hw_model_create(&c, 999);
    if (hw_model_load(m, WEIGHTS)) {
        fprintf(stderr, "hw_model_load: %s\n", hw_error());
        test_failures++;
    }
    return m;
}

static void one_step(const char *cs, const char *data, hw_loss_kind loss, hw_ce_form ce, int views) {
    char name[128];
    hw_model *m = load_model(loss, ce);
    snprintf(name, sizeof name, "%s.tiles", data);
    const FixArray *t = get(name);
    int *labels = NULL;
    if (loss != HW_LOSS_TRIPLET) {
        snprintf(name, sizeof name, "%s.labels", data);
        labels = ints(get(name));
    }
    const int n = t->dims[0];
    CHECK_INT_EQ(t->dims[1], views);
    hw_batch b = {n, views, n, t->data, labels, 0, NULL};
    hw_step_stats st;
    hw_model_zero_grad(m);
    CHECK(hw_model_train_step(m, &b, 0, &st) == 0);
    snprintf(name, sizeof name, "%s.loss", cs);
    compare1(name, st.loss, 1e-5, 1e-4);
    if (loss == HW_LOSS_CONTRASTIVE) {
        snprintf(name, sizeof name, "%s.con", cs);
        compare1(name, st.con_loss, 1e-5, 1e-4);
        snprintf(name, sizeof name, "%s.ce", cs);
        compare1(name, st.ce_loss, 1e-5, 1e-4);
        snprintf(name, sizeof name, "%s.n_correct", cs);
        compare1(name, st.n_correct, 0, 0);
    }
    const hw_tensor *tt;
    int nt = hw_model_tensors(m, &tt);
    const float *g = hw_model_grads(m, NULL);
    for (int k = 0; k < nt; k++) {
        snprintf(name, sizeof name, "%s.grad.%s", cs, tt[k].name);
        const FixArray *ref = get(name);
        double G = 0;
        for (size_t i = 0; i < ref->n; i++) G = fmax(G, fabs(ref->data[i]));
        compare(name, g + tt[k].offset, tt[k].numel, 1e-3 * G, 1e-4);
    }
    if (loss != HW_LOSS_SUPCON) { /* embeddings in eval mode (no dropout either way) */
        float *e = malloc((size_t)n * views * 83 * sizeof(float));
        CHECK(hw_model_embed(m, t->data, n * views, e) == 0);
        snprintf(name, sizeof name, "%s.emb", cs);
        compare(name, e, (size_t)n * views * 83, 1e-5, 1e-4);
        free(e);
    }
    /* eval loss equals the train loss with dropout 0 */
    hw_step_stats se;
    CHECK(hw_model_eval_loss(m, &b, &se) == 0);
    CHECK_NEAR(se.loss, st.loss, 0, 1e-6);
    free(labels);
    hw_model_free(m);
}

static void ten_steps(const char *opt, hw_optim_kind kind) {
    char name[128];
    hw_model *m = load_model(HW_LOSS_CONTRASTIVE, HW_CE_REFERENCE);
    const FixArray *t = get("contrastive.tiles");
    int *labels = ints(get("contrastive.labels"));
    hw_batch b = {t->dims[0], 2, t->dims[0], t->data, labels, 0, NULL};
    snprintf(name, sizeof name, "%s.lr", opt);
    size_t np;
    float *p = hw_model_params(m, &np);
    hw_optim o;
    hw_optim_init(&o, kind, get(name)->data[0], np);
    float losses[10];
    for (int s = 0; s < 10; s++) {
        hw_step_stats st;
        hw_model_zero_grad(m);
        CHECK(hw_model_train_step(m, &b, (uint64_t)s, &st) == 0);
        losses[s] = (float)st.loss;
        hw_optim_step(&o, p, hw_model_grads(m, NULL));
    }
    CHECK_INT_EQ(o.step, 10);
    snprintf(name, sizeof name, "%s.losses", opt);
    compare(name, losses, 10, 2e-5, 5e-4);
    const hw_tensor *tt;
    hw_model_tensors(m, &tt);
    snprintf(name, sizeof name, "%s.final.linear.3.bias", opt);
    compare(name, p + tt[7].offset, tt[7].numel, 2e-5, 5e-4);
    snprintf(name, sizeof name, "%s.final.head.0.weight", opt);
    compare(name, p + tt[8].offset, tt[8].numel, 2e-5, 5e-4);
    hw_optim_free(&o);
    free(labels);
    hw_model_free(m);
}

int main(void) {
    if (!load_fixture(FIX_PATH)) return 1;
    one_step("contrastive_reference", "contrastive", HW_LOSS_CONTRASTIVE, HW_CE_REFERENCE, 2);
    one_step("contrastive_logits", "contrastive", HW_LOSS_CONTRASTIVE, HW_CE_LOGITS, 2);
    one_step("triplet", "triplet", HW_LOSS_TRIPLET, HW_CE_REFERENCE, 3);
    one_step("supcon", "supcon", HW_LOSS_SUPCON, HW_CE_REFERENCE, 4);
    ten_steps("adam", HW_OPTIM_ADAM);
    ten_steps("adagrad", HW_OPTIM_ADAGRAD);
    return TEST_RESULT();
}
