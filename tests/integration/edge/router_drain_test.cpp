// Integration: the router under the signals an operator sends. SIGHUP (logrotate's postrotate)
// reopens the access log and never stops it. SIGTERM drains: /readyz says 503 at once, answers
// carry Connection: close, new connections are still served for --drain-grace-ms, requests in
// flight finish, and then the router exits 0; --drain-timeout-ms bounds the wait for them.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cluster.h"
#include "tests/support/fault_upstream.h"
#include "tests/support/raw_http.h"
#include "tests/support/router_files.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int readyz_status(const Cluster& c) {
  auto res = c.admin_client().Get("/readyz");
  return res ? res->status : 0;
}

RawResponse get(RawConnection& connection, const std::string& path) {
  connection.send("GET " + path + " HTTP/1.1\r\nHost: shop\r\n\r\n");
  return connection.read_response();
}

bool connection_refused(std::uint16_t port) {
  try {
    connect_loopback(port, 500ms);
    return false;
  } catch (const std::runtime_error&) {
    return true;
  }
}

}  // namespace

TEST_CASE("router: SIGHUP reopens the access log and the router keeps serving") {
  Cluster c;
  c.init_with_monolith();
  auto log = c.dir() / "access.log";
  auto& router = c.start_router({"--access-log", log.string()});
  auto client = c.client();
  REQUIRE(client.Get("/customers/1"));
  REQUIRE(wait_until([&] { return contains(read_text_file(log), "/customers/1"); }, 5s));

  auto rotated = c.dir() / "access.log.1";
  std::filesystem::rename(log, rotated);  // what logrotate does before its postrotate
  REQUIRE(::kill(router.pid(), SIGHUP) == 0);
  auto reopened = wait_until([&] { return std::filesystem::exists(log); }, 5s);
  REQUIRE_MESSAGE(reopened.has_value(), "no new access log 5 s after SIGHUP");

  auto res = client.Get("/customers/2");
  REQUIRE(res);
  CHECK(res->status == 200);
  REQUIRE(wait_until([&] { return contains(read_text_file(log), "/customers/2"); }, 5s));
  CHECK_FALSE(contains(read_text_file(log), "/customers/1"));
  CHECK_FALSE(contains(read_text_file(rotated), "/customers/2"));
  CHECK_FALSE(router.exited());
  CHECK(router.stop() == 0);
}

TEST_CASE("router: SIGTERM drains — not ready, Connection: close, grace, in-flight finish") {
  Cluster c;
  c.init_with_monolith();
  auto& router = c.start_router({"--drain-grace-ms", "1500", "--drain-timeout-ms", "10000"});
  RawConnection kept(c.router_port());
  auto before = get(kept, "/customers/1");
  REQUIRE(before.status == 200);
  CHECK(before.header("Connection").value_or("") != "close");

  // A request that is still running when the grace ends.
  auto slow = std::async(std::launch::async, [&] {
    return raw_request(c.router_port(), "GET /slow/2500 HTTP/1.1\r\nHost: shop\r\n\r\n", 10s);
  });
  REQUIRE(wait_until([&] { return c.metric("strangler_in_flight_requests") >= 1; }, 5s));

  REQUIRE(::kill(router.pid(), SIGTERM) == 0);
  REQUIRE_MESSAGE(wait_until([&] { return readyz_status(c) == 503; }, 2s).has_value(),
                  "/readyz still 200 after SIGTERM");
  auto ready = c.admin_client().Get("/readyz");
  REQUIRE(ready);
  CHECK(contains(ready->body, "draining"));

  // A connection opened before SIGTERM: answered, told to close, then closed.
  auto last = get(kept, "/customers/2");
  CHECK(last.status == 200);
  CHECK(last.header("Connection").value_or("") == "close");
  CHECK(kept.peer_closed(2s));
  // A new connection during the grace: still served, and told to close.
  auto fresh = raw_request(c.router_port(), "GET /customers/3 HTTP/1.1\r\nHost: shop\r\n\r\n");
  CHECK(fresh.status == 200);
  CHECK(fresh.header("Connection").value_or("") == "close");

  // After the grace, new connections are refused, but the slow request still gets its answer.
  CHECK(wait_until([&] { return connection_refused(c.router_port()); }, 5s).has_value());
  auto slow_answer = slow.get();
  CHECK(slow_answer.status == 200);
  auto status = router.wait_exit(10s);
  REQUIRE_MESSAGE(status.has_value(), "router still running 10 s after its drain");
  CHECK(*status == 0);
}

TEST_CASE("router: --drain-timeout-ms bounds the wait for a request that never ends") {
  Cluster c;
  c.init_with_monolith();
  FaultUpstream stalled(Fault::stall);
  c.ctl_ok({"target", "add", "stalled", stalled.url(), "--timeout-ms", "60000"});
  c.ctl_ok({"route", "add", "/stuck", "--to", "stalled"});
  auto& router = c.start_router({"--drain-timeout-ms", "300"});
  auto stuck = std::async(std::launch::async, [&] {
    try {
      return raw_request(c.router_port(), "GET /stuck HTTP/1.1\r\nHost: shop\r\n\r\n", 10s).status;
    } catch (const std::runtime_error&) {
      return 0;  // closed without an answer: the drain ended it
    }
  });
  REQUIRE(wait_until([&] { return stalled.requests() >= 1; }, 5s));
  auto signalled = std::chrono::steady_clock::now();
  REQUIRE(::kill(router.pid(), SIGTERM) == 0);
  auto status = router.wait_exit(5s);
  REQUIRE_MESSAGE(status.has_value(), "router still running 5 s after SIGTERM");
  CHECK(*status == 0);
  CHECK(std::chrono::steady_clock::now() - signalled < 3s);
  CHECK(stuck.get() == 0);
}
