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

# Kill after growing delays: early runs die during start-up and training, later ones, given more
# time, reach the evaluation, the extraction, the regressor and the saves. Each run resumes from
# what the killed ones made durable (finished rows, training checkpoints, cached descriptors), and
# the delays grow until a run gets to finish.
kills=0
step_tenths=$(( whole * 10 / 25 ))
(( step_tenths < 20 )) && step_tenths=20
for attempt in $(seq 1 60); do
    "$dvebench" run "${rows[@]}" --out "$work/killed" >> "$work/killed.log" 2>&1 &
    pid=$!
    wait_tenths=$(( 20 + attempt * step_tenths ))
    for _ in $(seq "$wait_tenths"); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        phase=$(sed -n 's/.*"detail" : "\([^"]*\)".*/\1/p' "$work/killed/status.json" 2>/dev/null | head -n 1 || true)
        kill -9 "$pid"
        wait "$pid" 2>/dev/null || true
        kills=$((kills + 1))
        echo "kill $kills after $(( wait_tenths / 10 )).$(( wait_tenths % 10 )) s (${phase:-starting})"
    else
        wait "$pid" || { echo "test-kill: the run failed after $kills kills; log in $work" >&2; exit 1; }
        echo "the run finished after $kills kills"
        break
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
