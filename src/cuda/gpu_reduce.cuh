// Warp and block reductions shared by the row-wise kernels. Sums are in double, as the C ops
// accumulate their row sums in double: a float sum over a 44,944-element tile would differ
// from the C op by far more than fp32 rounding of the result.
#ifndef HITWIN_GPU_REDUCE_CUH
#define HITWIN_GPU_REDUCE_CUH

__device__ __forceinline__ double hw_warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return __shfl_sync(0xffffffffu, v, 0); // every lane gets the total
}

__device__ __forceinline__ int hw_warp_sum_int(int v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return __shfl_sync(0xffffffffu, v, 0);
}

// NaN-ignoring max (fmaxf returns the other operand when one is NaN).
__device__ __forceinline__ float hw_warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
    return __shfl_sync(0xffffffffu, v, 0);
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it.
// Contains __syncthreads: call it from all threads of the block.
__device__ __forceinline__ double hw_block_sum(double v) {
    __shared__ double part[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    v = hw_warp_sum(v);
    __syncthreads(); // part[] may still be read by a previous call
    if (lane == 0) part[warp] = v;
    __syncthreads();
    v = lane < nwarps ? part[lane] : 0.0;
    return hw_warp_sum(v);
}

__device__ __forceinline__ float hw_block_max(float v) {
    __shared__ float part[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    v = hw_warp_max(v);
    __syncthreads();
    if (lane == 0) part[warp] = v;
    __syncthreads();
    v = lane < nwarps ? part[lane] : -INFINITY;
    return hw_warp_max(v);
}

__device__ __forceinline__ int hw_block_sum_int(int v) {
    __shared__ int part[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    v = hw_warp_sum_int(v);
    __syncthreads();
    if (lane == 0) part[warp] = v;
    __syncthreads();
    v = lane < nwarps ? part[lane] : 0;
    return hw_warp_sum_int(v);
}

#endif
