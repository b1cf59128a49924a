// Integration: the admin port's GET /metrics, read by a real Prometheus parser (Debian's
// python3-prometheus-client, see tests/support/prometheus.h) rather than by substring matching.
// The numbers must match the traffic the test sent: requests by target and status class, latency
// histograms per target, fallbacks by reason, breaker state and transitions, retries and the
// retry budget, the rule table's version and reloads.
#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/prometheus.h"
#include "tests/support/recording_upstream.h"
#include "tests/support/resilience.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kLatency = "strangler_upstream_request_duration_seconds";

PromScrape scrape(Cluster& c) {
  auto res = c.admin_client().Get("/metrics");
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type").rfind("text/plain", 0) == 0);
  auto parsed = parse_prometheus(res->body, c.dir());
  // Every family is the router's own and declares its type.
  for (const auto& [name, type] : parsed.family_types) {
    INFO("family " << name << " of type " << type);
    CHECK(name.rfind("strangler_", 0) == 0);
    CHECK((type == "counter" || type == "gauge" || type == "histogram"));
  }
  return parsed;
}

// The router counts a request just after its answer went out, so a scrape sent at once may miss
// the last one: wait until `total` requests are counted, then scrape.
PromScrape scrape_after(Cluster& c, double total) {
  wait_until(
      [&] {
        auto res = c.admin_client().Get("/metrics");
        return res && parse_prometheus(res->body, c.dir()).sum("strangler_requests_total") >= total;
      },
      3s);
  return scrape(c);
}

// The histogram of one target is well formed: cumulative buckets that never decrease, the +Inf
// bucket equal to _count, and a _sum. Returns _count.
double histogram_count(const PromScrape& s, const std::string& target) {
  INFO("latency histogram of " << target);
  auto buckets = s.select(std::string(kLatency) + "_bucket", {{"target", target}});
  REQUIRE(!buckets.empty());
  std::vector<std::pair<double, double>> by_le;
  for (const auto& b : buckets) {
    const auto& le = b.labels.at("le");
    by_le.emplace_back(le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le),
                       b.value);
  }
  std::sort(by_le.begin(), by_le.end());
  for (std::size_t i = 1; i < by_le.size(); ++i) CHECK(by_le[i].second >= by_le[i - 1].second);
  REQUIRE(std::isinf(by_le.back().first));
  const double count = s.sum(std::string(kLatency) + "_count", {{"target", target}});
  CHECK(by_le.back().second == count);
  CHECK(s.has(std::string(kLatency) + "_sum", {{"target", target}}));
  return count;
}

double requests(const PromScrape& s, const std::string& target, const std::string& code_class) {
  return s.sum("strangler_requests_total", {{"target", target}, {"code_class", code_class}});
}

std::int64_t rules_version(Cluster& c) {
  auto rules = admin_json(c, "/admin/rules");
  REQUIRE(rules["version"].is_number_integer());
  return rules["version"].get<std::int64_t>();
}

}  // namespace

TEST_CASE("metrics: /metrics parsed by prometheus_client matches the traffic sent") {
  Cluster c;
  c.init_with_monolith();
  auto& orders = c.start_stub("orders-svc");
  c.ctl_ok({"target", "add", "orders", orders.url, "--connect-timeout-ms", "300", "--window", "20",
            "--min-calls", "2", "--failure-threshold", "2", "--recovery-ms", "60000"});
  c.ctl_ok({"route", "add", "/orders", "--to", "orders"});  // default fallback: legacy
  c.start_router({"--reload-interval-ms", "100"});
  auto client = c.client();

  for (int i = 1; i <= 5; ++i)
    REQUIRE(served_by(client.Get("/orders/" + std::to_string(i))) == "orders-svc");
  for (int i = 0; i < 3; ++i) {
    auto res = client.Get("/orders/1000000000");
    REQUIRE(res);
    REQUIRE(res->status == 404);
  }
  for (int i = 0; i < 4; ++i) REQUIRE(served_by(client.Get("/customers/1")) == "monolith");

  {
    INFO("first scrape: 5 + 3 requests answered by orders, 4 by legacy");
    auto s = scrape_after(c, 12);
    CHECK(requests(s, "orders", "2xx") == 5);
    CHECK(requests(s, "orders", "4xx") == 3);
    CHECK(requests(s, "legacy", "2xx") == 4);
    CHECK(s.sum("strangler_requests_total") == 12);
    for (const auto& sample : s.select("strangler_requests_total")) {
      CHECK(sample.labels.count("route") == 1);
    }
    CHECK(s.family_types[kLatency] == "histogram");
    CHECK(histogram_count(s, "orders") == 8);
    CHECK(histogram_count(s, "legacy") == 4);
    CHECK(s.sum(std::string(kLatency) + "_sum", {{"target", "orders"}}) > 0);
    CHECK(s.sum("strangler_breaker_state", {{"target", "orders"}, {"state", "closed"}}) == 1);
    CHECK(s.sum("strangler_breaker_state", {{"target", "orders"}, {"state", "open"}}) == 0);
    // Breakers are per route and target, made when the route first sends there: legacy has one
    // for unmatched requests, none yet as the fallback of /orders (never used).
    CHECK(s.sum("strangler_breaker_state",
                {{"route", "(unmatched)"}, {"target", "legacy"}, {"state", "closed"}}) == 1);
    CHECK_FALSE(s.has("strangler_breaker_state", {{"route", "/orders"}, {"target", "legacy"}}));
    CHECK(s.sum("strangler_breaker_state",
                {{"route", "/orders"}, {"target", "orders"}, {"state", "closed"}}) == 1);
    CHECK(s.sum("strangler_breaker_transitions_total", {{"target", "orders"}}) == 0);
    for (const auto* family : {"strangler_bulkhead_rejections_total", "strangler_retries_total",
                               "strangler_retry_budget_exhausted_total"}) {
      INFO(family);
      CHECK(s.has(family, {{"target", "orders"}}));
      CHECK(s.sum(family, {{"target", "orders"}}) == 0);
    }
    CHECK(s.has("strangler_rules_reloads_total"));
    CHECK(s.sum("strangler_rules_version") == rules_version(c));
  }

  // The service dies: connect-failed until the breaker opens, then breaker-open.
  orders.process->stop(100ms);
  std::map<std::string, int> reasons;
  for (int i = 0; i < 6; ++i) {
    auto res = client.Get("/orders/20");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(served_by(res) == "monolith");
    ++reasons[res->get_header_value("X-Strangler-Fallback")];
  }
  CHECK(reasons["connect-failed"] >= 1);
  CHECK(reasons["breaker-open"] >= 1);
  CHECK(reasons["connect-failed"] + reasons["breaker-open"] == 6);
  {
    INFO("second scrape: 6 more answered by legacy as fallbacks");
    auto s = scrape_after(c, 18);
    CHECK(s.sum("strangler_fallbacks_total", {{"reason", "connect-failed"}}) ==
          reasons["connect-failed"]);
    CHECK(s.sum("strangler_fallbacks_total", {{"reason", "breaker-open"}}) ==
          reasons["breaker-open"]);
    CHECK(s.sum("strangler_fallbacks_total") == 6);
    CHECK(requests(s, "legacy", "2xx") == 10);
    CHECK(requests(s, "orders", "2xx") == 5);
    CHECK(histogram_count(s, "legacy") == 10);
    CHECK(s.sum("strangler_breaker_state", {{"target", "orders"}, {"state", "open"}}) == 1);
    CHECK(s.sum("strangler_breaker_state", {{"target", "orders"}, {"state", "closed"}}) == 0);
    CHECK(s.sum("strangler_breaker_state", {{"target", "orders"}}) == 1);  // one state at a time
    CHECK(s.sum("strangler_breaker_transitions_total",
                {{"route", "/orders"}, {"target", "orders"}, {"from", "closed"}, {"to", "open"}}) ==
          1);
    CHECK(s.sum("strangler_breaker_transitions_total", {{"target", "orders"}}) == 1);
  }

  // A rule change: the version follows and the reload is counted.
  const auto before = scrape(c).sum("strangler_rules_reloads_total");
  const auto old_version = rules_version(c);
  c.ctl_ok({"route", "add", "/api", "--to", "legacy"});
  auto reloaded = wait_until([&] { return rules_version(c) > old_version; }, 3s);
  REQUIRE(reloaded.has_value());
  auto s = scrape(c);
  CHECK(s.sum("strangler_rules_version") == rules_version(c));
  CHECK(s.sum("strangler_rules_reloads_total") >= before + 1);
}

TEST_CASE("metrics: retries and an exhausted retry budget are counted") {
  // Every request is read, then the connection closed without an answer: a reset, retried for
  // GET while the retry budget allows.
  RecordingUpstream resetter([](const RecordedRequest&) { return std::string(); });
  Cluster c;
  c.init_with_monolith();
  c.ctl_ok({"target", "add", "resetter", resetter.url(), "--retries", "1", "--backoff-ms", "5",
            "--window", "100", "--min-calls", "100"});
  c.ctl_ok({"route", "add", "/orders", "--to", "resetter", "--fallback", "none"});
  c.start_router();
  auto client = c.client();
  constexpr int kRequests = 10;
  for (int i = 0; i < kRequests; ++i) {
    auto res = client.Get("/orders/" + std::to_string(i + 1));
    REQUIRE(res);
    CHECK(res->status == 502);
  }
  auto s = scrape_after(c, kRequests);
  const double retries = s.sum("strangler_retries_total", {{"target", "resetter"}});
  const double exhausted =
      s.sum("strangler_retry_budget_exhausted_total", {{"target", "resetter"}});
  INFO("retries " << retries << ", budget exhausted " << exhausted);
  CHECK(retries >= 1);
  CHECK(exhausted >= 1);  // 10 failing requests in a burst: more than the budget allows
  CHECK(retries + exhausted == kRequests);
  // The counter is what the upstream saw: one attempt per request plus the retries.
  CHECK(resetter.requests().size() == kRequests + static_cast<std::size_t>(retries));
  CHECK(requests(s, "resetter", "5xx") == kRequests);
}
