// Integration: the bulkhead of a target (--max-concurrent). With slow answers and more concurrent
// requests than the cap, exactly the cap reaches the target; the excess is served by the route's
// fallback at once ("X-Strangler-Fallback: bulkhead-full"), or without a fallback gets a 503 with
// Retry-After at once. Rejections are counted, and they are not breaker failures.
#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/prometheus.h"
#include "tests/support/resilience.h"

using namespace strangler::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Outcome {
  std::string path;
  Clock::time_point start, end;
  bool ok = false;
  int status = 0;
  std::string served_by, target, fallback, retry_after, body, error;

  std::string describe() const {
    return path + ": " +
           (ok ? std::to_string(status) + " from '" + served_by + "' target '" + target +
                     "' fallback '" + fallback + "' in " +
                     std::to_string(
                         std::chrono::duration_cast<std::chrono::milliseconds>(end - start)
                             .count()) +
                     " ms"
               : "client error " + error);
  }
};

}  // namespace

TEST_CASE("bulkhead: past --max-concurrent the excess goes to the fallback, or gets 503 at once") {
  constexpr int kCap = 2;
  constexpr int kPerRoute = 6;
  const auto kLatency = 1000ms;

  Cluster c;
  c.init_with_monolith();
  auto& slow = c.start_stub("slow-svc", {"--latency-ms", "1000"});
  c.ctl_ok({"target", "add", "capped", slow.url, "--max-concurrent", std::to_string(kCap),
            "--timeout-ms", "5000"});
  c.ctl_ok({"target", "add", "capped-strict", slow.url, "--max-concurrent", std::to_string(kCap),
            "--timeout-ms", "5000"});
  c.ctl_ok({"route", "add", "/orders", "--to", "capped"});  // default fallback: legacy
  c.ctl_ok({"route", "add", "/customers", "--to", "capped-strict", "--fallback", "none"});
  c.start_router();

  // 2 x 6 concurrent requests, each on its own connection, released together.
  std::vector<Outcome> outcomes(2 * kPerRoute);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 2 * kPerRoute; ++i) {
      threads.emplace_back([&, i] {
        auto& o = outcomes[i];
        o.path = (i < kPerRoute ? "/orders/" : "/customers/") + std::to_string(i % kPerRoute + 1);
        auto client = make_client(c.router_port());
        ++ready;
        auto deadline = Clock::now() + 5s;
        while (!go && Clock::now() < deadline) std::this_thread::yield();
        o.start = Clock::now();
        auto res = client.Get(o.path);
        o.end = Clock::now();
        o.ok = static_cast<bool>(res);
        if (!res) {
          o.error = httplib::to_string(res.error());
          return;
        }
        o.status = res->status;
        o.served_by = res->get_header_value("X-Served-By");
        o.target = res->get_header_value("X-Strangler-Target");
        o.fallback = res->get_header_value("X-Strangler-Fallback");
        o.retry_after = res->get_header_value("Retry-After");
        o.body = res->body;
      });
    }
    wait_until([&] { return ready == 2 * kPerRoute; }, 3s);
    go = true;
  }

  std::string all;
  for (const auto& o : outcomes) all += o.describe() + "\n";
  INFO("outcomes:\n" << all);
  auto first_start = std::min_element(outcomes.begin(), outcomes.end(), [](auto& a, auto& b) {
                       return a.start < b.start;
                     })->start;
  auto last_start = std::max_element(outcomes.begin(), outcomes.end(), [](auto& a, auto& b) {
                      return a.start < b.start;
                    })->start;
  // The premise: every request was sent while the first slow ones were still running.
  REQUIRE(last_start - first_start < kLatency / 2);

  int orders_capped = 0, orders_fallback = 0, strict_capped = 0, strict_rejected = 0;
  for (int i = 0; i < 2 * kPerRoute; ++i) {
    const auto& o = outcomes[i];
    INFO(o.describe());
    REQUIRE(o.ok);
    const auto took = o.end - o.start;
    if (o.served_by == "slow-svc") {
      CHECK(o.status == 200);
      CHECK(o.fallback.empty());
      CHECK(took >= kLatency - 100ms);
      CHECK(o.target == (i < kPerRoute ? "capped" : "capped-strict"));
      ++(i < kPerRoute ? orders_capped : strict_capped);
      continue;
    }
    // The excess does not wait for the slow ones.
    CHECK(took < kLatency / 2);
    if (i < kPerRoute) {
      CHECK(o.status == 200);
      CHECK(o.served_by == "monolith");
      CHECK(o.target == "legacy");
      CHECK(o.fallback == "bulkhead-full");
      ++orders_fallback;
    } else {
      CHECK(o.status == 503);
      CHECK(o.fallback.empty());
      CHECK(!o.retry_after.empty());
      CHECK(std::all_of(o.retry_after.begin(), o.retry_after.end(),
                        [](char ch) { return ch >= '0' && ch <= '9'; }));
      REQUIRE(nlohmann::json::accept(o.body));
      auto body = nlohmann::json::parse(o.body);
      CHECK(body.contains("error"));
      CHECK(body.value("reason", "") == "bulkhead-full");
      CHECK(body.value("target", "") == "capped-strict");
      ++strict_rejected;
    }
  }
  CHECK(orders_capped == kCap);
  CHECK(orders_fallback == kPerRoute - kCap);
  CHECK(strict_capped == kCap);
  CHECK(strict_rejected == kPerRoute - kCap);

  // Rejections are not failures of the target.
  for (const auto* name : {"capped", "capped-strict"}) {
    auto entry = breaker_entry(c, name);
    INFO(entry.dump());
    CHECK(entry.value("state", "") == "closed");
    CHECK(entry["window"].value("failures", -1) == 0);
  }

  // Counted: rejections per target, fallbacks by reason.
  auto metrics = c.admin_client().Get("/metrics");
  REQUIRE(metrics);
  REQUIRE(metrics->status == 200);
  auto scrape = parse_prometheus(metrics->body, c.dir());
  CHECK(scrape.sum("strangler_bulkhead_rejections_total", {{"target", "capped"}}) ==
        kPerRoute - kCap);
  CHECK(scrape.sum("strangler_bulkhead_rejections_total", {{"target", "capped-strict"}}) ==
        kPerRoute - kCap);
  CHECK(scrape.sum("strangler_fallbacks_total", {{"reason", "bulkhead-full"}}) == kPerRoute - kCap);

  // The slots are free again once the slow answers are done.
  auto again = c.client().Get("/orders/1");
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(served_by(again) == "slow-svc");
  CHECK(header_of(again, "X-Strangler-Fallback").empty());
}
