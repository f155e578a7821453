/* bench/gpu_kernels.c: how close the main GPU kernels of a SLeNet training step come to the
 * device's peaks (issue 4: "the fraction of the GPU's memory bandwidth or FLOP rate the main
 * kernels reach"). Built as bench_gpu_kernels when CUDA is (bench/gpu.cmake); run by
 * bench/gpu-kernels.sh, which bench/train-gpu.sh calls after its training comparison.
 *
 * Every op of the backbone's forward and backward (gpu_ops.h, as slenet_cuda.cu calls them)
 * on SLeNet's shapes at 224, for a batch of N tiles (N = 64 and 256: batch 32 and 128 pairs,
 * two views each, one batch through the backbone), in fp32 and bf16, and the Adam step over
 * the 5.4M-parameter flat buffer:
 *   conv1   1 -> 6, 5x5:  [N,1,224,224] -> [N,6,220,220]; max pool 2/2 -> [N,6,110,110]
 *   conv2   6 -> 16, 5x5: [N,6,110,110] -> [N,16,106,106]; max pool 2/2 -> [N,16,53,53]
 *   dropout p 0.5 on N x 44944; linear.1 44944 -> 120, GELU; linear.3 120 -> 83, GELU
 * Backward as the model runs it: conv1 without an input gradient (the tiles are data), the
 * gradient buffers zeroed first (timed as one row, "zero grads"). bf16 as the model's
 * precision bf16: the four layers on bf16 inputs and weights (the casts are rows of their
 * own), pool, dropout and GELU in fp32 (shared with the fp32 rows).
 *
 * Timing: each op is called 3 times to warm up (cuDNN plans, cuBLAS heuristics), then
 * batches of k back-to-back calls are timed with cudaEvents on the context's stream, k
 * doubling until one batch takes >= MIN_MS (default 50) ms; ms/call is that batch's time / k.
 *
 * Counting (a comment per formula at its row below):
 *  - FLOPs: 2 per multiply-add of the convolutions and GEMMs (bias adds and sums ignored):
 *    conv forward 2 N OC OH OW C KH KW, backward that again per gradient made (dX, dW);
 *    linear forward 2 N IN OUT, backward 2 N IN OUT per gradient made (dX, dW).
 *  - bytes: the call's interface traffic, each operand read once and each output written
 *    once, gradients that accumulate (backward adds) read and written; scratch the op uses
 *    inside (cuDNN's workspace, the bf16 convolutions' bf16 y, dX, dW and their widening,
 *    a GEMM's re-reads) not counted: a lower bound on what the op moves.
 *  - % of roofline = max(TFLOP/s / FLOP peak, GB/s / bandwidth peak): the achieved rate
 *    over the roofline's attainable rate min(peak, intensity x bandwidth) at the op's
 *    arithmetic intensity. "bound" says which limit the roofline puts first.
 *  - rows whose bytes fit in the L2 cache are marked L2: repeated calls find (part of) their
 *    data there, so their GB/s can exceed the HBM peak.
 *
 * Peaks: bandwidth from the device (2 x memory clock x bus width, cudaDevAttrMemoryClockRate
 * and cudaDevAttrGlobalMemoryBusWidth), or env PEAK_GBS (GB/s); FLOP peaks (dense, no
 * sparsity) from env PEAK_FP32_TFLOPS / PEAK_BF16_TFLOPS, else by device name (NVIDIA's data
 * sheets at boost clock): H100 SXM and H200 (SXM, GH200) 67 fp32 (no tensor cores: what
 * fp32 mode uses, no TF32) / 989 bf16 tensor; H100 PCIe 51 / 756; H100 NVL and H200 NVL
 * 60 / 835; any other device needs both variables.
 *
 *   usage: bench_gpu_kernels [N ...]   (default: 64 256; env MIN_MS, PEAK_GBS,
 *                                       PEAK_FP32_TFLOPS, PEAK_BF16_TFLOPS)
 * Exit: 0; 77 where no CUDA device is visible (the GPU tests' rule); 1 on a CUDA error
 * (the op's hw_error() line); 2 on bad arguments or no FLOP peaks for this device. */
#include <cuda_runtime_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/gpu.h"
#include "hitwin/gpu_context.h"
#include "hitwin/gpu_ops.h"
#include "hitwin/model.h"
#include "hitwin/nn.h"

/* SLeNet at 224 (slenet.c) */
enum { S = 224, K = 5, C1 = 6, CS1 = 220, P1 = 110, C2 = 16, CS2 = 106, P2 = 53 };
enum { F = C2 * P2 * P2, H1 = 120, D = 83, HO = 2 };
/* the parameter table: conv1 w/b, conv2 w/b, linear.1 w/b, linear.3 w/b, head w/b */
enum { W1, B1, W2, B2, FC1W, FC1B, FC2W, FC2B, HEADW, HEADB, NT };
static const size_t numel[NT] = {C1 * K * K, C1,    C2 * C1 * K * K, C2, (size_t)H1 * F, H1,
                                 (size_t)D * H1, D, HO * D,          HO};

static void die_cuda(const char *what, cudaError_t e) {
    fprintf(stderr, "bench_gpu_kernels: %s failed: %s\n", what, cudaGetErrorString(e));
    exit(1);
}
#define CU(call)                                \
    do {                                        \
        cudaError_t e_ = (call);                \
        if (e_ != cudaSuccess) die_cuda(#call, e_); \
    } while (0)
/* an op or context call: its hw_error() line */
#define HW(call)                                                                        \
    do {                                                                                \
        if ((call) != 0) {                                                              \
            fprintf(stderr, "bench_gpu_kernels: %s: %s\n", #call, hw_error());          \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

/* ---- the device's peaks ------------------------------------------------------------------ */
typedef struct {
    char name[256];
    double gbs, fp32, bf16; /* GB/s, TFLOP/s */
    const char *gbs_from, *flops_from;
    size_t l2;
} peaks;

static double env_pos(const char *var) {
    const char *s = getenv(var);
    if (!s || !*s) return 0.0;
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v > 0.0)) {
        fprintf(stderr, "bench_gpu_kernels: %s='%s' is not a positive number\n", var, s);
        exit(2);
    }
    return v;
}

static void get_peaks(int dev, peaks *p) {
    struct cudaDeviceProp prop;
    CU(cudaGetDeviceProperties(&prop, dev));
    snprintf(p->name, sizeof p->name, "%s", prop.name);
    p->l2 = (size_t)prop.l2CacheSize;
    int mem_khz = 0, bus_bits = 0;
    CU(cudaDeviceGetAttribute(&mem_khz, cudaDevAttrMemoryClockRate, dev));
    CU(cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, dev));
    /* double data rate: 2 transfers per clock, bus_bits / 8 bytes each */
    p->gbs = env_pos("PEAK_GBS");
    p->gbs_from = "PEAK_GBS";
    if (p->gbs == 0.0) {
        p->gbs = 2.0 * mem_khz * 1e3 * (bus_bits / 8.0) / 1e9;
        p->gbs_from = "2 x memory clock x bus width";
    }
    if (!(p->gbs > 0.0)) {
        fprintf(stderr, "bench_gpu_kernels: the device reports no memory clock or bus width "
                        "(%d kHz, %d bits): set PEAK_GBS\n", mem_khz, bus_bits);
        exit(2);
    }
    double f32 = 0, b16 = 0;
    const char *n = prop.name;
    p->flops_from = "";
    if (strstr(n, "H100") || strstr(n, "H200")) {
        if (strstr(n, "PCIe")) f32 = 51, b16 = 756, p->flops_from = "H100 PCIe data sheet";
        else if (strstr(n, "NVL")) f32 = 60, b16 = 835, p->flops_from = "H100/H200 NVL data sheet";
        else f32 = 67, b16 = 989, p->flops_from = "H100/H200 SXM data sheet";
    }
    const double e32 = env_pos("PEAK_FP32_TFLOPS"), e16 = env_pos("PEAK_BF16_TFLOPS");
    if (e32 > 0) f32 = e32;
    if (e16 > 0) b16 = e16;
    if (e32 > 0 || e16 > 0) p->flops_from = "PEAK_*_TFLOPS (where set)";
    if (!(f32 > 0) || !(b16 > 0)) {
        fprintf(stderr, "bench_gpu_kernels: no FLOP peaks known for '%s': set PEAK_FP32_TFLOPS "
                        "(fp32 without tensor cores) and PEAK_BF16_TFLOPS (bf16 tensor cores, "
                        "dense), in TFLOP/s\n", n);
        exit(2);
    }
    p->fp32 = f32;
    p->bf16 = b16;
    int sm_khz = 0;
    CU(cudaDeviceGetAttribute(&sm_khz, cudaDevAttrClockRate, dev));
    printf("device: %s, sm_%d%d, %d SMs at up to %.0f MHz, %.1f GiB, L2 %.0f MiB\n", prop.name,
           prop.major, prop.minor, prop.multiProcessorCount, sm_khz / 1e3,
           prop.totalGlobalMem / 1073741824.0, p->l2 / 1048576.0);
    printf("peaks: memory %.0f GB/s (%s: %d kHz x %d bits); fp32 %.1f TFLOP/s, bf16 %.1f "
           "TFLOP/s (%s)\n", p->gbs, p->gbs_from, mem_khz, bus_bits, p->fp32, p->bf16,
           p->flops_from);
    if (prop.major == 9) /* Hopper: 128 fp32 lanes per SM, an FMA is 2 FLOPs */
        printf("       (check: %d SMs x 128 lanes x 2 x %.0f MHz = %.1f TFLOP/s fp32)\n",
               prop.multiProcessorCount, sm_khz / 1e3,
               prop.multiProcessorCount * 128.0 * 2.0 * sm_khz * 1e3 / 1e12);
}

/* ---- buffers of one batch size ------------------------------------------------------------ */
typedef struct {
    int N;
    NnConv2dDims d1, d2;
    /* activations (fp32) and their gradients */
    float *x, *c1, *p1, *c2, *p2, *drop, *h1, *g1, *h2, *emb;
    int32_t *a1, *a2;
    uint8_t *dmask;
    float *dc1, *dp1, *dc2, *dp2, *ddrop, *dh1, *dg1, *dh2, *demb;
    /* bf16 copies of the layers' inputs, the weights' shadows, scratch */
    hw_bf16 *xb, *p1b, *dropb, *g1b, *c2b, *lin_scratch;
    void *conv_scratch;
    /* params, grads, bf16 shadows at 256-byte aligned offsets */
    float *params, *grads;
    hw_bf16 *wb;
    size_t off[NT], woff[NT], n_params;
    hw_gpu_optim adam;
} bufs;

#define NBUF 48
static void *allocs[NBUF];
static int n_allocs;

static void *dalloc(size_t bytes) {
    void *p = NULL;
    HW(hw_gpu_alloc(&p, bytes));
    if (n_allocs == NBUF) {
        fprintf(stderr, "bench_gpu_kernels: more than %d buffers\n", NBUF);
        exit(1);
    }
    allocs[n_allocs++] = p;
    return p;
}

/* uniform values in [-1, 1) from a fixed LCG, uploaded: the ops' speed does not depend on
 * them, but NaNs or denormals from uninitialised memory could */
static float *host_rand;
static size_t host_rand_n;
static void *drand(hw_gpu *g, size_t n) {
    void *p = dalloc(n * sizeof(float));
    HW(hw_gpu_upload(g, p, host_rand, n * sizeof(float)));
    return p;
}

/* zeroed: argmaxes and masks (made by the producers in bufs_make), bf16 copies */
static void *dzero(hw_gpu *g, size_t n, size_t elem) {
    void *p = dalloc(n * elem);
    HW(hw_gpu_zero(g, p, n * elem));
    return p;
}

static NnConv2dDims conv_dims(int N, int C, int H, int OC) {
    NnConv2dDims d = {N, C, H, H, OC, K, K, 1, 0, 1};
    return d;
}

static void bufs_make(hw_gpu *g, bufs *b, int N) {
    memset(b, 0, sizeof *b);
    b->N = N;
    b->d1 = conv_dims(N, 1, S, C1);
    b->d2 = conv_dims(N, C1, P1, C2);
    const size_t n = (size_t)N, fs = sizeof(float);
    const size_t nx = n * S * S, nc1 = n * C1 * CS1 * CS1, np1 = n * C1 * P1 * P1,
                 nc2 = n * C2 * CS2 * CS2, nf = n * F;
    if (host_rand_n < nc1) {
        free(host_rand);
        host_rand = malloc(nc1 * fs);
        if (!host_rand) {
            fprintf(stderr, "bench_gpu_kernels: out of host memory\n");
            exit(1);
        }
        uint64_t s = 0x9E3779B97F4A7C15ull;
        for (size_t i = 0; i < nc1; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            host_rand[i] = (float)((double)(s >> 40) / (double)(1ull << 23) - 1.0);
        }
        host_rand_n = nc1;
    }
    b->x = drand(g, nx);
    b->c1 = drand(g, nc1);
    b->a1 = dzero(g, np1, 4);
    b->p1 = drand(g, np1);
    b->c2 = drand(g, nc2);
    b->a2 = dzero(g, nf, 4);
    b->p2 = drand(g, nf);
    b->drop = drand(g, nf);
    b->dmask = dzero(g, nf, 1);
    b->h1 = drand(g, n * H1);
    b->g1 = drand(g, n * H1);
    b->h2 = drand(g, n * D);
    b->emb = drand(g, n * D);
    b->dc1 = drand(g, nc1);
    b->dp1 = drand(g, np1);
    b->dc2 = drand(g, nc2);
    b->dp2 = drand(g, nf);
    b->ddrop = drand(g, nf);
    b->dh1 = drand(g, n * H1);
    b->dg1 = drand(g, n * H1);
    b->dh2 = drand(g, n * D);
    b->demb = drand(g, n * D);
    b->xb = dzero(g, nx, 2);
    b->p1b = dzero(g, np1, 2);
    b->dropb = dzero(g, nf, 2);
    b->g1b = dzero(g, n * H1, 2);
    b->c2b = dzero(g, nc2, 2);
    b->lin_scratch = dzero(g, n * H1, 2);
    size_t s1 = gpu_conv2d_bf16_scratch_bytes(&b->d1), s2 = gpu_conv2d_bf16_scratch_bytes(&b->d2);
    b->conv_scratch = dalloc(s1 > s2 ? s1 : s2);
    size_t o = 0, wo = 0;
    for (int t = 0; t < NT; t++) {
        b->off[t] = o;
        b->woff[t] = wo;
        o += (numel[t] + 63) / 64 * 64;    /* 256 bytes of fp32 */
        wo += (numel[t] + 127) / 128 * 128; /* 256 bytes of bf16 */
    }
    b->n_params = 0;
    for (int t = 0; t < NT; t++) b->n_params += numel[t];
    /* small values (the host's [-1, 1) scaled by 0.01 on the device is not an op: upload) */
    float *hp = malloc(o * fs);
    if (!hp) {
        fprintf(stderr, "bench_gpu_kernels: out of host memory\n");
        exit(1);
    }
    for (size_t i = 0; i < o; i++) hp[i] = 0.01f * host_rand[i % host_rand_n];
    b->params = dalloc(o * fs);
    b->grads = dalloc(o * fs);
    HW(hw_gpu_upload(g, b->params, hp, o * fs));
    HW(hw_gpu_upload(g, b->grads, hp, o * fs));
    free(hp);
    b->wb = dzero(g, wo, 2);
    /* Adam over the flat buffer (padding included: o - n_params is < 0.01 % of it) */
    HW(hw_gpu_optim_init(g, &b->adam, HW_OPTIM_ADAM, 1e-4f, o));
    /* producers first: argmaxes, the dropout mask, the bf16 copies the ops below read */
    HW(gpu_maxpool2d_forward(g, b->p1, b->a1, b->c1, N, C1, CS1, CS1, 2, 2, 0));
    HW(gpu_maxpool2d_forward(g, b->p2, b->a2, b->c2, N, C2, CS2, CS2, 2, 2, 0));
    HW(gpu_dropout_forward(g, b->drop, b->dmask, b->p2, 0.5f, 1, 0, n, F, F));
    HW(gpu_cast_to_bf16(g, b->xb, b->x, nx));
    HW(gpu_cast_to_bf16(g, b->p1b, b->p1, np1));
    HW(gpu_cast_to_bf16(g, b->dropb, b->drop, nf));
    HW(gpu_cast_to_bf16(g, b->g1b, b->g1, n * H1));
    HW(gpu_cast_to_bf16(g, b->c2b, b->c2, nc2));
    for (int t = 0; t < NT; t++)
        HW(gpu_cast_to_bf16(g, b->wb + b->woff[t], b->params + b->off[t], numel[t]));
    HW(hw_gpu_sync(g));
}

static void bufs_free(bufs *b) {
    hw_gpu_optim_free(&b->adam);
    for (int i = 0; i < n_allocs; i++) HW(hw_gpu_release(&allocs[i]));
    n_allocs = 0;
}

/* ---- the ops ------------------------------------------------------------------------------ */
typedef enum {
    /* fp32 forward */
    CONV1_F, POOL1_F, CONV2_F, POOL2_F, DROP_F, LIN1_F, GELU1_F, LIN3_F, GELU3_F,
    /* fp32 backward */
    ZERO_B, GELU3_B, LIN3_B, GELU1_B, LIN1_B, DROP_B, POOL2_B, CONV2_B, POOL1_B, CONV1_B,
    /* bf16: casts, forward, backward */
    CASTW, CAST_X, CAST_P1, CAST_DROP, CAST_G1, WIDEN_C2, ADD_C2,
    CONV1_F16, CONV2_F16, LIN1_F16, LIN3_F16, LIN3_B16, LIN1_B16, CONV2_B16, CONV1_B16,
    ADAM, N_OPS
} op_id;

/* which rows make a step of each precision (for the sums): fp32 = the fp32 rows;
 * bf16 = the casts, the bf16 layers, and the fp32 rows that are not layers */
static int is_layer(op_id o) {
    return o == CONV1_F || o == CONV2_F || o == LIN1_F || o == LIN3_F || o == LIN3_B ||
           o == LIN1_B || o == CONV2_B || o == CONV1_B;
}

typedef struct {
    const char *name, *prec;
    double flops, bytes;
    int bf16_peak; /* the FLOP peak that applies: bf16 tensor cores, else fp32 */
    char note[64];
} op_info;

/* FLOPs and bytes of one call, from the shapes (the formulas of the header) */
static op_info info(const bufs *b, op_id o, int native1, int native2) {
    const double n = b->N, f = 4, h = 2; /* bytes of fp32, bf16 */
    const double x = n * S * S, c1 = n * C1 * CS1 * CS1, p1 = n * C1 * P1 * P1,
                 c2 = n * C2 * CS2 * CS2, p2 = n * F;
    /* multiply-adds: N OC OH OW (C KH KW) */
    const double mac1 = n * C1 * CS1 * CS1 * (1.0 * K * K), mac2 = n * C2 * CS2 * CS2 * (C1 * K * K * 1.0);
    const double w1 = C1 * K * K, w2 = C2 * C1 * K * K, wl1 = (double)F * H1, wl3 = (double)H1 * D;
    const double mm1 = n * F * H1, mm3 = n * H1 * D; /* GEMM multiply-adds */
    op_info r = {"", "fp32", 0, 0, 0, ""};
    switch (o) {
    /* conv forward: 2 MACs; reads x, w, bias, writes y */
    case CONV1_F: r = (op_info){"conv1 fwd", "fp32", 2 * mac1, f * (x + w1 + C1 + c1), 0, ""}; break;
    case CONV2_F: r = (op_info){"conv2 fwd", "fp32", 2 * mac2, f * (p1 + w2 + C2 + c2), 0, ""}; break;
    /* pool forward: reads x, writes y and the int32 argmax */
    case POOL1_F: r = (op_info){"pool1 fwd", "fp32", 0, f * c1 + 8 * p1, 0, ""}; break;
    case POOL2_F: r = (op_info){"pool2 fwd", "fp32", 0, f * c2 + 8 * p2, 0, ""}; break;
    /* dropout forward: reads x, writes y and the byte mask */
    case DROP_F: r = (op_info){"dropout fwd", "fp32", 0, 9 * p2, 0, ""}; break;
    /* linear forward: 2 N IN OUT; reads x, W, b, writes y */
    case LIN1_F: r = (op_info){"linear.1 fwd", "fp32", 2 * mm1, f * (p2 + wl1 + H1 + n * H1), 0, ""}; break;
    case LIN3_F: r = (op_info){"linear.3 fwd", "fp32", 2 * mm3, f * (n * H1 + wl3 + D + n * D), 0, ""}; break;
    /* GELU forward: reads x, writes y; backward reads x, dy and reads + writes dx */
    case GELU1_F: r = (op_info){"gelu.2 fwd", "fp32", 0, 8 * n * H1, 0, ""}; break;
    case GELU3_F: r = (op_info){"gelu.4 fwd", "fp32", 0, 8 * n * D, 0, ""}; break;
    case GELU3_B: r = (op_info){"gelu.4 bwd", "fp32", 0, 16 * n * D, 0, ""}; break;
    case GELU1_B: r = (op_info){"gelu.2 bwd", "fp32", 0, 16 * n * H1, 0, ""}; break;
    /* the backward's zero fills: dh2, dg1, dh1, ddrop, dp2, dc2, dp1, dc1, written once */
    case ZERO_B: r = (op_info){"zero grads", "fp32", 0, f * (2 * n * D + 2 * n * H1 + 2 * p2 + c2 + p1 + c1), 0, ""}; break;
    /* linear backward: 2 N IN OUT for dX and for dW; reads dy, x, W, reads + writes dX, dW, db */
    case LIN3_B: r = (op_info){"linear.3 bwd", "fp32", 4 * mm3, f * (n * D + n * H1 + wl3) + 2 * f * (n * H1 + wl3 + D), 0, ""}; break;
    case LIN1_B: r = (op_info){"linear.1 bwd", "fp32", 4 * mm1, f * (n * H1 + p2 + wl1) + 2 * f * (p2 + wl1 + H1), 0, ""}; break;
    /* dropout backward: reads mask, dy, reads + writes dx (all of it if every element is kept) */
    case DROP_B: r = (op_info){"dropout bwd", "fp32", 0, 13 * p2, 0, ""}; break;
    /* pool backward: reads + writes dx, reads dy and argmax (each once) */
    case POOL2_B: r = (op_info){"pool2 bwd", "fp32", 0, 2 * f * c2 + 8 * p2, 0, ""}; break;
    case POOL1_B: r = (op_info){"pool1 bwd", "fp32", 0, 2 * f * c1 + 8 * p1, 0, ""}; break;
    /* conv backward: 2 MACs for dX and for dW; reads dy, x, W, reads + writes dX, dW, db.
     * conv1 makes no dX (the model's tiles are data) */
    case CONV2_B: r = (op_info){"conv2 bwd", "fp32", 4 * mac2, f * (c2 + p1 + w2) + 2 * f * (p1 + w2 + C2), 0, ""}; break;
    case CONV1_B: r = (op_info){"conv1 bwd (dW)", "fp32", 2 * mac1, f * (c1 + x) + 2 * f * (w1 + C1), 0, ""}; break;
    /* casts: fp32 -> bf16 reads 4 writes 2; bf16 -> fp32 reads 2 writes 4; add reads 2 + 4,
     * writes 4 */
    case CASTW: r = (op_info){"cast w->bf16", "bf16", 0, 6 * (w1 + w2 + wl1 + wl3), 0, "4 casts"}; break;
    case CAST_X: r = (op_info){"cast x->bf16", "bf16", 0, 6 * x, 0, "conv1 in"}; break;
    case CAST_P1: r = (op_info){"cast p1->bf16", "bf16", 0, 6 * p1, 0, "conv2 in"}; break;
    case CAST_DROP: r = (op_info){"cast drop->bf16", "bf16", 0, 6 * p2, 0, "linear.1 in"}; break;
    case CAST_G1: r = (op_info){"cast g1->bf16", "bf16", 0, 6 * n * H1, 0, "linear.3 in"}; break;
    case WIDEN_C2: r = (op_info){"widen bf16->fp32", "bf16", 0, 6 * c2, 0, "conv2 out size"}; break;
    case ADD_C2: r = (op_info){"add bf16 into fp32", "bf16", 0, 10 * c2, 0, "conv2 out size"}; break;
    /* bf16 layers: as fp32, operands x and W 2 bytes, y, dy, dX, dW, bias fp32 */
    case CONV1_F16: r = (op_info){"conv1 fwd", "bf16", 2 * mac1, h * (x + w1) + f * (C1 + c1), native1 & 1, ""}; break;
    case CONV2_F16: r = (op_info){"conv2 fwd", "bf16", 2 * mac2, h * (p1 + w2) + f * (C2 + c2), native2 & 1, ""}; break;
    case LIN1_F16: r = (op_info){"linear.1 fwd", "bf16", 2 * mm1, h * (p2 + wl1) + f * (H1 + n * H1), 1, ""}; break;
    case LIN3_F16: r = (op_info){"linear.3 fwd", "bf16", 2 * mm3, h * (n * H1 + wl3) + f * (D + n * D), 1, ""}; break;
    case LIN3_B16: r = (op_info){"linear.3 bwd", "bf16", 4 * mm3, f * n * D + h * (n * H1 + wl3) + 2 * f * (n * H1 + wl3 + D), 1, ""}; break;
    case LIN1_B16: r = (op_info){"linear.1 bwd", "bf16", 4 * mm1, f * n * H1 + h * (p2 + wl1) + 2 * f * (p2 + wl1 + H1), 1, ""}; break;
    case CONV2_B16: r = (op_info){"conv2 bwd", "bf16", 4 * mac2, f * c2 + h * (p1 + w2) + 2 * f * (p1 + w2 + C2), (native2 & 6) != 0, ""}; break;
    case CONV1_B16: r = (op_info){"conv1 bwd (dW)", "bf16", 2 * mac1, f * c1 + h * x + 2 * f * (w1 + C1), (native1 & 4) != 0, ""}; break;
    /* Adam: reads params, grads, m, v, writes params, m, v: 28 bytes a parameter */
    case ADAM: r = (op_info){"adam step", "fp32", 0, 28.0 * b->adam.n, 0, "5.4M params"}; break;
    case N_OPS: break;
    }
    /* the bf16 convolutions' directions that cuDNN runs in fp32 (gpu_conv2d_bf16_native) */
    if (o == CONV1_F16 || o == CONV2_F16 || o == CONV1_B16 || o == CONV2_B16) {
        const int nat = o == CONV1_F16 || o == CONV1_B16 ? native1 : native2;
        char *s = r.note;
        const size_t cap = sizeof r.note;
        if (o == CONV1_F16 || o == CONV2_F16) snprintf(s, cap, "%s", nat & 1 ? "" : "fp32 fallback");
        else if (o == CONV1_B16) snprintf(s, cap, "%s", nat & 4 ? "" : "fp32 fallback");
        else snprintf(s, cap, "%s%s%s", nat & 2 ? "" : "dX fp32 fallback",
                      !(nat & 2) && !(nat & 4) ? "; " : "", nat & 4 ? "" : "dW fp32 fallback");
    }
    return r;
}

static void run(hw_gpu *g, bufs *b, op_id o) {
    const int N = b->N;
    const size_t n = (size_t)N, fs = sizeof(float), nf = n * F;
    float *P = b->params, *G = b->grads;
    const hw_bf16 *WB = b->wb;
    const size_t *of = b->off, *wo = b->woff;
    switch (o) {
    case CONV1_F: HW(gpu_conv2d_forward(g, b->c1, b->x, P + of[W1], P + of[B1], &b->d1)); break;
    case POOL1_F: HW(gpu_maxpool2d_forward(g, b->p1, b->a1, b->c1, N, C1, CS1, CS1, 2, 2, 0)); break;
    case CONV2_F: HW(gpu_conv2d_forward(g, b->c2, b->p1, P + of[W2], P + of[B2], &b->d2)); break;
    case POOL2_F: HW(gpu_maxpool2d_forward(g, b->p2, b->a2, b->c2, N, C2, CS2, CS2, 2, 2, 0)); break;
    case DROP_F: HW(gpu_dropout_forward(g, b->drop, b->dmask, b->p2, 0.5f, 1, 0, n, F, F)); break;
    case LIN1_F: HW(gpu_linear_forward(g, b->h1, b->drop, P + of[FC1W], P + of[FC1B], N, F, H1)); break;
    case GELU1_F: HW(gpu_gelu_forward(g, b->g1, b->h1, n * H1)); break;
    case LIN3_F: HW(gpu_linear_forward(g, b->h2, b->g1, P + of[FC2W], P + of[FC2B], N, H1, D)); break;
    case GELU3_F: HW(gpu_gelu_forward(g, b->emb, b->h2, n * D)); break;
    case ZERO_B:
        HW(hw_gpu_zero(g, b->dh2, n * D * fs));
        HW(hw_gpu_zero(g, b->dg1, n * H1 * fs));
        HW(hw_gpu_zero(g, b->dh1, n * H1 * fs));
        HW(hw_gpu_zero(g, b->ddrop, nf * fs));
        HW(hw_gpu_zero(g, b->dp2, nf * fs));
        HW(hw_gpu_zero(g, b->dc2, n * C2 * CS2 * CS2 * fs));
        HW(hw_gpu_zero(g, b->dp1, n * C1 * P1 * P1 * fs));
        HW(hw_gpu_zero(g, b->dc1, n * C1 * CS1 * CS1 * fs));
        break;
    case GELU3_B: HW(gpu_gelu_backward(g, b->dh2, b->demb, b->h2, n * D)); break;
    case LIN3_B:
        HW(gpu_linear_backward(g, b->dg1, G + of[FC2W], G + of[FC2B], b->dh2, b->g1, P + of[FC2W], N, H1, D));
        break;
    case GELU1_B: HW(gpu_gelu_backward(g, b->dh1, b->dg1, b->h1, n * H1)); break;
    case LIN1_B:
        HW(gpu_linear_backward(g, b->ddrop, G + of[FC1W], G + of[FC1B], b->dh1, b->drop, P + of[FC1W], N, F, H1));
        break;
    case DROP_B: HW(gpu_dropout_backward(g, b->dp2, b->ddrop, b->dmask, 0.5f, nf)); break;
    case POOL2_B: HW(gpu_maxpool2d_backward(g, b->dc2, b->dp2, b->a2, N, C2, CS2, CS2, 2, 2, 0)); break;
    case CONV2_B:
        HW(gpu_conv2d_backward(g, b->dp1, G + of[W2], G + of[B2], b->dc2, b->p1, P + of[W2], &b->d2));
        break;
    case POOL1_B: HW(gpu_maxpool2d_backward(g, b->dc1, b->dp1, b->a1, N, C1, CS1, CS1, 2, 2, 0)); break;
    case CONV1_B:
        HW(gpu_conv2d_backward(g, NULL, G + of[W1], G + of[B1], b->dc1, b->x, P + of[W1], &b->d1));
        break;
    case CASTW: {
        const int ws[4] = {W1, W2, FC1W, FC2W};
        for (int i = 0; i < 4; i++)
            HW(gpu_cast_to_bf16(g, b->wb + wo[ws[i]], P + of[ws[i]], numel[ws[i]]));
        break;
    }
    case CAST_X: HW(gpu_cast_to_bf16(g, b->xb, b->x, n * S * S)); break;
    case CAST_P1: HW(gpu_cast_to_bf16(g, b->p1b, b->p1, n * C1 * P1 * P1)); break;
    case CAST_DROP: HW(gpu_cast_to_bf16(g, b->dropb, b->drop, nf)); break;
    case CAST_G1: HW(gpu_cast_to_bf16(g, b->g1b, b->g1, n * H1)); break;
    case WIDEN_C2: HW(gpu_cast_from_bf16(g, b->dc2, b->c2b, n * C2 * CS2 * CS2)); break;
    case ADD_C2: HW(gpu_add_bf16(g, b->dc2, b->c2b, n * C2 * CS2 * CS2)); break;
    case CONV1_F16:
        HW(gpu_conv2d_forward_bf16(g, b->c1, b->xb, WB + wo[W1], P + of[B1], b->conv_scratch, &b->d1));
        break;
    case CONV2_F16:
        HW(gpu_conv2d_forward_bf16(g, b->c2, b->p1b, WB + wo[W2], P + of[B2], b->conv_scratch, &b->d2));
        break;
    case LIN1_F16:
        HW(gpu_linear_forward_bf16(g, b->h1, b->dropb, WB + wo[FC1W], P + of[FC1B], N, F, H1));
        break;
    case LIN3_F16:
        HW(gpu_linear_forward_bf16(g, b->h2, b->g1b, WB + wo[FC2W], P + of[FC2B], N, H1, D));
        break;
    case LIN3_B16:
        HW(gpu_linear_backward_bf16(g, b->dg1, G + of[FC2W], G + of[FC2B], b->dh2, b->g1b,
                                    WB + wo[FC2W], b->lin_scratch, N, H1, D));
        break;
    case LIN1_B16:
        HW(gpu_linear_backward_bf16(g, b->ddrop, G + of[FC1W], G + of[FC1B], b->dh1, b->dropb,
                                    WB + wo[FC1W], b->lin_scratch, N, F, H1));
        break;
    case CONV2_B16:
        HW(gpu_conv2d_backward_bf16(g, b->dp1, G + of[W2], G + of[B2], b->dc2, b->p1b, WB + wo[W2],
                                    b->conv_scratch, &b->d2));
        break;
    case CONV1_B16:
        HW(gpu_conv2d_backward_bf16(g, NULL, G + of[W1], G + of[B1], b->dc1, b->xb, WB + wo[W1],
                                    b->conv_scratch, &b->d1));
        break;
    case ADAM: HW(hw_gpu_optim_step(g, &b->adam, P, G)); break;
    case N_OPS: break;
    }
}

/* ms per call: 3 warm-up calls, then batches of k calls, k doubling, until one batch takes
 * at least min_ms */
static double time_op(hw_gpu *g, bufs *b, op_id o, double min_ms) {
    cudaStream_t st = (cudaStream_t)hw_gpu_stream(g);
    cudaEvent_t e0, e1;
    CU(cudaEventCreate(&e0));
    CU(cudaEventCreate(&e1));
    for (int i = 0; i < 3; i++) run(g, b, o);
    HW(hw_gpu_sync(g));
    double ms = 0.0;
    for (long k = 1;; k *= 2) {
        CU(cudaEventRecord(e0, st));
        for (long i = 0; i < k; i++) run(g, b, o);
        CU(cudaEventRecord(e1, st));
        HW(hw_gpu_sync(g));
        float t = 0.0f;
        CU(cudaEventElapsedTime(&t, e0, e1));
        if (t >= min_ms || k >= (1L << 24)) {
            ms = t / k;
            break;
        }
    }
    CU(cudaEventDestroy(e0));
    CU(cudaEventDestroy(e1));
    return ms;
}

/* ---- the report --------------------------------------------------------------------------- */
typedef struct {
    double ms, tflops, gbs, frac_f, frac_b, roof;
    int l2;
} result;

static result measure(hw_gpu *g, bufs *b, const peaks *pk, op_id o, const op_info *in, double min_ms) {
    result r = {0};
    r.ms = time_op(g, b, o, min_ms);
    const double s = r.ms * 1e-3;
    r.tflops = in->flops / s / 1e12;
    r.gbs = in->bytes / s / 1e9;
    r.frac_f = in->flops > 0 ? r.tflops / (in->bf16_peak ? pk->bf16 : pk->fp32) : 0.0;
    r.frac_b = r.gbs / pk->gbs;
    r.roof = r.frac_f > r.frac_b ? r.frac_f : r.frac_b;
    r.l2 = in->bytes <= (double)pk->l2;
    return r;
}

static const char *bound(const op_info *in, const peaks *pk) {
    if (in->flops <= 0) return "memory";
    const double ridge = (in->bf16_peak ? pk->bf16 : pk->fp32) * 1e12 / (pk->gbs * 1e9);
    return in->flops / in->bytes >= ridge ? "compute" : "memory";
}

int main(int argc, char **argv) {
    int Ns[8] = {64, 256}, nN = 2;
    if (argc > 1) {
        nN = 0;
        for (int i = 1; i < argc; i++) {
            char *end;
            long v = strtol(argv[i], &end, 10);
            if (*end || v < 1 || v > 4096 || nN == 8) {
                fprintf(stderr, "usage: bench_gpu_kernels [N ...]  (tiles per batch, 1..4096, at "
                                "most 8; default 64 256)\n");
                return 2;
            }
            Ns[nN++] = (int)v;
        }
    }
    const double min_ms = getenv("MIN_MS") ? env_pos("MIN_MS") : 50.0;
    if (hw_gpu_count() == 0) {
        printf("bench_gpu_kernels: no CUDA device visible: nothing to measure (exit 77)\n");
        return 77;
    }
    char desc[1024];
    hw_gpu_describe(desc, sizeof desc);
    printf("%s", desc);
    hw_gpu *g = hw_gpu_create(0);
    if (!g) {
        fprintf(stderr, "bench_gpu_kernels: %s\n", hw_error());
        return 1;
    }
    peaks pk;
    get_peaks(hw_gpu_device(g), &pk);
    printf("SLeNet at 224, N tiles per call (a batch of N/2 pairs, two views); each op warmed "
           "up, then timed over >= %.0f ms\n", min_ms);
    printf("%%roof = max(%%FLOP peak, %%bandwidth): the achieved fraction of the roofline; "
           "L2 = bytes fit in L2 (GB/s may exceed HBM)\n");

    /* per op, the roofline fraction at each N, for the summary */
    static result res[8][N_OPS];
    static op_info infos[8][N_OPS];
    double sum_fp32[8], sum_bf16[8], adam_ms = 0.0;
    for (int in = 0; in < nN; in++) {
        const int N = Ns[in];
        bufs b;
        bufs_make(g, &b, N);
        /* a bf16 direction cuDNN refuses when it runs falls back to fp32 from then on: run
         * each once before asking which directions are bf16 */
        run(g, &b, CONV1_F16);
        run(g, &b, CONV2_F16);
        run(g, &b, CONV2_B16);
        run(g, &b, CONV1_B16);
        HW(hw_gpu_sync(g));
        const int nat1 = gpu_conv2d_bf16_native(g, &b.d1), nat2 = gpu_conv2d_bf16_native(g, &b.d2);
        if (nat1 < 0 || nat2 < 0) {
            fprintf(stderr, "bench_gpu_kernels: gpu_conv2d_bf16_native: %s\n", hw_error());
            return 1;
        }
        printf("\nN = %d tiles (batch %d pairs); bf16 conv directions in bf16 (else fp32 "
               "fallback): conv1 fwd %s dX - dW %s; conv2 fwd %s dX %s dW %s\n", N, N / 2,
               nat1 & 1 ? "bf16" : "fp32", nat1 & 4 ? "bf16" : "fp32", nat2 & 1 ? "bf16" : "fp32",
               nat2 & 2 ? "bf16" : "fp32", nat2 & 4 ? "bf16" : "fp32");
        printf("%-20s %-4s %10s %9s %9s %7s %7s %6s %-7s %s\n", "op", "prec", "ms/call",
               "TFLOP/s", "GB/s", "%FLOP", "%bw", "%roof", "bound", "note");
        sum_fp32[in] = sum_bf16[in] = 0.0;
        for (op_id o = 0; o < N_OPS; o++) {
            if (o == ADAM && in > 0) continue; /* independent of N: once */
            op_info inf = info(&b, o, nat1, nat2);
            result r = measure(g, &b, &pk, o, &inf, min_ms);
            res[in][o] = r;
            infos[in][o] = inf;
            char fl[16] = "-", pf[16] = "-";
            if (inf.flops > 0) {
                snprintf(fl, sizeof fl, "%.2f", r.tflops);
                snprintf(pf, sizeof pf, "%.1f%%", 100 * r.frac_f);
            }
            char note[300];
            snprintf(note, sizeof note, "%s%s%s", r.l2 ? "L2" : "", r.l2 && *inf.note ? "; " : "",
                     inf.note);
            printf("%-20s %-4s %10.4f %9s %9.0f %7s %6.1f%% %5.1f%% %-7s %s\n", inf.name,
                   inf.prec, r.ms, fl, r.gbs, pf, 100 * r.frac_b, 100 * r.roof, bound(&inf, &pk),
                   note);
            if (o == ADAM) adam_ms = r.ms;
            else if (o < CASTW) {
                sum_fp32[in] += r.ms;
                if (!is_layer(o)) sum_bf16[in] += r.ms;
            } else if (o != WIDEN_C2 && o != ADD_C2) /* inside the bf16 convolutions */
                sum_bf16[in] += r.ms;
        }
        bufs_free(&b);
    }

    /* the backbone's ops summed: what a step of N tiles spends in them (no input
     * normalisation, loss or head; host work and launch gaps not included) */
    printf("\nbackbone ops summed, + one Adam step (%.3f ms): a lower bound on a training step\n",
           adam_ms);
    for (int in = 0; in < nN; in++) {
        const double f = sum_fp32[in] + adam_ms, h = sum_bf16[in] + adam_ms;
        printf("N = %-4d fp32 %8.3f ms (%8.0f pairs/s)   bf16 %8.3f ms (%8.0f pairs/s; the "
               "bf16 rows, casts included, + pool, dropout, GELU, zero)\n",
               Ns[in], f, Ns[in] / 2.0 / (f * 1e-3), h, Ns[in] / 2.0 / (h * 1e-3));
    }

    /* one line per op: its best roofline fraction over the batch sizes, and what bounds it */
    printf("\nsummary (per op, the batch size where it comes closest to its roofline):\n");
    for (op_id o = 0; o < N_OPS; o++) {
        int best = 0;
        const int nn = o == ADAM ? 1 : nN;
        for (int in = 1; in < nn; in++)
            if (res[in][o].roof > res[best][o].roof) best = in;
        const op_info *inf = &infos[best][o];
        const result *r = &res[best][o];
        char what[128];
        if (inf->flops > 0 && !strcmp(bound(inf, &pk), "compute"))
            snprintf(what, sizeof what, "%.2f TFLOP/s = %.1f%% of the %s peak", r->tflops,
                     100 * r->frac_f, inf->bf16_peak ? "bf16 tensor" : "fp32");
        else
            snprintf(what, sizeof what, "%.0f GB/s = %.1f%% of the memory bandwidth%s", r->gbs,
                     100 * r->frac_b, r->l2 ? " (L2-resident)" : "");
        char at[32] = "any N";
        if (o != ADAM) snprintf(at, sizeof at, "N = %d", Ns[best]);
        printf("  %s %s: %s (%s; %s-bound by roofline, %.1f%% of it)\n", inf->name, inf->prec,
               what, at, bound(inf, &pk), 100 * r->roof);
    }
    hw_gpu_destroy(g);
    free(host_rand);
    return 0;
}
