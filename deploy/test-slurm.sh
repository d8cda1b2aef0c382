#!/usr/bin/env bash
# Runs the Slurm recipe of docs/scale-out.md on a real one-node Slurm cluster
# that it starts here (Debian's slurm-wlm and munge, installed when missing).
# As root, from anywhere:
#   bash deploy/test-slurm.sh                            # builds mailsim first
#   MAILSIM=/path/to/mailsim bash deploy/test-slurm.sh   # uses that binary
# 1. The recipe as the docs give it: deploy/test-slurm.toml as a job array of
#    4 shards (deploy/slurm.sbatch), then the dependent merge job
#    (deploy/slurm-merge.sbatch). The merged CSV files must be byte-identical
#    to an unsharded run. MAILSIM tells the jobs where mailsim is.
# 2. The same with task 2 broken by a bad --set (mailsim found on PATH this
#    time, through a wrapper that adds the --set): the merge job must never
#    run, and this script must name task 2 and show its log.
# It exits 0 only when both go so. Every wait is bounded (SLURM_TEST_TIMEOUT
# seconds, 120 by default). Configuration, state, logs and results live in a
# temporary folder; on exit, whatever happens, the jobs are cancelled, the
# daemons stopped and the folder removed.
set -euo pipefail
cd "$(dirname "$0")/.."
timeout_s=${SLURM_TEST_TIMEOUT:-120}
scenario=deploy/test-slurm.toml # relative: the jobs run in the submit folder
start=$SECONDS

say() { echo "test-slurm: $*"; }
fail() {
  echo "test-slurm: FAILED: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "run me as root: I install packages and start munged, slurmctld and slurmd"

# --- Slurm and munge --------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
  || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurm-wlm munge >/dev/null
fi

# --- mailsim ----------------------------------------------------------------
if [ -n "${MAILSIM:-}" ]; then
  bin=$(command -v "$MAILSIM") || fail "MAILSIM=$MAILSIM: no such program"
else
  say "building mailsim (cargo build --release --bin mailsim)"
  cargo build --release --bin mailsim --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/mailsim
fi
MAILSIM=$(realpath "$bin")
[ -x "$MAILSIM" ] || fail "$MAILSIM is not executable"
export MAILSIM # sbatch passes the environment on to the jobs

# --- the cluster ------------------------------------------------------------
work=$(mktemp -d /tmp/mailsim-slurm.XXXXXX)
munged_pid='' slurmctld_pid='' slurmd_pid=''

stop() { # stop PID NAME: TERM, then KILL after 10 s
  local pid=$1 name=$2 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name ($pid) did not stop; killing it"
    kill -9 "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? i
  set +e
  trap - EXIT INT TERM
  if [ -n "$slurmctld_pid" ] && kill -0 "$slurmctld_pid" 2>/dev/null; then
    local jobs
    jobs=$(squeue -h -o %A 2>/dev/null | sort -u)
    if [ -n "$jobs" ]; then
      say "cancelling jobs left in the queue: ${jobs//$'\n'/ }"
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null
      for ((i = 0; i < 100; i++)); do
        [ -z "$(squeue -h -t running,completing 2>/dev/null)" ] && break
        sleep 0.1
      done
    fi
  fi
  stop "$slurmd_pid" slurmd
  stop "$slurmctld_pid" slurmctld
  stop "$munged_pid" munged
  rm -rf "$work"
  say "cluster stopped, $work removed ($((SECONDS - start)) s in all)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_logs() { # the daemons' logs, when the cluster itself misbehaves
  local f
  for f in "$work"/log/*; do
    echo "---- $f (last 30 lines)"
    tail -n 30 "$f"
  done
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ctld_port=''
for base in 6817 16817 26817 36817; do
  if ! listening "$base" && ! listening $((base + 1)); then
    ctld_port=$base
    break
  fi
done
[ -n "$ctld_port" ] || fail "no free pair of ports for slurmctld and slurmd"

node=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.95) }' /proc/meminfo)
mkdir -p "$work"/{munge,run,state,spool,log,out}
chmod 755 "$work" "$work/run" # munged wants its socket's folder open to all
chmod 700 "$work/munge"

dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
munge_socket=$work/run/munge.socket
munged --foreground --key-file="$work/munge/munge.key" --socket="$munge_socket" \
  --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed" \
  --log-file="$work/log/munged.log" >>"$work/log/munged.out" 2>&1 &
munged_pid=$!

deadline=$((SECONDS + 20))
until munge -n -S "$munge_socket" 2>/dev/null | unmunge -S "$munge_socket" >/dev/null 2>&1; do
  if ((SECONDS >= deadline)) || ! kill -0 "$munged_pid" 2>/dev/null; then
    show_logs
    fail "munged did not answer within 20 s"
  fi
  sleep 0.2
done

export SLURM_CONF=$work/slurm.conf
cat >"$SLURM_CONF" <<EOF
# One node, this machine; no cgroups, so that it runs in a container.
ClusterName=mailsimtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

say "starting slurmctld and slurmd: node $node, $cpus CPUs, $mem_mb MB, ports $ctld_port-$((ctld_port + 1)), in $work"
slurmctld -D -f "$SLURM_CONF" >>"$work/log/slurmctld.out" 2>&1 &
slurmctld_pid=$!
slurmd -D -f "$SLURM_CONF" >>"$work/log/slurmd.out" 2>&1 &
slurmd_pid=$!

deadline=$((SECONDS + 60))
until [ "$(sinfo -h -n "$node" -o %t 2>/dev/null)" = idle ]; do
  if ((SECONDS >= deadline)) || ! kill -0 "$slurmctld_pid" 2>/dev/null \
    || ! kill -0 "$slurmd_pid" 2>/dev/null; then
    sinfo -N -l || true
    show_logs
    fail "node $node did not become idle within 60 s"
  fi
  sleep 0.5
done
say "node $node is idle ($((SECONDS - start)) s)"

# --- the recipe -------------------------------------------------------------
field() { # field NAME: the value of NAME= in the scontrol line on stdin
  sed -n "s/.* $1=\([^ ]*\).*/\1/p"
}

# recipe OUT: what docs/scale-out.md tells a user to run, in this shell's
# environment; sets jid (the array) and mid (the merge) and waits for both.
recipe() {
  local out=$1
  mkdir -p "$out.logs"
  jid=$(sbatch --parsable --array=0-3 --output="$out.logs/%A_%a.out" \
    deploy/slurm.sbatch "$scenario" "$out")
  mid=$(sbatch --parsable --dependency=afterok:"$jid" --output="$out.logs/%j-merge.out" \
    deploy/slurm-merge.sbatch "$out")
  say "submitted array job $jid (4 shards) and merge job $mid (afterok:$jid)"
  local deadline=$((SECONDS + timeout_s))
  while [ -n "$(squeue -h -j "$jid,$mid" -o %i 2>/dev/null)" ]; do
    if ((SECONDS >= deadline)); then
      squeue || true
      show_logs
      fail "jobs $jid and $mid still in the queue after $timeout_s s"
    fi
    sleep 0.5
  done
}

# failed_tasks: names every task of array $jid that did not complete, with
# its state, exit code and log; sets failed to their task numbers.
failed_tasks() {
  local line task state code log
  failed=()
  while read -r line; do
    task=$(field ArrayTaskId <<<"$line")
    state=$(field JobState <<<"$line")
    [ "$state" = COMPLETED ] && continue
    code=$(field ExitCode <<<"$line")
    log=$(field StdOut <<<"$line")
    failed+=("$task")
    echo "task $task of array job $jid failed: $state, exit code $code; its log, $log:"
    if [ -f "$log" ]; then sed 's/^/    /' "$log"; else echo "    (no log)"; fi
  done < <(scontrol -o show job "$jid" \
    | sed -n 's/.* ArrayTaskId=\([0-9]*\) .*/\1\t&/p' | sort -n | cut -f2-)
}

# 1. Good path: MAILSIM names the binary.
say "good path: 4 shards and the merge, MAILSIM=$MAILSIM"
good=$work/out/good
t0=$SECONDS
recipe "$good"
failed_tasks
merge=$(scontrol -o show job "$mid")
if [ ${#failed[@]} != 0 ] || [ "$(field JobState <<<"$merge")" != COMPLETED ]; then
  echo "merge job $mid: $(field JobState <<<"$merge"), reason $(field Reason <<<"$merge"), exit code $(field ExitCode <<<"$merge")"
  for f in "$good.logs"/*-merge.out; do [ -f "$f" ] && sed 's/^/    /' "$f"; done
  fail "the recipe failed"
fi
say "all 4 tasks and the merge completed in $((SECONDS - t0)) s"

"$MAILSIM" run "$scenario" --out "$work/out/whole" --quiet
csvs=$(cd "$work/out/whole" && ls -- *.csv)
[ "$(cd "$good" && ls -- *.csv)" = "$csvs" ] \
  || fail "merged CSV files differ in name from the unsharded run's: $(cd "$good" && ls -- *.csv)"
for f in $csvs; do
  cmp "$work/out/whole/$f" "$good/$f" || fail "merged $f differs from the unsharded run's"
done
say "good path passed: the merged $(wc -w <<<"$csvs") CSV files are byte-identical to an unsharded run"

# 2. Broken path: task 2 gets a bad --set; mailsim is found on PATH.
say "broken path: task 2 gets --set evaluator.no_such_key=1; mailsim found on PATH"
mkdir -p "$work/bin"
cat >"$work/bin/mailsim" <<EOF
#!/bin/sh
# mailsim, with shard 2 of an array broken by a key that does not exist
if [ "\${SLURM_ARRAY_TASK_ID:-}" = 2 ]; then
  exec "$MAILSIM" "\$@" --set evaluator.no_such_key=1
fi
exec "$MAILSIM" "\$@"
EOF
chmod +x "$work/bin/mailsim"
broken=$work/out/broken
t0=$SECONDS
real=$MAILSIM path=$PATH
unset MAILSIM
export PATH=$work/bin:$PATH
recipe "$broken"
export MAILSIM=$real PATH=$path
failed_tasks >"$work/report"
say "what the broken path shows (this failure is expected):"
cat "$work/report"
merge=$(scontrol -o show job "$mid")
merge_state=$(field JobState <<<"$merge") merge_reason=$(field Reason <<<"$merge")
echo "merge job $mid: $merge_state, reason $merge_reason"
[ "${failed[*]}" = 2 ] || fail "expected task 2 alone to fail, not: ${failed[*]:-none}"
grep -q "unknown field \`no_such_key\`" "$work/report" \
  || fail "task 2's log, as reported, does not show mailsim's error"
if [ "$merge_state" != CANCELLED ] || [ "$merge_reason" != DependencyNeverSatisfied ]; then
  fail "merge job $mid should have been cancelled for DependencyNeverSatisfied"
fi
[ ! -e "$broken" ] || fail "$broken exists: the merge ran"
if compgen -G "$broken.logs/*-merge.out" >/dev/null; then
  fail "the merge job wrote a log: it ran"
fi
say "broken path passed in $((SECONDS - t0)) s: task 2 failed and was named with its log; merge job $mid never ran"
say "passed: the Slurm recipe works, and a failed shard stops the merge"
