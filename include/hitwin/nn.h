/* CPU neural-network ops: the plain-C reference every CUDA kernel is checked against.
 *
 * Conventions (after llm.c):
 *  - every op is a pair `<op>_forward(out..., inp..., params..., sizes)` /
 *    `<op>_backward(dinp..., dparams..., dout..., saved inputs/outputs..., sizes)`:
 *    outputs first, sizes last; each pointer carries a shape comment.
 *  - every backward ADDS (+=) into all of its gradient outputs, input gradients included,
 *    so shared weights (Siamese branches) and tensors used twice just work; zero the
 *    gradient buffers once per step. A NULL gradient pointer means "not needed" and its
 *    work is skipped (e.g. dinp of the first conv).
 *  - tensors are float32, row-major; images are NCHW.
 *  - losses are means over the batch and write one float; their backward takes the
 *    upstream scalar dloss (1 for the objective itself, `bias` for a weighted term).
 * Numerical choices follow PyTorch (torch 1.13-2.7) and are stated next to each op;
 * docs/nn.md has the details and the test tolerances.
 */
#ifndef HITWIN_NN_H
#define HITWIN_NN_H

#include <stddef.h>
#include <stdint.h>

/* ---- constants of the reference model (docs/reference.md) ------------------------ */
#define NN_PAIRWISE_EPS 1e-6f      /* F.pairwise_distance default: ||x1 - x2 + eps|| */
#define NN_TRIPLET_EPS_HTF 1e-7f   /* HTF builds TripletMarginLoss(margin=1, p=2, eps=1e-7) */
#define NN_TRIPLET_EPS_TORCH 1e-6f /* torch.nn.TripletMarginLoss default eps */
#define NN_COSINE_EPS 1e-8f        /* F.cosine_similarity default */
#define NN_L2NORM_EPS 1e-12f       /* F.normalize default */
#define NN_CONTRASTIVE_MARGIN 2.0f /* reference 4.1 */
#define NN_TRIPLET_MARGIN 1.0f     /* reference 4.3 */
#define NN_SINCERE_TEMPERATURE 0.07f /* reference 4.4 */
#define NN_DIAG_MASK_BAND 3        /* reference 3.1: zero |i - j| < 3 */

/* ---- nn_rng.c: seeded counter-based generator ------------------------------------ */
/* Value k of a stream is a pure function of (seed, k) (splitmix64 of seed ^ k-hash), so
 * a CUDA kernel can draw element i of a dropout mask without a sequential state. */
typedef struct {
    uint64_t seed;
    uint64_t counter; /* index of the next draw */
} NnRng;

void nn_rng_init(NnRng *rng, uint64_t seed);
uint32_t nn_rng_u32_at(uint64_t seed, uint64_t counter); /* stateless draw */
uint32_t nn_rng_u32(NnRng *rng);
float nn_rng_uniform(NnRng *rng);  /* [0, 1), 24-bit resolution */
float nn_rng_normal(NnRng *rng);   /* N(0, 1), Box-Muller */
void nn_fill_uniform(float *out, size_t n, float lo, float hi, NnRng *rng);
void nn_fill_normal(float *out, size_t n, float mean, float std, NnRng *rng);
/* PyTorch default init of Conv2d / Linear: weight ~ kaiming_uniform(a=sqrt(5)), i.e.
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 * fan_in = (C/groups)*KH*KW for conv, in_features for linear. bias may be NULL. */
void nn_init_conv2d(float *weight, /* [OC, C/groups, KH, KW] */
                    float *bias,   /* [OC] or NULL */
                    int OC, int C_per_group, int KH, int KW, NnRng *rng);
void nn_init_linear(float *weight, /* [OUT, IN] */
                    float *bias,   /* [OUT] or NULL */
                    int OUT, int IN, NnRng *rng);

/* ---- nn_conv2d.c: 2-D convolution, NCHW ------------------------------------------- */
/* Per image either direct kernels (few channels, stride 1, no padding, AVX2+FMA CPUs; the
 * weight gradient only for a sparse dout, such as a max pool's gradient) or im2col +
 * sgemm (everything else); docs/nn.md "Which conv path". They agree to float rounding. */
typedef struct {
    int B, C, H, W;   /* input */
    int OC, KH, KW;   /* output channels, kernel */
    int stride, pad;  /* same in both directions; zero padding */
    int groups;       /* C and OC divisible by groups; groups == C is depthwise */
} NnConv2dDims;

int nn_conv2d_out_h(const NnConv2dDims *d); /* (H + 2 pad - KH) / stride + 1 */
int nn_conv2d_out_w(const NnConv2dDims *d);
/* Floats of scratch the conv needs (im2col of one image for forward, plus its gradient
 * for backward); reuse one buffer across the batch and across layers. */
size_t nn_conv2d_scratch_floats(const NnConv2dDims *d);

void conv2d_forward(float *out,          /* [B, OC, OH, OW] */
                    const float *inp,    /* [B, C, H, W] */
                    const float *weight, /* [OC, C/groups, KH, KW] */
                    const float *bias,   /* [OC] or NULL */
                    float *scratch,      /* nn_conv2d_scratch_floats(d) */
                    const NnConv2dDims *d);
void conv2d_backward(float *dinp,         /* [B, C, H, W] or NULL */
                     float *dweight,      /* [OC, C/groups, KH, KW] or NULL */
                     float *dbias,        /* [OC] or NULL */
                     const float *dout,   /* [B, OC, OH, OW] */
                     const float *inp,    /* [B, C, H, W] */
                     const float *weight, /* [OC, C/groups, KH, KW] */
                     float *scratch,      /* nn_conv2d_scratch_floats(d) */
                     const NnConv2dDims *d);

/* Which kernels conv2d_* may use (process-wide, like the rest of a rank's state). Tests
 * and benchmarks set NN_CONV_IM2COL to get the general path the direct one is checked
 * against. */
typedef enum {
    NN_CONV_AUTO = 0, /* direct kernels where the shape, the CPU and the dout allow (default) */
    NN_CONV_IM2COL,   /* always im2col + sgemm */
} NnConvPath;
void nn_conv2d_set_path(NnConvPath path);
/* 1 when this CPU can run the direct kernels (AVX2 and FMA). */
int nn_conv2d_direct_available(void);
/* Images each kernel has processed; tests check that the kernel they mean to test ran. */
typedef struct {
    uint64_t forward_direct, forward_im2col; /* conv2d_forward */
    uint64_t dweight_sparse, dweight_im2col; /* conv2d_backward, dweight and dbias */
    uint64_t dinp_direct, dinp_im2col;       /* conv2d_backward, dinp */
    uint64_t pool_fused_forward, pool_fused_backward; /* conv2d_maxpool_*, fused images */
} NnConvStats;
void nn_conv2d_stats(NnConvStats *stats, /* or NULL */
                     int reset);         /* nonzero: zero the counters after reading */

/* ---- nn_conv2d_pool.c: conv2d then a 2x2 stride-2 max pool, as one op ------------- */
/* The same values and argmax (h*OW + w in the conv output plane) as conv2d_forward then
 * maxpool2d_forward(kernel 2, stride 2, pad 0), and as maxpool2d_backward into a zeroed
 * buffer then conv2d_backward. Where the direct kernels apply, the conv output and its
 * gradient never go to memory; conv_out / dconv_out ([B, OC, OH, OW]) are scratch for the
 * other cases. dinp/dweight/dbias add (+=); dinp may be NULL. */
void conv2d_maxpool_forward(float *pooled,       /* [B, OC, OH/2, OW/2] */
                            int32_t *argmax,     /* [B, OC, OH/2, OW/2] */
                            float *conv_out,     /* [B, OC, OH, OW], scratch */
                            const float *inp,    /* [B, C, H, W] */
                            const float *weight, /* [OC, C, KH, KW] */
                            const float *bias,   /* [OC] or NULL */
                            float *scratch,      /* nn_conv2d_scratch_floats(d) */
                            const NnConv2dDims *d);
void conv2d_maxpool_backward(float *dinp,           /* [B, C, H, W] or NULL */
                             float *dweight,        /* [OC, C, KH, KW] or NULL */
                             float *dbias,          /* [OC] or NULL */
                             float *dconv_out,      /* [B, OC, OH, OW], scratch */
                             const float *dpooled,  /* [B, OC, OH/2, OW/2] */
                             const int32_t *argmax, /* [B, OC, OH/2, OW/2] */
                             const float *inp,      /* [B, C, H, W] */
                             const float *weight,   /* [OC, C, KH, KW] */
                             float *scratch,        /* nn_conv2d_scratch_floats(d) */
                             const NnConv2dDims *d);

/* ---- nn_pool.c: max pooling (PyTorch MaxPool2d, floor mode, -inf padding) -------- */
/* Output size (H + 2 pad - K) / stride + 1. The argmax (flat h*W + w within the input
 * plane; first maximum wins, NaN propagates, like PyTorch CPU) is stored for backward. */
int nn_pool_out_size(int in, int kernel, int stride, int pad);
void maxpool2d_forward(float *out,       /* [B, C, OH, OW] */
                       int32_t *argmax,  /* [B, C, OH, OW] */
                       const float *inp, /* [B, C, H, W] */
                       int B, int C, int H, int W, int kernel, int stride, int pad);
void maxpool2d_backward(float *dinp,           /* [B, C, H, W] */
                        const float *dout,     /* [B, C, OH, OW] */
                        const int32_t *argmax, /* [B, C, OH, OW] */
                        int B, int C, int H, int W, int OH, int OW);

/* ---- nn_linear.c: out = inp @ W^T + b, W [OUT, IN] like torch.nn.Linear ---------- */
void linear_forward(float *out,          /* [B, OUT] */
                    const float *inp,    /* [B, IN] */
                    const float *weight, /* [OUT, IN] */
                    const float *bias,   /* [OUT] or NULL */
                    int B, int IN, int OUT);
void linear_backward(float *dinp,         /* [B, IN] or NULL */
                     float *dweight,      /* [OUT, IN] or NULL */
                     float *dbias,        /* [OUT] or NULL */
                     const float *dout,   /* [B, OUT] */
                     const float *inp,    /* [B, IN] */
                     const float *weight, /* [OUT, IN] */
                     int B, int IN, int OUT);

/* ---- nn_activation.c: GELU (exact erf form) and dropout -------------------------- */
void gelu_forward(float *out, const float *inp, size_t n); /* [n], [n]; in place allowed */
void gelu_backward(float *dinp,       /* [n] */
                   const float *dout, /* [n] */
                   const float *inp,  /* [n] */
                   size_t n);
/* The recipe's log1p of count tiles (no backward: the tiles are data): out = log1p(x)
 * for x > 0, 0 for x <= 0, NaN and +inf pass; vectorised, within 2 ulp of log1pf
 * (test_nn_log1p). In place allowed. */
void log1p_clamped_forward(float *out, const float *inp, size_t n); /* [n], [n] */

/* ---- nn_smooth.c: the recipe's count smoothing (no backward: the tiles are data) --------- */
/* out = mean of inp over the (2h + 1)^2 square around each pixel, clipped to the S x S tile;
 * values <= 0 as 0, NaN propagates. Not in place. h = 0 copies (negatives to 0). */
void box_smooth_forward(float *out, const float *inp, int S, int h); /* [S, S], [S, S] */
/* Inverted dropout: keep with probability 1 - p, scale kept values by 1/(1 - p).
 * mask[i] = 1 if kept; element i uses draw rng->counter + i, and the counter advances by
 * n. p == 0 copies (mask all ones, no draws); p == 1 zeroes everything. */
void dropout_forward(float *out,       /* [n] */
                     uint8_t *mask,    /* [n] */
                     const float *inp, /* [n] */
                     float p, NnRng *rng, size_t n);
void dropout_backward(float *dinp,         /* [n] */
                      const float *dout,   /* [n] */
                      const uint8_t *mask, /* [n] */
                      float p, size_t n);

/* ---- nn_softmax.c: softmax and cross-entropy over the last dim ------------------- */
void softmax_forward(float *probs,        /* [B, C] */
                     const float *logits, /* [B, C] */
                     int B, int C);
void softmax_backward(float *dlogits,      /* [B, C] */
                      const float *dprobs, /* [B, C] */
                      const float *probs,  /* [B, C] */
                      int B, int C);
/* nn.CrossEntropyLoss on logits, mean over B: loss = mean_b -log softmax(logits_b)[t_b].
 * probs (the softmax) is saved for backward. */
void crossentropy_forward(float *loss,          /* [1] */
                          float *probs,         /* [B, C] */
                          const float *logits,  /* [B, C] */
                          const int32_t *targets, /* [B] */
                          int B, int C);
void crossentropy_backward(float *dlogits,        /* [B, C] */
                           float dloss,
                           const float *probs,    /* [B, C] */
                           const int32_t *targets, /* [B] */
                           int B, int C);
/* The reference head's double softmax (reference 4.2): p = softmax(logits) is the model
 * output and CrossEntropyLoss is applied to p as if it were logits:
 * loss = mean_b -log softmax(p_b)[t_b]. probs = p, probs2 = softmax(p) are saved. */
void double_softmax_ce_forward(float *loss,           /* [1] */
                               float *probs,          /* [B, C] */
                               float *probs2,         /* [B, C] */
                               const float *logits,   /* [B, C] */
                               const int32_t *targets, /* [B] */
                               int B, int C);
void double_softmax_ce_backward(float *dlogits,         /* [B, C] */
                                float dloss,
                                const float *probs,     /* [B, C] */
                                const float *probs2,    /* [B, C] */
                                const int32_t *targets, /* [B] */
                                int B, int C);

/* ---- nn_norm.c: L2 normalisation and per-sample max normalisation ---------------- */
/* F.normalize(p=2, dim=1): out = x / max(||x||, eps), eps = NN_L2NORM_EPS. */
void l2norm_forward(float *out, const float *inp, float eps, int B, int D); /* [B, D] x2 */
void l2norm_backward(float *dinp,       /* [B, D] */
                     const float *dout, /* [B, D] */
                     const float *inp,  /* [B, D] */
                     float eps, int B, int D);
/* Reference 3.1: x_b <- x_b / max(x_b) over all N = C*H*W values of sample b. Guard
 * (the reference has none and gives NaN): a sample whose max is 0 is passed through
 * unchanged (an all-zero tile stays zero). maxval[b] (the raw max) is saved; backward
 * splits the max's gradient evenly over tied maxima, as torch's amax does. */
void maxnorm_forward(float *out,       /* [B, N]; in place allowed */
                     float *maxval,    /* [B] */
                     const float *inp, /* [B, N] */
                     int B, int N);
void maxnorm_backward(float *dinp,         /* [B, N] */
                      const float *dout,   /* [B, N] */
                      const float *inp,    /* [B, N] */
                      const float *maxval, /* [B] */
                      int B, int N);

/* ---- nn_mask.c: the reference's diagonal mask (reference 3.1) -------------------- */
/* out = inp * M, M[i, j] = (|i - j| >= band), broadcast over B*C planes of H x W. */
void diagmask_forward(float *out, const float *inp, int band, int BC, int H, int W);
void diagmask_backward(float *dinp, const float *dout, int band, int BC, int H, int W);

/* ---- nn_distance.c: per-row distances between two batches of embeddings ---------- */
/* F.pairwise_distance(p=2): d_b = ||x1_b - x2_b + eps||_2 (eps added to every
 * difference). Gradient at d == 0 is taken as 0 (as torch's norm backward). */
void pairwise_distance_forward(float *dist,     /* [B] */
                               const float *x1, /* [B, D] */
                               const float *x2, /* [B, D] */
                               float eps, int B, int D);
void pairwise_distance_backward(float *dx1,        /* [B, D] or NULL */
                                float *dx2,        /* [B, D] or NULL */
                                const float *ddist, /* [B] */
                                const float *x1,   /* [B, D] */
                                const float *x2,   /* [B, D] */
                                const float *dist, /* [B] */
                                float eps, int B, int D);
/* 1 - F.cosine_similarity(dim=1): cos = (x1 / max(||x1||, eps)) . (x2 / max(||x2||, eps))
 * (torch >= 1.12 formula; the clamp is treated as a constant in backward). */
void cosine_distance_forward(float *dist,     /* [B] */
                             const float *x1, /* [B, D] */
                             const float *x2, /* [B, D] */
                             float eps, int B, int D);
void cosine_distance_backward(float *dx1,         /* [B, D] or NULL */
                              float *dx2,         /* [B, D] or NULL */
                              const float *ddist, /* [B] */
                              const float *x1,    /* [B, D] */
                              const float *x2,    /* [B, D] */
                              float eps, int B, int D);

/* ---- nn_loss.c: metric-learning losses -------------------------------------------- */
/* Reference 4.1 on distances d = pairwise_distance(e1, e2, NN_PAIRWISE_EPS):
 * L = mean_b (1 - y_b) d_b^2 + y_b max(0, margin - d_b)^2, y = 0 same / 1 different. */
void contrastive_loss_forward(float *loss,       /* [1] */
                              const float *dist, /* [B] */
                              const float *y,    /* [B], 0 or 1 (float, like labels.float()) */
                              float margin, int B);
void contrastive_loss_backward(float *ddist,      /* [B] */
                               float dloss,
                               const float *dist, /* [B] */
                               const float *y,    /* [B] */
                               float margin, int B);
/* nn.TripletMarginLoss(margin, p=2, eps) on distances d_ap = pairwise_distance(a, p, eps),
 * d_an = pairwise_distance(a, n, eps): L = mean_b max(0, d_ap - d_an + margin).
 * HTF uses eps = NN_TRIPLET_EPS_HTF (1e-7); torch's default is 1e-6. */
void triplet_loss_forward(float *loss,         /* [1] */
                          const float *d_ap,   /* [B] */
                          const float *d_an,   /* [B] */
                          float margin, int B);
void triplet_loss_backward(float *dd_ap,       /* [B] */
                           float *dd_an,       /* [B] */
                           float dloss,
                           const float *d_ap,  /* [B] */
                           const float *d_an,  /* [B] */
                           float margin, int B);
/* SINCERE (reference 4.4) on N = B*V unit-norm rows z (MultiviewSINCERE layout: the V
 * views of item b are rows b*V .. b*V+V-1; V = 1 is plain SINCERE). Label of row r is
 * labels[r / V]. S = z z^T / tau is saved in `logits`.
 * L = (1/N) sum_i (1/|P(i)|) sum_{p in P(i)} [ -S_ip + log(e^S_ip + sum_{n in N(i)} e^S_in) ]
 * with P(i) = same label, p != i and N(i) = other labels. Guard: an anchor with no
 * positive contributes 0 (the reference gives NaN); the divisor stays N. */
void sincere_loss_forward(float *loss,           /* [1] */
                          float *logits,         /* [N, N] */
                          const float *z,        /* [N, D] */
                          const int32_t *labels, /* [N / V] */
                          float tau, int N, int V, int D);
void sincere_loss_backward(float *dz,             /* [N, D] */
                           float dloss,
                           const float *logits,   /* [N, N] */
                           const float *z,        /* [N, D] */
                           const int32_t *labels, /* [N / V] */
                           float tau, int N, int V, int D);

#endif
