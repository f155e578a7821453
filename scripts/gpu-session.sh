#!/usr/bin/env bash
# scripts/gpu-session.sh: what a session with a lent GPU runs, prepared so that the device
# time (15 minutes a session, starts included) goes to the checks and not to set-up. No GPU
# has run this code yet; docs/gpu.md, "A lent GPU", says what to do with what comes back.
#
#   here:   bash scripts/gpu-session.sh pack [BUILD]
#           -> .device/bundle.tar.xz: hitwin, the gpu test and bench binaries, and every
#              shared library they need that is not glibc or CUDA (Open MPI with its
#              runtime, HDF5, OpenBLAS, libyaml, cairo, ...). The device machine has the
#              CUDA 13 driver and PyTorch's nvidia pip packages (cuBLAS, cuDNN, NCCL) but
#              no package registry; .device/ is git-ignored and travels with `carry`.
#   there:  bash scripts/gpu-session.sh run          (the device tool's run, carry [".device"])
#           -> unpacks into /tmp/hw, points LD_LIBRARY_PATH at the bundle and the nvidia
#              pip libraries, and runs, each with its own time limit, logging under $OUT:
#              every gpu test (the binaries directly: no CTest there), the stage tests,
#              the kernel benchmarks and bench/train-gpu.sh. About 7-9 minutes.
# The run prints one line per step (ok / FAIL rc / SKIP) and always exits 0, so that the
# logs come back whatever failed.
set -uo pipefail
cd "$(dirname "$0")/.."

pack() {
  local build=${1:-build} dir=.device/pack
  [ -x "$build/hitwin" ] || { echo "gpu-session: build first ($build/hitwin missing)"; exit 1; }
  "$build/hitwin" version | grep -q '^cuda backend: built' ||
    { echo "gpu-session: $build/hitwin was built without CUDA"; exit 1; }
  rm -rf .device && mkdir -p "$dir/bin" "$dir/tests" "$dir/lib" "$dir/ompi"
  cp "$build/hitwin" "$dir/"
  cp "$build"/bench_gpu_kernels "$build"/bench_gpu_maxvit_kernels "$dir/" 2>/dev/null
  for t in "$build"/tests/test_gpu_* "$build"/tests/distance_make_ckpt; do
    [ -x "$t" ] && cp "$t" "$dir/tests/"
  done
  # the shared libraries: everything ldd resolves except glibc's own and CUDA's
  # (the device brings its CUDA 13 libraries; a CUDA library missing here is found there)
  for f in "$dir"/hitwin "$dir"/bench_* "$dir"/tests/*; do ldd "$f"; done |
    awk '$3 ~ /^\// {print $3}' | sort -u |
    grep -v -E '/(libc|libm|libdl|libpthread|librt|ld-linux-x86-64|libresolv)\.so|/cuda|libcuda\.so|libcudnn|libcublas|libnccl|libcudart' |
    while read -r lib; do cp -L "$lib" "$dir/lib/"; done
  # Open MPI's runtime for mpiexec and singleton runs: its launcher, daemon, components and
  # help texts, relocated with OPAL_PREFIX (the Debian tree under a new prefix)
  local mpi=/usr/lib/x86_64-linux-gnu/openmpi
  mkdir -p "$dir/ompi/bin" "$dir/ompi/lib/x86_64-linux-gnu" "$dir/ompi/share"
  cp -a "$mpi" "$dir/ompi/lib/x86_64-linux-gnu/"
  cp -L /usr/bin/orterun /usr/bin/orted "$dir/ompi/bin/"
  ln -s orterun "$dir/ompi/bin/mpiexec"
  cp -a /usr/share/openmpi "$dir/ompi/share/"
  [ -d /etc/openmpi ] && cp -a /etc/openmpi "$dir/ompi/etc"
  tar -C .device -cJf .device/bundle.tar.xz pack && rm -rf "$dir"
  echo "gpu-session: .device/bundle.tar.xz ($(du -h .device/bundle.tar.xz | cut -f1)); run it with" \
       "the device tool: command 'bash scripts/gpu-session.sh run', carry ['.device']"
}

step() { # name seconds command...: one line of outcome, the output in $OUT/logs/name.log
  local name=$1 secs=$2
  shift 2
  local t0=$SECONDS
  timeout "$secs" "$@" > "$OUT/logs/$name.log" 2>&1
  local rc=$?
  local verdict="FAIL rc $rc"
  [ $rc -eq 0 ] && verdict=ok
  [ $rc -eq 77 ] && verdict=SKIP
  [ $rc -eq 124 ] && verdict="TIMEOUT after ${secs}s"
  printf '%-28s %-20s %4ds\n' "$name" "$verdict" $((SECONDS - t0)) | tee -a "$OUT/summary.txt"
}

run() {
  : "${OUT:?gpu-session run: set OUT (the device tool does)}"
  mkdir -p "$OUT/logs"
  local root=/tmp/hw
  rm -rf "$root" && mkdir -p "$root" && tar -C "$root" -xJf .device/bundle.tar.xz || exit 0
  local p=$root/pack
  # nvidia pip packages (cu13): every lib folder under site-packages/nvidia
  local nv
  nv=$(python3 -c 'import nvidia, os; [print(os.path.join(p, d, "lib")) for p in nvidia.__path__ for d in os.listdir(p)]' 2>/dev/null |
       while read -r d; do [ -d "$d" ] && printf '%s:' "$d"; done)
  export LD_LIBRARY_PATH="$p/lib:$p/ompi/lib/x86_64-linux-gnu/openmpi/lib:${nv}${LD_LIBRARY_PATH:-}"
  export OPAL_PREFIX=$p/ompi PATH="$p/ompi/bin:$PATH"
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
  export HITWIN=$p/hitwin MPIEXEC=$p/ompi/bin/mpiexec
  {
    date -u; nvidia-smi; "$HITWIN" version; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    ldd "$HITWIN" | grep -E 'not found|cublas|cudnn|nccl|mpi'
  } > "$OUT/environment.txt" 2>&1
  : > "$OUT/summary.txt"
  step smoke 60 "$p/tests/test_gpu_smoke"
  step ops 240 "$p/tests/test_gpu_ops"
  step maxvit_ops 240 "$p/tests/test_gpu_maxvit_ops"
  step slenet 240 "$p/tests/test_gpu_slenet"
  step maxvit 300 "$p/tests/test_gpu_maxvit"
  step batch 120 "$p/tests/test_gpu_batch"
  step saliency 120 "$p/tests/test_gpu_saliency"
  step nccl 60 "$MPIEXEC" -n 2 "$p/tests/test_gpu_nccl"   # skips (77) on one GPU
  step stage_train 300 bash tests/gpu/test_train_gpu.sh train
  step stage_distance 300 bash tests/gpu/test_train_gpu.sh distance
  step stage_saliency 180 bash tests/gpu/test_train_gpu.sh saliency
  step stage_maxvit 300 bash tests/gpu/test_train_gpu.sh maxvit
  # the benchmarks read the binaries from a build folder: give them one
  mkdir -p "$root/build/tests" && ln -sf "$p"/hitwin "$p"/bench_gpu_* "$root/build/" &&
    ln -sf "$p"/tests/* "$root/build/tests/"
  step kernels 240 bash bench/gpu-kernels.sh "$root/build" 64 256
  step maxvit_kernels 180 bash bench/gpu-maxvit-kernels.sh "$root/build" 32
  step train_bench 420 bash bench/train-gpu.sh "$root/build" 3
  # at most 8 files come back: the summary, the environment, and the logs as one archive
  tar -C "$OUT" -czf "$OUT/logs.tar.gz" logs && rm -rf "$OUT/logs"
  cat "$OUT/summary.txt"
  exit 0
}

case ${1:-} in
  pack) shift; pack "$@" ;;
  run) run ;;
  *) echo "usage: bash scripts/gpu-session.sh pack [BUILD] | run"; exit 2 ;;
esac
