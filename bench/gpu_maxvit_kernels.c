/* bench/gpu_maxvit_kernels.c: the MaxViT ops' CUDA twins (gpu_ops_maxvit.h, and the depthwise
 * convolutions through gpu_conv2d) timed on maxvit_t's block-0 shapes at 224, for a batch of
 * N tiles (default 32: 16 pairs, two views, one batch through the backbone):
 *   MBConv (layer 1, stride 1, 56x56): BatchNorm 256 ch; conv_a 1x1 64 -> 256; depthwise 3x3
 *   256 ch; squeeze-excitation 256 / 16; conv_c 1x1 256 -> 64 (bias); stochastic depth rows of
 *   64 x 56 x 56. Layer 0's stride-2 parts at 112x112: depthwise 3x3 s2 256 ch, avgpool 3/2/1
 *   on 64 ch. Window attention (56x56, 64 ch, 2 heads of 32): window and grid partition,
 *   LayerNorm over 64, the attention core over N x 64 windows of 49 tokens.
 * Built as bench_gpu_maxvit_kernels with the CUDA backend (bench/gpu.cmake); run by
 * bench/gpu-maxvit-kernels.sh. Measures and prints; checks nothing (test_gpu_maxvit_ops does).
 *
 * Timing as bench_gpu_kernels: 3 warm-up calls, then batches of k back-to-back calls timed with
 * cudaEvents on the context's stream, k doubling until a batch takes >= MIN_MS (default 50)
 * ms. Columns: ms per call; GB/s of the call's interface (each operand read once, outputs
 * written once, accumulated gradients read and written: a lower bound on what it moves); %bw
 * of the memory bandwidth (2 x memory clock x bus width, or env PEAK_GBS); GFLOP/s where the
 * op has products to count (2 per multiply-add).
 *   usage: bench_gpu_maxvit_kernels [N]   (env MIN_MS, PEAK_GBS)
 * Exit: 0; 77 where no CUDA device is visible; 1 on a CUDA error (the op's hw_error() line);
 * 2 on bad arguments. */
#include <cuda_runtime_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/gpu.h"
#include "hitwin/gpu_context.h"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_ops_maxvit.h"
#include "hitwin/nn.h"
#include "hitwin/nn_maxvit.h"

#define HW(call)                                                                         \
    do {                                                                                 \
        if ((call) != 0) {                                                               \
            fprintf(stderr, "bench_gpu_maxvit_kernels: %s: %s\n", #call, hw_error());    \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)
#define CU(call)                                                                                \
    do {                                                                                        \
        cudaError_t e_ = (call);                                                                \
        if (e_ != cudaSuccess) {                                                                \
            fprintf(stderr, "bench_gpu_maxvit_kernels: %s: %s\n", #call, cudaGetErrorString(e_)); \
            exit(1);                                                                            \
        }                                                                                       \
    } while (0)

/* block 0 of maxvit_t at 224 */
enum { CIN = 64, MID = 256, SQ = 16, H0 = 112, H1 = 56, HW1 = H1 * H1, WIN = 7, P = 49, NH = 2 };

static hw_gpu *g_gpu;
static int g_N;

/* device buffers of uniform values in [-1, 1), all allocations kept to the end */
static float *buf(size_t n) {
    static float *host;
    static size_t host_n;
    if (n > host_n) {
        free(host);
        host = (float *)malloc(n * sizeof(float));
        uint64_t s = 88172645463325252ULL;
        for (size_t i = 0; i < n; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            host[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
        }
        host_n = n;
    }
    void *d = NULL;
    HW(hw_gpu_alloc(&d, n * sizeof(float)));
    HW(hw_gpu_upload(g_gpu, d, host, n * sizeof(float)));
    return (float *)d;
}

/* ---- the ops, each a closure over its buffers ------------------------------------------ */
typedef struct {
    float *a, *b, *c, *d, *e, *f, *s1, *s2;
    float *g1, *g2, *g3, *g4; /* parameter gradients, apart from the parameters */
    NnSeSaved se;
    NnConv2dDims dims;
} op_bufs;

typedef int (*op_fn)(op_bufs *o);
typedef struct {
    const char *name;
    op_fn run;
    double bytes, flops;
} op;

static int bn_fwd(op_bufs *o) {
    return gpu_batchnorm2d_forward(g_gpu, o->b, o->s1, o->s2, NULL, NULL, o->a, o->c, o->d, 1,
                                   NN_MAXVIT_BN_MOMENTUM, NN_MAXVIT_BN_EPS, g_N, MID, HW1);
}
static int bn_bwd(op_bufs *o) {
    return gpu_batchnorm2d_backward(g_gpu, o->e, o->g1, o->g2, o->b, o->a, o->s1, o->s2, o->c, 1, g_N,
                                    MID, HW1);
}
static int ln_fwd(op_bufs *o) {
    return gpu_layernorm_forward(g_gpu, o->b, o->s1, o->s2, o->a, o->c, o->d, NN_LAYERNORM_EPS,
                                 g_N * HW1, CIN);
}
static int ln_bwd(op_bufs *o) {
    return gpu_layernorm_backward(g_gpu, o->e, o->g1, o->g2, o->b, o->a, o->s1, o->s2, o->c, o->f,
                                  g_N * HW1, CIN);
}
static int c1_fwd_a(op_bufs *o) { return gpu_conv1x1_forward(g_gpu, o->b, o->a, o->c, NULL, g_N, CIN, MID, HW1); }
static int c1_bwd_a(op_bufs *o) {
    return gpu_conv1x1_backward(g_gpu, o->e, o->d, NULL, o->b, o->a, o->c, g_N, CIN, MID, HW1);
}
static int c1_fwd_c(op_bufs *o) { return gpu_conv1x1_forward(g_gpu, o->b, o->a, o->c, o->f, g_N, MID, CIN, HW1); }
static int c1_bwd_c(op_bufs *o) {
    return gpu_conv1x1_backward(g_gpu, o->e, o->d, o->f, o->b, o->a, o->c, g_N, MID, CIN, HW1);
}
static int dw_fwd(op_bufs *o) { return gpu_conv2d_forward(g_gpu, o->b, o->a, o->c, NULL, &o->dims); }
static int dw_bwd(op_bufs *o) { return gpu_conv2d_backward(g_gpu, o->e, o->d, NULL, o->b, o->a, o->c, &o->dims); }
static int ap_fwd(op_bufs *o) { return gpu_avgpool2d_forward(g_gpu, o->b, o->a, g_N, CIN, H0, H0, 3, 2, 1); }
static int ap_bwd(op_bufs *o) { return gpu_avgpool2d_backward(g_gpu, o->e, o->b, g_N, CIN, H0, H0, 3, 2, 1); }
static int se_fwd(op_bufs *o) {
    return gpu_squeeze_excite_forward(g_gpu, o->b, &o->se, o->a, o->c, o->s1, o->d, o->s2, g_N, MID, SQ, HW1);
}
static int se_bwd(op_bufs *o) {
    return gpu_squeeze_excite_backward(g_gpu, o->e, o->g1, o->g2, o->g3, o->g4, o->b, &o->se, o->a, o->c,
                                       o->d, o->f, g_N, MID, SQ, HW1);
}
static int pw_fwd(op_bufs *o) {
    return gpu_partition_forward(g_gpu, o->b, o->a, NN_PARTITION_WINDOW, g_N, CIN, H1, H1, WIN);
}
static int pg_fwd(op_bufs *o) {
    return gpu_partition_forward(g_gpu, o->b, o->a, NN_PARTITION_GRID, g_N, CIN, H1, H1, WIN);
}
static int pg_bwd(op_bufs *o) {
    return gpu_partition_backward(g_gpu, o->a, o->b, NN_PARTITION_GRID, g_N, CIN, H1, H1, WIN);
}
static int at_fwd(op_bufs *o) {
    return gpu_relpos_attention_forward(g_gpu, o->b, o->c, o->a, o->d, g_N * HW1 / P, WIN, CIN, NH);
}
static int at_bwd(op_bufs *o) {
    return gpu_relpos_attention_backward(g_gpu, o->e, o->f, o->b, o->a, o->c, o->s1, g_N * HW1 / P, WIN, CIN, NH);
}
static int sd_fwd(op_bufs *o) {
    return gpu_stochastic_depth_forward(g_gpu, o->b, o->s1, o->a, 0.1f, 1, 1, 0, 2, 55, g_N,
                                        (size_t)CIN * HW1);
}
static int sd_bwd(op_bufs *o) { return gpu_stochastic_depth_backward(g_gpu, o->e, o->b, o->s1, g_N, (size_t)CIN * HW1); }

static double time_op(op_fn f, op_bufs *o, double min_ms) {
    for (int i = 0; i < 3; i++) HW(f(o));
    HW(hw_gpu_sync(g_gpu));
    cudaStream_t st = (cudaStream_t)hw_gpu_stream(g_gpu);
    cudaEvent_t t0, t1;
    CU(cudaEventCreate(&t0));
    CU(cudaEventCreate(&t1));
    double ms = 0.0;
    for (int k = 1;; k *= 2) {
        CU(cudaEventRecord(t0, st));
        for (int i = 0; i < k; i++) HW(f(o));
        CU(cudaEventRecord(t1, st));
        CU(cudaEventSynchronize(t1));
        float t;
        CU(cudaEventElapsedTime(&t, t0, t1));
        if (t >= min_ms || k >= (1 << 20)) {
            ms = t / k;
            break;
        }
    }
    HW(hw_gpu_sync(g_gpu)); /* a fault inside the kernels shows here, with the op's name above */
    CU(cudaEventDestroy(t0));
    CU(cudaEventDestroy(t1));
    return ms;
}

static void row(const char *name, op_fn f, op_bufs *o, double bytes, double flops, double min_ms, double gbs) {
    const double ms = time_op(f, o, min_ms);
    const double rate = bytes / (ms * 1e-3) / 1e9;
    printf("%-34s %9.4f ms %9.1f GB/s %6.1f %%bw", name, ms, rate, 100.0 * rate / gbs);
    if (flops > 0) printf(" %9.1f GFLOP/s", flops / (ms * 1e-3) / 1e9);
    printf("\n");
}

static void release(op_bufs *o) {
    float **p[] = {&o->a, &o->b, &o->c, &o->d, &o->e, &o->f, &o->s1, &o->s2, &o->g1, &o->g2, &o->g3, &o->g4,
                   &o->se.pooled, &o->se.h, &o->se.a, &o->se.gate};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        if (*p[i]) HW(hw_gpu_release((void **)p[i]));
    memset(o, 0, sizeof *o);
}

int main(int argc, char **argv) {
    if (hw_gpu_count() == 0) {
        printf("bench_gpu_maxvit_kernels: no CUDA device visible (exit 77)\n");
        return 77;
    }
    g_N = argc > 1 ? atoi(argv[1]) : 32;
    if (g_N <= 0 || argc > 2) {
        fprintf(stderr, "usage: bench_gpu_maxvit_kernels [N tiles > 0]\n");
        return 2;
    }
    const double min_ms = getenv("MIN_MS") ? atof(getenv("MIN_MS")) : 50.0;
    g_gpu = hw_gpu_create(0);
    if (!g_gpu) {
        fprintf(stderr, "bench_gpu_maxvit_kernels: %s\n", hw_error());
        return 1;
    }
    int mem_khz = 0, bus_bits = 0, dev = hw_gpu_device(g_gpu);
    CU(cudaDeviceGetAttribute(&mem_khz, cudaDevAttrMemoryClockRate, dev));
    CU(cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, dev));
    double gbs = getenv("PEAK_GBS") ? atof(getenv("PEAK_GBS")) : 2.0 * mem_khz * 1e3 * (bus_bits / 8.0) / 1e9;
    if (!(gbs > 0)) gbs = 3350.0; /* H100 SXM data sheet, where the device reports no clock */
    char desc[1024];
    hw_gpu_describe(desc, sizeof desc);
    printf("%s", desc);
    printf("maxvit_t block 0 at 224, g_N = %d tiles; bandwidth peak %.0f GB/s; MIN_MS %.0f\n", g_N, gbs, min_ms);
    const double F = 4.0; /* bytes per float */
    const size_t nmid = (size_t)g_N * MID * HW1, nin = (size_t)g_N * CIN * HW1;
    op_bufs o = {0};

    /* BatchNorm over [g_N, 256, 56x56] */
    o.a = buf(nmid), o.b = buf(nmid), o.e = buf(nmid), o.c = buf(MID), o.d = buf(MID);
    o.s1 = buf(MID), o.s2 = buf(MID), o.g1 = buf(MID), o.g2 = buf(MID);
    HW(bn_fwd(&o)); /* a valid mean and rstd for the backward */
    row("batchnorm2d fwd 256@56 (train)", bn_fwd, &o, F * 3 * nmid, 0, min_ms, gbs);
    row("batchnorm2d bwd 256@56", bn_bwd, &o, F * 5 * nmid, 0, min_ms, gbs);
    release(&o);

    /* LayerNorm over g_N x 3136 tokens of 64 */
    const size_t rows = (size_t)g_N * HW1;
    o.a = buf(nin), o.b = buf(nin), o.e = buf(nin), o.c = buf(CIN), o.d = buf(CIN);
    o.s1 = buf(rows), o.s2 = buf(rows), o.f = buf(gpu_layernorm_backward_scratch_floats((int)rows, CIN));
    o.g1 = buf(CIN), o.g2 = buf(CIN);
    HW(ln_fwd(&o));
    row("layernorm fwd 64 x g_N*3136", ln_fwd, &o, F * 2 * nin, 0, min_ms, gbs);
    row("layernorm bwd 64 x g_N*3136", ln_bwd, &o, F * 4 * nin, 0, min_ms, gbs);
    release(&o);

    /* 1x1 convolutions as GEMMs */
    o.a = buf(nin), o.b = buf(nmid), o.e = buf(nin), o.c = buf((size_t)MID * CIN), o.d = buf((size_t)MID * CIN);
    const double c1_flops = 2.0 * g_N * HW1 * CIN * MID;
    row("conv1x1 fwd 64->256 @56", c1_fwd_a, &o, F * (nin + nmid), c1_flops, min_ms, gbs);
    row("conv1x1 bwd 64->256 @56 (dX, dW)", c1_bwd_a, &o, F * (nmid * 2 + nin * 3), 2 * c1_flops, min_ms, gbs);
    release(&o);
    o.a = buf(nmid), o.b = buf(nin), o.e = buf(nmid), o.c = buf((size_t)MID * CIN), o.d = buf((size_t)MID * CIN);
    o.f = buf(CIN);
    row("conv1x1 fwd 256->64 @56 +bias", c1_fwd_c, &o, F * (nin + nmid), c1_flops, min_ms, gbs);
    row("conv1x1 bwd 256->64 @56 (dX,dW,db)", c1_bwd_c, &o, F * (nin * 2 + nmid * 3), 2 * c1_flops, min_ms, gbs);
    release(&o);

    /* depthwise 3x3 (cuDNN), stride 1 at 56 and stride 2 from 112 */
    for (int s = 1; s <= 2; s++) {
        const int H = s == 1 ? H1 : H0;
        const size_t ni = (size_t)g_N * MID * H * H;
        o.dims = (NnConv2dDims){g_N, MID, H, H, MID, 3, 3, s, 1, MID};
        o.a = buf(ni), o.b = buf(nmid), o.e = buf(ni), o.c = buf((size_t)MID * 9), o.d = buf((size_t)MID * 9);
        const double fl = 2.0 * nmid * 9;
        row(s == 1 ? "depthwise 3x3 fwd 256@56" : "depthwise 3x3 s2 fwd 256@112", dw_fwd, &o, F * (ni + nmid), fl,
            min_ms, gbs);
        row(s == 1 ? "depthwise 3x3 bwd 256@56" : "depthwise 3x3 s2 bwd 256@112", dw_bwd, &o,
            F * (nmid + ni * 3), 2 * fl, min_ms, gbs);
        release(&o);
    }

    /* avgpool 3/2/1 on [g_N, 64, 112, 112] */
    const size_t n112 = (size_t)g_N * CIN * H0 * H0;
    o.a = buf(n112), o.b = buf(nin), o.e = buf(n112);
    row("avgpool 3/2/1 fwd 64@112", ap_fwd, &o, F * (n112 + nin), 0, min_ms, gbs);
    row("avgpool 3/2/1 bwd 64@112", ap_bwd, &o, F * (nin + 2 * n112), 0, min_ms, gbs);
    release(&o);

    /* squeeze-excitation 256 / 16 at 56x56 */
    o.a = buf(nmid), o.b = buf(nmid), o.e = buf(nmid), o.c = buf((size_t)SQ * MID), o.d = buf((size_t)SQ * MID);
    o.s1 = buf(MID), o.s2 = buf(MID), o.f = buf(2 * (size_t)g_N * MID + (size_t)g_N * SQ);
    o.g1 = buf((size_t)SQ * MID), o.g2 = buf(SQ), o.g3 = buf((size_t)SQ * MID), o.g4 = buf(MID);
    o.se = (NnSeSaved){buf((size_t)g_N * MID), buf((size_t)g_N * SQ), buf((size_t)g_N * SQ), buf((size_t)g_N * MID)};
    row("squeeze-excite fwd 256/16 @56", se_fwd, &o, F * 3 * nmid, 0, min_ms, gbs);
    row("squeeze-excite bwd 256/16 @56", se_bwd, &o, F * 4 * nmid, 0, min_ms, gbs);
    release(&o);

    /* partitions of [g_N, 64, 56, 56] */
    o.a = buf(nin), o.b = buf(nin);
    row("window partition fwd 64@56", pw_fwd, &o, F * 2 * nin, 0, min_ms, gbs);
    row("grid partition fwd 64@56", pg_fwd, &o, F * 2 * nin, 0, min_ms, gbs);
    row("grid partition bwd 64@56", pg_bwd, &o, F * 3 * nin, 0, min_ms, gbs);
    release(&o);

    /* attention: g_N x 64 windows of 49 tokens, C 64, 2 heads of 32 */
    const size_t BG = (size_t)g_N * HW1 / P, nq = 3 * nin, np = BG * NH * P * P, nt = 169 * NH;
    o.a = buf(nq), o.b = buf(nin), o.c = buf(np), o.d = buf(nt), o.e = buf(nq), o.f = buf(nt), o.s1 = buf(np);
    HW(at_fwd(&o)); /* real probabilities for the backward */
    const double at_flops = 4.0 * BG * NH * P * P * (CIN / NH);
    row("attention fwd 64ch 2 heads", at_fwd, &o, F * (nq + nin + np), at_flops, min_ms, gbs);
    row("attention bwd (dqkv, dtable)", at_bwd, &o, F * (nin + nq * 3 + np * 3), 2 * at_flops, min_ms, gbs);
    release(&o);

    /* stochastic depth over rows of 64 x 56 x 56 */
    o.a = buf(nin), o.b = buf(nin), o.e = buf(nin), o.s1 = buf((size_t)g_N);
    if (g_N % 2 == 0) {
        row("stochastic depth fwd 64@56", sd_fwd, &o, F * 2 * nin, 0, min_ms, gbs);
        row("stochastic depth bwd 64@56", sd_bwd, &o, F * 3 * nin, 0, min_ms, gbs);
    }
    release(&o);

    hw_gpu_destroy(g_gpu);
    return 0;
}
