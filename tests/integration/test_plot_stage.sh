#!/usr/bin/env bash
# `hitwin plot` end to end (docs/plot.md) on the small simulation, tiled, with distances
# from a randomly initialised checkpoint:
#   - every kind writes a PNG of the stated size with ink inside its first panel, and
#     SVG/PDF by the extension;
#   - the numbers drawn (--data) are the file's: the within/between means and the Twins
#     score equal windows/*_within, *_between, *_score (h5py); the hist threshold and
#     rates equal `hitwin evaluate --json`'s; every ROC curve's AUROC equals evaluate's;
#     the training curves are metrics.jsonl's lines;
#   - bad input: one line naming the file and the cause, exit 1 (2 for usage), no figure.
#   usage: test_plot_stage.sh DISTANCE_MAKE_CKPT PLOT_PNG_PROBE      ($HITWIN: hitwin)
set -euo pipefail
MAKE_CKPT=$1
PROBE=$2
H=${HITWIN:?HITWIN is not set}
T=$(mktemp -d /tmp/hw_plot_stage.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$H" simulate --preset small --out "$T/sim" -q > "$T/sim.log" 2>&1 || { cat "$T/sim.log"; exit 1; }
(cd "$T/sim" && "$H" tile dataset.yaml > ../tile.log 2>&1) || { cat "$T/tile.log"; exit 1; }
"$MAKE_CKPT" "$T/ckpt.safetensors" 224 7 1 0
# -o names a directory two levels deep that does not exist yet: distance makes it
"$H" distance "$T/sim/tiles.h5" --checkpoint "$T/ckpt.safetensors" -o "$T/new/dist" -q > "$T/dist.log" 2>&1 ||
  { cat "$T/dist.log"; exit 1; }
D=$T/new/dist/ckpt_distances.h5
[ -s "$D" ] || { echo "distance did not create the missing -o directory"; exit 1; }
"$H" evaluate "$D" --truth "$T/sim/truth.bed" --json "$T/eval.json" > /dev/null

# ---- every kind: size and ink ---------------------------------------------------------
"$H" plot distances "$D" -o "$T/dist.png" --data "$T/dist.tsv" > /dev/null || bad "plot distances"
"$H" plot hist "$D" -o "$T/hist.png" --data "$T/hist.tsv" --measure pairwise,ssim > /dev/null || bad "plot hist"
"$H" plot evaluate "$D" --truth "$T/sim/truth.bed" -o "$T/roc.png" --data "$T/roc.tsv" > /dev/null || bad "plot evaluate"
mkdir -p "$T/runA" "$T/runB"
printf '%s\n' '{"epoch": 1, "loss": "contrastive", "train_loss": 3.5, "train_accuracy": 0.5, "val_loss": 1.25, "val_accuracy": 0.55, "seconds": 8.0, "best": true}' \
              '{"epoch": 2, "loss": "contrastive", "train_loss": 3.0, "train_accuracy": 0.6, "val_loss": 1.5, "val_accuracy": 0.5, "seconds": 9.0, "best": false}' > "$T/runA/metrics.jsonl"
printf '%s\n' '{"epoch": 1, "loss": "triplet", "train_loss": 0.9, "val_loss": 0.75, "seconds": 4.0, "best": true}' > "$T/runB/metrics.jsonl"
"$H" plot training "$T/runA" "$T/runB/metrics.jsonl" -o "$T/train.png" --data "$T/train.tsv" > /dev/null || bad "plot training"
# size: distances 1000 x (430 per chromosome + 10), 3 chromosomes; hist 2 panels of 520 x 380;
# evaluate 640 x 600; training with accuracy 1120 x 420. Ink: the first panel's inside.
expect() { # FILE W H X0 Y0 X1 Y1 MIN_INK
  read -r w h ink < <("$PROBE" "$1" "$4" "$5" "$6" "$7") || { bad "$1: not a PNG"; return; }
  [ "$w $h" = "$2 $3" ] || bad "$1: size $w x $h, expected $2 x $3"
  awk -v i="$ink" -v m="$8" 'BEGIN { exit !(i >= m) }' || bad "$1: ink $ink in the first panel, expected >= $8"
  read -r w h ink < <("$PROBE" "$1")
  awk -v i="$ink" 'BEGIN { exit !(i < 0.9) }' || bad "$1: $ink of the image is ink: not a plot"
}
expect "$T/dist.png" 1000 1300 90 50 970 240 0.05
expect "$T/hist.png" 1040 380 80 45 490 320 0.05
expect "$T/roc.png" 640 600 85 50 595 520 0.01
expect "$T/train.png" 1120 420 85 50 500 350 0.005
# --truth shades the planted changes: more ink in the score panel than without
"$H" plot distances "$D" -o "$T/dist_truth.png" --truth "$T/sim/truth.bed" > /dev/null || bad "plot distances --truth"
read -r w h ink0 < <("$PROBE" "$T/dist.png" 90 275 970 370)
read -r w h ink1 < <("$PROBE" "$T/dist_truth.png" 90 275 970 370)
awk -v a="$ink0" -v b="$ink1" 'BEGIN { exit !(b > a + 0.02) }' || bad "--truth: ink $ink1 in the score panel, without $ink0"
"$H" plot distances "$D" -o "$T/dist.svg" --region chr2 > /dev/null && head -c 5 "$T/dist.svg" | grep -q '<?xml' || bad "SVG"
"$H" plot distances "$D" -o "$T/dist.pdf" --region chr2:2,000,000-8,000,000 > /dev/null && head -c 4 "$T/dist.pdf" | grep -q '%PDF' || bad "PDF"

# ---- the numbers drawn ------------------------------------------------------------------
python3 - "$D" "$T" <<'PY' || fail=1
import csv, json, math, sys
import h5py, numpy as np
D, T = sys.argv[1], sys.argv[2]
bad = 0
def near(a, b, what, tol=1e-8):  # --data writes 9 significant digits
    global bad
    if (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol * (1 + abs(b)):
        return
    print(f"FAIL: {what}: {a} != {b}"); bad = 1
f = h5py.File(D, "r")
w = f["windows"]
chrom = [c.decode() if isinstance(c, bytes) else c for c in w["chrom"][:]]
key = {(chrom[i], int(w["middle"][i])): i for i in range(len(chrom))}
rows = list(csv.DictReader(open(f"{T}/dist.tsv"), delimiter="\t"))
if len(rows) != len(chrom): print(f"FAIL: dist.tsv has {len(rows)} rows, the file {len(chrom)} windows"); bad = 1
# plot distances without --measure draws hybrid, the default score
# the band: the file's mean (neighbour-averaged) +- 1.96 standard errors of the window's own pairs
pw = f["pairs/window"][:]; lab = f["pairs/label"][:]; d = f["pairs/hybrid"][:]
row_of = {int(x): i for i, x in enumerate(w["window"][:])}
for r in rows:
    i = key[(r["chrom"], int(r["middle"]))]
    near(float(r["within_mean"]), w["hybrid_within"][i], "within mean")
    near(float(r["between_mean"]), w["hybrid_between"][i], "between mean")
    near(float(r["score"]), w["hybrid_score"][i], "score")
    v = d[(lab == 1) & (np.array([row_of[int(x)] for x in pw]) == i)]
    if len(v) > 1:
        near(float(r["between_hi"]), w["hybrid_between"][i] + 1.96 * v.std(ddof=1) / math.sqrt(len(v)), "between band", 1e-7)
ev = json.load(open(f"{T}/eval.json"))["measures"]
head = [l[2:].rstrip("\n").split("\t") for l in open(f"{T}/hist.tsv") if l.startswith("# ")][1:]
for h in head:
    m = ev[h[1]]
    near(float(h[4]), m["threshold"] if m["threshold"] is not None else float("nan"), f"{h[1]} threshold")
    near(float(h[5]), m["replicate_rate"], f"{h[1]} replicate rate")
    near(float(h[6]), m["condition_rate"], f"{h[1]} condition rate")
    near(float(h[8]), m["separation_index"], f"{h[1]} separation", 1e-6)
roc = list(csv.DictReader(open(f"{T}/roc.tsv"), delimiter="\t"))
seen = set()
for r in roc:
    k = (r["measure"], r["score"])
    if k in seen: continue
    seen.add(k)
    m = ev[r["measure"]]
    want = m["auroc"] if r["score"] == "score" else m[r["score"] + "_auroc"]
    near(float(r["auroc"]), want, f"{k} AUROC")
if len(seen) != 10: print(f"FAIL: {len(seen)} ROC curves, expected 10 (one per measure)"); bad = 1
last = {}
for r in roc: last[(r["measure"], r["score"])] = (float(r["fpr"]), float(r["tpr"]))
for k, v in last.items():
    if v != (1.0, 1.0): print(f"FAIL: ROC {k} ends at {v}"); bad = 1
tr = list(csv.DictReader(open(f"{T}/train.tsv"), delimiter="\t"))
got = [(r["run"], r["epoch"], r["train_loss"], r["val_loss"], r["val_accuracy"], r["best"]) for r in tr]
want = [("runA", "1", "3.5", "1.25", "0.55", "1"), ("runA", "2", "3", "1.5", "0.5", "0"),
        ("runB/metrics.jsonl", "1", "0.9", "0.75", "nan", "1")]
if got != want: print(f"FAIL: train.tsv {got} != {want}"); bad = 1
sys.exit(bad)
PY

# ---- region: every sample's map equals the file's pixels (hitwin dump), tracks beneath ----
"$H" plot region "$T/sim/dataset.yaml" --region chr2:3,000,000-5,000,000 -o "$T/region.png" --data "$T/region.tsv" > /dev/null || bad "plot region"
for s in control_R1 control_R2 treatment_R1 treatment_R2; do
  # the dense map is symmetric: twice the upper triangle less the diagonal
  want=$("$H" dump "$T/sim/$s.mcool" chr2:3000000-5000000 --resolution 10000 |
         awk '{ s += ($2 == $5 ? 1 : 2) * $7 } END { printf "%.0f", s }')
  got=$(awk -F'\t' -v s=$s '$1 == s { printf "%.0f", $4 }' "$T/region.tsv")
  [ "$got" = "$want" ] || bad "region $s: sum $got, dump gives $want"
done
grep -q "^# bins	300	500	resolution	10000	" "$T/region.tsv" || bad "region bins: $(head -n 1 "$T/region.tsv")"
python3 - "$T" <<'PY'
import sys, h5py, numpy as np
T = sys.argv[1]
with h5py.File(f"{T}/saliency.h5", "w") as f:
    v = np.zeros((16, 1600), np.float32); v[:, 350:420] = 1.0; v[:, 430:440] = -1.0
    f["strips/chr2/condition_saliency"] = v
PY
printf 'track name=x\nchr2\t3500000\t3700000\tcall\t1\t+\nchr1\t100\t200\tcall\t1\t+\n' > "$T/features.bed"
"$H" plot region "$T/sim/dataset.yaml" --region chr2:3,000,000-5,000,000 -o "$T/region2.png" \
  --saliency "$T/saliency.h5" --features "$T/features.bed" > /dev/null || bad "plot region with tracks"
# the right column starts at 75 + 2 x 305 + 85 = 770; the strip is 100 high at 65 + 260 + 50 = 375,
# the feature track 24 high at 375 + 150 = 525 (chr1 is 24 Mb: 2400 bins)
expect "$T/region.png" 1125 695 80 70 330 320 0.2
read -r w h ink < <("$PROBE" "$T/region2.png" 775 380 1025 470)
awk -v i="$ink" 'BEGIN { exit !(i > 0.3 && i < 0.6) }' || bad "region strip: ink $ink, expected the marked 80 of 200 bins"
read -r w h ink < <("$PROBE" "$T/region2.png" 775 530 1025 545)
awk -v i="$ink" 'BEGIN { exit !(i > 0.05 && i < 0.2) }' || bad "region features: ink $ink, expected one call of 20 of 200 bins"

# ---- bad input: one line, exit status, no figure ------------------------------------------
check_err() { # WANT_RC WANT_LINE ARGS...
  local want_rc=$1 want=$2; shift 2
  set +e; "$H" plot "$@" > "$T/out.txt" 2> "$T/err.txt"; local rc=$?; set -e
  [ "$rc" = "$want_rc" ] || bad "plot $*: exit $rc, expected $want_rc"
  [ "$(head -n 1 "$T/err.txt")" = "hitwin: error: $want" ] || bad "plot $*: '$(head -n 1 "$T/err.txt")', expected 'hitwin: error: $want'"
  [ ! -e "$T/bad.png" ] || { bad "plot $*: left a figure"; rm -f "$T/bad.png"; }
  if ls "$T"/bad.png.tmp-* > /dev/null 2>&1; then bad "plot $*: left a temporary"; fi
}
echo "not hdf5" > "$T/corrupt.h5"
check_err 1 "$T/corrupt.h5: not an HDF5 file (or truncated)" distances "$T/corrupt.h5" -o "$T/bad.png"
check_err 1 "$T/nope.h5: no such file (INPUT)" hist "$T/nope.h5" -o "$T/bad.png"
check_err 1 "$D: chromosome 'chrZ' (--region) is not in the file (chromosomes: chr1, chr2, chr18)" \
  distances "$D" -o "$T/bad.png" --region chrZ
check_err 1 "$T/saliency.h5: no strip condition_saliency for chr1 (--saliency; hitwin saliency strips the chromosomes it ran on)" \
  region "$T/sim/dataset.yaml" --region chr1:1000000-2000000 --saliency "$T/saliency.h5" -o "$T/bad.png"
check_err 2 "plot region: --region CHROM:START-END is missing" region "$T/sim/dataset.yaml" -o "$T/bad.png"
check_err 1 "--region: 2400 bins at 10000 bp; plot region draws at most 2000 (a smaller region)" \
  region "$T/sim/dataset.yaml" --region chr1:0-30000000 -o "$T/bad.png"
check_err 1 "$D: no window has its middle in --region chr2:90000000-95000000" distances "$D" -o "$T/bad.png" --region chr2:90000000-95000000
check_err 2 "$T/bad.jpg: unknown figure format (expected .png, .svg or .pdf)" distances "$D" -o "$T/bad.jpg"
check_err 2 "plot: unknown kind 'heat' (expected distances, hist, training, evaluate or region)" heat "$D" -o "$T/bad.png"
check_err 2 "--measure: unknown measure 'ssimm' (expected one of: pairwise, cosine, maps, combined, ssim, pearson, mse, scc, insulation, hybrid)" \
  hist "$D" -o "$T/bad.png" --measure ssimm
check_err 1 "$T/runA/metrics.jsonl: the output (--data) is an input of this run (INPUT): choose another output" \
  training "$T/runA/metrics.jsonl" -o "$T/bad.png" --data "$T/runA/metrics.jsonl"
echo '{"epoch": 1, "train_loss": 1}' > "$T/m.jsonl"; echo 'garbage' >> "$T/m.jsonl"
check_err 1 "$T/m.jsonl:2: not a metrics line (expected {\"epoch\": N, ...})" training "$T/m.jsonl" -o "$T/bad.png"
check_err 1 "plot evaluate: --truth FILE is missing (truth.bed or truth.bedgraph)" evaluate "$D" -o "$T/bad.png"
printf 'chrQ\t0\t1000\tloop_loss\t1\n' > "$T/other.bed"
check_err 1 "$D: the truth $T/other.bed marks no window as changed: no ROC curve" evaluate "$D" --truth "$T/other.bed" -o "$T/bad.png"
# a file without hybrid (a --no-baselines run's is NaN; a file from before hybrid has none):
# plot distances' default is then combined, the learned score alone
cp "$D" "$T/nohybrid.h5"
python3 - "$T/nohybrid.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    for k in [k for k in f["windows"] if k.startswith("hybrid_")]:
        f["windows/" + k][...] = 0 if k.endswith("_called") else np.nan
PY
"$H" plot distances "$T/nohybrid.h5" -o "$T/nohybrid.png" --data "$T/nohybrid.tsv" > /dev/null || bad "plot distances on a file without hybrid"
python3 - "$T/nohybrid.tsv" "$D" <<'PY' || bad "plot distances on a file without hybrid: not combined"
import csv, sys, h5py
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
w = h5py.File(sys.argv[2], "r")["windows"]
chrom = [c.decode() if isinstance(c, bytes) else c for c in w["chrom"][:]]
key = {(chrom[i], int(m)): i for i, m in enumerate(w["middle"][:])}
assert rows
for r in rows:
    i = key[(r["chrom"], int(r["middle"]))]
    assert abs(float(r["score"]) - w["combined_score"][i]) <= 1e-8 * max(1, abs(w["combined_score"][i])), r
PY
# a distance file written before the maps, combined and hybrid measures: evaluate reads it
# (those three NaN, the rest as before); plot distances' default (hybrid, or combined where
# that is missing) is refused with one line, an older measure plots
cp "$D" "$T/old.h5"
python3 - "$T/old.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    for m in ("maps", "combined", "hybrid"):
        del f["pairs/" + m]
        for k in [k for k in f["windows"] if k.startswith(m + "_")]:
            del f["windows/" + k]
        for a in [a for a in f["windows"].attrs if a.startswith(m + "_")]:
            del f["windows"].attrs[a]
PY
"$H" evaluate "$T/old.h5" --truth "$T/sim/truth.bed" --json "$T/old.json" > /dev/null || bad "evaluate on a file without maps/combined/hybrid"
python3 - "$T/eval.json" "$T/old.json" <<'PY' || bad "evaluate on a file without maps/combined/hybrid: other numbers"
import json, sys
new, old = (json.load(open(p))["measures"] for p in sys.argv[1:])
for m in ("maps", "combined", "hybrid"):
    assert old[m]["auroc"] is None, (m, old[m])
for m in ("pairwise", "cosine", "ssim", "pearson", "scc", "insulation"):
    assert old[m] == new[m], m
PY
check_err 1 "$T/old.h5: no combined distances in the file (written before hitwin had the measure, or with --no-baselines): name others with --measure" \
  distances "$T/old.h5" -o "$T/bad.png"
"$H" plot distances "$T/old.h5" -o "$T/old.png" --measure pairwise > /dev/null || bad "plot distances --measure pairwise on an older file"
[ $fail = 0 ] && echo "plot stage: all checks passed"
exit $fail
