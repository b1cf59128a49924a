// stranglerctl route add|list|rm|flip, called as functions: confirming lines, table, JSON.
#include <doctest/doctest.h>

#include <sstream>

#include "rules/rule_json.h"
#include "tests/unit/rules/store/store_test_support.h"
#include "tools/stranglerctl/commands.h"

using namespace strangler;
using namespace strangler::ctl;
using namespace strangler::testing;

namespace {

struct CtlFixture : StoreFixture {
  CtlFixture() { store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx()); }
  std::string run(const std::function<int(std::ostream&)>& command) {
    std::ostringstream out;
    CHECK(command(out) == 0);
    return out.str();
  }
};

}  // namespace

TEST_CASE("route add confirms the route and its target") {
  CtlFixture f;
  CHECK(f.run([&](auto& o) {
    return route_add({"/orders", "legacy"}, f.store, test_ctx(), o);
  }) == "route /orders added → legacy\n");
  CHECK(f.run([&](auto& o) {
    return route_add({"/orders", "orders", "GET,HEAD", true}, f.store, test_ctx(), o);
  }) == "route /orders (exact) [GET,HEAD] added → orders\n");
  CHECK(f.store.routes().size() == 2);
}

TEST_CASE("route flip prints the move, gradual and complete") {
  CtlFixture f;
  f.store.add_route({"/orders", false, "", "legacy"}, test_ctx());
  CHECK(f.run([&](auto& o) {
    return route_flip({{"/orders"}, "orders", 20, "X-User"}, f.store, test_ctx(), o);
  }) == "route /orders: legacy → orders (20%, sticky by X-User)\n");
  CHECK(f.run([&](auto& o) {
    return route_flip({{"/orders"}, "orders", 30, ""}, f.store, test_ctx(), o);
  }) == "route /orders: legacy, 20% to orders (sticky by X-User) → legacy, 30% to orders (sticky "
        "by client address)\n");
  CHECK(f.run([&](auto& o) {
    return route_flip({{"/orders"}, "orders"}, f.store, test_ctx(), o);
  }) == "route /orders: legacy, 30% to orders (sticky by client address) → orders\n");
  CHECK(f.run([&](auto& o) {
    return route_flip({{"/orders"}, "legacy"}, f.store, test_ctx(), o);
  }) == "route /orders: orders → legacy\n");
}

TEST_CASE("route list prints a table, or says that there are no routes") {
  CtlFixture f;
  CHECK(f.run([&](auto& o) { return route_list({}, f.store, o); }) ==
        "no routes: every request goes to legacy\n");
  f.store.add_route({"/orders", false, "", "legacy"}, test_ctx());
  f.store.add_route({"/customers/*/orders", true, "GET", "orders"}, test_ctx());
  f.store.flip_route({{"/orders"}, "orders", 20, "X-User"}, test_ctx());
  CHECK(f.run([&](auto& o) { return route_list({}, f.store, o); }) ==
        "ID  PATTERN              MATCH   METHODS  TARGET  SPLIT                            "
        "FALLBACK          SHADOW\n"
        "2   /customers/*/orders  exact   GET      orders  -                                "
        "legacy (default)  -\n"
        "1   /orders              prefix  *        legacy  20% → orders (sticky by X-User)  "
        "legacy (default)  -\n");
}

TEST_CASE("route list --json prints every route with its split") {
  CtlFixture f;
  f.store.add_route({"/orders", false, "GET,HEAD", "legacy"}, test_ctx());
  f.store.flip_route({{"/orders"}, "orders", 20}, test_ctx());
  auto json = Json::parse(f.run([&](auto& o) { return route_list({true}, f.store, o); }));
  REQUIRE(json.size() == 1);
  CHECK(json[0] ==
        Json({{"id", 1},
              {"pattern", "/orders"},
              {"exact", false},
              {"methods", {"GET", "HEAD"}},
              {"target", "legacy"},
              {"split", {{"target", "orders"}, {"percent", 20}, {"sticky_header", nullptr}}},
              {"fallback", nullptr},
              {"fallback_methods", {"GET", "HEAD", "OPTIONS"}},
              {"shadow", nullptr},
              {"ignores", Json::array()}}));
}

TEST_CASE("route rm confirms what was removed") {
  CtlFixture f;
  f.store.add_route({"/orders", false, "", "legacy"}, test_ctx());
  f.store.add_route({"/orders", true, "", "orders"}, test_ctx());
  RouteRmArgs args{{"/orders", std::nullopt, true}};
  CHECK(f.run([&](auto& o) { return route_rm(args, f.store, test_ctx(), o); }) ==
        "route /orders (exact) removed (it went to orders)\n");
  std::ostringstream refused;
  CHECK_REFUSED(f.path, route_rm(args, f.store, test_ctx(), refused), "no route /orders matches");
  CHECK(refused.str().empty());
}

TEST_CASE("route add with --fallback confirms it, and route list shows every kind of fallback") {
  CtlFixture f;
  f.store.add_target({"orders-v1", "http://127.0.0.1:9003"}, test_ctx());
  RouteAddArgs with_fallback{"/orders", "orders"};
  with_fallback.fallback = "orders-v1";
  CHECK(f.run([&](auto& o) { return route_add(with_fallback, f.store, test_ctx(), o); }) ==
        "route /orders added → orders (fallback orders-v1)\n");
  RouteAddArgs none{"/pay", "orders"};
  none.fallback = "none";
  CHECK(f.run([&](auto& o) { return route_add(none, f.store, test_ctx(), o); }) ==
        "route /pay added → orders (fallback none)\n");
  RouteAddArgs by_default{"/stock", "orders"};
  by_default.fallback = "default";
  CHECK(f.run([&](auto& o) { return route_add(by_default, f.store, test_ctx(), o); }) ==
        "route /stock added → orders\n");
  f.store.add_route({"/legacy-only", false, "", "legacy"}, test_ctx());
  CHECK(f.run([&](auto& o) { return route_list({}, f.store, o); }) ==
        "ID  PATTERN       MATCH   METHODS  TARGET  SPLIT  FALLBACK          SHADOW\n"
        "4   /legacy-only  prefix  *        legacy  -      none (default)    -\n"
        "1   /orders       prefix  *        orders  -      orders-v1         -\n"
        "2   /pay          prefix  *        orders  -      none              -\n"
        "3   /stock        prefix  *        orders  -      legacy (default)  -\n");
  auto json = Json::parse(f.run([&](auto& o) { return route_list({true}, f.store, o); }));
  CHECK(json[0]["fallback"].is_null());
  CHECK(json[1]["fallback"] == "orders-v1");
  CHECK(json[2]["fallback"] == "none");
}

TEST_CASE("route flip with --fallback prints the fallback's change; without it keeps it") {
  CtlFixture f;
  f.store.add_route({"/orders", false, "", "legacy"}, test_ctx());
  FlipArgs flip{{"/orders"}, "orders"};
  flip.fallback = "none";
  CHECK(f.run([&](auto& o) { return route_flip(flip, f.store, test_ctx(), o); }) ==
        "route /orders: legacy → orders, fallback none (default) → none\n");
  flip.fallback = "default";
  CHECK(f.run([&](auto& o) { return route_flip(flip, f.store, test_ctx(), o); }) ==
        "route /orders: fallback none → legacy (default)\n");
  flip.fallback.reset();  // kept: a flip back to legacy leaves the default in place
  CHECK(f.run([&](auto& o) {
    return route_flip({{"/orders"}, "legacy"}, f.store, test_ctx(), o);
  }) == "route /orders: orders → legacy\n");
  CHECK_FALSE(f.store.routes().at(0).fallback);
  std::ostringstream refused;
  flip.fallback = "legacy";
  flip.to = "legacy";
  CHECK_REFUSED(f.path, route_flip(flip, f.store, test_ctx(), refused),
                "cannot fall back to its own target \"legacy\"");
  CHECK(refused.str().empty());
}
