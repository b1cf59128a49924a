// Integration: the router in front of a FaultUpstream (tests/support/fault_upstream.h), one fault
// per test: what the client gets, what the breaker counts, and that a broken upstream connection
// is never used again. The README's "Upstream faults" table is this file in prose.
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/support/cluster.h"
#include "tests/support/fault_upstream.h"
#include "tests/support/raw_http.h"
#include "tests/support/resilience.h"

using namespace strangler::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kGet = "GET /faulty/1 HTTP/1.1\r\nHost: shop.test\r\n\r\n";

// A cluster whose route /faulty goes to target "faulty" at `url`, without retries (one attempt
// per request, so counts are exact) and, unless `fallback`, without a fallback.
void start_with_faulty(Cluster& c, const std::string& url, const std::string& timeout_ms = "2000",
                       bool fallback = false) {
  c.init_with_monolith();
  c.ctl_ok({"target", "add", "faulty", url, "--timeout-ms", timeout_ms, "--connect-timeout-ms",
            "500", "--retries", "0"});
  if (fallback) {
    c.ctl_ok({"route", "add", "/faulty", "--to", "faulty", "--fallback", "legacy"});
  } else {
    c.ctl_ok({"route", "add", "/faulty", "--to", "faulty", "--fallback", "none"});
  }
  c.start_router();
}

int window_failures(const Cluster& c) {
  auto entry = breaker_entry(c, "faulty");
  INFO(entry.dump());
  return entry["window"].value("failures", -1);
}

// Sends one GET on a new raw connection and reads what comes back. True when the client saw a
// complete 200 — which a broken upstream answer must never turn into. (Whether the router could
// still answer 502/504 or had to cut the connection depends on whether it had sent the head.)
bool client_saw_complete_200(const Cluster& c) {
  RawConnection conn(c.router_port());
  conn.send(kGet);
  try {
    auto res = conn.read_response();
    INFO("status " << res.status << ", body " << res.body.size() << " bytes");
    CHECK((res.status == 502 || res.status == 504));
    CHECK(conn.peer_closed(1s));
    return res.status == 200;
  } catch (const std::runtime_error& e) {
    MESSAGE("client connection cut: " << std::string(e.what()));
    CHECK(conn.peer_closed(1s));
    return false;
  }
}

}  // namespace

TEST_CASE("upstream faults: connection refused is a fast 502 the breaker counts") {
  Cluster c;
  start_with_faulty(c, "http://127.0.0.1:" + std::to_string(unused_loopback_port()));
  auto client = c.client();
  auto start = Clock::now();
  auto res = client.Get("/faulty/1");
  CHECK(Clock::now() - start < 500ms);
  REQUIRE(res);
  CHECK(res->status == 502);
  CHECK(res->body.find("connect-refused") != std::string::npos);
  CHECK(window_failures(c) >= 1);
}

TEST_CASE("upstream faults: connection refused with a fallback is answered by the fallback") {
  Cluster c;
  start_with_faulty(c, "http://127.0.0.1:" + std::to_string(unused_loopback_port()), "2000", true);
  auto res = c.client().Get("/faulty/1");
  REQUIRE(res);
  CHECK(res->status != 502);  // the monolith's own answer (it has no /faulty: 404)
  CHECK(served_by(res) == "monolith");
  CHECK(header_of(res, "X-Strangler-Fallback") == "connect-failed");
  CHECK(window_failures(c) >= 1);
}

TEST_CASE("upstream faults: a reset before the response head is a 502") {
  FaultUpstream upstream(Fault::reset_before_headers);
  Cluster c;
  start_with_faulty(c, upstream.url());
  auto res = c.client().Get("/faulty/1");
  REQUIRE(res);
  CHECK(res->status == 502);
  CHECK(res->body.find("reset") != std::string::npos);
  CHECK(upstream.requests() >= 1);
  CHECK(window_failures(c) >= 1);
}

TEST_CASE("upstream faults: a reset after the head never looks like a complete response") {
  SUBCASE("Content-Length body cut short") {
    FaultUpstream upstream(Fault::reset_after_headers, {.body_size = 256 * 1024});
    Cluster c;
    start_with_faulty(c, upstream.url());
    CHECK_FALSE(client_saw_complete_200(c));
    CHECK(upstream.requests() == 1);
  }
  SUBCASE("chunked body without its last chunk") {
    FaultUpstream upstream(Fault::reset_mid_chunked, {.body_size = 64 * 1024});
    Cluster c;
    start_with_faulty(c, upstream.url());
    CHECK_FALSE(client_saw_complete_200(c));
    CHECK(upstream.requests() == 1);
  }
}

TEST_CASE("upstream faults: no response head within the target's timeout is a 504 in time") {
  FaultUpstream upstream(Fault::stall);
  Cluster c;
  start_with_faulty(c, upstream.url(), "300");
  auto start = Clock::now();
  auto res = c.client().Get("/faulty/1");
  auto took = Clock::now() - start;
  REQUIRE(res);
  CHECK(res->status == 504);
  CHECK(took >= 250ms);
  CHECK(took < 1500ms);
  // The stalled connection is closed, not kept for the next client.
  CHECK(wait_until([&] { return upstream.closed_by_router_mid_request() >= 1; }, 1s));
  CHECK(window_failures(c) >= 1);
}

TEST_CASE("upstream faults: a dripping body is relayed while each byte comes within the timeout") {
  FaultUpstream upstream(Fault::drip, {.body_size = 8, .drip_interval = 40ms});
  Cluster c;
  start_with_faulty(c, upstream.url(), "300");
  auto res = c.client().Get("/faulty/1");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == std::string(8, 'x'));
}

TEST_CASE("upstream faults: a body byte later than the timeout is never a complete response") {
  FaultUpstream upstream(Fault::drip, {.body_size = 4, .drip_interval = 600ms});
  Cluster c;
  start_with_faulty(c, upstream.url(), "300");
  CHECK_FALSE(client_saw_complete_200(c));
}

TEST_CASE("upstream faults: a garbage or misframed response is a 502 and its connection dropped") {
  auto fault = Fault::garbage;
  SUBCASE("garbage") {
    fault = Fault::garbage;
  }
  SUBCASE("Content-Length and Transfer-Encoding") {
    fault = Fault::content_length_and_chunked;
  }
  SUBCASE("bad chunk size") {
    fault = Fault::bad_chunk_size;
  }
  FaultUpstream upstream(fault);
  Cluster c;
  start_with_faulty(c, upstream.url());
  auto res = c.client().Get("/faulty/1");
  REQUIRE(res);
  CHECK(res->status == 502);
  CHECK(res->body.find("bad-response") != std::string::npos);
  // The upstream connection that carried the bad answer is closed by the router...
  CHECK(wait_until([&] { return upstream.closed_by_router_mid_request() >= 1; }, 1s));
  // ...and the next request works, on a new connection.
  upstream.set_fault(Fault::none);
  auto ok = c.client().Get("/faulty/2");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == "ok");
  CHECK(upstream.connections() == 2);
}

TEST_CASE("upstream faults: a pooled connection the upstream closed while idle is not used") {
  FaultUpstream upstream(Fault::idle_close, {.idle_close_after = 100ms});
  Cluster c;
  start_with_faulty(c, upstream.url());
  auto client = c.client();
  for (int i = 0; i < 5; ++i) {
    auto res = client.Get("/faulty/" + std::to_string(i));
    REQUIRE(res);
    CHECK(res->status == 200);
    // Let the upstream close the pooled connection before the next request.
    REQUIRE(wait_until([&] { return upstream.closed_by_upstream() >= std::size_t(i + 1); }, 2s));
  }
  CHECK(upstream.requests() == 5);
  CHECK(upstream.connections() == 5);
  CHECK(window_failures(c) == 0);
}

TEST_CASE("upstream faults: an upstream that closes after N requests never costs a request") {
  FaultUpstream upstream(Fault::none, {.close_after_requests = 2});
  Cluster c;
  start_with_faulty(c, upstream.url());
  auto client = c.client();
  int ok = 0;
  for (int i = 0; i < 10; ++i) {
    auto res = client.Get("/faulty/" + std::to_string(i));
    if (res && res->status == 200) ++ok;
    // Back to back, as under load: the close may or may not have arrived before the next one.
    if (i % 2 == 1) std::this_thread::sleep_for(20ms);
  }
  CHECK(ok == 10);
  CHECK(upstream.requests() >= 10);
  CHECK(upstream.connections() >= 5);
  CHECK(window_failures(c) == 0);
}

TEST_CASE("upstream faults: a client that leaves cancels its upstream request") {
  FaultUpstream upstream(Fault::stall);
  Cluster c;
  start_with_faulty(c, upstream.url(), "10000");
  {
    RawConnection conn(c.router_port());
    conn.send(kGet);
    REQUIRE(wait_until([&] { return upstream.requests() >= 1; }, 2s));
  }  // the client closes its connection here
  auto left = Clock::now();
  auto noticed = wait_until([&] { return upstream.closed_by_router_mid_request() >= 1; }, 2s);
  REQUIRE_MESSAGE(noticed.has_value(), "the upstream request outlived its client");
  CHECK(*upstream.last_router_close() - left < 500ms);
  // Not reused: the next request goes over a new connection.
  upstream.set_fault(Fault::none);
  auto ok = c.client().Get("/faulty/2");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(upstream.connections() == 2);
  CHECK(window_failures(c) == 0);
}

TEST_CASE("upstream faults: a pipelined request is not mistaken for a client that left") {
  FaultUpstream upstream(Fault::none, {.head_delay = 300ms});
  Cluster c;
  start_with_faulty(c, upstream.url());
  RawConnection conn(c.router_port());
  conn.send(kGet);
  // The next request arrives while the router waits for the first answer's head.
  REQUIRE(wait_until([&] { return upstream.requests() >= 1; }, 2s));
  conn.send(kGet);
  auto first = conn.read_response();
  auto second = conn.read_response();
  CHECK(first.status == 200);
  CHECK(first.body == "ok");
  CHECK(second.status == 200);
  CHECK(second.body == "ok");
  CHECK(upstream.requests() == 2);
  CHECK(upstream.closed_by_router_mid_request() == 0);
}
