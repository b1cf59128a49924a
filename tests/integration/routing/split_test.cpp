// Integration: the gradual flip — `route flip --percent P --sticky-header H` sends about P% of the
// route's requests to the new target, the same header value always to the same target; without
// a header the client address decides; a later flip without --percent completes the move.
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <map>
#include <string>

#include "tests/support/cluster.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

std::string served_to(httplib::Client& client, const std::string& path, const std::string& user) {
  return served_by(client.Get(path, httplib::Headers{{"X-User", user}}));
}

}  // namespace

TEST_CASE("split: about 30% of distinct users go to the new target, each one sticky") {
  Cluster c;
  c.init_orders_migration();
  c.start_router();
  auto client = c.client();
  client.set_keep_alive(true);

  c.ctl_ok({"route", "flip", "/orders", "--to", "orders", "--percent", "30", "--sticky-header",
            "X-User"});
  // The split is live once any user lands on the new target.
  int probe = 0;
  auto live = wait_until(
      [&] {
        return served_to(client, "/orders/1", "probe-" + std::to_string(probe++)) == "orders-svc";
      },
      1500ms);
  REQUIRE(live.has_value());
  CHECK(*live < 1000ms);

  constexpr int kUsers = 1000;
  std::map<std::string, std::string> first;
  int to_new = 0;
  for (int i = 0; i < kUsers; ++i) {
    auto user = "user-" + std::to_string(i);
    auto who = served_to(client, "/orders/" + std::to_string(i % 20 + 1), user);
    REQUIRE_MESSAGE((who == "orders-svc" || who == "monolith"), user << " got '" << who << "'");
    first[user] = who;
    to_new += who == "orders-svc";
  }
  double share = to_new / static_cast<double>(kUsers);
  MESSAGE("share sent to the new target: " << share);
  CHECK(share >= 0.25);
  CHECK(share <= 0.35);

  // Sticky: the same user lands on the same target every time, whatever the path below /orders.
  int moved = 0;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kUsers; i += 5) {
      auto user = "user-" + std::to_string(i);
      moved += served_to(client, "/orders/" + std::to_string(round + 100), user) != first[user];
    }
  }
  CHECK(moved == 0);

  // Completing the flip sends everyone to the new target.
  c.ctl_ok({"route", "flip", "/orders", "--to", "orders"});
  auto done = wait_until(
      [&] {
        for (int i = 0; i < 100; i += 3) {
          if (served_to(client, "/orders/1", "user-" + std::to_string(i)) != "orders-svc") {
            return false;
          }
        }
        return true;
      },
      1500ms);
  REQUIRE(done.has_value());
  for (int i = 0; i < 200; ++i) {
    CHECK(served_to(client, "/orders/2", "user-" + std::to_string(i)) == "orders-svc");
  }
}

TEST_CASE("split: without a sticky header the client address decides") {
  Cluster c;
  c.init_with_monolith();
  auto& svc = c.start_stub("svc");
  c.ctl_ok({"target", "add", "svc", svc.url});
  c.ctl_ok({"route", "add", "/customers", "--to", "legacy"});
  c.ctl_ok({"route", "flip", "/customers", "--to", "svc", "--percent", "50"});
  c.start_router();
  // Every request comes from 127.0.0.1: all land on one target, whatever their other headers.
  std::map<std::string, int> seen;
  for (int i = 0; i < 60; ++i) {
    auto client = c.client();  // a new connection (and source port) each time
    auto res = client.Get("/customers/" + std::to_string(i % 7 + 1),
                          httplib::Headers{{"X-User", "user-" + std::to_string(i)}});
    REQUIRE(res);
    ++seen[served_by(res)];
  }
  CHECK(seen.size() == 1);
  CHECK((seen.count("svc") + seen.count("monolith")) == 1);
  // Other routes are untouched by the split.
  CHECK(served_by(c.client().Get("/orders/1")) == "monolith");
}
