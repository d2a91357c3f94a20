#!/usr/bin/python3
"""The Hourglass workloads of Benchmarks/hourglass (hourglass-timing) in PyTorch 1.13.

Run with Debian's interpreter:
    /usr/bin/python3 Benchmarks/torch/hourglass_bench.py --threads 1,2 --iterations 7 --warmup 2 [--memory]

The model is tools/golden/make_hourglass_golden.py's HourglassNet (written from the spec), 64-d,
with the formula weights of seed 0, so both sides compute the same function.
  forward-eval  eval-mode forward of `batch` images under torch.no_grad()
  train-step    train-mode forward of 2*batch images, zero_grad, backward of a fixed random output
                gradient; the input needs no gradient (as in training); no optimiser update.
One JSON object per (workload, threads) on stdout; `foreign_cores` per sample as in the Swift tool.
torch.set_num_threads(t) sets the thread count (oneDNN and ATen both follow it).
--memory adds the peak RSS (ru_maxrss) after one train step in a fresh process.
"""

import argparse
import json
import os
import resource
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "golden"))
from make_hourglass_golden import HourglassNet, set_formula_weights  # noqa: E402


def busy_ticks():
    with open("/proc/stat") as f:
        fields = [float(v) for v in f.readline().split()[1:]]
    return fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]


def own_cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--iterations", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--workloads", default="forward-eval,train-step")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--memory", action="store_true")
    a = ap.parse_args()
    tick = os.sysconf("SC_CLK_TCK")

    net = HourglassNet(64)
    set_formula_weights(net, 0)
    g = torch.Generator().manual_seed(1)
    x_eval = torch.randn(a.batch, 3, a.size, a.size, generator=g)
    x_train = torch.randn(2 * a.batch, 3, a.size, a.size, generator=g)
    grad = torch.randn(2 * a.batch, 64, a.size // 2, a.size // 2, generator=g)

    def run(workload):
        if workload == "forward-eval":
            net.eval()
            with torch.no_grad():
                return float(net(x_eval)[0][0, 0, 0, 0])
        net.train()
        y = net(x_train)[0]
        net.zero_grad(set_to_none=False)
        y.backward(grad)
        return float(net.conv1.weight.grad[0, 0, 0, 0])

    if a.memory:
        torch.set_num_threads(int(a.threads.split(",")[-1]))
        run("train-step")
        print(json.dumps({"impl": "torch", "memory": True, "batch_images_train": 2 * a.batch, "size": a.size,
                          "peak_rss_kb_train_step": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
        return
    for workload in a.workloads.split(","):
        for t in [int(v) for v in a.threads.split(",")]:
            torch.set_num_threads(t)
            for _ in range(a.warmup):
                run(workload)
            samples, foreign = [], []
            for _ in range(a.iterations):
                b0, c0, w0 = busy_ticks(), own_cpu(), time.perf_counter()
                run(workload)
                w1 = time.perf_counter()
                samples.append((w1 - w0) * 1e3)
                foreign.append(max(0.0, (busy_ticks() - b0) / tick - (own_cpu() - c0)) / (w1 - w0))
            quiet = sorted(s for s, f in zip(samples, foreign) if f < 0.15)
            med = sorted(samples)[len(samples) // 2]
            print(json.dumps({"impl": "torch", "workload": workload, "threads": t, "batch": a.batch, "size": a.size,
                              "torch_version": torch.__version__, "median_ms": med,
                              "quiet_median_ms": quiet[len(quiet) // 2] if quiet else None,
                              "samples_ms": samples, "foreign_cores": foreign}), flush=True)


if __name__ == "__main__":
    main()
