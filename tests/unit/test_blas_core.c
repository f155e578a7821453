/* OpenBLAS's kernel choice on CPUs it does not know (include/hitwin/blas_core.h): the rule,
 * and what `hitwin version` says the running program got (HITWIN: the executable). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/blas_core.h"
#include "test_util.h"

/* the "blas:" line of `env ENV hitwin version` */
static int blas_line(const char *hitwin, const char *env, char *line, size_t size) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "env %s '%s' version", env, hitwin);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    int found = -1;
    while (fgets(line, (int)size, p))
        if (!strncmp(line, "blas:", 5)) {
            line[strcspn(line, "\n")] = 0;
            found = 0;
            break;
        }
    while (fgetc(p) != EOF) {}
    return pclose(p) == 0 ? found : -1;
}

int main(void) {
    /* the rule: only OpenBLAS's fallback is replaced, only where the CPU has better kernels,
     * never over the user's own OPENBLAS_CORETYPE */
    CHECK_STR_EQ(hw_blas_better_core("Prescott", NULL, 1, 1), "SkylakeX");
    CHECK_STR_EQ(hw_blas_better_core("PRESCOTT", NULL, 0, 1), "Haswell");
    CHECK(hw_blas_better_core("Prescott", NULL, 0, 0) == NULL);
    CHECK(hw_blas_better_core("Prescott", "Prescott", 1, 1) == NULL);
    CHECK(hw_blas_better_core("Prescott", "Sandybridge", 1, 1) == NULL);
    CHECK(hw_blas_better_core("SkylakeX", NULL, 1, 1) == NULL);
    CHECK(hw_blas_better_core("Haswell", NULL, 1, 1) == NULL);
    CHECK(hw_blas_better_core("Zen", NULL, 0, 1) == NULL);
    CHECK(hw_blas_better_core(NULL, NULL, 1, 1) == NULL);

    const char *hitwin = getenv("HITWIN");
    if (!hitwin) {
        fprintf(stderr, "HITWIN (the hitwin executable) is not set\n");
        return 1;
    }
    char line[512], want[512];
    /* the user's setting stands, and is named */
    CHECK(blas_line(hitwin, "OPENBLAS_CORETYPE=Prescott", line, sizeof line) == 0);
    CHECK_STR_EQ(line, "blas: OpenBLAS Prescott (OPENBLAS_CORETYPE=Prescott)");
    /* without it: whatever the library picks, never its fallback on a CPU with AVX2 */
    CHECK(blas_line(hitwin, "-u OPENBLAS_CORETYPE -u HITWIN_BLAS_PICKED", line, sizeof line) == 0);
    printf("%s\n", line);
    if (strstr(line, "not OpenBLAS")) return test_failures ? 1 : 77;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    if (avx2) CHECK(strstr(line, "Prescott") == NULL);
    if (strstr(line, "chosen by hitwin")) {
        snprintf(want, sizeof want, "blas: OpenBLAS %s (chosen by hitwin: the library did not know this CPU)",
                 avx512 ? "SkylakeX" : "Haswell");
        CHECK_STR_EQ(line, want);
    }
#endif
    return test_failures ? 1 : 0;
}
