#!/usr/bin/env python3
"""Writes Tests/Fixtures/mat/scipy_compressed.mat, the MAT-file fixture of DVEBench's MATv5 reader.

Run from the repository root with any Python that has numpy and scipy:
    python3 tools/mat/make_mat_fixture.py
The variables mirror what the DVE datasets read with scipy.io.loadmat: AFLW_R's `gt` (N x 5 x 2,
(y, x)) and `hw`, and 300-W's `bounding_boxes` (a 1 x N cell of 1 x 1 structs). Every variable is
zlib-compressed (do_compression=True, MATLAB's default since v7), `hw` is stored as uint16 and
`flags` as logical to exercise class handling. The expected values are listed in
Tests/LandmarksTests/DatasetMATTests.swift; nothing here runs at test time.
"""
import numpy as np
import scipy
import scipy.io

gt = np.zeros((3, 5, 2))
for i in range(3):
    for k in range(5):
        gt[i, k, 0] = 100 * i + 10 * k + 0.25  # y
        gt[i, k, 1] = 100 * i + 10 * k + 0.5   # x
hw = np.array([[90, 120], [100, 80], [1000, 65535]], dtype=np.uint16)

boxes = np.empty((1, 2), dtype=object)
for i, (name, box) in enumerate([("image_0001.png", [131.5, 20.25, 268.75, 171.0]),
                                 ("helen 2.jpg", [1.0, 2.0, 3.0, 4.0])]):
    entry = np.empty((1, 1), dtype=[("imgName", object), ("bb_detector", object), ("bb_ground_truth", object)])
    entry[0, 0]["imgName"] = np.array([name])
    entry[0, 0]["bb_detector"] = np.array([[0.0, 0.0, 1.0, 1.0]])
    entry[0, 0]["bb_ground_truth"] = np.array([box])
    boxes[0, i] = entry

scipy.io.savemat("Tests/Fixtures/mat/scipy_compressed.mat", {
    "gt": gt, "hw": hw, "bounding_boxes": boxes,
    "flags": np.array([[True, False, True]]),
    "counts": np.arange(-3, 3, dtype=np.int32).reshape(2, 3),
    "label": "Zoë",
    # Larger payloads so zlib emits dynamic-Huffman blocks (ramp) and, for random bytes, a stored block.
    "ramp": np.array([[0.5 * i + j * j for j in range(40)] for i in range(50)]),
    "noise": np.random.RandomState(7).randint(0, 256, size=(1, 600)).astype(np.uint8),
}, do_compression=True, oned_as="row")

check = scipy.io.loadmat("Tests/Fixtures/mat/scipy_compressed.mat")
assert check["bounding_boxes"][0, 0]["imgName"][0, 0][0] == "image_0001.png"
assert list(check["bounding_boxes"][0, 1]["bb_ground_truth"][0, 0][0]) == [1.0, 2.0, 3.0, 4.0]
print("noise sum", int(check["noise"].astype(int).sum()), "first", check["noise"][0, :4].tolist())
print("scipy", scipy.__version__, "numpy", np.__version__, "ok")
