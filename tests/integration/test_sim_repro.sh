#!/usr/bin/env bash
# hitwin simulate is reproducible: the same seed gives byte-identical files,
# another seed different counts, and 1 and 2 MPI ranks identical contents
# (h5diff: parallel HDF5 may place chunks at other file offsets, so bytes can
# differ while every dataset and attribute is equal). The truth, dataset and
# resolved configs are byte-identical in every case.
# usage: test_sim_repro.sh SIM_DRIVER   (stands in for `hitwin simulate`)
set -euo pipefail
SIM=$1
MPIEXEC=${MPIEXEC:-mpiexec}
command -v h5diff >/dev/null || { echo "h5diff not found (apt install hdf5-tools)"; exit 77; }
T=$(mktemp -d /tmp/hw_sim_repro.XXXXXX)
trap 'rm -rf "$T"' EXIT
cat > "$T/sim.yaml" <<'YAML'
genome:
  chromosomes:
    - {name: chr1, length: 9000000}
    - {name: chr2, length: 7000000}
    - {name: chr18, length: 5000000}
coarser_resolutions: [50000]
changes:
  - {kind: loop_loss, count: 3, strength: 1}
  - {kind: boundary_loss, count: 2, strength: 1}
YAML
"$SIM" --config "$T/sim.yaml" --seed 7 --out "$T/a" --quiet
"$SIM" --config "$T/sim.yaml" --seed 7 --out "$T/b" --quiet
"$SIM" --config "$T/sim.yaml" --seed 8 --out "$T/c" --quiet
"$MPIEXEC" -n 2 --oversubscribe "$SIM" --config "$T/sim.yaml" --seed 7 --out "$T/p" --quiet

fail=0
names="control_R1 control_R2 treatment_R1 treatment_R2"
for n in $names; do
  cmp -s "$T/a/$n.mcool" "$T/b/$n.mcool" || { echo "same seed: $n.mcool differs"; fail=1; }
  h5diff -q "$T/a/$n.mcool" "$T/p/$n.mcool" || { echo "1 vs 2 ranks: $n.mcool differs"; fail=1; }
  if h5diff -q "$T/a/$n.mcool" "$T/c/$n.mcool" >/dev/null 2>&1; then
    echo "seed 7 and 8 gave the same $n.mcool"; fail=1
  fi
done
for f in truth.bed dataset.yaml; do
  cmp -s "$T/a/$f" "$T/b/$f" || { echo "same seed: $f differs"; fail=1; }
  cmp -s "$T/a/$f" "$T/p/$f" || { echo "1 vs 2 ranks: $f differs"; fail=1; }
done
# simulate.yaml records the output directory, which differs; compare the rest
diff <(grep -v '^output:' "$T/a/simulate.yaml") <(grep -v '^output:' "$T/p/simulate.yaml") \
  || { echo "1 vs 2 ranks: simulate.yaml differs"; fail=1; }
# no temporary files left behind
if ls -A "$T/a" "$T/p" | grep -q '\.tmp$'; then echo "temporary files left"; fail=1; fi
[ "$(grep -vc '^#' "$T/a/truth.bed")" = 5 ] || { echo "truth.bed should list 5 sites"; fail=1; }
exit $fail
