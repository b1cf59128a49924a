#!/usr/bin/env bash
# The test command: installs what is missing, builds (release preset), runs every test with ctest.
# Usage: tools/test.sh [--sanitize]   --sanitize also builds and runs the unit tests under
#                                     ASan+UBSan (slower; CI runs it when time allows).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh

jobs=$(nproc)
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
ctest --preset release -j"$jobs"

if [[ "${1:-}" == "--sanitize" ]]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j"$jobs" --target rules_unit_tests store_unit_tests \
    ctl_unit_tests router_unit_tests
  ctest --preset asan -j"$jobs" -R '^(rules|store|ctl|router): '
fi
