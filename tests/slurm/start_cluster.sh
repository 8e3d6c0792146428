#!/usr/bin/env bash
# Start a throwaway single-node SLURM cluster on this machine, for tests/test_slurm.py.
#
#   tests/slurm/start_cluster.sh DIR     # start; DIR must not exist yet or be empty
#   source DIR/env                       # SLURM_CONF=DIR/slurm.conf and the LML_* names below
#   tests/slurm/stop_cluster.sh DIR      # stop exactly the daemons started here
#
# Installs nothing: it needs Debian's slurm-wlm, slurmdbd, munge and mariadb-server (see .ci/run)
# and root (slurmd must run as root). Everything lives in DIR: slurm.conf, slurmdbd.conf,
# gres.conf, a munge key and socket, a MariaDB data directory, state, spool, logs and one pid
# file per daemon in DIR/pids. Nothing under /etc is read or written (clients find the cluster
# through SLURM_CONF; munge and MariaDB use their own sockets in DIR), and every daemon listens
# on a free port, so an existing SLURM or munge on the machine is left alone.
# Accounting (MariaDB + slurmdbd) is on because snakemake-executor-plugin-slurm polls job states
# with `sacct`, as it does on a production cluster.
#
# Environment knobs:
#   FAKE_GPUS=1      advertise N (0..4) fake "gpu" GRES (bound to /dev/null, ...), so that a
#                    `gpu` resource (sbatch --gpus=N) is accepted and scheduled
#   NODE_CPUS, NODE_MEM_MB   override what `slurmd -C` reports (memory: 90% of it)
#   START_TIMEOUT=90 seconds to wait for each daemon
#
# DIR/env defines: SLURM_CONF, LML_CLUSTER, LML_PARTITION, LML_ACCOUNT, LML_NODE, LML_CPUS,
# LML_MEM_MB, LML_GPUS and LML_BIN (put it first on PATH when submitting: see the srun wrapper).
# Exit status 3: a required program is missing or not root.
set -euo pipefail

DIR=${1:?usage: $0 DIR}
FAKE_GPUS=${FAKE_GPUS:-1}
TIMEOUT=${START_TIMEOUT:-90}
CLUSTER=lmltest
PARTITION=lmltest
ACCOUNT=lmltest

log() { printf '[start_cluster %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- checks
[[ $(id -u) == 0 ]] || { log "must run as root (slurmd needs root)"; exit 3; }
for prog in slurmctld slurmd slurmdbd sbatch sinfo scontrol sacct sacctmgr munged munge \
    unmunge mariadbd mariadb-install-db mariadb setpriv python3; do
    command -v "$prog" >/dev/null || { log "$prog not found (install: .ci/run)"; exit 3; }
done
for user in munge mysql; do
    id "$user" >/dev/null 2>&1 || { log "system user $user missing (packages broken?)"; exit 3; }
done
if [[ -e $DIR ]] && [[ -n $(ls -A "$DIR") ]]; then die "$DIR is not empty"; fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
# munged and mariadbd drop to their own users and must reach their files in DIR
chmod 755 "$DIR"
for user in munge mysql; do
    setpriv --reuid="$user" --regid="$user" --clear-groups test -x "$DIR" ||
        die "user $user cannot enter $DIR (an ancestor directory is not world-executable)"
done

PIDS=$DIR/pids
mkdir -p "$PIDS" "$DIR"/{log,run,spool/ctld,spool/d,munge,mysql,jobs}

start_bg() { # name, then the command; the recorded PID is the daemon's own (foreground, exec)
    local name=$1; shift
    nohup "$@" >"$DIR/log/$name.out" 2>&1 </dev/null &
    echo $! >"$PIDS/$name.pid"
    log "started $name (pid $!)"
}

wait_for() { # description, command...
    local what=$1; shift
    local i
    for ((i = 0; i < TIMEOUT * 5; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    log "timeout after ${TIMEOUT}s waiting for: $what"
    for f in "$DIR"/log/*; do [[ -s $f ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
    return 1
}

free_ports() { # N distinct free TCP ports on 127.0.0.1
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# if anything below fails, stop what was started so far
trap 'rc=$?; if [[ $rc != 0 ]]; then log "start failed; stopping what was started"; "$(dirname "$0")/stop_cluster.sh" "$DIR" || true; fi' EXIT

read -r CTLD_PORT SLURMD_PORT DBD_PORT DB_PORT < <(free_ports 4)
HOST=$(hostname -s)
read -r CPUS MEM < <(slurmd -C | awk 'NR==1{for(i=1;i<=NF;i++){split($i,a,"="); v[a[1]]=a[2]} print v["CPUs"], v["RealMemory"]}')
CPUS=${NODE_CPUS:-$CPUS}
MEM=${NODE_MEM_MB:-$((MEM * 9 / 10))}
log "node $HOST: cpus=$CPUS mem=${MEM}MB gpus=$FAKE_GPUS; ports ctld=$CTLD_PORT slurmd=$SLURMD_PORT dbd=$DBD_PORT db=$DB_PORT"

# ---------------------------------------------------------------- munge (own key and socket)
MUNGE_SOCK=$DIR/munge/munge.socket
dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$DIR/munge"
chmod 400 "$DIR/munge/munge.key"
# the socket's directory must be reachable by clients (slurm daemons and jobs run as root here)
chmod 755 "$DIR/munge"
start_bg munged setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged -F \
    --socket="$MUNGE_SOCK" --key-file="$DIR/munge/munge.key" --pid-file="$DIR/munge/munged.pid" \
    --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed"
wait_for "munged" bash -c "munge -S '$MUNGE_SOCK' -n | unmunge -S '$MUNGE_SOCK'"

# ---------------------------------------------------------------- MariaDB (accounting storage)
DB=$DIR/mysql
DB_SOCK=$DB/mysqld.sock
mkdir -p "$DB/data"
chown -R mysql:mysql "$DB"
mariadb-install-db --no-defaults --user=mysql --datadir="$DB/data" \
    --auth-root-authentication-method=socket --skip-test-db >"$DIR/log/mariadb-install.log" 2>&1 ||
    { cat "$DIR/log/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
start_bg mariadb /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$DB/data" \
    --socket="$DB_SOCK" --port="$DB_PORT" --bind-address=127.0.0.1 --skip-name-resolve \
    --pid-file="$DB/mariadbd.pid" --log-error="$DIR/log/mariadb.err" \
    --innodb-buffer-pool-size=32M --performance-schema=OFF
wait_for "mariadb" mariadb --no-defaults --socket="$DB_SOCK" -e 'select 1'
DB_PASS=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
mariadb --no-defaults --socket="$DB_SOCK" <<SQL
CREATE DATABASE slurm_acct_db;
CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL

# ---------------------------------------------------------------- configuration files
# slurmdbd.conf and gres.conf are read from the directory of $SLURM_CONF
export SLURM_CONF=$DIR/slurm.conf
cat >"$DIR/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=root
DebugLevel=info
LogFile=$DIR/log/slurmdbd.log
PidFile=$DIR/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageLoc=slurm_acct_db
StorageUser=slurm
StoragePass=$DB_PASS
EOF
chmod 600 "$DIR/slurmdbd.conf"

if [[ $FAKE_GPUS -gt 0 ]]; then
    # slurm 22.05 drops GPUs without a device file, so each fake GPU is bound to a harmless one
    devs=(/dev/null /dev/zero /dev/full /dev/urandom)
    [[ $FAKE_GPUS -le ${#devs[@]} ]] || die "FAKE_GPUS must be <= ${#devs[@]}"
    files=$(IFS=,; echo "${devs[*]:0:$FAKE_GPUS}")
    echo "NodeName=$HOST Name=gpu File=$files" >"$DIR/gres.conf"
    GRES_TYPES="GresTypes=gpu"
    NODE_GRES="Gres=gpu:$FAKE_GPUS"
else
    GRES_TYPES=""
    NODE_GRES=""
fi

cat >"$SLURM_CONF" <<EOF
# generated by tests/slurm/start_cluster.sh
ClusterName=$CLUSTER
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK
CredType=cred/munge
MpiDefault=none
MailProg=/bin/true
# no cgroups (containers and VMs often lack a usable cgroup hierarchy)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
# for connections to slurmdbd, the munge socket is taken from here, not from AuthInfo
AccountingStoragePass=$MUNGE_SOCK
AccountingStorageEnforce=associations
AccountingStorageTRES=gres/gpu
AccountingStoreFlags=job_comment
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
# reject jobs no node can ever run at submission instead of leaving them pending
EnforcePartLimits=ALL
ReturnToService=2
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
StateSaveLocation=$DIR/spool/ctld
SlurmdSpoolDir=$DIR/spool/d
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MinJobAge=300
KillWait=5
InactiveLimit=0
Waittime=0
SlurmctldTimeout=30
SlurmdTimeout=30
$GRES_TYPES
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM $NODE_GRES State=UNKNOWN
PartitionName=$PARTITION Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF

# ---------------------------------------------------------------- daemons
start_bg slurmdbd /usr/sbin/slurmdbd -D
wait_for "slurmdbd" bash -c "</dev/tcp/127.0.0.1/$DBD_PORT"
# the cluster, an account and root's association (AccountingStorageEnforce=associations)
sacctmgr -i add cluster "$CLUSTER" >/dev/null
sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description=test Organization=test >/dev/null
sacctmgr -i add user root Account="$ACCOUNT" DefaultAccount="$ACCOUNT" Cluster="$CLUSTER" >/dev/null

start_bg slurmctld /usr/sbin/slurmctld -D -i -f "$SLURM_CONF"
wait_for "slurmctld" scontrol ping
start_bg slurmd /usr/sbin/slurmd -D -f "$SLURM_CONF" -N "$HOST"
wait_for "node $HOST idle" bash -c "sinfo -h -N -n '$HOST' -o %t | grep -qx idle"

# Jobs of snakemake-executor-plugin-slurm run their command through a nested `srun`, after
# dropping every SLURM_* variable, SLURM_CONF included. A real node finds its slurm.conf in
# /etc/slurm or through a configless slurmd; this cluster's jobs find it through this wrapper,
# which callers put first on the PATH they submit with (LML_BIN), instead of touching /etc or /run.
mkdir -p "$DIR/bin"
cat >"$DIR/bin/srun" <<EOF
#!/bin/sh
SLURM_CONF='$SLURM_CONF' exec $(command -v srun) "\$@"
EOF
chmod 755 "$DIR/bin/srun"

cat >"$DIR/env" <<EOF
export SLURM_CONF=$SLURM_CONF
export LML_CLUSTER=$CLUSTER
export LML_PARTITION=$PARTITION
export LML_ACCOUNT=$ACCOUNT
export LML_NODE=$HOST
export LML_CPUS=$CPUS
export LML_MEM_MB=$MEM
export LML_GPUS=$FAKE_GPUS
export LML_BIN=$DIR/bin
EOF
sinfo >&2
log "SLURM is up: source $DIR/env; stop with tests/slurm/stop_cluster.sh $DIR"
