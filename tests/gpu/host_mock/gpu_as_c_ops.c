/* Host mock of the GPU layer for tests/gpu/host_mock/dry-run.sh: device memory is host memory
 * and every gpu_* op is its C op, to dry-run test_gpu_maxvit_ops.c's harness (buffer sizes,
 * argument orders, self-checks, refusals) where no GPU exists. Not the kernels: they are not here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hitwin/error.h"
#include "hitwin/gpu.h"
#include "hitwin/gpu_context.h"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_ops_maxvit.h"
struct hw_gpu { int x; };
static struct hw_gpu the;
int hw_gpu_count(void) { return 1; }
void hw_gpu_describe(char *buf, int cap) { snprintf(buf, cap, "host mock\n"); }
hw_gpu *hw_gpu_create(int d) { (void)d; return &the; }
void hw_gpu_destroy(hw_gpu *g) { (void)g; }
int hw_gpu_sync(hw_gpu *g) { (void)g; return 0; }
int hw_gpu_alloc(void **p, size_t b) { *p = calloc(1, b ? b : 1); return 0; }
int hw_gpu_release(void **p) { free(*p); *p = NULL; return 0; }
int hw_gpu_upload(hw_gpu *g, void *d, const void *s, size_t b) { (void)g; memcpy(d, s, b); return 0; }
int hw_gpu_download(hw_gpu *g, void *d, const void *s, size_t b) { (void)g; memcpy(d, s, b); return 0; }
int hw_gpu_zero(hw_gpu *g, void *d, size_t b) { (void)g; memset(d, 0, b); return 0; }
int gpu_conv2d_forward(hw_gpu *g, float *out, const float *inp, const float *w, const float *b, const NnConv2dDims *d) {
    (void)g; float *s = malloc(nn_conv2d_scratch_floats(d) * 4 + 4); conv2d_forward(out, inp, w, b, s, d); free(s); return 0; }
int gpu_conv2d_backward(hw_gpu *g, float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, const NnConv2dDims *d) {
    (void)g; float *s = malloc(nn_conv2d_scratch_floats(d) * 4 + 4); conv2d_backward(dinp, dw, db, dout, inp, w, s, d); free(s); return 0; }
int gpu_linear_forward(hw_gpu *g, float *o, const float *i, const float *w, const float *b, int B, int I, int O) { (void)g; linear_forward(o, i, w, b, B, I, O); return 0; }
int gpu_linear_backward(hw_gpu *g, float *di, float *dw, float *db, const float *do_, const float *i, const float *w, int B, int I, int O) { (void)g; linear_backward(di, dw, db, do_, i, w, B, I, O); return 0; }
int gpu_batchnorm2d_forward(hw_gpu *g, float *out, float *mean, float *rstd, float *rm, float *rv, const float *inp, const float *ga, const float *be, int train, float mo, float eps, int B, int C, int HW) {
    (void)g; batchnorm2d_forward(out, mean, rstd, rm, rv, inp, ga, be, train, mo, eps, B, C, HW); return 0; }
int gpu_batchnorm2d_backward(hw_gpu *g, float *dinp, float *dg, float *db, const float *dout, const float *inp, const float *mean, const float *rstd, const float *ga, int train, int B, int C, int HW) {
    (void)g; batchnorm2d_backward(dinp, dg, db, dout, inp, mean, rstd, ga, train, B, C, HW); return 0; }
size_t gpu_layernorm_backward_scratch_floats(int N, int C) { return 2 * (size_t)((N + 63) / 64) * C; }
int gpu_layernorm_forward(hw_gpu *g, float *out, float *mean, float *rstd, const float *inp, const float *ga, const float *be, float eps, int N, int C) {
    (void)g; layernorm_forward(out, mean, rstd, inp, ga, be, eps, N, C); return 0; }
int gpu_layernorm_backward(hw_gpu *g, float *dinp, float *dg, float *db, const float *dout, const float *inp, const float *mean, const float *rstd, const float *ga, float *scratch, int N, int C) {
    (void)g; if ((dg || db) && !scratch) return hw_fail("gpu_layernorm_backward: dgamma/dbeta need scratch");
    if (scratch) memset(scratch, 0, gpu_layernorm_backward_scratch_floats(N, C) * 4);
    layernorm_backward(dinp, dg, db, dout, inp, mean, rstd, ga, N, C); return 0; }
int gpu_silu_forward(hw_gpu *g, float *o, const float *i, size_t n) { (void)g; silu_forward(o, i, n); return 0; }
int gpu_silu_backward(hw_gpu *g, float *di, const float *d, const float *i, size_t n) { (void)g; silu_backward(di, d, i, n); return 0; }
int gpu_sigmoid_forward(hw_gpu *g, float *o, const float *i, size_t n) { (void)g; sigmoid_forward(o, i, n); return 0; }
int gpu_sigmoid_backward(hw_gpu *g, float *di, const float *d, const float *o, size_t n) { (void)g; sigmoid_backward(di, d, o, n); return 0; }
int gpu_avgpool2d_forward(hw_gpu *g, float *o, const float *i, int B, int C, int H, int W, int k, int s, int p) { (void)g; avgpool2d_forward(o, i, B, C, H, W, k, s, p); return 0; }
int gpu_avgpool2d_backward(hw_gpu *g, float *di, const float *d, int B, int C, int H, int W, int k, int s, int p) { (void)g; avgpool2d_backward(di, d, B, C, H, W, k, s, p); return 0; }
int gpu_global_avgpool_forward(hw_gpu *g, float *o, int ld, const float *i, int B, int C, int HW) { (void)g; global_avgpool_forward(o, ld, i, B, C, HW); return 0; }
int gpu_global_avgpool_backward(hw_gpu *g, float *di, const float *d, int ld, int B, int C, int HW) { (void)g; global_avgpool_backward(di, d, ld, B, C, HW); return 0; }
int gpu_conv1x1_forward(hw_gpu *g, float *out, const float *inp, const float *w, const float *b, int B, int C, int OC, int HW) {
    NnConv2dDims d = {B, C, HW, 1, OC, 1, 1, 1, 0, 1}; return gpu_conv2d_forward(g, out, inp, w, b, &d); }
int gpu_conv1x1_backward(hw_gpu *g, float *di, float *dw, float *db, const float *dout, const float *inp, const float *w, int B, int C, int OC, int HW) {
    NnConv2dDims d = {B, C, HW, 1, OC, 1, 1, 1, 0, 1}; return gpu_conv2d_backward(g, di, dw, db, dout, inp, w, &d); }
int gpu_squeeze_excite_forward(hw_gpu *g, float *out, const NnSeSaved *sv, const float *inp, const float *w1, const float *b1, const float *w2, const float *b2, int B, int C, int SQ, int HW) {
    (void)g; NnSeSaved s = *sv; squeeze_excite_forward(out, &s, inp, w1, b1, w2, b2, B, C, SQ, HW); return 0; }
int gpu_squeeze_excite_backward(hw_gpu *g, float *dinp, float *dw1, float *db1, float *dw2, float *db2, const float *dout, const NnSeSaved *sv, const float *inp, const float *w1, const float *w2, float *scratch, int B, int C, int SQ, int HW) {
    (void)g; squeeze_excite_backward(dinp, dw1, db1, dw2, db2, dout, sv, inp, w1, w2, scratch, B, C, SQ, HW); return 0; }
static int pchk(int H, int W, int w) { if (H % w || W % w) return hw_fail("gpu partition: a %dx%d map is not a multiple of the %dx%d partition", H, W, w, w); return 0; }
int gpu_partition_forward(hw_gpu *g, float *t, const float *i, NnPartition k, int B, int C, int H, int W, int w) { (void)g; if (pchk(H, W, w)) return -1; partition_forward(t, i, k, B, C, H, W, w); return 0; }
int gpu_partition_backward(hw_gpu *g, float *t, const float *i, NnPartition k, int B, int C, int H, int W, int w) { (void)g; if (pchk(H, W, w)) return -1; partition_backward(t, i, k, B, C, H, W, w); return 0; }
int gpu_departition_forward(hw_gpu *g, float *t, const float *i, NnPartition k, int B, int C, int H, int W, int w) { (void)g; if (pchk(H, W, w)) return -1; departition_forward(t, i, k, B, C, H, W, w); return 0; }
int gpu_departition_backward(hw_gpu *g, float *t, const float *i, NnPartition k, int B, int C, int H, int W, int w) { (void)g; if (pchk(H, W, w)) return -1; departition_backward(t, i, k, B, C, H, W, w); return 0; }
int gpu_relpos_attention_forward(hw_gpu *g, float *out, float *probs, const float *qkv, const float *table, int BG, int w, int C, int NH) {
    (void)g; if (C % NH) return hw_fail("gpu_relpos_attention_forward: %d channels do not split into %d heads", C, NH);
    relpos_attention_forward(out, probs, qkv, table, BG, w, C, NH); return 0; }
int gpu_relpos_attention_backward(hw_gpu *g, float *dqkv, float *dtable, const float *dout, const float *qkv, const float *probs, float *scratch, int BG, int w, int C, int NH) {
    (void)g; if (dtable && !scratch) return hw_fail("x"); memset(scratch, 0, (size_t)BG * NH * w * w * w * w * 4);
    relpos_attention_backward(dqkv, dtable, dout, qkv, probs, scratch, BG, w, C, NH); return 0; }
int gpu_stochastic_depth_forward(hw_gpu *g, float *out, float *scale, const float *inp, float p, int train, uint64_t seed, uint64_t counter, int views, uint64_t dpt, int B, size_t N) {
    (void)g; int n = B / views;
    for (int v = 0; v < views; v++) for (int i = 0; i < n; i++) { size_t row = (size_t)v * n + i;
        NnRng rng = {seed, counter + ((uint64_t)i * views + v) * dpt};
        stochastic_depth_forward(out + row * N, scale + row, inp + row * N, p, train, &rng, 1, N); }
    return 0; }
int gpu_stochastic_depth_backward(hw_gpu *g, float *di, const float *d, const float *s, int B, size_t N) { (void)g; stochastic_depth_backward(di, d, s, B, N); return 0; }
int gpu_multiscale_embed_forward(hw_gpu *g, float *out, float *cat, const float *const *maps, const int *C, const int *HW, int n, const float *w, int B, int D) {
    (void)g; multiscale_embed_forward(out, cat, maps, C, HW, n, w, B, D); return 0; }
int gpu_multiscale_embed_backward(hw_gpu *g, float *const *dmaps, float *dw, float *dcat, const float *dout, const float *cat, const float *w, const int *C, const int *HW, int n, int B, int D) {
    (void)g; multiscale_embed_backward(dmaps, dw, dcat, dout, cat, w, C, HW, n, B, D); return 0; }
