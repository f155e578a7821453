#!/usr/bin/env python3
"""Synthetic 10 kb Hi-C inputs for bench/tile: the same contacts written as
.mcool (cooler) and .hic v9 (hictkpy), one file per sample.

Contacts up to 3 Mb from the diagonal: Poisson counts around a distance decay
s^-1 with domain enrichment, so tiles look like real maps to the QC and to
the readers (several blocks per window, mostly nonzero pixels near the diagonal).
"""
import argparse
import os

import cooler
import hictkpy
import numpy as np
import pandas as pd

MM10 = {"chr1": 195471971, "chr2": 182113224, "chr18": 90702639, "chr19": 61431566}


def pixels_for(length, res, rng, max_bins=300, depth=60.0):
    n = (length + res - 1) // res
    # domains of 20-200 bins with 2x enrichment inside
    bounds = np.cumsum(rng.integers(20, 200, size=n // 20 + 2))
    dom = np.searchsorted(bounds, np.arange(n), side="right")
    rows, cols, counts = [], [], []
    for d in range(max_bins):
        i = np.arange(0, n - d)
        lam = depth / (d + 1.0) * np.where(dom[i] == dom[i + d], 2.0, 1.0)
        c = rng.poisson(lam)
        keep = c > 0
        rows.append(i[keep]); cols.append(i[keep] + d); counts.append(c[keep])
    r = np.concatenate(rows); c = np.concatenate(cols); v = np.concatenate(counts)
    order = np.lexsort((c, r))
    return r[order], c[order], v[order].astype(np.int32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--chroms", default="chr1,chr18")
    ap.add_argument("--res", type=int, default=10000)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    chroms = {c: MM10[c] for c in args.chroms.split(",")}
    bins = cooler.binnify(pd.Series(chroms), args.res)
    offsets = np.concatenate([[0], np.cumsum([(L + args.res - 1) // args.res for L in chroms.values()])])
    for s in range(args.samples):
        rng = np.random.default_rng(1000 + s)
        parts = []
        for k, (name, length) in enumerate(chroms.items()):
            r, c, v = pixels_for(length, args.res, rng)
            parts.append(pd.DataFrame({"bin1_id": r + offsets[k], "bin2_id": c + offsets[k], "count": v}))
        pix = pd.concat(parts, ignore_index=True)
        base = os.path.join(args.out, f"sample{s + 1}")
        cooler.create_cooler(base + ".cool", bins, pix, ordered=True, dtypes={"count": np.int32})
        if os.path.exists(base + ".mcool"):
            os.remove(base + ".mcool")
        cooler.zoomify_cooler(base + ".cool", base + ".mcool", [args.res, args.res * 5], chunksize=10_000_000)
        os.remove(base + ".cool")
        if os.path.exists(base + ".hic"):
            os.remove(base + ".hic")
        w = hictkpy.hic.FileWriter(base + ".hic", chroms, args.res, skip_all_vs_all_matrix=True)
        df = pd.DataFrame({"bin1_id": pix.bin1_id.values, "bin2_id": pix.bin2_id.values,
                           "count": pix["count"].values.astype(np.int32)})
        w.add_pixels(df)
        w.finalize()
        print(base, len(pix), "pixels")


if __name__ == "__main__":
    main()
