#!/usr/bin/env bash
# tests/gpu/host_mock/dry-run.sh: run test_gpu_maxvit_ops.c's harness WITHOUT a GPU, with every
# gpu_* call answered by its C op on host memory (gpu_as_c_ops.c), under ASan and UBSan.
# It checks the test itself, not the kernels: buffer sizes and argument orders of the C
# reference calls, that every comparison agrees exactly when both sides are the C op, that
# the self-checks flag their perturbations, and the refusal messages. Used on the GPU-less
# development machine before handing the test to a GPU session; not a CTest (it would link the
# real CUDA ops of hitwin_core twice).
#   usage: tests/gpu/host_mock/dry-run.sh   (needs gcc, OpenBLAS, Open MPI's headers)
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${TMPDIR:-/tmp}/hitwin_gpu_maxvit_dry_run
gcc -std=c11 -O1 -g -fsanitize=address,undefined -Wall -Wextra $(mpicc --showme:compile) \
    -Iinclude -Itests -Isrc/nn tests/gpu/test_gpu_maxvit_ops.c tests/gpu/host_mock/gpu_as_c_ops.c \
    src/nn/*.c src/common/error.c -o "$out" -lopenblas -lm
OPENBLAS_NUM_THREADS=1 "$out"
