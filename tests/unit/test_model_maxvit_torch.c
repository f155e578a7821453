/* The tiny MaxViT against PyTorch: tests/data/maxvit_model_fixture.{safetensors,bin}, written by
 * tests/fixtures/make_maxvit_model_fixture.py (torchvision's maxvit_t modules and names at a
 * tiny size, float64 from float32 weights). The C model loads the state_dict with
 * hw_model_load (names, shapes, running statistics, mask; torch's int64 buffers, the position
 * index checked against the C model's), then must reproduce
 *  - the evaluation embeddings of 3 raw tiles (running statistics, no stochastic depth),
 *  - a training step of the triplet objective over 2 items x 3 views, every view its own
 *    BatchNorm batch: the loss, every parameter's gradient, and the running statistics after
 *    the step (the last view's, momentum 0.99).
 * Tolerances: embeddings, loss and running statistics 1e-5 + 1e-4 |t|; gradients
 * 1e-4 max|t| + 1e-3 |t| per tensor (float32 through ~40 ops, BatchNorm over 2 tiles), with
 * an absolute floor of 1e-5 of the largest gradient of the model: some gradients are exactly
 * zero (a BatchNorm's bias in front of a bias-free conv and another BatchNorm, the last
 * layer's bias that shifts every embedding alike), and float32 leaves ~1e-7 there. */
#include "hitwin/model.h"
#include "hitwin/error.h"
#include "fixture_reader.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#define S 56

/* atol < 0: -atol times the tensor's max|t|; floor: an absolute minimum of the tolerance */
static int compare_floor(const char *what, const float *got, const FixArray *ref, size_t n, double atol,
                         double rtol, double floor, int quiet) {
    if (ref->n != n) {
        fprintf(stderr, "%s: %zu values, fixture has %zu\n", what, n, ref->n);
        return 1;
    }
    double max_ref = 0.0, max_err = 0.0;
    for (size_t i = 0; i < n; i++) max_ref = fmax(max_ref, fabs(ref->data[i]));
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const double err = fabs((double)got[i] - ref->data[i]);
        max_err = fmax(max_err, err);
        if (!(err <= fmax(floor, (atol < 0 ? -atol * max_ref : atol) + rtol * fabs(ref->data[i])))) {
            if (bad < 3) fprintf(stderr, "  %s[%zu] = %.8g, torch %.8g\n", what, i, got[i], ref->data[i]);
            bad++;
        }
    }
    if (!quiet || bad) printf("%-60s n=%-6zu max err=%.3g (max|t| %.3g)%s\n", what, n, max_err, max_ref, bad ? "  FAIL" : "");
    return bad != 0;
}

static int compare(const char *what, const float *got, const FixArray *ref, size_t n, double atol, double rtol,
                   int quiet) {
    return compare_floor(what, got, ref, n, atol, rtol, 0.0, quiet);
}

int main(void) {
    if (!fix_load("tests/data/maxvit_model_fixture.bin", "tests/fixtures/make_maxvit_model_fixture.py")) return 1;
    hw_model_config c = {.image_size = S, .mask = 1, .loss = HW_LOSS_TRIPLET, .margin = 1.0f,
                         .backbone = HW_BACKBONE_SMAXVIT};
    c.maxvit = (hw_maxvit_arch){.n_blocks = 2, .stem_channels = 8, .channels = {8, 16}, .layers = {1, 2},
                                .head_dim = 4, .stochastic_depth = 0.0f};
    hw_model *m = hw_model_create(&c, 1);
    CHECK(m != NULL);
    if (!m || hw_model_load(m, "tests/data/maxvit_model_fixture.safetensors") != 0) {
        fprintf(stderr, "%s\n", hw_error());
        return 1;
    }
    const int D = hw_model_embed_dim(m);
    float emb[3 * 16];
    CHECK_INT_EQ(D, 16);
    hw_model_embed(m, get("eval.tiles")->data, 3, emb);
    test_failures += compare("eval embeddings", emb, get("eval.emb"), 3 * 16, 1e-5, 1e-4, 0);

    hw_batch b = {.n = 2, .views = 3, .global_n = 2, .tiles = get("train.tiles")->data};
    hw_step_stats st;
    hw_model_zero_grad(m);
    CHECK_INT_EQ(hw_model_train_step(m, &b, 0, &st), 0);
    const float loss = (float)st.loss;
    test_failures += compare("train loss", &loss, get("train.loss"), 1, 1e-5, 1e-4, 0);

    const hw_tensor *t;
    const int nt = hw_model_tensors(m, &t);
    const float *g = hw_model_grads(m, NULL);
    int bad = 0;
    char key[128];
    double gmax = 0.0;
    for (int k = 0; k < nt; k++) {
        snprintf(key, sizeof key, "grad.%s", t[k].name);
        const FixArray *r = get(key);
        for (size_t i = 0; i < r->n; i++) gmax = fmax(gmax, fabs(r->data[i]));
    }
    for (int k = 0; k < nt; k++) {
        snprintf(key, sizeof key, "grad.%s", t[k].name);
        bad += compare_floor(key, g + t[k].offset, get(key), t[k].numel, -1e-4, 1e-3, 1e-5 * gmax, 1);
    }
    printf("gradients: %d tensors (max|g| %.3g), %d outside max(1e-5 max|g|, 1e-4 max|t| + 1e-3 |t|)\n", nt,
           gmax, bad);
    test_failures += bad;
    const int ns = hw_model_state_tensors(m, &t);
    const float *state = hw_model_state(m, NULL);
    bad = 0;
    for (int k = 0; k < ns; k++) {
        snprintf(key, sizeof key, "state.%s", t[k].name);
        bad += compare(key, state + t[k].offset, get(key), t[k].numel, 1e-5, 1e-4, 1);
    }
    printf("running statistics: %d tensors, %d outside 1e-5 + 1e-4 |t|\n", ns, bad);
    test_failures += bad;
    hw_model_free(m);
    for (int i = 0; i < g_count; i++) free(g_arr[i].data);
    free(g_arr);
    return TEST_RESULT();
}
