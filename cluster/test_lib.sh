# Sourced by the cluster and container tests (after TEST_NAME=...): timed progress lines, failure,
# and the Debian packages a test needs.
started=$(date +%s)
say() { echo "[$TEST_NAME $(($(date +%s) - started)) s] $*"; }
fail() { echo "[$TEST_NAME] FAILED: $*" >&2; exit 1; }

# Install Debian packages a test needs, or skip the test:
#
#   ensure_debian_packages CHECK PACKAGE...
# CHECK is a shell command that succeeds when the packages' commands are present. When it fails,
# the packages are installed with apt-get if this is root with apt-get; otherwise the test is
# skipped: a line saying why, and exit 0.
ensure_debian_packages() {
  local check=$1
  shift
  if eval "$check" >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "[$TEST_NAME] skipped: the packages it needs are missing and this is not root with apt-get" \
      "(install $*)"
    exit 0
  fi
  say "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "$@" >/dev/null
  }
}
