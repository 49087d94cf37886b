#!/bin/bash
# deno task test:interop: the exported policy read by another language — Python with numpy alone
# reads the safetensors file as the format's specification describes it and computes the package's
# action means. Installs Debian's python3-numpy when missing and this is root with apt-get;
# otherwise says why it is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test:interop
# shellcheck source=../cluster/test_lib.sh
. cluster/test_lib.sh
ensure_debian_packages 'python3 -c "import numpy"' python3 python3-numpy
deno test --allow-read --allow-write --allow-run --allow-sys=cpus test/export_test.ts
