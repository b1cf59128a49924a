// Integration: an upstream that is down (connection refused), resets, or answers too slowly gets
// a 502 / 504 with a small JSON body naming the target and the reason — in time — and the router
// keeps serving everything else.
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cluster.h"
#include "tests/support/raw_http.h"
#include "tests/support/recording_upstream.h"

using namespace strangler::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// The error body is JSON and names the target.
void check_error_body(const httplib::Result& res, const std::string& target) {
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(nlohmann::json::accept(res->body));
  CHECK(res->body.find('"' + target + '"') != std::string::npos);
  CHECK(res->get_header_value("Content-Type").find("json") != std::string::npos);
  CHECK(res->body.size() < 1024);
}

}  // namespace

TEST_CASE("upstream failure: a target that refuses connections gets a 502 naming it") {
  Cluster c;
  c.init_with_monolith();
  auto down = "http://127.0.0.1:" + std::to_string(unused_loopback_port());
  c.ctl_ok({"target", "add", "ghost", down, "--connect-timeout-ms", "500"});
  // No fallback: this is about the error the router answers itself.
  c.ctl_ok({"route", "add", "/ghost", "--to", "ghost", "--fallback", "none"});
  c.start_router();
  auto client = c.client();
  auto start = Clock::now();
  auto res = client.Get("/ghost/1");
  CHECK(Clock::now() - start < 2s);
  REQUIRE(res);
  CHECK(res->status == 502);
  check_error_body(res, "ghost");
  CHECK(header_of(res, "X-Strangler-Target") == "ghost");
  // Again (no poisoned state), and other routes are fine.
  CHECK(client.Get("/ghost/2")->status == 502);
  auto ok = client.Get("/orders/1");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(served_by(ok) == "monolith");
}

TEST_CASE("upstream failure: a target that resets the connection gets a 502 naming it") {
  RecordingUpstream resetter([](const RecordedRequest&) { return std::string(); });
  Cluster c;
  c.init_with_monolith();
  c.ctl_ok({"target", "add", "resetter", resetter.url()});
  c.ctl_ok({"route", "add", "/reset", "--to", "resetter", "--fallback", "none"});
  c.start_router();
  auto start = Clock::now();
  auto res = c.client().Get("/reset/1");
  CHECK(Clock::now() - start < 3s);
  REQUIRE(res);
  CHECK(res->status == 502);
  check_error_body(res, "resetter");
  CHECK(resetter.requests().size() >= 1);
}

TEST_CASE("upstream failure: a target slower than its --timeout-ms gets a 504 in time") {
  Cluster c;
  c.init_with_monolith();
  auto& slow = c.start_stub("slow-svc");
  c.ctl_ok({"target", "add", "slowpoke", slow.url, "--timeout-ms", "300"});
  c.ctl_ok({"route", "add", "/slow", "--to", "slowpoke", "--fallback", "none"});
  c.start_router();
  auto client = c.client();

  auto fast = client.Get("/slow/10");  // within the budget: fine
  REQUIRE(fast);
  CHECK(fast->status == 200);
  CHECK(served_by(fast) == "slow-svc");

  auto start = Clock::now();
  auto res = client.Get("/slow/3000");
  auto took = Clock::now() - start;
  REQUIRE(res);
  CHECK(res->status == 504);
  check_error_body(res, "slowpoke");
  CHECK(took >= 250ms);
  CHECK(took < 1500ms);
  auto ok = client.Get("/customers/1");
  REQUIRE(ok);
  CHECK(served_by(ok) == "monolith");
}
