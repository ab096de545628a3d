#!/usr/bin/env bash
# A throw-away single-node SLURM cluster on localhost for tests/test_slurm.py (`make test-slurm`):
#   tests/slurm/cluster.sh start DIR   munge, slurmctld and slurmd with all state under DIR;
#                                      prints SLURM_CONF=... (export it) and TEST_CLUSTER_BIN=...
#                                      (put it first on PATH: the jobs' srun) on success
#   tests/slurm/cluster.sh stop DIR    stops what `start DIR` started (idempotent)
# Root only (the daemons run as root, so jobs can write the test's files). Installs the Debian
# packages when missing and apt-get is there. Exit code 3: cannot start here (the test skips
# with the message), anything else non-zero: a failure worth reading (logs under DIR/log).
# No accounting daemon: the test polls job states with squeue (--slurm-status-command squeue),
# so slurmctld keeps finished jobs for MinJobAge seconds instead of a database.
set -euo pipefail

cmd=${1:-}
dir=${2:-${RELAPSE_SLURM_DIR:-}}
[[ $cmd == start || $cmd == stop ]] && [[ -n $dir ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/slurm.conf

cannot() { echo "cannot start a SLURM cluster here: $*" >&2; exit 3; }

stop_pid() {  # stop the daemon whose pid file is $1 (a no-op when it is not running)
    local pidfile=$1 pid
    [[ -f $pidfile ]] || return 0
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

if [[ $cmd == stop ]]; then
    # jobs first (their steps hold slurmd), then the daemons in reverse order of start
    if [[ -f $conf && -f $dir/run/slurmctld.pid ]]; then
        SLURM_CONF=$conf timeout 10 scancel --full --quiet --user=root 2>/dev/null || true
    fi
    stop_pid "$dir/run/slurmd.pid"
    stop_pid "$dir/run/slurmctld.pid"
    stop_pid "$dir/run/munged.pid"
    exit 0
fi

# a start that fails half-way leaves nothing running
trap 'rc=$?; [[ $rc == 0 ]] || bash "$0" stop "$dir" || true; exit $rc' EXIT

[[ $(id -u) == 0 ]] || cannot "not root (the daemons need root)"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    command -v apt-get >/dev/null || cannot "slurmctld/slurmd/munged/sbatch missing and no apt-get"
    echo "installing slurmctld slurmd slurm-client munge (apt)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        slurmctld slurmd slurm-client munge >/dev/null; } || cannot "apt-get install failed"
fi
PATH=$PATH:/usr/sbin  # the daemons live in /usr/sbin, not always on a test's PATH

mkdir -p "$dir/run" "$dir/log" "$dir/state" "$dir/spool" "$dir/munge"
chmod 711 "$dir/munge"  # root-only key; the socket reachable (munged checks)

# munge with its own key and socket: nothing of the machine's munge (if any) is used or touched
[[ -f $dir/munge/munge.key ]] || dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$dir/munge/munge.key"
socket=$dir/munge/munge.socket
if ! { [[ -f $dir/run/munged.pid ]] && kill -0 "$(cat "$dir/run/munged.pid")" 2>/dev/null; }; then
    munged --force --socket="$socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
        --seed-file="$dir/munge/munged.seed" \
        || cannot "munged did not start (see $dir/log/munged.log)"
fi

# ports: the usual ones, or the next free ones (another cluster on this machine); kept in
# DIR/ports so that a second start of the same DIR reuses its running daemons' ports
alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {  # the first free port from $1 on, not $2
    local port
    for port in $(seq "$1" $(($1 + 100))); do
        [[ $port != "${2:-}" ]] && port_free "$port" && { echo "$port"; return 0; }
    done
    return 1
}
if alive "$dir/run/slurmctld.pid" && [[ -f $dir/ports ]]; then
    read -r ctld_port slurmd_port < "$dir/ports"
else
    ctld_port=$(free_port "${RELAPSE_SLURMCTLD_PORT:-6817}") || cannot "no free port for slurmctld"
    slurmd_port=$(free_port "${RELAPSE_SLURMD_PORT:-6818}" "$ctld_port") \
        || cannot "no free port for slurmd"
    echo "$ctld_port $slurmd_port" > "$dir/ports"
fi

# the node as slurmd sees it, with memory left over for the daemons and the test itself
# (slurmd -C: what slurmd detects; nproc would follow OMP_NUM_THREADS=1 of the test's env)
node=$(slurmd -C | head -n 1)
cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<< "$node")
mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<< "$node")
[[ -n $cpus && -n $mem ]] || cannot "slurmd -C did not describe the node: $node"
mem=$(( mem > 4096 ? mem - 2048 : mem / 2 ))

cat > "$conf" <<CONF
# written by tests/slurm/cluster.sh: a single-node test cluster, state under $dir
ClusterName=relapsetest
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# containers: no cgroups (no proctrack/cgroup, task/cgroup or cgroup accounting)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
# one CPU and the asked memory per job, so jobs share the node side by side
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# finished jobs stay visible to squeue for 10 minutes: the executor plugin's status poll
MinJobAge=600
ReturnToService=2
SlurmdTimeout=300
InactiveLimit=0
KillWait=30
NodeName=localhost NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
# a job larger than the node is refused at submission, rather than pending for ever
EnforcePartLimits=ALL
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP MaxCPUsPerNode=$cpus MaxMemPerNode=$mem
CONF

export SLURM_CONF=$conf
# The job side of the executor plugin (snakemake-executor-plugin-slurm-jobstep 0.6.1) drops
# every SLURM_* variable but the job's identity before its nested srun, SLURM_CONF too, so
# that srun would look for /etc/slurm/slurm.conf. An srun first on PATH brings it back.
mkdir -p "$dir/bin"
printf '#!/bin/sh\nSLURM_CONF=%q exec %q "$@"\n' "$conf" "$(command -v srun)" > "$dir/bin/srun"
chmod 755 "$dir/bin/srun"
alive "$dir/run/slurmctld.pid" || slurmctld -f "$conf" \
    || cannot "slurmctld did not start (see $dir/log/slurmctld.log)"
alive "$dir/run/slurmd.pid" || slurmd -f "$conf" -N localhost \
    || cannot "slurmd did not start (see $dir/log/slurmd.log)"

# ready when the node takes jobs (idle or mixed), within a minute
for _ in $(seq 120); do
    state=$(sinfo --noheader --nodes=localhost --format=%T 2>/dev/null || true)
    if [[ $state == idle* || $state == mixed* ]]; then
        echo "SLURM_CONF=$conf"
        echo "TEST_CLUSTER_BIN=$dir/bin"
        exit 0
    fi
    sleep 0.5
done
cannot "the node did not become idle within 60 s (state '${state:-none}'; see $dir/log)"
