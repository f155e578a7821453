#!/usr/bin/python3
"""The reference's distance calculation (HiTwinFormer distance_calculation.py,
reference.md 6) on the tiles of a hitwin tile store, for bench/distance.sh.

SiameseNet(mask=True) + SLeNet written from reference.md 3.1-3.2, weights loaded
from the same safetensors checkpoint `hitwin distance` reads (strict: every key,
the int32 mask included). Items as SiameseHiCDataset builds them (every pair k < j
of the samples kept at a window, lower index first), grouped by chromosome in
string order, windows in descending start; a sequential loader of batch 100;
`model(x1, x2)` under no_grad (normalise, mask, one forward per tile of each
pair) and F.pairwise_distance / 1 - F.cosine_similarity. As in the reference the
model is NOT put in eval mode (dropout p = 0.5 stays on: bug 24). Tiles are held
in memory, as the reference's dataset holds them; loading is not timed.

  reference_distance.py STORE.h5 CKPT.safetensors [--threads N] [--measure pairwise|cosine]
                        [--batch 100] [--split all|train|validation|test] [--eval]
Prints: pairs, seconds, pairs/s (and the first distances with --show)."""
import argparse
import json
import struct
import subprocess
import sys
import tempfile
import time
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


from reference_model import SLeNet, SiameseNet  # noqa: E402,F401


def load_safetensors(path):
    dtypes = {"F32": np.float32, "I32": np.int32, "I64": np.int64, "F64": np.float64}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        a = np.frombuffer(data[b:e], dtype=dtypes[t["dtype"]]).reshape(t["shape"])
        out[name] = torch.from_numpy(a.copy())
    return out


def read_store(path):
    """/tiles, /qc/kept, /windows/{chrom,start,split}, /samples/class_id, /chroms/name."""
    try:
        import h5py
        with h5py.File(path, "r") as f:
            names = [n.decode() if isinstance(n, bytes) else n for n in f["chroms/name"][:]]
            return (f["tiles"][:], f["qc/kept"][:], f["windows/chrom"][:], f["windows/start"][:],
                    f["windows/split"][:], f["samples/class_id"][:], names)
    except ImportError:  # Debian's python3 with torch has no h5py: h5dump the raw arrays
        out = []
        with tempfile.TemporaryDirectory() as tmp:
            shape = None
            for ds, dt in [("tiles", np.float32), ("qc/kept", np.uint8), ("windows/chrom", np.int32),
                           ("windows/start", np.int64), ("windows/split", np.int8),
                           ("samples/class_id", np.int32)]:
                raw = os.path.join(tmp, "x.bin")
                subprocess.run(["h5dump", "-d", "/" + ds, "-b", "LE", "-o", raw, path], check=True,
                               stdout=subprocess.DEVNULL)
                out.append(np.fromfile(raw, dtype=dt))
            ls = subprocess.run(["h5dump", "-d", "/chroms/name", "-y", "-w", "0", path], check=True,
                                capture_output=True, text=True).stdout
            body = ls.split("DATA {", 1)[1].split("}", 1)[0]
            names = [s for s in body.replace("\n", " ").split('"')[1::2]]
        W = out[2].size
        S = out[5].size
        T = int(round((out[0].size / (W * S)) ** 0.5))
        return (out[0].reshape(W, S, T, T), out[1].reshape(W, S), out[2], out[3], out[4], out[5], names)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("ckpt")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--measure", default="pairwise", choices=["pairwise", "cosine"])
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--split", default="all")
    ap.add_argument("--eval", action="store_true", help="model.eval() (the reference does not)")
    ap.add_argument("--show", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tiles, kept, wchrom, wstart, wsplit, class_id, names = read_store(args.store)
    T = tiles.shape[-1]
    model = SiameseNet(T, mask=True)
    model.load_state_dict(load_safetensors(args.ckpt), strict=True)
    if args.eval:
        model.eval()
    split = {"all": None, "train": 0, "validation": 1, "test": 2}[args.split]

    # SiameseHiCDataset items, grouped by chromosome key (string order), descending start
    items = {}
    for w in range(len(wstart)):
        if split is not None and wsplit[w] != split:
            continue
        ks = [s for s in range(kept.shape[1]) if kept[w, s]]
        for i in range(len(ks)):
            for j in range(i + 1, len(ks)):
                items.setdefault(names[wchrom[w]], []).append(
                    (int(wstart[w]), w, ks[i], ks[j], int(class_id[ks[i]] != class_id[ks[j]])))
    x_all = torch.from_numpy(tiles).unsqueeze(2)  # [W, S, 1, T, T]
    n_pairs, rows = 0, []
    t0 = time.perf_counter()
    for chrom in sorted(items):
        its = sorted(items[chrom], key=lambda r: -r[0])  # stable: pair order kept
        for b in range(0, len(its), args.batch):
            batch = its[b:b + args.batch]
            x1 = torch.stack([x_all[r[1], r[2]] for r in batch])
            x2 = torch.stack([x_all[r[1], r[3]] for r in batch])
            with torch.no_grad():
                o1, o2 = model(x1, x2)
                if args.measure == "cosine":
                    d = 1 - F.cosine_similarity(o1, o2)
                else:
                    d = F.pairwise_distance(o1, o2)
            for r, v in zip(batch, d.numpy()):
                rows.append((chrom, r[0], r[2], r[3], float(v)))
            n_pairs += len(batch)
    dt = time.perf_counter() - t0
    for r in rows[:args.show]:
        print(*r)
    print(f"reference: {n_pairs} pairs, {dt:.3f} s, {n_pairs / dt:.1f} pairs/s")


if __name__ == "__main__":
    sys.exit(main())
