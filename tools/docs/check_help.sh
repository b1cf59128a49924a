#!/usr/bin/env bash
# Checks that a doc page quotes a binary's `--help` output exactly, so that the option reference
# cannot drift from the code. The page holds the output in a fenced block between two markers:
#
#   <!-- BEGIN NAME --help -->
#   ```text
#   ...output of `NAME --help`...
#   ```
#   <!-- END NAME --help -->
#
# Usage: tools/docs/check_help.sh [--update] BINARY DOC NAME
#   BINARY  the built executable; it runs as `NAME --help` (argv[0] set to NAME, so the usage line
#           does not depend on where the build put it) with STRANGLER_* variables unset
#   DOC     the Markdown page holding the block
#   NAME    the program name in the markers (strangler-router, stranglerctl)
# Without --update: exit 0 when the block equals the output (trailing blanks ignored), else print a
# one-line summary and exit 1. With --update: rewrite the block from the output, rest untouched.
set -euo pipefail

update=0
if [[ "${1:-}" == "--update" ]]; then
  update=1
  shift
fi
if [[ $# -ne 3 ]]; then
  echo "usage: $0 [--update] BINARY DOC NAME" >&2
  exit 2
fi
binary=$1 doc=$2 name=$3
begin="<!-- BEGIN $name --help -->"
end="<!-- END $name --help -->"

fail() {
  echo "check_help: $*" >&2
  exit 1
}
[[ -x "$binary" ]] || fail "$binary is not an executable (build it first)"
[[ -f "$doc" ]] || fail "$doc does not exist"
[[ $(grep -cxF -- "$begin" "$doc") == 1 && $(grep -cxF -- "$end" "$doc") == 1 ]] ||
  fail "$doc must hold exactly one line '$begin' and one line '$end'"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The binary's help, trailing blanks and trailing empty lines removed.
if ! (unset STRANGLER_DB STRANGLER_ADMIN_TOKEN; exec -a "$name" "$binary" --help) \
    >"$tmp/raw" 2>"$tmp/err"; then
  fail "'$name --help' failed: $(head -n 1 "$tmp/err")"
fi
sed -e 's/[[:space:]]*$//' "$tmp/raw" | sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}' >"$tmp/help"

# The block in the doc: the lines between the markers, without the fence lines.
awk -v b="$begin" -v e="$end" '
  $0 == b { inside = 1; next }
  $0 == e { inside = 0; next }
  inside { print }' "$doc" >"$tmp/block_fenced"
first=$(head -n 1 "$tmp/block_fenced")
last=$(tail -n 1 "$tmp/block_fenced")
if [[ "$first" == '```'* && "$last" == '```' ]]; then
  sed -e '1d' -e '$d' "$tmp/block_fenced" | sed -e 's/[[:space:]]*$//' >"$tmp/block"
else
  : >"$tmp/block"  # no fenced block yet: treated as empty
fi

if [[ $update == 1 ]]; then
  {
    echo '```text'
    cat "$tmp/help"
    echo '```'
  } >"$tmp/new_block"
  awk -v b="$begin" -v e="$end" -v f="$tmp/new_block" '
    $0 == b { print; while ((getline line < f) > 0) print line; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }' "$doc" >"$tmp/doc"
  cat "$tmp/doc" >"$doc"
  echo "check_help: updated the '$name --help' block in $doc"
  exit 0
fi

if cmp -s "$tmp/help" "$tmp/block"; then
  echo "check_help: $doc matches '$name --help'"
  exit 0
fi
changed=$(diff "$tmp/block" "$tmp/help" | grep -c '^[<>]' || true)
at=$(diff "$tmp/block" "$tmp/help" | grep -m 1 -o '^[0-9][0-9,]*' | cut -d, -f1 || true)
new=$(diff "$tmp/block" "$tmp/help" | grep -m 1 '^>' | cut -c3- || true)
echo "check_help: $doc differs from '$name --help': $changed line(s) added or removed," \
  "first at block line ${at:-?}${new:+ (now: \"$new\")};" \
  "update with: tools/docs/check_help.sh --update $binary $doc $name"
exit 1
