#!/usr/bin/python3
"""Generate an `hourglass.h5` golden file with the schema of the reference set.

Written for DVEBench from the published specification only (golden README
sections 1, 2 and 4, reference/models.md section 2); it does not use or copy
the DVE reference implementation.  HourglassNet is rebuilt here with torch.nn
from the architecture description, its weights are the README's formula
weights, and the file records an eval-mode forward.

Run with Debian's interpreter, which has PyTorch 1.13 and h5py:

    /usr/bin/python3 tools/golden/make_hourglass_golden.py \
        --batch 2 --size 64 --channels 32 --seed 5 \
        --out Tests/Fixtures/golden-alt/hourglass.h5

    # check this generator against the reference file (same x, seed, sizes):
    /usr/bin/python3 tools/golden/make_hourglass_golden.py --crosscheck Tests/Fixtures/golden/hourglass.h5

File layout (names, dtypes, string types and layouts of the reference
`hourglass.h5`; shapes follow --batch/--size/--channels):

    /@reference (fixed ASCII), @formula_seed, @num_parameters, @num_outputs_returned  i64
    /@output_f32_vs_f64_max_abs, @output_f32_vs_f64_max_rel_to_max                     f64
    /state_dict_keys (K,) S<n>, /state_dict_kinds (K,) S<n>, /state_dict_ndim (K,) i64
    /state_dict_shape (K,4) i64 (-1 padded), /state_dict_sum (K,) f64,
    /state_dict_first4 (K,4) f32 (NaN padded)
    /x (B,3,H,W) f32, /output (B,C,H/2,W/2) f32
    /debug/@note; /debug/<stage>/@shape i64[4]; /debug/<stage>/{channel_mean (B,C), patch4 (B,C,4,4)} f32
      stages: stem (after the stem ReLU), layer1, layer2, layer3, hg0, output

The input image is drawn like the SmallNet generator's (its `synthetic_images`,
`numpy PCG64(ss([seed, 2, 0]))`, then ToTensor + Normalize); `--seed` is both
the formula seed and that image seed.
"""

import argparse
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_smallnet_golden import (derived_seed, fixed_str, fixed_str_array, max_abs_diff,  # noqa: E402
                                  max_rel_to_max, put, synthetic_images, to_normalised_tensor)

EXPANSION = 2
STAGES = ["stem", "layer1", "layer2", "layer3", "hg0", "output"]
DEBUG_NOTE = ("per-stage summaries of the float32 eval forward: channel means over H,W (N,C) "
              "and the top-left 4x4 patch (N,C,4,4)")


# --------------------------------------------------------------------------
# Model (reference/models.md section 2)
# --------------------------------------------------------------------------

class Bottleneck(nn.Module):
    """Pre-activation bottleneck B(inplanes, planes); registration order
    bn1, conv1, bn2, conv2, bn3, conv3, downsample (only when inplanes != 2*planes)."""

    def __init__(self, inplanes, planes):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=True)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, padding=1, bias=True)
        self.bn3 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, EXPANSION * planes, kernel_size=1, bias=True)
        if inplanes != EXPANSION * planes:
            self.downsample = nn.Conv2d(inplanes, EXPANSION * planes, kernel_size=1, bias=True)
        else:
            self.downsample = None

    def forward(self, x):
        h = self.conv1(torch.relu(self.bn1(x)))
        h = self.conv2(torch.relu(self.bn2(h)))
        h = self.conv3(torch.relu(self.bn3(h)))
        return h + (self.downsample(x) if self.downsample is not None else x)


def stack(inplanes, planes, count):
    blocks = []
    for _ in range(count):
        blocks.append(Bottleneck(inplanes, planes))
        inplanes = EXPANSION * planes
    return nn.Sequential(*blocks)


class Hourglass(nn.Module):
    """All levels' sequences are attributes of this one module, registered in the
    order layer{n}_1, layer{n}_2, <level n-1 or layer1_4>, layer{n}_3."""

    def __init__(self, planes, depth, blocks):
        super().__init__()
        self.depth = depth
        self._register(depth, planes, blocks)
        self.pool = nn.MaxPool2d(2, stride=2)
        self.up = nn.Upsample(scale_factor=2)  # nearest

    def _register(self, n, planes, blocks):
        ch = EXPANSION * planes
        setattr(self, "layer%d_1" % n, stack(ch, planes, blocks))
        setattr(self, "layer%d_2" % n, stack(ch, planes, blocks))
        if n == 1:
            setattr(self, "layer1_4", stack(ch, planes, blocks))
        else:
            self._register(n - 1, planes, blocks)
        setattr(self, "layer%d_3" % n, stack(ch, planes, blocks))

    def level(self, n, x):
        s = getattr(self, "layer%d_1" % n)(x)           # skip AND pool input (quirk Q15)
        y = getattr(self, "layer%d_2" % n)(self.pool(s))
        y = self.layer1_4(y) if n == 1 else self.level(n - 1, y)
        y = getattr(self, "layer%d_3" % n)(y)
        return s + self.up(y)

    def forward(self, x):
        return self.level(self.depth, x)


class HourglassNet(nn.Module):
    def __init__(self, num_output_channels=64, planes_conv1=64, planes_block=128, planes_hg=128,
                 depth=4, num_blocks=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, planes_conv1, kernel_size=7, stride=2, padding=3, bias=True)
        self.bn1 = nn.BatchNorm2d(planes_conv1)
        self.layer1 = stack(planes_conv1, planes_conv1, 1)
        self.layer2 = stack(EXPANSION * planes_conv1, planes_block, 1)
        self.layer3 = stack(EXPANSION * planes_block, planes_hg, 1)
        ch = EXPANSION * planes_hg
        self.hg = nn.ModuleList([Hourglass(planes_hg, depth, num_blocks)])
        self.output_layers = nn.ModuleList([nn.Sequential(
            stack(ch, planes_hg, num_blocks), nn.Conv2d(ch, ch, kernel_size=1), nn.BatchNorm2d(ch),
            nn.ReLU(), nn.Conv2d(ch, num_output_channels, kernel_size=1))])

    def forward(self, x, capture=None):
        def tap(name, t):
            if capture is not None:
                capture[name] = t
            return t
        x = tap("stem", torch.relu(self.bn1(self.conv1(x))))
        x = tap("layer1", self.layer1(x))
        x = tap("layer2", self.layer2(x))
        x = tap("layer3", self.layer3(x))
        x = tap("hg0", self.hg[0](x))
        return [tap("output", self.output_layers[0](x))]


# --------------------------------------------------------------------------
# Formula weights (golden README section 4)
# --------------------------------------------------------------------------

M32 = 0xFFFFFFFF


def formula_u(k, n, seed):
    """u in (0,1) for elements 0..n-1 of entry k (uint32 arithmetic, wrapping)."""
    i = np.arange(n, dtype=np.uint64)
    s = seed & M32
    x = (i * np.uint64(0x9E3779B1) + np.uint64((k * 0x85EBCA77 + s * 0xC2B2AE3D + 0x27D4EB2F) & M32)) & np.uint64(M32)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & np.uint64(M32)
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & np.uint64(M32)
    x ^= x >> np.uint64(16)
    return (x.astype(np.float64) + 0.5) / 4294967296.0


def formula_value(kind, k, shape, seed):
    n = int(np.prod(shape)) if len(shape) else 1
    u = formula_u(k, n, seed)
    r = 2.0 * u - 1.0
    if kind == "conv_weight":
        fan_in = shape[1] * shape[2] * shape[3]
        v = r * math.sqrt(3.0) / math.sqrt(float(fan_in))
    elif kind == "conv_bias":
        v = 0.05 * r
    elif kind == "bn_weight":
        v = 1.0 + 0.2 * r
    elif kind in ("bn_bias", "bn_running_mean"):
        v = 0.1 * r
    elif kind == "bn_running_var":
        v = 0.75 + 0.5 * u
    else:
        raise ValueError(kind)
    return v.astype(np.float32).reshape(shape)


def state_kinds(net):
    kinds = []
    for key in net.state_dict().keys():
        owner, attr = key.rsplit(".", 1)
        module = net.get_submodule(owner)
        if isinstance(module, nn.Conv2d):
            kinds.append({"weight": "conv_weight", "bias": "conv_bias"}[attr])
        elif isinstance(module, nn.BatchNorm2d):
            kinds.append("bn_" + attr)
        else:
            raise ValueError(key)
    return kinds


def set_formula_weights(net, seed):
    """Fills every state_dict entry; returns (keys, kinds, shapes, first4, sums)."""
    sd = net.state_dict()
    kinds = state_kinds(net)
    new, first4, sums = {}, [], []
    for k, (key, kind) in enumerate(zip(sd.keys(), kinds)):
        shape = tuple(sd[key].shape)
        if kind == "bn_num_batches_tracked":
            new[key] = torch.zeros((), dtype=torch.int64)
            values = np.zeros(1, dtype=np.float32)
        else:
            arr = formula_value(kind, k, shape, seed)
            new[key] = torch.from_numpy(arr.copy())
            values = arr.ravel()
        f4 = np.full(4, np.nan, dtype=np.float32)
        f4[:min(4, values.size)] = values[:4]
        first4.append(f4)
        sums.append(float(np.sum(values.astype(np.float64))))
    net.load_state_dict(new)
    return list(sd.keys()), kinds, [tuple(sd[k].shape) for k in sd.keys()], np.stack(first4), np.array(sums)


# --------------------------------------------------------------------------
# Runs and writing
# --------------------------------------------------------------------------

def run(args, x32):
    widths = dict(num_output_channels=args.channels, planes_conv1=args.planes_conv1,
                  planes_block=args.planes_block, planes_hg=args.planes_hg, depth=args.depth,
                  num_blocks=args.blocks)
    net = HourglassNet(**widths)
    keys, kinds, shapes, first4, sums = set_formula_weights(net, args.seed)
    net.eval()
    cap = {}
    with torch.no_grad():
        out32 = net(x32, capture=cap)[0]
        net64 = HourglassNet(**widths)
        net64.load_state_dict(net.state_dict())
        net64 = net64.double().eval()
        out64 = net64(x32.to(torch.float64))[0]
    nparam = sum(p.numel() for p in net.parameters())
    return dict(keys=keys, kinds=kinds, shapes=shapes, first4=first4, sums=sums, out32=out32,
                out64=out64, capture=cap, nparam=nparam, widths=widths)


def reference_text(w):
    return ("DVEBench tools/golden/make_hourglass_golden.py: HourglassNet(num_output_channels=%d, "
            "planes_conv1=%d, planes_block=%d, planes_hg=%d, num_blocks=%d, depth %d) rebuilt in torch.nn "
            "from the published spec (not the DVE reference code), formula weights, eval mode; schema "
            "of the reference hourglass.h5" % (w["num_output_channels"], w["planes_conv1"], w["planes_block"],
                                               w["planes_hg"], w["num_blocks"], w["depth"]))


def write(path, args, x32, r):
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["reference"] = fixed_str(reference_text(r["widths"]))
        f.attrs["formula_seed"] = np.int64(args.seed)
        f.attrs["num_parameters"] = np.int64(r["nparam"])
        f.attrs["num_outputs_returned"] = np.int64(1)
        f.attrs["output_f32_vs_f64_max_abs"] = np.float64(max_abs_diff(r["out32"], r["out64"]))
        f.attrs["output_f32_vs_f64_max_rel_to_max"] = np.float64(max_rel_to_max(r["out32"], r["out64"]))
        put(f, "state_dict_keys", fixed_str_array(r["keys"]))
        put(f, "state_dict_kinds", fixed_str_array(r["kinds"]))
        put(f, "state_dict_ndim", np.array([len(s) for s in r["shapes"]], dtype=np.int64))
        put(f, "state_dict_shape", np.array([list(s) + [-1] * (4 - len(s)) for s in r["shapes"]], dtype=np.int64))
        put(f, "state_dict_sum", r["sums"].astype(np.float64))
        put(f, "state_dict_first4", r["first4"].astype(np.float32))
        put(f, "x", x32)
        put(f, "output", r["out32"])
        d = f.create_group("debug", track_order=False)
        d.attrs["note"] = fixed_str(DEBUG_NOTE)
        for stage in STAGES:
            t = r["capture"][stage]
            g = d.create_group(stage)
            g.attrs["shape"] = np.array(t.shape, dtype=np.int64)
            put(g, "channel_mean", t.mean(dim=(2, 3)))
            put(g, "patch4", t[:, :, :4, :4].contiguous())
    os.replace(tmp, path)


def crosscheck(path, args):
    """Runs this generator on the reference file's x, seed and sizes and compares."""
    with h5py.File(path, "r") as f:
        x32 = torch.from_numpy(f["x"][()])
        args.seed = int(f.attrs["formula_seed"])
        args.channels = int(f["output"].shape[1])
        ref = {k: f[k][()] for k in ["state_dict_keys", "state_dict_kinds", "state_dict_ndim", "state_dict_shape",
                                     "state_dict_sum", "state_dict_first4", "output"]}
        ref_debug = {s: (f["debug"][s]["channel_mean"][()], f["debug"][s]["patch4"][()]) for s in STAGES}
        nparam = int(f.attrs["num_parameters"])
    r = run(args, x32)
    ok = True

    def report(name, good, detail=""):
        nonlocal ok
        ok = ok and good
        print("%-28s %s %s" % (name, "PASS" if good else "FAIL", detail))

    report("state_dict_keys", [k.decode() for k in ref["state_dict_keys"]] == r["keys"])
    report("state_dict_kinds", [k.decode() for k in ref["state_dict_kinds"]] == r["kinds"])
    report("state_dict_ndim", list(ref["state_dict_ndim"]) == [len(s) for s in r["shapes"]])
    report("state_dict_first4", np.array_equal(ref["state_dict_first4"], r["first4"], equal_nan=True))
    rel = np.max(np.abs(r["sums"] - ref["state_dict_sum"]) / np.maximum(np.abs(ref["state_dict_sum"]), 1e-300))
    report("state_dict_sum", rel <= 1e-12, "max rel %.3g" % rel)
    report("num_parameters", nparam == r["nparam"], str(r["nparam"]))
    out = r["out32"].numpy()
    scaled = float(np.max(np.abs(out - ref["output"])) / np.max(np.abs(ref["output"])))
    report("output", scaled <= 1e-4, "scaled %.3g" % scaled)
    for s in STAGES:
        t = r["capture"][s]
        for name, ours, theirs in (("channel_mean", t.mean(dim=(2, 3)).numpy(), ref_debug[s][0]),
                                   ("patch4", t[:, :, :4, :4].numpy(), ref_debug[s][1])):
            e = float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-30))
            report("debug/%s/%s" % (s, name), e <= 1e-4, "scaled %.3g" % e)
    return 0 if ok else 1


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--size", type=int, default=96, help="square input side (a multiple of 2^(depth+1))")
    ap.add_argument("--seed", type=int, default=0, help="formula_seed, also seeds the input image")
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--planes-conv1", type=int, default=64)
    ap.add_argument("--planes-block", type=int, default=128)
    ap.add_argument("--planes-hg", type=int, default=128)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--blocks", type=int, default=4)
    ap.add_argument("--out")
    ap.add_argument("--crosscheck", metavar="REF_H5")
    a = ap.parse_args(argv)
    if a.size % (2 ** (a.depth + 1)):
        ap.error("--size must be a multiple of %d" % 2 ** (a.depth + 1))
    if not a.crosscheck and not a.out:
        ap.error("--out is required (or --crosscheck)")
    return a


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if args.crosscheck:
        return crosscheck(args.crosscheck, args)
    rng = np.random.Generator(np.random.PCG64(derived_seed(args.seed, 2, 0)))
    x32 = to_normalised_tensor(synthetic_images(rng, args.batch, args.size))
    r = run(args, x32)
    write(args.out, args, x32, r)
    print("wrote %s: output %s, %d parameters, f32 vs f64 rel-to-max %.3g"
          % (args.out, tuple(r["out32"].shape), r["nparam"], max_rel_to_max(r["out32"], r["out64"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
