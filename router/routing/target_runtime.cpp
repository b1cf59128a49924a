// TargetRuntime and TargetRuntimes; see target_runtime.h.
#include "router/routing/target_runtime.h"

#include "router/upstream/connection_limiter.h"

namespace strangler {

bool same_protection(const Target& a, const Target& b) {
  return a.connect_timeout_ms == b.connect_timeout_ms && a.timeout_ms == b.timeout_ms &&
         a.resilience == b.resilience;
}

// What a changed target keeps from its previous runtime. The connection limiter, when the limit
// is the same: the connections it counts stay open, and a fresh count would let a second batch
// open beside them. The health verdict, when the same check still applies: a down target must
// not be served until its checks say otherwise.
void carry_over(const TargetRuntime& old, TargetRuntime& fresh) {
  const auto& a = old.target.resilience;
  const auto& b = fresh.target.resilience;
  if (old.connections && fresh.connections && a.max_connections == b.max_connections) {
    old.connections->set_queue_timeout(std::chrono::milliseconds(b.queue_timeout_ms));
    fresh.connections = old.connections;
  }
  if (old.target.url == fresh.target.url && a.health_path == b.health_path &&
      !b.health_path.empty()) {
    fresh.health.store(old.health.load());
  }
}

BreakerSettings breaker_settings(const Target& target) {
  const auto& r = target.resilience;
  BreakerSettings settings;
  settings.window = r.breaker_window;
  settings.min_calls = r.breaker_min_calls;
  settings.failure_threshold = r.breaker_failure_threshold;
  settings.failure_rate = r.breaker_failure_rate;
  settings.recovery = std::chrono::milliseconds(r.breaker_recovery_ms);
  settings.half_open_probes = r.breaker_half_open_probes;
  settings.probe_timeout = std::chrono::milliseconds(target.connect_timeout_ms + target.timeout_ms);
  return settings;
}

TargetRuntime::TargetRuntime(const Target& t, std::chrono::steady_clock::time_point /*now*/)
    : target(t), bulkhead(t.resilience.max_concurrent) {
  const auto& r = t.resilience;
  if (r.max_connections > 0) {
    connections = std::make_shared<ConnectionLimiter>(
        r.max_connections, std::chrono::milliseconds(r.queue_timeout_ms));
  }
}

std::vector<std::shared_ptr<TargetRuntime>> TargetRuntimes::sync(
    const RouteTable& table, std::chrono::steady_clock::time_point now,
    std::vector<std::string>* fresh) {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::shared_ptr<TargetRuntime>, std::less<>> next;
  std::vector<std::shared_ptr<TargetRuntime>> ordered;
  for (std::size_t i = 0; i < table.target_count(); ++i) {
    const auto& target = table.target(i).target;
    auto kept = by_name_.find(target.name);
    std::shared_ptr<TargetRuntime> runtime;
    if (kept != by_name_.end() && same_protection(kept->second->target, target)) {
      runtime = kept->second;
    } else {
      runtime = std::make_shared<TargetRuntime>(target, now);
      if (kept != by_name_.end()) carry_over(*kept->second, *runtime);
      if (fresh) fresh->push_back(target.name);
    }
    next.emplace(target.name, runtime);
    ordered.push_back(std::move(runtime));
  }
  by_name_ = std::move(next);
  return ordered;
}

std::vector<std::shared_ptr<TargetRuntime>> TargetRuntimes::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<TargetRuntime>> out;
  for (const auto& [name, runtime] : by_name_) out.push_back(runtime);
  return out;
}

std::shared_ptr<TargetRuntime> TargetRuntimes::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace strangler
