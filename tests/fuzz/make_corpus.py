#!/usr/bin/env python3
"""Make the seed corpora of tests/fuzz/corpus/<harness>/ (a few KB each).

  hic/          .hic v8 and v9 from the fixture writer (tests/fixtures/make_hic_fixtures.py)
                cut down to two short chromosomes (norm vectors, expected vectors, type 1
                and 2 blocks), plus a v9 file written by hictkpy (an independent writer)
  cool/         a .cool and a 2-resolution .mcool in the cooler schema (h5py, contiguous
                datasets so the files stay small), one with a weight column
  tile_store/   a tile store with 2 samples, 3 windows of 4 x 4 tiles (the layout of
                include/hitwin/tile_store.h)
  yaml_*/       the committed example configs and small variants
  safetensors/  a two-tensor file and tests/data/model_fixture_nn.safetensors
  truth/        BED and bedGraph lines (first byte: 0 .bed, 1 .bedgraph, 2 no extension)

Run from the repository root: python3 tests/fuzz/make_corpus.py
Needs numpy, h5py and hictkpy (pip).
"""
import importlib.util
import json
import os
import shutil
import struct

import h5py
import numpy as np

OUT = "tests/fuzz/corpus"


def put(sub, name, data):
    d = os.path.join(OUT, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as fp:
        fp.write(data)


def hic():
    spec = importlib.util.spec_from_file_location("mk", "tests/fixtures/make_hic_fixtures.py")
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    mk.CHROMS = [("chr1", 95_000), ("chr2", 61_000)]
    mk.BLOCK_BINS = {10_000: 4, 50_000: 2}
    rng = np.random.default_rng(5)
    contacts = mk.make_contacts(rng)
    vecs = mk.make_norm_vectors(rng)
    exp = mk.make_expected(rng)
    for version in (8, 9):
        path = f"/tmp/hitwin_seed_v{version}.hic"
        mk.write_hic(path, version, "seed", contacts, vecs, exp, np.random.default_rng(version), [])
        put("hic", f"v{version}.hic", open(path, "rb").read())
        os.remove(path)
    import hictkpy
    import pandas as pd
    chroms = {"chr1": 95_000, "chr2": 61_000}
    rows = []
    for c, n in chroms.items():
        nb = (n + 9999) // 10000
        for i in range(nb):
            for j in range(i, min(nb, i + 3)):
                rows.append((c, i * 10000, min(n, (i + 1) * 10000), c, j * 10000, min(n, (j + 1) * 10000), 1 + i + j))
    rows.append(("chr1", 0, 10000, "chr2", 10000, 20000, 7))
    df = pd.DataFrame(rows, columns=["chrom1", "start1", "end1", "chrom2", "start2", "end2", "count"])
    path = "/tmp/hitwin_seed_hictk.hic"
    if os.path.exists(path):
        os.remove(path)
    w = hictkpy.hic.FileWriter(path, chroms, [10000, 20000], "seed", n_threads=1, compression_lvl=9,
                               skip_all_vs_all_matrix=True)
    w.add_pixels(df)
    w.finalize()
    put("hic", "v9_hictk.hic", open(path, "rb").read())
    os.remove(path)


def write_cooler(g, chroms, res, weight, rng):
    g.attrs["format"] = "HDF5::Cooler"
    g.attrs["format-version"] = 3
    g.attrs["bin-type"] = "fixed"
    g.attrs["bin-size"] = res
    g.attrs["storage-mode"] = "symmetric-upper"
    g.attrs["genome-assembly"] = "seed"
    names = [c for c, _ in chroms]
    g.create_dataset("chroms/name", data=np.array(names, dtype="S8"))
    g.create_dataset("chroms/length", data=np.array([n for _, n in chroms], dtype=np.int32))
    bc, bs, be, off = [], [], [], [0]
    for k, (c, n) in enumerate(chroms):
        nb = (n + res - 1) // res
        for i in range(nb):
            bc.append(k), bs.append(i * res), be.append(min(n, (i + 1) * res))
        off.append(off[-1] + nb)
    nbins = len(bs)
    g.create_dataset("bins/chrom", data=np.array(bc, dtype=np.int32))
    g.create_dataset("bins/start", data=np.array(bs, dtype=np.int32))
    g.create_dataset("bins/end", data=np.array(be, dtype=np.int32))
    if weight:
        w = rng.uniform(0.5, 1.5, nbins)
        w[1] = np.nan
        g.create_dataset("bins/weight", data=w)
    b1, b2, cnt, b1off = [], [], [], [0]
    for i in range(nbins):
        for j in range(i, min(nbins, i + 3)):
            b1.append(i), b2.append(j), cnt.append(int(rng.integers(1, 20)))
        if i == 0:
            b1.append(0), b2.append(nbins - 1), cnt.append(3)  # one inter pixel
        b1off.append(len(b1))
    g.create_dataset("pixels/bin1_id", data=np.array(b1, dtype=np.int64))
    g.create_dataset("pixels/bin2_id", data=np.array(b2, dtype=np.int64))
    g.create_dataset("pixels/count", data=np.array(cnt, dtype=np.int32))
    g.create_dataset("indexes/chrom_offset", data=np.array(off, dtype=np.int64))
    g.create_dataset("indexes/bin1_offset", data=np.array(b1off, dtype=np.int64))


def cool():
    rng = np.random.default_rng(3)
    chroms = [("chr1", 95_000), ("chr2", 61_000)]
    path = "/tmp/hitwin_seed.cool"
    with h5py.File(path, "w", libver="latest") as f:
        write_cooler(f, chroms, 10_000, True, rng)
    put("cool", "small.cool", open(path, "rb").read())
    with h5py.File(path, "w", libver="latest") as f:
        for res in (20_000, 40_000):
            write_cooler(f.create_group(f"resolutions/{res}"), chroms, res, res == 20_000, rng)
    put("cool", "small.mcool", open(path, "rb").read())
    os.remove(path)


def tile_store():
    path = "/tmp/hitwin_seed_tiles.h5"
    T, S, W = 4, 2, 3
    with h5py.File(path, "w", libver="latest") as f:
        for k, v in {"format": "hitwin-tiles", "hitwin_version": "seed", "config": "resolution: 10000\n",
                     "name": "seed", "normalisation": "NONE", "type": "observed"}.items():
            f.attrs[k] = v
        for k, v in {"format_version": 1, "resolution": 10000, "tile_size": T, "stride": 2, "n_windows": W}.items():
            f.attrs[k] = np.int64(v)
        f.attrs["min_row_coverage"] = 0.5
        f.create_dataset("tiles", data=np.arange(W * S * T * T, dtype=np.float32).reshape(W, S, T, T))
        st = h5py.string_dtype()
        f.create_dataset("samples/name", data=["a_R1", "b_R1"], dtype=st)
        f.create_dataset("samples/path", data=["a.mcool", "b.mcool"], dtype=st)
        f.create_dataset("samples/condition", data=["a", "b"], dtype=st)
        f.create_dataset("samples/replicate", data=["R1", "R1"], dtype=st)
        f.create_dataset("samples/class_id", data=np.array([0, 1], dtype=np.int32))
        f.create_dataset("chroms/name", data=["chr1", "chr2"], dtype=st)
        f.create_dataset("chroms/length", data=np.array([95_000, 61_000], dtype=np.int64))
        f.create_dataset("chroms/split", data=np.array([0, 2], dtype=np.int8))
        f.create_dataset("windows/chrom", data=np.array([0, 0, 1], dtype=np.int32))
        f.create_dataset("windows/start", data=np.array([0, 20_000, 0], dtype=np.int64))
        f.create_dataset("windows/split", data=np.array([0, 0, 2], dtype=np.int8))
        f.create_dataset("qc/kept", data=np.array([[1, 1], [1, 0], [0, 1]], dtype=np.uint8))
        f.create_dataset("qc/rows_covered", data=np.array([[4, 4], [3, 1], [0, 4]], dtype=np.int32))
    put("tile_store", "small.h5", open(path, "rb").read())
    os.remove(path)


def yaml():
    for sub, files in [("yaml_dataset", ["configs/example.yaml"]), ("yaml_train", ["configs/train-slenet.yaml"]),
                       ("yaml_simulate", ["configs/simulate-small.yaml"])]:
        for p in files:
            if os.path.exists(p):
                put(sub, os.path.basename(p), open(p, "rb").read())
    put("yaml_dataset", "flow.yaml", b"resolution: 1e4\ntile_size: 64\nstride: 8\nsamples:\n"
        b"  - {path: a.mcool, condition: ctrl, replicate: R1}\n  - {path: b.mcool, condition: ctrl, replicate: R2}\n"
        b"  - {path: c.hic, condition: ko, replicate: R1}\n  - {name: last, path: /d.hic, condition: ko, replicate: R2}\n"
        b"split: {test: [chr2], validation: [chr3], exclude: [chrM]}\n")
    put("yaml_train", "small.yaml", b"tiles: t.h5\noutput: run\nepochs: 2\nbatch_size: 4\nseed: 7\n")
    put("yaml_simulate", "small.yaml", b"resolution: 10000\nreplicates: 2\nseed: 1\nmax_distance: 2000000\n"
        b"genome:\n  assembly: toy\n  chromosomes:\n    - {name: chr1, length: 2000000}\n    - {name: chr2, length: 1000000}\n")
    put("yaml_simulate", "preset.yaml", b"genome: {preset: small}\n")


def safetensors():
    hdr = {"__metadata__": {"format": "pt"},
           "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
           "b": {"dtype": "I8", "shape": [3], "data_offsets": [16, 19]}}
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    put("safetensors", "two.safetensors", struct.pack("<Q", len(h)) + h + bytes(range(19)))
    shutil.copy("tests/data/model_fixture_nn.safetensors", os.path.join(OUT, "safetensors", "model_nn.safetensors"))


def truth():
    put("truth", "bed", b"\x00#chrom\tstart\tend\tkind\tstrength\nchr1\t1000\t2000\tloop_loss\t0.8\n"
        b"chr1\t5000\t6000\tboundary_loss\t0\nchr2\t0\t100\tcompartment_shift\t1\n")
    put("truth", "bedgraph", b"\x01track type=bedGraph\nchr1\t0\t3000\t0.2\nchr1\t3000\t9000\t0.7\n")
    put("truth", "plain", b"\x02chr1\t0\t3000\t0.2\n2\t10\t20\t1.5\n")


if __name__ == "__main__":
    hic()
    cool()
    tile_store()
    yaml()
    safetensors()
    truth()
