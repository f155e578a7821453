#!/usr/bin/env bash
# `hitwin sweep --local` completes a 2 x 1 grid (seed 1, 2 x contrastive) on the small
# simulation: both runs trained (1 epoch), their distances and evaluate.json written,
# `--collect` gives summary.csv with both points done, their best validation loss equal
# to the runs' metrics.jsonl, finite AUROCs equal to evaluate.json, and training.png;
# run again, the sweep finds nothing left to run (the runs stay as they were).
set -euo pipefail
H=${HITWIN:?HITWIN is not set}
T=$(mktemp -d /tmp/hw_sweep_local.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
"$H" simulate --preset small --out "$T/sim" -q > "$T/sim.log" 2>&1 || { cat "$T/sim.log"; exit 1; }
(cd "$T/sim" && "$H" tile dataset.yaml > ../tile.log 2>&1) || { cat "$T/tile.log"; exit 1; }
cat > "$T/sweep.yaml" <<YAML
train_config: $PWD/configs/train-slenet.yaml
output: sw
set: {tiles: sim/tiles.h5, epochs: 1, batch_size: 16}
grid: {seed: [1, 2], loss: [contrastive]}
distance: {split: test, options: [--no-baselines]}
evaluate: {truth: sim/truth.bed}
YAML
# tiles given relative to the sweep file: the tasks run in its directory, whatever the
# working directory of the sweep (here: the repository)
"$H" sweep "$T/sweep.yaml" --local > "$T/local.log" 2>&1 || { cat "$T/local.log"; for f in "$T"/sw/logs/*; do echo "== $f"; tail -5 "$f"; done; exit 1; }
for n in p00_seed-1 p01_seed-2; do
  for f in done train/best.safetensors train/metrics.jsonl distance/best_distances.h5 evaluate.json; do
    [ -e "$T/sw/runs/$n/$f" ] || bad "$n: no $f"
  done
done
set +e; "$H" sweep --collect "$T/sw" > "$T/collect.log"; rc=$?; set -e
[ $rc = 0 ] || { bad "collect: exit $rc"; cat "$T/collect.log"; }
grep -qx '2 points: 2 done, 0 failed, 0 pending' "$T/collect.log" || bad "collect: $(cat "$T/collect.log")"
[ -s "$T/sw/training.png" ] || bad "no training.png"
python3 - "$T/sw" <<'PY' || fail=1
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/summary.csv")))
bad = 0
if [r["status"] for r in rows] != ["done", "done"]: print("FAIL: statuses", [r["status"] for r in rows]); bad = 1
for r in rows:
    lines = [json.loads(l) for l in open(f"{d}/runs/{r['name']}/train/metrics.jsonl")]
    best = [l for l in lines if l["best"]][-1]
    if abs(float(r["best_val_loss"]) - best["val_loss"]) > 1e-8 * abs(best["val_loss"]) or int(r["best_epoch"]) != best["epoch"]:
        print(f"FAIL: {r['name']} best {r['best_epoch']} {r['best_val_loss']} != {best['epoch']} {best['val_loss']}"); bad = 1
    ev = json.load(open(f"{d}/runs/{r['name']}/evaluate.json"))["measures"]
    for m in ("pairwise", "cosine"):
        if abs(float(r[f"auroc_{m}"]) - ev[m]["auroc"]) > 1e-8:
            print(f"FAIL: {r['name']} auroc_{m} {r['auroc_' + m]} != {ev[m]['auroc']}"); bad = 1
    if r["auroc_ssim"] != "": print("FAIL: --no-baselines, yet an SSIM AUROC"); bad = 1
    if not float(r["train_seconds"]) >= 0: print("FAIL: train_seconds", r["train_seconds"]); bad = 1
sys.exit(bad)
PY
before=$(stat -c %Y "$T/sw/runs/p00_seed-1/train/best.safetensors")
(cd "$T" && "$H" sweep sweep.yaml --local) > "$T/again.log"
grep -q '^2 grid points, 0 to run (2 finished)' "$T/again.log" || bad "resubmission: $(cat "$T/again.log")"
[ "$(stat -c %Y "$T/sw/runs/p00_seed-1/train/best.safetensors")" = "$before" ] || bad "a finished run was run again"
[ $fail = 0 ] && echo "sweep local: all checks passed"
exit $fail
