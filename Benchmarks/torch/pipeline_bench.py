#!/usr/bin/python3
"""The whole DVE pipeline in PyTorch 1.13, the twin of Benchmarks/pipeline-timing.

Run with Debian's interpreter (the python3 on PATH may have no torch):
    /usr/bin/python3 Benchmarks/torch/pipeline_bench.py --data-root ROOT [--threads 1,2]
        [--workload NAME[,NAME...]] [--iterations 5] [--warmup 1] [--passes 1] [--matching-limit PAIRS]

ROOT is the reference's data/ folder; ROOT/celeba holds the CelebA/MAFL layout (as
`dvebench synth --layout celeba --out ROOT/celeba` writes it): Img/img_align_celeba_hq/<id>.jpg,
Anno/list_landmarks_align_celeba.txt, Eval/list_eval_partition.txt, MAFL/{training,testing}.txt.
Everything (networks, warper, augmentation, losses, protocols) is written here from the DVE
reference's specification, following the reference's own formulation rather than a faster one; the
script reads nothing but ROOT at run time.

What is timed (perf_counter around each sample):
  train-smallnet    one training iteration of configs/celeba/smallnet-64d-dve.json: 32 pairs of the
                    CelebA pruned training split, read in a seeded shuffled order (in-process loading,
                    num_workers=0): per item JPEG decode, crop 178x178 at row 30, bilinear resize to
                    100, TPS pair warp (training amplitudes, F.grid_sample), uint8 truncation, then per
                    image JPEGNoise, ColorJitter(.4,.4,.4), ToTensor, PcaAug, Normalize; collate to
                    [A0,B0,A1,B1,...]; zero_grad; forward of the 64 images (train mode); the DVE loss
                    as the reference computes it (per pair: softmax(f1^T fa), the C*N*N product
                    S1[None] * fa.reshape(C,1,1,h,w) summed over the last two axes, softmax(R^T f2),
                    sum(D * S2)), autograd backward, Adam (amsgrad) step with the groups of the recipe
                    (Conv2d biases at lr 1e-5, the rest at 1e-3). items = 64 images.
  train-hourglass   the same for configs/celeba/hourglass-64d-dve.json: HourglassNet-64, imwidth 136,
                    crop 20, 16 pairs (32 images), normalize_vectors true, one Adam group at 1e-3.
  matching          protocol (a) of the reference on the MAFL test split: open the split, seed 0, then
                    per batch of two items (eval-amplitude TPS warps, keypoint transport), eval-mode
                    SmallNet-64 under no_grad on the 4 images, nearest-descriptor search for the 5
                    keypoints against the same- and the different-identity target; ends with the two
                    mean errors. items = pairs (batches: one source image, both targets).
  regression-extract  the regression protocol's descriptor extraction: frozen SmallNet-64, eval mode,
                    no_grad, batches of 32 over the whole MAFL train split (crop/resize, ToTensor,
                    Normalize, tensor crop). items = images.
  regression-epoch  one epoch of the keypoint regressor (IntermediateKeypointPredictor 64->5x50,
                    softargmax x100) on the MAFL train split, batch 32, shuffled, drop_last, Adam
                    amsgrad lr 1e-3 wd 5e-4, smooth-L1 on 10x coordinates. Default (no cache): every
                    batch is decoded, run through Sequential(NoGradWrapper(SmallNet), regressor) in
                    train mode (the base under no_grad), then backward and step. With
                    --regression-cached: as the released configs (cache_descriptors: true) and
                    pipeline-timing do it: descriptors of the train and test splits are extracted once
                    before timing (eval mode), and an epoch is the regressor's steps on the cached
                    descriptors followed by the epoch's validation (inter-ocular error on the cached
                    test descriptors). items = images trained on.

The networks' weights come from a fixed seed (the cost does not depend on them). Training workloads:
--warmup untimed iterations, then --iterations timed ones (median_ms per iteration; stages_ms gives the
mean ms per iteration of data, forward, loss, backward, optimizer (zero_grad + step)). The other
workloads: --warmup untimed passes, then --passes timed passes (median_ms per pass).

Each (workload, thread count) runs in a fresh child process of this script (hidden --child flag) so
that peak_rss_mb (ru_maxrss of the child) is that workload's own; the parent process never imports
torch, so the child does not inherit a large high-water mark through fork/exec. For a thread count t
the child calls torch.set_num_threads(t) and pins OpenBLAS's own pool to t through ctypes, so "t
threads" means t in total. Each sample records the cores other processes used meanwhile
(foreign_cores, from /proc/stat); quiet_samples_ms keeps the samples taken while that stayed below
--quiet-threshold. One JSON object is printed on stdout; progress goes to stderr.
"""

import argparse
import json
import os
import subprocess
import sys

WORKLOADS = ("train-smallnet", "train-hourglass", "matching", "regression-extract", "regression-epoch")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", required=True, help="the reference's data/ folder (ROOT/celeba is read)")
    parser.add_argument("--workload", "--workloads", dest="workloads", action="append",
                        help="workload name(s), repeatable or comma-separated (default: all): " + ", ".join(WORKLOADS))
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--iterations", type=int, default=5, help="timed iterations of the training workloads")
    parser.add_argument("--warmup", type=int, default=1, help="untimed iterations (training) or passes (others)")
    parser.add_argument("--passes", type=int, default=1, help="timed passes of matching / regression workloads")
    parser.add_argument("--matching-limit", type=int, default=None, help="evaluate at most this many pairs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loss", choices=("dve", "plain"), default="dve",
                        help="training loss: dense_correlation_loss_dve (the recipes) or dense_correlation_loss")
    parser.add_argument("--regression-cached", action="store_true",
                        help="regression-epoch on descriptors cached before timing, plus the epoch's validation "
                             "(the released configs' cache_descriptors: true, as pipeline-timing does it)")
    parser.add_argument("--no-mkldnn", action="store_true", help="disable oneDNN (ATen im2col + BLAS convolutions)")
    parser.add_argument("--quiet-threshold", type=float, default=0.15,
                        help="samples during which other processes used fewer cores than this count as quiet")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = []
    for item in args.workloads or [",".join(WORKLOADS)]:
        for name in item.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in WORKLOADS:
                parser.error(f"unknown workload {name!r} (known: {', '.join(WORKLOADS)})")
            if name not in names:
                names.append(name)
    args.workloads = names
    try:
        args.threads = [int(t) for t in str(args.threads).split(",") if t.strip()]
    except ValueError:
        parser.error(f"bad --threads {args.threads!r}")
    if not args.threads or min(args.threads) < 1:
        parser.error("--threads needs positive counts")
    if args.iterations < 1 or args.passes < 1 or args.warmup < 0:
        parser.error("--iterations and --passes must be positive, --warmup non-negative")
    return args


def parent_main(args):
    """Runs every (workload, threads) in a child process of this script and merges their JSON."""
    rows, failures = [], []
    for workload in args.workloads:
        for threads in args.threads:
            command = [sys.executable, os.path.abspath(__file__), "--child", "--data-root", args.data_root,
                       "--workload", workload, "--threads", str(threads), "--iterations", str(args.iterations),
                       "--warmup", str(args.warmup), "--passes", str(args.passes), "--seed", str(args.seed),
                       "--loss", args.loss, "--quiet-threshold", str(args.quiet_threshold)]
            if args.matching_limit is not None:
                command += ["--matching-limit", str(args.matching_limit)]
            if args.regression_cached:
                command.append("--regression-cached")
            if args.no_mkldnn:
                command.append("--no-mkldnn")
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
            lines = [line for line in done.stdout.splitlines() if line.strip()]
            row = None
            if done.returncode == 0 and lines:
                try:
                    row = json.loads(lines[-1])
                except ValueError:
                    row = None
            if row is None:
                # Kept out of "workloads" so that readers of complete rows need no special case.
                failures.append({"workload": workload, "threads": threads, "exit_status": done.returncode})
                print(f"torch {workload} threads={threads} FAILED (exit {done.returncode})", file=sys.stderr)
                continue
            print(f"torch {workload} threads={threads} median {row['median_ms']:.1f} ms, "
                  f"{row['items_per_second']:.2f} {row['unit']}/s, peak {row['peak_rss_mb']:.0f} MB", file=sys.stderr)
            rows.append(row)
    info = next((r for r in rows if "torch_version" in r), {})
    report = {
        "implementation": "pytorch",
        "torch_version": info.get("torch_version"),
        "mkldnn_enabled": info.get("mkldnn_enabled"),
        "openblas_threads_pinned": info.get("openblas_threads_pinned"),
        "loss": args.loss,
        "regression_cached": args.regression_cached,
        "warmup": args.warmup,
        "iterations": args.iterations,
        "passes": args.passes,
        "seed": args.seed,
        "quiet_threshold": args.quiet_threshold,
        "workloads": rows,
    }
    if failures:
        report["failures"] = failures
    print(json.dumps(report, indent=2))
    return 1 if failures else 0


# The parent stops here: it only runs children, and must not import torch (a forked child would
# inherit the parent's resident high-water mark in ru_maxrss).
if __name__ == "__main__":
    _ARGS = parse_args(sys.argv[1:])
    if not _ARGS.child:
        sys.exit(parent_main(_ARGS))

import io  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image, ImageEnhance  # noqa: E402

from bench_common import ForeignLoadProbe, openblas_setter, peak_rss_mb, set_threads  # noqa: E402

BILINEAR = getattr(Image, "Resampling", Image).BILINEAR

# ---------------------------------------------------------------------------------------------------
# Constants of the reference (datasets.md, warper.md, training.md, protocols.md, models.md).

NORMALIZE_MEAN = (0.5084, 0.4224, 0.3769)
NORMALIZE_STD = (0.2599, 0.2371, 0.2323)
PCA_EIGVAL = (0.2175, 0.0188, 0.0045)
PCA_EIGVEC = ((-0.5675, 0.7192, 0.4009),
              (-0.5808, -0.0045, -0.8140),
              (-0.5836, -0.6948, 0.4203))
PCA_ALPHA_STD = 0.1
JPEG_QUALITY_LOW, JPEG_QUALITY_HIGH = 30, 99      # torch.randint(low, high): 30..98
JITTER = 0.4                                      # brightness, contrast, saturation factors U[0.6, 1.4]

CELEBA_TOP, CELEBA_SIDE = 30, 178                 # crop(top=30, left=0, 178x178) of the 178x218 image

TRAIN_WARP = dict(warpsd_all=0.001, warpsd_subset=0.01, transsd=0.1, scalesd=0.1, rotsd=5.0,
                  im1_multiplier=0.5, im1_multiplier_aff=1.0)
EVAL_WARP = dict(warpsd_all=0.0005, warpsd_subset=0.005, transsd=0.05, scalesd=0.05, rotsd=2.5,
                 im1_multiplier=1.0, im1_multiplier_aff=1.0)
TPS_CONTROL_SIDE = 10

RECIPES = {
    # configs/celeba/smallnet-64d-dve.json
    "train-smallnet": dict(arch="smallnet", channels=64, imwidth=100, crop=15, pairs=32, lr=1e-3, bias_lr=1e-5,
                           weight_decay=0.0, normalize_vectors=False, pow=0.5),
    # configs/celeba/hourglass-64d-dve.json (no loss_args -> normalize_vectors true, no bias_lr)
    "train-hourglass": dict(arch="hourglass", channels=64, imwidth=136, crop=20, pairs=16, lr=1e-3, bias_lr=None,
                            weight_decay=0.0, normalize_vectors=True, pow=0.5),
}
SMALLNET_EVAL = dict(channels=64, imwidth=100, crop=15)
# configs/mafl-keypoints/celeba-smallnet-64d-dve.json
REGRESSION = dict(batch=32, lr=1e-3, weight_decay=5e-4, alpha=10.0, annotated=5, intermediate=50,
                  softargmax_mul=100.0, eyes=(0, 1))
MATCHING_REFERENCE_WIDTH = 70.0                   # errors scaled by 70 / (imwidth - 2 crop)

SMALLNET64_PARAMETERS = 350_552
HOURGLASS64_PARAMETERS = 12_609_472

NETWORK_SEED = 7                                  # weights of the evaluation/regression SmallNet

# ---------------------------------------------------------------------------------------------------
# Memory (thread pinning, the load probe and peak RSS are in bench_common.py).


def vm_hwm_mb():
    """VmHWM of this process image (reset at exec), in MB, or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return None


class StageClock:
    """Accumulates wall time per named stage."""

    def __init__(self):
        self.totals = {}
        self.last = time.perf_counter()

    def reset(self):
        self.last = time.perf_counter()

    def lap(self, stage):
        now = time.perf_counter()
        self.totals[stage] = self.totals.get(stage, 0.0) + (now - self.last)
        self.last = now

    def snapshot(self):
        return dict(self.totals)


def stage_means_ms(before, after, count, order):
    return {s: (after.get(s, 0.0) - before.get(s, 0.0)) * 1000.0 / max(1, count) for s in order}


# ---------------------------------------------------------------------------------------------------
# Networks (models.md).


def conv_block(cin, cout, kernel, padding, dilation=1):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel_size=kernel, padding=padding, dilation=dilation),
                         nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))


def batchnorm_weights_as_torch11(model):
    """PyTorch 1.1's BatchNorm default: weight ~ U(0, 1), bias 0."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.0, 1.0)
            nn.init.zeros_(m.bias)


class SmallNet(nn.Module):
    """models.md section 1; returns [descriptors] (stride 2)."""

    def __init__(self, num_output_channels=64):
        super().__init__()
        self.conv1 = conv_block(3, 20, 5, 2)
        self.mp = nn.MaxPool2d(2)
        self.conv2 = conv_block(20, 48, 5, 2)
        self.conv3 = conv_block(48, 64, 5, 4, 2)
        self.conv4 = conv_block(64, 80, 3, 4, 4)
        self.conv5 = conv_block(80, 256, 3, 2, 2)
        self.conv6 = nn.Conv2d(256, num_output_channels, kernel_size=1)
        batchnorm_weights_as_torch11(self)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                m.bias.data.mul_(0)
                nn.init.xavier_normal_(m.weight)

    def forward(self, x):
        x = self.mp(self.conv1(x))
        x = self.conv5(self.conv4(self.conv3(self.conv2(x))))
        return [self.conv6(x)]


class PreactBottleneck(nn.Module):
    """models.md 2.1: pre-activation bottleneck, expansion 2, 1x1 conv shortcut when widths differ."""

    def __init__(self, inplanes, planes):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, padding=1)
        self.bn3 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, 2 * planes, kernel_size=1)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = nn.Conv2d(inplanes, 2 * planes, kernel_size=1) if inplanes != 2 * planes else None

    def forward(self, x):
        h = self.conv1(self.relu(self.bn1(x)))
        h = self.conv2(self.relu(self.bn2(h)))
        h = self.conv3(self.relu(self.bn3(h)))
        return h + (self.downsample(x) if self.downsample is not None else x)


def residual_stack(count, inplanes=256, planes=128):
    return nn.Sequential(*[PreactBottleneck(inplanes, planes) for _ in range(count)])


class Hourglass(nn.Module):
    """models.md 2.3: depth 4; the pool runs on the skip branch's output."""

    def __init__(self, depth=4, blocks=4):
        super().__init__()
        self.depth = depth
        # Registration order of the reference: layer4_1, layer4_2, layer3_1, ..., layer1_4, layer1_3, ..., layer4_3.

        def build(n):
            setattr(self, f"layer{n}_1", residual_stack(blocks))
            setattr(self, f"layer{n}_2", residual_stack(blocks))
            if n == 1:
                setattr(self, "layer1_4", residual_stack(blocks))
            else:
                build(n - 1)
            setattr(self, f"layer{n}_3", residual_stack(blocks))

        build(depth)
        self.mp = nn.MaxPool2d(2, stride=2)
        self.up = nn.Upsample(scale_factor=2)

    def level(self, n, x):
        s = getattr(self, f"layer{n}_1")(x)
        y = getattr(self, f"layer{n}_2")(self.mp(s))
        y = self.layer1_4(y) if n == 1 else self.level(n - 1, y)
        y = self.up(getattr(self, f"layer{n}_3")(y))
        return s + y

    def forward(self, x):
        return self.level(self.depth, x)


class HourglassNet(nn.Module):
    """models.md 2.2 (one stack, 64-d output, stride 2); returns [descriptors]."""

    def __init__(self, num_output_channels=64):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(PreactBottleneck(64, 64))
        self.layer2 = nn.Sequential(PreactBottleneck(128, 128))
        self.layer3 = nn.Sequential(PreactBottleneck(256, 128))
        self.hg = nn.ModuleList([Hourglass()])
        self.output_layers = nn.ModuleList([nn.Sequential(
            residual_stack(4),
            nn.Conv2d(256, 256, kernel_size=1),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, num_output_channels, kernel_size=1))])
        batchnorm_weights_as_torch11(self)   # convolutions keep PyTorch's default init (as 1.1)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = self.hg[0](x)
        return [self.output_layers[0](x)]


class NoGradWrapper(nn.Module):
    def __init__(self, wrapped_module):
        super().__init__()
        self.wrapped_module = wrapped_module

    def forward(self, x):
        with torch.no_grad():
            return self.wrapped_module(x)


class IntermediateKeypointPredictor(nn.Module):
    """models.md section 4 (grouped regression conv, the branch the reference uses)."""

    def __init__(self, descriptor_dimension, num_annotated_points, num_intermediate_points=50, softargmax_mul=100.0):
        super().__init__()
        c, na, ni = descriptor_dimension, num_annotated_points, num_intermediate_points
        self.na, self.ni, self.softargmax_mul = na, ni, softargmax_mul
        w = torch.randn(c, na, ni)
        shared = w.reshape(c, na * ni).t()[:, :, None, None]       # [L, C, 1, 1], non-contiguous view
        self.descriptors = nn.Parameter(shared)                      # unused in forward, shares storage
        self.inner_conv = nn.Conv2d(c, na * ni, kernel_size=1, bias=False)
        self.inner_conv.weight = nn.Parameter(shared)
        self.reg_conv = nn.Conv2d(2 * ni * na, 2 * na, kernel_size=1, groups=na, bias=False)
        self.linear = nn.ModuleList([nn.Linear(2 * ni, 2, bias=False) for _ in range(na)])
        with torch.no_grad():
            for a, lin in enumerate(self.linear):
                self.reg_conv.weight[2 * a:2 * a + 2, :, 0, 0] = lin.weight

    def forward(self, inputs):
        desc = inputs[0].detach()
        b, _, h, w = desc.shape
        corr = self.inner_conv(desc)
        n_l = corr.shape[1]
        prob = F.softmax(self.softargmax_mul * corr.reshape(b, n_l, h * w), dim=2).reshape(b, n_l, h, w)
        xs = torch.linspace(-1, 1, w).view(1, 1, 1, w)
        ys = torch.linspace(-1, 1, h).view(1, 1, h, 1)
        mass = prob.sum((2, 3))
        x = (prob * xs).sum((2, 3)) / mass
        y = (prob * ys).sum((2, 3)) / mass
        intermediate = torch.stack((x, y), dim=2).reshape(b, self.na, self.ni, 2)
        pred = self.reg_conv(intermediate.reshape(b, self.na * self.ni * 2, 1, 1)).reshape(b, self.na, 2)
        return pred, intermediate


def parameter_count(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------------------------------
# TPS warper (warper.md).


def tps_grid(h, w):
    """The h*w points (x_j, y_i) of linspace(-1, 1), row-major, x first: shape (h*w, 2)."""
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    return torch.stack((xs, ys), dim=-1).reshape(h * w, 2)


def unnormalize(g, h, w):
    """Normalised (x, y) (align-corners) to pixel coordinates, last axis x first."""
    return torch.stack(((g[..., 0] + 1) / 2 * (w - 1), (g[..., 1] + 1) / 2 * (h - 1)), dim=-1)


def normalize(u, h, w):
    return torch.stack((2 * u[..., 0] / (w - 1) - 1, 2 * u[..., 1] / (h - 1) - 1), dim=-1)


def random_tps_weights(n, sd_all, sd_subset, sd_trans, sd_scale, sd_rot):
    """warper.md section 3, in the reference's draw order."""
    weights = torch.randn(n, 2) * sd_all
    subset = torch.rand(n, 2) > 0.5
    weights[subset] = torch.randn(int(subset.sum())) * sd_subset
    rot = torch.randn([]) * sd_rot * math.pi / 180.0
    sc = 1.0 + torch.randn([]) * sd_scale
    tx = torch.randn([]) * sd_trans
    ty = torch.randn([]) * sd_trans
    affine = torch.stack((torch.stack((tx, ty)),
                          torch.stack((sc * torch.cos(rot), -sc * torch.sin(rot))),
                          torch.stack((sc * torch.sin(rot), sc * torch.cos(rot)))))
    return torch.cat((weights, affine), dim=0)


class Warper:
    """The pair generator of warper.md section 4 (TPS design matrix built once per instance)."""

    def __init__(self, h, w, warpsd_all, warpsd_subset, transsd, scalesd, rotsd, im1_multiplier, im1_multiplier_aff):
        self.h, self.w = h, w
        self.sd = (warpsd_all, warpsd_subset, transsd, scalesd, rotsd)
        self.m, self.m_aff = im1_multiplier, im1_multiplier_aff
        control = tps_grid(TPS_CONTROL_SIDE, TPS_CONTROL_SIDE)
        pixels = tps_grid(h, w)
        d2 = ((pixels[:, None, :] - control[None, :, :]) ** 2).sum(-1)
        basis = d2 * torch.log(d2 + 1e-5)
        self.design = torch.cat((basis, torch.ones(h * w, 1), pixels[:, 0:1], pixels[:, 1:2]), dim=1)  # HW x 103
        self.pixel_grid = unnormalize(pixels, h, w).reshape(h, w, 2)       # float "integer" pixel positions
        self.n_control = control.shape[0]

    def sampling_grid(self, weights):
        return (self.design @ weights).reshape(1, self.h, self.w, 2)

    def warp_keypoints(self, keypoints, grid_pixels):
        """Each keypoint moves to the output pixel whose sampling location is nearest. The reference
        queries a scipy KDTree built on the warped grid (numpy code outside torch's thread pool);
        without scipy this is a brute-force nearest-neighbour search in numpy (first minimum wins)."""
        points = grid_pixels.reshape(-1, 2).numpy()
        kp = keypoints.numpy()
        d2 = ((kp[:, None, :] - points[None, :, :]) ** 2).sum(-1)
        return self.pixel_grid.reshape(-1, 2)[torch.from_numpy(d2.argmin(axis=1))]

    def __call__(self, im, keypts=None, crop=0):
        h, w, c = self.h, self.w, crop
        sd_all, sd_sub, sd_t, sd_s, sd_r = self.sd
        w1 = random_tps_weights(self.n_control, self.m * sd_all, self.m * sd_sub,
                                self.m_aff * sd_t, self.m_aff * sd_s, self.m_aff * sd_r)
        g1 = self.sampling_grid(w1)
        kp_b = self.warp_keypoints(keypts, unnormalize(g1, h, w)) if keypts is not None else None
        im_b = F.grid_sample(im[None], g1, mode="bilinear", padding_mode="zeros", align_corners=True)
        w2 = random_tps_weights(self.n_control, sd_all, sd_sub, sd_t, sd_s, sd_r)
        g2 = self.sampling_grid(w2)
        im_a = F.grid_sample(im_b, g2, mode="bilinear", padding_mode="zeros", align_corners=True)
        hc, wc = h - 2 * c, w - 2 * c
        im_a = im_a[0, :, c:h - c, c:w - c]
        im_b = im_b[0, :, c:h - c, c:w - c]
        g2_pixels = unnormalize(g2, h, w)
        grid = normalize(g2_pixels[0, c:h - c, c:w - c] - c, hc, wc)
        flow = (g2_pixels[0] - self.pixel_grid)[c:h - c, c:w - c]
        kp_a = None
        if kp_b is not None:
            kp_a = self.warp_keypoints(kp_b, g2_pixels) - c
            kp_b = kp_b - c
        return im_a, im_b, flow, grid, kp_a, kp_b


# ---------------------------------------------------------------------------------------------------
# Image transforms (datasets.md section 2).


def to_tensor(pil):
    """torchvision ToTensor for an RGB PIL image: (3, H, W) float in [0, 1]."""
    return torch.from_numpy(np.array(pil, dtype=np.uint8)).permute(2, 0, 1).contiguous().float().div(255)


def to_pil_image(t_uint8):
    return Image.fromarray(t_uint8.permute(1, 2, 0).contiguous().numpy())   # H x W x 3 uint8 -> RGB


class JPEGNoise:
    def __init__(self, low=JPEG_QUALITY_LOW, high=JPEG_QUALITY_HIGH):
        self.low, self.high = low, high

    def __call__(self, im):
        w, h = im.size
        z = float(torch.randn(1))
        side = max(int(0.8 * w), int(w * (1 + 0.5 * z)))
        im = im.resize((side, side), BILINEAR)
        quality = int(torch.randint(self.low, self.high, (1,)))
        buffer = io.BytesIO()
        im.save(buffer, format="JPEG", quality=quality)
        buffer.seek(0)
        im = Image.open(buffer)
        im.load()
        return im.resize((w, h), BILINEAR)


class ColorJitter:
    """torchvision 0.3 ColorJitter(b, c, s): factors from Python's random, ops in a shuffled order."""

    def __init__(self, brightness=JITTER, contrast=JITTER, saturation=JITTER):
        self.ranges = ((ImageEnhance.Brightness, brightness), (ImageEnhance.Contrast, contrast),
                       (ImageEnhance.Color, saturation))

    def __call__(self, im):
        ops = [(enhancer, random.uniform(max(0.0, 1 - amount), 1 + amount)) for enhancer, amount in self.ranges]
        random.shuffle(ops)
        for enhancer, factor in ops:
            im = enhancer(im).enhance(factor)
        return im


class PcaAug:
    def __init__(self, alpha=PCA_ALPHA_STD):
        self.alpha = alpha
        self.eigval = torch.tensor(PCA_EIGVAL)
        self.eigvec = torch.tensor(PCA_EIGVEC)

    def __call__(self, t):
        a = torch.randn(3) * self.alpha
        rgb = (self.eigvec * a[None, :] * self.eigval[None, :]).sum(dim=1)
        return t + rgb[:, None, None]


class Normalize:
    def __init__(self):
        self.mean = torch.tensor(NORMALIZE_MEAN)[:, None, None]
        self.std = torch.tensor(NORMALIZE_STD)[:, None, None]

    def __call__(self, t):
        return (t - self.mean) / self.std


class Compose:
    def __init__(self, steps):
        self.steps = steps

    def __call__(self, x):
        for step in self.steps:
            x = step(x)
        return x


def image_transforms(augment):
    if augment:
        return Compose([JPEGNoise(), ColorJitter(), to_tensor, PcaAug(), Normalize()])
    return Compose([to_tensor, Normalize()])


# ---------------------------------------------------------------------------------------------------
# CelebA / MAFL (datasets.md section 3).


def read_lines(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


class CelebASplit:
    """CelebAPrunedAligned_MAFLVal (split 'pruned-train') and MAFLAligned ('mafl-train', 'mafl-test')."""

    def __init__(self, root, split, imwidth, crop, train, use_keypoints, do_augmentations, pair_warper=None):
        self.root, self.imwidth, self.crop = root, imwidth, crop
        self.use_keypoints, self.warper = use_keypoints, pair_warper
        self.transforms = image_transforms(train and do_augmentations)
        names, labels = [], []
        for line in read_lines(os.path.join(root, "Eval", "list_eval_partition.txt")):
            name, label = line.split()[:2]
            names.append(name)
            labels.append(int(label))
        mafl_train = set(read_lines(os.path.join(root, "MAFL", "training.txt")))
        mafl_test = set(read_lines(os.path.join(root, "MAFL", "testing.txt")))
        if split == "pruned-train":
            relabel, wanted = ((mafl_train, 3), (mafl_test, 4)), 0
        elif split in ("mafl-train", "mafl-test"):
            relabel, wanted = ((mafl_test, 4), (mafl_train, 5)), (5 if split == "mafl-train" else 4)
        else:
            raise ValueError(split)
        for ids, value in relabel:
            labels = [value if n in ids else lab for n, lab in zip(names, labels)]
        self.filenames = [n for n, lab in zip(names, labels) if lab == wanted]
        self.keypoints = None
        if use_keypoints:
            table = {}
            lines = read_lines(os.path.join(root, "Anno", "list_landmarks_align_celeba.txt"))
            for line in lines[2:]:
                parts = line.split()
                table[parts[0]] = [float(v) for v in parts[1:11]]
            self.keypoints = torch.tensor([table[n] for n in self.filenames], dtype=torch.float32).reshape(-1, 5, 2)

    def __len__(self):
        return len(self.filenames)

    def initial(self, im):
        im = im.crop((0, CELEBA_TOP, CELEBA_SIDE, CELEBA_TOP + CELEBA_SIDE))
        return im.resize((self.imwidth, self.imwidth), BILINEAR)

    def __getitem__(self, index):
        path = os.path.join(self.root, "Img", "img_align_celeba_hq", self.filenames[index])
        im = Image.open(path).convert("RGB")
        kp = None
        if self.use_keypoints:
            kp = self.keypoints[index].clone()
            kp[:, 1] -= CELEBA_TOP
            kp *= self.imwidth / CELEBA_SIDE
        im = self.initial(im)
        c = self.crop
        if self.warper is not None:
            im_a, im_b, flow, grid, kp_a, kp_b = self.warper(to_tensor(im) * 255, keypts=kp, crop=c)
            im_a = self.transforms(to_pil_image(im_a.to(torch.uint8)))
            im_b = self.transforms(to_pil_image(im_b.to(torch.uint8)))
            meta = {"flow": flow, "grid": grid, "im1": im_a, "im2": im_b, "index": index}
            if self.use_keypoints:
                meta["kp1"], meta["kp2"] = kp_a, kp_b
            return {"data": torch.stack((im_a, im_b)), "meta": meta}
        data = self.transforms(im)
        if c > 0:
            data = data[:, c:-c, c:-c]
        meta = {"index": index}
        if self.use_keypoints:
            kp = kp - c
            h, w = data.shape[1:]
            meta["keypts"] = kp
            meta["keypts_normalized"] = torch.stack((2 * kp[:, 0] / (w - 1) - 1, 2 * kp[:, 1] / (h - 1) - 1), dim=1)
        return {"data": data, "meta": meta}


def dict_coll(items):
    """Stacks data and meta; pair data (B, 2, 3, H, W) becomes (2B, 3, H, W) = [A0, B0, A1, B1, ...]."""
    data = torch.stack([it["data"] for it in items])
    if data.dim() == 5:
        data = data.reshape(-1, *data.shape[2:])
    meta = {}
    for key, value in items[0]["meta"].items():
        values = [it["meta"][key] for it in items]
        meta[key] = torch.stack(values) if torch.is_tensor(value) else torch.tensor(values)
    return data, meta


def batches(dataset, batch_size, shuffle, drop_last, generator=None):
    """One epoch of an in-process DataLoader (num_workers=0)."""
    n = len(dataset)
    order = torch.randperm(n, generator=generator).tolist() if shuffle else list(range(n))
    stop = (n // batch_size) * batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield dict_coll([dataset[i] for i in order[start:min(start + batch_size, stop)]])


def endless_batches(dataset, batch_size, generator):
    while True:
        yielded = False
        for batch in batches(dataset, batch_size, shuffle=True, drop_last=True, generator=generator):
            yielded = True
            yield batch
        if not yielded:
            raise RuntimeError(f"the split has {len(dataset)} images, fewer than one batch of {batch_size}")


# ---------------------------------------------------------------------------------------------------
# Losses (losses.md).


def feature_distances(grid_b, h, w, stride, pow_):
    """D[i, j, k, l] = |g(i, j) - (s l, s k)|^pow in input pixels; grid_b (Hc, Wc, 2) normalised."""
    hc, wc = grid_b.shape[0], grid_b.shape[1]
    u = unnormalize(grid_b, hc, wc)[0:h * stride:stride, 0:w * stride:stride]       # (h, w, 2)
    rows, cols = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    targets = torch.stack((cols * stride, rows * stride), dim=-1)                    # (h, w, 2), x first
    diff = u[:, :, None, None, :] - targets[None, None, :, :, :]
    return (diff * diff).sum(-1).sqrt().pow(pow_)


def correlation_pairs(feats, grid, pow_, normalize_vectors):
    """Per pair b, as both losses of losses.md take them: (C, N) descriptor blocks of A_b, B_b and the
    auxiliary A_(b+1) (x20-normalised per column when asked) and the distance matrix D_b; then h, w, B."""
    f1s, f2s = feats[0::2], feats[1::2]
    b_count, c, h, w = f1s.shape
    stride = grid.shape[1] // h

    def block(f):
        f = f.reshape(c, h * w)
        return F.normalize(f, p=2, dim=0) * 20 if normalize_vectors else f

    def pairs():
        for b in range(b_count):
            with torch.no_grad():
                dist = feature_distances(grid[b], h, w, stride, pow_)
            yield block(f1s[b]), block(f2s[b]), block(f1s[(b + 1) % b_count]), dist

    return pairs(), (c, h, w, b_count)


def dense_correlation_loss_dve(feats, grid, pow_=0.5, normalize_vectors=True):
    """losses.md section 2 as the reference computes it, under autograd."""
    pairs, (c, h, w, b_count) = correlation_pairs(feats, grid, pow_, normalize_vectors)
    loss = 0.0
    for f1, f2, fa, dist in pairs:
        corr = torch.matmul(f1.t(), fa)
        s1 = F.softmax(corr, dim=1).reshape(h, w, h, w)
        product = s1[None] * fa.reshape(c, 1, 1, h, w)                   # C x N x N, materialised
        reconstructed = product.sum(dim=(3, 4)).reshape(c, h * w)
        corr2 = torch.matmul(reconstructed.t(), f2)
        s2 = F.softmax(corr2, dim=1).reshape(h, w, h, w)
        loss = loss + (dist * s2).float().sum()
    return loss / (h * w * b_count)


def dense_correlation_loss(feats, grid, pow_=0.5, normalize_vectors=True):
    """losses.md section 1, under autograd (the auxiliary block is not used)."""
    pairs, (c, h, w, b_count) = correlation_pairs(feats, grid, pow_, normalize_vectors)
    loss = 0.0
    for f1, f2, _, dist in pairs:
        s = F.softmax(torch.matmul(f1.t(), f2), dim=1).reshape(h, w, h, w)
        loss = loss + (dist * s).float().sum()
    return loss / (h * w * b_count)


def regression_loss(output, meta, alpha):
    return F.smooth_l1_loss(alpha * output[0], alpha * meta["keypts_normalized"])


def inter_ocular_error(pred, gt, eyes):
    iod = (gt[:, eyes[0]] - gt[:, eyes[1]]).norm(dim=1)
    err = (pred - gt).norm(dim=2)
    return 100.0 * float((err / iod[:, None]).mean())


# ---------------------------------------------------------------------------------------------------
# Workloads.


class Measurement:
    def __init__(self, unit):
        self.unit = unit
        self.items = 0
        self.samples = []
        self.foreign = []
        self.stages = {}
        self.extra = {}

    def timed(self, body):
        probe = ForeignLoadProbe()
        start = time.perf_counter()
        result = body()
        self.samples.append((time.perf_counter() - start) * 1000.0)
        self.foreign.append(probe.foreign_cores() or 0.0)
        return result


def seeded_smallnet(channels=SMALLNET_EVAL["channels"]):
    torch.manual_seed(NETWORK_SEED)
    net = SmallNet(channels)
    assert channels != 64 or parameter_count(net) == SMALLNET64_PARAMETERS
    return net


def run_training(name, args):
    recipe = RECIPES[name]
    root = os.path.join(args.data_root, "celeba")
    torch.manual_seed(args.seed)
    if recipe["arch"] == "smallnet":
        model = SmallNet(recipe["channels"])
        assert parameter_count(model) == SMALLNET64_PARAMETERS
    else:
        model = HourglassNet(recipe["channels"])
        assert parameter_count(model) == HOURGLASS64_PARAMETERS
    if recipe["bias_lr"] is not None:
        biases = [m.bias for m in model.modules() if isinstance(m, nn.Conv2d) and m.bias is not None]
        bias_ids = {id(p) for p in biases}
        rest = [p for p in model.parameters() if p.requires_grad and id(p) not in bias_ids]
        groups = [{"params": rest}, {"params": biases, "lr": recipe["bias_lr"]}]
    else:
        groups = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(groups, lr=recipe["lr"], weight_decay=recipe["weight_decay"], amsgrad=True)
    loss_fn = dense_correlation_loss_dve if args.loss == "dve" else dense_correlation_loss

    warper = Warper(recipe["imwidth"], recipe["imwidth"], **TRAIN_WARP)
    dataset = CelebASplit(root, "pruned-train", recipe["imwidth"], recipe["crop"], train=True, use_keypoints=False,
                          do_augmentations=True, pair_warper=warper)
    generator = torch.Generator().manual_seed(args.seed)
    loader = endless_batches(dataset, recipe["pairs"], generator)
    model.train()
    clock = StageClock()
    losses = []

    def iteration():
        clock.reset()
        data, meta = next(loader)
        clock.lap("data")
        optimizer.zero_grad()
        clock.lap("optimizer")
        output = model(data)
        clock.lap("forward")
        loss = loss_fn(output[0], meta["grid"], pow_=recipe["pow"], normalize_vectors=recipe["normalize_vectors"])
        clock.lap("loss")
        loss.backward()
        clock.lap("backward")
        optimizer.step()
        clock.lap("optimizer")
        losses.append(float(loss.item()))
        return losses[-1]

    m = Measurement("images")
    m.items = 2 * recipe["pairs"]
    for i in range(args.warmup):
        iteration()
        print(f"  {name}: warm-up {i + 1}/{args.warmup}, loss {losses[-1]:.4f}", file=sys.stderr)
    before = clock.snapshot()
    for i in range(args.iterations):
        m.timed(iteration)
        print(f"  {name}: iteration {i + 1}/{args.iterations} {m.samples[-1]:.0f} ms, loss {losses[-1]:.4f}",
              file=sys.stderr)
    m.stages = stage_means_ms(before, clock.snapshot(), args.iterations, ("data", "forward", "loss", "backward", "optimizer"))
    m.extra = {"losses": losses, "split_images": len(dataset), "pairs": recipe["pairs"], "loss": args.loss,
               "normalize_vectors": recipe["normalize_vectors"]}
    return m


def run_matching(args):
    net = seeded_smallnet().eval()
    root = os.path.join(args.data_root, "celeba")
    imwidth, crop = SMALLNET_EVAL["imwidth"], SMALLNET_EVAL["crop"]
    scale = MATCHING_REFERENCE_WIDTH / (imwidth - 2 * crop)
    clock = StageClock()
    m = Measurement("pairs")
    result = {}

    def one_pass():
        clock.reset()
        warper = Warper(imwidth, imwidth, **EVAL_WARP)
        dataset = CelebASplit(root, "mafl-test", imwidth, crop, train=False, use_keypoints=True,
                              do_augmentations=False, pair_warper=warper)
        pairs = len(dataset) // 2
        if args.matching_limit is not None:
            pairs = min(pairs, args.matching_limit)
        clock.lap("data")
        torch.manual_seed(0)
        same, diff = [], []
        for k in range(pairs):
            clock.reset()
            data, meta = dict_coll([dataset[2 * k], dataset[2 * k + 1]])
            clock.lap("data")
            with torch.no_grad():
                descs = net(data)[0]
            clock.lap("forward")
            _, c, h, w = descs.shape
            stride = data.shape[3] / w
            source = descs[0]
            for target, gt, errors in ((descs[1], meta["kp2"][0], same), (descs[3], meta["kp2"][1], diff)):
                flat = target.reshape(c, h * w)
                for (x, y), (gx, gy) in zip(meta["kp1"][0].tolist(), gt.tolist()):
                    j = min(max(int(np.round(x / stride)), 0), w - 1)
                    i = min(max(int(np.round(y / stride)), 0), h - 1)
                    score = torch.matmul(source[:, i, j], flat)
                    best = int(torch.argmax(score))
                    px, py = (best % w) * stride, (best // w) * stride
                    errors.append(scale * math.sqrt((px - gx) ** 2 + (py - gy) ** 2))
            clock.lap("match")
        result.update(pairs=pairs, same=float(np.mean(same)), different=float(np.mean(diff)))
        return result["same"]

    for i in range(args.warmup):
        one_pass()
        print(f"  matching: warm-up pass {i + 1}/{args.warmup}", file=sys.stderr)
    before = clock.snapshot()
    for i in range(args.passes):
        m.timed(one_pass)
        print(f"  matching: pass {i + 1}/{args.passes} {m.samples[-1]:.0f} ms ({result['pairs']} pairs), "
              f"errors {result['same']:.2f} / {result['different']:.2f}", file=sys.stderr)
    m.items = result["pairs"]
    m.stages = stage_means_ms(before, clock.snapshot(), args.passes, ("data", "forward", "match"))
    m.extra = {"same_identity_error": result["same"], "different_identity_error": result["different"]}
    return m


def extract_descriptors(net, dataset, batch_size, clock=None):
    descs, keypoints = [], []
    with torch.no_grad():
        for data, meta in batches(dataset, batch_size, shuffle=False, drop_last=False):
            if clock:
                clock.lap("data")
            descs.append(net(data)[0])
            keypoints.append(meta["keypts_normalized"])
            if clock:
                clock.lap("forward")
    return torch.cat(descs), torch.cat(keypoints)


def run_regression_extract(args):
    net = seeded_smallnet().eval()
    root = os.path.join(args.data_root, "celeba")
    clock = StageClock()
    m = Measurement("images")
    shape = {}

    def one_pass():
        clock.reset()
        dataset = CelebASplit(root, "mafl-train", SMALLNET_EVAL["imwidth"], SMALLNET_EVAL["crop"], train=True,
                              use_keypoints=True, do_augmentations=False)
        descs, _ = extract_descriptors(net, dataset, REGRESSION["batch"], clock)
        shape["descriptors"] = list(descs.shape)
        return descs.shape[0]

    for i in range(args.warmup):
        one_pass()
        print(f"  regression-extract: warm-up pass {i + 1}/{args.warmup}", file=sys.stderr)
    before = clock.snapshot()
    for i in range(args.passes):
        m.items = m.timed(one_pass)
        print(f"  regression-extract: pass {i + 1}/{args.passes} {m.samples[-1]:.0f} ms ({m.items} images)", file=sys.stderr)
    m.stages = stage_means_ms(before, clock.snapshot(), args.passes, ("data", "forward"))
    m.extra = {"descriptor_shape": shape["descriptors"]}
    return m


def run_regression_epoch(args):
    root = os.path.join(args.data_root, "celeba")
    base = seeded_smallnet()
    torch.manual_seed(args.seed)
    regressor = IntermediateKeypointPredictor(SMALLNET_EVAL["channels"], REGRESSION["annotated"],
                                              REGRESSION["intermediate"], REGRESSION["softargmax_mul"])
    model = nn.Sequential(NoGradWrapper(base), regressor)
    base_ids = {id(p) for p in base.parameters()}
    trainable = [p for p in model.parameters() if id(p) not in base_ids]
    optimizer = torch.optim.Adam(trainable, lr=REGRESSION["lr"], weight_decay=REGRESSION["weight_decay"], amsgrad=True)
    alpha, batch = REGRESSION["alpha"], REGRESSION["batch"]
    train_set = CelebASplit(root, "mafl-train", SMALLNET_EVAL["imwidth"], SMALLNET_EVAL["crop"], train=True,
                            use_keypoints=True, do_augmentations=False)
    generator = torch.Generator().manual_seed(args.seed)
    clock = StageClock()
    m = Measurement("images")
    m.items = (len(train_set) // batch) * batch
    state = {"losses": [], "val": None}

    def regressor_step(features, meta):
        """One optimiser step of the regressor on the base's descriptors (the same in both modes)."""
        optimizer.zero_grad()
        loss = regression_loss(model[1](features), meta, alpha)
        clock.lap("forward")
        loss.backward()
        clock.lap("backward")
        optimizer.step()
        clock.lap("optimizer")
        state["losses"].append(float(loss.item()))

    if args.regression_cached:
        test_set = CelebASplit(root, "mafl-test", SMALLNET_EVAL["imwidth"], SMALLNET_EVAL["crop"], train=False,
                               use_keypoints=True, do_augmentations=False)
        model.eval()
        train_descs, train_kp = extract_descriptors(model[0], train_set, batch)
        test_descs, test_kp = extract_descriptors(model[0], test_set, batch)

        def epoch():
            clock.reset()
            model.train()
            order = torch.randperm(len(train_descs), generator=generator)
            for start in range(0, m.items, batch):
                index = order[start:start + batch]
                descs, meta = train_descs[index], {"keypts_normalized": train_kp[index]}
                clock.lap("data")
                regressor_step([descs], meta)
            model.eval()
            rng = torch.get_rng_state()
            torch.manual_seed(0)
            total, count = 0.0, 0
            with torch.no_grad():
                for start in range(0, len(test_descs), batch):
                    pred = model[1]([test_descs[start:start + batch]])[0]
                    gt = test_kp[start:start + batch]
                    regression_loss((pred,), {"keypts_normalized": gt}, alpha)   # the trainer logs val_loss too
                    total += inter_ocular_error(pred, gt, REGRESSION["eyes"]) * len(gt)
                    count += len(gt)
            torch.set_rng_state(rng)
            state["val"] = total / max(1, count)
            clock.lap("validation")
            return state["val"]
        stage_names = ("data", "forward", "backward", "optimizer", "validation")
    else:
        def epoch():
            clock.reset()
            model.train()
            for data, meta in batches(train_set, batch, shuffle=True, drop_last=True, generator=generator):
                clock.lap("data")
                descs = model[0](data)
                clock.lap("base")
                regressor_step(descs, meta)
            return state["losses"][-1]
        stage_names = ("data", "base", "forward", "backward", "optimizer")

    for i in range(args.warmup):
        epoch()
        print(f"  regression-epoch: warm-up epoch {i + 1}/{args.warmup}, last loss {state['losses'][-1]:.4f}",
              file=sys.stderr)
    before = clock.snapshot()
    for i in range(args.passes):
        m.timed(epoch)
        print(f"  regression-epoch: epoch {i + 1}/{args.passes} {m.samples[-1]:.0f} ms, last loss "
              f"{state['losses'][-1]:.4f}", file=sys.stderr)
    m.stages = stage_means_ms(before, clock.snapshot(), args.passes, stage_names)
    m.extra = {"cached": args.regression_cached, "last_loss": state["losses"][-1], "seconds_per_epoch": None}
    if state["val"] is not None:
        m.extra["val_inter_ocular_error"] = state["val"]
    return m


def child_main(args):
    name, threads = args.workloads[0], args.threads[0]
    torch.backends.mkldnn.enabled = not args.no_mkldnn
    blas_setter = openblas_setter()
    set_threads(threads, blas_setter)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if name.startswith("train-"):
        m = run_training(name, args)
    elif name == "matching":
        m = run_matching(args)
    elif name == "regression-extract":
        m = run_regression_extract(args)
    else:
        m = run_regression_epoch(args)
    med = statistics.median(m.samples)
    if "seconds_per_epoch" in m.extra:
        m.extra["seconds_per_epoch"] = med / 1000.0
    row = {
        "workload": name,
        "threads": threads,
        "median_ms": med,
        "samples_ms": m.samples,
        "foreign_cores": m.foreign,
        "quiet_samples_ms": [s for s, f in zip(m.samples, m.foreign) if f < args.quiet_threshold],
        "items": m.items,
        "items_per_second": m.items * 1000.0 / med,
        "unit": m.unit,
        "peak_rss_mb": peak_rss_mb(),
        "vm_hwm_mb": vm_hwm_mb(),
        "stages_ms": m.stages,
        "torch_version": torch.__version__,
        "mkldnn_enabled": torch.backends.mkldnn.enabled and torch.backends.mkldnn.is_available(),
        "openblas_threads_pinned": blas_setter is not None,
    }
    row.update(m.extra)
    print(json.dumps(row))


if __name__ == "__main__":
    child_main(_ARGS)
