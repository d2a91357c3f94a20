#!/bin/sh
# Builds the libFuzzer target with AddressSanitizer and runs it on a corpus seeded with the golden
# checkpoint files.
#   Fuzz/run.sh [runs] [extra libFuzzer flags…]        runs: default 200000
#   SEEDS=small (default): the two zoo files, inputs ≤ 64 KiB — thousands of executions a second
#   SEEDS=all: also the 1.4 MB and 5.4 MB SmallNet checkpoints — ~40 executions a second
# Exits non-zero when libFuzzer finds a crash; the reproducer is left in Fuzz/findings/.
set -eu
cd "$(dirname "$0")"
RUNS="${1:-200000}"; [ $# -gt 0 ] && shift
SEEDS="${SEEDS:-small}"
swift build -c release --scratch-path .build -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
CORPUS=".corpus-$SEEDS"; mkdir -p "$CORPUS" findings
if [ "$SEEDS" = all ]; then
    cp ../Tests/Fixtures/golden/checkpoints/*.pth "$CORPUS"/; MAXLEN=6000000
else
    cp ../Tests/Fixtures/golden/checkpoints/zoo-*.pth "$CORPUS"/; MAXLEN=65536
fi
exec .build/release/TorchFormatFuzz "$CORPUS" -runs="$RUNS" -max_len="$MAXLEN" -timeout=20 -rss_limit_mb=4096 \
    -artifact_prefix=findings/ -print_final_stats=1 "$@"
