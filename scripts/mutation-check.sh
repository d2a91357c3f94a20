#!/usr/bin/env bash
# Shows that the CI gate catches real regressions. Copies this tree, builds single-line defects into
# the copy one at a time (in a loss, the network, the optimiser, the regressor), and runs
# `dvebench reproduce --quick` on each: every mutant must exit 2 (a regression) and the unmutated
# copy 0. Exits 0 only when all of that holds. Takes about half an hour on two cores.
#
#   scripts/mutation-check.sh [MUTANT-NAME ...]      (default: every mutant)
#
# The copy and its build live in $MUTATION_WORK (default: $TMPDIR/dvebench-mutants), reused between runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${MUTATION_WORK:-${TMPDIR:-/tmp}/dvebench-mutants}
src="$work/src"
mkdir -p "$work"
rsync -a --delete --exclude /.build --exclude '/.build-*' --exclude /out --exclude /.git "$root/" "$src/"

# name | file | exact text (must occur once) | replacement
mutants=(
  "loss-no-exchange|Sources/Landmarks/Losses/CorrelationLoss.swift|block = g.imageSize, exchange = options.exchangeDescriptors|block = g.imageSize, exchange = false"
  "network-leaky-slope|Sources/Landmarks/SmallNet.swift|LeakyReLU(negativeSlope: 0.2),|LeakyReLU(negativeSlope: 0.02),"
  "network-bn-momentum|Sources/Tensors/BatchNorm2d.swift|momentum: Float = 0.1)|momentum: Float = 0.01)"
  "optimiser-lr-tenth|Sources/Tensors/Optim/Adam.swift|stepSize = Float(-(lr * bc2.squareRoot() / bc1))|stepSize = Float(-(0.1 * lr * bc2.squareRoot() / bc1))"
  "optimiser-beta2|Sources/Tensors/Optim/AdamConfiguration.swift|beta2: Double = 0.999,|beta2: Double = 0.99,"
  "regressor-temperature|Sources/Landmarks/Protocols/RegressionOptions.swift|softargmaxMultiplier: Float = 100|softargmaxMultiplier: Float = 50"
)

build() { (cd "$src" && swift build -c release --product dvebench --scratch-path "$work/build" >"$work/build.log" 2>&1); }
gate() {
    local name=$1
    set +e
    (cd "$src" && "$work/build/release/dvebench" reproduce --quick --out "$work/out-$name" --force >"$work/$name.log" 2>&1)
    local code=$?
    set -e
    echo "$code"
}
# Replaces the one occurrence of $2 by $3 in file $1, failing when the text is absent or repeated.
mutate() {
    python3 - "$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"mutation-check: '{old}' occurs {text.count(old)} times in {path}, expected once")
open(path, "w").write(text.replace(old, new))
PY
}

selected=("$@")
results=()
failed=0
build
code=$(gate baseline)
echo "baseline (no mutation): exit $code"
if [ "$code" != 0 ]; then echo "the unmutated tree must pass; see $work/baseline.log"; failed=1; fi
for entry in "${mutants[@]}"; do
    IFS='|' read -r name file old new <<<"$entry"
    if [ ${#selected[@]} -gt 0 ] && [[ ! " ${selected[*]} " == *" $name "* ]]; then continue; fi
    mutate "$src/$file" "$old" "$new"
    start=$(date +%s)
    if build; then code=$(gate "$name"); else code=build-failed; fi
    cp "$root/$file" "$src/$file"
    caught=no
    [ "$code" = 2 ] && caught=yes
    [ "$caught" = yes ] || failed=1
    line=$(grep -m1 -E "FAIL|regression" "$work/$name.log" 2>/dev/null | cut -c1-150 || true)
    results+=("$(printf '%-24s exit %-3s caught %-3s %4ss  %s' "$name" "$code" "$caught" $(( $(date +%s) - start )) "$line")")
    echo "${results[-1]}"
done
build
echo
echo "mutation check: ${#results[@]} mutants"
printf '%s\n' "${results[@]}"
if [ $failed -ne 0 ]; then echo "mutation check FAILED: a mutant escaped the gate or the baseline did not pass"; exit 1; fi
echo "mutation check passed: every mutant made reproduce --quick exit 2"
