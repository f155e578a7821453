#!/usr/bin/env python3
"""bench/quality_change.py CLEAN_DIR TILES_H5 OUT_TSV: how much each window really changed.

A dense (genome-wide) set's truth.bedgraph gives each domain's occupancy loss m, and
quality_table.py's first truth for a window is the length-weighted mean of m over its span.
That is not what a score can see: the same m changes a window with strong boundaries and
loops much more than one with weak ones, and the mean of several domains' m varies little
from window to window (interquartile range 0.44-0.58 on synth-dense). So bench/quality.sh
also simulates the set without technical noise at 10000x the depth, one replicate per
condition (CLEAN_DIR: the same structure and the same occupancy draws), and this script
measures, for every window of TILES_H5 (224-bin tiles), the visible change between the two
conditions over the tile's pixels with |i - j| >= 3 (the pixels the model sees): the mean
|log(treatment / control)| ("change", the truth quality_table.py ranks against) and the
fraction of pixels changed by more than 10 %. At 100x, which this used first, the Poisson floor
of a 20 kb map at the outside benchmark's depth (8,000 contacts per Mb) was 0.25: a tile's few
counts far from the diagonal made most of the mean, and the truth ranked the windows by their
counts (real-tiled-dense-strong-20kb: median 0.29 at 100x, 0.11 at 10000x, where the floor is a
tenth). The simulation takes seconds either way.
"""
import os
import sys

import cooler
import h5py
import numpy as np


def main():
    clean, tiles, out = sys.argv[1:4]
    with h5py.File(tiles) as h:
        w = h["windows"]
        ci, start = w["chrom"][:], w["start"][:]
        names = [x.decode() if isinstance(x, bytes) else x for x in h["chroms"]["name"][:]]
        T = h["tiles"].shape[-1]
    # the finest resolution of the simulated mcool, the one the tiles were cut at
    res = min(int(p.split("/")[-1]) for p in cooler.fileops.list_coolers(f"{clean}/control_R1.mcool"))
    maps = [cooler.Cooler(f"{clean}/{cond}_R1.mcool::resolutions/{res}").matrix(balance=False)
            for cond in ("control", "treatment")]
    i, j = np.indices((T, T))
    band = np.abs(i - j) >= 3
    with open(out + ".tmp", "w") as f:
        f.write("chrom\tstart\tchange\tchanged_fraction\n")
        for c, s in zip(ci, start):
            reg = (names[c], int(s), int(s) + T * res)
            a = maps[0].fetch(reg).astype(float)
            b = maps[1].fetch(reg).astype(float)
            ok = band & (a > 0) & (b > 0)
            lfc = np.abs(np.log(b[ok] / a[ok]))
            f.write(f"{names[c]}\t{int(s)}\t{lfc.mean():.6f}\t{np.mean(lfc > np.log(1.1)):.6f}\n")
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
