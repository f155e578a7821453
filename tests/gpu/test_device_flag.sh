#!/usr/bin/env bash
# --device of `hitwin train`, `hitwin distance` and `hitwin saliency` where no GPU can be used
# (runs everywhere: CUDA_VISIBLE_DEVICES= hides any GPU, so a GPU machine checks the same
# messages):
#   - --device cuda: one exact line, exit 1, nothing written (1 and 2 ranks; the message says
#     whether the build lacks the CUDA backend or the process sees no device; saliency does
#     not even create its -o directory);
#   - --device bogus, --set device=bogus, `device: bogus` in the YAML, --precision fp16,
#     --set precision=fp16: exact messages;
#   - MaxViT (SMaxViT, SMaxViTMulti) has a GPU model too: --device cuda gives the same no-device
#     line (train 1 and 2 ranks, distance), after the one line that refuses bf16 for it;
#   - --device auto without a visible GPU is the CPU path: the same metrics and weights
#     (params_hash) as --device cpu, the same distances, the same saliency file and tracks.
# usage: test_device_flag.sh TRAIN_FIXTURE   (env: HITWIN, MPIEXEC)
set -u
fixture=$1
mpi="${MPIEXEC:-mpiexec} -n 2 --oversubscribe"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 CUDA_VISIBLE_DEVICES=
tmp=$(mktemp -d /tmp/hw_device_flag_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }
expect() { # expect NAME STATUS "MESSAGE" CMD...
  local name=$1 want=$2 msg=$3; shift 3
  "$@" > /dev/null 2> "$tmp/err.txt"; local rc=$?
  local out; out=$(grep '^hitwin:' "$tmp/err.txt")
  [ $rc = "$want" ] || die "$name: exit status $rc, expected $want"
  [ "$out" = "hitwin: error: $msg" ] || die "$name: got '$out'
  expected 'hitwin: error: $msg'"
}

if $HITWIN version | grep -q '^cuda backend: built'; then
  nodev="device cuda: no CUDA device is visible to this process (check nvidia-smi and CUDA_VISIBLE_DEVICES, or use --device cpu)"
else
  nodev="device cuda: this hitwin was built without the CUDA backend (rebuild where nvcc is found, with -DHITWIN_ENABLE_CUDA=ON, or use --device cpu)"
fi

"$fixture" "$tmp/t.h5" normal 32 12 6 || { echo "fixture failed"; exit 1; }
printf 'tiles: t.h5\nbatch_size: 8\nepochs: 2\nlearning_rate: 1.0e-3\noutput: out\n' > "$tmp/train.yaml"

# ---- cuda without a device: one line, exit 1, nothing written ----------------------------
expect "train --device cuda" 1 "$nodev" $HITWIN train "$tmp/train.yaml" --device cuda
[ -e "$tmp/out" ] && die "train --device cuda wrote $tmp/out"
expect "train --device cuda, 2 ranks" 1 "$nodev" $mpi -x CUDA_VISIBLE_DEVICES $HITWIN train "$tmp/train.yaml" --device cuda
[ -e "$tmp/out" ] && die "train --device cuda (2 ranks) wrote $tmp/out"
printf 'device: cuda\n' >> "$tmp/train.yaml"
expect "train device: cuda" 1 "$nodev" $HITWIN train "$tmp/train.yaml"
[ -e "$tmp/out" ] && die "train with device: cuda wrote $tmp/out"
sed -i '/^device:/d' "$tmp/train.yaml"

# ---- bad values ------------------------------------------------------------------------------
expect "train --device bogus" 2 "--device bogus: expected cpu, cuda or auto" \
  $HITWIN train "$tmp/train.yaml" --device bogus
expect "train --set device=bogus" 1 "--set device: must be cpu, cuda or auto, got 'bogus'" \
  $HITWIN train "$tmp/train.yaml" --set device=bogus
printf 'tiles: t.h5\ndevice: bogus\n' > "$tmp/bad.yaml"
expect "train device: bogus" 1 "$tmp/bad.yaml:2: 'device' must be cpu, cuda or auto, got 'bogus'" \
  $HITWIN train "$tmp/bad.yaml"
expect "train --precision fp16" 2 "--precision fp16: expected bf16 or fp32" \
  $HITWIN train "$tmp/train.yaml" --precision fp16
expect "train --set precision=fp16" 1 "--set precision: must be bf16 or fp32, got 'fp16'" \
  $HITWIN train "$tmp/train.yaml" --set precision=fp16
[ -e "$tmp/out" ] && die "a bad device or precision wrote $tmp/out"

# ---- auto without a GPU = cpu ------------------------------------------------------------------
$HITWIN train "$tmp/train.yaml" --set output="$tmp/cpu" -q > /dev/null 2>&1 || die "cpu run"
$HITWIN train "$tmp/train.yaml" --set output="$tmp/auto" --device auto -q > /dev/null 2>&1 || die "auto run"
fields() { sed -E 's/"(pairs_per_s|train_seconds|seconds)": [^,]*, //g' "$1"; }
if ! diff <(fields "$tmp/cpu/metrics.jsonl") <(fields "$tmp/auto/metrics.jsonl") > "$tmp/diff.txt"; then
  die "--device auto without a GPU differs from --device cpu:"; cat "$tmp/diff.txt" >&2
fi

# ---- distance -----------------------------------------------------------------------------------
ck="$tmp/cpu/best.safetensors"
mkdir -p "$tmp/dc" "$tmp/da" "$tmp/dx"
expect "distance --device cuda" 1 "$nodev" $HITWIN distance "$tmp/t.h5" -c "$ck" -o "$tmp/dx" --device cuda
[ -z "$(ls -A "$tmp/dx")" ] || die "distance --device cuda wrote files"
expect "distance --device cuda, 2 ranks" 1 "$nodev" \
  $mpi -x CUDA_VISIBLE_DEVICES $HITWIN distance "$tmp/t.h5" -c "$ck" -o "$tmp/dx" --device cuda
[ -z "$(ls -A "$tmp/dx")" ] || die "distance --device cuda (2 ranks) wrote files"
expect "distance --device bogus" 2 "--device bogus: expected cpu, cuda or auto" \
  $HITWIN distance "$tmp/t.h5" -c "$ck" -o "$tmp/dx" --device bogus
$HITWIN distance "$tmp/t.h5" -c "$ck" -o "$tmp/dc" -q > /dev/null 2>&1 || die "distance cpu"
$HITWIN distance "$tmp/t.h5" -c "$ck" -o "$tmp/da" --device auto -q > /dev/null 2>&1 || die "distance auto"
for f in best_pairwise_distances_raw.csv best_cosine_distances_raw.csv best_ssim_distances_raw.csv; do
  cmp -s "$tmp/dc/$f" "$tmp/da/$f" || die "distance --device auto without a GPU: $f differs from cpu"
done

# ---- MaxViT: it has a GPU model (gpu_maxvit.h), so --device cuda looks for a device as SLeNet's
# does: the same no-device line, exit 1, nothing written; bf16 (the default precision) is
# refused first, the GPU MaxViT being fp32 only; --device auto without a GPU trains on the CPU
"$fixture" "$tmp/t56.h5" normal 56 4 2 || { echo "fixture (56) failed"; exit 1; }
printf 'tiles: t56.h5\nmodel: SMaxViT\nmaxvit:\n  stem: 8\n  channels: [8, 16]\n  depths: [1, 2]\n  head_dim: 4\nbatch_size: 4\nepochs: 1\noutput: mv\n' > "$tmp/mv.yaml"
fp32only="--device cuda: model SMaxViT runs in fp32 only on the GPU (set precision: fp32, or --precision fp32)"
expect "train SMaxViT --device cuda (bf16)" 1 "$fp32only" $HITWIN train "$tmp/mv.yaml" --device cuda
[ -e "$tmp/mv" ] && die "train SMaxViT --device cuda (bf16) wrote $tmp/mv"
expect "train SMaxViT --device cuda --precision fp32" 1 "$nodev" \
  $HITWIN train "$tmp/mv.yaml" --device cuda --precision fp32
[ -e "$tmp/mv" ] && die "train SMaxViT --device cuda wrote $tmp/mv"
expect "train SMaxViT --device cuda --precision fp32, 2 ranks" 1 "$nodev" \
  $mpi -x CUDA_VISIBLE_DEVICES $HITWIN train "$tmp/mv.yaml" --device cuda --precision fp32
[ -e "$tmp/mv" ] && die "train SMaxViT --device cuda (2 ranks) wrote $tmp/mv"
sed 's/^model: SMaxViT$/model: SMaxViTMulti/' "$tmp/mv.yaml" > "$tmp/mvm.yaml"
expect "train SMaxViTMulti --device cuda --precision fp32" 1 "$nodev" \
  $HITWIN train "$tmp/mvm.yaml" --device cuda --precision fp32
[ -e "$tmp/mv" ] && die "train SMaxViTMulti --device cuda wrote $tmp/mv"
$HITWIN train "$tmp/mv.yaml" --device auto -q > /dev/null 2> "$tmp/err.txt" || { die "SMaxViT --device auto run"; cat "$tmp/err.txt" >&2; }
mck="$tmp/mv/best.safetensors"
mkdir -p "$tmp/mdx"
expect "distance SMaxViT --device cuda" 1 "$nodev" $HITWIN distance "$tmp/t56.h5" -c "$mck" -o "$tmp/mdx" --device cuda
[ -z "$(ls -A "$tmp/mdx")" ] || die "distance SMaxViT --device cuda wrote files"

# ---- saliency -------------------------------------------------------------------------------------
sal=("$tmp/t.h5" -c "$ck" --steps 3 --every 2)
expect "saliency --device cuda" 1 "$nodev" $HITWIN saliency "${sal[@]}" -o "$tmp/sx" --device cuda
[ -e "$tmp/sx" ] && die "saliency --device cuda created $tmp/sx"
expect "saliency --device cuda, 2 ranks" 1 "$nodev" \
  $mpi -x CUDA_VISIBLE_DEVICES $HITWIN saliency "${sal[@]}" -o "$tmp/sx" --device cuda
[ -e "$tmp/sx" ] && die "saliency --device cuda (2 ranks) created $tmp/sx"
expect "saliency --device bogus" 2 "--device bogus: expected cpu, cuda or auto" \
  $HITWIN saliency "${sal[@]}" -o "$tmp/sx" --device bogus
[ -e "$tmp/sx" ] && die "saliency --device bogus created $tmp/sx"
$HITWIN saliency "${sal[@]}" -o "$tmp/sc" -q > /dev/null 2>&1 || die "saliency cpu"
$HITWIN saliency "${sal[@]}" -o "$tmp/sa" --device auto -q > /dev/null 2>&1 || die "saliency auto"
h5diff "$tmp/sc/saliency.h5" "$tmp/sa/saliency.h5" > "$tmp/diff.txt" 2>&1 \
  || { die "saliency --device auto without a GPU: saliency.h5 differs from cpu"; head "$tmp/diff.txt" >&2; }
for f in condition_saliency replicate_saliency condition_features replicate_features; do
  cmp -s "$tmp/sc/$f.bedgraph" "$tmp/sa/$f.bedgraph" || die "saliency --device auto without a GPU: $f.bedgraph differs from cpu"
done
exit $fail
