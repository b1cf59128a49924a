// RuleSetChanges; see rule_set_changes.h.
#include "rules/rule_set_changes.h"

#include <algorithm>
#include <iterator>
#include <string>

namespace strangler {

bool route_order(const Route& a, const Route& b) {
  if (int c = a.pattern.text().compare(b.pattern.text()); c != 0) return c < 0;
  if (a.pattern.exact != b.pattern.exact) return a.pattern.exact;  // exact DESC
  return a.methods.text() < b.methods.text();
}

RuleSet apply_changes(const RuleSet& previous, RuleSetChanges changes) {
  RuleSet next;
  next.version = changes.version;
  next.change_seq = changes.change_seq;
  next.targets = std::move(changes.targets);
  next.routes.reserve(previous.routes.size() + changes.routes.size());
  const auto touched = [&](const Route& route) {
    return std::binary_search(changes.touched_ids.begin(), changes.touched_ids.end(), route.id);
  };
  // Both inputs are in route_order: one merge pass keeps it, as a full load would.
  auto fresh = changes.routes.begin();
  for (const Route& route : previous.routes) {
    if (touched(route)) continue;
    while (fresh != changes.routes.end() && route_order(*fresh, route)) {
      next.routes.push_back(std::move(*fresh++));
    }
    next.routes.push_back(route);
  }
  std::move(fresh, changes.routes.end(), std::back_inserter(next.routes));
  return next;
}

}  // namespace strangler
