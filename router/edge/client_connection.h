// serve_client: one client connection, from accept to close, as a coroutine on its I/O thread.
//
// Per request, the phases of client_session.cpp: read and check the header, normalize the path,
// route on the current table snapshot, forward (upstream/forwarder.h), finish. Requests on one
// connection are handled in order, so pipelined requests are answered in order.
#pragma once

#include <atomic>

#include <random>

#include "router/admin/access_log.h"
#include "router/admin/metrics.h"
#include "router/edge/proxy_options.h"
#include "router/net/asio.h"
#include "router/routing/route_snapshot.h"
#include "router/shadow/shadow_tap.h"
#include "router/upstream/upstream_pool.h"

namespace strangler {

class ShadowDispatcher;

// What one I/O thread shares between its connections; touched only from that thread, except
// `in_flight`, which the server reads to drain on shutdown, and `draining`, which it sets.
struct WorkerContext {
  WorkerContext(const RouteSnapshot& snapshot, Executor executor, const ProxyOptions& opts,
                std::atomic<int>& in_flight_requests, const std::atomic<bool>& draining_flag,
                MetricsRegistry& registry, int thread_index, AccessLog* log,
                ShadowDispatcher* shadow_dispatcher)
      : routes(snapshot),
        pool(executor, pool_limits(opts.upstream_idle_timeout), registry.shard(thread_index)),
        options(opts),
        in_flight(in_flight_requests),
        draining(draining_flag),
        metrics_registry(registry),
        metrics(registry.shard(thread_index)),
        access_log(log),
        shadow(executor, shadow_dispatcher, metrics),
        rng(std::random_device{}()) {}

  RouteSnapshotReader routes;
  UpstreamPool pool;
  const ProxyOptions& options;
  std::atomic<int>& in_flight;
  // Set on SIGTERM: every answer from then on says Connection: close.
  const std::atomic<bool>& draining;
  MetricsRegistry& metrics_registry;  // process-wide values (breaker states and transitions)
  ThreadMetrics& metrics;             // this thread's shard
  AccessLog* access_log;              // null when off
  ShadowHandoff shadow;               // taps nothing when shadowing is off
  std::mt19937_64 rng;                // backoff jitter
};

Task<void> serve_client(Socket socket, WorkerContext& worker);

}  // namespace strangler
