#!/bin/bash
# deno task test:exit: the test files whose processes once aborted at exit ("double free or
# corruption", exit 134: graphics libraries loaded by a WebGPU probe, their destructors racing
# with ending threads; docs/verification.md, "--backend webgpu"), run RUNS times in a row (default 30). Fails
# on the first run that does not exit 0, printing its last lines.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-30}
files=(test/meta_gradient_test.ts test/batched_meta_gradient_test.ts test/webgpu_backend_test.ts)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for ((i = 1; i <= runs; i++)); do
  deno test --allow-read --allow-write --allow-run --allow-sys=cpus "${files[@]}" >"$log" 2>&1
  code=$?
  if [ "$code" -ne 0 ]; then
    tail -n 5 "$log"
    echo "test:exit: run $i of $runs exited with $code"
    exit 1
  fi
done
echo "test:exit: $runs runs of ${files[*]}, every one exited 0"
