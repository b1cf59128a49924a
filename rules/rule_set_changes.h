// RuleSetChanges: what changed in the rules database after a RuleSet was loaded, and how to apply
// it to that RuleSet without reading every route again.
//
// With 100,000 routes a full load reads and parses every row; a flip touches one. The store logs
// the id of every route written (route_changes, filled by triggers), so a reload reads the
// targets (few) and only the touched routes' current rows; apply_changes merges them into the
// previous set, giving exactly what a full load would have.
#pragma once

#include <cstdint>
#include <vector>

#include "rules/rule_set.h"

namespace strangler {

struct RuleSetChanges {
  std::int64_t version = 0;     // the rules version now
  std::int64_t change_seq = 0;  // the last change log entry read
  std::vector<Target> targets;  // all of them, as now
  // Every route id written since the previous set's change_seq (sorted, unique); those absent
  // from `routes` were removed.
  std::vector<std::int64_t> touched_ids;
  std::vector<Route> routes;  // the touched routes that exist now, in route_order
};

// The order of RuleSet::routes (the store's "ORDER BY pattern, exact DESC, methods", a unique key).
bool route_order(const Route& a, const Route& b);

// `previous` with `changes` applied: targets replaced, touched routes replaced, removed or added.
RuleSet apply_changes(const RuleSet& previous, RuleSetChanges changes);

}  // namespace strangler
