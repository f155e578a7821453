#!/usr/bin/python3
"""The reference training step (HiTwinFormer main_final.py, reference.md 3.1-3.3,
4.1-4.2, 5.4) on the tiles of a hitwin tile store, for bench/train.sh.

SiameseNet(mask=True) with per-sample max normalisation, SLeNet backbone,
LastLayerNN head (LazyLinear(2) -> GELU -> Softmax), L = 2 * L_con + CE (double
softmax), Adam lr 1e-4, fp32 on CPU (the reference's AMP is CUDA-only). Pairs
are every unordered pair of kept samples at each training window, as hitwin
builds them; one epoch of RandomSampler batches, timed from the first batch to
the last optimiser step. Tiles are held in memory (the reference's dataset does).

  reference_train.py TILES.bin KEPT.bin SPLIT.bin CLASS.bin W S T BATCH [THREADS]
(the raw arrays of /tiles, /qc/kept, /windows/split, /samples/class_id as
h5dump -b LE writes them). Prints one line: pairs, seconds, pairs/s."""
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


from reference_model import LastLayerNN, SiameseNet, contrastive  # noqa: E402


def main():
    warnings.filterwarnings("ignore", message="Lazy modules")
    tiles_p, kept_p, split_p, class_p = sys.argv[1:5]
    W, S, T, B = (int(a) for a in sys.argv[5:9])
    threads = int(sys.argv[9]) if len(sys.argv) > 9 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(30004)
    tiles = np.fromfile(tiles_p, dtype="<f4").reshape(W, S, T, T)
    kept = np.fromfile(kept_p, dtype="u1").reshape(W, S)
    split = np.fromfile(split_p, dtype="i1")
    cls = np.fromfile(class_p, dtype="<i4")
    pairs = [(w, a, b) for w in range(W) if split[w] == 0
             for a in range(S) for b in range(a + 1, S) if kept[w, a] and kept[w, b]]
    x_all = torch.from_numpy(np.ascontiguousarray(tiles))
    labels = torch.tensor([0.0 if cls[a] == cls[b] else 1.0 for _, a, b in pairs])
    model, head = SiameseNet(T, mask=True), LastLayerNN()
    head(torch.rand(1, 83))  # materialise the lazy layer, as HTF does
    opt = torch.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=1e-4)
    ce = nn.CrossEntropyLoss()
    model.train()
    head.train()
    order = torch.randperm(len(pairs))
    t0 = time.perf_counter()
    n = 0
    for i in range(0, len(pairs), B):
        idx = order[i:i + B]
        w = torch.tensor([pairs[k][0] for k in idx])
        a = torch.tensor([pairs[k][1] for k in idx])
        b = torch.tensor([pairs[k][2] for k in idx])
        x1 = x_all[w, a].unsqueeze(1).clone()
        x2 = x_all[w, b].unsqueeze(1).clone()
        y = labels[idx]
        e1, e2 = model(x1, x2)
        loss = 2.0 * contrastive(e1, e2, y) + ce(head(e1 - e2), y.long())
        loss.backward()
        opt.step()
        opt.zero_grad()
        n += len(idx)
    dt = time.perf_counter() - t0
    print(f"reference: {n} pairs, batch {B}, {threads} threads, {dt:.3f} s, {n / dt:.2f} pairs/s")


if __name__ == "__main__":
    main()
