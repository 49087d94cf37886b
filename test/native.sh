#!/bin/bash
# deno task test:native: the tests that run on the native backend (OpenBLAS through FFI), with FFI
# allowed: its matrix product and fused kernels, its determinism, and the estimators'
# finite-difference and explicit-derivative tests on it.
# Installs Debian's libopenblas0-pthread (and libopenblas0-serial, which the tests check is refused)
# when missing and this is root with apt-get; otherwise says why it is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test:native
# shellcheck source=../cluster/test_lib.sh
. cluster/test_lib.sh
ensure_debian_packages \
  'compgen -G "/usr/lib/*-linux-gnu/openblas-pthread/libopenblas.so.0" && compgen -G "/usr/lib/*-linux-gnu/openblas-serial/libopenblas.so.0"' \
  libopenblas0-pthread libopenblas0-serial
deno test --allow-read --allow-write --allow-run --allow-sys=cpus --allow-ffi=/usr/lib,/usr/lib64 \
  test/native_backend_test.ts test/meta_gradient_test.ts test/fused_ops_test.ts
