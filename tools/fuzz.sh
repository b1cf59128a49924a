#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` CMake preset: clang, ASan + UBSan) and runs each for a
# bounded time on a copy of its committed seed corpus (tests/fuzz/corpus/<target>/), so the
# committed corpus only changes when someone decides to add an input. A crash stops the script
# with libFuzzer's report and leaves the input as build/fuzz/crash-*; turn it into a unit test, and
# add the input to the target's corpus as regression-<what>: the "fuzz replay: <target>" ctest
# (tests/fuzz/replay.cmake) then runs it in every build.
#
# Usage: tools/fuzz.sh [seconds per target, default 60] [target ...]
#   e.g. tools/fuzz.sh 300 path_normalizer
set -euo pipefail

cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"${FUZZ_JOBS:-2}"

targets=("$@")
if ((${#targets[@]} == 0)); then
  for bin in build/fuzz/tests/fuzz/fuzz_*; do targets+=("${bin##*/fuzz_}"); done
fi
for target in "${targets[@]}"; do
  work="build/fuzz/corpus/$target"
  mkdir -p "$work"
  cp -n tests/fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
  echo "== fuzz_$target for ${seconds}s"
  (cd build/fuzz && "./tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
    -max_len=4096 -print_final_stats=1 "corpus/$target")
done
echo "fuzz: no crashes in ${targets[*]}"
