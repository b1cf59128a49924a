// Integration: the admin endpoints of the resilience features — GET /admin/breakers (one entry
// per route and target: state, since, window, last failure), POST /admin/breakers/NAME/reset
// (every route's breaker of the target, or ?route= one) guarded by --admin-token, and GET
// /admin/traffic (recent requests per serving target).
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/raw_http.h"
#include "tests/support/resilience.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

httplib::Result reset_breaker(const Cluster& c, const std::string& target,
                              const std::string& authorization = "",
                              const std::string& query = "") {
  auto admin = c.admin_client();
  httplib::Headers headers;
  if (!authorization.empty()) headers.emplace("Authorization", authorization);
  return admin.Post("/admin/breakers/" + target + "/reset" + query, headers, "", "text/plain");
}

}  // namespace

TEST_CASE("admin breakers: listing, and a reset that needs the admin token") {
  Cluster c;
  c.init_with_monolith();
  auto& orders = c.start_stub("orders-svc");
  c.ctl_ok({"target", "add", "orders", orders.url});
  auto down = "http://127.0.0.1:" + std::to_string(unused_loopback_port());
  c.ctl_ok({"target", "add", "ghost", down, "--connect-timeout-ms", "300", "--window", "5",
            "--min-calls", "2", "--failure-threshold", "2", "--recovery-ms", "60000"});
  c.ctl_ok({"route", "add", "/orders", "--to", "orders"});
  c.ctl_ok({"route", "add", "/ghost", "--to", "ghost", "--fallback", "none"});
  c.start_router({"--admin-token", "s3cret"});
  auto client = c.client();

  // A breaker is made when its route first sends to the target: none before any traffic.
  auto before = admin_json(c, "/admin/breakers");
  INFO(before.dump(2));
  REQUIRE(before["targets"].is_array());
  CHECK(before["targets"].empty());

  // Traffic: ghost refuses connections until its breaker opens.
  for (int i = 0; i < 3; ++i) REQUIRE(served_by(client.Get("/orders/1")) == "orders-svc");
  std::vector<int> ghost_statuses;
  for (int i = 0; i < 4; ++i) {
    auto res = client.Get("/ghost/" + std::to_string(i));
    ghost_statuses.push_back(res ? res->status : -1);
  }
  CHECK(ghost_statuses.front() == 502);
  CHECK(ghost_statuses.back() == 503);

  // One entry per route and target that traffic went to.
  auto all = admin_json(c, "/admin/breakers");
  INFO(all.dump(2));
  std::multiset<std::string> names;
  for (const auto& t : all["targets"]) {
    names.insert(t.value("name", "") + " on " + t.value("route", ""));
    CHECK(is_rfc3339(t.value("since", "")));
    REQUIRE(t.contains("window"));
  }
  CHECK(names == std::multiset<std::string>{"ghost on /ghost", "orders on /orders"});

  auto ghost = breaker_entry(c, "ghost");
  INFO(ghost.dump());
  CHECK(ghost.value("state", "") == "open");
  CHECK(is_rfc3339(ghost.value("since", "")));
  CHECK(ghost["window"].value("failures", 0) >= 2);
  CHECK(ghost["window"].value("calls", 0) >= ghost["window"].value("failures", 0));
  REQUIRE(ghost.contains("last_failure"));
  REQUIRE(ghost["last_failure"].is_string());
  CHECK(!ghost["last_failure"].get<std::string>().empty());
  auto orders_entry = breaker_entry(c, "orders");
  CHECK(orders_entry.value("state", "") == "closed");
  CHECK(orders_entry["window"].value("calls", 0) == 3);
  CHECK(orders_entry["window"].value("failures", -1) == 0);

  // Without the token, or with a wrong one: 401, and nothing changes.
  auto no_token = reset_breaker(c, "ghost");
  REQUIRE(no_token);
  CHECK(no_token->status == 401);
  auto wrong = reset_breaker(c, "ghost", "Bearer wrong");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(breaker_state(c, "ghost") == "open");

  // An unknown target: 404.
  auto unknown = reset_breaker(c, "nope", "Bearer s3cret");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  // A route that does not send to the target: 404, nothing reset.
  auto wrong_route = reset_breaker(c, "ghost", "Bearer s3cret", "?route=/orders");
  REQUIRE(wrong_route);
  CHECK(wrong_route->status == 404);
  CHECK(breaker_state(c, "ghost") == "open");

  // With the token: closed, with an empty window, and the next request reaches ghost again.
  auto ok = reset_breaker(c, "ghost", "Bearer s3cret", "?route=/ghost");
  REQUIRE(ok);
  INFO(ok->body);
  CHECK(ok->status == 200);
  REQUIRE(nlohmann::json::accept(ok->body));
  auto reset_entries = nlohmann::json::parse(ok->body)["targets"];
  REQUIRE(reset_entries.size() == 1);
  CHECK(reset_entries[0].value("route", "") == "/ghost");
  auto after = breaker_entry(c, "ghost");
  INFO(after.dump());
  CHECK(after.value("state", "") == "closed");
  CHECK(after["window"].value("calls", -1) == 0);
  auto again = client.Get("/ghost/9");
  REQUIRE(again);
  CHECK(again->status == 502);  // the target was called (refused), not short-circuited

  const auto log = c.router().stderr_text();
  INFO("router stderr:\n" << log);
  CHECK(logged_transition(log, "ghost", "closed", "open"));
  CHECK(log.find("breaker ghost on /ghost:") != std::string::npos);  // the line names the route
  CHECK(logged_transition(log, "ghost", "open", "closed"));
  CHECK(!logged_transition(log, "orders", "closed", "open"));
}

TEST_CASE("admin breakers: without --admin-token a reset needs no token") {
  Cluster c;
  c.init_with_monolith();
  auto down = "http://127.0.0.1:" + std::to_string(unused_loopback_port());
  c.ctl_ok({"target", "add", "ghost", down, "--connect-timeout-ms", "300", "--min-calls", "1",
            "--failure-threshold", "1", "--recovery-ms", "60000"});
  c.ctl_ok({"route", "add", "/ghost", "--to", "ghost", "--fallback", "none"});
  c.start_router();
  auto client = c.client();
  for (int i = 0; i < 2; ++i) client.Get("/ghost/1");
  CHECK(breaker_state(c, "ghost") == "open");
  auto res = reset_breaker(c, "ghost");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(breaker_state(c, "ghost") == "closed");
}

TEST_CASE("admin breakers: /admin/traffic counts recent requests by the target that served them") {
  Cluster c;
  c.init_with_monolith();
  auto& orders = c.start_stub("orders-svc");
  c.ctl_ok({"target", "add", "orders", orders.url});
  c.ctl_ok({"target", "add", "payments", orders.url});  // never used
  c.ctl_ok({"route", "add", "/orders", "--to", "orders"});
  c.start_router();
  auto client = c.client();
  for (int i = 0; i < 3; ++i) REQUIRE(served_by(client.Get("/orders/1")) == "orders-svc");
  for (int i = 0; i < 5; ++i) REQUIRE(served_by(client.Get("/customers/1")) == "monolith");

  // The router counts a request just after its answer went out: wait until all eight are in.
  nlohmann::json traffic;
  wait_until(
      [&] {
        traffic = admin_json(c, "/admin/traffic");
        long long total = 0;
        for (const auto& t : traffic["targets"]) total += t.value("requests", 0LL);
        return total >= 8;
      },
      3s);
  INFO(traffic.dump(2));
  CHECK(traffic.value("window_seconds", 0) == 300);
  REQUIRE(traffic["targets"].is_array());
  std::map<std::string, long long> by_name;
  for (const auto& t : traffic["targets"]) {
    REQUIRE(t["requests"].is_number_integer());
    by_name[t.value("name", "")] = t["requests"].get<long long>();
  }
  CHECK(by_name["legacy"] == 5);
  CHECK(by_name["orders"] == 3);
  CHECK(by_name["payments"] == 0);  // listed with 0, or not listed
}
