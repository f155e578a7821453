#!/usr/bin/env bash
# MaxViT checkpoints written by `hitwin train` load into PyTorch with
# load_state_dict(strict=True) (docs/maxvit.md, "Checkpoints and PyTorch"):
#   - a tiny SMaxViT and a tiny SMaxViTMulti (configs/train-maxvit-tiny.yaml, the reference's
#     input scaling, 1 epoch on a 56-bin synthetic store) each load strictly into the module of
#     tests/fixtures/make_maxvit_model_fixture.py (torchvision's module names; SiameseNet's
#     mask; the projector), and their heads (best_nn) into the reference's LastLayerNN;
#   - every relative_position_index in the file equals torchvision's
#     _get_relative_position_index(7, 7), and every BatchNorm has its num_batches_tracked;
#   - in eval mode torch's embeddings of 4 raw tiles (torch in float64 from the file's float32)
#     match hitwin's (checkpoint_embed: the checkpoint built and loaded as `hitwin distance`
#     does): |C - torch| <= 1e-6 + 1e-5 |torch|, float32 through ~40 ops of the tiny model
#     (observed 2.5e-7 and 3.1e-7 on values up to 2.1 and 1.4: 50-90x inside);
#   - self-checks: the same file without its int64 buffers (a checkpoint written before them)
#     is refused by the strict load, and torch's embeddings with a wrong (transposed) position
#     index move outside the tolerance (observed 10.7x and 22.5x the bound after 2 training steps:
#     the bias tables are still near their N(0, 0.02) start), so both checks above can fail.
# Skipped (77) when /usr/bin/python3 cannot import torch.
# usage: test_maxvit_torch_strict.sh TRAIN_FIXTURE CHECKPOINT_EMBED   (env: HITWIN)
set -euo pipefail
fixture=$1 embed=$2
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "/usr/bin/python3 has no torch: skipped"; exit 77; }
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
T=$(mktemp -d /tmp/hw_maxvit_strict.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$fixture" "$T/t56.h5" normal 56 4 2
for model in SMaxViT SMaxViTMulti; do
  "$HITWIN" train configs/train-maxvit-tiny.yaml --set tiles="$T/t56.h5" --set output="$T/$model" \
    --set model=$model --set recipe=reference --set learning_rate=1e-2 --set epochs=1 -q > /dev/null
  mkdir -p "$T/$model/emb"
  "$embed" "$T/$model/best.safetensors" 56 "$T/$model/emb"
done
/usr/bin/python3 - "$T" <<'PY'
import importlib.util, json, struct, sys, warnings
import numpy as np, torch
warnings.simplefilter("ignore")
T = sys.argv[1]

def module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

mv = module("maxvit_fixture", "tests/fixtures/make_maxvit_model_fixture.py")  # float64 default
ref = module("slenet_fixture", "tests/fixtures/make_model_fixture.py")

def load_safetensors(path):  # struct + json: Debian has no python3-safetensors
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    out, data = {}, raw[8 + n:]
    for k, v in header.items():
        dt = np.dtype({"F32": "<f4", "I32": "<i4", "I64": "<i8"}[v["dtype"]])
        b, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[b:e], dtype=dt).copy().reshape(v["shape"]))
    return out

ok = True
def check(what, good, detail=""):
    global ok
    print(f"{what:58s} {detail}{'' if good else '  FAIL'}")
    ok &= bool(good)

index = mv.relative_position_index(7)
for name in ("SMaxViT", "SMaxViTMulti"):
    d = f"{T}/{name}"
    sd = load_safetensors(f"{d}/best.safetensors")
    multi = name == "SMaxViTMulti"
    model = mv.SMaxViT(multi=multi)
    try:
        model.load_state_dict(sd, strict=True)
        check(f"{name}: strict load", True)
    except RuntimeError as e:
        check(f"{name}: strict load", False, str(e)[:400])
        continue
    n_bn = sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    n_attn = sum(isinstance(m, mv.RelativePositionalMultiHeadAttention) for m in model.modules())
    counters = [k for k in sd if k.endswith(".num_batches_tracked")]
    check(f"{name}: num_batches_tracked, int64 [], one per BatchNorm",
          len(counters) == n_bn and all(sd[k].dtype == torch.int64 and sd[k].dim() == 0 for k in counters),
          f"{len(counters)} of {n_bn}")
    indices = [k for k in sd if k.endswith(".relative_position_index")]
    check(f"{name}: relative_position_index = torchvision's",
          len(indices) == n_attn and all(torch.equal(sd[k], index) for k in indices), f"{len(indices)} of {n_attn}")
    head = ref.LastLayerNN()
    D = 512 if multi else mv.CHANNELS[-1]
    head(torch.zeros(1, D), torch.zeros(1, D))  # materialise the LazyLinear, as HTF does
    try:
        head.load_state_dict(load_safetensors(f"{d}/best_nn.safetensors"), strict=True)
        check(f"{name}: head strict load", True)
    except RuntimeError as e:
        check(f"{name}: head strict load", False, str(e)[:400])
    # self-check: a file without the int64 buffers is what strict loading refused before
    older = {k: v for k, v in sd.items() if v.dtype != torch.int64}
    try:
        mv.SMaxViT(multi=multi).load_state_dict(older, strict=True)
        check(f"{name}: self-check, no int64 buffers refused", False, "accepted")
    except RuntimeError as e:
        check(f"{name}: self-check, no int64 buffers refused", "Missing key(s)" in str(e),
              f"{len(sd) - len(older)} missing")

    n, S, D = map(int, open(f"{d}/emb/dims.txt").read().split())
    tiles = torch.from_numpy(np.fromfile(f"{d}/emb/tiles.f32", dtype="<f4").reshape(n, 1, S, S)).double()
    emb_c = torch.from_numpy(np.fromfile(f"{d}/emb/emb.f32", dtype="<f4").reshape(n, D)).double()
    model.eval()
    with torch.no_grad():
        emb_t = model.embed(tiles)
    err = (emb_c - emb_t).abs()
    bound = 1e-6 + 1e-5 * emb_t.abs()
    check(f"{name}: eval embeddings [{n}, {D}]", bool((err <= bound).all()),
          f"max |C - torch| {err.max().item():.3g} ({(err / bound).max().item():.2g}x the bound), "
          f"max |torch| {emb_t.abs().max().item():.3g}, "
          f"spread over tiles {(emb_t - emb_t.mean(0)).abs().max().item():.3g}")
    # self-check: the position index matters to the embeddings at this tolerance
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, mv.RelativePositionalMultiHeadAttention):
                m.relative_position_index.copy_(index.t())
        moved = ((emb_c - model.embed(tiles)).abs() / bound).max().item()
    check(f"{name}: self-check, a transposed index is seen", moved > 1, f"moves up to {moved:.3g}x the bound")
sys.exit(0 if ok else 1)
PY
