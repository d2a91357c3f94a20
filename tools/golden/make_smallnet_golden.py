#!/usr/bin/python3
"""Generate a `smallnet.h5` golden file with the schema of the reference set.

Written for DVEBench from the published specification only
(golden README sections 1-3 and reference/models.md section 1); it does not
use or copy the DVE reference implementation.  SmallNet is rebuilt here with
torch.nn from the architecture table.

Run with Debian's interpreter, which has PyTorch 1.13 and h5py:

    /usr/bin/python3 tools/golden/make_smallnet_golden.py \
        --batch 3 --size 22 --seed 7 --channels 3,32 \
        --intermediates-for 32 --grads-full-for 32 \
        --out Tests/Fixtures/golden-alt/smallnet.h5

File layout (identical names, dtypes, string types and layouts to the
reference `smallnet.h5`; shapes follow --batch/--size/--channels):

    /@reference, /@layout                      fixed-length ASCII
    /x (B,3,H,W) f32  @candidate_index i64, @min_abs_leaky_relu_input_train_f64 f64,
                      @branch_flips_f32_vs_f64 i64
    /c<C>/@num_output_channels, @num_parameters   i64
    /c<C>/num_parameters                          0-d i64
    /c<C>/state_dict_keys                         (37,) S<n>
    /c<C>/weights/<key>                           f32 (0-d i64 for num_batches_tracked)
    /c<C>/eval/output                             f32 (+ f32-vs-f64 attributes)
    /c<C>/eval/intermediates/{conv1,mp,conv2..conv5}   only in --intermediates-for
    /c<C>/train/{R,output,loss,grad_input,grad_keys}
    /c<C>/train/grads/<param key>                 22 keys in --grads-full-for, else 5
    /c<C>/train/running_after/<bn>.{running_mean,running_var,num_batches_tracked}

Seeding (all derived from --seed with numpy SeedSequence, so the groups get
independent weights and R, as in the reference set):
    weights of group C : torch.manual_seed(ss([seed, 1, C]))  then SmallNet(C)
    candidate image k  : numpy Generator(ss([seed, 2, k]))
    R of group C       : torch.Generator seeded with ss([seed, 3, C])
where ss(v) = numpy.random.SeedSequence(v).generate_state(1, uint64)[0] & (2**63-1).
"""

import argparse
import copy
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn

import h5py

MEAN = [0.5084, 0.4224, 0.3769]
STD = [0.2599, 0.2371, 0.2323]

# (name, in, out, kernel, padding, dilation) of the Conv-BN-LeakyReLU blocks.
BLOCKS = [
    ("conv1", 3, 20, 5, 2, 1),
    ("conv2", 20, 48, 5, 2, 1),
    ("conv3", 48, 64, 5, 4, 2),
    ("conv4", 64, 80, 3, 4, 4),
    ("conv5", 80, 256, 3, 2, 2),
]
BN_NAMES = [b[0] + ".1" for b in BLOCKS]
PARTIAL_GRAD_KEYS = ["conv1.0.weight", "conv1.1.weight", "conv1.1.bias",
                     "conv6.weight", "conv6.bias"]
INTERMEDIATE_NAMES = ["conv1", "mp", "conv2", "conv3", "conv4", "conv5"]

REFERENCE_TEXT = ("DVEBench tools/golden/make_smallnet_golden.py: SmallNet(C) rebuilt "
                  "in torch.nn from the published spec (not the DVE reference code); "
                  "schema of the reference smallnet.h5")
LAYOUT_TEXT = "NCHW float32"
BATCH_ELEMENTS_TEXT = "only batch element 0 is stored (shape 1xCxHxW)"
LOSS_DEFINITION_TEXT = "L = sum(output * R), output from the train-mode forward"


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------

def _block(cin, cout, k, pad, dil):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel_size=k, stride=1, padding=pad, dilation=dil, bias=True),
        nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1),
        nn.LeakyReLU(negative_slope=0.2),
    )


class SmallNet(nn.Module):
    """SmallNet as specified in reference/models.md section 1."""

    def __init__(self, num_output_channels):
        super().__init__()
        c1, c2, c3, c4, c5 = BLOCKS
        # Registration order gives the state_dict order conv1.*, conv2.*, ..., conv6.*
        self.conv1 = _block(*c1[1:])
        self.mp = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv2 = _block(*c2[1:])
        self.conv3 = _block(*c3[1:])
        self.conv4 = _block(*c4[1:])
        self.conv5 = _block(*c5[1:])
        self.conv6 = nn.Conv2d(256, num_output_channels, kernel_size=1, bias=True)
        # SmallNet's own initialisation: conv biases times 0, xavier_normal_ weights.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                m.bias.data.mul_(0)
                nn.init.xavier_normal_(m.weight)

    def forward(self, x, capture=None):
        """Returns [output].  If `capture` is a dict, it receives
        '<block>.pre' (BN output = LeakyReLU input), '<block>' (block output)
        and 'mp'."""
        h = x
        for name in ["conv1", "conv2", "conv3", "conv4", "conv5"]:
            seq = getattr(self, name)
            pre = seq[1](seq[0](h))
            h = seq[2](pre)
            if capture is not None:
                capture[name + ".pre"] = pre
                capture[name] = h
            if name == "conv1":
                h = self.mp(h)
                if capture is not None:
                    capture["mp"] = h
        return [self.conv6(h)]


def make_weights(num_output_channels, torch_seed):
    """State dict of a freshly seeded SmallNet(C) with non-trivial BN values."""
    torch.manual_seed(torch_seed)
    net = SmallNet(num_output_channels)
    with torch.no_grad():
        for name in ["conv1", "conv2", "conv3", "conv4", "conv5"]:
            bn = getattr(net, name)[1]
            bn.weight.uniform_(0.6, 1.4)
            bn.bias.normal_(0.0, 0.1)
            bn.running_mean.normal_(0.0, 0.1)
            bn.running_var.uniform_(0.2, 1.0)
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def build(num_output_channels, state_dict, dtype):
    net = SmallNet(num_output_channels)
    net.load_state_dict(state_dict)
    if dtype == torch.float64:
        net = net.double()  # floats promoted exactly; num_batches_tracked stays int64
    return net


def param_count(num_output_channels):
    return sum(p.numel() for p in SmallNet(num_output_channels).parameters())


# --------------------------------------------------------------------------
# Seeds and inputs
# --------------------------------------------------------------------------

def derived_seed(*entropy):
    s = np.random.SeedSequence([int(e) for e in entropy]).generate_state(1, np.uint64)[0]
    return int(s) & (2 ** 63 - 1)


def synthetic_images(rng, batch, size):
    """uint8 RGB images (B,3,H,W): smooth background, soft-edged shapes, noise."""
    H = W = size
    yy, xx = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64),
                         indexing="ij")
    out = np.empty((batch, 3, H, W), dtype=np.uint8)
    for b in range(batch):
        c0 = rng.uniform(20, 235, size=3)
        c1 = rng.uniform(20, 235, size=3)
        ang = rng.uniform(0, 2 * np.pi)
        t = ((np.cos(ang) * xx + np.sin(ang) * yy) / max(H, W) + 1.0) / 2.0
        img = c0[:, None, None] * (1 - t) + c1[:, None, None] * t
        fx, fy, ph = rng.uniform(0.5, 2.5), rng.uniform(0.5, 2.5), rng.uniform(0, 2 * np.pi)
        img = img + rng.uniform(5, 25) * np.sin(2 * np.pi * (fx * xx / W + fy * yy / H) + ph)
        for _ in range(int(rng.integers(4, 9))):
            colour = rng.uniform(0, 255, size=3)
            cx, cy = rng.uniform(0, W), rng.uniform(0, H)
            soft = rng.uniform(0.8, 3.0)
            if rng.random() < 0.5:  # ellipse
                rx, ry = rng.uniform(0.08, 0.35) * W, rng.uniform(0.08, 0.35) * H
                th = rng.uniform(0, np.pi)
                u = (xx - cx) * np.cos(th) + (yy - cy) * np.sin(th)
                v = -(xx - cx) * np.sin(th) + (yy - cy) * np.cos(th)
                d = (np.sqrt((u / rx) ** 2 + (v / ry) ** 2) - 1.0) * min(rx, ry)
            else:  # axis-aligned rectangle
                hx, hy = rng.uniform(0.08, 0.3) * W, rng.uniform(0.08, 0.3) * H
                d = np.maximum(np.abs(xx - cx) - hx, np.abs(yy - cy) - hy)
            alpha = 1.0 / (1.0 + np.exp(np.clip(d / soft, -50, 50)))
            alpha = alpha * rng.uniform(0.5, 1.0)
            img = img * (1 - alpha) + colour[:, None, None] * alpha
        img = img + rng.normal(0.0, rng.uniform(2.0, 8.0), size=img.shape)
        out[b] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return out


def to_normalised_tensor(u8):
    """ToTensor (u8/255 in float32) then Normalize(mean, std), in float32."""
    v = torch.from_numpy(u8).to(torch.float32).div(255)
    mean = torch.tensor(MEAN, dtype=torch.float32)[None, :, None, None]
    std = torch.tensor(STD, dtype=torch.float32)[None, :, None, None]
    return v.sub(mean).div(std).contiguous()


# --------------------------------------------------------------------------
# Discontinuity margins
# --------------------------------------------------------------------------

def _pool_windows(t):
    n, c, h, w = t.shape
    h2, w2 = h // 2, w // 2
    t = t[:, :, :2 * h2, :2 * w2]
    return t.reshape(n, c, h2, 2, w2, 2).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h2, w2, 4)


def train_margins(weights_by_c, x32):
    """Train-mode forwards of every net in f32 and f64.  Returns
    (min |LeakyReLU input| in f64, min max-pool top-2 gap in f64, branch flips)."""
    x64 = x32.to(torch.float64)
    min_abs = float("inf")
    min_gap = float("inf")
    flips = 0
    for c, sd in weights_by_c.items():
        caps = {}
        for dtype, x in ((torch.float32, x32), (torch.float64, x64)):
            net = build(c, sd, dtype).train()
            cap = {}
            with torch.no_grad():
                net(x, capture=cap)
            caps[dtype] = cap
        c32, c64 = caps[torch.float32], caps[torch.float64]
        for name, *_ in BLOCKS:
            p64, p32 = c64[name + ".pre"], c32[name + ".pre"]
            min_abs = min(min_abs, float(p64.abs().min()))
            flips += int(((p32 > 0) != (p64 > 0)).sum())
        w64 = _pool_windows(c64["conv1"])
        w32 = _pool_windows(c32["conv1"])
        top2 = torch.topk(w64, 2, dim=-1).values
        min_gap = min(min_gap, float((top2[..., 0] - top2[..., 1]).min()))
        flips += int((w32.argmax(-1) != w64.argmax(-1)).sum())
    return min_abs, min_gap, flips


# --------------------------------------------------------------------------
# Statistics helpers
# --------------------------------------------------------------------------

def _np64(t):
    return t.detach().to(torch.float64).numpy()


def max_abs_diff(a32, a64):
    return float(np.max(np.abs(_np64(a32) - _np64(a64)))) if a64.numel() else 0.0


def max_rel_to_max(a32, a64):
    m = float(np.max(np.abs(_np64(a64))))
    return max_abs_diff(a32, a64) / m if m > 0 else float("inf")


def rel_l2(a32, a64):
    d = np.linalg.norm((_np64(a32) - _np64(a64)).ravel())
    n = np.linalg.norm(_np64(a64).ravel())
    return float(d / n) if n > 0 else float("inf")


# --------------------------------------------------------------------------
# HDF5 writing (contiguous, uncompressed, fixed-length NUL-padded ASCII)
# --------------------------------------------------------------------------

def fixed_str(s):
    b = s.encode("ascii")
    return np.array(b, dtype="S%d" % max(1, len(b)))


def fixed_str_array(items):
    bs = [s.encode("ascii") for s in items]
    return np.array(bs, dtype="S%d" % max(1, max(len(b) for b in bs)))


def put(group, name, value):
    """Contiguous dataset in the logical shape; tensors keep their dtype."""
    if isinstance(value, torch.Tensor):
        value = value.detach().contiguous().numpy()
    arr = np.array(value, order="C", copy=True)  # keeps 0-d as 0-d
    assert arr.dtype.kind == "S" or arr.dtype.str in ("<f4", "<f8", "<i8", "|u1"), arr.dtype
    return group.create_dataset(name, data=arr, track_times=False)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--size", type=int, default=70, help="square input side H=W (even)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--channels", default="3,16,64", help="comma list of output channel counts")
    ap.add_argument("--intermediates-for", type=int, default=16)
    ap.add_argument("--grads-full-for", type=int, default=16)
    ap.add_argument("--out", required=True)
    ap.add_argument("--margin", type=float, default=5e-7,
                    help="minimum |LeakyReLU input| and max-pool top-2 gap (f64, train mode)")
    ap.add_argument("--max-candidates", type=int, default=1000)
    a = ap.parse_args(argv)
    a.channels = [int(c) for c in a.channels.split(",") if c.strip()]
    if a.batch < 2:
        ap.error("--batch must be >= 2 (train-mode BatchNorm needs more than one value)")
    if a.size < 2 or a.size % 2:
        ap.error("--size must be even and >= 2")
    if not a.channels or len(set(a.channels)) != len(a.channels) or min(a.channels) < 1:
        ap.error("--channels must be distinct positive integers")
    if a.intermediates_for not in a.channels:
        ap.error("--intermediates-for must be one of --channels")
    if a.grads_full_for not in a.channels:
        ap.error("--grads-full-for must be one of --channels")
    return a


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.use_deterministic_algorithms(True)

    weights = {c: make_weights(c, derived_seed(a.seed, 1, c)) for c in a.channels}

    # ---- choose x among candidates ---------------------------------------
    chosen = None
    for k in range(a.max_candidates):
        rng = np.random.Generator(np.random.PCG64(derived_seed(a.seed, 2, k)))
        x = to_normalised_tensor(synthetic_images(rng, a.batch, a.size))
        min_abs, min_gap, flips = train_margins(weights, x)
        ok = min_abs >= a.margin and min_gap >= a.margin and flips == 0
        print("candidate %d: min|leaky in| %.3e, min pool gap %.3e, flips %d%s"
              % (k, min_abs, min_gap, flips, "  <- chosen" if ok else ""), file=sys.stderr)
        if ok:
            chosen = (k, x, min_abs, flips)
            break
    if chosen is None:
        sys.exit("no candidate among %d met the margin %g; raise --max-candidates"
                 % (a.max_candidates, a.margin))
    cand_index, x, min_abs, flips = chosen
    x64 = x.to(torch.float64)

    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".smallnet-", suffix=".h5.tmp", dir=out_dir)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:  # h5py defaults: libver 'earliest', no track_order
            f.attrs["reference"] = fixed_str(REFERENCE_TEXT)
            f.attrs["layout"] = fixed_str(LAYOUT_TEXT)
            dx = put(f, "x", x)
            dx.attrs["candidate_index"] = np.int64(cand_index)
            dx.attrs["min_abs_leaky_relu_input_train_f64"] = np.float64(min_abs)
            dx.attrs["branch_flips_f32_vs_f64"] = np.int64(flips)
            for c in a.channels:
                write_group(f, c, weights[c], x, x64, a)
            f.flush()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, a.out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    print("wrote %s (%d bytes)" % (a.out, os.path.getsize(a.out)), file=sys.stderr)


def write_group(f, c, sd, x32, x64, a):
    g = f.create_group("c%d" % c)
    nparam = param_count(c)
    g.attrs["num_output_channels"] = np.int64(c)
    g.attrs["num_parameters"] = np.int64(nparam)
    put(g, "num_parameters", np.int64(nparam))
    keys = list(sd.keys())
    assert len(keys) == 37, keys
    put(g, "state_dict_keys", fixed_str_array(keys))
    gw = g.create_group("weights")
    for k in keys:
        put(gw, k, sd[k])

    # ---- eval ------------------------------------------------------------
    ge = g.create_group("eval")
    net32 = build(c, sd, torch.float32).eval()
    net64 = build(c, sd, torch.float64).eval()
    cap = {}
    with torch.no_grad():
        out32 = net32(x32, capture=cap)[0]
        out64 = net64(x64)[0]
    put(ge, "output", out32)
    ge.attrs["output_f32_vs_f64_max_abs"] = np.float64(max_abs_diff(out32, out64))
    ge.attrs["output_f32_vs_f64_max_rel_to_max"] = np.float64(max_rel_to_max(out32, out64))
    if c == a.intermediates_for:
        gi = ge.create_group("intermediates")
        gi.attrs["batch_elements"] = fixed_str(BATCH_ELEMENTS_TEXT)
        for name in INTERMEDIATE_NAMES:
            put(gi, name, cap[name][0:1])

    # ---- train (fresh copies of the weights) -------------------------------
    gt = g.create_group("train")
    rgen = torch.Generator().manual_seed(derived_seed(a.seed, 3, c))
    R = torch.randn(tuple(out32.shape), generator=rgen, dtype=torch.float32)
    res = {}
    for dtype, x, r in ((torch.float32, x32, R), (torch.float64, x64, R.to(torch.float64))):
        net = build(c, sd, dtype).train()
        xi = x.clone().requires_grad_(True)
        out = net(xi)[0]
        loss = (out * r).sum()
        loss.backward()
        res[dtype] = dict(
            out=out.detach(), loss=loss.detach(), gin=xi.grad.detach(),
            grads={k: p.grad.detach().clone() for k, p in net.named_parameters()},
            bufs={k: b.detach().clone() for k, b in net.named_buffers()},
        )
    r32, r64 = res[torch.float32], res[torch.float64]
    put(gt, "R", R)
    put(gt, "output", r32["out"])
    put(gt, "loss", np.float32(r32["loss"].item()))
    put(gt, "grad_input", r32["gin"])

    all_param_keys = [k for k in keys if k in r32["grads"]]
    assert len(all_param_keys) == 22
    grad_keys = all_param_keys if c == a.grads_full_for else PARTIAL_GRAD_KEYS
    put(gt, "grad_keys", fixed_str_array(grad_keys))
    gg = gt.create_group("grads")
    worst_key, worst = None, -1.0
    for k in grad_keys:
        g32, g64 = r32["grads"][k], r64["grads"][k]
        zero = k in {"conv%d.0.bias" % i for i in range(1, 6)}
        d = put(gg, k, g32)
        d.attrs["f64_max_abs"] = np.float64(float(g64.abs().max()))
        d.attrs["f32_vs_f64_max_abs"] = np.float64(max_abs_diff(g32, g64))
        d.attrs["f32_vs_f64_rel_l2"] = np.float64(rel_l2(g32, g64))
        d.attrs["mathematically_zero"] = np.uint8(1 if zero else 0)
        if not zero:
            v = max_rel_to_max(g32, g64)
            if v > worst:
                worst_key, worst = k, v

    gr = gt.create_group("running_after")
    worst_run = 0.0
    for bn in BN_NAMES:
        for suffix in ("running_mean", "running_var", "num_batches_tracked"):
            k = bn + "." + suffix
            put(gr, k, r32["bufs"][k])
            if suffix != "num_batches_tracked":
                worst_run = max(worst_run, max_rel_to_max(r32["bufs"][k], r64["bufs"][k]))

    gt.attrs["loss_definition"] = fixed_str(LOSS_DEFINITION_TEXT)
    gt.attrs["output_f32_vs_f64_max_abs"] = np.float64(max_abs_diff(r32["out"], r64["out"]))
    gt.attrs["output_f32_vs_f64_max_rel_to_max"] = np.float64(max_rel_to_max(r32["out"], r64["out"]))
    gt.attrs["grad_input_f32_vs_f64_max_abs"] = np.float64(max_abs_diff(r32["gin"], r64["gin"]))
    gt.attrs["grad_input_f32_vs_f64_max_rel_to_max"] = np.float64(max_rel_to_max(r32["gin"], r64["gin"]))
    gt.attrs["grad_input_f32_vs_f64_rel_l2"] = np.float64(rel_l2(r32["gin"], r64["gin"]))
    gt.attrs["param_grads_f32_vs_f64_worst_key"] = fixed_str(worst_key)
    gt.attrs["param_grads_f32_vs_f64_worst_rel_to_max_excluding_zero_grads"] = np.float64(worst)
    gt.attrs["running_after_f32_vs_f64_worst_rel_to_max"] = np.float64(worst_run)


if __name__ == "__main__":
    main()
