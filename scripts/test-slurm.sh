#!/usr/bin/env bash
# The cluster path on a real Slurm (`make test-slurm`, run by .ci/run): starts a single-node
# cluster on localhost (scripts/slurm-local.sh), then
#   1. submits the quick tier as a 2-task array plus its merge job, waits for both, and checks
#      that the merged results equal a local `dvebench run` of the same rows bit for bit;
#   2. requeues a task in the middle of its training (scontrol requeue: SIGTERM, then the task
#      runs again) and checks that it resumed from its checkpoint and that the result is exactly
#      that of an uninterrupted run.
# Every daemon it started is stopped by PID on exit. Needs root and the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
repository=$PWD
dvebench=$repository/.build/release/dvebench
[[ -x $dvebench ]] || { echo "test-slurm: build first (make build)" >&2; exit 1; }

# slurmd must run as root; the jobs then run as whoever submits them.
as_root=; [[ $(id -u) -eq 0 ]] || as_root=sudo
work=$(mktemp -d /tmp/dvebench-slurm.XXXXXX)
cluster=$work/cluster
passed=
# Stop the daemons first (their PID files live in $work), then remove $work if everything passed.
cleanup() {
    $as_root scripts/slurm-local.sh stop "$cluster"
    if [[ -n $passed ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT
$as_root scripts/slurm-local.sh start "$cluster"
export SLURM_CONF=$cluster/slurm.conf

failures=0
check() { # description, command...
    local what=$1; shift
    if "$@"; then echo "PASS  $what"; else echo "FAIL  $what"; failures=$((failures + 1)); fi
}

job_field() { scontrol show job "$1" -o 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
submitted_job() { sed -n "s/.*\"$2\" : \"\([0-9]*\)\".*/\1/p" "$1/submission.json"; }

# Waits for a job to leave the queue; prints its final state and exit code ("COMPLETED 0:0").
wait_job() { # id, timeout seconds
    local id=$1 deadline=$((SECONDS + $2)) state
    while (( SECONDS < deadline )); do
        state=$(job_field "$id" JobState)
        case $state in
            COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED) echo "$state $(job_field "$id" ExitCode)"; return 0 ;;
        esac
        sleep 2
    done
    echo "TIMEOUT-WAITING $(job_field "$id" JobState)"
}

logs_on_failure() {
    echo "--- logs of $1"; tail -n 30 "$1"/slurm/*.log 2>/dev/null || true
}

# 1. The quick tier as a 2-task array, against a local run of the same rows.
quick=(--table S01 --table S02 --id '*smallnet-16d*' --id '*smallnet-64d*' --scale quick)
start=$SECONDS
"$dvebench" submit "${quick[@]}" --tasks 2 --cpus-per-task 1 --out "$work/array"
merge=$(submitted_job "$work/array" mergeJob)
outcome=$(wait_job "$merge" 1800)
array_seconds=$((SECONDS - start))
echo "quick tier on Slurm, submit to report: ${array_seconds} s (merge job: $outcome)"
check "merge job completed with the diff's exit status 0" test "$outcome" = "COMPLETED 0:0" || logs_on_failure "$work/array"
check "dvebench status: every row done" "$dvebench" status "$work/array"
check "report written" test -s "$work/array/report.html"
start=$SECONDS
"$dvebench" run "${quick[@]}" --threads 1 --out "$work/local" > "$work/local.log"
echo "the same rows locally, one thread: $((SECONDS - start)) s"
check "merged array results equal the local run bit for bit" \
    "$dvebench" compare --exact "$work/local/results.h5" "$work/array/results.h5"

# 2. A task requeued mid-training resumes and ends with the uninterrupted numbers.
row=(--id 'S01/celeba-smallnet-16d/matching' --scale quick --training-steps 150)
"$dvebench" submit "${row[@]}" --tasks 1 --cpus-per-task 1 --out "$work/requeue"
array=$(submitted_job "$work/requeue" arrayJob)
merge=$(submitted_job "$work/requeue" mergeJob)
deadline=$((SECONDS + 900))
iteration=0
until (( iteration >= 40 )) || (( SECONDS > deadline )); do
    sleep 2
    # status exits 3 while rows remain.
    iteration=$("$dvebench" status "$work/requeue" | sed -n 's/.*training \([0-9]*\)\/150 it.*/\1/p' | head -n 1 || true)
    iteration=${iteration:-0}
done
echo "requeueing task ${array}_1 at iteration $iteration of 150"
scontrol requeue "${array}_1"
# Slurm holds a requeued job for a while (BeginTime); release it, as an impatient user would.
for _ in $(seq 20); do
    sleep 1
    scontrol update JobId="${array}_1" StartTime=now 2>/dev/null && break
done
outcome=$(wait_job "$merge" 1800)
echo "requeued run: merge job $outcome"
check "requeued array's merge job completed" test "$outcome" = "COMPLETED 0:0" || logs_on_failure "$work/requeue"
check "the task wrote a checkpoint on SIGTERM" grep -q "checkpointing and stopping" "$work/requeue/slurm/task-1.log"
check "the task ran again after the requeue" grep -q "restart 1" "$work/requeue/slurm/task-1.log"
check "the second run resumed from the checkpoint" grep -q "resumed training from its checkpoint" "$work/requeue/slurm/task-1.log"
grep "resumed training" "$work/requeue/slurm/task-1.log" || true
"$dvebench" run "${row[@]}" --threads 1 --out "$work/uninterrupted" > "$work/uninterrupted.log"
check "the resumed result equals an uninterrupted run bit for bit" \
    "$dvebench" compare --exact "$work/uninterrupted/results.h5" "$work/requeue/results.h5"

if (( failures > 0 )); then
    echo "test-slurm: $failures check(s) failed; work folder $work"
    exit 1
fi
echo "test-slurm: all checks passed"
passed=1
