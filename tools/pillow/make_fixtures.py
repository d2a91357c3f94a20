#!/usr/bin/env python3
"""Expected pixels for DVEBench's preprocessing tests, computed with Pillow.

Run from the repository root:  /usr/bin/python3 tools/pillow/make_fixtures.py
Reads the source images in Tests/Fixtures/pillow/ (written by DVEBench's own encoder, see the
README there) and writes the expected outputs next to them as lossless PNGs, plus manifest.json
(Pillow version, parameters, SHA-256 of every file).

Each output reproduces one step of the DVE reference (data_loader/data_loaders.py, Pillow 6.1,
torchvision 0.3): the CelebA/MAFL initial transforms, AFLW_R's Resize((w, w)), 300-W's face crop
(NEAREST resize, zero-padded window, bilinear Resize), JPEGNoise and ColorJitter with fixed
parameters. Pillow's resampling (Resample.c, Geometry.c) and Image.blend are unchanged between
6.1 and this Pillow; RGB->L conversion is not (Pillow 7.0 added rounding), so ColorJitter's grey
images are computed with Pillow 6.1's truncating formula here, in numpy, and blended by Pillow.
Nothing here is needed at test time.
"""
import hashlib
import io
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image

HERE = os.path.join("Tests", "Fixtures", "pillow")


def path(name):
    return os.path.join(HERE, name)


def save(img, name):
    assert img.mode == "RGB", img.mode
    img.save(path(name), format="PNG")


def tv_resize_int(img, size):
    """torchvision 0.3 Resize(int): shorter side -> size, bilinear; unchanged if already there."""
    w, h = img.size
    if (w <= h and w == size) or (h <= w and h == size):
        return img
    if w < h:
        return img.resize((size, int(size * h / w)), Image.BILINEAR)
    return img.resize((int(size * w / h), size), Image.BILINEAR)


def pad_and_crop(im, rr):
    """utils/util.py of the DVE reference (zero padding, then slicing)."""
    meanval = np.array(np.dstack((0, 0, 0)), dtype=im.dtype)
    if rr[0] < 0:
        top = -rr[0]
        im = np.vstack([np.tile(meanval, [top, im.shape[1], 1]), im])
        rr[0] += top
        rr[1] += top
    if rr[2] < 0:
        left = -rr[2]
        im = np.hstack([np.tile(meanval, [im.shape[0], left, 1]), im])
        rr[2] += left
        rr[3] += left
    if rr[1] > im.shape[0]:
        im = np.vstack([im, np.tile(meanval, [rr[1] - im.shape[0], im.shape[1], 1])])
    if rr[3] > im.shape[1]:
        im = np.hstack([im, np.tile(meanval, [im.shape[0], rr[3] - im.shape[1], 1])])
    return im[rr[0]:rr[1], rr[2]:rr[3]]


def l_pillow61(img):
    a = np.asarray(img).astype(np.int64)
    return ((a[..., 0] * 19595 + a[..., 1] * 38470 + a[..., 2] * 7471) >> 16).astype(np.uint8)


def enhance61(img, kind, factor):
    """ImageEnhance.{Brightness,Contrast,Color}(img).enhance(factor) as Pillow 6.1 computes it."""
    if kind == "brightness":
        degenerate = Image.new("RGB", img.size, 0)
    elif kind == "contrast":
        lum = l_pillow61(img)
        hist = np.bincount(lum.ravel(), minlength=256)
        mean = float(sum(float(j) * hist[j] for j in range(256))) / lum.size
        degenerate = Image.new("L", img.size, int(mean + 0.5)).convert("RGB")
    else:
        lum = l_pillow61(img)
        degenerate = Image.fromarray(np.dstack([lum, lum, lum]), "RGB")
    return Image.blend(degenerate, img, factor)


def main():
    manifest = {"pillow": PIL.__version__, "numpy": np.__version__, "python": sys.version.split()[0],
                "outputs": {}}

    def record(name, **params):
        with open(path(name), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        manifest["outputs"][name] = {"sha256": digest, **params}

    for source in ("celeba_source.jpg", "aflw_source.jpg", "300w_source.jpg"):
        record(source, step="input, written by DVEBench's encoder (see README.md)")

    # CelebA / MAFL: convert RGB, crop (top 30, left 0, 178x178), Resize(imwidth).
    celeba = Image.open(path("celeba_source.jpg")).convert("RGB")
    save(celeba, "celeba_decoded.png")
    record("celeba_decoded.png", step="Image.open(celeba_source.jpg).convert('RGB')")
    cropped = celeba.crop((0, 30, 178, 208))
    for width in (100, 136):
        name = "celeba_%d.png" % width
        save(tv_resize_int(cropped, width), name)
        record(name, step="crop((0, 30, 178, 208)) then resize((%d, %d), BILINEAR)" % (width, width))

    # AFLW_R: Resize((imwidth, imwidth)), aspect ratio not kept.
    aflw = Image.open(path("aflw_source.jpg")).convert("RGB")
    for width in (100, 136):
        name = "aflw_%d.png" % width
        save(aflw.resize((width, width), Image.BILINEAR), name)
        record(name, step="resize((%d, %d), BILINEAR) of aflw_source.jpg" % (width, width))

    # 300-W: the reference's crop with the box below (MATLAB 1-based, float64).
    xmin, ymin, xmax, ymax = 131.5, 20.25, 268.75, 171.0
    im = Image.open(path("300w_source.jpg")).convert("RGB")
    bw = xmax - xmin + 1
    bh = ymax - ymin + 1
    bcy = ymin + (bh + 1) / 2
    bcx = xmin + (bw + 1) / 2
    fac = 52 / bw
    imr = im.resize((int(im.width * fac), int(im.height * fac)), Image.NEAREST)  # Pillow 6.1 default
    bcx_ = int(np.floor(fac * bcx))
    bcy_ = int(np.floor(fac * bcy))
    bx = int(bcx_ - 52 / 2 + 1 - 24)
    bX = int(bcx_ + 52 / 2 + 24)
    by = int(bcy_ - 52 / 2 + 1 - 24 - 2)
    bY = int(bcy_ + 52 / 2 + 24 - 2)
    save(imr, "300w_nearest.png")
    record("300w_nearest.png", step="resize((int(W*fac), int(H*fac)), NEAREST)", box=[xmin, ymin, xmax, ymax],
           fac=fac, size=list(imr.size))
    face = Image.fromarray(pad_and_crop(np.array(imr), [by - 1, bY, bx - 1, bX]))
    save(face, "300w_crop100.png")
    record("300w_crop100.png", step="pad_and_crop(rows by-1..bY, cols bx-1..bX)", window=[bx - 1, by - 1, bX, bY])
    save(tv_resize_int(face, 136), "300w_136.png")
    record("300w_136.png", step="Resize(136) of 300w_crop100.png (bilinear upscaling)")

    # Augmentations on the 70x70 centre of celeba_100 (rows/cols 15..84), fixed parameters.
    base = Image.open(path("celeba_100.png")).crop((15, 15, 85, 85))
    save(base, "aug_input.png")
    record("aug_input.png", step="celeba_100.png crop((15, 15, 85, 85))")
    for rw, q in ((83, 37), (56, 98)):
        small = base.resize((rw, rw), Image.BILINEAR)
        buf = io.BytesIO()
        small.save(buf, format="JPEG", quality=q)
        out = Image.open(buf).convert("RGB").resize((70, 70), Image.BILINEAR)
        name = "jpegnoise_%d_q%d.png" % (rw, q)
        save(out, name)
        record(name, step="JPEGNoise with rW=%d, quality=%d (Pillow JPEG defaults)" % (rw, q))
    orders = {
        "jitter_a.png": [("contrast", 1.27), ("brightness", 0.71), ("saturation", 1.33)],
        "jitter_b.png": [("saturation", 0.62), ("contrast", 0.65), ("brightness", 1.38)],
    }
    from PIL import ImageEnhance
    native = {"brightness": ImageEnhance.Brightness, "contrast": ImageEnhance.Contrast,
              "saturation": ImageEnhance.Color}
    for name, steps in orders.items():
        img = base
        img94 = base
        for kind, factor in steps:
            img = enhance61(img, kind, factor)
            img94 = native[kind](img94).enhance(factor)
        save(img, name)
        diff = np.abs(np.asarray(img).astype(int) - np.asarray(img94).astype(int))
        record(name, step="ColorJitter steps in order, Pillow 6.1 RGB->L", steps=steps,
               differs_from_this_pillow_native={"pixels": int((diff.max(axis=2) > 0).sum()), "max": int(diff.max())})

    with open(path("manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
