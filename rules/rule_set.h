// RuleSet: the plain data of a rule set as loaded from the store, before compilation into a
// RouteTable. Targets and routes are values; nothing here knows about SQLite or HTTP.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/method_set.h"
#include "rules/pattern.h"

namespace strangler {

inline constexpr const char* kDefaultTarget = "legacy";

// Route::fallback's value for "no fallback, even where the default would have one". Stored
// distinctly from the default (nullopt). Neither word can name a target.
inline constexpr const char* kNoFallback = "none";
// Not stored: the word that `route add/flip --fallback` takes to go back to the default.
inline constexpr const char* kDefaultFallback = "default";

// How the router protects a target and its callers (see issue 4): a circuit breaker, a bulkhead
// and retries. Ranges are checked by validate_resilience (rule_validation.h).
struct TargetResilience {
  // The breaker opens when, among the last `breaker_window` calls and once at least
  // `breaker_min_calls` (<= window) were seen, `breaker_failure_threshold` consecutive calls
  // failed or the failure rate reached `breaker_failure_rate` (a fraction in (0, 1]).
  int breaker_window = 20;            // 1..1000
  int breaker_min_calls = 5;          // 1..breaker_window
  int breaker_failure_threshold = 5;  // 1..1000
  double breaker_failure_rate = 0.5;  // (0, 1]
  int breaker_recovery_ms = 30000;    // open -> half-open after this long; 1..3600000
  int breaker_half_open_probes = 3;   // requests admitted in half-open; 1..100
  bool count_5xx_as_failure = true;   // false: only transport errors and timeouts count
  int max_concurrent = 0;             // bulkhead: 0 = unlimited; 0..100000
  int retries = 1;                    // 0..5
  int backoff_ms = 25;                // base of exponential backoff with full jitter; 1..10000
  // Active health check (issue 15): `GET health_path` every health_interval_ms, answered 2xx or
  // 3xx within health_timeout_ms; down after unhealthy_threshold failures in a row, up again
  // after healthy_threshold successes. "" (the default): no check, the target counts as up.
  std::string health_path;        // "" or "/...", at most 1024 characters
  int health_interval_ms = 5000;  // 100..3600000
  int health_timeout_ms = 1000;   // 1..600000, at most the interval
  int healthy_threshold = 2;      // 1..100
  int unhealthy_threshold = 3;    // 1..100
  // Connections to the target (idle pooled and in use) across all I/O threads; a request beyond
  // them waits up to queue_timeout_ms (0: not at all) for one, then gets 503 queue-timeout.
  int max_connections = 0;      // 0 = unlimited; 0..100000
  int queue_timeout_ms = 5000;  // 0..600000

  bool operator==(const TargetResilience&) const = default;
};

struct Target {
  std::string name;
  std::string url;  // as given, validated by parse_target_url
  int connect_timeout_ms = 1000;
  int timeout_ms = 15000;
  TargetResilience resilience{};
};

// What a shadowed route mirrors, and where (issue 3). The route keeps answering from its primary
// target; sampled requests are copied to `target` and the two answers compared.
struct ShadowConfig {
  std::string target;  // the shadow target; never the route's own (full-flip) target
  int percent = 100;   // 1..100 of the route's requests, chosen by a hash of method, path, query
  // Methods mirrored. Default GET,HEAD,OPTIONS: other methods would run writes twice.
  MethodSet methods = MethodSet::parse("GET,HEAD,OPTIONS");
  bool noise_check = false;  // also send safe requests a second time to the primary
  // Response headers compared (case-insensitive names, canonical spelling as given).
  std::vector<std::string> compare_headers{"Content-Type"};

  bool operator==(const ShadowConfig&) const = default;
};

// A difference to leave out of comparisons of one route: a JSON path pattern ("$.meta.at",
// "$.items[*].price", "$.*.id"; see json_path_pattern.h) or a response header name.
struct DiffIgnore {
  enum class Kind { json_path, header };
  Kind kind = Kind::json_path;
  std::string expr;

  bool operator==(const DiffIgnore&) const = default;
};

struct Route {
  std::int64_t id = 0;
  Pattern pattern;
  MethodSet methods;
  std::string target;
  // Gradual flip: split_percent % of the route's requests go to split_target, chosen by a hash
  // of sticky_header's value (empty: the client address). No split when split_target is empty.
  std::string split_target;
  int split_percent = 0;
  std::string sticky_header;
  // Where requests go when the primary target cannot take them (breaker open, connection
  // refused, bulkhead full). nullopt: the default (kDefaultTarget, unless the primary is
  // kDefaultTarget); kNoFallback: none; otherwise the name of another target (never `target`).
  std::optional<std::string> fallback{};
  // The methods whose requests may go to the fallback. Others get the router's error instead:
  // a write sent to the fallback would land in the wrong database.
  MethodSet fallback_methods = MethodSet::parse("GET,HEAD,OPTIONS");
  std::optional<ShadowConfig> shadow{};
  std::vector<DiffIgnore> ignores{};  // ordered by kind, then expr
};

// The target that serves a request of `route` when `primary` (route.target or route.split_target,
// whichever the request was sent to) cannot; nullopt when there is none.
inline std::optional<std::string> effective_fallback(const Route& route, std::string_view primary) {
  std::string name = route.fallback.value_or(kDefaultTarget);
  if (name == kNoFallback || name == primary) return std::nullopt;
  return name;
}

struct RuleSet {
  std::int64_t version = 0;
  // The last entry of the store's route change log this set includes (0: none); a reload asks
  // for the routes changed after it (rule_set_changes.h).
  std::int64_t change_seq = 0;
  std::vector<Target> targets;
  std::vector<Route> routes;  // in route_order (rule_set_changes.h)
};

}  // namespace strangler
