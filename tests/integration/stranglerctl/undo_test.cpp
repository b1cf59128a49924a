// Integration: `stranglerctl undo` reverts the latest change — live in the router within 1 s —
// and is itself recorded in the history.
#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cluster.h"

using namespace strangler::test;
using namespace std::chrono_literals;

TEST_CASE("undo: a flip is reverted and the router follows within 1 s") {
  Cluster c;
  c.init_orders_migration();
  auto routes_before_flip = c.ctl_ok({"route", "list", "--json"}).out;
  c.start_router();
  auto client = c.client();

  c.ctl_ok({"route", "flip", "/orders", "--to", "orders"});
  REQUIRE(wait_until([&] { return served_by(client.Get("/orders/7")) == "orders-svc"; }, 1500ms));
  auto history_before = nlohmann::json::parse(c.ctl_ok({"history", "--json"}).out);

  c.ctl_ok({"undo"});
  auto back = wait_until([&] { return served_by(client.Get("/orders/7")) == "monolith"; }, 1500ms);
  REQUIRE(back.has_value());
  CHECK(*back < 1000ms);
  CHECK(header_of(client.Get("/orders/7"), "X-Strangler-Target") == "legacy");
  CHECK(c.ctl_ok({"route", "list", "--json"}).out == routes_before_flip);

  auto history_after = nlohmann::json::parse(c.ctl_ok({"history", "--json"}).out);
  INFO(history_after.dump(2));
  REQUIRE(history_after.is_array());
  CHECK(history_after.size() == history_before.size() + 1);
  CHECK(history_after.dump().find("undo") != std::string::npos);
  // Human-readable history mentions the flip too.
  CHECK(c.ctl_ok({"history"}).out.find("flip") != std::string::npos);
}

TEST_CASE("undo: an added route is removed again") {
  Cluster c;
  c.init_with_monolith();
  auto& svc = c.start_stub("svc");
  c.ctl_ok({"target", "add", "svc", svc.url});
  auto routes_before = c.ctl_ok({"route", "list", "--json"}).out;
  c.start_router();
  auto client = c.client();
  c.ctl_ok({"route", "add", "/customers", "--to", "svc"});
  REQUIRE(wait_until([&] { return served_by(client.Get("/customers/1")) == "svc"; }, 1500ms));
  c.ctl_ok({"undo"});
  CHECK(wait_until([&] { return served_by(client.Get("/customers/1")) == "monolith"; }, 1500ms));
  CHECK(c.ctl_ok({"route", "list", "--json"}).out == routes_before);
}
