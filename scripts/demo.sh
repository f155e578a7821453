#!/usr/bin/env bash
# The demo pipeline, from a fresh Debian 12 machine: install dependencies, build,
# simulate a small 2+2 replicate data set with planted differences, and run every
# stage that has landed on it with 2 MPI ranks.
#   usage: bash scripts/demo.sh [OUTPUT_DIR]    (default demo-out/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo-out}

bash scripts/install-deps.sh
if [ ! -x build/hitwin ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j"$(nproc 2>/dev/null || echo 2)"
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() { echo "+ $*"; "$@"; }

echo "== 1. simulate: 3 chromosomes at 10 kb, control and treatment, 2 replicates each"
run mpiexec -n 2 --oversubscribe build/hitwin simulate --preset small --out "$out"
echo "planted differences ($out/truth.bed):"
cat "$out/truth.bed"

echo
echo "== 2. inspect one replicate"
run build/hitwin info "$out/control_R1.mcool"
run build/hitwin dump "$out/control_R1.mcool" chr1:1000000-1030000 --resolution 10000 | head -n 5

echo
echo "== 3. tile: 224 x 224-bin tiles along the diagonal into one HDF5 store"
run mpiexec -n 2 --oversubscribe build/hitwin tile "$out/dataset.yaml"
echo
echo "Tiles are in $out/tiles.h5 (layout: docs/tile-store.md). Training, distances and"
echo "evaluation stages join this demo as they land."
