#!/usr/bin/env bash
# bench/gpu-kernels.sh: the fraction of the GPU's memory bandwidth or FLOP rate that the main
# kernels of a SLeNet training step reach (issue 4): every backbone op, forward and backward,
# fp32 and bf16, and the Adam step, on SLeNet's shapes at 224 for batches of 64 and 256 tiles
# (32 and 128 pairs, two views), each timed with cudaEvents over >= 50 ms after a warm-up.
# What it counts and prints: bench/gpu_kernels.c's header and docs/gpu.md ("Kernels against
# the device's peaks"). bench/train-gpu.sh runs it after the training comparison.
#   usage: bench/gpu-kernels.sh [BUILD_DIR] [N ...]   (defaults: build, 64 256;
#          env MIN_MS, PEAK_GBS, PEAK_FP32_TFLOPS, PEAK_BF16_TFLOPS)
# Exit: the program's: 0, 77 where no GPU is visible, 1 on a CUDA error, 2 where this device
# has no default FLOP peaks (set PEAK_FP32_TFLOPS and PEAK_BF16_TFLOPS).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ $# -gt 0 ] && shift
bin=$build/bench_gpu_kernels
if [ ! -x "$bin" ]; then
  echo "bench/gpu-kernels: $bin missing (it is built with the CUDA backend:" \
       "cmake --build $build --target bench_gpu_kernels)"
  exit 1
fi
exec "$bin" "$@"
