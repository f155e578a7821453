/* The BLAS kernels for this CPU. OpenBLAS built for many CPUs (DYNAMIC_ARCH, as Debian's)
 * picks its kernels by CPU model when it loads, and an OpenBLAS older than the CPU does not
 * know the model: Debian 12's 0.3.21 takes its SSE3 "Prescott" kernels on Sapphire and
 * Emerald Rapids Xeons, 2-4x slower than the AVX-512 ones it has for the same instructions
 * (docs/maxvit.md). OpenBLAS reads OPENBLAS_CORETYPE only when it loads, so the one way to
 * change its choice is to start again with it set: hw_blas_pick_core does that, before MPI
 * starts, when OpenBLAS fell back to Prescott on a CPU with AVX2 or AVX-512. A
 * user's own OPENBLAS_CORETYPE is kept as it is (also the way to turn this off:
 * OPENBLAS_CORETYPE=Prescott). */
#ifndef HITWIN_BLAS_CORE_H
#define HITWIN_BLAS_CORE_H

/* The kernel set OpenBLAS would be better off with on this CPU, or NULL where its own choice
 * stands: core is its choice (openblas_get_corename), env the value of OPENBLAS_CORETYPE
 * (NULL if unset), avx512 and avx2 what the CPU has (avx512: F, BW, VL and DQ; avx2: AVX2
 * and FMA). */
const char *hw_blas_better_core(const char *core, const char *env, int avx512, int avx2);

/* Called first in main with main's argv: re-executes this program (/proc/self/exe) with
 * OPENBLAS_CORETYPE set where hw_blas_better_core names a core; returns where it does not, or
 * where the exec fails (the process then goes on with OpenBLAS's own choice). */
void hw_blas_pick_core(char **argv);

/* One line for `hitwin version`: the library's kernel set and where the choice came from. */
void hw_blas_describe(char *buf, unsigned long size);

#endif
