// Integration: the router's upstream pool while no requests come — unused connections are closed
// after --upstream-idle-timeout-ms, and connections the upstream closed are dropped — seen from
// the upstream (how many connections it got) and from /metrics (the idle gauge, connects).
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/fault_upstream.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

const std::string kIdle = "strangler_upstream_idle_connections";
const std::string kOpened = "strangler_upstream_connections_opened_total";

// One I/O thread: each thread has a pool of its own, and the kernel picks the thread per client
// connection, so with two a second request could find the other thread's pool empty.
void start_with_upstream(Cluster& c, const FaultUpstream& upstream,
                         std::vector<std::string> router_args = {}) {
  c.init_with_monolith();
  c.ctl_ok({"target", "add", "svc", upstream.url(), "--retries", "0"});
  c.ctl_ok({"route", "add", "/svc", "--to", "svc", "--fallback", "none"});
  router_args.insert(router_args.end(), {"--threads", "1"});
  c.start_router(router_args);
}

void get_ok(Cluster& c, const std::string& path) {
  auto res = c.client().Get(path);
  REQUIRE(res);
  CHECK(res->status == 200);
}

bool idle_is(Cluster& c, double count) {
  return c.metric(kIdle) == count;
}

}  // namespace

TEST_CASE("upstream pool: an unused connection is closed after --upstream-idle-timeout-ms") {
  FaultUpstream upstream(Fault::none);
  Cluster c;
  start_with_upstream(c, upstream, {"--upstream-idle-timeout-ms", "1000"});
  get_ok(c, "/svc/1");
  REQUIRE(wait_until([&] { return idle_is(c, 1); }, 2s));
  get_ok(c, "/svc/2");  // well within the limit: the same connection
  CHECK(upstream.connections() == 1);

  auto closed_after = wait_until([&] { return idle_is(c, 0); }, 5s);
  INFO(kIdle << " " << c.metric(kIdle));
  REQUIRE(closed_after.has_value());
  MESSAGE("idle connection closed after " << closed_after->count() << " ms (limit 1000 ms)");
  CHECK(*closed_after >= 700ms);  // not before its time (the sweep runs every 500 ms)

  get_ok(c, "/svc/3");  // a new connection, not a closed one
  CHECK(upstream.connections() == 2);
  CHECK(c.metric(kOpened) == 2);
}

TEST_CASE("upstream pool: a connection the upstream closed leaves the pool while idle") {
  FaultUpstream upstream(Fault::idle_close, {.idle_close_after = 100ms});
  Cluster c;
  start_with_upstream(c, upstream);  // the default limit (60 s): only the upstream's close counts
  get_ok(c, "/svc/1");
  REQUIRE(wait_until([&] { return upstream.closed_by_upstream() >= 1; }, 2s));
  auto dropped_after = wait_until([&] { return idle_is(c, 0); }, 5s);
  INFO(kIdle << " " << c.metric(kIdle));
  CHECK(dropped_after.has_value());
  CHECK(c.metric(kOpened) == 1);
}
