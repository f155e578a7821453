#!/usr/bin/env python3
"""bench/null_pairs.py REAL_DIR NULL_DIR [SEED]: where a null's lean comes from, per pair of samples.

A null set (bench/quality.sh's SET-null: the same sites, nothing changed) should rank its site
windows like any others; when its AUROC leans away from 0.5, this says which pairs of samples
make the lean and whether the classical scores see the same thing in the data. For every
measure of the run's `hitwin distance` file (SEED's, default 1) and every pair of samples
(a, b), it prints (mean distance at the windows that overlap a site of REAL_DIR's truth.bed -
mean distance at the others) / sd of that pair's distances: a standardised site effect.

Reading it: a lean that the learned measures share with a classical one (the insulation
difference, say) on the same pairs is in the data (the libraries' noise at those sites), not
made by the model; a lean only the learned measures show would be the model's. A pattern
that follows the conditions (every between pair up, every within pair down) on a null means
the two conditions' libraries differ at the sites by chance of their technical draws.
"""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quality_table as qt  # noqa: E402


def site_effects(dist_file, truth_rows):
    with h5py.File(dist_file) as h:
        w, p = h["windows"], h["pairs"]
        chrom = np.array([x.decode() if isinstance(x, bytes) else x for x in w["chrom"][:]])
        site = qt.window_truth(chrom, w["start"][:], w["end"][:], truth_rows, False).astype(bool)
        row = {int(x): i for i, x in enumerate(w["window"][:])}
        k = np.array([row[int(x)] for x in p["window"][:]])
        a, b = p["sample_a"][:], p["sample_b"][:]
        names = {}
        for i, j, na, nb in zip(a, b, p["name_a"][:], p["name_b"][:]):
            names[(i, j)] = "%s-%s" % (na.decode() if isinstance(na, bytes) else na,
                                       nb.decode() if isinstance(nb, bytes) else nb)
        out = {}
        for m in qt.MEASURES:
            if m not in p:
                continue
            d = p[m][:]
            for pair in sorted(names):
                sel = (a == pair[0]) & (b == pair[1])
                per = np.full(len(row), np.nan)
                per[k[sel]] = d[sel]
                sd = np.nanstd(per)
                out[(m, pair)] = (np.nanmean(per[site]) - np.nanmean(per[~site])) / sd if sd > 0 else np.nan
        return out, names


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[0])
    real, null = sys.argv[1], sys.argv[2]
    seed = sys.argv[3] if len(sys.argv) == 4 else "1"
    dense, truth = qt.read_truth_of(real)
    if dense:
        sys.exit(f"{real}: a dense set (truth.bedgraph) has no sites: null_pairs reads sparse sets")
    for label, d in (("null", null), ("real", real)):
        f = f"{d}/seed{seed}/dist/best_distances.h5"
        if not os.path.exists(f):
            sys.exit(f"{f}: missing (run bench/quality.sh for this set and seed first)")
        eff, names = site_effects(f, truth)
        pairs = sorted(names)
        wd = max(len(n) for n in names.values()) + 1
        if label == "null":
            print("site effect per pair: (mean at site windows - mean elsewhere) / sd, seed " + seed)
            print("%-5s %-11s " % ("set", "measure") + "".join("%*s" % (wd, names[q]) for q in pairs))
        for m in qt.MEASURES:
            if (m, pairs[0]) in eff:
                print("%-5s %-11s " % (label, m) + "".join("%+*.2f" % (wd, eff[(m, q)]) for q in pairs))


if __name__ == "__main__":
    main()
