#!/usr/bin/env bash
# The test command: installs what is missing, builds (release preset) and runs every test with
# ctest. With --sanitize it then builds everything again under ASan+UBSan and under TSan and runs
# every test once more, the integration tests included (so the router itself runs sanitized);
# a sanitizer report fails the run.
# Usage: tools/test.sh [--sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh

jobs=$(nproc)
run_preset() {
  local preset=$1
  echo "=== build and test: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  ctest --preset "$preset" -j"$jobs"
}

run_preset release
if [[ "${1:-}" == "--sanitize" ]]; then
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  run_preset asan
  export TSAN_OPTIONS="halt_on_error=1:suppressions=$PWD/tests/tsan.supp"
  run_preset tsan
fi
