// Integration: a flip while clients hammer the router over keep-alive connections — not one
// request fails, and the new target serves every request that starts 1 s after the flip. A slow
// request in flight during a flip finishes on the target it started with.
#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cluster.h"

using namespace strangler::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Sample {
  Clock::time_point start, end;
  bool ok = false;
  int status = 0;
  std::string served_by;
  std::string error;
};

}  // namespace

TEST_CASE("flip under load: zero failed requests, switch within 1 s") {
  Cluster c;
  c.init_orders_migration();
  c.start_router();

  constexpr int kThreads = 3;
  constexpr std::size_t kMaxPerThread = 50000;
  const auto run_for = 3s;
  std::vector<std::vector<Sample>> samples(kThreads);
  std::atomic<bool> go{false};
  std::vector<std::jthread> threads;  // joined even when an assertion throws
  const auto port = c.router_port();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto client = make_client(port);
      client.set_keep_alive(true);
      while (!go) std::this_thread::yield();
      auto until = Clock::now() + run_for;
      auto& mine = samples[t];
      mine.reserve(4096);
      while (Clock::now() < until && mine.size() < kMaxPerThread) {
        Sample s;
        s.start = Clock::now();
        auto res = client.Get("/orders/" + std::to_string(mine.size() % 50 + 1));
        s.end = Clock::now();
        s.ok = static_cast<bool>(res);
        if (res) {
          s.status = res->status;
          s.served_by = res->get_header_value("X-Served-By");
        } else {
          s.error = httplib::to_string(res.error());
        }
        mine.push_back(std::move(s));
      }
    });
  }
  go = true;
  std::this_thread::sleep_for(1s);
  auto flip_start = Clock::now();
  auto flip = c.ctl({"route", "flip", "/orders", "--to", "orders"});
  auto flip_done = Clock::now();
  for (auto& th : threads) th.join();
  INFO(flip.describe());
  REQUIRE(flip.exit_code == 0);

  std::size_t total = 0, failed = 0, late_legacy = 0, early_new = 0;
  std::string first_failure;
  auto first_new = Clock::time_point::max();
  for (const auto& mine : samples) {
    for (const auto& s : mine) {
      ++total;
      bool good =
          s.ok && s.status == 200 && (s.served_by == "monolith" || s.served_by == "orders-svc");
      if (!good) {
        if (failed++ == 0) {
          first_failure = s.ok
                              ? "status " + std::to_string(s.status) + " from '" + s.served_by + "'"
                              : "client error: " + s.error;
        }
        continue;
      }
      if (s.served_by == "orders-svc") {
        first_new = std::min(first_new, s.end);
        if (s.end < flip_start) ++early_new;
      } else if (s.start > flip_done + 1s) {
        ++late_legacy;
      }
    }
  }
  MESSAGE("requests during the flip test: " << total);
  CHECK(total >= 300);  // the load was real
  INFO("first failure: " << first_failure);
  CHECK(failed == 0);
  CHECK(early_new == 0);
  CHECK(late_legacy == 0);
  REQUIRE(first_new != Clock::time_point::max());
  CHECK(first_new - flip_done < 1s);
}

TEST_CASE("flip under load: a request in flight finishes on the target it started with") {
  Cluster c;
  c.init_with_monolith();
  auto& svc = c.start_stub("svc");
  c.ctl_ok({"target", "add", "svc", svc.url});
  c.ctl_ok({"route", "add", "/slow", "--to", "legacy"});
  c.start_router();
  int slow_status = 0;
  std::string slow_served_by;
  const auto connects_before = c.metric("strangler_upstream_connections_opened_total");
  std::jthread in_flight([&] {
    auto res = make_client(c.router_port()).Get("/slow/1200");
    slow_status = res ? res->status : -1;
    slow_served_by = served_by(res);
  });
  // The router connects upstream only once it has chosen the target: from then on the slow
  // request is in flight on the monolith, whatever the flip does.
  REQUIRE(wait_until(
      [&] { return c.metric("strangler_upstream_connections_opened_total") > connects_before; },
      5s));
  c.ctl_ok({"route", "flip", "/slow", "--to", "svc"});
  auto client = c.client();
  auto switched = wait_until([&] { return served_by(client.Get("/slow/1")) == "svc"; }, 1500ms);
  in_flight.join();
  CHECK(switched.has_value());
  CHECK(slow_status == 200);
  CHECK(slow_served_by == "monolith");
}
