#!/usr/bin/env bash
# Runs the Swift SmallNet timings (smallnet-timing, release build) and the PyTorch script
# (torch/smallnet_bench.py under Debian's /usr/bin/python3) in the same session, alternating them
# for several rounds, and prints a table of medians with the Swift/PyTorch ratio.
#
# Usage: Benchmarks/compare.sh [--rounds N] [--iterations N] [--warmup N] [--threads 1,2]
#                              [--torch-no-mkldnn] [--no-input-gradient] [--no-build] [--wait-quiet SECONDS] [--out DIR]
# --no-input-gradient times the train step without conv1's input gradient on both sides.
# --no-build reuses the existing release binary (e.g. while the root package is mid-edit).
# --wait-quiet waits (up to SECONDS, default 0) before each run until other processes use < 0.15 cores.
# Samples disturbed by other processes anyway are recognised per sample (see compare_table.py).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

rounds=3
iterations=15
warmup=3
threads=1,2
no_mkldnn=0
build=1
wait_quiet=0
swift_extra=()
torch_extra=()
out="$here/.build/compare/$(date +%Y%m%d-%H%M%S)"
python=/usr/bin/python3   # Debian's python with PyTorch 1.13; the python3 on PATH may lack torch

while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --iterations) iterations="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --torch-no-mkldnn) no_mkldnn=1; shift ;;
        --no-build) build=0; shift ;;
        --no-input-gradient) swift_extra+=(--input-gradient no); torch_extra+=(--no-input-grad); shift ;;
        --wait-quiet) wait_quiet="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

mkdir -p "$out"
bin="$(swift build -c release --show-bin-path)/smallnet-timing"
if [[ $build == 1 ]]; then
    echo "building smallnet-timing (release)..." >&2
    swift build -c release --product smallnet-timing >&2
fi
[[ -x $bin ]] || { echo "compare.sh: $bin is missing; build it first" >&2; exit 1; }
echo "swift binary: $bin (built $(date -r "$bin" '+%F %T'))" >&2

# Busy CPU ticks (user nice system irq softirq steal) of the whole machine.
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }

# Waits until the machine (nothing of ours is running) stays below 0.15 busy cores for 3 s.
wait_for_quiet() {
    local deadline=$((SECONDS + wait_quiet)) hz a b
    hz=$(getconf CLK_TCK)
    while ((SECONDS < deadline)); do
        a=$(busy_ticks); sleep 3; b=$(busy_ticks)
        if (((b - a) * 100 < 15 * 3 * hz)); then return 0; fi
        echo "  waiting for a quiet machine ($(awk -v d=$((b - a)) -v hz="$hz" 'BEGIN{printf "%.2f", d/hz/3}') busy cores)" >&2
    done
}

common=(--threads "$threads" --iterations "$iterations" --warmup "$warmup")
for ((r = 1; r <= rounds; r++)); do
    echo "round $r/$rounds (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    cut -d' ' -f1-3 /proc/loadavg > "$out/loadavg-$r.txt"
    wait_for_quiet
    "$bin" "${common[@]}" ${swift_extra[@]+"${swift_extra[@]}"} > "$out/swift-$r.json"
    wait_for_quiet
    "$python" torch/smallnet_bench.py "${common[@]}" ${torch_extra[@]+"${torch_extra[@]}"} > "$out/torch-$r.json"
    if [[ $no_mkldnn == 1 ]]; then
        wait_for_quiet
        "$python" torch/smallnet_bench.py "${common[@]}" ${torch_extra[@]+"${torch_extra[@]}"} --no-mkldnn > "$out/torch-nomkldnn-$r.json"
    fi
done

"$python" compare_table.py "$out"
echo "raw JSON: $out" >&2
