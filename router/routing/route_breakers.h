// RouteBreakers: the circuit breakers of client traffic, one per route and target, so that one
// failing endpoint never changes how another route's traffic is served. (Retry budget and
// bulkhead stay per target, in TargetRuntime: they protect the target as a whole.)
//
// The registry keeps breakers across rule reloads, keyed by route id, route label and target
// name: a route whose target's settings did not change keeps its breaker (an open breaker stays
// open through an unrelated flip); a changed target gives its routes fresh ones. Each reload
// publishes a RouteBreakerTable next to the RouteTable (RoutingState), where the request path
// finds a route's breaker for a target by the route's slot and the target's index: one atomic
// load, no lock, no string compared; the lock is taken once, when the breaker is made.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
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

class RouteBreakers;

// One table's breakers: for each route (by slot), a place for one per target its client traffic
// can go to (the target, the split target and their fallbacks). A breaker is made when the route
// first sends a request to the target: with 100,000 routes, only those in use cost memory and a
// metric.
class RouteBreakerTable {
 public:
  RouteBreakerTable(const RouteBreakerTable&) = delete;
  RouteBreakerTable& operator=(const RouteBreakerTable&) = delete;

  // The breaker of the route in `slot` for the target at `target_index`, made on first use; null
  // when the route never sends client traffic there (a shadow target).
  RouteBreaker* get(std::size_t slot, std::size_t target_index) const;
  // The same, but only when it was made already.
  RouteBreaker* find(std::size_t slot, std::size_t target_index) const;

 private:
  friend class RouteBreakers;
  RouteBreakerTable(RouteBreakers& registry, const RouteTable& table)
      : registry_(registry), table_(table) {}
  struct Entry {
    std::size_t slot;
    std::size_t target_index;
  };
  // The entry of (slot, target_index), or entries_.size() when there is none.
  std::size_t entry_of(std::size_t slot, std::size_t target_index) const;

  RouteBreakers& registry_;
  const RouteTable& table_;  // published beside this table, in the same RoutingState
  std::vector<Entry> entries_;
  std::vector<std::size_t> first_;  // entries of slot s: [first_[s], first_[s + 1])
  std::unique_ptr<std::atomic<RouteBreaker*>[]> made_;        // by entry; null until made
  mutable std::mutex mutex_;                                  // guards owned_
  mutable std::vector<std::shared_ptr<RouteBreaker>> owned_;  // what made_ points to
};

class RouteBreakers {
 public:
  // Called (under the registry's lock) for each breaker made for the current table.
  using OnCreate = std::function<void(const RouteBreaker&)>;
  void on_create(OnCreate callback) { on_create_ = std::move(callback); }

  // The breakers for `table`'s routes: those made for the previous table are kept when their key
  // and settings are unchanged, the others are made on first use. `gone` gets the breakers no
  // longer used (for the caller to log and to drop metrics).
  std::shared_ptr<const RouteBreakerTable> sync(
      const RouteTable& table, std::vector<std::shared_ptr<RouteBreaker>>* gone = nullptr);

  // Every breaker made for the current table, ordered by route label, then target.
  std::vector<std::shared_ptr<RouteBreaker>> all() const;

 private:
  friend class RouteBreakerTable;
  using Key = std::tuple<std::int64_t, std::string, std::string>;  // route id, label, target
  static Key key_of(const RouteTable& table, std::size_t slot, std::size_t target_index);
  RouteBreaker* make(const RouteBreakerTable& table, std::size_t entry);

  mutable std::mutex mutex_;
  std::map<Key, std::shared_ptr<RouteBreaker>> by_key_;  // those made for the current table
  const RouteBreakerTable* current_ = nullptr;
  OnCreate on_create_;
};

}  // namespace strangler
