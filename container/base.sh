#!/bin/bash
# Build the image's base without any registry: a root file system holding only what the pinned
# deno binary needs (the glibc libraries ldd lists, from this machine's Debian), a static busybox
# as /bin/sh (for the Kubernetes and Slurm command lines), /tmp and /etc/passwd, imported as
# localhost/sgmrl-base:local. Used when no registry is reachable; elsewhere a registry base pinned by digest
# does as well (docker build --build-arg BASE=debian:bookworm-slim@sha256:...).
#
#   container/base.sh ENGINE DENO_BINARY     (ENGINE: podman or docker)
set -euo pipefail
engine=${1:?usage: container/base.sh podman|docker DENO_BINARY}
deno=${2:?usage: container/base.sh podman|docker DENO_BINARY}
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
# Every shared library deno loads, at the path the loader looks for it.
for lib in $(ldd "$deno" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/app:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$root" -c . |
  "$engine" import - localhost/sgmrl-base:local >/dev/null
echo "localhost/sgmrl-base:local ($(du -sh "$root" | cut -f1); busybox $("$busybox" | head -1 | cut -d' ' -f2))"
