#!/usr/bin/python3
"""Summarises a pipeline.sh output directory as one Markdown table.

For each kernel setting, workload and thread count it pools the samples of all rounds, per
implementation, preferring the quiet ones (other processes used fewer cores than the runs'
threshold, from /proc/stat); when fewer than two are quiet it uses them all and marks the row
"noisy". Time is per item (image or pair), so the ratio Swift/PyTorch below 1 means Swift is faster.
The target column is the issue's goal as a time ratio (matching ≥ 3× the pairs/s is ≤ 0.33).
Peak RSS is the largest of the rounds, each measured in a fresh process per workload.
"""

import glob
import json
import os
import statistics
import sys

TARGETS = {"train-smallnet": 0.6, "train-hourglass": 0.8, "matching": 1 / 3, "regression-extract": 1 / 1.5}
ORDER = ["train-smallnet", "train-hourglass", "matching", "regression-extract", "regression-epoch"]


def load(directory, implementation):
    """{(kernel, workload, threads): {"quiet": [...], "all": [...], "rss": max, "unit", "items", "stages": [...]}}"""
    table = {}
    for path in sorted(glob.glob(os.path.join(directory, f"{implementation}-*-[0-9]*.json"))):
        kernel = os.path.basename(path)[len(implementation) + 1:].rsplit("-", 1)[0]
        try:
            with open(path) as f:
                report = json.load(f)
        except (OSError, ValueError):
            print(f"skipping unreadable {path}", file=sys.stderr)
            continue
        for row in report["workloads"]:
            items = max(1, row["items"])
            entry = table.setdefault((kernel, row["workload"], row["threads"]),
                                     {"quiet": [], "all": [], "rss": 0.0, "unit": row["unit"], "items": items, "stages": []})
            entry["quiet"] += [ms / items for ms in row.get("quiet_samples_ms", [])]
            entry["all"] += [ms / items for ms in row["samples_ms"]]
            entry["rss"] = max(entry["rss"], row.get("peak_rss_mb", 0.0))
            if row.get("stages_ms"):
                entry["stages"].append(row["stages_ms"])
    return table


def per_item(entry):
    """(median ms per item, noisy?)"""
    if len(entry["quiet"]) >= 2:
        return statistics.median(entry["quiet"]), False
    return statistics.median(entry["all"]), True


def stages_text(entry):
    if not entry["stages"]:
        return ""
    names = ["data", "forward", "loss", "backward", "optimizer"]
    return " / ".join(f"{statistics.median(s.get(n, 0.0) for s in entry['stages']):.0f}" for n in names)


def main(directory):
    swift, torch = load(directory, "swift"), load(directory, "torch")
    keys = sorted(set(swift) & set(torch), key=lambda k: (k[0], ORDER.index(k[1]) if k[1] in ORDER else 99, k[2]))
    if not keys:
        print("no workload was measured by both implementations", file=sys.stderr)
        return 1
    kernels_note = os.path.join(directory, "kernels.txt")
    if os.path.exists(kernels_note):
        print(open(kernels_note).read().strip())
        print()
    print("| kernel | workload | threads | Swift | PyTorch | ratio | target | met | Swift RSS | PyTorch RSS | "
          "Swift stages ms (data/fwd/loss/bwd/opt) | PyTorch stages ms |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|---|")
    for key in keys:
        kernel, workload, threads = key
        s, t = swift[key], torch[key]
        (sm, snoisy), (tm, tnoisy) = per_item(s), per_item(t)
        ratio = sm / tm
        target = TARGETS.get(workload)
        met = "—" if target is None else ("yes" if ratio <= target else "**no**")
        rss_met = "" if s["rss"] <= t["rss"] else " (over)"
        unit = "ms/" + ("pair" if s["unit"] == "pairs" else "image")
        noisy = " (noisy)" if snoisy or tnoisy else ""
        print(f"| {kernel} | {workload} | {threads} | {sm:.2f} {unit} | {tm:.2f} {unit} | {ratio:.2f}{noisy} | "
              f"{'' if target is None else f'≤ {target:.2f}'} | {met} | {s['rss']:.0f} MB{rss_met} | {t['rss']:.0f} MB | "
              f"{stages_text(s)} | {stages_text(t)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
