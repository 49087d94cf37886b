#!/bin/bash
# Build the container image sgmrl:VERSION with no network access during the build: the build
# context gets the pinned deno binary (.container/deno) and node_modules installed from the
# frozen deno.lock (the only step that may download, on this machine, before the build); the base
# is localhost/sgmrl-base:local (container/base.sh) unless BASE names another (pinned by digest).
#
#   container/build.sh [podman|docker] [--gpu]   (default: podman if installed, else docker)
# With --gpu, the GPU image sgmrl:VERSION-gpu (container/Dockerfile.gpu): the same package on the
# GPU base (container/base.sh ENGINE DENO gpu), for --backend webgpu on the host's NVIDIA driver.
# Environment: BASE (base image), TAG (default sgmrl:VERSION from deno.json, -gpu with --gpu).
set -euo pipefail
cd "$(dirname "$0")/.."
engine=""
gpu=""
for arg in "$@"; do
  case "$arg" in
    --gpu) gpu=gpu ;;
    podman | docker) engine=$arg ;;
    *) echo "usage: container/build.sh [podman|docker] [--gpu]" >&2; exit 2 ;;
  esac
done
engine=${engine:-$(command -v podman >/dev/null && echo podman || echo docker)}
version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' deno.json)
tag=${TAG:-sgmrl:$version${gpu:+-gpu}}
base_tag=localhost/sgmrl-base${gpu:+-gpu}:local
pinned=$(sed -n 's/^DENO_VERSION="\(.*\)"$/\1/p' .ci/run)
deno=$(command -v deno || true)
if [ -z "$deno" ] || [ "$(deno --version | head -n1 | cut -d' ' -f2)" != "$pinned" ]; then
  echo "error: deno: version $pinned must be on PATH (npx --yes deno@$pinned installs it)" >&2
  exit 2
fi
mkdir -p .container
cp "$(readlink -f "$deno")" .container/deno
deno install --frozen >/dev/null
if [ -z "${BASE:-}" ]; then
  container/base.sh "$engine" .container/deno $gpu
fi
start=$(date +%s)
pull=(); [ "$engine" = podman ] && pull=(--pull=never)
app=$tag
[ -n "$gpu" ] && app=localhost/sgmrl-app-gpu:local
"$engine" build --network none "${pull[@]}" --build-arg "BASE=${BASE:-$base_tag}" -t "$app" . >&2
if [ -n "$gpu" ]; then
  "$engine" build --network none "${pull[@]}" --build-arg "IMAGE=$app" \
    -f container/Dockerfile.gpu -t "$tag" . >&2
fi
echo "$tag built in $(($(date +%s) - start)) s"
