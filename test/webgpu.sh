#!/bin/bash
# deno task test:webgpu: the tests that run on the webgpu backend, on Mesa's software Vulkan
# (lavapipe): the estimators' finite-difference tests, the meta-batch as one graph against the
# per-task estimator, a product's bytes across processes, and training's. Installs Debian's mesa-vulkan-drivers and libvulkan1 when missing and this is root
# with apt-get; otherwise says why it is skipped. The software adapter is allowed for these tests
# only (SGMRL_ALLOW_SOFTWARE_GPU=1), and Vulkan gets a private runtime directory.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test:webgpu
# shellcheck source=../cluster/test_lib.sh
. cluster/test_lib.sh
ensure_debian_packages \
  'compgen -G "/usr/share/vulkan/icd.d/lvp_icd.*.json" && compgen -G "/usr/lib/*-linux-gnu/libvulkan.so.1"' \
  mesa-vulkan-drivers libvulkan1
runtime=$(mktemp -d /tmp/sgmrl-webgpu.XXXXXX)
trap 'rm -rf "$runtime"' EXIT
# Vulkan only (lavapipe): OpenGL through EGL is never probed (see src/kernels/webgpu_backend.ts).
XDG_RUNTIME_DIR=$runtime SGMRL_ALLOW_SOFTWARE_GPU=1 DENO_WEBGPU_BACKEND=vulkan deno test --allow-read \
  --allow-write --allow-run --allow-sys=cpus --allow-env=SGMRL_ALLOW_SOFTWARE_GPU \
  test/webgpu_backend_test.ts test/meta_gradient_test.ts test/batched_meta_gradient_test.ts
