// Private to src/cuda: the GPU SLeNet's state (gpu_slenet.h), shared by slenet_cuda.cu (the
// training step, embeddings, the activation arena) and slenet_saliency_cuda.cu (the
// integrated-gradients path), as src/model/slenet_internal.h is shared by slenet.c and
// slenet_saliency.c.
#ifndef HITWIN_SLENET_CUDA_INTERNAL_CUH
#define HITWIN_SLENET_CUDA_INTERNAL_CUH

#include "gpu_internal.cuh"
#include "gpu_objective.h"
#include "hitwin/gpu_ops.h"
#include "hitwin/gpu_slenet.h"

#define HW_MAX_TENSORS 16

// the tensors the GPU model reads, by name (slenet_cuda.cu's tensor_names)
enum { W1, B1, W2, B2, FC1W, FC1B, FC2W, FC2B, HEADW, HEADB, NT };

typedef struct { // saved tensors of the n * views tiles, view-major, as slenet.c's hw_branch
    float *x, *maxval, *p1;
    int32_t *a1, *a2;
    float *drop;
    uint8_t *dmask;
    float *h1, *g1, *h2, *emb;
    // bf16 mode: each layer's input in bf16, saved for its weight gradient
    hw_bf16 *xb, *p1b, *dropb, *g1b;
} acts;

// hw_gpu_slenet_path_grad's own buffers (slenet_saliency_cuda.cu): one allocation of fixed
// size made at its first call, apart from the activation arena, so that a reserve() growing
// the arena between passes cannot move them and training never pays for them
typedef struct {
    void *mem;
    float *from, *to, *d;  // [S, S] the path's ends and d = to - from
    float *base, *slope;   // [C1, CS1, CS1] conv1(from) + bias and conv1(d) (no bias)
    float *dsum;           // [C1, CS1, CS1] the interpolants' conv1-output gradients, summed
    float *dx;             // [S, S] dsum's transposed convolution: the summed input gradient
    float *other, *alpha;  // [D] the fixed end's embedding; [HW_GPU_IG_PASS] this pass's alphas
} path_scratch;

struct hw_gpu_slenet {
    hw_gpu *g;
    hw_model_config cfg;
    uint64_t dropout_seed;
    // geometry: S -> conv CS1 -> pool P1 -> conv CS2 -> pool P2; F = C2 P2 P2
    int S, K, C1, C2, H1, D, HO, CS1, P1, CS2, P2, F, has_head;
    hw_tensor tensors[HW_MAX_TENSORS];
    int n_tensors;
    size_t off[NT], numel[NT], n_params;
    float *params, *grads;
    // bf16 mode: the shadow of the bf16_weights, each at a 256-byte aligned offset
    int bf16;
    hw_bf16 *wb;
    size_t off_b[NT], n_wb;
    // activation arena
    void *arena;
    int cap_n, cap_views;
    acts act;
    float *tiles;                       // [n, views, S, S] this step's batch, when uploaded
    const float *in;                    // the batch's tiles: tiles, or the caller's device batch
    float *c1, *c2, *p2, *dp1, *dh1, *dg1, *dh2, *demb;
    void *conv_scratch;                 // bf16 mode: gpu_conv2d_bf16_scratch_bytes of conv1/2
    hw_bf16 *lin_scratch;               // bf16 mode: dout of a linear layer in bf16
    // the objective: head pointers and loss scratch (gpu_objective.h, shared with MaxViT)
    hw_gpu_objective obj;
    // integrated gradients (saliency)
    path_scratch ig;
};

// Interpolants per pass of hw_gpu_slenet_path_grad: the activation arena is reserved for
// this many tiles (about 3.6 MB each at 224), as hw_gpu_slenet_embed's chunks of 64.
#define HW_GPU_IG_PASS 64

static inline float *P(hw_gpu_slenet *s, int t) { return s->params + s->off[t]; }
static inline float *G(hw_gpu_slenet *s, int t) { return s->grads + s->off[t]; }

// ---- carving one allocation into named buffers (two passes: measure, then point) ---------

typedef hw_gpu_carver carver; // gpu_objective.h

template <typename T> static T *carve(carver *c, size_t count) {
    size_t off = (c->off + 255) & ~(size_t)255; // 256-byte alignment for coalesced access
    c->off = off + count * sizeof(T);
    return c->base ? (T *)(c->base + off) : NULL;
}

static inline NnConv2dDims conv1_dims(const hw_gpu_slenet *s, int N) {
    NnConv2dDims d = {N, 1, s->S, s->S, s->C1, s->K, s->K, 1, 0, 1};
    return d;
}

static inline NnConv2dDims conv2_dims(const hw_gpu_slenet *s, int N) {
    NnConv2dDims d = {N, s->C1, s->P1, s->P1, s->C2, s->K, s->K, 1, 0, 1};
    return d;
}

#endif
