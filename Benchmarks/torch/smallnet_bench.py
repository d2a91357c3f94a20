#!/usr/bin/python3
"""Times SmallNet-64 in PyTorch on the same workloads as the Swift benchmarks.

Written for Debian's PyTorch 1.13 (run with /usr/bin/python3). The network is built here from the
SmallNet specification (Thewlis et al. 2017, as used by DVE):

    conv1  Conv2d(3, 20, k5, p2)            -> BatchNorm2d -> LeakyReLU(0.2)
    mp     MaxPool2d(2)
    conv2  Conv2d(20, 48, k5, p2)           -> BatchNorm2d -> LeakyReLU(0.2)
    conv3  Conv2d(48, 64, k5, p4, d2)       -> BatchNorm2d -> LeakyReLU(0.2)
    conv4  Conv2d(64, 80, k3, p4, d4)       -> BatchNorm2d -> LeakyReLU(0.2)
    conv5  Conv2d(80, 256, k3, p2, d2)      -> BatchNorm2d -> LeakyReLU(0.2)
    conv6  Conv2d(256, C, k1)               (no BN, no activation)

Workloads (batch 32, 3x70x70 input from a seeded normal):
    forward-eval  model.eval(); one forward under torch.no_grad()
    train-step    model.train(); forward, zero_grad(), backward of a fixed random gradient R of the
                  output's shape. The input has requires_grad=True so conv1's input gradient is
                  computed, as the Swift SmallNet.backward does (it returns the input gradient);
                  --no-input-grad drops it on both sides' terms (smallnet-timing --input-gradient no).

For each thread count t: torch.set_num_threads(t) (OpenMP/ATen) and, through ctypes, OpenBLAS's own
pool is pinned to t threads as well so "t threads" means t in total. Prints JSON with the median of
--iterations timed runs after --warmup untimed ones; each sample also records how many cores other
processes used meanwhile (foreign_cores, from /proc/stat), and quiet_samples_ms keeps the samples
taken while that stayed below --quiet-threshold.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

from bench_common import ForeignLoadProbe, openblas_setter, peak_rss_mb, set_threads


def block(cin, cout, kernel, padding, dilation=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel_size=kernel, padding=padding, dilation=dilation),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(0.2),
    )


class SmallNet(nn.Module):
    def __init__(self, output_channels=64):
        super().__init__()
        self.conv1 = block(3, 20, 5, 2)
        self.mp = nn.MaxPool2d(2)
        self.conv2 = block(20, 48, 5, 2)
        self.conv3 = block(48, 64, 5, 4, 2)
        self.conv4 = block(64, 80, 3, 4, 4)
        self.conv5 = block(80, 256, 3, 2, 2)
        self.conv6 = nn.Conv2d(256, output_channels, kernel_size=1)

    def forward(self, x):
        x = self.conv1(x)
        x = self.mp(x)
        x = self.conv2(x)
        x = self.conv3(x)
        x = self.conv4(x)
        x = self.conv5(x)
        return self.conv6(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--workloads", default="forward-eval,train-step")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=70)
    parser.add_argument("--output-channels", type=int, default=64)
    parser.add_argument("--no-mkldnn", action="store_true",
                        help="disable oneDNN so convolutions use ATen's im2col + BLAS path")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--quiet-threshold", type=float, default=0.15,
                        help="samples during which other processes used fewer cores than this count as quiet")
    parser.add_argument("--no-input-grad", action="store_true",
                        help="train step without the input gradient (input.requires_grad False), "
                             "like smallnet-timing --input-gradient no")
    parser.add_argument("--profile", action="store_true",
                        help="after timing, profile one run of each workload per thread count "
                             "(torch.autograd.profiler) and print the top operators to stderr")
    args = parser.parse_args()

    threads = [int(t) for t in args.threads.split(",")]
    workloads = args.workloads.split(",")
    for w in workloads:
        if w not in ("forward-eval", "train-step"):
            parser.error(f"unknown workload {w}")

    torch.backends.mkldnn.enabled = not args.no_mkldnn
    torch.manual_seed(args.seed)
    model = SmallNet(args.output_channels)
    x = torch.randn(args.batch, 3, args.size, args.size)
    with torch.no_grad():
        out_shape = model.eval()(x[:1]).shape[1:]
    grad = torch.randn(args.batch, *out_shape)
    x_train = x.clone().requires_grad_(not args.no_input_grad)
    blas_setter = openblas_setter()

    def forward_eval():
        with torch.no_grad():
            return model(x)

    def train_step():
        y = model(x_train)
        model.zero_grad()
        x_train.grad = None
        y.backward(grad)
        return y

    runners = {"forward-eval": (forward_eval, False), "train-step": (train_step, True)}
    results = []
    for w in workloads:
        fn, training = runners[w]
        model.train(training)
        for t in threads:
            set_threads(t, blas_setter)
            for _ in range(args.warmup):
                fn()
            samples, foreign = [], []
            for _ in range(args.iterations):
                probe = ForeignLoadProbe()
                start = time.perf_counter()
                fn()
                samples.append((time.perf_counter() - start) * 1000.0)
                foreign.append(probe.foreign_cores() or 0.0)
            med = statistics.median(samples)
            quiet = [s for s, f in zip(samples, foreign) if f < args.quiet_threshold]
            results.append({
                "workload": w,
                "threads": t,
                "median_ms": med,
                "min_ms": min(samples),
                "max_ms": max(samples),
                "images_per_s": args.batch * 1000.0 / med,
                "samples_ms": samples,
                "foreign_cores": foreign,
                "quiet_samples_ms": quiet,
                "maxrss_mib_so_far": peak_rss_mb(),
            })
            print(f"torch {w} threads={t} median {med:.1f} ms ({len(quiet)}/{len(samples)} quiet samples)",
                  file=sys.stderr)
            if args.profile:
                with torch.autograd.profiler.profile() as prof:
                    fn()
                print(f"--- profile: {w}, {t} thread(s)", file=sys.stderr)
                print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15), file=sys.stderr)

    report = {
        "implementation": "pytorch",
        "torch_version": torch.__version__,
        "mkldnn_enabled": torch.backends.mkldnn.enabled and torch.backends.mkldnn.is_available(),
        "openblas_threads_pinned": blas_setter is not None,
        "batch": args.batch,
        "size": args.size,
        "output_channels": args.output_channels,
        "output_shape": [args.batch, *out_shape],
        "parameters": sum(p.numel() for p in model.parameters()),
        "warmup": args.warmup,
        "iterations": args.iterations,
        "input_grad": not args.no_input_grad,
        "quiet_threshold": args.quiet_threshold,
        "maxrss_mib": peak_rss_mb(),
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
