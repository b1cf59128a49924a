// MetricsRegistry: the router's counters, histograms and gauges, sharded per I/O thread so that
// recording a request never contends with another I/O thread.
//
// The proxy creates one registry with one ThreadMetrics shard per I/O thread and gives thread i
// `shard(i)`; the request path calls its record_* methods with plain values. The admin server
// calls snapshot() (merges every shard, briefly locking each) and renders it with
// render_prometheus() (prometheus_text.h), or traffic() for `stranglerctl status`. Process-wide
// values (breaker states, rule reloads, build info) are set on the registry by whichever thread
// learns about them. Labels are interned in per-shard hash maps: after a label set's first
// request, recording allocates nothing. Time is an argument everywhere, so tests slide it.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "router/admin/latency_histogram.h"
#include "router/admin/metrics_snapshot.h"
#include "router/resilience/circuit_breaker.h"

namespace strangler {

struct MetricsSettings {
  std::chrono::seconds traffic_bucket{10};    // granularity of the traffic summary
  std::chrono::seconds traffic_history{300};  // the longest window traffic() can answer
};

// What became of one compared copy (see ShadowCounters); copies given up are counted by
// ThreadMetrics::record_shadow_losses.
enum class ShadowEvent { matched, mismatched, error };

struct TrafficEntry {
  std::string target;
  std::uint64_t requests = 0;
  auto operator<=>(const TrafficEntry&) const = default;
};

// Hash for interned label maps: lets find() take a string_view without building a std::string.
struct LabelHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};
template <typename Value>
using LabelMap = std::unordered_map<std::string, Value, LabelHash, std::equal_to<>>;

// One I/O thread's metrics. Why a mutex per shard rather than atomics: the label maps grow when
// a new route or target first appears, and a growing hash map cannot be read by the scraper
// without a lock. The owning thread is the only regular writer, so the lock is uncontended (one
// atomic exchange each way) except during the few microseconds a scrape copies the shard. Any
// other thread (a shadow worker) may also write a shard: correct, just no longer uncontended.
class alignas(64) ThreadMetrics {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit ThreadMetrics(MetricsSettings settings = {});

  ThreadMetrics(const ThreadMetrics&) = delete;
  ThreadMetrics& operator=(const ThreadMetrics&) = delete;

  // One finished client request: counted by route, target and status class, its latency in the
  // target's histogram, and one request in the target's traffic bucket for `now`. `target` is
  // the target that answered (the fallback's name when a fallback served it).
  void record_request(std::string_view route, std::string_view target, int status,
                      std::chrono::nanoseconds latency, TimePoint now);

  void record_fallback(std::string_view reason);  // "breaker-open", "connect-failed", ...
  // A request the router refused itself (400, 408, 413, 414, 431), by status and reason label.
  void record_refusal(int status, std::string_view reason);
  void record_bulkhead_rejection(std::string_view target);
  void record_retry(std::string_view target);
  void record_retry_budget_exhausted(std::string_view target);
  void record_shadow(std::string_view route, ShadowEvent event);
  // Copies given up (dropped) and sampled requests not mirrored (skipped), summed by the caller.
  void record_shadow_losses(std::string_view route, std::uint64_t dropped, std::uint64_t skipped);
  // Comparisons lost because the database could not take them in time (not per route).
  void record_shadow_write_drops(std::uint64_t count);

  // The in-flight gauge: +1 when a request starts, -1 when it ends (a relaxed atomic, no lock).
  void add_in_flight(std::int64_t delta) { in_flight_.fetch_add(delta, std::memory_order_relaxed); }
  // Client connections: open ones (a gauge, +1 on accept, -1 on close) and those closed at once
  // because --max-connections were open (a counter). Relaxed atomics, no lock.
  void add_open_connections(std::int64_t delta) {
    open_connections_.fetch_add(delta, std::memory_order_relaxed);
  }
  void record_connection_refused() { connections_refused_.fetch_add(1, std::memory_order_relaxed); }
  // Upstream connections: idle in this thread's pool (a gauge) and opened (a counter).
  void add_idle_upstream_connections(std::int64_t delta) {
    idle_upstream_connections_.fetch_add(delta, std::memory_order_relaxed);
  }
  void record_upstream_connect() { upstream_connects_.fetch_add(1, std::memory_order_relaxed); }
  // --max-connections: requests waiting for a connection (a gauge, +1/-1) and those that waited
  // out the queue timeout. Only requests that find every connection taken get here.
  void add_upstream_queue_waiting(std::string_view target, std::int64_t delta);
  void record_upstream_queue_timeout(std::string_view target);

  // Scraper side (take the lock): add this shard's values into `out`; add its requests per
  // target in traffic slots [first_slot, last_slot] into `out`.
  void merge_into(MetricsSnapshot& out) const;
  void merge_traffic(std::int64_t first_slot, std::int64_t last_slot,
                     std::map<std::string, std::uint64_t>& out) const;

  // Which traffic bucket a time falls into (whole buckets since the clock's epoch).
  std::int64_t traffic_slot(TimePoint now) const;

 private:
  struct TrafficBucket {
    // The bucket this entry currently holds; stale entries are reused. Starts as "never".
    std::int64_t slot = std::numeric_limits<std::int64_t>::min();
    std::uint64_t requests = 0;
  };
  struct TargetStats {
    LatencyHistogram latency;
    TargetCounters counters;
    std::vector<TrafficBucket> traffic;  // a ring, indexed by slot modulo its size
  };
  using ClassCounts = std::array<std::uint64_t, kCodeClasses.size()>;

  TargetStats& target_stats(std::string_view target);  // caller holds mutex_
  void count_traffic(TargetStats& stats, TimePoint now);

  const MetricsSettings settings_;
  const std::size_t traffic_ring_size_;
  mutable std::mutex mutex_;
  LabelMap<LabelMap<ClassCounts>> requests_;  // route -> target -> per status class
  LabelMap<TargetStats> targets_;
  LabelMap<std::uint64_t> fallbacks_;
  std::map<RefusalKey, std::uint64_t> refusals_;
  LabelMap<ShadowCounters> shadow_;
  std::uint64_t shadow_write_drops_ = 0;
  LabelMap<std::int64_t> queue_waiting_;
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::int64_t> open_connections_{0};
  std::atomic<std::uint64_t> connections_refused_{0};
  std::atomic<std::int64_t> idle_upstream_connections_{0};
  std::atomic<std::uint64_t> upstream_connects_{0};
};

class MetricsRegistry {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Creates `io_threads` shards up front (at least one), so shard() never allocates or locks.
  explicit MetricsRegistry(int io_threads, MetricsSettings settings = {});

  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The shard of I/O thread `thread_index` (0-based); throws std::out_of_range beyond the count.
  ThreadMetrics& shard(int thread_index);
  int shard_count() const { return static_cast<int>(shards_.size()); }

  // Process-wide values; any thread, rare (a mutex or atomics).
  void set_breaker_state(std::string_view route, std::string_view target, BreakerState state);
  // Counts the transition and sets the breaker's state to `to`.
  void record_breaker_transition(std::string_view route, std::string_view target, BreakerState from,
                                 BreakerState to);
  // The breaker is gone (its route was removed or its target changed): no more state gauge.
  void drop_breaker(std::string_view route, std::string_view target);
  // Active health checks (the health checker's thread): each result, and the target's health
  // when it changes; drop when the target no longer has a check.
  void record_health_check(std::string_view target, bool success);
  void set_target_health(std::string_view target, Health health);
  void drop_target_health(std::string_view target);
  void set_rules_version(std::int64_t version);
  void record_rules_reload();
  // Whether the rules database cannot be read and the router serves its last good rules.
  void set_rules_stale(bool stale);
  void set_build_info(std::string_view version);

  // Everything, merged across shards; a consistent view per shard, not across shards.
  MetricsSnapshot snapshot() const;

  // Requests per target within `window` before `now` (clamped to the configured history): the
  // bucket holding `now` and the ceil(window / bucket) - 1 before it. Every target ever seen is
  // listed, with 0 when it had no request in the window; sorted by target name.
  std::vector<TrafficEntry> traffic(TimePoint now, std::chrono::seconds window) const;

 private:
  const MetricsSettings settings_;
  std::vector<std::unique_ptr<ThreadMetrics>> shards_;

  mutable std::mutex process_mutex_;  // guards the maps and build_version_ below
  std::map<BreakerKey, BreakerState> breaker_state_;
  std::map<BreakerTransitionKey, std::uint64_t> breaker_transitions_;
  std::map<std::string, Health, std::less<>> target_health_;
  std::map<HealthCheckKey, std::uint64_t> health_checks_;
  std::string build_version_;
  std::atomic<std::int64_t> rules_version_{0};
  std::atomic<std::uint64_t> rules_reloads_{0};
  std::atomic<bool> rules_stale_{false};
};

}  // namespace strangler
