#!/usr/bin/env python3
"""Table of Hourglass timings from compare.sh's JSON lines: per (workload, threads) and implementation,
the median of all samples pooled over rounds, the median of the quiet samples (other processes used
< 0.15 cores meanwhile), and Swift/PyTorch ratios of both."""
import json
import os
import statistics
import sys

d = sys.argv[1]
rows = {}
for name in ("swift.jsonl", "torch.jsonl"):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        continue
    for line in open(path):
        r = json.loads(line)
        if r.get("memory"):
            continue
        key = (r["workload"], r["threads"], r["impl"])
        s = rows.setdefault(key, ([], []))
        s[0].extend(r["samples_ms"])
        s[1].extend(x for x, f in zip(r["samples_ms"], r["foreign_cores"]) if 0 <= f < 0.15)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


print("| workload | threads | Swift median ms (quiet, n) | PyTorch median ms (quiet, n) | Swift/PyTorch all | quiet |")
print("|---|---:|---:|---:|---:|---:|")
for (w, t) in sorted({(k[0], k[1]) for k in rows}):
    sw, to = rows.get((w, t, "swift"), ([], [])), rows.get((w, t, "torch"), ([], []))
    print("| %s | %d | %.0f (%.0f, %d) | %.0f (%.0f, %d) | %.2f | %.2f |" % (
        w, t, med(sw[0]), med(sw[1]), len(sw[1]), med(to[0]), med(to[1]), len(to[1]),
        med(sw[0]) / med(to[0]), med(sw[1]) / med(to[1])))
