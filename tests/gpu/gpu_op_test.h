/* What the two op tests (test_gpu_ops, test_gpu_maxvit_ops) share: the tolerance classes
 * (atol, rtol, and a term relative to the largest |C| value; docs/gpu.md's table) and the
 * seeded random inputs. */
#ifndef HITWIN_GPU_OP_TEST_H
#define HITWIN_GPU_OP_TEST_H

#include <stdlib.h>

#include "hitwin/nn.h"

#define ELEM 1e-6, 1e-5, 0.0
#define GEMM 0.0, 1e-4, 2e-5
#define GEMM_BIG 0.0, 1e-4, 1e-4

static NnRng g_rng;

/* n uniform values in [lo, hi) from g_rng (one spare byte: a zero-length array is not NULL) */
static float *uniform(size_t n, float lo, float hi) {
    float *x = (float *)malloc(n * sizeof(float) + 1);
    nn_fill_uniform(x, n, lo, hi, &g_rng);
    return x;
}

#endif
