#!/usr/bin/python3
"""Summarises a compare.sh output directory.

For each implementation, workload and thread count it pools the *quiet* samples of all rounds
(samples during which other processes used fewer cores than the runs' --quiet-threshold, measured
from /proc/stat) and prints their median, with the Swift/PyTorch ratio (below 1: Swift faster).
The median over rounds of each round's all-samples median is shown too, for comparison; on a busy
machine the two differ and the quiet one is the number to quote.
"""

import glob
import json
import os
import statistics
import sys

MIN_QUIET = 5


def load(directory, prefix):
    """{(workload, threads): {"quiet": [samples], "round_medians": [...]}} and the last report."""
    table, meta = {}, {}
    paths = sorted(glob.glob(os.path.join(directory, f"{prefix}-[0-9]*.json")),
                   key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0]))
    for path in paths:
        try:
            with open(path) as f:
                report = json.load(f)
        except (OSError, ValueError):
            print(f"skipping unreadable {path}", file=sys.stderr)
            continue
        meta = report
        for row in report["results"]:
            entry = table.setdefault((row["workload"], row["threads"]), {"quiet": [], "round_medians": [], "all": 0})
            entry["quiet"] += row.get("quiet_samples_ms", row["samples_ms"])
            entry["round_medians"].append(row["median_ms"])
            entry["all"] += len(row["samples_ms"])
    return table, meta


def quiet_median(entry):
    if entry is None or len(entry["quiet"]) < MIN_QUIET:
        return None
    return statistics.median(entry["quiet"])


def all_median(entry):
    return statistics.median(entry["round_medians"]) if entry else None


def cell(value, entry=None):
    if value is None:
        return "—" if entry is None else f"— ({len(entry['quiet'])}/{entry['all']} quiet)"
    return f"{value:.1f}" + (f" [{len(entry['quiet'])}/{entry['all']}]" if entry else "")


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b is not None else "—"


def main():
    directory = sys.argv[1]
    swift, swift_meta = load(directory, "swift")
    torch, torch_meta = load(directory, "torch")
    nomkl, _ = load(directory, "torch-nomkldnn")

    headers = ["workload", "threads", "Swift ms [quiet/all]", "PyTorch ms [quiet/all]", "Swift/PyTorch",
               "all-sample Swift ms", "all-sample PyTorch ms", "all-sample ratio"]
    if nomkl:
        headers += ["PyTorch no-oneDNN ms", "Swift/no-oneDNN"]
    rows = []
    for key in sorted(set(swift) | set(torch)):
        s, t = swift.get(key), torch.get(key)
        sq, tq, sa, ta = quiet_median(s), quiet_median(t), all_median(s), all_median(t)
        row = [key[0], str(key[1]), cell(sq, s), cell(tq, t), ratio(sq, tq), cell(sa), cell(ta), ratio(sa, ta)]
        if nomkl:
            n = nomkl.get(key)
            nq = quiet_median(n)
            row += [cell(nq, n), ratio(sq, nq)]
        rows.append(row)

    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    rounds = max((len(v["round_medians"]) for v in swift.values()), default=0)
    print(f"SmallNet-{swift_meta.get('output_channels', '?')}, batch {swift_meta.get('batch', '?')}, "
          f"{swift_meta.get('size', '?')}x{swift_meta.get('size', '?')}; {rounds} round(s) of "
          f"{swift_meta.get('iterations', '?')} timed iterations after {swift_meta.get('warmup', '?')} warm-up. "
          f"Quiet = other processes used < {swift_meta.get('quiet_threshold', '?')} cores during the sample; "
          f"quiet medians need >= {MIN_QUIET} quiet samples.")
    print(f"Swift: OpenBLAS core {swift_meta.get('blas_core', '?')}, {swift_meta.get('parameters', '?')} parameters; "
          f"PyTorch {torch_meta.get('torch_version', '?')}, oneDNN {'on' if torch_meta.get('mkldnn_enabled') else 'off'}, "
          f"{torch_meta.get('parameters', '?')} parameters")
    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


if __name__ == "__main__":
    main()
