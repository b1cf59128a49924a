// Integration: the admin listener — /healthz, /readyz, /admin/rules (the live table and its
// version, following rule changes) — on its own port, never on the proxy port.
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cluster.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

nlohmann::json rules(Cluster& c) {
  auto res = c.admin_client().Get("/admin/rules");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  INFO(res->body);
  REQUIRE(nlohmann::json::accept(res->body));
  return nlohmann::json::parse(res->body);
}

}  // namespace

TEST_CASE("admin: /healthz and /readyz answer 200 once rules are loaded") {
  Cluster c;
  c.init_with_monolith();
  c.start_router();
  CHECK(c.admin_port() != c.router_port());
  auto admin = c.admin_client();
  auto health = admin.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto ready = admin.Get("/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 200);
}

TEST_CASE("admin: /admin/rules shows the live table and follows changes") {
  Cluster c;
  c.init_with_monolith();
  auto& svc = c.start_stub("svc");
  c.ctl_ok({"target", "add", "orders", svc.url});
  c.start_router();

  auto before = rules(c);
  INFO(before.dump(2));
  REQUIRE(before.contains("version"));
  REQUIRE(before["version"].is_number_integer());
  REQUIRE(before["targets"].is_array());
  REQUIRE(before["routes"].is_array());
  CHECK(before["targets"].dump().find("\"legacy\"") != std::string::npos);
  CHECK(before["targets"].dump().find("\"orders\"") != std::string::npos);
  CHECK(before["routes"].empty());

  c.ctl_ok({"route", "add", "/orders", "--to", "orders"});
  nlohmann::json after;
  auto took = wait_until(
      [&] {
        after = rules(c);
        return after["version"].get<long long>() > before["version"].get<long long>();
      },
      1500ms);
  INFO(after.dump(2));
  REQUIRE(took.has_value());
  CHECK(*took < 1000ms);
  REQUIRE(after["routes"].size() == 1);
  CHECK(after["routes"].dump().find("/orders") != std::string::npos);
  CHECK(after["routes"].dump().find("\"orders\"") != std::string::npos);
}

TEST_CASE("admin: admin paths on the proxy port are proxied, not answered") {
  Cluster c;
  c.init_with_monolith();
  c.start_router();
  auto client = c.client();
  for (const char* path : {"/admin/rules", "/healthz", "/readyz"}) {
    CAPTURE(path);
    auto res = client.Get(path);
    REQUIRE(res);
    CHECK(served_by(res) == "monolith");
  }
}
