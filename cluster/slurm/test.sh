#!/bin/bash
# deno task test:cluster: the Slurm scripts on a real one-node Slurm cluster that this script
# starts and stops itself (Debian's slurmctld, slurmd, slurm-client and munge, installed when
# missing; no systemd, no cgroups, private ports, a private munge socket and key, so a Slurm or
# munge already running on the machine is left alone).
#
# A quick selection (HalfCheetah-dir, 4 experiments) is run once in one process as the reference,
# then submitted with cluster/slurm/submit.sh as 3 shards. As soon as a shard has written its
# first checkpoint, every running shard is requeued (as a preemption would: SIGTERM, checkpoint,
# exit 75, requeue, resume). The test passes when the finalize job completed, the shards' merged
# directory is byte-identical to the reference (root digest included), and a requeued shard
# resumed from its checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
TEST_NAME=test:cluster
# shellcheck source=../test_lib.sh
. cluster/test_lib.sh
ensure_debian_packages \
  'command -v slurmctld && command -v slurmd && command -v sbatch && command -v munged' \
  slurmctld slurmd slurm-client munge

tmp=$(mktemp -d /tmp/sgmrl-slurm.XXXXXX)
chmod 755 "$tmp"
out=results/tmp-slurm-$$
ref=results/tmp-slurm-ref-$$
stop_daemons() {
  # Only what this script started, by the pid files it chose.
  for name in slurmd slurmctld munged; do
    local pidfile="$tmp/$name.pid"
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -d "$tmp/logs" ]; then
    for f in "$tmp"/logs/*; do echo "--- $f"; tail -n 20 "$f"; done >&2
  fi
  stop_daemons
  rm -rf "$tmp" "$out" "$ref"
  exit "$rc"
}
trap cleanup EXIT

free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 20000))
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# munge: a private key and socket; munged runs as the munge user when there is one.
mkdir -p "$tmp/munge"
run_as=()
if id munge >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  chown munge: "$tmp/munge"
  run_as=(runuser -u munge --)
fi
"${run_as[@]}" mungekey --create --keyfile="$tmp/munge/munge.key"
"${run_as[@]}" munged --socket="$tmp/munge/socket" --key-file="$tmp/munge/munge.key" \
  --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/munge/munged.log" \
  --seed-file="$tmp/munge/munged.seed"
cp "$tmp/munge/munged.pid" "$tmp/munged.pid"

node=$(uname -n)
cpus=$(nproc)
memory=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/logs"
export SLURM_CONF="$tmp/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=sgmrltest
SlurmctldHost=${node}(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/logs/slurmctld.log
SlurmdLogFile=$tmp/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MinJobAge=3600
KillWait=60
ReturnToService=2
NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=test Nodes=${node} Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -i
slurmd
for _ in $(seq 1 100); do
  [ "$(sinfo -h -o %t 2>/dev/null)" = "idle" ] && break
  sleep 0.2
done
[ "$(sinfo -h -o %t)" = "idle" ] || fail "the node did not come up: $(sinfo -h -o '%t %E')"
say "one-node cluster up ($node, $cpus CPUs)"

grid=(--profile quick --only 'half-cheetah-dir-*')
deno task reproduce "${grid[@]}" --out "$ref" --workers 1 >"$tmp/logs/reference.out" 2>&1 ||
  fail "the reference run failed"
root=$(sed -n 's/^root digest \([0-9a-f]\{64\}\)$/\1/p' "$tmp/logs/reference.out")
[ -n "$root" ] || fail "the reference run printed no root digest"
say "reference run (one process): root digest $root"

submitted=$(SGMRL_LOGS="$tmp/logs" SGMRL_SPOT=2 cluster/slurm/submit.sh --shards 3 --cpus 1 \
  "${grid[@]}" --out "$out")
echo "$submitted"
array=$(echo "$submitted" | sed -n 's/^array job \([0-9]*\) .*/\1/p')
final=$(echo "$submitted" | sed -n 's/.*finalize job \([0-9]*\);.*/\1/p')
[ -n "$array" ] && [ -n "$final" ] || fail "submit.sh printed no job ids"

# Preempt: requeue every running shard once the first checkpoint is on disk.
requeued=()
for _ in $(seq 1 600); do
  if compgen -G "$out/.run-*/checkpoint-*.bin" >/dev/null; then
    for task in $(squeue -h -j "$array" -t R -o %i); do
      scontrol requeue "$task" && requeued+=("$task")
    done
    break
  fi
  sleep 0.1
done
[ ${#requeued[@]} -gt 0 ] || fail "no shard was caught running with a checkpoint to requeue"
say "requeued ${requeued[*]}"
# A requeued job waits about two minutes by default before it is eligible again: start it now.
for _ in $(seq 1 100); do
  for task in "${requeued[@]}"; do
    if scontrol -o show job "$task" | grep -q 'JobState=PENDING.*Reason=BeginTime'; then
      scontrol update JobId="$task" StartTime=now
    fi
  done
  sleep 0.2
done &
releaser=$!

state=""
for _ in $(seq 1 1200); do
  state=$(scontrol -o show job "$final" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  case $state in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL) break ;; esac
  sleep 0.5
done
kill "$releaser" 2>/dev/null || true
[ "$state" = "COMPLETED" ] || fail "the finalize job ended $state"
say "finalize job $final completed"

log=$(ls "$tmp"/logs/finalize-*.out)
grep -q "complete: all 4 experiments of the grid are finished in $out" "$log" ||
  fail "merge did not report a complete grid"
grep -q "^root digest $root" "$log" || fail "the merged root digest is not the reference's"
grep -q "^spot-verified: $out (root $root)" "$log" || fail "the spot verification did not pass"
diff -r -x timings.json -x .lock "$ref" "$out" >/dev/null ||
  fail "the sharded directory differs from the reference"
resumed=0
for task in "${requeued[@]}"; do
  restarts=$(scontrol -o show job "$task" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
  [ "${restarts:-0}" -ge 1 ] || fail "$task was not restarted"
  grep -q "^resume .* from iteration [1-9]" "$tmp/logs/shard-${task}.out" && resumed=1
done
[ "$resumed" -eq 1 ] || fail "no requeued shard resumed from a checkpoint"
for task in $(seq 1 3); do
  s=$(scontrol -o show job "${array}_$task" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  [ "$s" = "COMPLETED" ] || fail "shard ${array}_$task ended $s"
done
say "passed: 3 shards (${requeued[*]} requeued and resumed), merged root $root = one process's"
