#!/usr/bin/env bash
# Blesses expected/trajectories.h5: records the training-trajectory probes under every OpenBLAS
# kernel this CPU can run (and the kernel it picks by itself), then blesses them together, so each
# tolerance is 4 × the spread measured across kernels (see `dvebench trajectories bless --help`).
# Run it after a change that is meant to move training numbers, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/dvebench
[ -x "$bin" ] || swift build -c release --product dvebench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

flags=$(grep -m1 '^flags' /proc/cpuinfo)
kernels=(Sandybridge)
[[ $flags == *" avx2 "* ]] && kernels+=(Haswell)
[[ $flags == *" avx512f "* ]] && kernels+=(SkylakeX)

recordings=()
# The kernel OpenBLAS picks by itself first: its values become the expected ones.
env -u OPENBLAS_CORETYPE "$bin" trajectories record --out "$work/native.h5"
recordings+=("$work/native.h5")
for kernel in "${kernels[@]}"; do
    OPENBLAS_CORETYPE=$kernel "$bin" trajectories record --out "$work/$kernel.h5"
    recordings+=("$work/$kernel.h5")
done
# One thread as well: it must be bit-identical to two (the spread proves it stays zero).
env -u OPENBLAS_CORETYPE "$bin" trajectories record --threads 1 --out "$work/native-1thread.h5"
recordings+=("$work/native-1thread.h5")
"$bin" trajectories bless "${recordings[@]}" --expected expected/trajectories.h5
