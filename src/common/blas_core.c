/* OpenBLAS's kernel choice on CPUs it does not know (include/hitwin/blas_core.h). */
#define _GNU_SOURCE
#include "hitwin/blas_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifdef HITWIN_HAVE_OPENBLAS_CORENAME
char *openblas_get_corename(void);
static const char *library_core(void) { return openblas_get_corename(); }
#else
static const char *library_core(void) { return NULL; } /* another BLAS: its own business */
#endif

/* set by the re-executed process's parent, so that the child can say why it has the core */
#define HW_BLAS_PICKED "HITWIN_BLAS_PICKED"

const char *hw_blas_better_core(const char *core, const char *env, int avx512, int avx2) {
    if (env || !core || strcasecmp(core, "Prescott") != 0) return NULL;
    if (avx512) return "SkylakeX";
    if (avx2) return "Haswell";
    return NULL;
}

static void cpu_features(int *avx512, int *avx2) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    *avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    *avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    *avx512 = *avx2 = 0;
#endif
}

void hw_blas_pick_core(char **argv) {
    int avx512, avx2;
    cpu_features(&avx512, &avx2);
    const char *core = hw_blas_better_core(library_core(), getenv("OPENBLAS_CORETYPE"), avx512, avx2);
    if (!core) return;
    if (setenv("OPENBLAS_CORETYPE", core, 1) != 0 || setenv(HW_BLAS_PICKED, core, 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* no /proc (or no exec): go on with the library's choice, and say nothing about it */
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv(HW_BLAS_PICKED);
}

void hw_blas_describe(char *buf, unsigned long size) {
    const char *core = library_core();
    const char *env = getenv("OPENBLAS_CORETYPE"), *picked = getenv(HW_BLAS_PICKED);
    if (!core)
        snprintf(buf, size, "blas: not OpenBLAS (its own kernels)");
    else if (picked && env && !strcmp(picked, env))
        snprintf(buf, size, "blas: OpenBLAS %s (chosen by hitwin: the library did not know this CPU)", core);
    else if (env)
        snprintf(buf, size, "blas: OpenBLAS %s (OPENBLAS_CORETYPE=%s)", core, env);
    else
        snprintf(buf, size, "blas: OpenBLAS %s", core);
}
