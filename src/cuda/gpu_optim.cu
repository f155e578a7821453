// Adam and Adagrad on the flat parameter buffer, bit for bit as hw_optim_step (optim.c).
//
// The host part repeats optim.c's scalar arithmetic (bias corrections in double from the
// hyper-parameters read as decimals, as torch's Python floats). The kernels do optim.c's
// float operations in its order with the _rn intrinsics: nvcc would otherwise fuse a*b + c
// into one fma, which rounds once where the CPU rounds twice, and the weights would drift
// from the CPU's by an ulp a step. sqrt and division are IEEE round-to-nearest on both sides.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.cuh"
#include "hitwin/gpu_ops.h"

enum { OPTIM_ADAM = 0, OPTIM_ADAGRAD = 1 }; // hw_optim_kind's values (model.h)

// optim.c's as_decimal: torch holds hyper-parameters as Python floats, read 0.9f as 0.9
static double as_decimal(float x) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.7g", (double)x);
    return strtod(buf, NULL);
}

__global__ static void adam_kernel(float *params, const float *grads, float *m, float *v,
                                   float b1, float b2, float a1, float a2, float step_size,
                                   float bc2_sqrt, float eps, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const float g = grads[i];
        // m = m * b1 + a1 * g;  v = v * b2 + a2 * g * g
        const float mi = __fadd_rn(__fmul_rn(m[i], b1), __fmul_rn(a1, g));
        const float vi = __fadd_rn(__fmul_rn(v[i], b2), __fmul_rn(__fmul_rn(a2, g), g));
        m[i] = mi;
        v[i] = vi;
        // denom = sqrt(v) / bc2_sqrt + eps;  p += -step_size * m / denom
        const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2_sqrt), eps);
        params[i] = __fadd_rn(params[i], __fdiv_rn(__fmul_rn(-step_size, mi), denom));
    }
}

__global__ static void adagrad_kernel(float *params, const float *grads, float *v, float clr,
                                      float eps, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const float g = grads[i];
        const float vi = __fadd_rn(v[i], __fmul_rn(g, g)); // v += g * g
        v[i] = vi;
        // p += -clr * g / (sqrt(v) + eps)
        params[i] = __fadd_rn(params[i], __fdiv_rn(__fmul_rn(-clr, g), __fadd_rn(__fsqrt_rn(vi), eps)));
    }
}

extern "C" int hw_gpu_optim_init(hw_gpu *g, hw_gpu_optim *o, int kind, float lr, size_t n_params) {
    memset(o, 0, sizeof *o);
    if (kind != OPTIM_ADAM && kind != OPTIM_ADAGRAD)
        return hw_fail("cuda optim: unknown optimiser kind %d", kind);
    o->kind = kind;
    o->lr = lr;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = kind == OPTIM_ADAM ? 1e-8f : 1e-10f;
    o->n = n_params;
    if (kind == OPTIM_ADAM) {
        if (hw_gpu_alloc((void **)&o->m, n_params * sizeof(float))) return -1;
        if (hw_gpu_zero(g, o->m, n_params * sizeof(float))) return -1;
    }
    if (hw_gpu_alloc((void **)&o->v, n_params * sizeof(float))) return -1;
    if (hw_gpu_zero(g, o->v, n_params * sizeof(float))) return -1;
    return 0;
}

extern "C" void hw_gpu_optim_free(hw_gpu_optim *o) {
    hw_gpu_release((void **)&o->m);
    hw_gpu_release((void **)&o->v);
}

extern "C" int hw_gpu_optim_step(hw_gpu *g, hw_gpu_optim *o, float *params, const float *grads) {
    o->step++;
    if (!o->n) return 0;
    if (o->kind == OPTIM_ADAM) {
        const double bc1 = 1.0 - pow(as_decimal(o->beta1), (double)o->step);
        const double bc2 = 1.0 - pow(as_decimal(o->beta2), (double)o->step);
        const float step_size = (float)(as_decimal(o->lr) / bc1), bc2_sqrt = (float)sqrt(bc2);
        const float a1 = (float)(1.0 - as_decimal(o->beta1)), a2 = (float)(1.0 - as_decimal(o->beta2));
        adam_kernel<<<hw_grid(o->n, 256), 256, 0, g->stream>>>(params, grads, o->m, o->v, o->beta1,
                                                               o->beta2, a1, a2, step_size,
                                                               bc2_sqrt, o->eps, o->n);
    } else { // lr / (1 + (step - 1) * lr_decay) with lr_decay 0
        adagrad_kernel<<<hw_grid(o->n, 256), 256, 0, g->stream>>>(params, grads, o->v, o->lr,
                                                                  o->eps, o->n);
    }
    HW_LAUNCH_CHECK();
    return 0;
}
