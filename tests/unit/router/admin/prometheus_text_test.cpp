// The Prometheus text exposition: escaping, number formatting, the exact page for a small
// snapshot (HELP/TYPE once per family, cumulative buckets up to +Inf, _sum and _count, stable
// order), and that a registry's render is stable and well formed.
#include <doctest/doctest.h>

#include <limits>
#include <map>
#include <sstream>
#include <string>

#include "router/admin/metrics.h"
#include "router/admin/prometheus_text.h"

using namespace strangler;
using namespace std::chrono_literals;

namespace {

MetricsSnapshot small_snapshot() {
  MetricsSnapshot s;
  s.requests[{"orders", "orders-svc", "2xx"}] = 3;
  s.requests[{"we\"ird\\path\nx", "legacy", "5xx"}] = 1;
  auto& h = s.latency["orders-svc"];
  h.observe(1ms);
  h.observe(3ms);
  h.observe(20ms);
  h.observe(12s);
  s.fallbacks["breaker-open"] = 2;
  s.refusals[{400, "bad-framing"}] = 3;
  s.refusals[{414, "uri-too-long"}] = 1;
  s.targets["orders-svc"] = TargetCounters{1, 2, 0};
  s.shadow["orders"] = ShadowCounters{5, 1, 0, 2, 3};
  s.shadow_write_drops = 4;
  s.breaker_state[{"/orders", "orders-svc"}] = BreakerState::open;
  s.breaker_transitions[{"/orders", "orders-svc", BreakerState::closed, BreakerState::open}] = 1;
  s.rules_version = 7;
  s.rules_reloads = 3;
  s.in_flight = 4;
  s.open_connections = 9;
  s.connections_refused = 2;
  s.idle_upstream_connections = 5;
  s.upstream_connects = 11;
  s.build_version = "1.2.3";
  return s;
}

const char* const kExpected =
    R"(# HELP strangler_requests_total Client requests answered, by route, serving target and status class.
# TYPE strangler_requests_total counter
strangler_requests_total{route="orders",target="orders-svc",code_class="2xx"} 3
strangler_requests_total{route="we\"ird\\path\nx",target="legacy",code_class="5xx"} 1
# HELP strangler_upstream_request_duration_seconds Request latency in seconds, by the target that answered.
# TYPE strangler_upstream_request_duration_seconds histogram
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="0.001"} 1
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="0.0025"} 1
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="0.005"} 2
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="0.01"} 2
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="0.025"} 3
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="0.05"} 3
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="0.1"} 3
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="0.25"} 3
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="0.5"} 3
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="1"} 3
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="2.5"} 3
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="5"} 3
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="10"} 3
strangler_upstream_request_duration_seconds_bucket{target="orders-svc",le="+Inf"} 4
strangler_upstream_request_duration_seconds_sum{target="orders-svc"} 12.024
strangler_upstream_request_duration_seconds_count{target="orders-svc"} 4
# HELP strangler_fallbacks_total Requests served by a route's fallback, by reason (breaker-open, target-down, connect-failed, bulkhead-full, upstream-failed).
# TYPE strangler_fallbacks_total counter
strangler_fallbacks_total{reason="breaker-open"} 2
# HELP strangler_refusals_total Requests the router refused itself (malformed, over a limit, too slow), by status code and reason.
# TYPE strangler_refusals_total counter
strangler_refusals_total{code="400",reason="bad-framing"} 3
strangler_refusals_total{code="414",reason="uri-too-long"} 1
# HELP strangler_bulkhead_rejections_total Requests refused because the target's concurrency limit was reached.
# TYPE strangler_bulkhead_rejections_total counter
strangler_bulkhead_rejections_total{target="orders-svc"} 1
# HELP strangler_retries_total Upstream retries sent, by target.
# TYPE strangler_retries_total counter
strangler_retries_total{target="orders-svc"} 2
# HELP strangler_retry_budget_exhausted_total Retries not sent because the target's retry budget was spent.
# TYPE strangler_retry_budget_exhausted_total counter
strangler_retry_budget_exhausted_total{target="orders-svc"} 0
# HELP strangler_upstream_queue_timeouts_total Requests answered 503 queue-timeout: no connection to the target came free within its queue timeout (--max-connections).
# TYPE strangler_upstream_queue_timeouts_total counter
strangler_upstream_queue_timeouts_total{target="orders-svc"} 0
# HELP strangler_shadow_comparisons_total Shadow responses compared with the primary's, by route.
# TYPE strangler_shadow_comparisons_total counter
strangler_shadow_comparisons_total{route="orders"} 5
# HELP strangler_shadow_mismatches_total Shadow comparisons that found a difference, by route.
# TYPE strangler_shadow_mismatches_total counter
strangler_shadow_mismatches_total{route="orders"} 1
# HELP strangler_shadow_errors_total Shadow requests that failed (transport error or timeout), by route.
# TYPE strangler_shadow_errors_total counter
strangler_shadow_errors_total{route="orders"} 0
# HELP strangler_shadow_dropped_total Shadow copies never sent (queue full, in-flight cap or breaker open), by route.
# TYPE strangler_shadow_dropped_total counter
strangler_shadow_dropped_total{route="orders"} 2
# HELP strangler_shadow_skipped_total Requests of a shadowed route not mirrored (body over the mirror limit, or the primary failed), by route.
# TYPE strangler_shadow_skipped_total counter
strangler_shadow_skipped_total{route="orders"} 3
# HELP strangler_shadow_write_dropped_total Comparisons not stored because the database could not take them in time.
# TYPE strangler_shadow_write_dropped_total counter
strangler_shadow_write_dropped_total 4
# HELP strangler_breaker_state Circuit breaker state per route and target: 1 for the current state, 0 for the others.
# TYPE strangler_breaker_state gauge
strangler_breaker_state{route="/orders",target="orders-svc",state="closed"} 0
strangler_breaker_state{route="/orders",target="orders-svc",state="open"} 1
strangler_breaker_state{route="/orders",target="orders-svc",state="half_open"} 0
# HELP strangler_breaker_transitions_total Circuit breaker state changes, by route and target.
# TYPE strangler_breaker_transitions_total counter
strangler_breaker_transitions_total{route="/orders",target="orders-svc",from="closed",to="open"} 1
# HELP strangler_rules_version Version of the rule table the router is serving.
# TYPE strangler_rules_version gauge
strangler_rules_version 7
# HELP strangler_rules_reloads_total Rule tables loaded after a rules change.
# TYPE strangler_rules_reloads_total counter
strangler_rules_reloads_total 3
# HELP strangler_rules_stale 1 while the rules database cannot be read and the last good rules serve.
# TYPE strangler_rules_stale gauge
strangler_rules_stale 0
# HELP strangler_in_flight_requests Client requests being served right now.
# TYPE strangler_in_flight_requests gauge
strangler_in_flight_requests 4
# HELP strangler_open_connections Client connections open right now.
# TYPE strangler_open_connections gauge
strangler_open_connections 9
# HELP strangler_connections_refused_total Client connections closed at once because --max-connections were open.
# TYPE strangler_connections_refused_total counter
strangler_connections_refused_total 2
# HELP strangler_upstream_idle_connections Upstream connections kept open for reuse (shadow copies' included).
# TYPE strangler_upstream_idle_connections gauge
strangler_upstream_idle_connections 5
# HELP strangler_upstream_connections_opened_total Upstream connections opened (shadow copies' included).
# TYPE strangler_upstream_connections_opened_total counter
strangler_upstream_connections_opened_total 11
# HELP strangler_build_info Build of the running router; the value is always 1.
# TYPE strangler_build_info gauge
strangler_build_info{version="1.2.3"} 1
)";

}  // namespace

TEST_CASE("prometheus text: label values escape backslash, quote and newline") {
  CHECK(escape_label_value("plain-value_1") == "plain-value_1");
  CHECK(escape_label_value("a\\b") == "a\\\\b");
  CHECK(escape_label_value("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(escape_label_value("two\nlines") == "two\\nlines");
  CHECK(escape_label_value("tab\tstays") == "tab\tstays");
  // HELP text keeps double quotes as they are.
  CHECK(escape_help_text("a \"b\" \\ c\nd") == "a \"b\" \\\\ c\\nd");
}

TEST_CASE("prometheus text: sample values") {
  CHECK(format_sample_value(0.0) == "0");
  CHECK(format_sample_value(12.0) == "12");
  CHECK(format_sample_value(0.024) == "0.024");
  constexpr double inf = std::numeric_limits<double>::infinity();
  CHECK(format_sample_value(inf) == "+Inf");
  CHECK(format_sample_value(-inf) == "-Inf");
  CHECK(format_sample_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("prometheus text: the writer puts HELP/TYPE before samples and omits empty braces") {
  PrometheusText out;
  out.family("strangler_x_total", "An example\nwith two lines.", "counter");
  out.sample("strangler_x_total", {}, "1");
  out.sample("strangler_x_total", {{"a", "1"}, {"b", "q\""}}, "2");
  CHECK(out.text() ==
        "# HELP strangler_x_total An example\\nwith two lines.\n"
        "# TYPE strangler_x_total counter\n"
        "strangler_x_total 1\n"
        "strangler_x_total{a=\"1\",b=\"q\\\"\"} 2\n");
}

TEST_CASE("prometheus text: the exact page for a small snapshot") {
  CHECK(render_prometheus(small_snapshot()) == kExpected);
}

TEST_CASE("prometheus text: an empty snapshot shows only the unlabelled families") {
  CHECK(render_prometheus(MetricsSnapshot{}) ==
        "# HELP strangler_rules_version Version of the rule table the router is serving.\n"
        "# TYPE strangler_rules_version gauge\n"
        "strangler_rules_version 0\n"
        "# HELP strangler_rules_reloads_total Rule tables loaded after a rules change.\n"
        "# TYPE strangler_rules_reloads_total counter\n"
        "strangler_rules_reloads_total 0\n"
        "# HELP strangler_rules_stale 1 while the rules database cannot be read and the last good "
        "rules serve.\n"
        "# TYPE strangler_rules_stale gauge\n"
        "strangler_rules_stale 0\n"
        "# HELP strangler_in_flight_requests Client requests being served right now.\n"
        "# TYPE strangler_in_flight_requests gauge\n"
        "strangler_in_flight_requests 0\n"
        "# HELP strangler_open_connections Client connections open right now.\n"
        "# TYPE strangler_open_connections gauge\n"
        "strangler_open_connections 0\n"
        "# HELP strangler_connections_refused_total Client connections closed at once because "
        "--max-connections were open.\n"
        "# TYPE strangler_connections_refused_total counter\n"
        "strangler_connections_refused_total 0\n"
        "# HELP strangler_upstream_idle_connections Upstream connections kept open for reuse "
        "(shadow copies' included).\n"
        "# TYPE strangler_upstream_idle_connections gauge\n"
        "strangler_upstream_idle_connections 0\n"
        "# HELP strangler_upstream_connections_opened_total Upstream connections opened (shadow "
        "copies' included).\n"
        "# TYPE strangler_upstream_connections_opened_total counter\n"
        "strangler_upstream_connections_opened_total 0\n");
}

TEST_CASE("prometheus text: a registry renders stably, each family declared once") {
  MetricsRegistry registry{2};
  const auto now = std::chrono::steady_clock::time_point{std::chrono::hours{1}};
  // Recorded in an order unlike the sorted output, on different shards.
  registry.shard(1).record_request("zeta", "z-svc", 200, 7ms, now);
  registry.shard(0).record_request("alpha", "a-svc", 302, 70ms, now);
  registry.shard(1).record_request("alpha", "a-svc", 200, 700ms, now);
  registry.shard(0).record_fallback("connect-failed");
  registry.shard(1).record_shadow("zeta", ShadowEvent::error);
  registry.set_breaker_state("zeta", "z-svc", BreakerState::closed);
  const auto first = render_prometheus(registry.snapshot());
  CHECK(first == render_prometheus(registry.snapshot()));
  CHECK(first.find("route=\"alpha\"") < first.find("route=\"zeta\""));

  std::istringstream lines{first};
  std::string line;
  std::map<std::string, int> type_lines;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) ++type_lines[line.substr(7, line.find(' ', 7) - 7)];
    const bool comment = line.rfind("# ", 0) == 0;
    CHECK_MESSAGE((comment || line.rfind("strangler_", 0) == 0), line);
  }
  for (const auto& [family, count] : type_lines) CHECK_MESSAGE(count == 1, family);
  CHECK(type_lines.size() == 22);  // no transitions or build info recorded
  CHECK(first.find("strangler_upstream_request_duration_seconds_count{target=\"a-svc\"} 2\n") !=
        std::string::npos);
}
