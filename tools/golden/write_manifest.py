#!/usr/bin/python3
"""Write DIR/MANIFEST.json in the format of the reference golden set's
manifest (generator, seed, sizes, library versions, files with bytes and
SHA-256), listing every file in DIR except MANIFEST.json and README.md.

usage: /usr/bin/python3 tools/golden/write_manifest.py DIR --seed S --sizes NAME
"""
import argparse
import hashlib
import json
import os

import h5py
import numpy
import torch

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--seed", type=int, required=True)
ap.add_argument("--sizes", required=True)
ap.add_argument("--generator", default="tools/golden/make_smallnet_golden.py")
a = ap.parse_args()

files = {}
for root, _, names in os.walk(a.dir):
    for n in sorted(names):
        p = os.path.join(root, n)
        rel = os.path.relpath(p, a.dir)
        if rel in ("MANIFEST.json", "README.md") or n.startswith("."):
            continue
        with open(p, "rb") as fh:
            data = fh.read()
        files[rel] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
manifest = {
    "generator": a.generator,
    "seed": a.seed,
    "sizes": a.sizes,
    "torch_version": torch.__version__,
    "numpy_version": numpy.__version__,
    "h5py_version": h5py.__version__,
    "files": dict(sorted(files.items())),
}
tmp = os.path.join(a.dir, ".MANIFEST.json.tmp")
with open(tmp, "w") as fh:
    json.dump(manifest, fh, indent=1)
os.replace(tmp, os.path.join(a.dir, "MANIFEST.json"))
print(json.dumps(manifest, indent=1))
