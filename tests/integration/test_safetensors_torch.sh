#!/usr/bin/env bash
# A checkpoint saved from C loads into the reference's own classes in PyTorch with
# load_state_dict(strict=True): SLeNet(mask=True, image_size=224) from model.safetensors
# and LastLayerNN from model_nn.safetensors (read with struct + json: Debian has no
# python3-safetensors). Then, in eval mode, the embeddings of 6 raw tiles and the
# contrastive objective (2 L_con + CE on the head's softmax) must match C's:
#   |C - torch| <= 1e-5 + 1e-4 |torch| (torch in float32).
# Skipped (77) when /usr/bin/python3 cannot import torch.
# usage: test_safetensors_torch.sh SAFETENSORS_EXPORT
set -euo pipefail
EXPORT=$1
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "/usr/bin/python3 has no torch: skipped"; exit 77; }
T=$(mktemp -d /tmp/hw_st_torch.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$EXPORT" "$T"
/usr/bin/python3 - "$T" <<'PY'
import importlib.util, json, struct, sys, warnings
import numpy as np, torch, torch.nn.functional as F
warnings.simplefilter("ignore")
T = sys.argv[1]
spec = importlib.util.spec_from_file_location("ref", "tests/fixtures/make_model_fixture.py")
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)

def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out, data = {}, raw[8 + n:]
    for k, v in header.items():
        dt = {"F32": np.float32, "I32": np.int32}[v["dtype"]]
        b, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[b:e], dtype=np.dtype(dt).newbyteorder("<")).copy().reshape(v["shape"]))
    return out, meta

sd, meta = load_safetensors(f"{T}/model.safetensors")
hsd, _ = load_safetensors(f"{T}/model_nn.safetensors")
assert meta.get("producer") == "safetensors_export" and meta.get("format") == "pt", meta
model = ref.SLeNet(mask=True, image_size=224)
model.load_state_dict(sd, strict=True)
head = ref.LastLayerNN()
head(torch.zeros(1, 83), torch.zeros(1, 83))
head.load_state_dict(hsd, strict=True)
model.eval(); head.eval()
tiles = torch.from_numpy(np.fromfile(f"{T}/tiles.f32", dtype="<f4").reshape(3, 2, 1, 224, 224))
labels = torch.from_numpy(np.fromfile(f"{T}/labels.i32", dtype="<i4").astype(np.int64))
emb_c = torch.from_numpy(np.fromfile(f"{T}/emb.f32", dtype="<f4").reshape(3, 2, 83))
loss_c, con_c, ce_c, ncorr_c = open(f"{T}/stats.txt").read().split()
with torch.no_grad():
    e1, e2 = model(tiles[:, 0], tiles[:, 1])
    p = head(e1, e2)
    con = ref.contrastive(e1, e2, labels.float())
    ce = F.cross_entropy(p, labels)
    loss = 2 * con + ce
ok = True
def close(name, a, b):
    global ok
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    err = (a - b).abs().max().item()
    good = bool(((a - b).abs() <= 1e-5 + 1e-4 * b.abs()).all())
    print(f"{name:10s} max err {err:.3g}{'' if good else '  FAIL'}")
    ok &= good
close("emb", emb_c, torch.stack([e1, e2], dim=1))
close("loss", float(loss_c), loss.item())
close("con", float(con_c), con.item())
close("ce", float(ce_c), ce.item())
ok &= int(ncorr_c) == int((p.argmax(1) == labels).sum())
print("mask tensor:", sd["mask"].dtype, tuple(sd["mask"].shape), "keys:", sorted(sd), sorted(hsd))
sys.exit(0 if ok else 1)
PY
