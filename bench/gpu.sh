#!/bin/sh
# The GPU figures of BENCHMARKS.md, measured on a machine with a GPU, in one go:
#   1. the device: nvidia-smi's name, driver and memory (where nvidia-smi exists);
#   2. deno task bench --part learner --backend webgpu: one paper 2D-navigation meta-gradient on
#      the GPU, its kernel profile and the GPU's 1024³ product rate;
#   3. deno task bench --part backends --backend webgpu: the 2D-navigation (ζ = 1) and HalfCheetah
#      (ζ = 3) paper iterations on webgpu beside wasm on the same machine's cores, and the
#      2D-navigation paper experiment projected on each.
# Each part's report is written to OUT (text, as printed, and JSON) and echoed. The WebGPU adapter
# must be a hardware one: a software (CPU) adapter is refused by the bench itself, so a missing
# driver stops this script instead of producing CPU figures labelled GPU. POSIX sh (the image's
# shell is busybox).
#
# Usage: bench/gpu.sh OUT [ITERATIONS]
#   OUT: a directory, relative to the project root unless absolute; ITERATIONS: timed rounds per
#   backend (default 3). A part that fails leaves no report behind (written aside, then renamed).
# In the GPU image (container/build.sh --gpu), with the results directory mounted:
#   docker run --rm --gpus all -v "$PWD/results:/app/results" --entrypoint bench/gpu.sh \
#     sgmrl:0.1.0-gpu results/bench-gpu
#   apptainer exec --nv --bind "$PWD/results:/app/results" docker-daemon://sgmrl:0.1.0-gpu \
#     /app/bench/gpu.sh results/bench-gpu
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: bench/gpu.sh OUT [ITERATIONS]" >&2
  exit 2
fi
out=$1
iterations=${2:-3}
case $iterations in
  '' | *[!0-9]*) iterations_ok=false ;;
  *) if [ "$iterations" -ge 1 ]; then iterations_ok=true; else iterations_ok=false; fi ;;
esac
if [ "$iterations_ok" = false ]; then
  echo "bench/gpu.sh: ITERATIONS must be a positive integer, got \"$iterations\"" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
mkdir -p "$out"
{
  date -u +%FT%TZ
  echo "cores: $(nproc)"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  else
    echo "nvidia-smi: not found"
  fi
} >"$out/device.txt"
cat "$out/device.txt"
trap 'rm -f "$out"/*.partial' EXIT
for part in learner backends; do
  deno task bench --part "$part" --backend webgpu --iterations "$iterations" --json \
    >"$out/$part.json.partial"
  mv "$out/$part.json.partial" "$out/$part.json"
  deno run --no-prompt --allow-read="$out" tasks/bench.ts --render "$out/$part.json" \
    >"$out/$part.md.partial"
  mv "$out/$part.md.partial" "$out/$part.md"
  cat "$out/$part.md"
done
