// Per-thread metrics shards and their registry; see metrics.h.
#include "router/admin/metrics.h"

#include <algorithm>
#include <stdexcept>

namespace strangler {

namespace {

std::chrono::seconds positive_bucket(std::chrono::seconds bucket) {
  return bucket.count() > 0 ? bucket : std::chrono::seconds{1};
}

// Enough buckets for the whole history plus the partly filled current one.
std::size_t ring_size(const MetricsSettings& settings) {
  auto bucket = positive_bucket(settings.traffic_bucket).count();
  auto history = std::max<std::int64_t>(settings.traffic_history.count(), 0);
  return static_cast<std::size_t>((history + bucket - 1) / bucket) + 1;
}

// Finds the value interned under `label`, creating it on first use: the only allocation.
template <typename Value>
Value& intern(LabelMap<Value>& map, std::string_view label) {
  auto it = map.find(label);
  if (it == map.end()) it = map.emplace(std::string{label}, Value{}).first;
  return it->second;
}

void add_counters(TargetCounters& to, const TargetCounters& from) {
  to.bulkhead_rejections += from.bulkhead_rejections;
  to.retries += from.retries;
  to.retry_budget_exhausted += from.retry_budget_exhausted;
  to.queue_timeouts += from.queue_timeouts;
}

void add_counters(ShadowCounters& to, const ShadowCounters& from) {
  to.comparisons += from.comparisons;
  to.mismatches += from.mismatches;
  to.errors += from.errors;
  to.dropped += from.dropped;
  to.skipped += from.skipped;
}

}  // namespace

ThreadMetrics::ThreadMetrics(MetricsSettings settings)
    : settings_{positive_bucket(settings.traffic_bucket), settings.traffic_history},
      traffic_ring_size_{ring_size(settings)} {}

std::int64_t ThreadMetrics::traffic_slot(TimePoint now) const {
  auto since_epoch = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch());
  auto bucket = settings_.traffic_bucket.count();
  auto seconds = since_epoch.count();
  // Floor division, so a (theoretical) negative time does not share slot 0 with the positives.
  return seconds >= 0 ? seconds / bucket : -((-seconds + bucket - 1) / bucket);
}

ThreadMetrics::TargetStats& ThreadMetrics::target_stats(std::string_view target) {
  auto it = targets_.find(target);
  if (it == targets_.end()) {
    it = targets_.emplace(std::string{target}, TargetStats{}).first;
    it->second.traffic.resize(traffic_ring_size_);
  }
  return it->second;
}

void ThreadMetrics::count_traffic(TargetStats& stats, TimePoint now) {
  auto slot = traffic_slot(now);
  auto size = static_cast<std::int64_t>(stats.traffic.size());
  auto& bucket = stats.traffic[static_cast<std::size_t>(((slot % size) + size) % size)];
  // A time older than what the bucket already holds (a late record) is not worth a reset.
  if (bucket.slot > slot) return;
  if (bucket.slot != slot) bucket = TrafficBucket{slot, 0};
  ++bucket.requests;
}

void ThreadMetrics::record_request(std::string_view route, std::string_view target, int status,
                                   std::chrono::nanoseconds latency, TimePoint now) {
  std::lock_guard lock{mutex_};
  ++intern(intern(requests_, route), target)[code_class_index(status)];
  auto& stats = target_stats(target);
  stats.latency.observe(latency);
  count_traffic(stats, now);
}

void ThreadMetrics::record_fallback(std::string_view reason) {
  std::lock_guard lock{mutex_};
  ++intern(fallbacks_, reason);
}

void ThreadMetrics::record_refusal(int status, std::string_view reason) {
  std::lock_guard lock{mutex_};
  ++refusals_[RefusalKey{status, std::string(reason)}];
}

void ThreadMetrics::record_bulkhead_rejection(std::string_view target) {
  std::lock_guard lock{mutex_};
  ++target_stats(target).counters.bulkhead_rejections;
}

void ThreadMetrics::add_upstream_queue_waiting(std::string_view target, std::int64_t delta) {
  std::lock_guard lock{mutex_};
  auto found = queue_waiting_.find(target);
  if (found == queue_waiting_.end()) found = queue_waiting_.emplace(std::string{target}, 0).first;
  found->second += delta;
}

void ThreadMetrics::record_upstream_queue_timeout(std::string_view target) {
  std::lock_guard lock{mutex_};
  ++target_stats(target).counters.queue_timeouts;
}

void ThreadMetrics::record_retry(std::string_view target) {
  std::lock_guard lock{mutex_};
  ++target_stats(target).counters.retries;
}

void ThreadMetrics::record_retry_budget_exhausted(std::string_view target) {
  std::lock_guard lock{mutex_};
  ++target_stats(target).counters.retry_budget_exhausted;
}

void ThreadMetrics::record_shadow(std::string_view route, ShadowEvent event) {
  std::lock_guard lock{mutex_};
  auto& counters = intern(shadow_, route);
  switch (event) {
    case ShadowEvent::matched:
      ++counters.comparisons;
      break;
    case ShadowEvent::mismatched:
      ++counters.comparisons;
      ++counters.mismatches;
      break;
    case ShadowEvent::error:
      ++counters.errors;
      break;
  }
}

void ThreadMetrics::record_shadow_losses(std::string_view route, std::uint64_t dropped,
                                         std::uint64_t skipped) {
  std::lock_guard lock{mutex_};
  auto& counters = intern(shadow_, route);
  counters.dropped += dropped;
  counters.skipped += skipped;
}

void ThreadMetrics::record_shadow_write_drops(std::uint64_t count) {
  if (count == 0) return;
  std::lock_guard lock{mutex_};
  shadow_write_drops_ += count;
}

void ThreadMetrics::merge_into(MetricsSnapshot& out) const {
  std::lock_guard lock{mutex_};
  for (const auto& [route, by_target] : requests_) {
    for (const auto& [target, classes] : by_target) {
      for (std::size_t i = 0; i < classes.size(); ++i) {
        if (classes[i] != 0) out.requests[RequestKey{route, target, kCodeClasses[i]}] += classes[i];
      }
    }
  }
  for (const auto& [target, stats] : targets_) {
    // Only targets that served requests get a histogram; counters alone do not make one.
    if (stats.latency.count != 0) out.latency[target].merge(stats.latency);
    add_counters(out.targets[target], stats.counters);
  }
  for (const auto& [reason, count] : fallbacks_) out.fallbacks[reason] += count;
  for (const auto& [key, count] : refusals_) out.refusals[key] += count;
  for (const auto& [route, counters] : shadow_) add_counters(out.shadow[route], counters);
  out.shadow_write_drops += shadow_write_drops_;
  for (const auto& [target, waiting] : queue_waiting_) {
    out.upstream_queue_waiting[target] += waiting;
  }
  out.in_flight += in_flight_.load(std::memory_order_relaxed);
  out.open_connections += open_connections_.load(std::memory_order_relaxed);
  out.connections_refused += connections_refused_.load(std::memory_order_relaxed);
  out.idle_upstream_connections += idle_upstream_connections_.load(std::memory_order_relaxed);
  out.upstream_connects += upstream_connects_.load(std::memory_order_relaxed);
}

void ThreadMetrics::merge_traffic(std::int64_t first_slot, std::int64_t last_slot,
                                  std::map<std::string, std::uint64_t>& out) const {
  std::lock_guard lock{mutex_};
  for (const auto& [target, stats] : targets_) {
    auto& total = out[target];
    for (const auto& bucket : stats.traffic) {
      if (bucket.slot >= first_slot && bucket.slot <= last_slot) total += bucket.requests;
    }
  }
}

MetricsRegistry::MetricsRegistry(int io_threads, MetricsSettings settings) : settings_{settings} {
  auto count = std::max(io_threads, 1);
  shards_.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) shards_.push_back(std::make_unique<ThreadMetrics>(settings));
}

ThreadMetrics& MetricsRegistry::shard(int thread_index) {
  if (thread_index < 0 || thread_index >= shard_count()) {
    throw std::out_of_range("metrics shard " + std::to_string(thread_index) + " of " +
                            std::to_string(shard_count()));
  }
  return *shards_[static_cast<std::size_t>(thread_index)];
}

void MetricsRegistry::set_breaker_state(std::string_view route, std::string_view target,
                                        BreakerState state) {
  std::lock_guard lock{process_mutex_};
  breaker_state_.insert_or_assign(BreakerKey{std::string{route}, std::string{target}}, state);
}

void MetricsRegistry::record_breaker_transition(std::string_view route, std::string_view target,
                                                BreakerState from, BreakerState to) {
  std::lock_guard lock{process_mutex_};
  breaker_state_.insert_or_assign(BreakerKey{std::string{route}, std::string{target}}, to);
  ++breaker_transitions_[BreakerTransitionKey{std::string{route}, std::string{target}, from, to}];
}

void MetricsRegistry::drop_breaker(std::string_view route, std::string_view target) {
  std::lock_guard lock{process_mutex_};
  breaker_state_.erase(BreakerKey{std::string{route}, std::string{target}});
}

void MetricsRegistry::set_rules_stale(bool stale) {
  rules_stale_.store(stale, std::memory_order_relaxed);
}

void MetricsRegistry::record_health_check(std::string_view target, bool success) {
  std::lock_guard lock{process_mutex_};
  ++health_checks_[HealthCheckKey{std::string{target}, success}];
}

void MetricsRegistry::set_target_health(std::string_view target, Health health) {
  std::lock_guard lock{process_mutex_};
  target_health_.insert_or_assign(std::string{target}, health);
}

void MetricsRegistry::drop_target_health(std::string_view target) {
  std::lock_guard lock{process_mutex_};
  if (auto found = target_health_.find(target); found != target_health_.end()) {
    target_health_.erase(found);
  }
}

void MetricsRegistry::set_rules_version(std::int64_t version) {
  rules_version_.store(version, std::memory_order_relaxed);
}

void MetricsRegistry::record_rules_reload() {
  rules_reloads_.fetch_add(1, std::memory_order_relaxed);
}

void MetricsRegistry::set_build_info(std::string_view version) {
  std::lock_guard lock{process_mutex_};
  build_version_ = std::string{version};
}

MetricsSnapshot MetricsRegistry::snapshot() const {
  MetricsSnapshot out;
  for (const auto& shard : shards_) shard->merge_into(out);
  {
    std::lock_guard lock{process_mutex_};
    out.breaker_state.insert(breaker_state_.begin(), breaker_state_.end());
    out.breaker_transitions = breaker_transitions_;
    out.target_health.insert(target_health_.begin(), target_health_.end());
    out.health_checks = health_checks_;
    out.build_version = build_version_;
  }
  out.rules_version = rules_version_.load(std::memory_order_relaxed);
  out.rules_reloads = rules_reloads_.load(std::memory_order_relaxed);
  out.rules_stale = rules_stale_.load(std::memory_order_relaxed);
  return out;
}

std::vector<TrafficEntry> MetricsRegistry::traffic(TimePoint now,
                                                   std::chrono::seconds window) const {
  const auto& first = *shards_.front();
  auto bucket = positive_bucket(settings_.traffic_bucket).count();
  auto wanted = std::max<std::int64_t>((window.count() + bucket - 1) / bucket, 1);
  auto buckets = std::min(wanted, static_cast<std::int64_t>(ring_size(settings_)));
  auto last_slot = first.traffic_slot(now);
  auto first_slot = last_slot - buckets + 1;

  std::map<std::string, std::uint64_t> totals;
  for (const auto& shard : shards_) shard->merge_traffic(first_slot, last_slot, totals);
  std::vector<TrafficEntry> entries;
  entries.reserve(totals.size());
  for (auto& [target, requests] : totals) entries.push_back(TrafficEntry{target, requests});
  return entries;
}

}  // namespace strangler
