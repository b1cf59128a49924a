// RouteBreakers; see route_breakers.h.
#include "router/routing/route_breakers.h"

#include <algorithm>
#include <array>
#include <unordered_set>

#include "router/routing/target_runtime.h"
#include "rules/rule_text.h"

namespace strangler {

RouteBreaker::RouteBreaker(std::int64_t id, std::string label, const Target& t,
                           std::chrono::steady_clock::time_point now)
    : route_id(id), route(std::move(label)), target(t), breaker(breaker_settings(t), now) {}

std::string breaker_route_label(const CompiledRoute& route) {
  return route.route ? route_label(*route.route) : route.label;
}

namespace {

// The targets a route's client traffic can go to, each once.
// The targets a route's client traffic can go to, each once (at most four: no allocation per
// route, which counts with 100,000 of them).
struct ClientTargets {
  std::array<std::size_t, 4> index{};
  std::size_t count = 0;
  void add(std::size_t target) {
    if (target == kNoTarget ||
        std::find(index.begin(), index.begin() + count, target) != index.begin() + count) {
      return;
    }
    index[count++] = target;
  }
};

ClientTargets client_targets(const CompiledRoute& route) {
  ClientTargets out;
  out.add(route.target_index);
  bool split = route.route && !route.route->split_target.empty();
  if (split) out.add(route.split_target_index);
  out.add(route.fallback_index);
  if (split) out.add(route.split_fallback_index);
  return out;
}

}  // namespace

std::size_t RouteBreakerTable::entry_of(std::size_t slot, std::size_t target_index) const {
  if (slot + 1 >= first_.size()) return entries_.size();
  for (auto i = first_[slot]; i < first_[slot + 1]; ++i) {
    if (entries_[i].target_index == target_index) return i;
  }
  return entries_.size();
}

RouteBreaker* RouteBreakerTable::find(std::size_t slot, std::size_t target_index) const {
  auto entry = entry_of(slot, target_index);
  return entry < entries_.size() ? made_[entry].load(std::memory_order_acquire) : nullptr;
}

RouteBreaker* RouteBreakerTable::get(std::size_t slot, std::size_t target_index) const {
  auto entry = entry_of(slot, target_index);
  if (entry == entries_.size()) return nullptr;
  if (auto* made = made_[entry].load(std::memory_order_acquire)) return made;
  return registry_.make(*this, entry);
}

RouteBreakers::Key RouteBreakers::key_of(const RouteTable& table, std::size_t slot,
                                         std::size_t target_index) {
  const auto& route = table.route(slot);
  return {route.route ? route.route->id : 0, breaker_route_label(route),
          table.target(target_index).target.name};
}

// A breaker made by the table that is no longer current (a request routed before a reload) is
// the table's own: the registry keeps only the current table's.
RouteBreaker* RouteBreakers::make(const RouteBreakerTable& table, std::size_t entry) {
  std::lock_guard lock(mutex_);
  if (auto* made = table.made_[entry].load(std::memory_order_acquire)) return made;
  const auto& [slot, target_index] = table.entries_[entry];
  auto key = key_of(table.table_, slot, target_index);
  const auto& [id, label, target_name] = key;
  auto breaker = std::make_shared<RouteBreaker>(id, label, table.table_.target(target_index).target,
                                                std::chrono::steady_clock::now());
  if (&table == current_) {
    by_key_.emplace(key, breaker);
    if (on_create_) on_create_(*breaker);
  }
  {
    std::lock_guard owned(table.mutex_);
    table.owned_.push_back(breaker);
  }
  table.made_[entry].store(breaker.get(), std::memory_order_release);
  return breaker.get();
}

std::shared_ptr<const RouteBreakerTable> RouteBreakers::sync(
    const RouteTable& table, std::vector<std::shared_ptr<RouteBreaker>>* gone) {
  std::shared_ptr<RouteBreakerTable> out(new RouteBreakerTable(*this, table));
  out->first_.reserve(table.route_count() + 2);
  out->entries_.reserve(2 * (table.route_count() + 1));
  for (std::size_t slot = 0; slot <= table.route_count(); ++slot) {
    out->first_.push_back(out->entries_.size());
    auto targets = client_targets(table.route(slot));
    for (std::size_t i = 0; i < targets.count; ++i) {
      out->entries_.push_back({slot, targets.index[i]});
    }
  }
  out->first_.push_back(out->entries_.size());
  out->made_ = std::make_unique<std::atomic<RouteBreaker*>[]>(out->entries_.size());
  std::lock_guard lock(mutex_);
  std::map<Key, std::shared_ptr<RouteBreaker>> kept;
  // Only the breakers in use are looked for, and a key is built only for a route id in use: with
  // 100,000 routes the few in use cost little, and none at all on a router's first load.
  std::unordered_set<std::int64_t> ids_in_use;
  for (const auto& [key, breaker] : by_key_) ids_in_use.insert(std::get<0>(key));
  for (std::size_t entry = 0; !by_key_.empty() && entry < out->entries_.size(); ++entry) {
    const auto& [slot, target_index] = out->entries_[entry];
    const auto* rule = table.route(slot).route;
    if (!ids_in_use.count(rule ? rule->id : 0)) continue;
    auto key = key_of(table, slot, target_index);
    auto found = by_key_.find(key);
    if (found == by_key_.end() ||
        !same_protection(found->second->target, table.target(target_index).target)) {
      continue;
    }
    out->owned_.push_back(found->second);
    out->made_[entry].store(found->second.get(), std::memory_order_relaxed);
    kept.emplace(std::move(key), found->second);
  }
  if (gone) {
    for (const auto& [key, breaker] : by_key_) {
      if (!kept.count(key)) gone->push_back(breaker);
    }
  }
  by_key_ = std::move(kept);
  current_ = out.get();
  return out;
}

std::vector<std::shared_ptr<RouteBreaker>> RouteBreakers::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<RouteBreaker>> out;
  for (const auto& [key, breaker] : by_key_) out.push_back(breaker);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a->route, a->target.name) < std::tie(b->route, b->target.name);
  });
  return out;
}

}  // namespace strangler
