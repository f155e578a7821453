#!/usr/bin/env bash
# Cross-fitting end to end (docs/train.md `folds`, docs/distance.md "Cross-fitted
# checkpoints"), on a small custom genome with two training chromosomes at tile 32, trained
# with pairs: edits and technical augmentation (so those paths run end to end too):
#   - folds: 2 writes fold0/ and fold1/ and links best.safetensors to fold 0's;
#   - distance from the link, from fold0's and from fold1's checkpoint gives the same
#     cross-fitted distances, and its config says cross_fit;
#   - errors: more folds than training chromosomes, a missing fold checkpoint.
# usage: test_cross_fit_pipeline.sh   (env: HITWIN, MPIEXEC)
set -u
mpi="${MPIEXEC:-mpiexec} -n 2 --oversubscribe"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
tmp=$(mktemp -d /tmp/hw_cross_fit_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }

cat > "$tmp/sim.yaml" <<YAML
genome:
  chromosomes: [{name: chr1, length: 6000000}, {name: chr2, length: 3000000},
                {name: chr18, length: 3000000}, {name: chr3, length: 4000000}]
max_distance: 2000000
changes: [{kind: loop_loss, count: 2, strength: 1.0}, {kind: boundary_loss, count: 1, strength: 1.0}]
YAML
$HITWIN simulate --config "$tmp/sim.yaml" --out "$tmp/sim" --quiet > /dev/null || { echo "simulate failed"; exit 1; }
$HITWIN tile "$tmp/sim/dataset.yaml" --set tile_size=32 --set stride=32 -o "$tmp/t.h5" -q > /dev/null \
  || { echo "tile failed"; exit 1; }
cat > "$tmp/train.yaml" <<YAML
tiles: $tmp/t.h5
batch_size: 16
epochs: 1
learning_rate: 1.0e-3
pairs: edits
technical: 1
folds: 2
output: $tmp/run
YAML
train() { $mpi $HITWIN train "$tmp/train.yaml" "$@" -q; }
train > "$tmp/train.out" 2> "$tmp/train.err" || die "train: $(cat "$tmp/train.err")"
for k in 0 1; do
  [ -f "$tmp/run/fold$k/best.safetensors" ] && [ -f "$tmp/run/fold$k/metrics.jsonl" ] || die "no fold$k run"
done
[ "$(readlink "$tmp/run/best.safetensors")" = fold0/best.safetensors ] || die "best.safetensors is not a link to fold 0's"
[ "$(readlink "$tmp/run/best_nn.safetensors")" = fold0/best_nn.safetensors ] || die "best_nn.safetensors is not a link"

for c in best fold0 fold1; do
  ck=$tmp/run/best.safetensors
  [ $c != best ] && ck=$tmp/run/$c/best.safetensors
  mkdir -p "$tmp/d_$c"
  $mpi $HITWIN distance "$tmp/t.h5" --checkpoint "$ck" -o "$tmp/d_$c" --no-baselines -q > /dev/null 2> "$tmp/d_$c.err" \
    || die "distance from $c: $(cat "$tmp/d_$c.err")"
done
h5dump -a /config "$tmp/d_best/best_distances.h5" | grep -q "cross_fit: every window" || die "config does not say cross_fit"
for c in fold0 fold1; do
  for q in pairwise cosine; do
    h5diff -d 1e-12 "$tmp/d_best/best_distances.h5" "$tmp/d_$c/best_distances.h5" /pairs/$q /pairs/$q > /dev/null \
      || die "cross-fitted $q from $c differs from the one given best.safetensors"
  done
done

# errors: one line each, exit 1
out=$(train --set folds=3 --set output="$tmp/run3" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] || die "folds 3: exit $rc"
[ "$(echo "$out" | grep -c 'hitwin: error:')" = 1 ] || die "folds 3: not one error line: $out"
echo "$out" | grep -qF "hitwin: error: $tmp/t.h5: folds 3: only 2 chromosomes with training windows (lower folds, or set folds: 1)" \
  || die "folds 3 message: $out"
rm "$tmp/run/fold1/best.safetensors"
mkdir -p "$tmp/d_missing"
out=$($mpi $HITWIN distance "$tmp/t.h5" --checkpoint "$tmp/run/best.safetensors" -o "$tmp/d_missing" -q 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] || die "missing fold: exit $rc"
echo "$out" | grep -q "fold1/best.safetensors" || die "missing fold: message does not name it: $out"
[ -z "$(ls "$tmp/d_missing")" ] || die "missing fold: outputs left behind"
[ $fail = 0 ] && echo PASS
exit $fail
