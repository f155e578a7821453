// The CUDA toolchain and runtime work on this machine's device: a kernel runs
// and its results come back exact. Skips (77) where no device is visible.
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>

#include "hitwin/gpu.h"

__global__ void axpy(float *y, const float *x, float a, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] += a * x[i];
}

int main(void) {
    if (hw_gpu_count() == 0) {
        printf("no CUDA device: skipped\n");
        return 77;
    }
    char desc[1024];
    hw_gpu_describe(desc, sizeof desc);
    printf("%s", desc);
    const int n = 1 << 20;
    float *x = (float *)malloc(n * sizeof(float)), *y = (float *)malloc(n * sizeof(float));
    for (int i = 0; i < n; i++) x[i] = (float)(i % 1000), y[i] = 1.0f;
    float *dx, *dy;
    if (cudaMalloc(&dx, n * sizeof(float)) != cudaSuccess || cudaMalloc(&dy, n * sizeof(float)) != cudaSuccess) {
        fprintf(stderr, "cudaMalloc failed\n");
        return 1;
    }
    cudaMemcpy(dx, x, n * sizeof(float), cudaMemcpyHostToDevice);
    cudaMemcpy(dy, y, n * sizeof(float), cudaMemcpyHostToDevice);
    axpy<<<(n + 255) / 256, 256>>>(dy, dx, 0.5f, n);
    cudaError_t e = cudaDeviceSynchronize();
    if (e != cudaSuccess) {
        fprintf(stderr, "kernel failed: %s\n", cudaGetErrorString(e));
        return 1;
    }
    cudaMemcpy(y, dy, n * sizeof(float), cudaMemcpyDeviceToHost);
    int bad = 0;
    for (int i = 0; i < n; i++) bad += y[i] != 1.0f + 0.5f * (float)(i % 1000); // exact in fp32
    cudaFree(dx);
    cudaFree(dy);
    free(x);
    free(y);
    printf("%d mismatches\n", bad);
    return bad ? 1 : 0;
}
