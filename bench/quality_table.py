#!/usr/bin/env python3
"""bench/quality_table.py OUT SET...: the table of bench/quality.sh.

For every set, every score (learned and classical) and two window selections (all windows,
the held-out test chromosome): AUROC (mean and spread over the training seeds), average
precision, and for the dense sets Spearman rho against the changed fraction; the same score's
AUROC on the null variant (same sites, nothing changed) beside it, which must be ~0.5.

Scores per window (from hitwin distance's HDF5): for each measure, `diff` = mean between -
mean within (unclipped; windows/<m>_diff, or computed from the _between/_within columns of an
older file: with `distance --neighbours H`, the default 2, averaged over the window and its
neighbours), `own` = the same from the window's own pairs alone (pairs/, as --neighbours 0
would give), and `z` where the file has it. A file written before hitwin had the `hybrid`
score gets it here from the pairwise, maps and Pearson window diffs, each divided by its robust
spread, added (hitwin takes the spreads from each window's own pairs, before --neighbours: the
same to a few parts in a thousand). Truth: sparse sets, a window is positive when its
tile span overlaps a change of truth.bed (the null is scored against the real set's sites);
dense sets (truth.bedgraph), the changed fraction of a window is the length-weighted mean
magnitude over its span, and AUROC compares the top against the bottom quartile of it, as the
issue that asked for this benchmark measured it. Where the set has truth_change.tsv
(bench/quality_change.py: the visible change of the noise-free maps, mean |log fold| over the
tile), the dense set is scored a second time against it, in rows named SET:change.

The null's band: one null simulation has few sites (13 on the sparse sets, a handful on the
held-out chromosome), each covering ~8 overlapping windows, so its AUROC is one draw with a
wide spread whatever the score. Column "null band" gives that spread: the sd of the null's
AUROC when its per-window truth is rotated by a random number of windows within each
chromosome (200 rotations; the same sites and shapes at random places, on the same null
distances), averaged over the seeds. A null AUROC within ~2 bands of 0.5 is what chance
gives for that site set; a score with a narrower band is a steadier one.
"""
import glob
import os
import sys

import h5py
import numpy as np
from scipy.stats import rankdata, spearmanr

MEASURES = ["pairwise", "cosine", "maps", "combined", "ssim", "pearson", "mse", "scc", "insulation", "hybrid"]
LEARNED = {"pairwise", "cosine", "maps", "combined", "hybrid"}  # every score that uses the model
DEFAULT = "hybrid"  # the default score of hitwin distance (HW_M_DEFAULT)
# hybrid for files written before hitwin had it: pairwise + maps + Pearson window diffs, each
# in units of its robust spread
HYBRID, HYBRID_PARTS = "hybrid", ("pairwise", "maps", "pearson")


def auroc(s, y):
    ok = np.isfinite(s)
    s, y = s[ok], y[ok]
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return np.nan
    r = rankdata(s)
    return (r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def average_precision(s, y):
    ok = np.isfinite(s)
    s, y = s[ok], y[ok]
    if y.sum() == 0:
        return np.nan
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    tp = np.cumsum(y)
    k = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # last index of each distinct score
    prec, rec = tp[k] / (k + 1), tp[k] / y.sum()
    return float(np.sum(np.diff(np.r_[0, rec]) * prec))


def read_truth(path):
    rows = []
    for line in open(path):
        if line.startswith(("#", "track")) or not line.strip():
            continue
        f = line.split("\t")
        rows.append((f[0], int(f[1]), int(f[2]), float(f[4] if len(f) > 4 else f[3])))
    return rows


def window_truth(chrom, start, end, truth, dense):
    out = np.zeros(len(chrom))
    for k, (c, s, e) in enumerate(zip(chrom, start, end)):
        if dense:
            cover = sum(max(0, min(e, te) - max(s, ts)) * v for tc, ts, te, v in truth if tc == c)
            out[k] = cover / (e - s)
        else:
            out[k] = any(tc == c and ts < e and te > s for tc, ts, te, _ in truth)
    return out


def read_change(path):
    """(chrom, start) -> the window's visible change (bench/quality_change.py)."""
    out = {}
    with open(path) as f:
        next(f)
        for line in f:
            c, s, change, _ = line.rstrip("\n").split("\t")
            out[(c, int(s))] = float(change)
    return out


def own_diff(pairs, m, windows):
    """between - within of each window's own pairs: the score without `hitwin distance
    --neighbours` (files before it: the same as diff)."""
    pw, lab, d = pairs["window"][:], pairs["label"][:], pairs[m][:]
    row = {int(x): i for i, x in enumerate(windows)}
    k = np.array([row[int(x)] for x in pw])
    ok = np.isfinite(d)
    means = []
    for side in (1, 0):  # between, within
        sel = ok & (lab == side)
        s = np.bincount(k[sel], weights=d[sel], minlength=len(windows))
        n = np.bincount(k[sel], minlength=len(windows))
        with np.errstate(invalid="ignore", divide="ignore"):
            means.append(s / n)
    return means[0] - means[1]


def load(run):
    with h5py.File(run) as h:
        w = h["windows"]
        chrom = [x.decode() if isinstance(x, bytes) else x for x in w["chrom"][:]]
        cols = {"chrom": chrom, "start": w["start"][:], "end": w["end"][:], "split": w["split"][:]}
        for m in MEASURES:
            if m + "_between" not in w:
                continue
            d = w[m + "_diff"][:] if m + "_diff" in w else w[m + "_between"][:] - w[m + "_within"][:]
            cols[m + ".diff"] = d
            if m + "_z" in w:
                cols[m + ".z"] = w[m + "_z"][:]
            if "pairs" in h and m in h["pairs"]:
                cols[m + ".own"] = own_diff(h["pairs"], m, w["window"][:])
    parts = [m + ".diff" for m in HYBRID_PARTS]
    if HYBRID + ".diff" not in cols and all(k in cols for k in parts):
        cols[HYBRID + ".diff"] = sum(cols[k] / robust_spread(cols[k]) for k in parts)
    return cols


def robust_spread(x):
    """1.4826 MAD over the finite values (hitwin's hw_robust_spread); 1 when there is none."""
    x = x[np.isfinite(x)]
    s = 1.4826 * np.median(np.abs(x - np.median(x))) if len(x) else np.nan
    return s if np.isfinite(s) and s > 0 else 1.0


def order(name):
    """Row order: the measures as hitwin lists them."""
    return MEASURES.index(name)


def metrics(score, truth, dense):
    if dense:
        lo, hi = np.nanpercentile(truth, [25, 75])
        sel = (truth <= lo) | (truth >= hi)
        y = truth >= hi
        a = auroc(score[sel], y[sel]) if hi > lo else np.nan
        ap = average_precision(score[sel], y[sel]) if hi > lo else np.nan
        ok = np.isfinite(score) & np.isfinite(truth)
        rho = spearmanr(score[ok], truth[ok]).correlation if ok.sum() > 2 else np.nan
        return a, ap, rho
    y = truth > 0
    return auroc(score, y), average_precision(score, y), np.nan


def null_band(score, truth, dense, chrom, rotations=200, seed=1):
    """sd of the AUROC of score when truth is rotated within each chromosome by a random number
    of windows (the null's sampling spread for this many sites of these sizes)."""
    rng = np.random.default_rng(seed)
    chrom = np.asarray(chrom)
    groups = [np.nonzero(chrom == c)[0] for c in dict.fromkeys(chrom)]
    out = []
    for _ in range(rotations):
        t = np.empty_like(truth)
        for g in groups:
            t[g] = np.roll(truth[g], int(rng.integers(0, len(g))))
        out.append(metrics(score, t, dense)[0])
    return float(np.nanstd(out))


def band(xs):
    xs = [x for x in xs if np.isfinite(x)]
    return f"±{np.mean(xs):.3f}  " if xs else "   -     "


def fmt(xs):
    xs = [x for x in xs if np.isfinite(x)]
    if not xs:
        return "   -      "
    if len(xs) == 1:
        return f"{xs[0]:.3f}     "
    return f"{np.mean(xs):.3f}±{np.std(xs):.2f}"


def main():
    out, sets = sys.argv[1], sys.argv[2:]
    print("AUROC (mean±sd over seeds), AP, Spearman rho (dense), and the null's AUROC; "
          "all windows | held-out test chromosome")
    print(f"{'set':13} {'score':21} {'AUROC all':11} {'AP all':11} {'rho all':11} {'null all':11}"
          f" {'null band':9} | {'AUROC test':11} {'AP test':11} {'rho test':11} {'null test':11}"
          f" {'null band':9}")
    judged = []
    for name in sets:
        real_dir = f"{out}/{name}-real"
        judged.append((name,) + table(name, out, read_truth_of(real_dir), None))
        if os.path.exists(f"{real_dir}/truth_change.tsv"):
            judged.append((name + ":change",) +
                          table(name + ":change", out, None, read_change(f"{real_dir}/truth_change.tsv")))
    print()
    print(f"Against the realistic-quality issue's bars ({DEFAULT} diff, the default score; "
          "means over seeds):")
    for label, results, dense in judged:
        criteria(label, results, dense)


def read_truth_of(real_dir):
    dense = os.path.exists(f"{real_dir}/truth.bedgraph")
    return dense, read_truth(f"{real_dir}/truth.bedgraph" if dense else f"{real_dir}/truth.bed")


def table(label, out, truth_of, change):
    """One block of rows: every score of set label (its name before ':') against the set's own
    truth (truth_of: (dense, rows)) or, with change, against the visible change."""
    name = label.split(":")[0]
    real_dir, null_dir = f"{out}/{name}-real", f"{out}/{name}-null"
    dense, truth = truth_of if change is None else (True, None)
    results = {}  # (score, selection, variant) -> list of (auroc, ap, rho)
    for variant, d in (("real", real_dir), ("null", null_dir)):
        for run in sorted(glob.glob(f"{d}/seed*/dist/best_distances.h5")):
            cols = load(run)
            if change is None:
                t = window_truth(cols["chrom"], cols["start"], cols["end"], truth, dense)
            else:
                t = np.array([change.get((c, int(s)), np.nan) for c, s in zip(cols["chrom"], cols["start"])])
            for key in [k for k in cols if "." in k]:
                for sel_name, sel in (("all", np.ones(len(t), bool)), ("test", cols["split"] == 2)):
                    r = metrics(cols[key][sel], t[sel], dense)
                    if variant == "null":
                        chrom = np.asarray(cols["chrom"])[sel]
                        r = r + (null_band(cols[key][sel], t[sel], dense, chrom),)
                    results.setdefault((key, sel_name, variant), []).append(r)
    keys = sorted({k[0] for k in results}, key=lambda k: (k.split(".")[0] not in LEARNED,
                                                          order(k.split(".")[0]), k))
    for key in keys:
        row = f"{label:13} {key:21}"
        for sel in ("all", "test"):
            real = results.get((key, sel, "real"), [])
            null = results.get((key, sel, "null"), [])
            row += (f" {fmt([r[0] for r in real]):11} {fmt([r[1] for r in real]):11}"
                    f" {fmt([r[2] for r in real]):11} {fmt([r[0] for r in null]):11}"
                    f" {band([r[3] for r in null]):9}")
            row += " |" if sel == "all" else ""
        print(row)
    return results, dense


CLASSICAL = [m for m in MEASURES if m not in LEARNED]


def mean_of(results, key, sel, variant, col=0):
    xs = [r[col] for r in results.get((key, sel, variant), []) if np.isfinite(r[col])]
    return (float(np.mean(xs)), len(xs)) if xs else (np.nan, 0)


def criteria(label, results, dense):
    """One line per selection: the default score (DEFAULT's diff) against the best
    classical diff, its null and (dense) its rho, judged by the realistic-quality issue's
    bars: sparse +0.05 above the best classical, dense not below it, dense rho >= 0.7, null
    within 0.5 +- 0.05 (means over the seeds)."""
    for sel in ("all", "test"):
        learned, n = mean_of(results, DEFAULT + ".diff", sel, "real")
        if not n:
            continue
        best, best_name = -np.inf, "-"
        for m in CLASSICAL:
            v, k = mean_of(results, m + ".diff", sel, "real")
            if k and v > best:
                best, best_name = v, m
        margin = learned - best
        need = 0.0 if dense else 0.05
        verdict = [f"margin {margin:+.3f} ({'ok' if margin >= need else 'short'}: {'>= 0' if dense else '>= +0.05'})"]
        if dense:
            rho, _ = mean_of(results, DEFAULT + ".diff", sel, "real", 2)
            verdict.append(f"rho {rho:.3f} ({'ok' if rho >= 0.7 else 'short'}: >= 0.7)")
        null, k = mean_of(results, DEFAULT + ".diff", sel, "null")
        if k:
            spread, _ = mean_of(results, DEFAULT + ".diff", sel, "null", 3)
            verdict.append(f"null {null:.3f} ({'ok' if abs(null - 0.5) <= 0.05 else 'out'}: 0.5 +- 0.05;"
                           f" its sampling band +-{spread:.3f})")
        print(f"{label:13} {sel:4} learned {learned:.3f} ({n} seeds), best classical {best_name} {best:.3f}; "
              + ", ".join(verdict))


if __name__ == "__main__":
    main()
