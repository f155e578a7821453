#!/usr/bin/python3
"""The reference's per-pair saliency work (PairOfDatasets.append_data, reference.md 7.2-7.3)
on the tiles bench/saliency_bench.c wrote, for bench/saliency.sh.

SLeNet written from reference.md 3.2, weights from the same safetensors checkpoint; the
tiles / max, times the band mask; per pair: the hooked conv2 maps of both tiles (two
forwards), then integrated_gradients with n_steps alphas, batch 1: per alpha four forwards
(two of them the constant endpoints) and two backwards, as the reference specifies it, with
gradients enabled (its HEAD runs under no_grad and raises, bug 28). Model in eval mode.

  reference_saliency.py TILES.bin CKPT.safetensors [--steps 100] [--pairs 1] [--threads N]
Prints seconds per pair, and the largest difference of its first map from hitwin's."""
import argparse
import json
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in h.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        dt = {"F32": "<f4", "I32": "<i4"}[v["dtype"]]
        out[k] = torch.from_numpy(np.frombuffer(data[a:b], dtype=dt).reshape(v["shape"]).copy())
    return out


class SLeNet(nn.Module):
    def __init__(self, feat_dim):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5, 1), nn.MaxPool2d(2, 2),
                                      nn.Conv2d(6, 16, 5, 1), nn.MaxPool2d(2, 2))
        self.linear = nn.Sequential(nn.Dropout(0.5), nn.Linear(feat_dim, 120), nn.GELU(),
                                    nn.Linear(120, 83), nn.GELU())

    def forward_one(self, x):
        x = self.features(x)
        return self.linear(x.view(x.size(0), -1))


def pair_work(model, hook, x1, x2, n_steps):
    with torch.no_grad():  # 7.2: the hooked feature maps, one forward per tile
        model.forward_one(x1)
        f1 = hook["out"].abs()
        model.forward_one(x2)
        f2 = hook["out"].abs()
        feat = (f2 - f1).mean(dim=1)
    g1 = torch.zeros_like(x1)
    g2 = torch.zeros_like(x2)
    for alpha in torch.linspace(0, 1, n_steps):
        xt1 = (x2 + alpha * (x1 - x2)).detach().requires_grad_(True)
        F.pairwise_distance(model.forward_one(xt1), model.forward_one(x2)).sum().backward()
        g1 += xt1.grad
        xt2 = (x1 + alpha * (x2 - x1)).detach().requires_grad_(True)
        F.pairwise_distance(model.forward_one(x1), model.forward_one(xt2)).sum().backward()
        g2 += xt2.grad
    ig = 0.5 * ((x1 - x2) * g1 / n_steps + (x2 - x1) * g2 / n_steps)
    return feat, ig.mean(dim=1)[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tiles")
    ap.add_argument("ckpt")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--pairs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    raw = open(a.tiles, "rb").read()
    n, T = struct.unpack("<ii", raw[:8])
    tiles = np.frombuffer(raw[8:8 + 4 * n * T * T], dtype="<f4").reshape(n, T, T)
    ours = np.frombuffer(raw[8 + 4 * n * T * T:], dtype="<f4").reshape(T, T)
    sd = read_safetensors(a.ckpt)
    model = SLeNet(sd["linear.1.weight"].shape[1])
    model.load_state_dict({k: v for k, v in sd.items() if k != "mask"})
    model.eval()
    hook = {}
    model.features[2].register_forward_hook(lambda m, i, o: hook.__setitem__("out", o))
    mask = torch.tensor(np.tril(np.ones(T), k=-3) + np.triu(np.ones(T), k=3), dtype=torch.float32)
    x = [torch.from_numpy(t.copy())[None, None] for t in tiles]
    x = [(t / t.max() if t.max() > 0 else t) * mask for t in x]
    t0 = time.perf_counter()
    first = None
    for p in range(a.pairs):
        i, j = p % n, (p + 1) % n
        _, ig = pair_work(model, hook, x[i], x[j], a.steps)
        if first is None:
            first = ig.detach().numpy()
    dt = (time.perf_counter() - t0) / a.pairs
    diff = np.abs(first - ours).max()
    print(f"reference: {dt:.3f} s per pair (features + IG {a.steps} steps, batch 1, torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads); max |map - hitwin's| "
          f"{diff:.2e} of {np.abs(first).max():.2e}")


if __name__ == "__main__":
    main()
