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
                     [--device cpu|cuda] [--amp] [--epochs N]
(the raw arrays of /tiles, /qc/kept, /windows/split, /samples/class_id as
h5dump -b LE writes them). Prints one line: pairs, seconds, pairs/s.

Options (bench/train-gpu.sh; the defaults are the CPU benchmark above, unchanged):
  --device cuda  model on the GPU; the tiles stay in host memory and each batch is copied
                 to the GPU, as the reference's DataLoader does
  --amp          the reference's mixed precision on CUDA: torch.autocast(float16) around
                 forward and loss, GradScaler for the backward and step
  --epochs N     N epochs (default 1); the line reports the last one (warm: cuDNN
                 autotuning and allocator growth happen in the first)"""
import sys
import time
from contextlib import nullcontext
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


from reference_model import LastLayerNN, SiameseNet, contrastive  # noqa: E402


def take_options(argv):
    """Removes --device X, --amp, --epochs N from argv; returns (device, amp, epochs)."""
    device, amp, epochs, rest, i = "cpu", False, 1, [], 0
    while i < len(argv):
        if argv[i] == "--device" and i + 1 < len(argv):
            device, i = argv[i + 1], i + 2
        elif argv[i] == "--amp":
            amp, i = True, i + 1
        elif argv[i] == "--epochs" and i + 1 < len(argv):
            epochs, i = int(argv[i + 1]), i + 2
        else:
            rest.append(argv[i])
            i += 1
    if device not in ("cpu", "cuda"):
        sys.exit(f"reference_train.py: --device {device}: expected cpu or cuda")
    if device == "cuda" and not torch.cuda.is_available():
        sys.exit("reference_train.py: --device cuda: torch sees no CUDA device "
                 f"(torch {torch.__version__}, built with CUDA {torch.version.cuda})")
    if amp and device != "cuda":
        sys.exit("reference_train.py: --amp needs --device cuda (the reference's AMP is CUDA-only)")
    return device, amp, epochs, rest


def main():
    warnings.filterwarnings("ignore", message="Lazy modules")
    device, amp, epochs, argv = take_options(sys.argv)
    tiles_p, kept_p, split_p, class_p = argv[1:5]
    W, S, T, B = (int(a) for a in argv[5:9])
    threads = int(argv[9]) if len(argv) > 9 else 2
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
    model, head = model.to(device), head.to(device)
    opt = torch.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=1e-4)
    ce = nn.CrossEntropyLoss()
    scaler = torch.cuda.amp.GradScaler() if amp else None
    model.train()
    head.train()
    cuda = device == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
    for _ in range(epochs):
        order = torch.randperm(len(pairs))
        if cuda:
            torch.cuda.synchronize()
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
            if cuda:
                x1, x2, y = (t.to(device, non_blocking=True) for t in (x1, x2, y))
            with torch.autocast(device_type="cuda", dtype=torch.float16) if amp else nullcontext():
                e1, e2 = model(x1, x2)
                loss = 2.0 * contrastive(e1, e2, y) + ce(head(e1 - e2), y.long())
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                opt.step()
            opt.zero_grad()
            n += len(idx)
        if cuda:
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
    where = f"{threads} threads" if not cuda else f"{torch.cuda.get_device_name()}{', AMP fp16' if amp else ', fp32'}"
    print(f"reference: {n} pairs, batch {B}, {where}, {dt:.3f} s, {n / dt:.2f} pairs/s")


if __name__ == "__main__":
    main()
