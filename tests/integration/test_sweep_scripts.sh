#!/usr/bin/env bash
# `hitwin sweep` writes (docs/sweep.md), checked by parsing, without SLURM:
#   - a 2 x 2 x 2 grid: sweep.tsv holds 8 tasks with each point's exact --set list;
#     train.sbatch and downstream.sbatch are arrays over exactly 0-7 with the sweep's
#     resources; submit.sh makes the downstream array wait on the training array task by
#     task (aftercorr); task.sh runs train, distance and evaluate with the files named;
#   - resubmission leaves out finished points (--array=0-2,4-7; all done: no arrays);
#   - configs/sweep-twins.yaml expands to the reference's 17 trainings;
#   - a failing task leaves runs/NAME/failed, run-local.sh names its log, --collect
#     reports it and exits 1;
#   - bad sweep files: one line naming the file and the cause, exit 1, nothing written.
set -euo pipefail
H=${HITWIN:?HITWIN is not set}
T=$(mktemp -d /tmp/hw_sweep_scripts.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ROOT=$PWD
touch "$T/tiles.h5" "$T/other.h5"
printf 'chr1\t0\t100\tloop_loss\t1\n' > "$T/truth.bed"
cat > "$T/grid.yaml" <<YAML
train_config: $ROOT/configs/train-slenet.yaml
output: out
set: {tiles: $T/tiles.h5, epochs: 3}
grid:
  loss: [contrastive, triplet]
  batch_size: [32, 16]
  seed: [1, 2]
distance: {store: other.h5, split: test, options: [--no-baselines]}
evaluate: {truth: truth.bed}
slurm:
  train: {partition: gpu, gpus: 1, cpus_per_task: 12, mem: 32G, time: "24:00:00"}
  downstream: {partition: short, cpus_per_task: 4, ntasks: 2, mem: 8G, time: "01:00:00"}
  max_parallel: 3
YAML
(cd "$T" && "$H" sweep grid.yaml > gen.log) || { cat "$T/gen.log"; exit 1; }
O=$T/out
[ "$(head -n 1 "$T/gen.log")" = "8 grid points, 8 to run (0 finished); wrote $O/{sweep.tsv, task.sh, submit.sh, run-local.sh, train.sbatch, downstream.sbatch}" ] ||
  bad "summary line: $(head -n 1 "$T/gen.log")"
[ "$(wc -l < "$O/sweep.tsv")" = 9 ] || bad "sweep.tsv: $(wc -l < "$O/sweep.tsv") lines, expected 1 + 8"
# the last key varies fastest: task 5 = triplet (second), 32 (first), 2 (second)
want5=$(printf '5\tp05_loss-triplet_batch_size-32_seed-2\ttiles=%s epochs=3 loss=triplet batch_size=32 seed=2' "$T/tiles.h5")
[ "$(sed -n 7p "$O/sweep.tsv")" = "$want5" ] || bad "task 5: '$(sed -n 7p "$O/sweep.tsv")', expected '$want5'"
want0=$(printf '0\tp00_loss-contrastive_batch_size-32_seed-1\ttiles=%s epochs=3 loss=contrastive batch_size=32 seed=1' "$T/tiles.h5")
[ "$(sed -n 2p "$O/sweep.tsv")" = "$want0" ] || bad "task 0: '$(sed -n 2p "$O/sweep.tsv")'"
sb() { grep "^#SBATCH $2" "$O/$1" | head -n 1; }
[ "$(sb train.sbatch --array=)" = "#SBATCH --array=0-7%3" ] || bad "train array: $(sb train.sbatch --array=)"
[ "$(sb downstream.sbatch --array=)" = "#SBATCH --array=0-7%3" ] || bad "downstream array: $(sb downstream.sbatch --array=)"
[ "$(grep -c '^#SBATCH' "$O/train.sbatch")" = 9 ] || bad "train.sbatch: $(grep -c '^#SBATCH' "$O/train.sbatch") #SBATCH lines, expected 9"
for l in "--gpus-per-task=1" "--cpus-per-task=12" "--partition=gpu" "--mem=32G" "--time=24:00:00" "--ntasks=1" \
         "--output=$O/logs/train-%a.log"; do
  grep -qxF -- "#SBATCH $l" "$O/train.sbatch" || bad "train.sbatch lacks #SBATCH $l"
done
for l in "--cpus-per-task=4" "--ntasks=2" "--partition=short" "--mem=8G" "--time=01:00:00"; do
  grep -qxF -- "#SBATCH $l" "$O/downstream.sbatch" || bad "downstream.sbatch lacks #SBATCH $l"
done
grep -q -- "--gpus" "$O/downstream.sbatch" && bad "downstream.sbatch asks for a GPU"
grep -qxF 'export HITWIN_LAUNCH="srun --kill-on-bad-exit=1"' "$O/downstream.sbatch" || bad "2-task downstream without srun"
grep -qF "exec bash '$O/task.sh' train \"\$SLURM_ARRAY_TASK_ID\"" "$O/train.sbatch" || bad "train.sbatch does not run task.sh train"
grep -qF "exec bash '$O/task.sh' downstream \"\$SLURM_ARRAY_TASK_ID\"" "$O/downstream.sbatch" || bad "downstream.sbatch does not run task.sh downstream"
# submit: training first, then downstream with aftercorr on the training job's ID
l1=$(grep -n "sbatch --parsable '$O/train.sbatch'" "$O/submit.sh" | cut -d: -f1)
l2=$(grep -n -- "sbatch --parsable --dependency=aftercorr:\${train%%;\*} '$O/downstream.sbatch'" "$O/submit.sh" | cut -d: -f1)
[ -n "$l1" ] && [ -n "$l2" ] && [ "$l1" -lt "$l2" ] || bad "submit.sh: no training then aftercorr downstream submission"
grep -qF "train '$ROOT/configs/train-slenet.yaml' \"\${args[@]}\" --set output=\"\$run/train\" --resume" "$O/task.sh" || bad "task.sh train line"
grep -qF "distance '$T/other.h5' --checkpoint \"\$run/train/best.safetensors\" -o \"\$run/distance\" --split test --no-baselines -q" "$O/task.sh" || bad "task.sh distance line"
grep -qF "evaluate \"\$run/distance/best_distances.h5\" --truth '$T/truth.bed' --json \"\$run/evaluate.json\"" "$O/task.sh" || bad "task.sh evaluate line"
bash -n "$O/task.sh" && bash -n "$O/submit.sh" && bash -n "$O/run-local.sh" && bash -n "$O/train.sbatch" || bad "a script does not parse"

# ---- resubmission: finished points are left out --------------------------------------
mkdir -p "$O/runs/p03_loss-contrastive_batch_size-16_seed-2" && touch "$O/runs/p03_loss-contrastive_batch_size-16_seed-2/done"
(cd "$T" && "$H" sweep grid.yaml > gen2.log)
[ "$(sb train.sbatch --array=)" = "#SBATCH --array=0-2,4-7%3" ] || bad "resubmitted array: $(sb train.sbatch --array=)"
grep -q '^for task in 0 1 2 4 5 6 7; do$' "$O/run-local.sh" || bad "run-local.sh: $(grep '^for task' "$O/run-local.sh")"
for i in 0 1 2 4 5 6 7; do n=$(awk -F'\t' -v t=$i 'NR > 1 && $1 == t { print $2 }' "$O/sweep.tsv"); mkdir -p "$O/runs/$n"; touch "$O/runs/$n/done"; done
(cd "$T" && "$H" sweep grid.yaml > gen3.log)
[ "$(head -n 1 "$T/gen3.log")" = "8 grid points, 0 to run (8 finished); wrote $O/{sweep.tsv, task.sh, submit.sh, run-local.sh}" ] || bad "all done: $(head -n 1 "$T/gen3.log")"
[ ! -e "$O/train.sbatch" ] && [ ! -e "$O/downstream.sbatch" ] || bad "all done, yet array scripts remain"
bash "$O/submit.sh" | grep -qx 'all 8 points finished: nothing to submit' || bad "submit.sh with nothing to run"

# ---- the reference's grid ---------------------------------------------------------------
sed -e "s#^train_config: .*#train_config: $ROOT/configs/train-slenet.yaml#; s#^output: .*#output: $T/twins#" \
    -e "s#^  split: test #  store: $T/tiles.h5\n  split: test #" "$ROOT/configs/sweep-twins.yaml" > "$T/twins.yaml"
"$H" sweep "$T/twins.yaml" > /dev/null || bad "sweep-twins.yaml"
[ "$(tail -n +2 "$T/twins/sweep.tsv" | wc -l)" = 17 ] || bad "sweep-twins: $(tail -n +2 "$T/twins/sweep.tsv" | wc -l) points, expected 17"
[ "$(sb ../twins/train.sbatch --array=)" = "#SBATCH --array=0-16" ] || bad "twins array: $(sb ../twins/train.sbatch --array=)"
[ "$(cut -f3 "$T/twins/sweep.tsv" | grep -c 'loss=supcon batch_size=[0-9]* n_aug=2 enforced_epochs=10$')" = 5 ] || bad "twins: not 5 supcon points"
[ "$(cut -f3 "$T/twins/sweep.tsv" | grep -c 'loss=contrastive batch_size=[0-9]* n_aug=0 enforced_epochs=5$')" = 6 ] || bad "twins: not 6 contrastive points"

# ---- a failing task: marker, log, collect ------------------------------------------------
printf '#!/usr/bin/env bash\necho "stub hitwin: $1 fails" >&2\nexit 3\n' > "$T/stub"; chmod +x "$T/stub"
cat > "$T/fail.yaml" <<YAML
train_config: $ROOT/configs/train-slenet.yaml
output: failing
hitwin: $T/stub
set: {tiles: $T/tiles.h5}
grid: {seed: [1, 2]}
YAML
(cd "$T" && "$H" sweep fail.yaml > /dev/null)
set +e; bash "$T/failing/run-local.sh" > "$T/local.out" 2> "$T/local.err"; rc=$?; set -e
[ $rc = 1 ] || bad "run-local.sh with failing tasks: exit $rc"
grep -qxF "[0] p00_seed-1: train failed, log $T/failing/logs/train-0.log" "$T/local.err" || bad "run-local.sh: $(cat "$T/local.err")"
grep -q 'stub hitwin: train fails' "$T/failing/logs/train-0.log" || bad "the log does not hold the task's output"
[ "$(cat "$T/failing/runs/p00_seed-1/failed")" = "train 3 $T/failing/logs/train-0.log" ] || bad "failed marker: $(cat "$T/failing/runs/p00_seed-1/failed")"
set +e; "$H" sweep --collect "$T/failing" > "$T/collect.out"; rc=$?; set -e
[ $rc = 1 ] || bad "collect with failures: exit $rc"
grep -qxF "point 1 (p01_seed-2): train failed (exit 3), log $T/failing/logs/train-1.log" "$T/collect.out" || bad "collect: $(cat "$T/collect.out")"
[ "$(sed -n 2p "$T/failing/summary.csv" | cut -d, -f1-3)" = "0,p00_seed-1,failed" ] || bad "summary.csv: $(sed -n 2p "$T/failing/summary.csv")"
[ "$(sed -n 2p "$T/failing/summary.csv" | awk -F, '{ print $NF }')" = "$T/failing/logs/train-0.log" ] || bad "summary.csv lacks the log"

# ---- bad sweep files ----------------------------------------------------------------------
check_err() { # FILE WANT
  set +e; (cd "$T" && "$H" sweep "$1") > /dev/null 2> "$T/err.txt"; local rc=$?; set -e
  [ $rc = 1 ] || bad "$1: exit $rc"
  [ "$(cat "$T/err.txt")" = "hitwin: error: $2" ] || bad "$1: '$(cat "$T/err.txt")', expected 'hitwin: error: $2'"
  [ ! -e "$T/never" ] || bad "$1: wrote the sweep directory"
}
base="train_config: $ROOT/configs/train-slenet.yaml
output: never"
printf '%s\ngrd: {loss: [triplet]}\n' "$base" > "$T/e1.yaml"
check_err e1.yaml "e1.yaml:3: unknown key 'grd' in the sweep (expected one of: train_config, output, hitwin, set, grid, distance, evaluate, slurm)"
printf '%s\ngrid: {loss: [triplet, hinge]}\n' "$base" > "$T/e2.yaml"
check_err e2.yaml "e2.yaml: grid point 1 (p01_loss-hinge): --set loss: must be contrastive, triplet or supcon, got 'hinge'"
printf '%s\ngrid: {loss: [triplet]}\nevaluate: {truth: truth.bed}\n' "$base" > "$T/e3.yaml"
check_err e3.yaml "e3.yaml:4: evaluate needs a distance section (it scores the distances)"
printf '%s\ngrid: {loss: []}\n' "$base" > "$T/e4.yaml"
check_err e4.yaml "e4.yaml:3: grid key 'loss' has no values"
printf '%s\ngrid: {seed: [1]}\ndistance: {store: nope.h5}\n' "$base" > "$T/e5.yaml"
check_err e5.yaml "e5.yaml: distance: store $T/nope.h5: no such file"
printf 'train_config: nope.yaml\noutput: never\ngrid: {seed: [1]}\n' > "$T/e6.yaml"
check_err e6.yaml "e6.yaml: train_config $T/nope.yaml: no such file"
check_err missing.yaml "missing.yaml: no such file (SWEEP.yaml)"
[ $fail = 0 ] && echo "sweep scripts: all checks passed"
exit $fail
