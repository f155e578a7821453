#!/usr/bin/env bash
# `hitwin train` end to end on simulated data (hitwin simulate + hitwin tile at
# tile 32 so that it takes seconds):
#   - a run killed part way (--stop-after-steps, after a mid-epoch state) and
#     continued with --resume reaches bit-identical weights and the same metrics
#     as an uninterrupted run (2 ranks, n_aug 1, dropout on);
#   - metrics.jsonl, the best checkpoint and the state are where docs/train.md says;
#   - bad input: one line each (exact text), exit 1, every rank stops.
# usage: test_train_cli.sh TRAIN_FIXTURE   (env: HITWIN, MPIEXEC)
set -u
fixture=$1
mpi="${MPIEXEC:-mpiexec} -n 2 --oversubscribe"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
tmp=$(mktemp -d /tmp/hw_train_cli_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }

# ---- data ---------------------------------------------------------------------------
$HITWIN simulate --preset small --out "$tmp/sim" --quiet > /dev/null || { echo "simulate failed"; exit 1; }
$HITWIN tile "$tmp/sim/dataset.yaml" --set tile_size=32 --set stride=32 -o "$tmp/t32.h5" -q > /dev/null \
  || { echo "tile failed"; exit 1; }
cat > "$tmp/train.yaml" <<YAML
tiles: t32.h5
pairs: condition
batch_size: 16
epochs: 3
patience: 10
learning_rate: 1.0e-3
n_aug: 1
checkpoint_every_steps: 10
output: full
YAML

# ---- uninterrupted vs killed + resumed (2 ranks) --------------------------------------
$mpi $HITWIN train "$tmp/train.yaml" -q > "$tmp/full.out" 2> "$tmp/full.err" || die "full run: $(cat "$tmp/full.err")"
[ -f "$tmp/full/best.safetensors" ] && [ -f "$tmp/full/best_nn.safetensors" ] || die "no best checkpoint"
[ -f "$tmp/full/state.bin" ] || die "no state.bin"
[ "$(wc -l < "$tmp/full/metrics.jsonl")" = 3 ] || die "metrics.jsonl should have 3 lines"
grep -q '^epoch   3  train' "$tmp/full.out" || die "no epoch line on stdout"
# 450 pairs / 16 = 29 steps per epoch: stop at step 45 (epoch 2), the last state is step 40
$mpi $HITWIN train "$tmp/train.yaml" --set output="$tmp/killed" --stop-after-steps 45 -q > /dev/null 2> "$tmp/k1.err" \
  || die "killed run: $(cat "$tmp/k1.err")"
[ "$(wc -l < "$tmp/killed/metrics.jsonl")" = 1 ] || die "killed run should have logged 1 epoch"
$mpi $HITWIN train "$tmp/train.yaml" --set output="$tmp/killed" --resume > /dev/null 2> "$tmp/k2.err" \
  || die "resumed run: $(cat "$tmp/k2.err")"
grep -q "resuming from .*killed/state.bin: epoch 1 done, batch 11 of epoch 2, step 40" "$tmp/k2.err" \
  || die "resume did not start from the mid-epoch state: $(grep resum "$tmp/k2.err")"
fields() { sed -E 's/"(pairs_per_s|train_seconds|seconds)": [^,]*, //g' "$1"; }
if ! diff <(fields "$tmp/full/metrics.jsonl") <(fields "$tmp/killed/metrics.jsonl") > "$tmp/diff.txt"; then
  die "resumed run differs from the uninterrupted one:"; cat "$tmp/diff.txt" >&2
fi
# tiles held in memory (train_preload.h) change the speed, never the numbers: the run
# above had them all resident (auto, the resumed run says so); none (0) and some (1 MiB: 64 windows of 16 KiB)
# give the same metrics bit for bit
grep -q "tiles in memory: [0-9]* windows, [0-9]* MiB per rank (read in" "$tmp/k2.err" || die "no resident-tiles line: $(grep memory "$tmp/k2.err")"
for mb in 0 1; do
  $mpi $HITWIN train "$tmp/train.yaml" --set output="$tmp/mem$mb" --set tile_memory_mb=$mb > /dev/null 2> "$tmp/mem$mb.err" \
    || die "tile_memory_mb=$mb run: $(cat "$tmp/mem$mb.err")"
  diff <(fields "$tmp/full/metrics.jsonl") <(fields "$tmp/mem$mb/metrics.jsonl") > /dev/null \
    || die "tile_memory_mb=$mb changes the run"
done
grep -q "tiles in memory" "$tmp/mem0.err" && die "tile_memory_mb=0 still holds tiles"
grep -q "tiles in memory: 64 of [0-9]* windows, 1 MiB per rank (tile_memory_mb set); the rest are read from the store per batch" "$tmp/mem1.err" \
  || die "tile_memory_mb=1: $(grep memory "$tmp/mem1.err")"
# resuming a finished run does nothing and changes nothing
$mpi $HITWIN train "$tmp/train.yaml" --set output="$tmp/killed" --resume -q > /dev/null 2>&1 || die "resume of a finished run"
[ "$(wc -l < "$tmp/killed/metrics.jsonl")" = 3 ] || die "a finished run was continued"
# a state with another trajectory config is refused

# ---- SIGKILL part way (1 rank, no mpiexec), then --resume: the same as uninterrupted ----------
$HITWIN train "$tmp/train.yaml" --set output="$tmp/full1" --set batch_size=8 --set checkpoint_every_steps=3 -q \
  > /dev/null 2>&1 || die "1-rank full run"
$HITWIN train "$tmp/train.yaml" --set output="$tmp/k9" --set batch_size=8 --set checkpoint_every_steps=3 -q \
  > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 500); do [ -f "$tmp/k9/state.bin" ] && break; sleep 0.01; done
kill -9 $pid 2> /dev/null; wait $pid; st=$?
[ $st = 137 ] || echo "note: the run ended (status $st) before SIGKILL"
$HITWIN train "$tmp/train.yaml" --set output="$tmp/k9" --set batch_size=8 --set checkpoint_every_steps=3 --resume \
  > /dev/null 2> "$tmp/k9.err" || die "resume after SIGKILL: $(cat "$tmp/k9.err")"
if ! diff <(fields "$tmp/full1/metrics.jsonl") <(fields "$tmp/k9/metrics.jsonl") > "$tmp/diff.txt"; then
  die "run resumed after SIGKILL differs from the uninterrupted one:"; cat "$tmp/diff.txt" >&2
fi

# ---- bad input ----------------------------------------------------------------------
expect() { # expect NAME "MESSAGE" CMD...
  local name=$1 msg=$2; shift 2
  # mpiexec adds its own notes about the exit status: keep hitwin's lines
  "$@" > /dev/null 2> "$tmp/err.txt"; local rc=$?
  local out; out=$(grep '^hitwin:' "$tmp/err.txt")
  [ $rc = 1 ] || die "$name: exit status $rc, expected 1"
  [ "$out" = "hitwin: error: $msg" ] || die "$name: got '$out'
  expected 'hitwin: error: $msg'"
}
printf 'tiles: s.h5\npairs: condition\nbatch_size: 8\nepochs: 2\noutput: bad\n' > "$tmp/bad.yaml"
for k in noval oneclass nan normal; do "$fixture" "$tmp/$k.h5" $k 32 12 6 || die "fixture $k"; done
"$fixture" "$tmp/t48.h5" normal 48 12 6 || die "fixture t48"
expect "no validation split" "$tmp/noval.h5: no validation windows with 2 kept tiles (split 1 of /windows/split is empty or rejected by QC)" \
  $mpi $HITWIN train "$tmp/bad.yaml" --set tiles="$tmp/noval.h5"
"$fixture" "$tmp/notrain.h5" normal 32 0 6 || die "fixture notrain"
expect "no training split" "$tmp/notrain.h5: no training windows with 2 kept tiles (split 0 of /windows/split is empty or rejected by QC)" \
  $mpi $HITWIN train "$tmp/bad.yaml" --set tiles="$tmp/notrain.h5"
expect "no store" "$tmp/none.h5: no such file ('tiles' in $tmp/bad.yaml)" \
  $mpi $HITWIN train "$tmp/bad.yaml" --set tiles="$tmp/none.h5"
expect "one label" "$tmp/oneclass.h5: the training split has no pairs of label 1 (different condition)" \
  $mpi $HITWIN train "$tmp/bad.yaml" --set tiles="$tmp/oneclass.h5"
expect "NaN loss" "non-finite training loss (nan) in epoch 1, batch 1 of 9 (step 1); a tile with NaN/inf values, or lower learning_rate" \
  $mpi $HITWIN train "$tmp/bad.yaml" --set tiles="$tmp/nan.h5" --set output="$tmp/nanrun" -q
$mpi $HITWIN train "$tmp/bad.yaml" --set tiles="$tmp/normal.h5" --set output="$tmp/shape" --set epochs=1 -q > /dev/null 2>&1 \
  || die "normal fixture run"
expect "state without --resume" "$tmp/shape/state.bin: a run is already there (pass --resume to continue it, or choose another output)" \
  $mpi $HITWIN train "$tmp/bad.yaml" --set tiles="$tmp/normal.h5" --set output="$tmp/shape"
expect "another shape" "$tmp/shape/state.bin: checkpoint of another shape: tensor linear.1.weight is [120, 400] in the file, [120, 1296] in this model" \
  $mpi $HITWIN train "$tmp/bad.yaml" --set tiles="$tmp/t48.h5" --set output="$tmp/shape" --resume
expect "config change on resume" "$tmp/killed/state.bin: the state was written with another config (state: 'learning_rate: 0.001', this run: 'learning_rate: 0.01')" \
  $mpi $HITWIN train "$tmp/train.yaml" --set output="$tmp/killed" --set learning_rate=0.01 --resume
expect "no tiles" "$tmp/bad.yaml: 'tiles' is not set (the tile store to train on)" \
  $HITWIN train "$tmp/bad.yaml" --set tiles=
exit $fail
