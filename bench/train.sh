#!/usr/bin/env bash
# bench/train.sh: training throughput of `hitwin train` against the reference
# PyTorch model and loop (bench/reference_train.py: SiameseNet + SLeNet +
# LastLayerNN, Adam, fp32 on CPU) on the same tiles: the small simulated data set
# (hitwin simulate --preset small, 224-bin tiles, 78 training windows x 6 pairs),
# batch sizes 32 and 128, one epoch each, both on the same cores: PyTorch with
# THREADS threads, hitwin with THREADS MPI ranks of one BLAS thread each (how
# hitwin is meant to use a machine: data-parallel ranks, docs/train.md).
# Prints pairs/s, the ratio and our fraction of peak.
#
# Napkin: SLeNet forward is ~80 MFLOP per 224 tile (conv2 6->16 5x5 on 106x106 is
# 2*16*150*106*106 = 54 MFLOP, conv1 2*6*25*220*220 = 15 MFLOP, linear.1
# 2*44944*120 = 11 MFLOP); a training pair is 2 tiles x (forward + ~2x backward)
# ~ 480 MFLOP. The peak is measured in the same run (bench/peak_fma.c, one copy per
# core at once): ~102 GFLOP/s per core on the 2-core AMD EPYC here (AVX2 FMA at ~3.2 GHz).
# The %peak column keeps the dense napkin; our sparse weight gradients skip about a fifth
# of those FLOPs, so it overstates the arithmetic done a little.
#
# Figures (2 ranks / 2 torch threads, pairs/s, ratio in the same run; docs/train.md):
#   im2col + sgemm (first version): batch 32 85.8 vs 37.9 (2.26x), batch 128 85.3 vs 36.5 (2.34x)
#   direct conv kernels, quiet machine (2026-11-25): batch 32 190-220 vs 41-45 (4.27-4.87x),
#     batch 128 209-244 vs 37-39 (5.65-6.53x)
#   + views as one batch, vectorised dropout, tiles in memory (4 runs, 2026-11-25): batch 32
#     225-268 vs 36-43 (5.83x, 5.86x, 6.32x, 7.37x; 54-63 % of the measured peak); batch 128
#     245-286 vs 35-39 (6.34x, 7.25x, 7.56x, 7.78x; 58-67 %).
#   usage: bench/train.sh [BUILD_DIR] [THREADS]   (defaults: build, 2; env REPEATS, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${2:-2}
hitwin=$build/hitwin
[ -x "$hitwin" ] || { echo "bench/train: build first ($hitwin missing)"; exit 1; }
# the OpenBLAS kernels hitwin picks on this CPU (include/hitwin/blas_core.h), for both sides
core=$($hitwin version | sed -n 's/^blas: OpenBLAS \([^ ]*\).*/\1/p')
[ -n "${OPENBLAS_CORETYPE:-}" ] || [ -z "$core" ] || export OPENBLAS_CORETYPE=$core
. bench/train_data.sh

# the machine's fp32 FMA peak, measured now on $threads cores at once (bench/peak_fma.c)
cc -O3 -funroll-loops -mavx2 -mfma bench/peak_fma.c -o $dir/peak_fma
peak=$(for _ in $(seq $threads); do $dir/peak_fma & done | awk '{s += $1} END {printf "%.0f", s}'; wait)
echo "data: $store ($W windows x $S samples, tile $T); torch $threads threads, hitwin $threads ranks; measured peak $peak GFLOP/s"
# REPEATS (default 3) alternating runs of each side per batch size; the table gives the median
# pairs/s of each side and the median of the per-round ratios (this machine is shared: a
# neighbour's load drifts over minutes, and alternating keeps both sides under the same drift)
repeats=${REPEATS:-3}
echo "(medians of $repeats alternating runs each)"
printf "%-6s %14s %14s %8s %12s\n" batch "hitwin pairs/s" "torch pairs/s" ratio "hitwin %peak"
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for B in 32 128; do
  # recipe: reference: raw input, dropout 0.5, no flip / thinning: the work the reference loop does
  cat > $dir/bench_train.yaml <<YAML
tiles: sim/tiles.h5
recipe: reference
batch_size: $B
epochs: 1
learning_rate: 1.0e-4
output: run_$B
YAML
  ours_all="" ref_all="" ratio_all=""
  for _ in $(seq $repeats); do
    rm -rf $dir/run_$B
    OPENBLAS_NUM_THREADS=1 mpiexec -n $threads --oversubscribe -x OPENBLAS_NUM_THREADS \
      $hitwin train $dir/bench_train.yaml -q > /dev/null
    ours=$(sed -E 's/.*"pairs_per_s": ([0-9.]+).*/\1/' $dir/run_$B/metrics.jsonl | tail -n1)
    ref=$(/usr/bin/python3 bench/reference_train.py $dir/tiles.bin $dir/qc_kept.bin $dir/windows_split.bin \
          $dir/samples_class_id.bin "$W" "$S" "$T" "$B" "$threads" | sed -E 's/.* ([0-9.]+) pairs\/s/\1/')
    ours_all="$ours_all $ours" ref_all="$ref_all $ref"
    ratio_all="$ratio_all $(awk -v o="$ours" -v r="$ref" 'BEGIN {print o / r}')"
  done
  o=$(printf '%s\n' $ours_all | median) r=$(printf '%s\n' $ref_all | median)
  q=$(printf '%s\n' $ratio_all | median)
  awk -v b=$B -v o="$o" -v r="$r" -v q="$q" -v p=$peak -v lo="$(printf '%s\n' $ratio_all | sort -g | head -n1)" \
      -v hi="$(printf '%s\n' $ratio_all | sort -g | tail -n1)" 'BEGIN {
    printf "%-6d %14.1f %14.1f %8.2f %11.1f%%   ratios %.2f-%.2f\n", b, o, r, q, 100 * o * 0.48 / p, lo, hi }'
done
