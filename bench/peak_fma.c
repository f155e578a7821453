/* bench/peak_fma.c: this core's fp32 FMA peak, measured, for the benchmarks' "% of peak"
 * columns. Twelve independent 8-lane FMA chains (enough to cover the FMA latency on two
 * pipes) for about a second; prints GFLOP/s (2 FLOP per lane per FMA). Run one copy per
 * core in use at once: the clock drops when more cores are busy.
 *   build: cc -O3 -funroll-loops -mavx2 -mfma bench/peak_fma.c -o peak_fma */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define CHAINS 12

int main(void) {
    __m256 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps(1.0f + (float)i * 1e-3f);
    const __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-7f);
    const long iters = 200000000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], mul, add);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    /* the sum keeps the chains alive */
    float lanes[8], sum = 0.0f;
    for (int i = 0; i < CHAINS; i++) {
        _mm256_storeu_ps(lanes, acc[i]);
        sum += lanes[0];
    }
    printf("%.1f\n", (double)iters * CHAINS * 16.0 / s / 1e9 + (double)(sum * 0.0f));
    return 0;
}
