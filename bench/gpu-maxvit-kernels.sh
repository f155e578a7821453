#!/usr/bin/env bash
# bench/gpu-maxvit-kernels.sh: the MaxViT ops' CUDA twins (gpu_ops_maxvit.h, the depthwise
# convolutions through cuDNN) on maxvit_t's block-0 shapes at 224 for a batch of N tiles, each
# timed with cudaEvents over >= 50 ms after a warm-up: ms per call, GB/s of its interface and
# the fraction of the memory bandwidth, GFLOP/s where it multiplies. What it counts:
# bench/gpu_maxvit_kernels.c's header. The SLeNet kernels: bench/gpu-kernels.sh.
#   usage: bench/gpu-maxvit-kernels.sh [BUILD_DIR] [N]   (defaults: build, 32; env MIN_MS, PEAK_GBS)
# Exit: the program's: 0, 77 where no GPU is visible, 1 on a CUDA error, 2 on bad arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ $# -gt 0 ] && shift
bin=$build/bench_gpu_maxvit_kernels
if [ ! -x "$bin" ]; then
  echo "bench/gpu-maxvit-kernels: $bin missing (it is built with the CUDA backend:" \
       "cmake --build $build --target bench_gpu_maxvit_kernels)"
  exit 1
fi
exec "$bin" "$@"
