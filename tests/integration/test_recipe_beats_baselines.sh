#!/usr/bin/env bash
# The method's claim (docs/recipe.md): on enough data, the learned Twins score separates
# windows with a planted change from the rest better than the classical image scores.
# Simulate configs/simulate-recipe-medium.yaml (8 chromosomes, 205 Mb, 28 strong changes;
# 490 training windows of 224 bins), tile, train the DEFAULT recipe (no dropout, flip,
# thinning, log1p, off-diagonal max) for at most 10 epochs, embed the held-out chr2 (135
# windows, 59 with a change) and require:
#   - the pairwise Twins score's AUROC above every baseline's (SSIM, Pearson, MSE; measured
#     0.759 / 0.786 / 0.750 over seeds 30004 / 1 / 2 against 0.659 / 0.681 / 0.695);
#   - the null simulation (same sites, nothing changed) within 0.5 +- 0.15 (chance sd with
#     59 / 76 windows is ~0.05; measured 0.502).
# Label slow: about 6 minutes on 2 cores (5.5 measured), so not in the default (CI) run:
#   ctest -L slow   or   HITWIN=build/hitwin tests/integration/test_recipe_beats_baselines.sh
set -u
mpi="${MPIEXEC:-mpiexec} -n 2 --oversubscribe"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/hw_recipe_medium_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }

sim_config=simulate-recipe-medium.yaml
tile_args=()
epochs=10
. "$root/tests/integration/recipe_pipeline.sh"

recipe_real_and_null

learned=$(auroc "$tmp/real.eval" pairwise)
for m in ssim pearson mse; do
  b=$(auroc "$tmp/real.eval" $m)
  awk -v l="$learned" -v b="$b" 'BEGIN {exit !(l != "" && b != "" && l > b)}' \
    || die "pairwise Twins score AUROC $learned does not beat $m ($b)"
done
n=$(auroc "$tmp/null.eval" pairwise)
awk -v x="$n" 'BEGIN {exit !(x != "" && x >= 0.35 && x <= 0.65)}' || die "null: pairwise AUROC $n outside 0.5 +- 0.15"
echo "pairwise Twins score AUROC: real $learned, null $n"
[ $fail = 0 ] && echo "PASS"
exit $fail
