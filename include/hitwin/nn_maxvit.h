/* The CPU ops MaxViT adds to nn.h (reference.md 3.4; torchvision's maxvit_t), with the same
 * conventions: `<op>_forward(out..., saved..., inp..., params..., sizes)` /
 * `<op>_backward(dinp..., dparams..., dout..., saved..., sizes)`, every backward ADDS (+=)
 * into its gradients, NULL means "not needed", float32, NCHW images, tokens [.., P, C]
 * channels-last. The depthwise 3x3 (stride 1 and 2) and 1x1 convolutions are nn.h's
 * conv2d with groups = C and KH = KW = 1 (a GEMM). docs/maxvit.md has the design. */
#ifndef HITWIN_NN_MAXVIT_H
#define HITWIN_NN_MAXVIT_H

#include "hitwin/nn.h"

#include <stddef.h>
#include <stdint.h>

/* ---- constants of maxvit_t --------------------------------------------------------- */
#define NN_MAXVIT_BN_EPS 1e-3f       /* BatchNorm2d(eps=1e-3, momentum=0.99) */
#define NN_MAXVIT_BN_MOMENTUM 0.99f  /* torch convention: running = 0.01 running + 0.99 batch */
#define NN_LAYERNORM_EPS 1e-5f       /* nn.LayerNorm default */
#define NN_MAXVIT_WINDOW 7           /* partition size: 49-token windows */

/* ---- nn_batchnorm.c: BatchNorm2d over [B, C, HW] ------------------------------------ */
/* train: normalise with the batch's mean and biased variance over (B, HW), then update
 *   running_mean = (1 - momentum) running_mean + momentum mean,
 *   running_var  = (1 - momentum) running_var + momentum var * n / (n - 1)   (n = B HW),
 * as torch does (running buffers may be NULL: no update). eval: normalise with the running
 * statistics. mean and rstd [C] are saved for backward either way (rstd = 1/sqrt(var + eps)).
 * A Siamese model calls it once per view, so each branch is its own batch (bug 13). */
void batchnorm2d_forward(float *out,          /* [B, C, HW] */
                         float *mean,         /* [C] saved */
                         float *rstd,         /* [C] saved */
                         float *running_mean, /* [C] or NULL */
                         float *running_var,  /* [C] or NULL */
                         const float *inp,    /* [B, C, HW] */
                         const float *gamma,  /* [C] */
                         const float *beta,   /* [C] */
                         int train, float momentum, float eps, int B, int C, int HW);
/* train: the gradient through the batch statistics; eval: through the fixed affine map. */
void batchnorm2d_backward(float *dinp,        /* [B, C, HW] or NULL */
                          float *dgamma,      /* [C] or NULL */
                          float *dbeta,       /* [C] or NULL */
                          const float *dout,  /* [B, C, HW] */
                          const float *inp,   /* [B, C, HW] */
                          const float *mean,  /* [C] */
                          const float *rstd,  /* [C] */
                          const float *gamma, /* [C] */
                          int train, int B, int C, int HW);

/* ---- nn_layernorm.c: LayerNorm over the last dim ------------------------------------- */
void layernorm_forward(float *out,         /* [N, C] */
                       float *mean,        /* [N] saved */
                       float *rstd,        /* [N] saved */
                       const float *inp,   /* [N, C] */
                       const float *gamma, /* [C] */
                       const float *beta,  /* [C] */
                       float eps, int N, int C);
void layernorm_backward(float *dinp,        /* [N, C] or NULL */
                        float *dgamma,      /* [C] or NULL */
                        float *dbeta,       /* [C] or NULL */
                        const float *dout,  /* [N, C] */
                        const float *inp,   /* [N, C] */
                        const float *mean,  /* [N] */
                        const float *rstd,  /* [N] */
                        const float *gamma, /* [C] */
                        int N, int C);

/* ---- nn_activation.c: SiLU and sigmoid (squeeze-excitation) ---------------------------- */
void silu_forward(float *out, const float *inp, size_t n); /* x sigmoid(x); in place allowed */
void silu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void sigmoid_forward(float *out, const float *inp, size_t n); /* in place allowed */
/* from the forward's OUTPUT y: dinp += dout y (1 - y) */
void sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n);

/* ---- nn_avgpool.c: average pools ---------------------------------------------------------- */
/* AvgPool2d(kernel, stride, pad) with count_include_pad=True (torch's default): every window
 * divides by kernel^2, padding counted as zeros. MBConv's projection path: 3, 2, 1. */
void avgpool2d_forward(float *out,       /* [B, C, OH, OW] */
                       const float *inp, /* [B, C, H, W] */
                       int B, int C, int H, int W, int kernel, int stride, int pad);
void avgpool2d_backward(float *dinp,       /* [B, C, H, W] */
                        const float *dout, /* [B, C, OH, OW] */
                        int B, int C, int H, int W, int kernel, int stride, int pad);
/* Global average pool [B, C, HW] -> rows of out with leading dimension ld (ld = C for a plain
 * [B, C]; a wider ld writes into a column block, as the multiscale concat does). */
void global_avgpool_forward(float *out, int ld, const float *inp, int B, int C, int HW);
void global_avgpool_backward(float *dinp, const float *dout, int ld, int B, int C, int HW);

/* ---- nn_squeeze_excite.c: torchvision SqueezeExcitation(C, SQ, SiLU) --------------------
 * s = sigmoid(W2 silu(W1 avgpool(x) + b1) + b2), out = x * s per channel; W1 [SQ, C] and W2
 * [C, SQ] are the 1x1 convs fc1, fc2 as matrices. */
typedef struct {
    float *pooled; /* [B, C]  */
    float *h;      /* [B, SQ] fc1 output */
    float *a;      /* [B, SQ] SiLU output */
    float *gate;   /* [B, C]  sigmoid output */
} NnSeSaved;
void squeeze_excite_forward(float *out,       /* [B, C, HW] */
                            NnSeSaved *saved, /* buffers as commented */
                            const float *inp, /* [B, C, HW] */
                            const float *w1, const float *b1, /* [SQ, C], [SQ] */
                            const float *w2, const float *b2, /* [C, SQ], [C] */
                            int B, int C, int SQ, int HW);
/* scratch: 2 B C + B SQ floats; SQ <= C (MBConv: SQ = out / 4, C = 4 out) */
void squeeze_excite_backward(float *dinp, float *dw1, float *db1, float *dw2, float *db2,
                             const float *dout, const NnSeSaved *saved, const float *inp,
                             const float *w1, const float *w2, float *scratch,
                             int B, int C, int SQ, int HW);

/* ---- nn_partition.c: window / grid partition of [B, C, H, W] into tokens ------------------
 * WINDOW: groups are the (H/w)(W/w) non-overlapping w x w windows; group (u, v), token
 *   (a, b) = pixel (w u + a, w v + b).
 * GRID: groups are the g x g offsets of a dilated w x w grid, g = H / w; group (a, b), token
 *   (u, v) = pixel (g u + a, g v + b) (torchvision: WindowPartition with p = g, then swap
 *   the group and token axes).
 * tokens: [B, G, w w, C] with G = H W / (w w), channels last. */
typedef enum { NN_PARTITION_WINDOW = 0, NN_PARTITION_GRID = 1 } NnPartition;
void partition_forward(float *tokens, const float *img, NnPartition kind, int B, int C, int H,
                       int W, int w);
void partition_backward(float *dimg, const float *dtokens, NnPartition kind, int B, int C, int H,
                        int W, int w);
void departition_forward(float *img, const float *tokens, NnPartition kind, int B, int C, int H,
                         int W, int w);
void departition_backward(float *dtokens, const float *dimg, NnPartition kind, int B, int C,
                          int H, int W, int w);

/* ---- nn_attention.c: multi-head self-attention with relative position bias ---------------
 * torchvision's RelativePositionalMultiHeadAttention between its two Linears (to_qkv, merge,
 * which are linear_forward): qkv [BG, P, 3C] holds q, k, v in that order, heads of C/NH
 * channels; k is scaled by C^-1/2 (the full width, not the head's: bug 13); logits
 * q.k + table[idx(i, j), h], idx = (r_i - r_j + w - 1)(2w - 1) + (c_i - c_j + w - 1) for
 * tokens i = (r_i, c_i) of a w x w window (P = w w); softmax over keys; out = probs v, heads
 * concatenated. */
void relpos_attention_forward(float *out,         /* [BG, P, C] */
                              float *probs,       /* [BG, NH, P, P] saved */
                              const float *qkv,   /* [BG, P, 3C] */
                              const float *table, /* [(2w-1)^2, NH] */
                              int BG, int w, int C, int NH);
void relpos_attention_backward(float *dqkv,        /* [BG, P, 3C] or NULL */
                               float *dtable,      /* [(2w-1)^2, NH] or NULL */
                               const float *dout,  /* [BG, P, C] */
                               const float *qkv,   /* [BG, P, 3C] */
                               const float *probs, /* [BG, NH, P, P] */
                               float *scratch,     /* 2 P P floats */
                               int BG, int w, int C, int NH);
/* The table row of every token pair, as torchvision's relative_position_index buffer holds it
 * (_get_relative_position_index(w, w)): idx[i, j] above, from the same function the two ops
 * use. The ops need no such array; checkpoints carry it so that PyTorch loads them strictly. */
void relpos_attention_index(int64_t *idx, /* [w w, w w] */
                            int w);

/* ---- nn_stochastic_depth.c: StochasticDepth(p, mode="row") ---------------------------------
 * train: sample b is kept with probability 1 - p (draw rng->counter + b: kept when the
 * uniform is < 1 - p) and scaled by 1 / (1 - p); scale[b] is 0 or 1/(1-p). The counter
 * advances by B. p == 0 or eval: identity (scale 1, no draws). */
void stochastic_depth_forward(float *out,       /* [B, N] */
                              float *scale,     /* [B] saved */
                              const float *inp, /* [B, N] */
                              float p, int train, NnRng *rng, int B, size_t N);
void stochastic_depth_backward(float *dinp, const float *dout, const float *scale, int B, size_t N);

/* ---- nn_multiscale.c: SMaxViTMulti's embedding -------------------------------------------
 * Global average pool of each of n stage outputs maps[s] [B, C_s, HW_s], concatenated into
 * cat [B, sum C_s] (saved), then Linear(sum C_s, D, bias=False): out [B, D]. */
void multiscale_embed_forward(float *out, float *cat, const float *const *maps, const int *C,
                              const int *HW, int n, const float *weight, int B, int D);
/* dcat: scratch [B, sum C_s]; dmaps[s] may be NULL */
void multiscale_embed_backward(float *const *dmaps, float *dweight, float *dcat, const float *dout,
                               const float *cat, const float *weight, const int *C, const int *HW,
                               int n, int B, int D);

#endif
