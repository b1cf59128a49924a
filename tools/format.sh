#!/usr/bin/env bash
# clang-format over every tracked C++ file (git ls-files '*.cpp' '*.h'), with the repository's
# .clang-format. tools/test.sh runs the check before building, so CI fails on an unformatted file.
# Formatting differs between clang-format versions: this is checked with Debian 12's (14).
#
# Usage: tools/format.sh           format them in place
#        tools/format.sh --check   list the files that are not formatted; exit 1 if there is one
# CLANG_FORMAT=/path/to/clang-format picks another binary.
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: tools/format.sh [--check]" >&2; exit 2 ;;
esac

clang_format="${CLANG_FORMAT:-clang-format}"
if ! command -v "$clang_format" >/dev/null; then
  echo "format.sh: $clang_format not found (Debian: apt-get install clang-format)" >&2
  exit 2
fi

mapfile -d '' tracked < <(git ls-files -z -- '*.cpp' '*.h')
files=()
for file in "${tracked[@]}"; do
  [[ -f "$file" ]] && files+=("$file")  # skips a file deleted in the working tree, not yet in git
done
((${#files[@]} > 0)) || exit 0

if ! $check; then
  "$clang_format" -i "${files[@]}"
  exit 0
fi
# One clang-format for all the files (one per file takes a minute on a busy machine). With
# --dry-run --Werror it reports each change it would make as "FILE:LINE:COL: error: ...
# [-Wclang-format-violations]" and exits non-zero.
if report=$("$clang_format" --dry-run --Werror "${files[@]}" 2>&1); then
  exit 0
fi
mapfile -t unformatted < <(grep -F -- '-Wclang-format-violations' <<<"$report" |
  sed -E 's/:[0-9]+:[0-9]+: .*//' | sort -u)
if ((${#unformatted[@]} == 0)); then
  echo "format.sh: $clang_format failed:" >&2
  echo "$report" >&2
  exit 2
fi
echo "not clang-formatted (run tools/format.sh):"
printf '  %s\n' "${unformatted[@]}"
exit 1
