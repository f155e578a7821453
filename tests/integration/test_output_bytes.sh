#!/usr/bin/env bash
# Byte-identical outputs (docs/bad-input.md, "Nothing half-written"): two runs of
# `hitwin tile` on the same input with the same rank count (1 and 2) write the same
# bytes, and so do two runs of `hitwin distance` (every file, the HDF5 one too). The
# runs are a second apart, in two directories, with the same relative output names:
# HDF5's object timestamps (H5Pset_obj_track_times) would differ, and are off.
# usage: test_output_bytes.sh   (env: HITWIN, MPIEXEC). Exit 0 pass, 1 fail, 77 skip.
set -u
[ -n "${HITWIN:-}" ] && [ -x "$HITWIN" ] || { echo "HITWIN is not set"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
mpi="${MPIEXEC:-mpiexec} --oversubscribe"
tmp=$(mktemp -d /tmp/hw_output_bytes_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
die() { echo "FAIL: $*"; fail=1; }

"$HITWIN" simulate --preset small --out "$tmp/sim" --quiet > /dev/null || { echo "FAIL: simulate"; exit 1; }
for np in 1 2; do
  for run in a b; do
    mkdir -p "$tmp/n$np$run"
    (cd "$tmp/n$np$run" && $mpi -n $np "$HITWIN" tile "$tmp/sim/dataset.yaml" --set tile_size=32 --set stride=16 \
      -o t.h5 -q > /dev/null) || die "tile on $np rank(s), run $run"
    sleep 1
  done
  cmp "$tmp/n${np}a/t.h5" "$tmp/n${np}b/t.h5" || die "two tile runs on $np rank(s) differ"
done
printf 'tiles: %s\nbatch_size: 16\nepochs: 1\noutput: run\n' "$tmp/n2a/t.h5" > "$tmp/train.yaml"
$mpi -n 2 "$HITWIN" train "$tmp/train.yaml" -q > /dev/null || die "train"
for run in a b; do
  (cd "$tmp" && $mpi -n 2 "$HITWIN" distance n2a/t.h5 -c run/best.safetensors -o "d$run" -q > /dev/null) \
    || die "distance run $run"
  sleep 1
done
[ "$(ls "$tmp/da" | wc -l)" -gt 10 ] || die "distance wrote $(ls "$tmp/da" | wc -l) files"
for f in "$tmp"/da/*; do
  cmp "$f" "$tmp/db/${f##*/}" || die "two distance runs differ in ${f##*/}"
done
[ $fail = 0 ] && echo "tile (1 and 2 ranks) and distance: byte-identical across runs"
exit $fail
