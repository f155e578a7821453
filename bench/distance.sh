#!/usr/bin/env bash
# bench/distance.sh: `hitwin distance` against the reference's distance
# calculation (bench/reference_distance.py: distance_calculation.py's loop in
# PyTorch on CPU, batch 100, one forward per tile of every pair, model not in
# eval mode) on the same tiles and the same checkpoint: the small simulated data
# set (hitwin simulate --preset small: 163 windows x 4 samples, 978 pairs), a
# random-init SLeNet checkpoint with the mask (numbers do not depend on training).
# hitwin on 1 rank (1 BLAS thread) and 2 ranks, with and without --no-baselines; torch
# on 1 and 2 threads.
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
# the OpenBLAS kernels hitwin picks on this CPU (include/hitwin/blas_core.h), for both sides
core=$($hitwin version | sed -n 's/^blas: OpenBLAS \([^ ]*\).*/\1/p')
[ -n "${OPENBLAS_CORETYPE:-}" ] || [ -z "$core" ] || export OPENBLAS_CORETYPE=$core
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

run_hitwin() { # ranks [extra flags] -> "pairs total_s model_s"
  local ranks=$1
  shift
  local out=$dir/out_${ranks}$(echo "$*" | tr -d ' -')
  rm -rf $out && mkdir -p $out
  local t0 t1
  t0=$(date +%s.%N)
  mpiexec -n "$ranks" --oversubscribe $hitwin distance $store --checkpoint $ckpt -o $out "$@" > $out.stdout 2> $out.stderr
  t1=$(date +%s.%N)
  local pairs model
  pairs=$(sed -nE 's/^windows: [0-9]+, pairs: ([0-9]+).*/\1/p' $out.stdout)
  model=$(sed -nE 's/.*embedding \+ distances ([0-9.]+) s.*/\1/p' $out.stderr)
  echo "$pairs $(echo "$t1 - $t0" | bc) $model"
}

echo "data: $store (all splits), checkpoint $ckpt (random init, mask on)"
read -r p1 tot1 mod1 < <(run_hitwin 1)
read -r p2 tot2 mod2 < <(run_hitwin 2)
read -r q1 nb1 _ < <(run_hitwin 1 --no-baselines)
read -r q2 nb2 _ < <(run_hitwin 2 --no-baselines)
ref1=$(/usr/bin/python3 bench/reference_distance.py $store $ckpt --threads 1 | sed -E 's/.* ([0-9.]+) pairs\/s/\1/')
ref2=$(/usr/bin/python3 bench/reference_distance.py $store $ckpt --threads 2 | sed -E 's/.* ([0-9.]+) pairs\/s/\1/')
printf "%-6s %6s %14s %14s %14s %12s %8s %8s %8s\n" cores pairs "whole pairs/s" "no-bl pairs/s" \
  "model pairs/s" "torch pairs/s" ratio "no-bl" model
row() { # cores pairs whole_s nobl_s model_s torch_pairs_per_s
  awk -v c=$1 -v p=$2 -v t=$3 -v n=$4 -v m=$5 -v r=$6 'BEGIN {
    printf "%-6d %6d %14.1f %14.1f %14.1f %12.1f %8.2f %8.2f %8.2f\n", c, p, p/t, p/n, p/m, r, p/t/r, p/n/r, p/m/r }'
}
row 1 $p1 $tot1 $nb1 $mod1 $ref1
# 2 ranks: the model time is rank 0's, which holds half of the pairs
row 2 $p2 $tot2 $nb2 $mod2 $ref2
echo "(whole: the command incl. mpiexec start-up, I/O, the SSIM/Pearson/MSE baselines and 26 output"
echo " files; no-bl: the same with --no-baselines, 11 files; model: embedding + distances only, the"
echo " reference's loop; ratios against torch on the same number of cores)"
