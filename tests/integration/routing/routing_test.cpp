// Integration: which target serves a request — the default (legacy), routes added and flipped
// while the router runs (live within 1 s), prefix boundaries, wildcards, --exact, --methods, and
// the X-Strangler-Target header (and --no-target-header).
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cluster.h"
#include "tests/support/raw_http.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

// Waits until GET `path` is served by `stub`; REQUIREs that it happens within 1 s.
void expect_switch(Cluster& c, const std::string& path, const std::string& stub) {
  auto client = c.client();
  auto took = wait_until([&] { return served_by(client.Get(path)) == stub; }, 1500ms);
  INFO("GET " << path << " never served by " << stub);
  REQUIRE(took.has_value());
  CHECK(*took < 1000ms);
}

}  // namespace

TEST_CASE("routing: everything goes to legacy by default") {
  Cluster c;
  c.init_with_monolith();
  c.start_router();
  auto client = c.client();
  for (const char* path : {"/orders/7", "/customers/3", "/health", "/", "/nothing/here"}) {
    CAPTURE(path);
    auto res = client.Get(path);
    REQUIRE(res);
    CHECK(served_by(res) == "monolith");
    CHECK(header_of(res, "X-Strangler-Target") == "legacy");
  }
  auto direct = make_client(c.start_stub("reference").port).Get("/orders/7");
  auto proxied = client.Get("/orders/7");
  REQUIRE(direct);
  REQUIRE(proxied);
  CHECK(proxied->status == 200);
  // Equal but for meta.generated_at, which the stub stamps on every answer.
  auto strip = [](const std::string& body) {
    auto doc = nlohmann::json::parse(body);
    doc.erase("meta");
    return doc;
  };
  CHECK(strip(proxied->body) == strip(direct->body));
}

TEST_CASE("routing: route add and flip take effect within 1 s, on segment boundaries") {
  Cluster c;
  c.init_with_monolith();
  auto& orders = c.start_stub("orders-svc");
  c.ctl_ok({"target", "add", "orders", orders.url});
  c.start_router();
  auto client = c.client();

  c.ctl_ok({"route", "add", "/orders", "--to", "orders"});
  expect_switch(c, "/orders/7", "orders-svc");
  for (const char* path : {"/orders", "/orders/7", "/orders/7/items", "/orders?customer=3"}) {
    CAPTURE(path);
    auto res = client.Get(path);
    CHECK(served_by(res) == "orders-svc");
    CHECK(header_of(res, "X-Strangler-Target") == "orders");
  }
  for (const char* path : {"/ordersX", "/customers/3", "/", "/order"}) {
    CAPTURE(path);
    auto res = client.Get(path);
    CHECK(served_by(res) == "monolith");
    CHECK(header_of(res, "X-Strangler-Target") == "legacy");
  }

  c.ctl_ok({"route", "flip", "/orders", "--to", "legacy"});
  expect_switch(c, "/orders/7", "monolith");
  CHECK(header_of(client.Get("/orders/7"), "X-Strangler-Target") == "legacy");

  c.ctl_ok({"route", "flip", "/orders", "--to", "orders"});
  expect_switch(c, "/orders/7", "orders-svc");

  c.ctl_ok({"route", "rm", "/orders"});
  expect_switch(c, "/orders/7", "monolith");
}

TEST_CASE("routing: wildcards, --exact and --methods") {
  Cluster c;
  c.init_with_monolith();
  auto& svc = c.start_stub("svc");
  c.ctl_ok({"target", "add", "svc", svc.url});
  c.ctl_ok({"route", "add", "/customers/*/orders", "--to", "svc"});
  c.ctl_ok({"route", "add", "/health", "--to", "svc", "--exact"});
  c.ctl_ok({"route", "add", "/echo", "--to", "svc", "--methods", "POST"});
  c.start_router();
  auto client = c.client();

  CHECK(served_by(client.Get("/customers/5/orders")) == "svc");
  CHECK(served_by(client.Get("/customers/5/orders/9")) == "svc");
  CHECK(served_by(client.Get("/customers/5")) == "monolith");
  CHECK(served_by(client.Get("/customers/5/ordersX")) == "monolith");
  CHECK(served_by(client.Get("/customers/5/6/orders")) == "monolith");

  CHECK(served_by(client.Get("/health")) == "svc");
  CHECK(served_by(client.Get("/health/deep")) == "monolith");

  CHECK(served_by(client.Post("/echo", "x", "text/plain")) == "svc");
  CHECK(served_by(client.Post("/echo/sub", "x", "text/plain")) == "svc");
  CHECK(served_by(client.Get("/echo")) == "monolith");
  CHECK(served_by(client.Put("/echo", "x", "text/plain")) == "monolith");
}

TEST_CASE("routing: the path is normalized before routing") {
  Cluster c;
  c.init_with_monolith();
  auto& svc = c.start_stub("svc");
  c.ctl_ok({"target", "add", "svc", svc.url});
  c.ctl_ok({"route", "add", "/orders", "--to", "svc"});
  c.start_router();
  // Dot segments, doubled slashes and escaped unreserved characters cannot dodge a route.
  for (const char* target : {"/x/../orders/1", "//orders/1", "/%6Frders/1", "/./orders"}) {
    CAPTURE(target);
    auto res =
        raw_request(c.router_port(), std::string("GET ") + target +
                                         " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    CHECK(res.header("X-Served-By") == "svc");
  }
}

TEST_CASE("routing: --no-target-header leaves X-Strangler-Target out") {
  Cluster c;
  c.init_with_monolith();
  c.start_router({"--no-target-header"});
  auto res = c.client().Get("/orders/7");
  REQUIRE(res);
  CHECK(served_by(res) == "monolith");
  CHECK_FALSE(res->has_header("X-Strangler-Target"));
}
