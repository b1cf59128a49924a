// RouteBreakers; see route_breakers.h.
#include "router/routing/route_breakers.h"

#include <algorithm>

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
std::vector<std::size_t> client_targets(const CompiledRoute& route) {
  std::vector<std::size_t> out{route.target_index};
  auto add = [&out](std::size_t index) {
    if (index != kNoTarget && std::find(out.begin(), out.end(), index) == out.end()) {
      out.push_back(index);
    }
  };
  if (route.route && !route.route->split_target.empty()) add(route.split_target_index);
  add(route.fallback_index);
  if (route.route && !route.route->split_target.empty()) add(route.split_fallback_index);
  return out;
}

}  // namespace

std::shared_ptr<const RouteBreakerTable> RouteBreakers::sync(
    const RouteTable& table, std::chrono::steady_clock::time_point now,
    std::vector<std::shared_ptr<RouteBreaker>>* fresh,
    std::vector<std::shared_ptr<RouteBreaker>>* gone) {
  auto out = std::make_shared<RouteBreakerTable>();
  std::lock_guard lock(mutex_);
  std::map<Key, std::shared_ptr<RouteBreaker>> next;
  for (std::size_t slot = 0; slot <= table.route_count(); ++slot) {
    const auto& route = table.route(slot);
    out->first_.push_back(out->entries_.size());
    std::int64_t id = route.route ? route.route->id : 0;
    auto label = breaker_route_label(route);
    for (auto index : client_targets(route)) {
      const auto& target = table.target(index).target;
      Key key{id, label, target.name};
      auto kept = by_key_.find(key);
      std::shared_ptr<RouteBreaker> breaker;
      if (kept != by_key_.end() && same_protection(kept->second->target, target)) {
        breaker = kept->second;
      } else {
        breaker = std::make_shared<RouteBreaker>(id, label, target, now);
        if (fresh) fresh->push_back(breaker);
      }
      next.emplace(std::move(key), breaker);
      out->entries_.push_back({index, std::move(breaker)});
    }
  }
  out->first_.push_back(out->entries_.size());
  if (gone) {
    for (const auto& [key, breaker] : by_key_) {
      auto now_used = next.find(key);
      if (now_used == next.end() || now_used->second != breaker) gone->push_back(breaker);
    }
  }
  by_key_ = std::move(next);
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
