#!/usr/bin/python3
"""The PyTorch side of bench/maxvit-cpu.sh: the reference's SMaxViT (maxvit_t, reference.md
3.4-3.5) in fp32 on the CPU, timed on the tiles hitwin's driver wrote (bench/maxvit_bench.c):
    reference_maxvit.py TILES.bin THREADS VIEWS EVAL_REPS BATCH...
prints the same "key value" lines as the driver: eval_s (median of EVAL_REPS after one warm-up,
one tile, no_grad, eval mode), train_s_<B> (one Adam step of B items x VIEWS views after one
warm-up step at the largest B: zero_grad, the reference's triplet forward (each view a separate
call, SiameseNet's x / amax and mask), TripletMarginLoss(margin 1), backward, Adam lr 1e-4),
rss_base_mib (after the model and optimiser exist) and rss_peak_mib.

Debian's torchvision (0.14) has no MaxViT, so the model is the module-for-module construction
of tests/fixtures/make_maxvit_model_fixture.py (torchvision's module names, written from
reference.md 3.4), imported and set to maxvit_t's size (stem 64, [64, 128, 256, 512] x
[2, 2, 5, 2], head_dim 32): 30,143,944 parameters, as SMaxViT's. It has no stochastic depth
(torchvision's is a per-sample mask and scale, negligible work next to the layers); hitwin's
driver builds maxvit_t without it too. The weights and running statistics are hitwin's initial
ones (TILES.bin.safetensors, torchvision's init), so both sides compute the same function: the
warm-up step's loss (loss_warmup) must agree."""
import importlib.util
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def rss_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return float(line.split()[1]) / 1024.0
    return -1.0


def read_safetensors(path):
    """hitwin's initial weights and running statistics (bench/maxvit_bench.c writes them)"""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header, blob = json.loads(f.read(n)), f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        dt = {"F32": "<f4", "I32": "<i4", "I64": "<i8"}[v["dtype"]]
        out[k] = torch.from_numpy(np.frombuffer(blob[a:b], dtype=dt).copy().reshape(v["shape"]))
    return out


def load_fixture_module():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "tests", "fixtures", "make_maxvit_model_fixture.py")
    spec = importlib.util.spec_from_file_location("maxvit_fixture", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # sets float64 as the default dtype: undone below
    torch.set_default_dtype(torch.float32)
    # maxvit_t (the classes read these module globals when they are built and run)
    mod.S, mod.STEM, mod.CHANNELS, mod.LAYERS, mod.HEAD_DIM, mod.WIN = 224, 64, [64, 128, 256, 512], [2, 2, 5, 2], 32, 7
    return mod


def main():
    path, threads, views, eval_reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    batches = [int(b) for b in sys.argv[5:]]
    assert views == 3, "the triplet objective takes 3 views"
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    with open(path, "rb") as f:
        n, s = np.frombuffer(f.read(8), dtype="<i4")
        tiles = torch.from_numpy(np.frombuffer(f.read(), dtype="<f4").copy()).reshape(n, 1, s, s)
    mod = load_fixture_module()
    t0 = time.perf_counter()
    model = mod.TinyMaxVit().float()
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == 30143944, n_params
    missing, unexpected = model.load_state_dict(read_safetensors(path + ".safetensors"), strict=False)
    assert unexpected == ["mask"], unexpected  # SiameseNet's mask, applied in prepare()
    assert missing == [], missing  # the int64 buffers are in hitwin's file (docs/maxvit.md)
    mask = torch.tensor([[abs(i - j) >= 3 for j in range(s)] for i in range(s)], dtype=torch.int32)

    def prepare(x):  # SiameseNet.forward: x / amax per tile, then the mask
        return x / x.amax(dim=(1, 2, 3), keepdim=True) * mask

    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = nn.TripletMarginLoss(margin=1.0, p=2, eps=1e-7)
    print(f"params {n_params}")
    print(f"create_s {time.perf_counter() - t0:.2f}")
    print(f"rss_base_mib {rss_mib('VmRSS:'):.0f}")

    model.eval()
    te = []
    with torch.no_grad():
        for r in range(eval_reps + 1):
            t0 = time.perf_counter()
            model.forward_one(prepare(tiles[:1]))
            if r > 0:
                te.append(time.perf_counter() - t0)
    if te:
        print(f"eval_s {statistics.median(te):.3f}")

    model.train()
    for k in [-1] + list(range(len(batches))):
        B = max(batches) if k < 0 else batches[k]
        first = max(batches) * views if k < 0 else 0  # the warm-up's own tiles, as the driver
        xt = tiles[first:first + B * views].reshape(B, views, 1, s, s)  # item-major, as [n, views, S, S]
        t0 = time.perf_counter()
        opt.zero_grad()
        e = [model.forward_one(prepare(xt[:, v])) for v in range(views)]
        loss = loss_fn(e[0], e[1], e[2])
        loss.backward()
        opt.step()
        t = time.perf_counter() - t0
        if k < 0:
            print(f"loss_warmup {loss.item():.6f}")
        if k >= 0:
            print(f"train_s_{B} {t:.3f}")
            print(f"loss_{B} {loss.item():.6f}")
        sys.stdout.flush()
    print(f"rss_peak_mib {rss_mib('VmHWM:'):.0f}")


if __name__ == "__main__":
    main()
