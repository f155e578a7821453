#!/usr/bin/env bash
# bench/distance.sh: `hitwin distance` against the reference's distance
# calculation (bench/reference_distance.py: distance_calculation.py's loop in
# PyTorch on CPU, batch 100, one forward per tile of every pair, model not in
# eval mode) on the same tiles and the same checkpoint: the small simulated data
# set (hitwin simulate --preset small: 163 windows x 4 samples, 978 pairs), a
# random-init SLeNet checkpoint with the mask (numbers do not depend on training).
# hitwin on 1 rank (1 BLAS thread) and 2 ranks; torch on 1 and 2 threads.
# Reported: pairs/s of the whole command (start-up, reading, the three
# baselines, writing all outputs included) and of the model part alone (rank 0's
# "embedding + distances" time), the reference's pairs/s (forward loop only,
# tiles already in memory), and the ratios.
#
# Napkin: an SLeNet forward is ~80 MFLOP per 224 tile. The reference runs 2 forwards
# per pair (12 per window of 4 samples); hitwin runs 4 per window (0.67 per pair):
# 3x less work before any kernel speed-up.
#   usage: bench/distance.sh [BUILD_DIR]   (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
hitwin=$build/hitwin
mkckpt=$build/tests/distance_make_ckpt
[ -x "$hitwin" ] && [ -x "$mkckpt" ] || { echo "bench/distance: build first ($hitwin, $mkckpt)"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
dir=bench/data/distance
mkdir -p $dir
if [ ! -f $dir/sim/tiles.h5 ]; then
  $hitwin simulate --preset small --out $dir/sim --quiet > /dev/null
  (cd $dir/sim && ../../../../$hitwin tile dataset.yaml -q > /dev/null)
fi
store=$dir/sim/tiles.h5
ckpt=$dir/bench_ckpt.safetensors
[ -f $ckpt ] || $mkckpt $ckpt 224 7 1 0

run_hitwin() { # ranks -> "pairs total_s model_s"
  local out=$dir/out_$1
  rm -rf $out && mkdir -p $out
  local t0 t1
  t0=$(date +%s.%N)
  mpiexec -n "$1" --oversubscribe $hitwin distance $store --checkpoint $ckpt -o $out > $out.stdout 2> $out.stderr
  t1=$(date +%s.%N)
  local pairs model
  pairs=$(sed -nE 's/^windows: [0-9]+, pairs: ([0-9]+).*/\1/p' $out.stdout)
  model=$(sed -nE 's/.*embedding \+ distances ([0-9.]+) s.*/\1/p' $out.stderr)
  echo "$pairs $(echo "$t1 - $t0" | bc) $model"
}

echo "data: $store (all splits), checkpoint $ckpt (random init, mask on)"
read -r p1 tot1 mod1 < <(run_hitwin 1)
read -r p2 tot2 mod2 < <(run_hitwin 2)
ref1=$(/usr/bin/python3 bench/reference_distance.py $store $ckpt --threads 1 | sed -E 's/.* ([0-9.]+) pairs\/s/\1/')
ref2=$(/usr/bin/python3 bench/reference_distance.py $store $ckpt --threads 2 | sed -E 's/.* ([0-9.]+) pairs\/s/\1/')
printf "%-8s %8s %16s %16s %14s %10s %10s\n" cores pairs "hitwin pairs/s" "model pairs/s" "torch pairs/s" "ratio" "model ratio"
awk -v p=$p1 -v t=$tot1 -v m=$mod1 -v r=$ref1 'BEGIN { printf "%-8d %8d %16.1f %16.1f %14.1f %10.2f %10.2f\n", 1, p, p/t, p/m, r, p/t/r, p/m/r }'
# 2 ranks: the model time is rank 0's, which holds half of the pairs
awk -v p=$p2 -v t=$tot2 -v m=$mod2 -v r=$ref2 'BEGIN { printf "%-8d %8d %16.1f %16.1f %14.1f %10.2f %10.2f\n", 2, p, p/t, p/m, r, p/t/r, p/m/r }'
echo "(hitwin pairs/s: the whole command incl. mpiexec start-up, I/O, the SSIM/Pearson/MSE baselines and"
echo " 26 output files; model pairs/s: embedding + distances only, as the reference's loop)"
