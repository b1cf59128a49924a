#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts a monolith (legacy-stub on :9001), an
# "extracted" orders service (legacy-stub --variant extracted on :9002), a demo rule set and the
# router (:8080, admin :8081), prints a few commands to try, and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target strangler-router stranglerctl legacy-stub

bin=build/release
legacy_port=${LEGACY_PORT:-9001}
orders_port=${ORDERS_PORT:-9002}
router_port=${ROUTER_PORT:-8080}
admin_port=${ADMIN_PORT:-8081}
work=$(mktemp -d /tmp/strangler-demo.XXXXXX)
export STRANGLER_DB="$work/shop.db"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo stopped; rules and logs kept in $work"
}
trap cleanup EXIT INT TERM

$bin/legacy-stub/legacy-stub --listen 127.0.0.1:$legacy_port --name monolith >"$work/monolith.log" 2>&1 &
pids+=($!)
$bin/legacy-stub/legacy-stub --listen 127.0.0.1:$orders_port --name orders-service \
  --variant extracted >"$work/orders.log" 2>&1 &
pids+=($!)

ctl=$bin/tools/stranglerctl
$ctl init --legacy http://127.0.0.1:$legacy_port
$ctl target add orders http://127.0.0.1:$orders_port --timeout-ms 5000
$ctl route add /orders --to legacy --methods GET,HEAD

$bin/router/strangler-router --listen 127.0.0.1:$router_port --admin 127.0.0.1:$admin_port \
  >"$work/router.out" 2>"$work/router.log" &
pids+=($!)
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$admin_port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

cat <<TRY

Strangler demo is running (rules: $STRANGLER_DB, logs: $work).
Try, in another terminal (export STRANGLER_DB=$STRANGLER_DB first):

  curl -si http://127.0.0.1:$router_port/orders/42 | head -20      # served by the monolith
  $ctl route flip /orders --to orders                       # move /orders to the new service
  curl -si http://127.0.0.1:$router_port/orders/42 | head -20      # X-Strangler-Target: orders
  $ctl route flip /orders --to legacy                       # back again...
  $ctl route flip /orders --to orders --percent 20 --sticky-header X-User
  for u in a b c d e f g h; do curl -s -o /dev/null -w "%{http_code} " -H "X-User: \$u" \\
    -D - http://127.0.0.1:$router_port/orders/1 | grep -i x-strangler-target; done
  $ctl route list
  $ctl history
  $ctl undo
  curl -s http://127.0.0.1:$admin_port/admin/rules

Press Ctrl-C to stop.
TRY
wait
