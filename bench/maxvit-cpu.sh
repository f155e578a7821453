#!/usr/bin/env bash
# bench/maxvit-cpu.sh: maxvit_t (SMaxViT, 224 x 224 one-channel tiles, 30,143,944 parameters) on
# the CPU, hitwin (bench/maxvit_bench.c) against the reference's model in PyTorch
# (bench/reference_maxvit.py: the module-for-module maxvit_t of
# tests/fixtures/make_maxvit_model_fixture.py, fp32, Debian's torch 1.13) on the same tiles,
# same threads, same batch, alternating the two sides REPEATS times in one run:
# Both start from the same weights (hitwin's torchvision-style init, written by the driver and
# loaded by the reference), without stochastic depth, and the warm-up step's losses must agree.
#   - the evaluation forward of one tile (normalisation, mask, running statistics);
#   - one training step of the objective the reference uses for MaxViT, triplet (margin 1):
#     B items x 3 views (anchor, positive, negative), each view its own BatchNorm batch (the
#     reference's separate branch calls), forward + backward + Adam (lr 1e-4);
#   - memory: hitwin's activation arena, and each process's peak resident set (VmHWM: weights,
#     gradients, Adam moments, activations, and for PyTorch the interpreter and libtorch).
# hitwin runs one process with THREADS BLAS threads; torch.set_num_threads(THREADS),
# interop 1. Both link the system OpenBLAS (torch's Linear layers and matmuls through libblas;
# its convolutions through oneDNN), so an OPENBLAS_CORETYPE in the environment applies to both:
# OpenBLAS 0.3.21 takes this box's Xeon for a Prescott (SSE3 kernels), see docs/maxvit.md.
# hitwin itself now starts with the AVX-512 kernels there (include/hitwin/blas_core.h), and this
# script exports the kernels hitwin picks, so both sides run the same ones.
# The ratio is torch's time over hitwin's (above 1: hitwin is faster), the median of
# the per-round ratios. Run the whole script under one nice level (both sides inherit it).
#
# Napkin: maxvit_t's forward is ~5.6 GFLOP per 224 tile (torchvision's 5.6 GMAC counts
# multiply-adds: ~11 GFLOP); a training step of B x 3 tiles is ~3 forwards' worth per tile,
# ~33 GFLOP per tile, ~100 GFLOP at B = 1. At ~100 GFLOP/s per core (bench/peak_fma.c) a
# perfect step would take ~1 s at B = 1 on one core; most of maxvit_t's layers are
# memory-bound element-wise work (BatchNorm, GELU, LayerNorm, partitions, softmax).
#
# Figures (medians of 3 rounds, 1 thread each, 2-core Xeon at load ~6, seconds hitwin / torch,
# ratio = torch / hitwin; docs/maxvit.md, "Speed"):
#   libm erff GELU:      eval 0.895 / 0.694 (0.78x), B=1 8.00 / 6.37 (0.80x), B=2 16.13 / 15.58 (0.96x)
#   vectorised GELU:     eval 0.836 / 0.709 (0.85x), B=1 7.04 / 6.42 (0.92x), B=2 14.08 / 16.08 (1.09x)
#   + OPENBLAS_CORETYPE=SkylakeX on both sides (1 round, load 5.0):
#                        eval 0.401 / 0.315 (0.79x), B=1 3.54 / 3.05 (0.86x), B=2 7.46 / 8.27 (1.11x)
#   arena 369 MiB (1 eval tile), 2,209 MiB (step at B=2); peak RSS 2.5 GiB hitwin, 2.9-3.1 GiB torch.
#   usage: bench/maxvit-cpu.sh [BUILD_DIR] [THREADS]   (defaults: build, 1; env REPEATS (3),
#          BATCHES ("1 2"), EVAL_REPS (3); needs /usr/bin/python3 with torch: apt-get install
#          python3-torch)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${2:-1}
drv=$build/bench_maxvit
[ -x "$drv" ] && [ -x "$build/hitwin" ] || { echo "bench/maxvit-cpu: build first ($drv, $build/hitwin)"; exit 1; }
# the OpenBLAS kernels hitwin picks on this CPU (include/hitwin/blas_core.h), for both sides
core=$($build/hitwin version | sed -n 's/^blas: OpenBLAS \([^ ]*\).*/\1/p')
[ -n "${OPENBLAS_CORETYPE:-}" ] || [ -z "$core" ] || export OPENBLAS_CORETYPE=$core
/usr/bin/python3 -c 'import torch' 2> /dev/null || { echo "bench/maxvit-cpu: needs torch for /usr/bin/python3 (apt-get install python3-torch)"; exit 1; }
repeats=${REPEATS:-3}
batches=${BATCHES:-1 2}
eval_reps=${EVAL_REPS:-3}
views=3
dir=bench/data/maxvit
mkdir -p $dir
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg); nice $(nice)"
echo "OpenBLAS core: $( (OPENBLAS_VERBOSE=2 $drv 2>&1 || true) | sed -n 's/^Core: //p')${OPENBLAS_CORETYPE:+ (OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE, both sides)}"
echo "maxvit_t at 224, triplet, $views views, batches: $batches; hitwin $threads BLAS thread(s), torch $threads thread(s); $repeats alternating rounds"

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
get() { echo "$1" | awk -v k="$2" '$1 == k {print $2}'; }
keys="eval_s"
for B in $batches; do keys="$keys train_s_$B"; done
declare -A ours ref ratio
for r in $(seq $repeats); do
  o=$($drv $dir/tiles.bin $threads $views $eval_reps $batches)
  t=$(/usr/bin/python3 bench/reference_maxvit.py $dir/tiles.bin $threads $views $eval_reps $batches)
  [ "$(get "$t" params)" = "$(get "$o" params)" ] || { echo "parameter counts differ: $(get "$o" params) vs $(get "$t" params)"; exit 1; }
  awk -v a="$(get "$o" loss_warmup)" -v b="$(get "$t" loss_warmup)" 'BEGIN {
    if ((a - b) ^ 2 > (1e-4 * (1 + (a < 0 ? -a : a))) ^ 2) { printf "the sides differ: warm-up loss %s vs %s\n", a, b; exit 1 } }'
  line="round $r (load $(cut -d' ' -f1 /proc/loadavg)):"
  for k in $keys; do
    a=$(get "$o" $k) b=$(get "$t" $k)
    ours[$k]="${ours[$k]:-} $a" ref[$k]="${ref[$k]:-} $b"
    ratio[$k]="${ratio[$k]:-} $(awk -v a="$a" -v b="$b" 'BEGIN {print b / a}')"
    line="$line $k $a/$b"
  done
  echo "$line  (hitwin/torch s)"
  last_o=$o last_t=$t
done

printf "\n%-12s %10s %10s %8s %14s\n" "" "hitwin s" "torch s" ratio "ratio range"
for k in $keys; do
  name=${k/_s/}; name=${name/eval/"eval/tile"}; name=${name/train_/"train B="}
  lo=$(printf '%s\n' ${ratio[$k]} | sort -g | head -n1) hi=$(printf '%s\n' ${ratio[$k]} | sort -g | tail -n1)
  printf "%-12s %10.3f %10.3f %7.2fx %7.2f-%.2f\n" "$name" "$(printf '%s\n' ${ours[$k]} | median)" \
    "$(printf '%s\n' ${ref[$k]} | median)" "$(printf '%s\n' ${ratio[$k]} | median)" "$lo" "$hi"
done
echo
echo "hitwin arena: eval (1 tile) $(get "$last_o" arena_mib_eval) MiB, training at B=${batches##* } $(get "$last_o" arena_mib_train) MiB"
echo "peak RSS: hitwin $(get "$last_o" rss_peak_mib) MiB (after create $(get "$last_o" rss_base_mib)), torch $(get "$last_t" rss_peak_mib) MiB (after create $(get "$last_t" rss_base_mib))"
echo "same function: warm-up loss hitwin $(get "$last_o" loss_warmup), torch $(get "$last_t" loss_warmup); after it, at B=${batches##* }: $(get "$last_o" loss_${batches##* }), $(get "$last_t" loss_${batches##* })"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
