// Integration: legacy-stub on its own — the contract the router tests rely on (X-Served-By on every
// answer, deterministic data, /echo, /bytes, /slow, a clean exit on SIGTERM).
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cluster.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {
// The body without the one field that changes on every call (meta.generated_at).
std::string unstamped(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return body;
  doc.erase("meta");
  return doc.dump();
}
}  // namespace

TEST_CASE("legacy-stub: every answer names the instance, two instances answer alike") {
  Cluster c;
  auto& a = c.start_stub("alpha");
  auto& b = c.start_stub("beta");
  auto ca = make_client(a.port);
  auto cb = make_client(b.port);
  for (const char* path : {"/orders/7", "/customers/3", "/payments/order/7", "/no/such/path"}) {
    CAPTURE(path);
    auto ra = ca.Get(path);
    auto rb = cb.Get(path);
    REQUIRE(ra);
    REQUIRE(rb);
    CHECK(served_by(ra) == "alpha");
    CHECK(served_by(rb) == "beta");
    CHECK(ra->status == rb->status);
    CHECK(unstamped(ra->body) == unstamped(rb->body));
  }
  auto order = ca.Get("/orders/7");
  CHECK(order->status == 200);
  CHECK(nlohmann::json::accept(order->body));
  auto health = ca.Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body.find("alpha") != std::string::npos);
}

TEST_CASE("legacy-stub: shop documents carry meta.generated_at, new on every call") {
  Cluster c;
  auto client = make_client(c.start_stub("stamper").port);
  for (const char* path : {"/orders/7", "/orders?customer=3", "/customers/3", "/payments/order/7",
                           "/inventory/reservations/order/7"}) {
    CAPTURE(path);
    auto first = client.Get(path);
    auto second = client.Get(path);
    REQUIRE(first);
    REQUIRE(second);
    auto a = nlohmann::json::parse(first->body);
    auto b = nlohmann::json::parse(second->body);
    const std::string at = a["meta"].value("generated_at", "");
    CHECK(at.size() == std::string("2026-11-27T03:58:27.123456Z").size());
    CHECK(at.back() == 'Z');
    CHECK(at != b["meta"].value("generated_at", ""));
    a.erase("meta");
    b.erase("meta");
    CHECK(a == b);
  }
  auto health = client.Get("/health");
  REQUIRE(health);
  CHECK(health->body.find("generated_at") == std::string::npos);
}

TEST_CASE("legacy-stub: /echo reflects method, path, query, headers and body") {
  Cluster c;
  auto& s = c.start_stub("echoer");
  auto client = make_client(s.port);
  httplib::Headers headers = {{"X-Test", "value-1"}};
  auto res = client.Post("/echo/deep/path?x=1&y=two", headers, "the body", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(served_by(res) == "echoer");
  REQUIRE(nlohmann::json::accept(res->body));
  auto j = nlohmann::json::parse(res->body);
  INFO(res->body);
  CHECK(j.value("method", "") == "POST");
  CHECK(j.value("path", "") == "/echo/deep/path");
  CHECK(j.dump().find("value-1") != std::string::npos);
  CHECK(j.value("body", "") == "the body");
}

TEST_CASE("legacy-stub: /bytes/{n} is n deterministic bytes, /slow/{ms} waits") {
  Cluster c;
  auto& s = c.start_stub("bytes");
  auto client = make_client(s.port);
  auto first = client.Get("/bytes/100000");
  auto second = client.Get("/bytes/100000");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->status == 200);
  CHECK(first->body.size() == 100000);
  CHECK(first->body == second->body);
  auto start = std::chrono::steady_clock::now();
  auto slow = client.Get("/slow/300");
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(slow);
  CHECK(slow->status == 200);
  CHECK(took >= 300ms);
  CHECK(took < 3s);
}

TEST_CASE("legacy-stub: --latency-ms, --fail-rate and --variant extracted") {
  Cluster c;
  auto& plain = c.start_stub("plain");
  auto& slow = c.start_stub("slow", {"--latency-ms", "200"});
  auto& failing = c.start_stub("failing", {"--fail-rate", "1"});
  auto& extracted = c.start_stub("extracted", {"--variant", "extracted"});
  auto start = std::chrono::steady_clock::now();
  auto res = make_client(slow.port).Get("/orders/7");
  REQUIRE(res);
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);
  CHECK(res->status == 200);
  for (int i = 0; i < 5; ++i) {
    auto failed = make_client(failing.port).Get("/orders/7");
    REQUIRE(failed);
    CHECK(failed->status == 500);
    CHECK(served_by(failed) == "failing");
  }
  auto a = make_client(plain.port).Get("/orders/7");
  auto b = make_client(extracted.port).Get("/orders/7");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(b->status == 200);
  CHECK(nlohmann::json::accept(b->body));
  CHECK(a->body != b->body);
}

TEST_CASE("legacy-stub: exits 0 on SIGTERM") {
  Cluster c;
  auto& s = c.start_stub("quitter");
  REQUIRE(make_client(s.port).Get("/health"));
  CHECK(s.process->stop() == 0);
}
