#!/usr/bin/env bash
# Stop the cluster started by tests/slurm/start_cluster.sh DIR: exactly the daemons whose pid
# files are in DIR/pids (in reverse start order), nothing else. Leaves DIR (logs) in place.
#
#   tests/slurm/stop_cluster.sh DIR
set -uo pipefail

DIR=${1:?usage: $0 DIR}
PIDS=$DIR/pids
log() { printf '[stop_cluster %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
[[ -d $PIDS ]] || { log "no $PIDS: nothing to stop"; exit 0; }

# jobs still queued or running on this cluster (only this one: SLURM_CONF points at it)
if [[ -f $DIR/slurm.conf && -f $PIDS/slurmctld.pid ]]; then
    export SLURM_CONF=$DIR/slurm.conf
    if timeout 10 scancel --user=root >/dev/null 2>&1; then
        for _ in $(seq 1 30); do
            [[ -z $(timeout 5 squeue -h -o %i 2>/dev/null) ]] && break
            sleep 0.5
        done
    fi
fi

alive() { # running and not a zombie (an unreaped zombie still answers kill -0)
    kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# name -> the executable the pid must still be running (guards against a reused pid)
declare -A EXE=([slurmd]=slurmd [slurmctld]=slurmctld [slurmdbd]=slurmdbd [mariadb]=mariadbd
    [munged]=munged)
for name in slurmd slurmctld slurmdbd mariadb munged; do
    f=$PIDS/$name.pid
    [[ -f $f ]] || continue
    pid=$(<"$f")
    if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid"; then
        exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
        want=$(readlink -f "/usr/sbin/${EXE[$name]}" 2>/dev/null || true)  # Debian: alternatives
        if [[ -z $want || ${exe% (deleted)} != "$want" ]]; then
            log "pid $pid of $name now runs '${exe:-?}': not ours, left alone"
        else
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.2; done
            if alive "$pid"; then
                log "$name ($pid) still alive after 10 s: SIGKILL"
                kill -9 "$pid" 2>/dev/null || true
            fi
            log "stopped $name ($pid)"
        fi
    fi
    rm -f "$f"
done
exit 0
