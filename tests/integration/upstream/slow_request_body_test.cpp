// Integration: a client that is slow to send its request body, in front of an upstream that
// closes idle connections (tests/support/idle_timeout_upstream.py: Python's stock http.server
// with a 300 ms socket timeout, like Node's or Apache's). The router takes an upstream connection
// only once the body has started, so the upstream never sees an idle connection to close, and
// the client gets the upstream's answer, not a 502. nginx and HAProxy behave the same way.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/cluster.h"
#include "tests/support/prometheus.h"
#include "tests/support/raw_http.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

// The client's pause between its head and its body: longer than the upstream's idle timeout.
constexpr auto kClientPause = 1000ms;

struct IdleClosingFixture {
  IdleClosingFixture() {
    upstream = std::make_unique<ChildProcess>(
        python3_binary(),
        std::vector<std::string>{STRANGLER_TEST_SUPPORT_DIR "/idle_timeout_upstream.py", "0.3"},
        c.log_path("idle-timeout-upstream"));
    auto port = upstream->wait_for_listen("idle-timeout-upstream listening on");
    c.ctl_ok({"init", "--legacy", "http://127.0.0.1:" + std::to_string(port)});
    c.start_router({"--body-timeout-ms", "3000"});
  }

  // A POST whose 5-byte body follows its head after kClientPause, as a slow mobile client sends.
  RawResponse slow_post(RawConnection& connection) {
    connection.send("POST /upload HTTP/1.1\r\nHost: shop\r\nContent-Length: 5\r\n\r\n");
    std::this_thread::sleep_for(kClientPause);  // the slow client is the scenario, not a wait
    connection.send("hello");
    return connection.read_response();
  }

  std::unique_ptr<ChildProcess> upstream;  // declared first: outlives the router in `c`
  Cluster c;
};

}  // namespace

TEST_CASE("upstream: a slow request body is forwarded though the upstream closes idle ones") {
  IdleClosingFixture f;
  RawConnection client(f.c.router_port());
  auto first = f.slow_post(client);
  CHECK(first.status == 200);
  CHECK(first.body == "POST /upload 5");

  // Again with a pooled connection left by a quick request: the upstream closes it while the
  // client dawdles, and the router must notice before it sends, not after.
  client.send("GET /warm HTTP/1.1\r\nHost: shop\r\n\r\n");
  REQUIRE(client.read_response().status == 200);
  auto second = f.slow_post(client);
  CHECK(second.status == 200);
  CHECK(second.body == "POST /upload 5");
}

TEST_CASE("upstream: a request body that never starts gets 408, not a 502") {
  IdleClosingFixture f;
  RawConnection client(f.c.router_port(), 10s);
  client.send("POST /upload HTTP/1.1\r\nHost: shop\r\nContent-Length: 5\r\n\r\n");
  auto answer = client.read_response();
  CHECK(answer.status == 408);
  CHECK(client.peer_closed(2s));
}
