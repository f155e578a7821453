#!/usr/bin/env bash
# Real-map backgrounds end to end (docs/simulate.md, "Real-map backgrounds"):
# the shipped sparse config (real 10 kb map, per-library pixel pattern) gives
# the same contents on 1 and 2 MPI ranks (h5diff) and the same text outputs;
# its dataset.yaml names test / validation chromosomes that exist; the dense
# config writes a bedGraph truth; the tiled 20 kb configs give their exact
# window and site counts; a background error is one line naming the file,
# before anything is written.
# usage: test_sim_bg_repro.sh SIM_DRIVER   (stands in for `hitwin simulate`)
set -euo pipefail
SIM=$1
MPIEXEC=${MPIEXEC:-mpiexec}
command -v h5diff >/dev/null || { echo "h5diff not found (apt install hdf5-tools)"; exit 77; }
[ -f ../shared/data/unittest_matrix_2.cool ] || { echo "no ../shared/data/unittest_matrix_2.cool"; exit 77; }
T=$(mktemp -d /tmp/hw_sim_bg_repro.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
"$SIM" --config configs/simulate-realistic-sparse.yaml --out "$T/a" --quiet
"$MPIEXEC" -n 2 --oversubscribe "$SIM" --config configs/simulate-realistic-sparse.yaml \
  --out "$T/p" --quiet
for n in control_R1 control_R2 treatment_R1 treatment_R2; do
  h5diff -q "$T/a/$n.mcool" "$T/p/$n.mcool" || { echo "1 vs 2 ranks: $n.mcool differs"; fail=1; }
done
for f in truth.bed dataset.yaml; do
  cmp -s "$T/a/$f" "$T/p/$f" || { echo "1 vs 2 ranks: $f differs"; fail=1; }
done
grep -q '^  test: \[bgB\]$' "$T/a/dataset.yaml" || { echo "dataset.yaml: test should be bgB"; fail=1; }
grep -q '^  validation: \[bgC\]$' "$T/a/dataset.yaml" || { echo "dataset.yaml: validation should be bgC"; fail=1; }
[ "$(grep -vc '^#' "$T/a/truth.bed")" = 2 ] || { echo "truth.bed should list 2 sites"; fail=1; }
# the resolved config reproduces the run
"$SIM" --config "$T/a/simulate.yaml" --out "$T/r" --quiet
cmp -s "$T/a/control_R1.mcool" "$T/r/control_R1.mcool" || { echo "simulate.yaml does not reproduce"; fail=1; }

"$SIM" --config configs/simulate-realistic-dense.yaml --out "$T/d" --quiet
[ -s "$T/d/truth.bedgraph" ] && [ ! -e "$T/d/truth.bed" ] || { echo "dense: no truth.bedgraph"; fail=1; }

# the tiled real background (20 phase-shifted copies of the 20 Mb map at 20 kb, bench/quality.sh's
# real-tiled-20kb): exact window and site counts, split chromosomes, the dense variant's truth
"$SIM" --config configs/simulate-realistic-tiled-20kb.yaml --out "$T/t" 2> "$T/t.log" > /dev/null
grep -q 'simulate: 88 of 420 windows (224 bins, stride 28) overlap a change (21 %)' "$T/t.log" ||
  { echo "tiled: expected 88 of 420 windows changed:"; cat "$T/t.log"; fail=1; }
[ "$(grep -vc '^#' "$T/t/truth.bed")" = 13 ] || { echo "tiled: truth.bed should list 13 sites"; fail=1; }
grep -q '^  test: \[chr2\]$' "$T/t/dataset.yaml" || { echo "tiled: test should be chr2"; fail=1; }
"$SIM" --config configs/simulate-realistic-tiled-dense-20kb.yaml --out "$T/td" --quiet
[ "$(grep -vc '^track' "$T/td/truth.bedgraph")" -gt 600 ] || { echo "tiled dense: truth.bedgraph too short"; fail=1; }
# the strong variant: the same domains, each losing 0.9 +- 0.1 of its occupancy (clamped to 1)
# where the other set's lose 0.5 +- 0.2 (mean over the 725 domains: 0.891 and 0.498)
"$SIM" --config configs/simulate-realistic-tiled-dense-strong-20kb.yaml --out "$T/ts" --quiet
mean_loss() { awk '!/^track/ {s += $4; n++} END {if (n) printf "%d %.3f", n, s / n}' "$1"; }
got=$(mean_loss "$T/td/truth.bedgraph")
[ "$got" = "725 0.498" ] || { echo "tiled dense: got '$got', want 725 domains, mean loss 0.498"; fail=1; }
got=$(mean_loss "$T/ts/truth.bedgraph")
[ "$got" = "725 0.891" ] || { echo "tiled dense strong: got '$got', want 725 domains, mean loss 0.891"; fail=1; }

# errors: one line, the file and the cause, nothing written
printf 'resolution: 5000\n' > "$T/res5000.yaml"
msg=$("$SIM" --background ../shared/data/unittest_matrix_2.cool --out "$T/e" 2>&1 \
      --config "$T/res5000.yaml" || true)
want="hitwin: error: ../shared/data/unittest_matrix_2.cool: no resolution 5000 (has 10000)"
[ "$msg" = "$want" ] || { echo "got '$msg', want '$want'"; fail=1; }
[ ! -e "$T/e" ] || { echo "an error wrote $T/e"; fail=1; }
# a background resolution finer than the simulation's: the message says what to set
printf 'resolution: 20000\nbackground: {file: %s, resolution: 10000}\n' \
  ../shared/data/unittest_matrix_2.cool > "$T/fine.yaml"
msg=$("$SIM" --out "$T/e" --config "$T/fine.yaml" 2>&1 || true)
want="hitwin: error: ../shared/data/unittest_matrix_2.cool: background.resolution 10000 is not a multiple of the simulate resolution 20000 (set it to 20000, or leave it out, to sum the file's 10000 bp bins)"
[ "$msg" = "$want" ] || { echo "got '$msg', want '$want'"; fail=1; }
[ ! -e "$T/e" ] || { echo "an error wrote $T/e"; fail=1; }
exit $fail
