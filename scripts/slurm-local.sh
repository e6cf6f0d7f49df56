#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the Slurm test (test/slurm-array.test.ts) and for trying
# `gembench slurm` without a cluster. Needs root and Debian's slurm-wlm and munge packages
# (apt-get install slurm-wlm munge).
#
#   eval "$(scripts/slurm-local.sh start)"   # starts munged (unless one runs), slurmctld, slurmd; prints the exports
#   scripts/slurm-local.sh stop              # stops exactly the processes start started (by their pids)
#
# Everything lives in $GEMBENCH_SLURM_STATE (default /tmp/gembench-slurm): slurm.conf, logs, spool, pid files.
# Clients find the cluster through SLURM_CONF, which start prints; /etc/slurm is not touched.
# The node offers this machine's real CPU count; each array task asks for one CPU, so on 2 cores two tasks run at a
# time and a third waits for a free CPU (no oversubscription: shard timings stay honest).
set -euo pipefail

STATE="${GEMBENCH_SLURM_STATE:-/tmp/gembench-slurm}"
CONF="$STATE/slurm.conf"

die() {
  echo "slurm-local: $*" >&2
  exit 1
}

# Stop the processes whose pids start recorded (pid files it owns), and only those.
stop() {
  for name in slurmd slurmctld munged; do
    local f="$STATE/$name.started"
    [ -f "$f" ] || continue
    local pid
    pid="$(cat "$f")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
      echo "slurm-local: stopped $name (pid $pid)" >&2
    fi
    rm -f "$f"
  done
}

# The pid a daemon wrote to its pid file, once it is there (daemons fork before writing it).
wait_pidfile() {
  local file="$1" what="$2"
  for _ in $(seq 100); do
    if [ -s "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null; then
      cat "$file"
      return 0
    fi
    sleep 0.1
  done
  die "$what did not start (no live pid in $file); see its log in $STATE"
}

start() {
  [ "$(id -u)" = 0 ] || die "needs root (munged and slurmd run as root here)"
  for b in munged slurmctld slurmd sbatch squeue sinfo; do
    command -v "$b" >/dev/null 2>&1 || die "$b not found: apt-get install slurm-wlm munge"
  done
  if [ -f "$STATE/slurmctld.started" ] && kill -0 "$(cat "$STATE/slurmctld.started")" 2>/dev/null; then
    die "already started (state in $STATE); run '$0 stop' first"
  fi
  mkdir -p "$STATE/ctld" "$STATE/spool"
  local host cpus
  host="$(hostname -s)"
  cpus="$(nproc)"

  # munge: one shared key authenticates every Slurm message. Debian's package makes the key; make one if it did not.
  if ! pgrep -x munged >/dev/null 2>&1; then
    if [ ! -s /etc/munge/munge.key ]; then
      mungekey --create --keyfile=/etc/munge/munge.key >&2
      chown munge:munge /etc/munge/munge.key
      chmod 600 /etc/munge/munge.key
    fi
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    runuser -u munge -- munged
    wait_pidfile /run/munge/munged.pid munged >"$STATE/munged.started"
  fi

  cat >"$CONF" <<EOF
# Written by gembench's scripts/slurm-local.sh: a one-node cluster for tests.
ClusterName=gembench-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# No cgroups needed: processes are tracked through /proc, tasks are not bound to CPUs.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
# Consumable resources: each task takes its CPUs, so tasks run side by side only while CPUs are free.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
# No accounting database: sacct has nothing to show; squeue and the run folder tell a job's state.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# scancel / time limit: SIGTERM first, then SIGKILL after KillWait seconds (gembench stops cleanly on SIGTERM).
KillWait=10
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

  export SLURM_CONF="$CONF"
  rm -f "$STATE/slurmctld.pid" "$STATE/slurmd.pid"
  slurmctld -f "$CONF" -i
  wait_pidfile "$STATE/slurmctld.pid" slurmctld >"$STATE/slurmctld.started"
  slurmd -f "$CONF"
  wait_pidfile "$STATE/slurmd.pid" slurmd >"$STATE/slurmd.started"

  # Wait for the node to come up idle.
  for _ in $(seq 150); do
    if sinfo -h -N -o "%t" 2>/dev/null | grep -qx "idle"; then
      echo "slurm-local: cluster up on $host ($cpus CPUs); SLURM_CONF=$CONF" >&2
      echo "export SLURM_CONF=$CONF"
      echo "export GEMBENCH_SLURM=1"
      return 0
    fi
    sleep 0.2
  done
  sinfo >&2 || true
  tail -n 20 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
  die "the node did not come up idle within 30 s"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
