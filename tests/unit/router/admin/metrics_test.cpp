// Metrics shards and registry: histogram buckets, counting by label, merging across shards (also
// under concurrent writers and a scraper), process-wide values, the traffic window, and that the
// request path allocates nothing once its labels are known.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "router/admin/metrics.h"
#include "router/admin/prometheus_text.h"

using namespace strangler;
using namespace std::chrono_literals;

// Counts this thread's allocations while enabled, to show the recording path makes none. Not
// under sanitizers, whose own operator new must stay in charge.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define STRANGLER_COUNT_ALLOCATIONS 1
namespace {
thread_local bool counting_allocations = false;
thread_local int allocations = 0;
int* volatile probe = nullptr;
}  // namespace

void* operator new(std::size_t size) {
  if (counting_allocations) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc{};
}
// GCC sees malloc behind the replaced `new` and warns that free() gets an operator-new pointer;
// replaced as a pair, they match.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

namespace {

using TimePoint = ThreadMetrics::TimePoint;
const TimePoint t0{std::chrono::hours{5}};  // a whole number of 10 s buckets

std::uint64_t requests(const MetricsSnapshot& s, const std::string& route,
                       const std::string& target, const std::string& code_class) {
  auto it = s.requests.find(RequestKey{route, target, code_class});
  return it == s.requests.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("metrics: a latency falls into the first bucket whose bound it does not exceed") {
  LatencyHistogram h;
  h.observe(0ns);     // bucket 0 (le 0.001)
  h.observe(1ms);     // exactly on the bound: still bucket 0
  h.observe(1001us);  // bucket 1 (le 0.0025)
  h.observe(10s);     // last finite bucket (le 10)
  h.observe(11s);     // +Inf
  h.observe(-5ms);    // clock oddity: counted as 0
  CHECK(h.buckets[0] == 3);
  CHECK(h.buckets[1] == 1);
  CHECK(h.buckets[12] == 1);
  CHECK(h.buckets[13] == 1);
  CHECK(h.count == 6);
  CHECK(h.sum == 1ms + 1001us + 10s + 11s);
  CHECK(h.sum_seconds() == doctest::Approx(21.002001));
}

TEST_CASE("metrics: requests are counted by route, target and status class") {
  MetricsRegistry registry{1};
  auto& shard = registry.shard(0);
  shard.record_request("orders", "orders-svc", 200, 2ms, t0);
  shard.record_request("orders", "orders-svc", 204, 3ms, t0);
  shard.record_request("orders", "legacy", 503, 4ms, t0);
  shard.record_request("pay", "legacy", 404, 1ms, t0);
  shard.record_request("pay", "legacy", 0, 1ms, t0);    // no status: "other"
  shard.record_request("pay", "legacy", 700, 1ms, t0);  // out of range: "other"
  auto s = registry.snapshot();
  CHECK(s.requests.size() == 4);
  CHECK(requests(s, "orders", "orders-svc", "2xx") == 2);
  CHECK(requests(s, "orders", "legacy", "5xx") == 1);
  CHECK(requests(s, "pay", "legacy", "4xx") == 1);
  CHECK(requests(s, "pay", "legacy", "other") == 2);
  REQUIRE(s.latency.count("orders-svc") == 1);
  CHECK(s.latency["orders-svc"].count == 2);
  CHECK(s.latency["orders-svc"].buckets[1] == 1);  // 2 ms: le 0.0025
  CHECK(s.latency["orders-svc"].buckets[2] == 1);  // 3 ms: le 0.005
  CHECK(s.latency["legacy"].count == 4);
}

TEST_CASE("metrics: shards merge into one snapshot") {
  MetricsRegistry registry{3};
  registry.shard(0).record_request("orders", "orders-svc", 200, 1ms, t0);
  registry.shard(1).record_request("orders", "orders-svc", 200, 30ms, t0);
  registry.shard(2).record_request("orders", "orders-svc", 500, 2s, t0);
  registry.shard(0).record_fallback("breaker-open");
  registry.shard(2).record_fallback("breaker-open");
  registry.shard(1).record_fallback("bulkhead-full");
  registry.shard(1).record_bulkhead_rejection("orders-svc");
  registry.shard(0).record_refusal(400, "bad-framing");
  registry.shard(1).record_refusal(400, "bad-framing");
  registry.shard(2).record_refusal(431, "header-too-large");
  registry.shard(2).record_retry("orders-svc");
  registry.shard(0).record_retry("orders-svc");
  registry.shard(0).record_retry_budget_exhausted("orders-svc");
  auto s = registry.snapshot();
  CHECK(requests(s, "orders", "orders-svc", "2xx") == 2);
  CHECK(requests(s, "orders", "orders-svc", "5xx") == 1);
  const auto& h = s.latency["orders-svc"];
  CHECK(h.count == 3);
  CHECK(h.buckets[0] == 1);   // 1 ms
  CHECK(h.buckets[5] == 1);   // 30 ms: le 0.05
  CHECK(h.buckets[10] == 1);  // 2 s: le 2.5
  CHECK(h.sum == 1ms + 30ms + 2s);
  CHECK(s.fallbacks ==
        std::map<std::string, std::uint64_t>{{"breaker-open", 2}, {"bulkhead-full", 1}});
  CHECK(s.refusals == std::map<RefusalKey, std::uint64_t>{{{400, "bad-framing"}, 2},
                                                          {{431, "header-too-large"}, 1}});
  CHECK(s.targets["orders-svc"].bulkhead_rejections == 1);
  CHECK(s.targets["orders-svc"].retries == 2);
  CHECK(s.targets["orders-svc"].retry_budget_exhausted == 1);
}

TEST_CASE("metrics: shadow events count comparisons, mismatches, errors and drops") {
  MetricsRegistry registry{2};
  registry.shard(0).record_shadow("orders", ShadowEvent::matched);
  registry.shard(1).record_shadow("orders", ShadowEvent::matched);
  registry.shard(1).record_shadow("orders", ShadowEvent::mismatched);
  registry.shard(0).record_shadow("orders", ShadowEvent::error);
  registry.shard(0).record_shadow_losses("orders", 1, 0);
  registry.shard(1).record_shadow_losses("orders", 1, 3);
  registry.shard(1).record_shadow("pay", ShadowEvent::mismatched);
  auto s = registry.snapshot();
  CHECK(s.shadow["orders"].comparisons == 3);  // a mismatch is also a comparison
  CHECK(s.shadow["orders"].mismatches == 1);
  CHECK(s.shadow["orders"].errors == 1);
  CHECK(s.shadow["orders"].dropped == 2);
  CHECK(s.shadow["orders"].skipped == 3);
  CHECK(s.shadow["pay"].comparisons == 1);
  CHECK(s.shadow["pay"].mismatches == 1);
}

TEST_CASE("metrics: breaker states, transitions, rules and build info are process-wide") {
  MetricsRegistry registry{2};
  registry.set_breaker_state("/orders", "orders-svc", BreakerState::closed);
  registry.set_breaker_state("/carts", "orders-svc", BreakerState::closed);
  registry.set_breaker_state("/pay", "pay-svc", BreakerState::closed);
  registry.set_breaker_state("/gone", "pay-svc", BreakerState::closed);
  using B = BreakerState;
  registry.record_breaker_transition("/orders", "orders-svc", B::closed, B::open);
  registry.record_breaker_transition("/orders", "orders-svc", B::open, B::half_open);
  registry.record_breaker_transition("/orders", "orders-svc", B::half_open, B::open);
  registry.record_breaker_transition("/orders", "orders-svc", B::open, B::half_open);
  registry.drop_breaker("/gone", "pay-svc");
  registry.set_rules_version(42);
  registry.record_rules_reload();
  registry.record_rules_reload();
  registry.set_build_info("0.3.0");
  auto s = registry.snapshot();
  // Per route and target: the other route of orders-svc stays closed; a dropped one is gone.
  CHECK(s.breaker_state[BreakerKey{"/orders", "orders-svc"}] == BreakerState::half_open);
  CHECK(s.breaker_state[BreakerKey{"/carts", "orders-svc"}] == BreakerState::closed);
  CHECK(s.breaker_state[BreakerKey{"/pay", "pay-svc"}] == BreakerState::closed);
  CHECK(s.breaker_state.count(BreakerKey{"/gone", "pay-svc"}) == 0);
  using K = BreakerTransitionKey;
  CHECK(s.breaker_transitions[K{"/orders", "orders-svc", B::open, B::half_open}] == 2);
  CHECK(s.breaker_transitions[K{"/orders", "orders-svc", B::closed, B::open}] == 1);
  CHECK(s.breaker_transitions.size() == 3);
  CHECK(s.rules_version == 42);
  CHECK(s.rules_reloads == 2);
  CHECK(s.build_version == "0.3.0");
}

TEST_CASE("metrics: the in-flight gauge sums the shards") {
  MetricsRegistry registry{2};
  registry.shard(0).add_in_flight(1);
  registry.shard(0).add_in_flight(1);
  registry.shard(1).add_in_flight(1);
  registry.shard(0).add_in_flight(-1);
  CHECK(registry.snapshot().in_flight == 2);
}

TEST_CASE("metrics: idle upstream connections and connects sum the shards") {
  MetricsRegistry registry{2};
  registry.shard(0).add_idle_upstream_connections(3);
  registry.shard(1).add_idle_upstream_connections(2);
  registry.shard(1).add_idle_upstream_connections(-1);
  registry.shard(0).record_upstream_connect();
  registry.shard(1).record_upstream_connect();
  auto s = registry.snapshot();
  CHECK(s.idle_upstream_connections == 4);
  CHECK(s.upstream_connects == 2);
}

TEST_CASE("metrics: shards exist up front and out-of-range indexes throw") {
  MetricsRegistry registry{4};
  CHECK(registry.shard_count() == 4);
  CHECK(&registry.shard(3) != &registry.shard(2));
  CHECK_THROWS_AS(registry.shard(4), std::out_of_range);
  CHECK_THROWS_AS(registry.shard(-1), std::out_of_range);
  MetricsRegistry none{0};
  CHECK(none.shard_count() == 1);
}

TEST_CASE("metrics: concurrent writers on their own shards and a scraper give exact totals") {
  constexpr int kThreads = 4;
  constexpr int kRequests = 20000;
  MetricsRegistry registry{kThreads};
  std::atomic<bool> done{false};
  std::uint64_t last_seen = 0;
  bool monotonic = true;
  std::thread scraper{[&] {
    while (!done.load()) {
      auto s = registry.snapshot();
      auto text = render_prometheus(s);  // renders while shards change
      auto seen = requests(s, "orders", "orders-svc", "2xx");
      if (seen < last_seen || text.empty()) monotonic = false;
      last_seen = seen;
    }
  }};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&registry, t] {
      auto& shard = registry.shard(t);
      for (int i = 0; i < kRequests; ++i) {
        shard.record_request("orders", "orders-svc", 200, std::chrono::microseconds{i % 3000},
                             t0 + std::chrono::milliseconds{i});
        if (i % 10 == 0) shard.record_fallback("connect-failed");
        if (i % 100 == 0) shard.record_shadow("orders", ShadowEvent::mismatched);
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  scraper.join();
  auto s = registry.snapshot();
  CHECK(monotonic);
  CHECK(requests(s, "orders", "orders-svc", "2xx") == kThreads * kRequests);
  CHECK(s.latency["orders-svc"].count == kThreads * kRequests);
  CHECK(s.fallbacks["connect-failed"] == kThreads * kRequests / 10);
  CHECK(s.shadow["orders"].mismatches == kThreads * kRequests / 100);
  // Each writer spread its requests over 20 s from t0: all within a 60 s window.
  auto traffic = registry.traffic(t0 + 20s, 60s);
  REQUIRE(traffic.size() == 1);
  CHECK(traffic[0].requests == kThreads * kRequests);
}

TEST_CASE("metrics: the traffic window slides with the time passed in") {
  MetricsRegistry registry{2, MetricsSettings{10s, 60s}};
  registry.shard(0).record_request("orders", "orders-svc", 200, 1ms, t0);        // slot 0
  registry.shard(1).record_request("orders", "orders-svc", 200, 1ms, t0 + 9s);   // slot 0
  registry.shard(1).record_request("orders", "legacy", 200, 1ms, t0 + 15s);      // slot 1
  registry.shard(0).record_request("orders", "orders-svc", 200, 1ms, t0 + 35s);  // slot 3
  using V = std::vector<TrafficEntry>;
  // A 10 s window is the current bucket only.
  CHECK(registry.traffic(t0 + 5s, 10s) == V{{"legacy", 0}, {"orders-svc", 2}});
  CHECK(registry.traffic(t0 + 15s, 10s) == V{{"legacy", 1}, {"orders-svc", 0}});
  // 40 s: slots 0..3.
  CHECK(registry.traffic(t0 + 39s, 40s) == V{{"legacy", 1}, {"orders-svc", 3}});
  // Moving on: at t0+45 s a 30 s window holds slots 2..4.
  CHECK(registry.traffic(t0 + 45s, 30s) == V{{"legacy", 0}, {"orders-svc", 1}});
  // Longer than the history: clamped to it (7 buckets: slots 1..7 at t0+75 s).
  CHECK(registry.traffic(t0 + 75s, 3600s) == V{{"legacy", 1}, {"orders-svc", 1}});
  // Long after: everything has left the window, targets still listed.
  CHECK(registry.traffic(t0 + 1h, 60s) == V{{"legacy", 0}, {"orders-svc", 0}});
}

TEST_CASE("metrics: a traffic bucket reused after the ring wraps starts from zero") {
  MetricsRegistry registry{1, MetricsSettings{10s, 30s}};  // a ring of 4 buckets
  auto& shard = registry.shard(0);
  for (int i = 0; i < 5; ++i) shard.record_request("r", "t", 200, 1ms, t0);
  // 40 s later the same ring entry holds a new slot: the 5 old requests must not show.
  shard.record_request("r", "t", 200, 1ms, t0 + 40s);
  CHECK(registry.traffic(t0 + 40s, 10s) == std::vector<TrafficEntry>{{"t", 1}});
  CHECK(registry.traffic(t0 + 40s, 30s) == std::vector<TrafficEntry>{{"t", 1}});
  // A late record for a slot the ring has moved past is ignored, not added to the new one.
  shard.record_request("r", "t", 200, 1ms, t0 + 1s);
  CHECK(registry.traffic(t0 + 40s, 30s) == std::vector<TrafficEntry>{{"t", 1}});
}

#ifdef STRANGLER_COUNT_ALLOCATIONS
TEST_CASE("metrics: recording with known labels allocates nothing") {
  MetricsRegistry registry{1};
  auto& shard = registry.shard(0);
  const std::string route = "orders-route-with-a-name-longer-than-sso";
  const std::string target = "orders-service-with-a-long-name-too";
  auto record_all = [&](TimePoint now) {
    shard.record_request(route, target, 200, 3ms, now);
    shard.record_fallback("breaker-open");
    shard.record_bulkhead_rejection(target);
    shard.record_retry(target);
    shard.record_retry_budget_exhausted(target);
    shard.record_shadow(route, ShadowEvent::mismatched);
  };
  record_all(t0);  // first sight of each label: interning allocates here
  counting_allocations = true;
  probe = new int{1};  // the counter itself works (volatile: the allocation cannot be elided)
  delete probe;
  CHECK(allocations == 1);
  allocations = 0;
  for (int i = 0; i < 1000; ++i) record_all(t0 + std::chrono::seconds{i});
  counting_allocations = false;
  CHECK(allocations == 0);
  CHECK(registry.snapshot().targets[target].retries == 1001);
}
#endif
