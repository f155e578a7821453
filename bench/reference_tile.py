#!/usr/bin/env python3
"""The reference's tiling (reference.md 1.2, HiTwinFormer's HiCDatasetDec) as a
timing baseline: per window one hic-straw getRecordsAsMatrix call (or, for
.mcool, one cooler matrix fetch), the row-coverage QC, NaN -> 0, tiles kept in
memory and saved at the end (the reference pickles them). Same window rules as
`hitwin tile`, so the kept counts must agree."""
import argparse
import pickle
import sys
import time

import numpy as np

EXCLUDE = {"chrY", "chrX", "Y", "X", "chrM", "M", "All", "ALL", "all"}


def windows(length, res, tile, stride):
    span = tile * res
    step = stride * res
    for start in range(0, length, step):
        end = min(start + span - res, length)
        if end - start < span - res:
            continue
        yield start, end


def qc_and_store(mat, tile, kept):
    if mat.shape != (tile, tile):
        return False
    rows = np.count_nonzero((mat > 0).any(axis=1))
    if rows < 0.9 * tile:
        return False
    if np.isnan(mat).sum() > 0.5 * mat.size:
        return False
    kept.append(np.nan_to_num(mat).astype(np.float32)[None])
    return True


def tile_hic(path, res, norm, tile, stride, kept):
    import hicstraw
    f = hicstraw.HiCFile(path)
    n = 0
    for chrom in f.getChromosomes():
        if chrom.name in EXCLUDE:
            continue
        mzd = f.getMatrixZoomData(chrom.name, chrom.name, "observed", norm, "BP", res)
        for start, end in windows(chrom.length, res, tile, stride):
            mat = mzd.getRecordsAsMatrix(start, end, start, end)
            n += qc_and_store(mat, tile, kept)
    return n


def tile_cool(path, res, norm, tile, stride, kept):
    import cooler
    uri = f"{path}::resolutions/{res}" if cooler.fileops.is_multires_file(path) else path
    c = cooler.Cooler(uri)
    bal = False if norm == "NONE" else norm
    m = c.matrix(balance=bal)
    n = 0
    for chrom, length in c.chromsizes.items():
        if chrom in EXCLUDE:
            continue
        for start, end in windows(int(length), res, tile, stride):
            mat = m.fetch(f"{chrom}:{start}-{end + res}")
            n += qc_and_store(mat, tile, kept)
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--res", type=int, default=10000)
    ap.add_argument("--norm", default="NONE")
    ap.add_argument("--tile", type=int, default=224)
    ap.add_argument("--stride", type=int, default=28)
    ap.add_argument("--out", default="/dev/null")
    args = ap.parse_args()
    t0 = time.time()
    kept, total = [], 0
    for p in args.files:
        fn = tile_hic if p.endswith(".hic") else tile_cool
        total += fn(p, args.res, args.norm, args.tile, args.stride, kept)
    with open(args.out, "wb") as f:
        pickle.dump(kept, f, protocol=4)
    print(f"kept {total} tiles in {time.time() - t0:.2f} s", file=sys.stderr)
    print(total)


if __name__ == "__main__":
    main()
