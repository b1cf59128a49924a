#!/usr/bin/env bash
# Installs the Debian 12 packages Strangler builds and tests with, if any is missing.
# Usage: tools/install-deps.sh            (build and test: gcc, clang for the pure preset and the
#                                          fuzzers, clang-format for the format check)
#        tools/install-deps.sh --bench    (also the benchmark peers wrk, nginx, haproxy, and the
#                                          profilers perf and valgrind)
set -euo pipefail

packages=(build-essential cmake pkg-config libsqlite3-dev sqlite3 libcli11-dev libfmt-dev
  doctest-dev nlohmann-json3-dev libcpp-httplib-dev libboost-dev libbenchmark-dev curl
  python3-prometheus-client python3-h11 clang clang-format)
for flag in "$@"; do
  case "$flag" in
    --bench) packages+=(wrk nginx-light haproxy linux-perf valgrind) ;;
    *) echo "install-deps.sh: unknown option $flag (use --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
