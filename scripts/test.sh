#!/usr/bin/env bash
# Builds hitwin and runs the whole default test suite, from a fresh Debian 12
# machine: dependencies, a Release build with every test (gpu tests skip
# without a device), then an ASan/UBSan build running the unit tests, then the
# libFuzzer harnesses (clang; ctest -L fuzz: corpus replay, 2000 executions each).
# The ASan/UBSan build also runs half of the bad-input suite (label badinput).
# Tests labelled 'slow' are left out; run them with: ctest --test-dir build -L slow
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
ctest --test-dir build -LE slow --output-on-failure --no-tests=error -j"$jobs"

# Sanitizers: CPU code only (nvcc objects and ASan do not mix well), and no plotting: with cairo's
# X11 libraries linked in, LeakSanitizer (GCC 12) crashes at exit walking a dynamic TLS block
# (docs/plot.md, "Builds without plotting").
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHITWIN_SANITIZE=ON -DHITWIN_ENABLE_CUDA=OFF -DHITWIN_PLOT=OFF
cmake --build build-asan -j"$jobs"
# Open MPI keeps allocations for the life of the process: tests/lsan.supp names
# them; full unwinding lets the suppressions see through its frame-pointer-less code.
export ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:fast_unwind_on_malloc=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# unit tests, and the bad-input suite on every stage (tests/badinput.cmake: a deterministic
# half of its cases under the sanitizers): any ASan/UBSan report fails the case
ctest --test-dir build-asan -L 'unit|badinput' -LE slow --output-on-failure --no-tests=error -j"$jobs"

# Fuzz harnesses (tests/fuzz, docs/robustness.md): clang + libFuzzer + ASan/UBSan.
# Each harness replays its corpus and runs 2000 executions (about a minute in all).
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHITWIN_FUZZ=ON -DHITWIN_PLOT=OFF
cmake --build build-fuzz -j"$jobs"
ctest --test-dir build-fuzz -L fuzz --output-on-failure --no-tests=error
