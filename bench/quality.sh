#!/usr/bin/env bash
# bench/quality.sh: does the learned distance find structural change on data as hard as real
# data, and does it beat what a user would pick instead? The whole pipeline, as a user runs it
# (simulate -> tile -> train with configs/train-slenet.yaml -> distance over all windows),
# on several simulated sets with known truth, the null beside each, several training seeds,
# and every score in one table (bench/quality_table.py, with the null AUROC's sampling band): the scores from the model
# (hybrid, the default: combined with Pearson's beside it; combined, its parts pairwise and maps, and cosine; unclipped diff = mean between - mean within over the window and its neighbours
# (hitwin distance's default --neighbours 2), the same from the window's own pairs ("own"),
# and its z) next to the classical
# ones (SSIM, Pearson of log1p, MSE, HiCRep SCC, insulation difference), AUROC / AP over all
# windows and on the held-out test chromosome, Spearman rho against the changed fraction for
# the dense (genome-wide) sets: the mean occupancy loss over the window (truth.bedgraph), and
# the visible change (bench/quality_change.py, rows "SET:change"). Not a CTest: it takes about
# an hour on 2 cores.
#
#   usage: bench/quality.sh [BUILD_DIR] [SETS] [SEEDS]
#     SETS   names from the table below (default: all), e.g. "real-sparse synth-sparse"
#     SEEDS  training seeds (default "1 2 3")
#   env:   EPOCHS (default 12), RANKS (2), TRAIN_SET ("k=v k=v" added to every train as --set),
#          OUT (bench/data/quality), VARIANTS ("real null"; "real" alone for a quick look),
#          SHIPPED=1 (train with configs/train-slenet.yaml as it is, as a user would: its batch
#          128 and up to 100 epochs, no --set but tiles, output and seed; EPOCHS is ignored)
#
# Sets (simulate configs in configs/; each is also run with --null: same sites, no change):
#   real-sparse   simulate-realistic-sparse.yaml: a real 10 kb map (shared/data's
#                 unittest_matrix_2.cool, 20 Mb) as the structure, realistic replicate noise
#   real-dense    simulate-realistic-dense.yaml: the same background, every boundary and loop
#                 weakened by a locus-specific occupancy (genome-wide mode)
#   synth-sparse  simulate-realistic-synthetic.yaml: the 205 Mb synthetic genome with the same
#                 realistic noise
#   synth-dense   the same genome and noise in genome-wide ctcf mode
#   synth-sparse-20kb  simulate-realistic-synthetic-20kb.yaml: the synthetic genome at 20 kb
#                 (the unseen benchmark's resolution) and a tenth of the depth per Mb (0.4x
#                 the counts per pixel of synth-sparse)
#   synth-dense-20kb  the same at 20 kb in genome-wide ctcf mode (as "synth-dense-20kb~0.08":
#                 the outside benchmark's dense set, about one contact per pixel)
#   real-tiled-20kb  simulate-realistic-tiled-20kb.yaml: real structure (unittest_matrix_2.cool
#                 at 20 kb, 20 phase-shifted copies of its 20 Mb: 420 windows) at the outside
#                 benchmark's depth (8,000 contacts per Mb), 13 sparse changes
#   real-tiled-dense-20kb  the same background and depth in genome-wide ctcf mode
#   real-tiled-dense-strong-20kb  the same with a near-complete occupancy loss (strength 0.9):
#                 a dense change that Pearson sees, as on the outside benchmark's dense set
# SET@N is SET with its sites placed by simulation seed N (`hitwin simulate --seed N`), e.g.
# "synth-sparse@3": another placement of the same kinds of change (docs/recipe.md, "Four
# placements"); without @N the config's own seed (1). SET~F scales the set's depth per Mb by F,
# e.g. "synth-sparse-20kb~0.25" (0.1x the counts per pixel of synth-sparse) or "~0.08" (0.03x:
# about 1 contact per pixel at separations 3-112 bins, docs/recipe.md "Smoothing the
# counts"); both together as SET~F@N.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sets=${2:-"real-sparse real-dense synth-sparse synth-dense"}
seeds=${3:-"1 2 3"}
hitwin=$PWD/$build/hitwin
[ -x "$hitwin" ] || { echo "bench/quality: build first ($hitwin)"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
out=${OUT:-$PWD/bench/data/quality}
epochs=${EPOCHS:-12}
mpi="mpiexec -n ${RANKS:-2} --oversubscribe"
read -r -a train_set <<< "${TRAIN_SET:-}"
mkdir -p "$out"

config_of() {
  local base=${1%@*}
  case ${base%~*} in
    real-sparse) echo "configs/simulate-realistic-sparse.yaml" ;;
    real-dense) echo "configs/simulate-realistic-dense.yaml" ;;
    synth-sparse) echo "configs/simulate-realistic-synthetic.yaml" ;;
    synth-dense) echo "configs/simulate-realistic-synthetic-dense.yaml" ;;
    synth-sparse-20kb) echo "configs/simulate-realistic-synthetic-20kb.yaml" ;;
    synth-dense-20kb) echo "configs/simulate-realistic-synthetic-dense-20kb.yaml" ;;
    real-tiled-20kb) echo "configs/simulate-realistic-tiled-20kb.yaml" ;;
    real-tiled-dense-20kb) echo "configs/simulate-realistic-tiled-dense-20kb.yaml" ;;
    real-tiled-dense-strong-20kb) echo "configs/simulate-realistic-tiled-dense-strong-20kb.yaml" ;;
    *) echo "bench/quality: unknown set '$1'" >&2; exit 2 ;;
  esac
}

# simulate + tile once per (set, variant); train + distance per seed
pipeline() { # set variant(real|null) seed
  local set=$1 variant=$2 seed=$3 dir="$out/$1-$2"
  if [ ! -f "$dir/tiles.h5" ]; then
    local flags=()
    [ "$variant" = null ] && flags+=(--null)
    [ "$set" != "${set%@*}" ] && flags+=(--seed "${set##*@}")
    rm -rf "$dir" && mkdir -p "$dir"
    local config
    config=$(config_of "$set")
    local base=${set%@*}
    if [ "$base" != "${base%~*}" ]; then # SET~F: the same config at F times the depth
      python3 - "$config" "$dir/depth.yaml" "${base##*~}" <<'PY'
import os, sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
bg = c.get("background", {}).get("file")
if bg and not os.path.isabs(bg):
    c["background"]["file"] = os.path.abspath(os.path.join(os.path.dirname(sys.argv[1]), bg))
c["depth"] = {k: v * float(sys.argv[3]) for k, v in c["depth"].items()}
yaml.safe_dump(c, open(sys.argv[2], "w"))
PY
      config="$dir/depth.yaml"
    fi
    $mpi "$hitwin" simulate --config "$config" --out "$dir" --quiet "${flags[@]}" > /dev/null
    $mpi "$hitwin" tile "$dir/dataset.yaml" -o "$dir/tiles.h5" -q > /dev/null
    if grep -q '^genome_wide:' "$(config_of "$set")" && [ "$variant" = real ]; then
      # dense: the same structure without technical noise at 10000x depth, one replicate per
      # condition, for the visible-change truth (bench/quality_change.py)
      python3 - "$(config_of "$set")" "$dir/clean.yaml" <<'PY'
import os, sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
bg = c.get("background", {}).get("file")
if bg and not os.path.isabs(bg) and os.path.exists(os.path.join(os.path.dirname(sys.argv[1]), bg)):
    c["background"]["file"] = os.path.abspath(os.path.join(os.path.dirname(sys.argv[1]), bg))
c["replicates"] = 1
c["depth"] = {k: v * 10000 for k, v in c["depth"].items()}
c["noise"] = {k: 0 for k in c["noise"]}
yaml.safe_dump(c, open(sys.argv[2], "w"))
PY
      $mpi "$hitwin" simulate --config "$dir/clean.yaml" --out "$dir/clean" --quiet "${flags[@]}" > /dev/null
      python3 bench/quality_change.py "$dir/clean" "$dir/tiles.h5" "$dir/truth_change.tsv"
      rm -rf "$dir/clean"
    fi
  fi
  local run="$dir/seed$seed"
  if [ ! -f "$run/dist/best_distances.h5" ]; then
    rm -rf "$run" && mkdir -p "$run/dist"
    local length=(--set epochs="$epochs" --set batch_size=32)
    [ "${SHIPPED:-0}" = 1 ] && length=()
    $mpi "$hitwin" train configs/train-slenet.yaml --set tiles="$dir/tiles.h5" \
      --set output="$run/train" --set seed="$seed" "${length[@]}" \
      "${train_set[@]/#/--set=}" -q > "$run/train.log" 2>&1 || { tail -3 "$run/train.log"; exit 1; }
    $mpi "$hitwin" distance "$dir/tiles.h5" --checkpoint "$run/train/best.safetensors" \
      -o "$run/dist" -q > "$run/distance.log" 2>&1 || { tail -3 "$run/distance.log"; exit 1; }
  fi
  echo "$set $variant seed $seed: $(wc -l < "$run/train/metrics.jsonl") epochs" >&2
}

t0=$(date +%s)
for set in $sets; do
  for seed in $seeds; do
    for variant in ${VARIANTS:-real null}; do pipeline "$set" "$variant" "$seed"; done
  done
done
if [ "${SHIPPED:-0}" = 1 ]; then length="the file's batch and epochs"; else length="epochs <= $epochs, batch 32"; fi
echo "hitwin $("$hitwin" --version 2>&1 | head -1); configs/train-slenet.yaml ${TRAIN_SET:-}" \
  "($length, $mpi); $(( $(date +%s) - t0 )) s"
python3 bench/quality_table.py "$out" $sets
