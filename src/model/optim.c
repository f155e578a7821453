/* Adam and Adagrad over the flat parameter buffer, step for step as torch.optim's
 * single-tensor implementations with default hyper-parameters (torch 1.13-2.x):
 *   Adam     m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *            p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *   Adagrad  v += g^2;  p -= lr * g / (sqrt(v) + eps)   (lr_decay 0, initial value 0)
 * The bias corrections are computed in double (Python floats in torch) and the
 * element-wise arithmetic in float, as torch does on float32 tensors. */
#include "hitwin/model.h"

#include "hitwin/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* torch holds hyper-parameters as Python floats: read 0.9f as 0.9, not 0.899999976 */
static double as_decimal(float x) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.7g", (double)x);
    return strtod(buf, NULL);
}

void hw_optim_init(hw_optim *o, hw_optim_kind kind, float lr, size_t n_params) {
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->lr = lr;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = kind == HW_OPTIM_ADAM ? 1e-8f : 1e-10f;
    o->n = n_params;
    o->m = kind == HW_OPTIM_ADAM ? xcalloc(n_params ? n_params : 1, sizeof(float)) : NULL;
    o->v = xcalloc(n_params ? n_params : 1, sizeof(float));
}

void hw_optim_free(hw_optim *o) {
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

/* The element-wise updates, 4 lanes at a time with SSE2 (every x86-64 has it): GCC keeps
 * sqrtf scalar for errno's sake, and scalar sqrt and two divisions per parameter cost a
 * third of a training step at batch 32. sqrtps/divps/mulps/addps round exactly as their
 * scalar forms and the operations keep the scalar order, so the steps are unchanged bit
 * for bit. */
#if defined(__SSE2__)
#include <immintrin.h>

static size_t adam_sse(float *params, const float *grads, float *m, float *v, size_t n, float b1, float a1,
                       float b2, float a2, float bc2_sqrt, float eps, float step_size) {
    const __m128 vb1 = _mm_set1_ps(b1), va1 = _mm_set1_ps(a1), vb2 = _mm_set1_ps(b2), va2 = _mm_set1_ps(a2);
    const __m128 vbc = _mm_set1_ps(bc2_sqrt), veps = _mm_set1_ps(eps), vstep = _mm_set1_ps(-step_size);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m128 g = _mm_loadu_ps(grads + i);
        const __m128 mi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + i), vb1), _mm_mul_ps(va1, g));
        const __m128 vi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + i), vb2), _mm_mul_ps(_mm_mul_ps(va2, g), g));
        const __m128 denom = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(vi), vbc), veps);
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        _mm_storeu_ps(params + i, _mm_add_ps(_mm_loadu_ps(params + i), _mm_div_ps(_mm_mul_ps(vstep, mi), denom)));
    }
    return i;
}

static size_t adagrad_sse(float *params, const float *grads, float *v, size_t n, float clr, float eps) {
    const __m128 vlr = _mm_set1_ps(-clr), veps = _mm_set1_ps(eps);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m128 g = _mm_loadu_ps(grads + i);
        const __m128 vi = _mm_add_ps(_mm_loadu_ps(v + i), _mm_mul_ps(g, g));
        _mm_storeu_ps(v + i, vi);
        const __m128 step = _mm_div_ps(_mm_mul_ps(vlr, g), _mm_add_ps(_mm_sqrt_ps(vi), veps));
        _mm_storeu_ps(params + i, _mm_add_ps(_mm_loadu_ps(params + i), step));
    }
    return i;
}
#endif

void hw_optim_step_range(hw_optim *o, float *params, const float *grads, size_t lo, size_t count) {
    o->step++;
    params += lo;
    if (o->kind == HW_OPTIM_ADAM) {
        const double bc1 = 1.0 - pow(as_decimal(o->beta1), (double)o->step);
        const double bc2 = 1.0 - pow(as_decimal(o->beta2), (double)o->step);
        const float step_size = (float)(as_decimal(o->lr) / bc1), bc2_sqrt = (float)sqrt(bc2);
        const float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
        const float a1 = (float)(1.0 - as_decimal(b1)), a2 = (float)(1.0 - as_decimal(b2));
        float *m = o->m + lo, *v = o->v + lo;
        size_t i0 = 0;
#if defined(__SSE2__)
        i0 = adam_sse(params, grads, m, v, count, b1, a1, b2, a2, bc2_sqrt, eps, step_size);
#endif
        for (size_t i = i0; i < count; i++) {
            float g = grads[i];
            m[i] = m[i] * b1 + a1 * g;
            v[i] = v[i] * b2 + a2 * g * g;
            float denom = sqrtf(v[i]) / bc2_sqrt + eps;
            params[i] += -step_size * m[i] / denom; /* addcdiv: p + value * t1 / t2 */
        }
    } else {
        const float clr = o->lr, eps = o->eps; /* lr / (1 + (step - 1) * lr_decay), lr_decay 0 */
        float *v = o->v + lo;
        size_t i0 = 0;
#if defined(__SSE2__)
        i0 = adagrad_sse(params, grads, v, count, clr, eps);
#endif
        for (size_t i = i0; i < count; i++) {
            float g = grads[i];
            v[i] += g * g;
            params[i] += -clr * g / (sqrtf(v[i]) + eps);
        }
    }
}

void hw_optim_step(hw_optim *o, float *params, const float *grads) {
    hw_optim_step_range(o, params, grads, 0, o->n);
}
