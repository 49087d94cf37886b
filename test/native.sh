#!/bin/bash
# deno task test:native: the tests that run on native libraries through FFI, with FFI allowed: the
# native backend (OpenBLAS: its matrix product and fused kernels, its determinism, and the
# estimators' finite-difference and explicit-derivative tests on it), and native physics (MuJoCo
# 2.2.2: its layout, its conformance with the WebAssembly engine, its determinism).
# Installs Debian's libopenblas0-pthread (and libopenblas0-serial, which the tests check is refused),
# libmujoco2.2.2, libmujoco-dev and gcc (the headers and a compiler, to re-derive the layout) when missing and this is
# root with apt-get; otherwise says why it is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test:native
# shellcheck source=../cluster/test_lib.sh
. cluster/test_lib.sh
ensure_debian_packages \
  'compgen -G "/usr/lib/*-linux-gnu/openblas-pthread/libopenblas.so.0" && compgen -G "/usr/lib/*-linux-gnu/openblas-serial/libopenblas.so.0"' \
  libopenblas0-pthread libopenblas0-serial
ensure_debian_packages \
  'compgen -G "/usr/lib/*-linux-gnu/libmujoco.so.2.2.2" && test -f /usr/include/mujoco/mujoco.h && command -v cc' \
  libmujoco2.2.2 libmujoco-dev gcc libc6-dev
deno test --allow-read --allow-write --allow-run --allow-sys=cpus --allow-ffi=/usr/lib,/usr/lib64 \
  test/native_backend_test.ts test/meta_gradient_test.ts test/fused_ops_test.ts \
  test/native_mujoco_test.ts
