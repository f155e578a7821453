#!/usr/bin/env bash
# bench/fuzz.sh SECONDS: builds the fuzz configuration (clang, ASan + UBSan,
# libFuzzer; build-fuzz/) and runs each harness of tests/fuzz for SECONDS,
# one at a time, from its committed corpus (new inputs go to
# build-fuzz/fuzz-long/<name>, findings to build-fuzz/fuzz-long/artifacts).
# Prints per harness: executions, libFuzzer's final cov:/ft: and exec/s, and
# whether it found anything.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:?usage: bench/fuzz.sh SECONDS}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHITWIN_FUZZ=ON >/dev/null || exit 1
cmake --build build-fuzz -j"$(nproc)" >/dev/null || exit 1
export ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:allocator_may_return_null=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
out=build-fuzz/fuzz-long
mkdir -p "$out/artifacts"
printf '%-16s %10s %8s %8s %8s  %s\n' harness execs cov ft exec/s result
for h in hic cool tile_store yaml_dataset yaml_train yaml_simulate safetensors truth; do
  dict=tests/fuzz/$(case $h in hic) echo hic;; cool|tile_store) echo hdf5;; yaml_*) echo yaml;; *) echo $h;; esac).dict
  mkdir -p "$out/$h"
  log=$out/$h.log
  build-fuzz/tests/fuzz/fuzz_$h -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -dict="$dict" -artifact_prefix="$out/artifacts/$h-" -print_final_stats=1 \
    "$out/$h" "tests/fuzz/corpus/$h" >"$log" 2>&1
  rc=$?
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(echo "$last" | grep -oE 'cov: [0-9]+' | awk '{print $2}')
  ft=$(echo "$last" | grep -oE 'ft: [0-9]+' | awk '{print $2}')
  eps=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
  res=ok
  if [ $rc -ne 0 ]; then
    res="FINDING (rc $rc): $(grep -m1 -E 'ERROR|SUMMARY|timeout' "$log")"
  fi
  printf '%-16s %10s %8s %8s %8s  %s\n' "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${eps:-?}" "$res"
done
