#!/usr/bin/env bash
# Hourglass side by side: alternates the Swift timer (hourglass-timing, release) and
# Benchmarks/torch/hourglass_bench.py (Debian's /usr/bin/python3, PyTorch 1.13) for several rounds and
# prints medians and Swift/PyTorch ratios per (workload, threads). Run from Benchmarks/hourglass.
#   ./compare.sh [--rounds 3] [--iterations 5] [--warmup 1] [--threads 1,2] [--workloads forward-eval,train-step] [--no-build]
# Raw JSON lines go to .build/compare/<timestamp>/; `python3 table.py DIR` prints the table again.
# Every sample records the cores other processes used meanwhile; the "quiet" columns keep samples
# below 0.15 foreign cores (this is a shared 2-core machine).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
rounds=3; iterations=5; warmup=1; threads=1,2; workloads=forward-eval,train-step; build=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --iterations) iterations="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --workloads) workloads="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
out="$here/.build/compare/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
if [[ $build == 1 ]]; then swift build -c release >&2; fi
bin="$(swift build -c release --show-bin-path)/hourglass-timing"
for r in $(seq 1 "$rounds"); do
    echo "round $r/$rounds: swift" >&2
    "$bin" --threads "$threads" --iterations "$iterations" --warmup "$warmup" --workloads "$workloads" >> "$out/swift.jsonl"
    echo "round $r/$rounds: torch" >&2
    /usr/bin/python3 ../torch/hourglass_bench.py --threads "$threads" --iterations "$iterations" --warmup "$warmup" \
        --workloads "$workloads" >> "$out/torch.jsonl"
done
python3 "$here/table.py" "$out"
