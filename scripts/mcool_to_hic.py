#!/usr/bin/env python3
"""Write a .hic (v9) copy of a simulated .mcool with hictkpy, so the pipeline
can be exercised on .hic input too. Optional helper: hitwin itself never needs
Python.  pip install hictkpy cooler pyarrow

    python3 scripts/mcool_to_hic.py demo/control_R1.mcool [demo/control_R1.hic]
"""
import os
import sys

import cooler
import hictkpy


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = sys.argv[1]
    dst = sys.argv[2] if len(sys.argv) == 3 else os.path.splitext(src)[0] + ".hic"
    resolutions = sorted(int(p.rsplit("/", 1)[-1]) for p in cooler.fileops.list_coolers(src))
    base = cooler.Cooler(f"{src}::resolutions/{resolutions[0]}")
    chroms = {k: int(v) for k, v in base.chromsizes.items()}
    if os.path.exists(dst):
        sys.exit(f"{dst}: exists, not overwritten")
    # hictk builds the coarser resolutions itself by summing the base one
    w = hictkpy.hic.FileWriter(dst, chroms, resolutions, assembly=base.info.get("genome-assembly", "unknown"),
                               skip_all_vs_all_matrix=True)
    for lo in range(0, base.info["nnz"], 5_000_000):
        px = base.pixels()[lo:lo + 5_000_000][["bin1_id", "bin2_id", "count"]]
        w.add_pixels(px)
    w.finalize()
    print(f"{dst}: {len(chroms)} chromosomes, resolutions {resolutions}")


if __name__ == "__main__":
    main()
