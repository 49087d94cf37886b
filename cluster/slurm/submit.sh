#!/bin/bash
# Submit an experiment grid to Slurm: an array of N shards and a finalize job that runs when they
# have all succeeded. Run it from the repository's root, where the jobs run too.
#
#   cluster/slurm/submit.sh --shards N [--array LIST] [--cpus C] REPRODUCE_OPTIONS...
#
#   --shards N   the grid is split into N shards (deno task reproduce --shard I/N)
#   --array LIST which shards to run, as sbatch --array takes it (default 1-N); to rerun failed
#                shards, for example --array 3,5 (they resume from their checkpoints)
#   --cpus C     CPUs per shard (--cpus-per-task; the shard's --workers), default 2
#   REPRODUCE_OPTIONS  the options of deno task reproduce (--profile, --only, --seeds, --config,
#                --backend, --out), except --shard and --workers, which this script sets
#
# Other sbatch settings come from sbatch's own environment variables, for example
# SBATCH_PARTITION, SBATCH_TIMELIMIT, SBATCH_ACCOUNT. SGMRL_DENO is the command that runs deno on
# the compute nodes (default: deno; for a container see docs/clusters.md), SGMRL_SPOT the finalize
# job's spot checks (default 3), SGMRL_LOGS the directory of the jobs' logs (default slurm-logs).
# Prints the two job ids. Nothing is submitted when the options are invalid: they are checked
# first with deno task reproduce --list, which also installs the locked dependencies (compute
# nodes usually have no network).
set -euo pipefail
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
shards="" array="" cpus=2 profile=quick out="" grid=()
while [ $# -gt 0 ]; do
  case $1 in
    --shards) shards=${2:?--shards needs a value}; shift 2 ;;
    --cpus) cpus=${2:?--cpus needs a value}; shift 2 ;;
    --array) array=${2:?--array needs a value}; shift 2 ;;
    --profile) profile=${2:?--profile needs a value}; shift 2 ;;
    --out) out=${2:?--out needs a value}; shift 2 ;;
    --shard | --workers | --list) echo "error: $1: set by this script" >&2; exit 2 ;;
    -h | --help) usage; exit 0 ;;
    --*=*) echo "error: $1: write options as --name value" >&2; exit 2 ;;
    *) grid+=("$1"); shift ;;
  esac
done
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "error: shards: a positive integer is required" >&2; exit 2; }
[[ $cpus =~ ^[1-9][0-9]*$ ]] || { echo "error: cpus: must be a positive integer" >&2; exit 2; }
array=${array:-1-$shards}
[[ $array =~ ^[0-9][0-9,-]*$ ]] || { echo "error: array: shard numbers such as 1-8 or 3,5" >&2; exit 2; }
out=${out:-results/$profile}
[ -f cluster/slurm/shard.sbatch ] || { echo "error: run this from the repository's root" >&2; exit 2; }
deno=${SGMRL_DENO:-deno}
logs=${SGMRL_LOGS:-slurm-logs}
# Every check of a run (grid, output directory, memory), on shard 1 of N, without writing.
# shellcheck disable=SC2086
$deno task reproduce --profile "$profile" "${grid[@]}" --out "$out" --shard "1/$shards" --list \
  >/dev/null
mkdir -p "$logs"
job=$(sbatch --parsable --array="$array" --export="ALL,SGMRL_SHARDS=$shards" --cpus-per-task="$cpus" \
  --output="$logs/shard-%A_%a.out" cluster/slurm/shard.sbatch --profile "$profile" "${grid[@]}" \
  --out "$out")
job=${job%%;*}
final=$(sbatch --parsable --dependency="afterok:$job" --kill-on-invalid-dep=yes \
  --cpus-per-task="$cpus" --output="$logs/finalize-%j.out" \
  cluster/slurm/finalize.sbatch "$out" "$profile" "${grid[@]}")
final=${final%%;*}
echo "array job $job (shards $array of $shards, into $out), finalize job $final; logs in $logs/"
