#!/bin/sh
# Builds the libFuzzer targets with AddressSanitizer (and LeakSanitizer) and runs one of them on a
# corpus seeded by the target itself (`Fuzzers seeds TARGET DIR`, from the repository's fixtures).
#   Fuzz/run.sh TARGET [runs] [extra libFuzzer flags…]     runs: default 200000
#   TARGET: pth, image, manifest, datasets, hdf5 (see README.md)
#   Fuzz/run.sh TARGET 0 -max_total_time=4                 a time-boxed smoke (what smoke.sh does)
# Exits non-zero when libFuzzer finds a crash, a leak or a hang; the input is left in Fuzz/findings/.
set -eu
cd "$(dirname "$0")"
TARGET="${1:?usage: run.sh TARGET [runs] [libFuzzer flags…]}"; shift
RUNS="${1:-200000}"; [ $# -gt 0 ] && shift
if [ -z "${NO_BUILD:-}" ]; then
    swift build -c release --scratch-path .build -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing \
        -Xswiftc -use-ld=lld >&2
fi
CORPUS=".corpus-$TARGET"; mkdir -p "$CORPUS" findings
# The seeds are rewritten every run (cheap), so a corpus from an older build still starts from them.
.build/release/Fuzzers seeds "$TARGET" "$CORPUS" >&2
# -rss_limit_mb: a decoded image may legitimately reach ImageCodec.maxPixelCount (2^28 pixels, 768 MiB).
LIMITS="-rss_limit_mb=2048 -malloc_limit_mb=1024"; TIMEOUT=20
case "$TARGET" in
    hdf5) MAXLEN=32768          # the seed files are ≤ 23 KB
        # Each input is read by a worker process (HDF5Zygote), which judges crashes and leaks.
        # libhdf5 asks for gigabytes on some malformed files (a superblock or object header
        # declaring a huge size, which it allocates and zero-fills before reading); the allocator
        # returns NULL above 64 MiB instead, and libhdf5 fails with an error. A 3 GiB cap let such
        # inputs take seconds each and held the target at 50 executions a second. DVEBench's own
        # reads of a ≤ 32 KB input stay far below it (a read is bounded by what the file stores),
        # so an allocation it refuses there is a finding. No libFuzzer memory limit: it would turn
        # those requests into "oom" findings. This process reads no file, so it checks for no leak.
        LIMITS="-rss_limit_mb=0 -malloc_limit_mb=0 -detect_leaks=0"; TIMEOUT=60
        export ASAN_OPTIONS="allocator_may_return_null=1:max_allocation_size_mb=64:detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" ;;
    datasets) MAXLEN=16384 ;;
    *) MAXLEN=65536 ;;
esac
if [ "$RUNS" = 0 ]; then RUNS_FLAG=""; else RUNS_FLAG="-runs=$RUNS"; fi
# Swift's own crash backtracer would run inside a crashing child (and the parent's deliberate
# abort) and can hang under AddressSanitizer; the sanitizer's report is the one that counts.
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS="suppressions=$(pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
exec .build/release/Fuzzers "$TARGET" "$CORPUS" $RUNS_FLAG -max_len="$MAXLEN" -timeout="$TIMEOUT" $LIMITS \
    -artifact_prefix="findings/$TARGET-" -print_final_stats=1 "$@"
