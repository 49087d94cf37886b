#!/bin/bash
# Build the image's base without any registry: a root file system holding only what the pinned
# deno binary needs (the glibc libraries ldd lists, from this machine's Debian), a static busybox
# as /bin/sh (for the Kubernetes and Slurm command lines), /tmp and /etc/passwd, imported as
# localhost/sgmrl-base:local. Used when no registry is reachable; elsewhere a registry base pinned by digest
# does as well (docker build --build-arg BASE=debian:bookworm-slim@sha256:...). With "gpu", the
# base of the GPU image, localhost/sgmrl-base-gpu:local: also the Vulkan loader (Debian's
# libvulkan1) and the X libraries NVIDIA's Vulkan driver loads (libxext6, libx11-6), with what they
# link; the driver itself comes from the host at run time (--gpus all, --nv), and no Mesa driver is
# included, so that a missing GPU is an error rather than a software fallback.
#
#   container/base.sh ENGINE DENO_BINARY [gpu]     (ENGINE: podman or docker)
set -euo pipefail
usage="usage: container/base.sh podman|docker DENO_BINARY [gpu]"
engine=${1:?$usage}
deno=${2:?$usage}
variant=${3:-}
case "$variant" in "" | gpu) ;; *) echo "$usage" >&2; exit 2 ;; esac
gpu_libs=(libvulkan.so.1 libXext.so.6 libX11.so.6)
busybox=/bin/busybox
if ! { ldd "$busybox" 2>&1 || true; } | grep -q "not a dynamic executable"; then
  echo "error: busybox: $busybox is missing or not static (install Debian's busybox-static)" >&2
  exit 2
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,usr/local/bin,app}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
# Every shared library deno loads, at the path the loader looks for it (and for the GPU variant,
# the Vulkan loader's and the X libraries', found through the dynamic loader's cache).
wanted=("$deno")
if [ "$variant" = gpu ]; then
  for name in "${gpu_libs[@]}"; do
    path=$(ldconfig -p | sed -n "s/^[[:space:]]*$name (libc6[^)]*) => //p" | head -n1)
    [ -n "$path" ] || { echo "error: $name is missing (install Debian's libvulkan1 libxext6 libx11-6)" >&2; exit 2; }
    mkdir -p "$root$(dirname "$path")"
    cp -L "$path" "$root$path"
    wanted+=("$path")
  done
fi
for binary in "${wanted[@]}"; do
  for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
done
printf 'root:x:0:0:root:/app:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
tag=localhost/sgmrl-base${variant:+-$variant}:local
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$root" -c . |
  "$engine" import - "$tag" >/dev/null
echo "$tag ($(du -sh "$root" | cut -f1); busybox $("$busybox" | head -1 | cut -d' ' -f2))"
