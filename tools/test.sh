#!/usr/bin/env bash
# The test command: installs what is missing, checks the formatting (tools/format.sh --check),
# builds and runs every test with ctest in the release preset (gcc) and in the pure preset (clang:
# only the pure cores, against the poison headers, plus their tests and the fuzz corpus replays).
# With --sanitize it then builds everything again under ASan+UBSan and under TSan and runs every
# test once more, the integration tests included (so the router itself runs sanitized).
# Usage: tools/test.sh [--sanitize]
#
# Every test runs once: a test that needs a retry is a bug to fix, not to hide. In the sanitized
# runs a sanitizer report anywhere — router, stub, tests — fails the run even if every test
# passed: reports go to files that are checked at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh

tools/format.sh --check

jobs=$(nproc)
build_preset() {
  echo "=== build: $1"
  cmake --preset "$1" >/dev/null
  cmake --build --preset "$1" -j"$jobs"
}

build_preset release
ctest --preset release -j"$jobs"
build_preset pure
ctest --preset pure -j"$jobs"

if [[ "${1:-}" == "--sanitize" ]]; then
  reports=$(mktemp -d /tmp/strangler-sanitizer.XXXXXX)
  check_reports() {
    if compgen -G "$reports/*" >/dev/null; then
      echo "sanitizer reports ($1):"
      head -n 60 "$reports"/*
      exit 1
    fi
  }
  build_preset asan
  ASAN_OPTIONS="detect_leaks=1:log_path=$reports/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan" \
    ctest --preset asan -j"$jobs"
  check_reports asan
  build_preset tsan
  TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp:log_path=$reports/tsan" \
    ctest --preset tsan -j"$jobs"
  check_reports tsan
  rm -rf "$reports"
fi
