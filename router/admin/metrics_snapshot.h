// MetricsSnapshot: the router's metrics at one instant, merged across all I/O threads; plain data.
//
// MetricsRegistry::snapshot() builds one for each scrape; render_prometheus() (prometheus_text.h)
// turns it into the /metrics text, and the admin endpoints may read it directly. Being plain
// values in ordered maps, a snapshot can also be written by hand in tests, and iterating it
// gives the stable ordering the exposition promises.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "router/admin/latency_histogram.h"
#include "router/resilience/circuit_breaker.h"
#include "router/resilience/health_state.h"

namespace strangler {

// Status classes as label values; index = status / 100 - 1, anything outside 100..599 is "other".
inline constexpr std::array<const char*, 6> kCodeClasses{"1xx", "2xx", "3xx",
                                                         "4xx", "5xx", "other"};

inline std::size_t code_class_index(int status) {
  if (status < 100 || status > 599) return kCodeClasses.size() - 1;
  return static_cast<std::size_t>(status / 100 - 1);
}

struct RequestKey {
  std::string route;
  std::string target;
  std::string code_class;  // "2xx", ... (see kCodeClasses)
  auto operator<=>(const RequestKey&) const = default;
};

// A request refused by the router (at the edge, or its body), by status and error_reply.h label.
struct RefusalKey {
  int status = 0;
  std::string reason;  // "bad-framing", "header-timeout", ...
  auto operator<=>(const RefusalKey&) const = default;
};

struct TargetCounters {
  std::uint64_t bulkhead_rejections = 0;
  std::uint64_t retries = 0;
  std::uint64_t retry_budget_exhausted = 0;
  std::uint64_t queue_timeouts = 0;  // 503 queue-timeout: no connection within the queue timeout
};

// Active health checks of one target, by their result.
struct HealthCheckKey {
  std::string target;
  bool success = false;
  auto operator<=>(const HealthCheckKey&) const = default;
};

struct ShadowCounters {
  std::uint64_t comparisons = 0;  // every completed comparison, equal or not
  std::uint64_t mismatches = 0;   // the comparisons that found a difference
  std::uint64_t errors = 0;       // shadow call failed (transport error, timeout)
  std::uint64_t dropped = 0;      // never sent: queue full, in-flight cap, breaker open
  std::uint64_t skipped = 0;      // not mirrored: body over --shadow-max-body, primary failed
};

// A breaker is per route and target: `route` is its route_label ("(unmatched)" for the default).
struct BreakerKey {
  std::string route;
  std::string target;
  auto operator<=>(const BreakerKey&) const = default;
};

struct BreakerTransitionKey {
  std::string route;
  std::string target;
  BreakerState from = BreakerState::closed;
  BreakerState to = BreakerState::closed;
  auto operator<=>(const BreakerTransitionKey&) const = default;
};

struct MetricsSnapshot {
  std::map<RequestKey, std::uint64_t> requests;
  std::map<std::string, LatencyHistogram> latency;  // by target
  std::map<std::string, std::uint64_t> fallbacks;   // by reason
  std::map<RefusalKey, std::uint64_t> refusals;     // requests the router answered itself
  std::map<std::string, TargetCounters> targets;    // by target
  std::map<std::string, ShadowCounters> shadow;     // by route
  std::uint64_t shadow_write_drops = 0;
  std::map<BreakerKey, BreakerState> breaker_state;
  std::map<BreakerTransitionKey, std::uint64_t> breaker_transitions;
  std::map<std::string, Health> target_health;  // targets with a health check that reported
  std::map<HealthCheckKey, std::uint64_t> health_checks;
  std::map<std::string, std::int64_t> upstream_queue_waiting;  // requests waiting, by target
  std::int64_t rules_version = 0;
  std::uint64_t rules_reloads = 0;
  bool rules_stale = false;  // the database cannot be read; the last good rules serve
  std::int64_t in_flight = 0;
  std::int64_t open_connections = 0;
  std::uint64_t connections_refused = 0;
  std::int64_t idle_upstream_connections = 0;  // in the I/O threads' and the shadow pool
  std::uint64_t upstream_connects = 0;
  std::string build_version;  // empty: no strangler_build_info sample
};

}  // namespace strangler
