#!/usr/bin/env bash
# The simulator's outputs open in cooler (pip): every resolution is a valid
# cooler with the configured chromosomes, pixels upper-triangular and sorted,
# indexes consistent; the weight column is balanced (rows of the balanced
# matrix, diagonals < 2 left out, sum to 1 within 1e-3) and cooler's own
# balance_cooler started from our weights stops at once and agrees within
# 1e-4; dataset.yaml names the files; the genome-wide mode writes a bedGraph.
# Skipped (77) without python3 cooler.
# usage: test_sim_cooler.sh SIM_DRIVER
set -euo pipefail
SIM=$1
python3 -c "import cooler" 2>/dev/null || { echo "python3 cooler not installed: skipped"; exit 77; }
T=$(mktemp -d /tmp/hw_sim_cooler.XXXXXX)
trap 'rm -rf "$T"' EXIT
cat > "$T/sim.yaml" <<'YAML'
genome:
  chromosomes:
    - {name: chr1, length: 9000000}
    - {name: chr2, length: 7000000}
    - {name: chr18, length: 5000000}
coarser_resolutions: [20000, 100000]
replicates: 1
YAML
"$SIM" --config "$T/sim.yaml" --out "$T/o" --quiet
"$SIM" --config "$T/sim.yaml" --out "$T/gw" --quiet --null
printf 'genome_wide: {kind: cohesin, strength: 0.5, spread: 0.2}\n' >> "$T/sim.yaml"
"$SIM" --config "$T/sim.yaml" --out "$T/gw" --quiet
python3 - "$T" <<'PY'
import sys, os, warnings, numpy as np, cooler
warnings.simplefilter("ignore")
T = sys.argv[1]
bad = []
def check(cond, what):
    if not cond:
        bad.append(what)
        print("FAIL:", what)
for name in ["control_R1", "treatment_R1"]:
    path = os.path.join(T, "o", name + ".mcool")
    uris = cooler.fileops.list_coolers(path)
    check(uris == ["/resolutions/10000", "/resolutions/20000", "/resolutions/100000"], f"{name}: resolutions {uris}")
    for uri in uris:
        c = cooler.Cooler(path + "::" + uri)
        res = c.binsize
        check(c.chromnames == ["chr1", "chr2", "chr18"], f"{name}@{res}: chromnames {c.chromnames}")
        check(list(c.chromsizes) == [9000000, 7000000, 5000000], f"{name}@{res}: chromsizes")
        check(c.info["format-version"] == 3 and c.storage_mode == "symmetric-upper", f"{name}@{res}: attrs")
        px = c.pixels()[:]
        b1, b2 = px["bin1_id"].values, px["bin2_id"].values
        check((b1 <= b2).all(), f"{name}@{res}: lower-triangle pixels")
        key = b1 * c.info["nbins"] + b2
        check((np.diff(key) > 0).all(), f"{name}@{res}: pixels not sorted/unique")
        check((px["count"].values > 0).all(), f"{name}@{res}: zero counts stored")
        check(c.info["nnz"] == len(px) and c.info["sum"] == px["count"].sum(), f"{name}@{res}: nnz/sum")
        bins = c.bins()[:]
        check(bins["chrom"].dtype.name == "category", f"{name}@{res}: bins/chrom is not an enum")
        w = bins["weight"].values
        check(np.isfinite(w).mean() > 0.95, f"{name}@{res}: too many masked bins")
        # balanced rows sum to 1 without the first two diagonals
        for ch in c.chromnames:
            m = c.matrix(balance=True).fetch(ch)
            n = len(m)
            for k in (-1, 0, 1):
                m[np.eye(n, k=k, dtype=bool)] = 0
            rs = np.nansum(m, axis=1)
            rs = rs[rs > 0]
            check(np.abs(rs - 1).max() < 1e-3, f"{name}@{res} {ch}: balanced row sums {rs.min()}..{rs.max()}")
        # cooler's own ICE from our weights: converged at once, same weights
        w2, st = cooler.balance_cooler(c, store=False, x0=w.copy())
        ok = np.isfinite(w)
        check(st["converged"], f"{name}@{res}: cooler does not take our weights as converged")
        check((np.isfinite(w2) == ok).all(), f"{name}@{res}: masked bins differ from cooler's")
        check(np.abs(w2[ok] / w[ok] - 1).max() < 1e-4, f"{name}@{res}: weights differ from cooler's")
# dataset config: every sample path exists
import re
ds = open(os.path.join(T, "o", "dataset.yaml")).read()
paths = re.findall(r"path: (\S+?),", ds)
check(len(paths) == 2 and all(os.path.exists(os.path.join(T, "o", p)) for p in paths), f"dataset.yaml paths {paths}")
check("normalisation: NONE" in ds and "resolution: 10000" in ds, "dataset.yaml keys")
# truth: BED for sites; bedGraph covering every chromosome in the genome-wide mode
bed = [l.split("\t") for l in open(os.path.join(T, "o", "truth.bed")) if not l.startswith("#")]
check(len(bed) > 0 and all(len(r) == 5 and int(r[1]) < int(r[2]) for r in bed), "truth.bed rows")
check(not os.path.exists(os.path.join(T, "gw", "truth.bed")), "stale truth.bed left in genome-wide output")
bg = [l.split() for l in open(os.path.join(T, "gw", "truth.bedgraph")) if not l.startswith("track")]
for ch, L in [("chr1", 9000000), ("chr2", 7000000), ("chr18", 5000000)]:
    rows = [r for r in bg if r[0] == ch]
    check(rows[0][1] == "0" and rows[-1][2] == str(L) and all(rows[i][2] == rows[i + 1][1] for i in range(len(rows) - 1)),
          f"truth.bedgraph does not tile {ch}")
    check(all(0 <= float(r[3]) <= 1 for r in rows), f"truth.bedgraph magnitudes {ch}")
sys.exit(1 if bad else 0)
PY
