// route flip in the rule store: a complete flip, a gradual one (share, stickiness), replacing and
// cancelling a split, and the refusals of flips that make no sense or change nothing.
#include <doctest/doctest.h>

#include "rules/rule_json.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;

namespace {

struct FlipFixture : StoreFixture {
  FlipFixture() {
    store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
    store.add_target({"orders-v2", "http://127.0.0.1:9003"}, test_ctx());
    route = store.add_route({"/orders", false, "", "legacy"}, test_ctx());
  }
  Route current() { return store.routes().at(0); }
  Route route;
};

FlipSpec to(const std::string& target, std::optional<int> percent = std::nullopt,
            std::optional<std::string> sticky = std::nullopt) {
  return FlipSpec{RouteSelector{"/orders"}, target, percent, sticky};
}

}  // namespace

TEST_CASE("a flip without percent sends the whole route to the new target") {
  FlipFixture f;
  auto change = f.store.flip_route(to("orders"), test_ctx("route flip"));
  CHECK(change.before.target == "legacy");
  CHECK(change.after.target == "orders");
  CHECK(change.after.id == f.route.id);
  CHECK(f.current().target == "orders");
  CHECK(f.current().split_target.empty());
  CHECK(f.store.rules_version() == 5);
  auto record = f.store.history(1).at(0);
  CHECK(record.kind == "route flip");
  CHECK(Json::parse(record.before)["target"] == "legacy");
  CHECK(Json::parse(record.after)["target"] == "orders");
}

TEST_CASE("a gradual flip keeps the target and splits a sticky share off") {
  FlipFixture f;
  auto change = f.store.flip_route(to("orders", 20, "X-User"), test_ctx());
  CHECK(change.after.target == "legacy");
  CHECK(change.after.split_target == "orders");
  CHECK(change.after.split_percent == 20);
  CHECK(change.after.sticky_header == "X-User");
  Route stored = f.current();
  CHECK(stored.target == "legacy");
  CHECK(stored.split_target == "orders");
  CHECK(stored.split_percent == 20);
  CHECK(stored.sticky_header == "X-User");
  auto after = Json::parse(f.store.history(1).at(0).after);
  CHECK(after["split"] ==
        Json({{"target", "orders"}, {"percent", 20}, {"sticky_header", "X-User"}}));

  SUBCASE("raising the share without a sticky header keeps the route's") {
    f.store.flip_route(to("orders", 50), test_ctx());
    CHECK(f.current().split_percent == 50);
    CHECK(f.current().sticky_header == "X-User");
  }
  SUBCASE("an empty sticky header goes back to the client address") {
    f.store.flip_route(to("orders", 50, ""), test_ctx());
    CHECK(f.current().split_percent == 50);
    CHECK(f.current().sticky_header.empty());
    CHECK(Json::parse(f.store.history(1).at(0).after)["split"]["sticky_header"].is_null());
  }
  SUBCASE("a later flip without percent completes it") {
    auto done = f.store.flip_route(to("orders"), test_ctx());
    CHECK(done.before.split_percent == 20);
    CHECK(f.current().target == "orders");
    CHECK(f.current().split_target.empty());
    CHECK(f.current().split_percent == 0);
    CHECK(f.current().sticky_header.empty());
  }
  SUBCASE("a new share to the same target replaces the split") {
    f.store.flip_route(to("orders", 60, "X-User"), test_ctx());
    CHECK(f.current().split_percent == 60);
    CHECK(f.current().target == "legacy");
  }
  SUBCASE("a share to another target replaces the split in progress") {
    f.store.flip_route(to("orders-v2", 10), test_ctx());
    CHECK(f.current().split_target == "orders-v2");
    CHECK(f.current().split_percent == 10);
  }
  SUBCASE("flipping to the current target cancels the split") {
    auto cancelled = f.store.flip_route(to("legacy"), test_ctx());
    CHECK(cancelled.after.target == "legacy");
    CHECK(f.current().split_target.empty());
  }
  SUBCASE("completing to a third target clears the split") {
    f.store.flip_route(to("orders-v2"), test_ctx());
    CHECK(f.current().target == "orders-v2");
    CHECK(f.current().split_target.empty());
  }
}

TEST_CASE("flip picks one route among those sharing a pattern") {
  FlipFixture f;
  Route get = f.store.add_route({"/orders", false, "GET", "legacy"}, test_ctx());
  CHECK_REFUSED(f.path, f.store.flip_route(to("orders"), test_ctx()), "several routes have");
  FlipSpec spec = to("orders");
  spec.route.methods = "GET";
  auto change = f.store.flip_route(spec, test_ctx());
  CHECK(change.after.id == get.id);
  CHECK(change.after.target == "orders");
}

TEST_CASE("flip refusals change nothing") {
  FlipFixture f;
  f.store.flip_route(to("orders", 20, "X-User"), test_ctx());
  auto ctx = test_ctx();
  CHECK_REFUSED(f.path, f.store.flip_route(to("nope"), ctx), "unknown target \"nope\"");
  CHECK_REFUSED(f.path, f.store.flip_route(to("orders", 0), ctx),
                "percent 0 is out of range: use 1..99, or leave --percent out to complete the "
                "flip");
  CHECK_REFUSED(f.path, f.store.flip_route(to("orders", 100), ctx), "percent 100 is out of range");
  CHECK_REFUSED(f.path, f.store.flip_route(to("orders", -3), ctx), "percent -3 is out of range");
  CHECK_REFUSED(f.path, f.store.flip_route(to("orders", std::nullopt, "X-User"), ctx),
                "--sticky-header needs --percent");
  CHECK_REFUSED(f.path, f.store.flip_route(to("orders", 20, "X User"), ctx),
                "invalid header name \"X User\"");
  CHECK_REFUSED(f.path, f.store.flip_route(to("orders", 20, "X-User"), ctx),
                "route /orders already sends 20% to orders (sticky by X-User); nothing changed");
  CHECK_REFUSED(f.path, f.store.flip_route(to("legacy", 30), ctx),
                "route /orders already goes to legacy; a gradual flip sends a share to another "
                "target");
  FlipSpec missing = to("orders");
  missing.route.pattern = "/payments";
  CHECK_REFUSED(f.path, f.store.flip_route(missing, ctx), "no route /payments");

  f.store.flip_route(to("orders"), test_ctx());
  CHECK_REFUSED(f.path, f.store.flip_route(to("orders"), ctx),
                "route /orders already goes to orders; nothing changed");
}
