#!/usr/bin/env bash
# The simulator feeds the pipeline: `hitwin tile` takes the dataset.yaml that
# `hitwin simulate` writes, as it is, and tiles every sample of both
# conditions (train, test and validation chromosomes all get windows).
# Skipped (77) when the hitwin executable has no tile command yet.
set -euo pipefail
SIM=$1
HITWIN=${HITWIN:-}
[ -x "$HITWIN" ] && "$HITWIN" tile --help >/dev/null 2>&1 || { echo "hitwin tile not available: skipped"; exit 77; }
T=$(mktemp -d /tmp/hw_sim_pipeline.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$SIM" --preset small --out "$T/demo" --quiet
(cd "$T/demo" && "$HITWIN" tile dataset.yaml) > "$T/tile.log" 2>&1 || { cat "$T/tile.log"; exit 1; }
[ -s "$T/demo/tiles.h5" ] || { echo "no tiles.h5"; cat "$T/tile.log"; exit 1; }
for s in control_R1 control_R2 treatment_R1 treatment_R2; do
  grep -q "^$s" "$T/tile.log" || { echo "sample $s not tiled"; cat "$T/tile.log"; exit 1; }
done
