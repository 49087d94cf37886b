#!/bin/bash
# deno task test:container: build the image with no network (container/build.sh, podman from
# Debian, installed when missing), run a quick selection inside it with no network, and compare
# its root digest and every file with the same selection run on the host; then spot-verify the
# image's own committed results/quick inside it. Then the GPU image (container/build.sh --gpu):
# built the same way, and with no GPU in the container, --backend webgpu stops with the one-line
# "no WebGPU adapter" error before writing anything (the Vulkan loader loads; nothing falls back
# to the CPU). podman runs with a private storage root and configuration, removed afterwards, so
# images and containers already on the machine are left alone. Prints the build and run times.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test:container
# shellcheck source=../cluster/test_lib.sh
. cluster/test_lib.sh
ensure_debian_packages \
  'command -v podman && command -v runc && { ldd /bin/busybox 2>&1 || true; } | grep -q "not a dynamic" && ldconfig -p | grep -q "libvulkan.so.1 " && ldconfig -p | grep -q "libXext.so.6 "' \
  podman runc busybox-static libvulkan1 libxext6 libx11-6

tmp=$(mktemp -d /tmp/sgmrl-container.XXXXXX)
ref=results/tmp-container-ref-$$
out=$tmp/out
# runc, not crun (which refuses hybrid cgroups); limits podman may set as root without
# CAP_SYS_RESOURCE; a private storage root.
cat >"$tmp/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
cat >"$tmp/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$tmp/storage"
runroot = "$tmp/run"
CONF
export CONTAINERS_CONF="$tmp/containers.conf" CONTAINERS_STORAGE_CONF="$tmp/storage.conf"
cleanup() {
  local rc=$?
  podman system reset --force >/dev/null 2>&1 || true
  rm -rf "$tmp" "$ref"
  exit "$rc"
}
trap cleanup EXIT

grid=(--profile quick --only 'nav2d-*-z1-s0')
deno task reproduce "${grid[@]}" --out "$ref" --workers 2 >"$tmp/host.out" 2>&1 ||
  { cat "$tmp/host.out" >&2; fail "the host run failed"; }
root=$(sed -n 's/^root digest \([0-9a-f]\{64\}\)$/\1/p' "$tmp/host.out")
[ -n "$root" ] || fail "the host run printed no root digest"
say "host run: root digest $root"

t0=$(date +%s)
container/build.sh podman >"$tmp/build.out" 2>&1 || { tail -n 30 "$tmp/build.out" >&2; fail "build"; }
built=$(($(date +%s) - t0))
tag="sgmrl:$(sed -n 's/^  "version": "\(.*\)",$/\1/p' deno.json)"
size=$(podman image inspect --format '{{.Size}}' "$tag")
say "built $tag with no network (base and image) in $built s, $((size / 1000000)) MB"

mkdir -p "$out"
t0=$(date +%s)
podman run --rm --network none -v "$out:/app/results/tmp-container" "$tag" \
  reproduce "${grid[@]}" --out results/tmp-container --workers 2 >"$tmp/run.out" 2>&1 ||
  { cat "$tmp/run.out" >&2; fail "the run in the container failed"; }
say "ran the selection in the container in $(($(date +%s) - t0)) s"
grep -q "^root digest $root$" "$tmp/run.out" || fail "the container's root digest is not the host's"
diff -r -x timings.json -x .lock "$ref" "$out" >/dev/null || fail "the container's files differ"

t0=$(date +%s)
podman run --rm --network none "$tag" verify --profile quick --spot 2 >"$tmp/verify.out" 2>&1 ||
  { cat "$tmp/verify.out" >&2; fail "verify --spot in the container failed"; }
grep -q "^spot-verified: results/quick" "$tmp/verify.out" || fail "no spot verification"
say "verify --spot 2 of the image's results/quick passed in $(($(date +%s) - t0)) s"

t0=$(date +%s)
container/build.sh podman --gpu >"$tmp/build-gpu.out" 2>&1 ||
  { tail -n 30 "$tmp/build-gpu.out" >&2; fail "the GPU image's build"; }
size=$(podman image inspect --format '{{.Size}}' "$tag-gpu")
say "built $tag-gpu with no network in $(($(date +%s) - t0)) s, $((size / 1000000)) MB"
mkdir -p "$tmp/gpu-out"
if podman run --rm --network none -v "$tmp/gpu-out:/app/results/tmp-gpu" "$tag-gpu" \
  reproduce --profile quick --only nav2d-sgmrl-so-z1-s0 --backend webgpu \
  --out results/tmp-gpu/run >"$tmp/gpu.out" 2>&1; then
  fail "--backend webgpu ran in a container without a GPU"
fi
grep -q 'backend "webgpu": no WebGPU adapter' "$tmp/gpu.out" ||
  { cat "$tmp/gpu.out" >&2; fail "the GPU image did not refuse a missing GPU with the one-line error"; }
[ -z "$(ls -A "$tmp/gpu-out")" ] || fail "the GPU image wrote results without a GPU"
say "the GPU image refuses --backend webgpu without a GPU, writing nothing"
say "passed: root digest $root in the container = on the host"
