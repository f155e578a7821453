#!/usr/bin/env bash
# bench/saliency.sh: hitwin saliency's per-pair work against the reference's PyTorch code
# (bench/reference_saliency.py: PairOfDatasets' feature maps and integrated_gradients as
# reference.md 7.2-7.3 specify them, batch 1, four forwards and two backwards per alpha, with
# gradients enabled) on the same tiles (the first window of the small simulated data set at
# 224 bins) and the same random-init SLeNet checkpoint (timings do not depend on training),
# 100 IG steps, side by side in one run. Then the stage end to end on the test chromosome
# (2 ranks, --every 4) and a projection to a mouse-sized genome.
#
# Napkin: an SLeNet forward + input backward is ~130 MFLOP per 224 tile. The reference runs
# per pair 100 x (4 forwards + 2 backwards) at batch 1; hitwin 100 interpolants (both directions on one path) in
# batches of 50, each one forward and one backward, the endpoints once per window, and no
# weight gradients: ~5x less arithmetic, at a better rate.
#   usage: bench/saliency.sh [BUILD_DIR]   (default build; needs /usr/bin/python3 with torch:
#          apt-get install python3-torch)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
hitwin=$build/hitwin
mkckpt=$build/tests/distance_make_ckpt
drv=$build/bench_saliency
[ -x "$hitwin" ] && [ -x "$mkckpt" ] && [ -x "$drv" ] || { echo "bench/saliency: build first ($hitwin, $mkckpt, $drv)"; exit 1; }
# the OpenBLAS kernels hitwin picks on this CPU (include/hitwin/blas_core.h), for both sides
core=$($hitwin version | sed -n 's/^blas: OpenBLAS \([^ ]*\).*/\1/p')
[ -n "${OPENBLAS_CORETYPE:-}" ] || [ -z "$core" ] || export OPENBLAS_CORETYPE=$core
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
dir=bench/data/saliency
mkdir -p $dir
if [ ! -f $dir/sim/tiles.h5 ]; then
  $hitwin simulate --preset small --out $dir/sim --quiet > /dev/null
  (cd $dir/sim && ../../../../$hitwin tile dataset.yaml -q > /dev/null)
fi
store=$dir/sim/tiles.h5
ckpt=$dir/bench_ckpt.safetensors
[ -f $ckpt ] || $mkckpt $ckpt 224 7 1 0
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== per pair: features + integrated gradients, 100 steps, same tiles, same checkpoint"
ours=$($drv $store $ckpt 3 100 $dir/tiles.bin)
echo "$ours"
ref_py=/usr/bin/python3
if $ref_py -c 'import torch' 2> /dev/null; then
  # torch on 1 thread and on every core: the better of the two is the reference's figure (on
  # a loaded machine its threads can cost more than they give)
  best=
  for th in 1 $(nproc); do
    ref=$($ref_py bench/reference_saliency.py $dir/tiles.bin $ckpt --steps 100 --pairs 1 --threads $th)
    echo "$ref"
    r=$(echo "$ref" | awk '/^reference:/ {print $2}')
    best=$(awk -v a="$best" -v b="$r" 'BEGIN {print (a == "" || b < a) ? b : a}')
  done
  o=$(echo "$ours" | awk '/^ours:/ {print $2}')
  awk -v o="$o" -v r="$best" 'BEGIN {printf "ratio: reference (best of its runs) / hitwin (1 thread) = %.1fx per pair; against the issue'"'"'s 8.6 s: %.1fx\n", r / o, 8.6 / o}'
else
  echo "reference: skipped (no torch for /usr/bin/python3: apt-get install python3-torch)"
fi

echo
echo "== the stage: test chromosome, every 4th window, 2 ranks, 100 steps, all pairs"
out=$dir/out && rm -rf $out
log=$(mpiexec -n 2 --oversubscribe $hitwin saliency $store --checkpoint $ckpt --split test --every 4 -o $out -q)
echo "$log"
pp=$(echo "$log" | awk '/^saliency:/ {for (i = 1; i <= NF; i++) if ($i == "per") print $(i - 2)}')
# mouse mm10: 2.65 Gb of autosomes + X at 10 kb, stride 28 bins: ~9,500 windows, 6 pairs each
awk -v p="$pp" 'BEGIN {
  w = 9500; n = 6 * w;
  printf "projection (mouse, 10 kb, 4 samples, %.3f s per pair on 1 core):\n", p;
  printf "  every window, all pairs:        %5.1f h on 2 ranks\n", n * p / 2 / 3600;
  printf "  --rule midpoint --steps 50 (as accurate, docs/saliency.md): %5.1f h on 2 ranks\n", n * p / 2 / 2 / 3600;
  printf "  --every 4 (stride 112 bins):    %5.1f h on 2 ranks\n", n * p / 4 / 2 / 3600;
  printf "  --every 4 --pairs condition:    %5.1f h on 2 ranks\n", 4 * w * p / 4 / 2 / 3600;
  printf "  --every 4 --pairs condition --steps 50: %5.1f h on 2 ranks\n", 4 * w * p / 2 / 4 / 2 / 3600 }'
