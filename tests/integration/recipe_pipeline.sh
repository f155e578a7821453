# tests/integration/recipe_pipeline.sh, sourced by the recipe tests: simulate a data set,
# tile, train the default recipe, embed the held-out test chromosome and evaluate it.
# Needs: HITWIN, mpi (the mpiexec command line), tmp (a scratch directory), root (the
# repository), and
#   sim_config   a simulate config of configs/
#   tile_args    extra `hitwin tile` arguments (an array, may be empty)
#   epochs       the training's epoch limit
# and optionally
#   sim_per_mb   the simulation's depth (depth.contacts_per_mb) instead of the config's
#   sim_flags    extra `hitwin simulate` flags for both runs (an array, e.g. (--seed 2))

# recipe_pipeline NAME [simulate flags...]: $tmp/NAME/{tiles.h5,train/,dist/}
recipe_pipeline() {
  local name=$1
  shift
  local config="$root/configs/$sim_config"
  if [ -n "${sim_per_mb:-}" ]; then # the same config at another depth
    sed "s/contacts_per_mb: [0-9.e+]*/contacts_per_mb: $sim_per_mb/" "$config" > "$tmp/$name.sim.yaml"
    grep -q "contacts_per_mb: $sim_per_mb}" "$tmp/$name.sim.yaml" || { echo "FAIL: $config: no contacts_per_mb"; exit 1; }
    config="$tmp/$name.sim.yaml"
  fi
  $mpi $HITWIN simulate --config "$config" --out "$tmp/$name" --quiet ${sim_flags[@]+"${sim_flags[@]}"} "$@" \
    > /dev/null || { echo "FAIL: $name: simulate"; exit 1; }
  $mpi $HITWIN tile "$tmp/$name/dataset.yaml" "${tile_args[@]}" -o "$tmp/$name/tiles.h5" -q \
    > /dev/null || { echo "FAIL: $name: tile"; exit 1; }
  $mpi $HITWIN train "$root/configs/train-slenet.yaml" --set tiles="$tmp/$name/tiles.h5" \
    --set output="$tmp/$name/train" --set epochs="$epochs" --set batch_size=32 -q \
    > "$tmp/$name.train.log" 2>&1 || { echo "FAIL: $name: train"; cat "$tmp/$name.train.log"; exit 1; }
  mkdir -p "$tmp/$name/dist"
  $mpi $HITWIN distance "$tmp/$name/tiles.h5" --checkpoint "$tmp/$name/train/best.safetensors" \
    --split "${dist_split:-test}" -o "$tmp/$name/dist" -q > /dev/null 2>&1 || { echo "FAIL: $name: distance"; exit 1; }
}

# The real and the null run, both evaluated; the null truth lists the same sites with
# strength 0, which are scored as if changed. Writes $tmp/real.eval and $tmp/null.eval.
recipe_real_and_null() {
  recipe_pipeline real
  recipe_pipeline null --null
  awk 'BEGIN {OFS = "\t"} /^#/ {print; next} {$5 = 1; print}' "$tmp/null/truth.bed" > "$tmp/null/sites.bed"
  cmp -s <(cut -f1-3 "$tmp/real/truth.bed") <(cut -f1-3 "$tmp/null/sites.bed") || die "null sites differ from the real ones"
  $HITWIN evaluate "$tmp/real/dist/best_distances.h5" --truth "$tmp/real/truth.bed" > "$tmp/real.eval" \
    || die "evaluate (real)"
  $HITWIN evaluate "$tmp/null/dist/best_distances.h5" --truth "$tmp/null/sites.bed" > "$tmp/null.eval" \
    || die "evaluate (null)"
  echo "== real"; cat "$tmp/real.eval"
  echo "== null"; cat "$tmp/null.eval"
}

# auroc EVAL_FILE MEASURE: the AUROC column of a `hitwin evaluate` table
auroc() { awk -v m="$2" '$1 == m {print $2}' "$1" | head -1; }
# AUROC of the unclipped per-window difference (mean between - mean within): evaluate's scores table
diff_auroc() { awk -v m="$2" '/^measure +scoreAUC/ {t = 1; next} t && $1 == m {print $4; exit}' "$1"; }

# The method's claim on $tmp/real.eval and $tmp/null.eval (after recipe_real_and_null): the
# learned difference's AUROC of MEASURE (default pairwise, the embedding; hybrid is the
# default score of `hitwin distance`, combined its learned part) above every classical score's, and the null's within
# 0.5 +- 0.15. Failures go through the caller's die.
require_learned_beats_classical() {
  local measure=${1:-pairwise} learned b n m
  learned=$(diff_auroc "$tmp/real.eval" "$measure")
  for m in ssim pearson mse scc insulation; do
    b=$(diff_auroc "$tmp/real.eval" $m)
    awk -v l="$learned" -v b="$b" 'BEGIN {exit !(l != "" && b != "" && l > b)}' \
      || die "$measure difference AUROC $learned does not beat $m ($b)"
  done
  n=$(diff_auroc "$tmp/null.eval" "$measure")
  awk -v x="$n" 'BEGIN {exit !(x != "" && x >= 0.35 && x <= 0.65)}' || die "null: $measure AUROC $n outside 0.5 +- 0.15"
  echo "$measure difference AUROC over all windows: real $learned, null $n; every learned score" \
    "(real, null): $(for m in pairwise cosine maps combined hybrid; do
      printf '%s %s %s, ' $m "$(diff_auroc "$tmp/real.eval" $m)" "$(diff_auroc "$tmp/null.eval" $m)"; done)"
}
