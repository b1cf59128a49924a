// Integration: breakers protect without amplifying an outage (issue 15, points 1 and 2).
// - On routes without a fallback (legacy's, by default) the application's own 500s reach the
//   client; they never turn into "503 breaker-open", for that endpoint or any other.
// - Breakers are per route and target: an extracted service that 500s on one route falls back to
//   legacy there only; its other route keeps being served by the service.
// - With the service's breaker open, only methods the route lets fall back (GET, HEAD, OPTIONS by
//   default) go to legacy; a POST gets the error with the reason, until the route opts it in with
//   --fallback-methods.
// The upstreams behave like real servers: a monolith that answers 500 on one path and 200
// elsewhere (for every method), and a service that does the same on its own broken path.
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cluster.h"
#include "tests/support/raw_http.h"
#include "tests/support/recording_upstream.h"
#include "tests/support/resilience.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

// An application server: 500 on paths starting with `broken`, 200 elsewhere, whatever the method;
// every answer names the server in X-Served-By.
RecordingUpstream::Responder application(const std::string& name, const std::string& broken) {
  return [name, broken](const RecordedRequest& request) {
    bool fails = request.target.rfind(broken, 0) == 0;
    return RecordingUpstream::response(fails ? 500 : 200,
                                       {{"Content-Type", "text/plain"}, {"X-Served-By", name}},
                                       fails ? "internal error of " + name : "ok from " + name);
  };
}

// Breaker settings that open after 3 failures and stay open for a minute.
const std::vector<std::string> kTight = {
    "--window", "10", "--min-calls", "3", "--failure-threshold", "3", "--recovery-ms", "60000"};

std::vector<std::string> with_tight(std::vector<std::string> args) {
  args.insert(args.end(), kTight.begin(), kTight.end());
  return args;
}

std::string json_reason(const httplib::Result& res) {
  if (!res || !nlohmann::json::accept(res->body)) return "";
  return nlohmann::json::parse(res->body).value("reason", "");
}

}  // namespace

TEST_CASE("outage amplification: a monolith's own 500s never become 503 breaker-open") {
  RecordingUpstream monolith(application("monolith", "/broken"));
  Cluster c;
  c.ctl_ok({"init", "--legacy", monolith.url()});
  c.ctl_ok(with_tight({"target", "set", "legacy"}));
  // One explicit legacy route, the rest is the default route: neither has a fallback.
  c.ctl_ok({"route", "add", "/broken", "--to", "legacy"});
  c.start_router();
  auto client = c.client();

  std::map<int, int> broken, healthy, unmatched;
  for (int i = 0; i < 20; ++i) {
    auto b = client.Get("/broken/" + std::to_string(i));
    ++broken[b ? b->status : -1];
    if (b && b->status == 500) CHECK(b->body == "internal error of monolith");
    auto h = client.Get("/healthy/" + std::to_string(i));
    ++healthy[h ? h->status : -1];
  }
  // The same endpoint on the default route: also answered as the monolith answered it.
  for (int i = 0; i < 10; ++i) {
    auto res = client.Post("/broken-too", "x", "text/plain");
    ++unmatched[res ? res->status : -1];
  }
  CHECK(broken == std::map<int, int>{{500, 20}});
  CHECK(healthy == std::map<int, int>{{200, 20}});
  CHECK(unmatched == std::map<int, int>{{500, 10}});
  CHECK(breaker_state(c, "legacy", "/broken") == "closed");
  CHECK(breaker_state(c, "legacy", "(unmatched)") == "closed");
  CHECK(breaker_entry(c, "legacy", "/broken")["window"].value("failures", -1) == 0);
  CHECK(!logged_transition(c.router().stderr_text(), "legacy", "closed", "open"));
}

TEST_CASE("outage amplification: one failing route of a service does not move its other route") {
  RecordingUpstream monolith(application("monolith", "/nothing-broken"));
  RecordingUpstream service(application("orders-svc", "/orders/broken"));
  Cluster c;
  c.ctl_ok({"init", "--legacy", monolith.url()});
  c.ctl_ok(with_tight({"target", "add", "orders", service.url()}));
  // /orders/broken is a route of its own; both fall back to legacy (the default).
  c.ctl_ok({"route", "add", "/orders/broken", "--to", "orders"});
  c.ctl_ok({"route", "add", "/orders", "--to", "orders"});
  c.start_router();
  auto client = c.client();

  // Where there is a fallback the service's 500s count: the broken route's breaker opens and
  // legacy covers it.
  std::string last_fallback, last_server;
  for (int i = 0; i < 6; ++i) {
    auto res = client.Get("/orders/broken/" + std::to_string(i));
    REQUIRE(res);
    last_fallback = res->get_header_value("X-Strangler-Fallback");
    last_server = served_by(res);
  }
  CHECK(breaker_state(c, "orders", "/orders/broken") == "open");
  CHECK(last_fallback == "breaker-open");
  CHECK(last_server == "monolith");

  // The other route of the same service keeps being served by the service.
  for (int i = 0; i < 10; ++i) {
    auto res = client.Get("/orders/" + std::to_string(i));
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(served_by(res) == "orders-svc");
    CHECK(res->get_header_value("X-Strangler-Fallback").empty());
  }
  CHECK(breaker_state(c, "orders", "/orders") == "closed");
  const auto log = c.router().stderr_text();
  CHECK(log.find("breaker orders on /orders/broken: closed -> open") != std::string::npos);
  CHECK(log.find("breaker orders on /orders:") == std::string::npos);
}

TEST_CASE("outage amplification: with the breaker open only safe methods fall back") {
  RecordingUpstream monolith(application("monolith", "/nothing-broken"));
  Cluster c;
  c.ctl_ok({"init", "--legacy", monolith.url()});
  // The service is down: every connection is refused.
  auto down = "http://127.0.0.1:" + std::to_string(unused_loopback_port());
  c.ctl_ok(with_tight({"target", "add", "orders", down, "--connect-timeout-ms", "300"}));
  c.ctl_ok({"route", "add", "/orders", "--to", "orders"});  // fallback legacy, GET,HEAD,OPTIONS
  c.start_router();
  auto client = c.client();

  // GETs fall back (connect-failed, then breaker-open once it opened).
  for (int i = 0; i < 5; ++i) {
    auto res = client.Get("/orders/" + std::to_string(i));
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(served_by(res) == "monolith");
  }
  REQUIRE(breaker_state(c, "orders", "/orders") == "open");
  auto get = client.Get("/orders/7");
  REQUIRE(get);
  CHECK(get->get_header_value("X-Strangler-Fallback") == "breaker-open");
  CHECK(served_by(get) == "monolith");

  // A POST does not: the router's 503, saying why, and legacy never sees it.
  auto posts_before = monolith.requests().size();
  auto post = client.Post("/orders", R"({"item":1})", "application/json");
  REQUIRE(post);
  INFO(post->body);
  CHECK(post->status == 503);
  CHECK(json_reason(post) == "breaker-open; POST does not fall back");
  CHECK(post->get_header_value("X-Strangler-Fallback").empty());
  CHECK(monolith.requests().size() == posts_before);

  // Once the route lets POST fall back, it does (the breaker stays open through the change).
  c.ctl_ok({"route", "flip", "/orders", "--to", "orders", "--fallback-methods",
            "GET,HEAD,OPTIONS,POST"});
  std::optional<int> status;
  auto fell_back = wait_until(
      [&] {
        auto res = client.Post("/orders", R"({"item":2})", "application/json");
        status = res ? std::optional<int>(res->status) : std::nullopt;
        return res && res->status == 200 && served_by(res) == "monolith" &&
               res->get_header_value("X-Strangler-Fallback") == "breaker-open";
      },
      5s);
  CHECK_MESSAGE(fell_back, "POST never fell back; last status " << status.value_or(-1));
  CHECK(breaker_state(c, "orders", "/orders") == "open");
}
