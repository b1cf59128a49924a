// RouteBreakers: the circuit breakers of client traffic, one per route and target, so that one
// failing endpoint never changes how another route's traffic is served. (Retry budget and
// bulkhead stay per target, in TargetRuntime: they protect the target as a whole.)
//
// The registry keeps breakers across rule reloads, keyed by route id, route label and target
// name: a route whose target's settings did not change keeps its breaker (an open breaker stays
// open through an unrelated flip); a changed target gives its routes fresh ones. Each reload
// publishes a RouteBreakerTable next to the RouteTable (RoutingState), where the request path
// finds a route's breaker for a target by the route's slot and the target's index: no lock, no
// string compared.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "router/resilience/circuit_breaker.h"
#include "rules/route_table.h"

namespace strangler {

struct RouteBreaker {
  RouteBreaker(std::int64_t route_id, std::string route, const Target& target,
               std::chrono::steady_clock::time_point now);

  std::int64_t route_id;  // 0 for the default route
  std::string route;      // route_label(), "(unmatched)" for the default route
  Target target;          // the settings it was built from
  CircuitBreaker breaker;
};

// The label of a compiled route as breakers show it: route_label() of its rule, or
// "(unmatched)" for the default route.
std::string breaker_route_label(const CompiledRoute& route);

// One table's breakers: for each route (by slot), one per target its client traffic can go to
// (the target, the split target and their fallbacks).
class RouteBreakerTable {
 public:
  // The breaker of the route in `slot` for the target at `target_index`; null when the route
  // never sends client traffic there (a shadow target).
  RouteBreaker* find(std::size_t slot, std::size_t target_index) const {
    if (slot + 1 >= first_.size()) return nullptr;
    for (auto i = first_[slot]; i < first_[slot + 1]; ++i) {
      if (entries_[i].target_index == target_index) return entries_[i].breaker.get();
    }
    return nullptr;
  }

 private:
  friend class RouteBreakers;
  struct Entry {
    std::size_t target_index;
    std::shared_ptr<RouteBreaker> breaker;
  };
  std::vector<Entry> entries_;
  std::vector<std::size_t> first_;  // entries of slot s: [first_[s], first_[s + 1])
};

class RouteBreakers {
 public:
  // The breakers for `table`'s routes, reusing those whose key and settings are unchanged.
  // `fresh` gets the breakers made new, `gone` those no longer used (for the caller to log and
  // to set or drop metrics).
  std::shared_ptr<const RouteBreakerTable> sync(
      const RouteTable& table, std::chrono::steady_clock::time_point now,
      std::vector<std::shared_ptr<RouteBreaker>>* fresh = nullptr,
      std::vector<std::shared_ptr<RouteBreaker>>* gone = nullptr);

  // Every breaker of the current table, ordered by route label, then target.
  std::vector<std::shared_ptr<RouteBreaker>> all() const;

 private:
  using Key = std::tuple<std::int64_t, std::string, std::string>;  // route id, label, target
  mutable std::mutex mutex_;
  std::map<Key, std::shared_ptr<RouteBreaker>> by_key_;
};

}  // namespace strangler
