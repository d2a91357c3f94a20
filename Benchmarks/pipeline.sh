#!/usr/bin/env bash
# The whole pipeline, Swift against PyTorch, in one session: training iterations (SmallNet-64 DVE,
# 32 pairs; Hourglass-64 DVE, 16 pairs), the matching evaluation over a 1 000-image MAFL test split,
# descriptor extraction and one regressor epoch. Swift runs pipeline-timing (release build), PyTorch
# runs torch/pipeline_bench.py under Debian's /usr/bin/python3; the two alternate for several
# rounds, under each OpenBLAS kernel asked for, and pipeline_table.py prints one table of medians
# with the Swift/PyTorch ratio, the target and both peak RSS.
#
# Usage: Benchmarks/pipeline.sh [--rounds N] [--iterations N] [--passes N] [--warmup N] [--threads 1,2]
#                               [--workloads a,b,...] [--kernels as-set,native,Haswell]
#                               [--data-root DIR] [--no-build] [--out DIR]
# --kernels: as-set runs with the environment as it is (OPENBLAS_CORETYPE as the machine sets it),
#   native with OPENBLAS_CORETYPE unset for that one command, any other name with it set to that name.
#   The default is as-set,native; when the machine sets no kernel the two are the same and only one runs.
# --data-root: the reference's data/ folder with celeba/ in it; by default a 10 000-image SynthFaces
#   tree (1 000 MAFL test images, as the real MAFL) is written once under .build/pipeline-data.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

rounds=1
iterations=3
passes=1
warmup=1
threads=2
workloads=train-smallnet,train-hourglass,matching,regression-extract,regression-epoch
kernels=as-set,native
build=1
data_root=""
out="$here/.build/pipeline/$(date +%Y%m%d-%H%M%S)"
python=/usr/bin/python3   # Debian's python with PyTorch 1.13; the python3 on PATH may lack torch

while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --iterations) iterations="$2"; shift 2 ;;
        --passes) passes="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --workloads) workloads="$2"; shift 2 ;;
        --kernels) kernels="$2"; shift 2 ;;
        --data-root) data_root="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "pipeline.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

mkdir -p "$out"
bin_dir="$(swift build -c release --show-bin-path)"
if [[ $build == 1 ]]; then
    echo "building pipeline-timing and dvebench (release)..." >&2
    swift build -c release --product pipeline-timing >&2
    (cd .. && swift build -c release --product dvebench >&2)
fi
bin="$bin_dir/pipeline-timing"
[[ -x $bin ]] || { echo "pipeline.sh: $bin is missing; build it first" >&2; exit 1; }
"$python" -c 'import torch' 2>/dev/null || { echo "pipeline.sh: $python has no torch (apt-get install python3-torch)" >&2; exit 1; }

if [[ -z $data_root ]]; then
    data_root="$here/.build/pipeline-data"
    if [[ ! -d $data_root/celeba ]]; then
        echo "writing the SynthFaces tree (10 000 images) to $data_root/celeba..." >&2
        ../.build/release/dvebench synth --layout celeba --count 10000 --out "$data_root/celeba" >&2
    fi
fi

# Kernel settings to run, as (label, how to run a command under it).
declare -a labels=()
for k in ${kernels//,/ }; do
    case "$k" in
        as-set) labels+=("as-set") ;;
        native) if [[ -n ${OPENBLAS_CORETYPE:-} ]] || [[ " ${kernels//,/ } " != *" as-set "* ]]; then labels+=("native"); fi ;;
        *) labels+=("$k") ;;
    esac
done
under() {  # under LABEL COMMAND...: runs COMMAND with that kernel setting
    local label="$1"; shift
    case "$label" in
        as-set) "$@" ;;
        native) env -u OPENBLAS_CORETYPE "$@" ;;
        *) OPENBLAS_CORETYPE="$label" "$@" ;;
    esac
}

# --iterations: timed training iterations; --passes: timed passes of matching and regression. The
# regressor epoch runs on cached descriptors on both sides, as the released configs do
# (cache_descriptors: true).
common=(--data-root "$data_root" --threads "$threads" --iterations "$iterations" --passes "$passes" --warmup "$warmup")
echo "OPENBLAS_CORETYPE as set: ${OPENBLAS_CORETYPE:-(unset)}; kernels: ${labels[*]}" > "$out/kernels.txt"
for ((r = 1; r <= rounds; r++)); do
    for label in "${labels[@]}"; do
        echo "round $r/$rounds, kernel $label (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
        under "$label" "$bin" "${common[@]}" --workloads "$workloads" > "$out/swift-$label-$r.json"
        under "$label" "$python" torch/pipeline_bench.py "${common[@]}" --workload "$workloads" --regression-cached > "$out/torch-$label-$r.json"
    done
done

"$python" pipeline_table.py "$out"
echo "raw JSON: $out" >&2
