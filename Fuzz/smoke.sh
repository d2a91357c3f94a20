#!/bin/sh
# CI's fuzzing smoke: builds the targets with AddressSanitizer and runs each for a few seconds from
# its seeds (SMOKE_SECONDS, default 4: about 20 s for the five targets), so a parser that starts to
# crash, leak or hang on its own seeds' neighbourhood fails CI. The long runs and their counts are in
# README.md.
set -eu
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${SMOKE_SECONDS:-4}"
swift build -c release --scratch-path .build -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing \
    -Xswiftc -use-ld=lld >&2
for target in pth image manifest datasets hdf5; do
    echo "fuzz smoke: $target, ${SECONDS_PER_TARGET} s" >&2
    NO_BUILD=1 ./run.sh "$target" 0 -max_total_time="$SECONDS_PER_TARGET" 2>".smoke-$target.log" || {
        tail -40 ".smoke-$target.log" >&2; echo "fuzz smoke: $target FAILED (input in Fuzz/findings/)" >&2; exit 1; }
    grep -E "^(stat::number_of_executed_units|hdf5 target)" ".smoke-$target.log" >&2 || true
done
echo "fuzz smoke: all targets passed" >&2
