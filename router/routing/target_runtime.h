// TargetRuntime: the live protection state of one target that guards the target as a whole — its
// retry budget and bulkhead — shared by every I/O thread and by every route that sends to the
// target. Circuit breakers are per route and target (route_breakers.h).
//
// TargetRuntimes keeps them across rule reloads: a target whose settings did not change keeps its
// runtime; a changed target gets a fresh one. The reloader publishes the runtimes next to the
// RouteTable (RoutingState), index for index with the table's targets, so the request path finds a
// target's runtime without a lookup or lock.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "router/resilience/bulkhead.h"
#include "router/resilience/circuit_breaker.h"
#include "router/resilience/health_state.h"
#include "router/resilience/retry_budget.h"
#include "router/routing/route_breakers.h"
#include "rules/route_table.h"

namespace strangler {

class ConnectionLimiter;

struct TargetRuntime {
  TargetRuntime(const Target& target, std::chrono::steady_clock::time_point now);

  Target target;  // the settings it was built from
  RetryBudget budget;
  Bulkhead bulkhead;
  // What the active health checks say (HealthChecker writes it); down is refused like an open
  // breaker. Unchecked (no check, or none finished yet) is served.
  std::atomic<Health> health{Health::unchecked};
  // --max-connections: null when unlimited. Forward-declared: its header needs Asio.
  std::shared_ptr<ConnectionLimiter> connections;
};

// Gives `fresh`, the runtime of a changed target, what it keeps of `old` (the connection limiter,
// the health verdict) while the settings they depend on are the same.
void carry_over(const TargetRuntime& old, TargetRuntime& fresh);

// A probe that never reports is bounded by what a call to the target may take at most.
BreakerSettings breaker_settings(const Target& target);

// True when protection state built for `a` fits `b`: same timeouts and resilience settings.
bool same_protection(const Target& a, const Target& b);

// What the I/O threads read: a table, its targets' runtimes and its routes' breakers, published
// together.
struct RoutingState {
  std::shared_ptr<const RouteTable> table;
  std::vector<std::shared_ptr<TargetRuntime>> runtimes;  // parallel to table->target(i)
  std::shared_ptr<const RouteBreakerTable> breakers;     // by route slot and target index
};

class TargetRuntimes {
 public:
  // The runtimes for `table`'s targets, reusing those whose settings are unchanged. Returns the
  // names of targets that got a fresh runtime (for the caller to log and to reset metrics).
  std::vector<std::shared_ptr<TargetRuntime>> sync(const RouteTable& table,
                                                   std::chrono::steady_clock::time_point now,
                                                   std::vector<std::string>* fresh = nullptr);
  std::vector<std::shared_ptr<TargetRuntime>> all() const;
  std::shared_ptr<TargetRuntime> find(std::string_view name) const;

  // The per-route breakers, kept beside the per-target state so that whoever holds one (the
  // reloader, the admin server) holds both.
  RouteBreakers& breakers() { return breakers_; }

 private:
  RouteBreakers breakers_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<TargetRuntime>, std::less<>> by_name_;
};

}  // namespace strangler
