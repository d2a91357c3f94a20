#!/usr/bin/env bash
# Crash consistency (`make test-kill`, run by .ci/run): `dvebench run` is killed with SIGKILL again
# and again, at points spread over training, evaluation and the results saves, and rerun each
# time with the same command. Meanwhile a second process keeps reading every results file,
# training checkpoint and descriptor cache in the output folder, each in a child process
# (`dvebench probe-file`), and records any it cannot read. At the end the killed run's numbers
# must be bit for bit those of an uninterrupted run, and the reader must never have failed.
set -euo pipefail
cd "$(dirname "$0")/.."
dvebench=$PWD/.build/release/dvebench
[[ -x $dvebench ]] || { echo "test-kill: build first (make build)" >&2; exit 1; }

work=$(mktemp -d /tmp/dvebench-kill.XXXXXX)
reader=
cleanup() { [[ -n $reader ]] && kill "$reader" 2>/dev/null; true; }
trap cleanup EXIT
# A matching row and a regression row: training, checkpoints, matching, descriptor extraction and
# its cache, regressor epochs, and a results save after each row.
rows=(--id 'S01/celeba-smallnet-16d/matching' --id 'S02/mafl-keypoints-celeba-smallnet-16d/regression'
      --scale quick --training-steps 120 --threads 2)

start=$SECONDS
"$dvebench" run "${rows[@]}" --out "$work/whole" > "$work/whole.log"
whole=$((SECONDS - start))
echo "uninterrupted run: ${whole} s"

# The reader: every file in its final place must read whole, at any moment.
(
    while :; do
        for file in "$work"/killed/results.h5 "$work"/killed/models/*.h5 "$work"/killed/descriptor-cache/*.h5; do
            [[ -f $file ]] || continue
            case $file in
                */results.h5) kind=dvebench-results ;;
                */models/*) kind=training-checkpoint ;;
                *) kind=hdf5 ;;
            esac
            # A file replaced between the test and the read is fine; an unreadable one is not.
            if ! out=$("$dvebench" probe-file --kind "$kind" "$file" 2>&1); then
                [[ -f $file ]] && echo "$(date +%T.%N) $file: $out" >> "$work/reader-failures.log"
            fi
            echo x >> "$work/reads.log"
        done
        sleep 0.05
    done
) &
reader=$!

# Kill at chosen moments, found by watching the run's own status.json: each target is a pattern
# over the rows' states and progress, and the kill follows after up to a second more. Each rerun
# resumes from what the killed ones made durable (finished rows, training checkpoints, cached
# descriptors), so the targets walk through the whole run: training before and after its first
# checkpoint, matching, the first row's save, descriptor extraction, the regressor's epochs.
targets=(
    '"detail" : "training [0-9]'      '"detail" : "training [2-3][0-9]\\/'  '"detail" : "training [5-6][0-9]\\/'
    '"detail" : "training [7-9][0-9]\\/' '"detail" : "training 1[01][0-9]\\/'
    '"detail" : "matching'            '"detail" : "matching [1-9]'        '"state" : "done"'
    '"state" : "done".*"state" : "running"'
    '"detail" : "descriptors'         '"detail" : "descriptors'           '"detail" : "regressor'
    '"detail" : "regressor epoch [5-9]'
)
status_of() { { tr -d '\n' < "$work/killed/status.json"; } 2>/dev/null || true; }
kills=0
for target in "${targets[@]}" final; do
    "$dvebench" run "${rows[@]}" --out "$work/killed" >> "$work/killed.log" 2>&1 &
    pid=$!
    if [[ $target == final ]]; then
        wait "$pid" || { echo "test-kill: the final run failed; log in $work" >&2; exit 1; }
        echo "the run finished after $kills kills"
        break
    fi
    # Wait for the target (at most 5 minutes), give it up to a second more, then kill.
    for _ in $(seq 3000); do
        kill -0 "$pid" 2>/dev/null || break
        status_of | grep -q "$target" && break
        sleep 0.1
    done
    sleep "0.$(( RANDOM % 10 ))"
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"
        wait "$pid" 2>/dev/null || true
        kills=$((kills + 1))
        echo "kill $kills at /$target/: $(status_of | grep -o '"detail" : "[^"]*"' | tail -n 1 | sed 's/"detail" : //')"
    else
        wait "$pid" || true
        echo "the run ended before /$target/ was killed"
    fi
done
kill "$reader" 2>/dev/null || true
wait "$reader" 2>/dev/null || true
reader=

failures=0
reads=$(wc -l < "$work/reads.log" 2>/dev/null || echo 0)
echo "concurrent reads: $reads"
if (( kills < 10 )); then echo "FAIL  only $kills kills (need at least 10)"; failures=$((failures + 1)); fi
if [[ -s $work/reader-failures.log ]]; then
    echo "FAIL  a reader met an unreadable file:"; head -n 5 "$work/reader-failures.log"; failures=$((failures + 1))
else
    echo "PASS  every read of a results file, checkpoint and cache succeeded"
fi
if "$dvebench" compare --exact "$work/whole/results.h5" "$work/killed/results.h5" > "$work/compare.log"; then
    echo "PASS  after $kills kills the numbers equal the uninterrupted run's bit for bit"
else
    echo "FAIL  the killed run's numbers differ:"; tail -n 5 "$work/compare.log"; failures=$((failures + 1))
fi
if (( failures > 0 )); then echo "test-kill: failed; work folder $work"; exit 1; fi
rm -rf "$work"
echo "test-kill: all checks passed"
