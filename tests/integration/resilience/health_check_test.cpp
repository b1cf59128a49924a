// Integration: active health checks. A service that accepts connections and never answers, with
// a --health-path, is marked down by its checks within about interval × unhealthy-threshold,
// before any user request waits on it; /admin/breakers and /metrics show it; a GET routed to it
// is then answered by the fallback (legacy) at once, marked "X-Strangler-Fallback: target-down",
// far below the target's 15 s timeout. When the service answers its checks again, traffic
// returns to it.
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cluster.h"
#include "tests/support/fault_upstream.h"
#include "tests/support/prometheus.h"
#include "tests/support/resilience.h"

using namespace strangler::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kIntervalMs = 200;
constexpr int kUnhealthy = 2;

// The target's "health" in /admin/breakers' sibling list, or "" when it is not listed.
std::string health_of(const Cluster& c, const std::string& target) {
  auto all = admin_json(c, "/admin/breakers");
  REQUIRE(all.contains("health"));
  for (const auto& entry : all["health"]) {
    if (entry.value("name", "") == target) return entry.value("health", "");
  }
  return "";
}

PromScrape scrape(Cluster& c) {
  auto res = c.admin_client().Get("/metrics");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  return parse_prometheus(res->body, c.dir());
}

}  // namespace

TEST_CASE("health check: a hung service is marked down before users wait on it, then back up") {
  Cluster c;
  c.init_with_monolith();
  FaultUpstream hung(Fault::stall);
  c.ctl_ok({"target", "add", "orders", hung.url(), "--health-path", "/health",
            "--health-interval-ms", std::to_string(kIntervalMs), "--health-timeout-ms", "100",
            "--unhealthy-threshold", std::to_string(kUnhealthy), "--healthy-threshold", "1"});
  c.ctl_ok({"route", "add", "/orders", "--to", "orders"});  // default fallback: legacy
  auto started = Clock::now();
  c.start_router();

  auto took = wait_until([&] { return health_of(c, "orders") == "down"; }, 5s);
  REQUIRE_MESSAGE(took, "orders never marked down");
  // The first check goes at once; the second fails one interval later.
  CHECK(Clock::now() - started < std::chrono::milliseconds(kIntervalMs * kUnhealthy + 2000));

  auto metrics = scrape(c);
  CHECK(metrics.sum("strangler_target_healthy", {{"target", "orders"}}) == 0);
  CHECK(metrics.has("strangler_target_healthy", {{"target", "orders"}}));
  CHECK(metrics.sum("strangler_health_checks_total",
                    {{"target", "orders"}, {"result", "failure"}}) >= kUnhealthy);

  {
    INFO("a GET to the down target is answered by legacy at once");
    auto client = c.client();
    auto start = Clock::now();
    auto res = client.Get("/orders/1");
    auto elapsed = Clock::now() - start;
    REQUIRE(res);
    INFO(res->status << " " << res->body);
    CHECK(res->status == 200);
    CHECK(served_by(res) == "monolith");
    CHECK(header_of(res, "X-Strangler-Fallback") == "target-down");
    CHECK(elapsed < 2s);
  }
  {
    INFO("without a fallback the client gets 503 target-down at once");
    c.ctl_ok({"route", "add", "/carts", "--to", "orders", "--fallback", "none"});
    REQUIRE(wait_until(
        [&] {
          auto res = c.client().Get("/carts/1");
          return res && res->status == 503;
        },
        5s));
    auto start = Clock::now();
    auto res = c.client().Get("/carts/1");
    REQUIRE(res);
    CHECK(res->status == 503);
    CHECK(res->body.find("target-down") != std::string::npos);
    CHECK(Clock::now() - start < 2s);
  }

  hung.set_fault(Fault::none);
  REQUIRE_MESSAGE(wait_until([&] { return health_of(c, "orders") == "up"; }, 5s),
                  "orders never came back up");
  auto res = c.client().Get("/orders/1");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(header_of(res, "X-Strangler-Target") == "orders");
  CHECK(header_of(res, "X-Strangler-Fallback").empty());
  CHECK(scrape(c).sum("strangler_target_healthy", {{"target", "orders"}}) == 1);

  {
    INFO("--health-path none switches the check off; the target is served, unchecked");
    c.ctl_ok({"target", "set", "orders", "--health-path", "none"});
    REQUIRE(wait_until([&] { return health_of(c, "orders") == "unchecked"; }, 5s));
    CHECK_FALSE(scrape(c).has("strangler_target_healthy", {{"target", "orders"}}));
  }
}
