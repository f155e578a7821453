#!/usr/bin/env bash
# `hitwin train --device cuda`, `hitwin distance --device cuda` and `hitwin saliency --device
# cuda` end to end on simulated
# data (hitwin simulate --preset small, tiles of 32 bins: 450 training pairs), against the
# CPU path. Skipped (exit 77) where no GPU is visible; `2rank` also where fewer than 2.
#
#   train     2 epochs on cuda vs cpu from the same seed, batches and augmentation (flip,
#             thin; n_aug 0, so the cuda run gathers its batches on the device, gpu_batch.h):
#             train and validation loss of each epoch within |gpu - cpu| <= LOSS_RTOL |cpu|
#             (LOSS_RTOL = 1e-3: fp32 rounding of two backends through 58 Adam steps; each
#             step's gradients agree to ~1e-4 relative, test_gpu_slenet; the batches
#             themselves are bit-identical, test_gpu_batch). The same cuda run with
#             tile_memory_mb 0 (batches assembled on the host and uploaded) gives identical
#             metrics: the device batches are the host's bit for bit. n_aug 1 (the copies
#             made on the device too) vs cpu within LOSS_RTOL, and identical to the same run
#             with host-assembled batches. A device budget smaller than the set
#             (HITWIN_GPU_TILE_MB=0.3) streams the tiles through a cache: identical metrics. Then resume on cuda: a run stopped
#             at step 45 (after a state at step 40, mid-epoch 2) and continued with --resume
#             gives metrics identical to an uninterrupted cuda run (bit for bit: params_hash,
#             losses to 9 digits).
#   2rank     the same 2 epochs on cuda with 2 ranks (NCCL sum of the gradients, shards of
#             8 of the global batch 16) vs 1 rank: losses within LOSS_RTOL, and the state of
#             a 2-rank run resumes to the same metrics as the uninterrupted 2-rank run.
#   distance  distances from one checkpoint, cuda vs cpu: pairwise, cosine, maps, combined, hybrid within
#             |gpu - cpu| <= DIST_RTOL |cpu| + DIST_STOL max|cpu| (1e-3, 1e-4: embeddings
#             agree to ~1e-4, test_gpu_slenet, and a distance between close embeddings loses
#             relative precision); the baselines (host code) identical.
#   saliency  saliency from one checkpoint (20 IG steps, every 2nd window), cuda vs cpu: the
#             saliency tracks (bedGraph column means of the strips) within |gpu - cpu| <=
#             SAL_RTOL |cpu| + SAL_STOL max|cpu| (1e-3, 1e-4: test_gpu_saliency's bound on the
#             IG maps, which the strips average); the feature tracks identical (conv2 maps
#             stay on the CPU model); the file's config says `device: cuda`; 2 ranks on cuda
#             (sharing the GPU when there is one) write the same tracks as 1, and the same
#             file (h5diff, where the HDF5 tools are installed).
#   maxvit    the tiny MaxViT (tests/maxvit_tiny.h's mapping) on tiles of 56 bins, precision
#             fp32: SMaxViT 2 epochs cuda vs cpu within MV_LOSS_RTOL = 1e-2 relative per epoch
#             (an estimate: ~20 layers in place of SLeNet's 4, and per-view BatchNorm over
#             batches of 8 amplifies rounding; test_gpu_maxvit checks one step to 1e-4);
#             bf16 refused with its line and nothing written; a run stopped at step 15 and
#             resumed gives metrics identical to the uninterrupted one (the BatchNorm
#             statistics go through state.bin); distance from the cuda checkpoint, cuda vs
#             cpu, within DIST_RTOL/DIST_STOL; SMaxViTMulti 1 epoch cuda vs cpu.
# usage: test_train_gpu.sh train|2rank|distance|saliency|maxvit   (env: HITWIN, MPIEXEC)
set -u
mode=${1:?usage: test_train_gpu.sh train|2rank|distance|saliency|maxvit}
LOSS_RTOL=1e-3 DIST_RTOL=1e-3 DIST_STOL=1e-4 SAL_RTOL=1e-3 SAL_STOL=1e-4 MV_LOSS_RTOL=1e-2
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
gpus=$($HITWIN version | sed -n 's/^gpus: //p')
if ! $HITWIN version | grep -q '^cuda backend: built' || [ "${gpus:-0}" -lt 1 ]; then
  echo "no CUDA device visible (or no CUDA backend): skipped (exit 77)"; exit 77
fi
if [ "$mode" = 2rank ] && [ "$gpus" -lt 2 ]; then
  echo "2rank needs 2 GPUs on this node (NCCL takes one GPU per rank), $gpus visible: skipped (exit 77)"
  exit 77
fi
mpi="${MPIEXEC:-mpiexec} -n 2 --oversubscribe"
tmp=$(mktemp -d /tmp/hw_train_gpu_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }

$HITWIN simulate --preset small --out "$tmp/sim" --quiet > /dev/null || { echo "simulate failed"; exit 1; }
$HITWIN tile "$tmp/sim/dataset.yaml" --set tile_size=32 --set stride=32 -o "$tmp/t32.h5" -q > /dev/null \
  || { echo "tile failed"; exit 1; }
cat > "$tmp/train.yaml" <<YAML
tiles: t32.h5
batch_size: 16
epochs: 2
patience: 10
learning_rate: 1.0e-3
n_aug: 0
precision: fp32
flip: true
thin: 0.5
checkpoint_every_steps: 10
output: run
YAML

# train_loss and val_loss per epoch: "epoch train val" lines
losses() { sed -E 's/.*"epoch": ([0-9]+).*"train_loss": ([^,]+),.*"val_loss": ([^,]+),.*/\1 \2 \3/' "$1"; }
# close A B NAME: every epoch's losses of run A within LOSS_RTOL of run B's
close() {
  paste <(losses "$1") <(losses "$2") | awk -v t=$LOSS_RTOL -v name="$3" '
    function bad(x, r) { d = x - r; if (d < 0) d = -d; return !(d <= t * (r < 0 ? -r : r)) }
    { n++; printf "  %s epoch %d: train %.7g vs %.7g, val %.7g vs %.7g\n", name, $1, $2, $5, $3, $6
      if ($1 != $4 || bad($2, $5) || bad($3, $6)) f = 1 }
    END { exit (f || n == 0) }' || die "$3: losses differ by more than $LOSS_RTOL relative"
}
fields() { sed -E 's/"(pairs_per_s|train_seconds|seconds)": [^,]*, //g' "$1"; }
same_metrics() {
  diff <(fields "$1") <(fields "$2") > "$tmp/diff.txt" || { die "$3"; cat "$tmp/diff.txt" >&2; }
}

case $mode in
train)
  $HITWIN train "$tmp/train.yaml" --set output="$tmp/cpu" --device cpu -q > /dev/null 2> "$tmp/cpu.err" \
    || die "cpu run: $(cat "$tmp/cpu.err")"
  $HITWIN train "$tmp/train.yaml" --set output="$tmp/gpu" --device cuda > /dev/null 2> "$tmp/gpu.err" \
    || die "cuda run: $(cat "$tmp/gpu.err")"
  grep -q "device: cuda, one GPU per rank" "$tmp/gpu.err" || die "the cuda run did not log its device"
  grep -q "tiles on the GPU: .* windows, .* MiB; batches assembled on the device" "$tmp/gpu.err" \
    || die "the cuda run did not assemble its batches on the device: $(grep -i batches "$tmp/gpu.err")"
  [ -f "$tmp/gpu/best.safetensors" ] && [ -f "$tmp/gpu/best_nn.safetensors" ] && [ -f "$tmp/gpu/state.bin" ] \
    || die "the cuda run is missing its checkpoint or state"
  close "$tmp/gpu/metrics.jsonl" "$tmp/cpu/metrics.jsonl" "cuda vs cpu"
  # host-assembled batches (no resident tiles) give the same run bit for bit
  $HITWIN train "$tmp/train.yaml" --set output="$tmp/gpu_host" --set tile_memory_mb=0 --device cuda \
    > /dev/null 2> "$tmp/gpu_host.err" || die "cuda run, tile_memory_mb 0: $(cat "$tmp/gpu_host.err")"
  grep -q "batches assembled on the host and uploaded per step: only 0 of .* windows are in memory" \
    "$tmp/gpu_host.err" || die "tile_memory_mb 0: no fall-back line: $(grep -i batches "$tmp/gpu_host.err")"
  same_metrics "$tmp/gpu/metrics.jsonl" "$tmp/gpu_host/metrics.jsonl" \
    "device-assembled and host-assembled cuda runs differ:"
  # a device budget smaller than the set (0.3 MiB: ~44 of the tiles): streamed through a
  # cache, the same run bit for bit
  HITWIN_GPU_TILE_MB=0.3 $HITWIN train "$tmp/train.yaml" --set output="$tmp/gpu_stream" --device cuda \
    > /dev/null 2> "$tmp/gpu_stream.err" || die "cuda run, streamed: $(cat "$tmp/gpu_stream.err")"
  grep -q "tiles streamed to the GPU: a cache of .* of .* tiles" "$tmp/gpu_stream.err" \
    || die "HITWIN_GPU_TILE_MB=0.3: not streamed: $(grep -i tiles "$tmp/gpu_stream.err")"
  same_metrics "$tmp/gpu/metrics.jsonl" "$tmp/gpu_stream/metrics.jsonl" \
    "streamed and resident cuda runs differ:"
  # n_aug 1: the reference's copies (Poisson resample, dropout) made on the device too
  $HITWIN train "$tmp/train.yaml" --set output="$tmp/cpu_aug" --set n_aug=1 --device cpu -q > /dev/null \
    2> "$tmp/cpu_aug.err" || die "cpu run, n_aug 1: $(cat "$tmp/cpu_aug.err")"
  $HITWIN train "$tmp/train.yaml" --set output="$tmp/gpu_aug" --set n_aug=1 --device cuda > /dev/null \
    2> "$tmp/gpu_aug.err" || die "cuda run, n_aug 1: $(cat "$tmp/gpu_aug.err")"
  grep -q "tiles on the GPU: .* windows, .* MiB; batches assembled on the device" "$tmp/gpu_aug.err" \
    || die "n_aug 1: batches not assembled on the device: $(grep -i batches "$tmp/gpu_aug.err")"
  close "$tmp/gpu_aug/metrics.jsonl" "$tmp/cpu_aug/metrics.jsonl" "n_aug 1, cuda vs cpu"
  $HITWIN train "$tmp/train.yaml" --set output="$tmp/gpu_aug_host" --set n_aug=1 --set tile_memory_mb=0 \
    --device cuda > /dev/null 2> "$tmp/gpu_aug_host.err" \
    || die "cuda run, n_aug 1, tile_memory_mb 0: $(cat "$tmp/gpu_aug_host.err")"
  same_metrics "$tmp/gpu_aug/metrics.jsonl" "$tmp/gpu_aug_host/metrics.jsonl" \
    "n_aug 1: device-assembled and host-assembled cuda runs differ:"
  # the checkpoint loads on the CPU (same layout): distance runs from it
  mkdir -p "$tmp/dist"
  $HITWIN distance "$tmp/t32.h5" -c "$tmp/gpu/best.safetensors" -o "$tmp/dist" --no-baselines -q > /dev/null 2>&1 \
    || die "distance on the CPU from the cuda run's checkpoint"
  # resume on cuda: stopped at step 45 (the last state at step 40), then continued
  $HITWIN train "$tmp/train.yaml" --set output="$tmp/killed" --device cuda --stop-after-steps 45 -q \
    > /dev/null 2> "$tmp/k1.err" || die "stopped cuda run: $(cat "$tmp/k1.err")"
  $HITWIN train "$tmp/train.yaml" --set output="$tmp/killed" --device cuda --resume > /dev/null 2> "$tmp/k2.err" \
    || die "resumed cuda run: $(cat "$tmp/k2.err")"
  grep -q "resuming from .*killed/state.bin: epoch 1 done, batch 11 of epoch 2, step 40" "$tmp/k2.err" \
    || die "resume did not start from the mid-epoch state: $(grep resum "$tmp/k2.err")"
  same_metrics "$tmp/gpu/metrics.jsonl" "$tmp/killed/metrics.jsonl" \
    "the resumed cuda run differs from the uninterrupted one:"
  ;;
2rank)
  $HITWIN train "$tmp/train.yaml" --set output="$tmp/one" --device cuda -q > /dev/null 2> "$tmp/one.err" \
    || die "1-rank cuda run: $(cat "$tmp/one.err")"
  $mpi $HITWIN train "$tmp/train.yaml" --set output="$tmp/two" --device cuda > /dev/null 2> "$tmp/two.err" \
    || die "2-rank cuda run: $(cat "$tmp/two.err")"
  grep -q "gradients summed with NCCL" "$tmp/two.err" || die "the 2-rank run did not use NCCL"
  grep -q "batches assembled on the device" "$tmp/two.err" || die "the 2-rank run assembled on the host"
  close "$tmp/two/metrics.jsonl" "$tmp/one/metrics.jsonl" "2 ranks vs 1 rank"
  $mpi $HITWIN train "$tmp/train.yaml" --set output="$tmp/two_k" --device cuda --stop-after-steps 45 -q \
    > /dev/null 2> "$tmp/k1.err" || die "stopped 2-rank run: $(cat "$tmp/k1.err")"
  $mpi $HITWIN train "$tmp/train.yaml" --set output="$tmp/two_k" --device cuda --resume -q \
    > /dev/null 2> "$tmp/k2.err" || die "resumed 2-rank run: $(cat "$tmp/k2.err")"
  same_metrics "$tmp/two/metrics.jsonl" "$tmp/two_k/metrics.jsonl" \
    "the resumed 2-rank cuda run differs from the uninterrupted one:"
  ;;
distance)
  $HITWIN train "$tmp/train.yaml" --set output="$tmp/cpu" --set epochs=1 -q > /dev/null 2> "$tmp/cpu.err" \
    || die "cpu run: $(cat "$tmp/cpu.err")"
  ck="$tmp/cpu/best.safetensors"
  mkdir -p "$tmp/dc" "$tmp/dg"
  $HITWIN distance "$tmp/t32.h5" -c "$ck" -o "$tmp/dc" -q > /dev/null 2> "$tmp/dc.err" || die "distance cpu: $(cat "$tmp/dc.err")"
  $HITWIN distance "$tmp/t32.h5" -c "$ck" -o "$tmp/dg" --device cuda -q > /dev/null 2> "$tmp/dg.err" \
    || die "distance cuda: $(cat "$tmp/dg.err")"
  for m in pairwise cosine maps combined hybrid; do
    f=best_${m}_distances_raw.csv
    [ -f "$tmp/dg/$f" ] || { die "distance cuda wrote no $f"; continue; }
    # column 4 (distances); rows in the same order on both devices
    paste -d, <(cut -d, -f4 "$tmp/dg/$f") <(cut -d, -f4 "$tmp/dc/$f") | awk -F, -v r=$DIST_RTOL -v s=$DIST_STOL -v m=$m '
      NR == 1 { next }
      { g[NR] = $1; c[NR] = $2; a = $2 < 0 ? -$2 : $2; if (a > mx) mx = a; n = NR }
      END {
        for (i = 2; i <= n; i++) {
          d = g[i] - c[i]; if (d < 0) d = -d; a = c[i] < 0 ? -c[i] : c[i]
          if (d > worst) worst = d
          if (!(d <= r * a + s * mx)) bad++
        }
        printf "  %s: %d pairs, max|gpu - cpu| %.3g (max|cpu| %.3g), %d outside\n", m, n - 1, worst, mx, bad
        exit (bad > 0 || n < 2) }' || die "distance $m: cuda differs from cpu beyond the tolerance"
  done
  for m in ssim pearson mse scc insulation; do
    cmp -s "$tmp/dc/best_${m}_distances_raw.csv" "$tmp/dg/best_${m}_distances_raw.csv" \
      || die "distance $m (host baselines) differs between --device cpu and cuda"
  done
  ;;
saliency)
  $HITWIN train "$tmp/train.yaml" --set output="$tmp/cpu" --set epochs=1 -q > /dev/null 2> "$tmp/cpu.err" \
    || die "cpu run: $(cat "$tmp/cpu.err")"
  sal=("$tmp/t32.h5" -c "$tmp/cpu/best.safetensors" --steps 20 --every 2 -q)
  $HITWIN saliency "${sal[@]}" -o "$tmp/sc" > /dev/null 2> "$tmp/sc.err" || die "saliency cpu: $(cat "$tmp/sc.err")"
  $HITWIN saliency "${sal[@]}" -o "$tmp/sg" --device cuda > /dev/null 2> "$tmp/sg.err" \
    || die "saliency cuda: $(cat "$tmp/sg.err")"
  $mpi $HITWIN saliency "${sal[@]}" -o "$tmp/sg2" --device cuda > /dev/null 2> "$tmp/sg2.err" \
    || die "saliency cuda, 2 ranks: $(cat "$tmp/sg2.err")"
  # the config attribute is stored as plain text (no HDF5 tools in the GPU session's bundle)
  grep -aq "device: cuda" "$tmp/sg/saliency.h5" || die "the cuda run's saliency.h5 does not say device: cuda"
  if command -v h5diff > /dev/null; then
    h5diff "$tmp/sg/saliency.h5" "$tmp/sg2/saliency.h5" > "$tmp/diff.txt" 2>&1 \
      || { die "saliency cuda: 1 and 2 ranks differ"; head "$tmp/diff.txt" >&2; }
  fi
  for f in condition_saliency replicate_saliency condition_features replicate_features; do
    cmp -s "$tmp/sg/$f.bedgraph" "$tmp/sg2/$f.bedgraph" || die "saliency cuda: $f.bedgraph differs between 1 and 2 ranks"
  done
  for k in condition replicate; do
    f=${k}_saliency.bedgraph
    [ -f "$tmp/sg/$f" ] || { die "saliency cuda wrote no $f"; continue; }
    # column 4 (the track's value), same bins in the same order; the track line skipped
    paste <(grep -v '^track' "$tmp/sg/$f" | cut -f4) <(grep -v '^track' "$tmp/sc/$f" | cut -f4) |
      awk -v r=$SAL_RTOL -v s=$SAL_STOL -v k=$k '
      { g[NR] = $1; c[NR] = $2; a = $2 < 0 ? -$2 : $2; if (a > mx) mx = a; n = NR }
      END {
        for (i = 1; i <= n; i++) {
          d = g[i] - c[i]; if (d < 0) d = -d; a = c[i] < 0 ? -c[i] : c[i]
          if (d > worst) worst = d
          if (!(d <= r * a + s * mx)) bad++
        }
        printf "  %s saliency: %d bins, max|gpu - cpu| %.3g (max|cpu| %.3g), %d outside\n", k, n, worst, mx, bad
        exit (bad > 0 || n < 1 || mx == 0) }' || die "saliency $k: cuda differs from cpu beyond the tolerance"
    cmp -s "$tmp/sc/${k}_features.bedgraph" "$tmp/sg/${k}_features.bedgraph" \
      || die "saliency ${k}_features (CPU conv2 maps) differ between --device cpu and cuda"
  done
  ;;
maxvit)
  # the tiny MaxViT (stem 8, blocks [8, 16] x [1, 2], head_dim 4) on tiles of 56 bins
  $HITWIN tile "$tmp/sim/dataset.yaml" --set tile_size=56 --set stride=56 -o "$tmp/t56.h5" -q > /dev/null \
    || { echo "tile (56) failed"; exit 1; }
  sed -e 's/^tiles: t32.h5$/tiles: t56.h5/' -e 's/^epochs: 2$/epochs: 2\nmodel: SMaxViT/' "$tmp/train.yaml" > "$tmp/mv.yaml"
  printf 'maxvit:\n  stem: 8\n  channels: [8, 16]\n  depths: [1, 2]\n  head_dim: 4\n' >> "$tmp/mv.yaml"
  $HITWIN train "$tmp/mv.yaml" --set output="$tmp/cpu" --device cpu -q > /dev/null 2> "$tmp/cpu.err" \
    || die "cpu run: $(cat "$tmp/cpu.err")"
  $HITWIN train "$tmp/mv.yaml" --set output="$tmp/gpu" --device cuda > /dev/null 2> "$tmp/gpu.err" \
    || die "cuda run: $(cat "$tmp/gpu.err")"
  grep -q "device: cuda, fp32, one GPU per rank" "$tmp/gpu.err" || die "the cuda run did not log its device"
  [ -f "$tmp/gpu/best.safetensors" ] && [ -f "$tmp/gpu/state.bin" ] || die "the cuda run is missing its checkpoint or state"
  LOSS_RTOL=$MV_LOSS_RTOL close "$tmp/gpu/metrics.jsonl" "$tmp/cpu/metrics.jsonl" "SMaxViT cuda vs cpu"
  # bf16 is refused with its line
  $HITWIN train "$tmp/mv.yaml" --set output="$tmp/bf" --set precision=bf16 --device cuda > /dev/null 2> "$tmp/bf.err" \
    && die "SMaxViT in bf16 on cuda ran"
  grep -q "^hitwin: error: --device cuda: model SMaxViT runs in fp32 only on the GPU" "$tmp/bf.err" \
    || die "SMaxViT bf16: $(cat "$tmp/bf.err")"
  [ -e "$tmp/bf" ] && die "SMaxViT bf16 on cuda wrote $tmp/bf"
  # resume on cuda: the BatchNorm statistics go through state.bin too
  $HITWIN train "$tmp/mv.yaml" --set output="$tmp/killed" --device cuda --stop-after-steps 15 -q \
    > /dev/null 2> "$tmp/k1.err" || die "stopped cuda run: $(cat "$tmp/k1.err")"
  $HITWIN train "$tmp/mv.yaml" --set output="$tmp/killed" --device cuda --resume > /dev/null 2> "$tmp/k2.err" \
    || die "resumed cuda run: $(cat "$tmp/k2.err")"
  grep -q "resuming from .*killed/state.bin" "$tmp/k2.err" || die "resume did not start from a state"
  same_metrics "$tmp/gpu/metrics.jsonl" "$tmp/killed/metrics.jsonl" \
    "the resumed SMaxViT cuda run differs from the uninterrupted one:"
  # distance from the cuda run's checkpoint, cuda vs cpu (BatchNorm statistics in the file)
  mkdir -p "$tmp/dc" "$tmp/dg"
  $HITWIN distance "$tmp/t56.h5" -c "$tmp/gpu/best.safetensors" -o "$tmp/dc" --no-baselines -q > /dev/null \
    2> "$tmp/dc.err" || die "distance cpu: $(cat "$tmp/dc.err")"
  $HITWIN distance "$tmp/t56.h5" -c "$tmp/gpu/best.safetensors" -o "$tmp/dg" --no-baselines --device cuda -q \
    > /dev/null 2> "$tmp/dg.err" || die "distance cuda: $(cat "$tmp/dg.err")"
  for m in pairwise cosine maps combined; do
    f=best_${m}_distances_raw.csv
    [ -f "$tmp/dg/$f" ] || { die "distance cuda wrote no $f"; continue; }
    paste -d, <(cut -d, -f4 "$tmp/dg/$f") <(cut -d, -f4 "$tmp/dc/$f") | awk -F, -v r=$DIST_RTOL -v s=$DIST_STOL -v m=$m '
      NR == 1 { next }
      { g[NR] = $1; c[NR] = $2; a = $2 < 0 ? -$2 : $2; if (a > mx) mx = a; n = NR }
      END {
        for (i = 2; i <= n; i++) {
          d = g[i] - c[i]; if (d < 0) d = -d; a = c[i] < 0 ? -c[i] : c[i]
          if (d > worst) worst = d
          if (!(d <= r * a + s * mx)) bad++
        }
        printf "  SMaxViT %s: %d pairs, max|gpu - cpu| %.3g (max|cpu| %.3g), %d outside\n", m, n - 1, worst, mx, bad
        exit (bad > 0 || n < 2) }' || die "SMaxViT distance $m: cuda differs from cpu beyond the tolerance"
  done
  # SMaxViTMulti: one epoch, cuda vs cpu
  sed -e 's/^model: SMaxViT$/model: SMaxViTMulti/' -e 's/^epochs: 2$/epochs: 1/' "$tmp/mv.yaml" > "$tmp/mvm.yaml"
  $HITWIN train "$tmp/mvm.yaml" --set output="$tmp/mcpu" --device cpu -q > /dev/null 2> "$tmp/mcpu.err" \
    || die "SMaxViTMulti cpu run: $(cat "$tmp/mcpu.err")"
  $HITWIN train "$tmp/mvm.yaml" --set output="$tmp/mgpu" --device cuda -q > /dev/null 2> "$tmp/mgpu.err" \
    || die "SMaxViTMulti cuda run: $(cat "$tmp/mgpu.err")"
  LOSS_RTOL=$MV_LOSS_RTOL close "$tmp/mgpu/metrics.jsonl" "$tmp/mcpu/metrics.jsonl" "SMaxViTMulti cuda vs cpu"
  ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
exit $fail
