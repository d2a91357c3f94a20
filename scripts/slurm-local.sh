#!/usr/bin/env bash
# A single-node Slurm cluster on localhost, for trying `dvebench submit` and for its tests.
#
#   scripts/slurm-local.sh start DIR   # writes DIR/slurm.conf, starts munged, slurmctld, slurmd
#   export SLURM_CONF=DIR/slurm.conf   # what sbatch, squeue, scontrol need to find it
#   scripts/slurm-local.sh stop DIR    # stops exactly the daemons this script started, by PID
#
# Everything lives in DIR (configuration, state, spool, logs, munge key and socket), so it never
# touches a system Slurm or munge. Needs root (slurmd runs jobs as their submitting user) and the
# Debian packages slurmctld, slurmd, slurm-client and munge.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 64; }
[[ $# -eq 2 ]] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)

# A port nothing listens on, so two clusters (or a system one) do not collide.
free_port() {
    local port
    while :; do
        port=$(( 20000 + RANDOM % 40000 ))
        (: > "/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}

stop_pid_file() {
    local file=$1 pid
    [[ -f $file ]] || return 0
    pid=$(cat "$file")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

start() {
    for tool in munged slurmctld slurmd sinfo; do
        command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install slurmctld slurmd slurm-client munge" >&2; exit 1; }
    done
    [[ $(id -u) -eq 0 ]] || { echo "a local Slurm needs root (slurmd)" >&2; exit 1; }
    local host cpus memory
    host=$(hostname -s)
    cpus=$(nproc)
    memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
    chmod 700 "$dir/munge"
    # munged refuses keys and folders that others can read or write.
    head -c 1024 /dev/urandom > "$dir/munge/munge.key"
    chmod 400 "$dir/munge/munge.key"
    cat > "$dir/slurm.conf" <<EOF
ClusterName=dvebench-local
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without it a job that names no --mem takes the whole node's memory, and tasks run one by one.
DefMemPerCPU=$(( memory / cpus ))
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
JobRequeue=1
KillWait=10
MinJobAge=600
MaxArraySize=1001
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    munged --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
        --seed-file="$dir/munge/munged.seed" --force
    export SLURM_CONF=$dir/slurm.conf
    slurmctld -f "$dir/slurm.conf"
    slurmd -f "$dir/slurm.conf"
    for _ in $(seq 120); do
        if sinfo -h -o '%t' 2>/dev/null | grep -qx 'idle'; then
            echo "local Slurm up: export SLURM_CONF=$dir/slurm.conf"
            return 0
        fi
        sleep 0.5
    done
    echo "the local Slurm did not come up; logs in $dir" >&2
    tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
    stop
    exit 1
}

stop() {
    stop_pid_file "$dir/slurmd.pid"
    stop_pid_file "$dir/slurmctld.pid"
    stop_pid_file "$dir/munge/munged.pid"
    # Jobs still running when the cluster stops leave their slurmstepd and the job's processes
    # behind. Both carry this cluster's SLURM_CONF in their environment; a job's processes also
    # carry SLURM_JOB_ID, which the shell that submitted them (and this script) does not.
    local environ pid env
    for environ in /proc/[0-9]*/environ; do
        pid=${environ#/proc/}; pid=${pid%/environ}
        env=$( { tr '\0' '\n' < "$environ"; } 2>/dev/null) || continue
        grep -qx "SLURM_CONF=$dir/slurm.conf" <<< "$env" || continue
        if grep -q '^SLURM_JOB_ID=' <<< "$env" || [[ $(cat "/proc/$pid/comm" 2>/dev/null) == slurmstepd ]]; then
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
}

case $action in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
