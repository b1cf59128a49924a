// Integration: the admin listener — /healthz, /readyz, /admin/rules (the live table and its
// version, following rule changes) — on its own port, never on the proxy port; a POST without a
// body (plain `curl -X POST`) works, and every admin error has a JSON body.
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

TEST_CASE("admin: a POST without a body works, and every admin error has a JSON body") {
  Cluster c;
  c.init_with_monolith();
  c.start_router();
  // What `curl -X POST URL` sends: no Content-Length, so no body (RFC 9112).
  auto reset = raw_request(c.admin_port(),
                           "POST /admin/breakers/legacy/reset HTTP/1.1\r\nHost: admin\r\n"
                           "Accept: */*\r\n\r\n",
                           3s);
  INFO("reset: " << reset.status << " " << reset.body);
  CHECK(reset.status == 200);
  CHECK(nlohmann::json::accept(reset.body));
  // With a body it is read and ignored; the connection stays usable.
  RawConnection kept(c.admin_port(), 3s);
  kept.send(
      "POST /admin/breakers/legacy/reset HTTP/1.1\r\nHost: admin\r\nContent-Length: 2\r\n"
      "\r\n{}");
  CHECK(kept.read_response().status == 200);
  kept.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
  CHECK(kept.read_response().status == 200);

  for (const char* request :
       {"GET /no/such/page HTTP/1.1\r\nHost: admin\r\n\r\n",
        "POST /admin/breakers/nosuchtarget/reset HTTP/1.1\r\nHost: admin\r\n\r\n",
        "POST /healthz HTTP/1.1\r\nHost: admin\r\n\r\n"}) {
    CAPTURE(request);
    auto error = raw_request(c.admin_port(), request, 3s);
    CHECK(error.status >= 400);
    REQUIRE(nlohmann::json::accept(error.body));
    CHECK(nlohmann::json::parse(error.body).contains("error"));
  }
}
