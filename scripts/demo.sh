#!/usr/bin/env bash
# The demo pipeline, from a fresh Debian 12 machine: install dependencies, build,
# simulate a small 2+2 replicate data set with planted differences, and run every
# stage on it with 2 MPI ranks: simulate, tile, train, distance, evaluate, saliency, features,
# and draws their figures (plot).
#   usage: bash scripts/demo.sh [OUTPUT_DIR]    (default demo-out/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo-out}
mkdir -p "$out" && out=$(cd "$out" && pwd) # absolute: train reads paths relative to its config

bash scripts/install-deps.sh
if [ ! -x build/hitwin ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j"$(nproc 2>/dev/null || echo 2)"
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() { echo "+ $*"; "$@"; }

echo "== 1. simulate: 3 chromosomes at 10 kb, control and treatment, 2 replicates each, 7 strong"
echo "   planted changes (configs/simulate-recipe.yaml: about half the windows unchanged)"
run mpiexec -n 2 --oversubscribe build/hitwin simulate --config configs/simulate-recipe.yaml --out "$out"
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
echo "== 4. train: SLeNet Siamese network, contrastive + classifier loss, 3 epochs (a demo, not a recipe), 2 ranks"
rm -rf "$out/train" # a run left by an earlier demo: train refuses to overwrite one without --resume
run mpiexec -n 2 --oversubscribe build/hitwin train configs/train-slenet.yaml \
    --set tiles="$out/tiles.h5" --set output="$out/train" --set epochs=3 --set batch_size=32

echo
echo "== 5. distance: embed every tile once, distances for every pair of samples at every window"
echo "   (the held-out test chromosome: scores on training windows say little, docs/recipe.md)"
mkdir -p "$out/distance"
run mpiexec -n 2 --oversubscribe build/hitwin distance "$out/tiles.h5" --split test \
    --checkpoint "$out/train/best.safetensors" -o "$out/distance"

echo
echo "== 6. evaluate: how well each score finds the planted changes"
run build/hitwin evaluate "$out/distance/best_distances.h5" --truth "$out/truth.bed"
echo "(3 epochs on one 24 Mb training chromosome and 50 test windows: a demo of the pipeline,"
echo " not of the method. With enough training data the learned scores beat SSIM, Pearson and"
echo " MSE: docs/recipe.md, and ctest -L slow runs that comparison.)"
echo
echo "== 7. saliency: feature maps and integrated gradients (100 steps) of the condition pairs on"
echo "   the test chromosome, every 4th window (the strips stay covered), strips per chromosome"
rm -rf "$out/saliency"
run mpiexec -n 2 --oversubscribe build/hitwin saliency "$out/tiles.h5" --split test \
    --checkpoint "$out/train/best.safetensors" --pairs condition --every 4 -o "$out/saliency" -q

echo
echo "== 8. features: calls on the condition feature strip (BED for IGV / bedtools); the 3-epoch"
echo "   model gives no call of the default size at the default quantile 0.999: 0.99, spans >= 5 bins"
run build/hitwin features "$out/saliency/saliency.h5" -o "$out/saliency" --quantile 0.99 --min-size 5
echo "the strongest calls (BED9; the name holds the separation range, mean and peak as IGV gffTags):"
grep -v '^track\|^#' "$out/saliency/features.bed" | sort -t$'\t' -k5,5nr | head -n 5

echo
echo "== 9. plot: the figures (docs/plot.md), PNG here; .svg or .pdf by the extension"
mkdir -p "$out/figures"
run build/hitwin plot training "$out/train" -o "$out/figures/training.png"
run build/hitwin plot distances "$out/distance/best_distances.h5" -o "$out/figures/distances.png" \
    --measure hybrid,combined --truth "$out/truth.bed"
run build/hitwin plot hist "$out/distance/best_distances.h5" -o "$out/figures/hist.png" --measure hybrid,combined,pairwise,maps,pearson,scc
run build/hitwin plot evaluate "$out/distance/best_distances.h5" --truth "$out/truth.bed" -o "$out/figures/roc.png"
# the test chromosome's first planted change, its maps with the saliency strip and feature calls beneath
# the test chromosome (its strips are in saliency.h5): 3 Mb around its first planted change
test_chrom=$(sed -n 's/^ *test: *\[\([^],]*\).*/\1/p' "$out/dataset.yaml")
region=$(awk -v c="$test_chrom" '$1 == c { s = $2 - 1000000; if (s < 0) s = 0; print c ":" s "-" s + 3000000; exit }' "$out/truth.bed")
run build/hitwin plot region "$out/dataset.yaml" --region "${region:-$test_chrom:0-3000000}" -o "$out/figures/region.png" \
    --saliency "$out/saliency/saliency.h5" --features "$out/saliency/features.bed"
echo
echo "Outputs are in $out/: tiles.h5 (docs/tile-store.md), train/ (checkpoints, metrics.jsonl),"
echo "distance/ (HDF5, the reference's CSVs, bedGraph tracks for IGV/HiGlass; docs/distance.md),"
echo "saliency/ (maps and strips in HDF5, bedGraph tracks, features.bed; docs/saliency.md),"
echo "figures/ (training curves, distance tracks, KDEs, ROC curves, a region's maps; docs/plot.md)."
