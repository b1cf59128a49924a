// Route commands of the rule store: add, list and remove, choosing a route by pattern, methods
// and exactness, and every refusal (malformed, duplicate, ambiguous, unknown) changing nothing.
#include <doctest/doctest.h>

#include "rules/rule_json.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;

namespace {

struct RouteFixture : StoreFixture {
  RouteFixture() { store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx()); }
};

RouteSelector pick(const std::string& pattern, std::optional<std::string> methods = std::nullopt,
                   std::optional<bool> exact = std::nullopt) {
  return RouteSelector{pattern, std::move(methods), exact};
}

}  // namespace

TEST_CASE("route add stores the parsed route and records it") {
  RouteFixture f;
  Route route = f.store.add_route({"/orders", false, "get, head", "orders"}, test_ctx("route add"));
  CHECK(route.id > 0);
  CHECK(route.pattern.text() == "/orders");
  CHECK_FALSE(route.pattern.exact);
  CHECK(route.methods.text() == "GET,HEAD");
  CHECK(route.target == "orders");
  CHECK(route.split_target.empty());
  CHECK(f.store.rules_version() == 3);

  auto routes = f.store.routes();
  REQUIRE(routes.size() == 1);
  CHECK(routes[0].id == route.id);
  CHECK(routes[0].methods.text() == "GET,HEAD");

  auto record = f.store.history(1).at(0);
  CHECK(record.kind == "route add");
  CHECK(record.entity == "route");
  CHECK(record.before == "null");
  auto after = Json::parse(record.after);
  CHECK(after == route_to_json(route));
  CHECK(after["methods"] == Json::array({"GET", "HEAD"}));
}

TEST_CASE("routes of every shape can live together") {
  RouteFixture f;
  f.store.add_route({"/", false, "", "legacy"}, test_ctx());
  f.store.add_route({"/orders", false, "", "orders"}, test_ctx());
  f.store.add_route({"/orders", true, "", "legacy"}, test_ctx());
  f.store.add_route({"/orders", false, "POST", "legacy"}, test_ctx());
  f.store.add_route({"/orders", false, "GET", "legacy"}, test_ctx());
  f.store.add_route({"/customers/*/orders", false, "", "orders"}, test_ctx());
  f.store.add_route({"/customers/7/orders", false, "", "legacy"}, test_ctx());
  auto routes = f.store.routes();
  REQUIRE(routes.size() == 7);
  // Listed by pattern text, the exact route before the prefix routes of the same pattern.
  CHECK(routes[0].pattern.text() == "/");
  CHECK(routes[1].pattern.text() == "/customers/*/orders");
  CHECK(routes[3].pattern.exact);
  CHECK(f.store.load_rule_set().routes.size() == 7);
  CHECK(f.store.rules_version() == 9);
}

TEST_CASE("route add refusals change nothing") {
  RouteFixture f;
  f.store.add_route({"/orders", false, "", "orders"}, test_ctx());
  f.store.add_route({"/customers/*/orders", false, "", "orders"}, test_ctx());
  auto ctx = test_ctx();
  CHECK_REFUSED(f.path, f.store.add_route({"orders", false, "", "orders"}, ctx), "invalid pattern");
  CHECK_REFUSED(f.path, f.store.add_route({"/orders/", false, "", "orders"}, ctx),
                "invalid pattern");
  CHECK_REFUSED(f.path, f.store.add_route({"/a//b", false, "", "orders"}, ctx), "invalid pattern");
  CHECK_REFUSED(f.path, f.store.add_route({"/a/../b", false, "", "orders"}, ctx),
                "invalid pattern");
  CHECK_REFUSED(f.path, f.store.add_route({"/a*", false, "", "orders"}, ctx), "invalid pattern");
  CHECK_REFUSED(f.path, f.store.add_route({"/x", false, "GETT", "orders"}, ctx),
                "invalid method list");
  CHECK_REFUSED(f.path, f.store.add_route({"/x", false, "", "nope"}, ctx),
                "unknown target \"nope\" (add it with: stranglerctl target add nope URL)");
  CHECK_REFUSED(f.path, f.store.add_route({"/orders", false, "", "legacy"}, ctx),
                "duplicate route");
  CHECK_REFUSED(f.path, f.store.add_route({"/customers/7/*", false, "", "legacy"}, ctx),
                "is ambiguous with route");
  CHECK(f.store.routes().size() == 2);
}

TEST_CASE("route rm removes the chosen route and records it") {
  RouteFixture f;
  Route prefix = f.store.add_route({"/orders", false, "", "orders"}, test_ctx());
  Route exact = f.store.add_route({"/orders", true, "", "legacy"}, test_ctx());
  Route get = f.store.add_route({"/orders", false, "GET", "legacy"}, test_ctx());

  Route removed = f.store.remove_route(pick("/orders", std::nullopt, true), test_ctx("route rm"));
  CHECK(removed.id == exact.id);
  removed = f.store.remove_route(pick("/orders", "get"), test_ctx());
  CHECK(removed.id == get.id);
  auto record = f.store.history(1).at(0);
  CHECK(record.kind == "route rm");
  CHECK(Json::parse(record.before) == route_to_json(get));
  CHECK(record.after == "null");
  // Only one route with the pattern is left: the pattern alone picks it.
  removed = f.store.remove_route(pick("/orders"), test_ctx());
  CHECK(removed.id == prefix.id);
  CHECK(f.store.routes().empty());
  CHECK(f.store.rules_version() == 8);
}

TEST_CASE("a route for every method is picked with methods \"*\" or \"all\"") {
  RouteFixture f;
  Route all = f.store.add_route({"/orders", false, "", "orders"}, test_ctx());
  f.store.add_route({"/orders", false, "GET", "legacy"}, test_ctx());
  CHECK(f.store.remove_route(pick("/orders", "*"), test_ctx()).id == all.id);
  f.store.add_route({"/orders", false, "", "orders"}, test_ctx());
  CHECK(f.store.remove_route(pick("/orders", "ALL", false), test_ctx()).target == "orders");
}

TEST_CASE("route rm refusals change nothing") {
  RouteFixture f;
  f.store.add_route({"/orders", false, "", "orders"}, test_ctx());
  f.store.add_route({"/orders", true, "", "legacy"}, test_ctx());
  auto ctx = test_ctx();
  CHECK_REFUSED(f.path, f.store.remove_route(pick("/payments"), ctx),
                "no route /payments (see: stranglerctl route list)");
  CHECK_REFUSED(f.path, f.store.remove_route(pick("/orders"), ctx),
                "several routes have the pattern /orders (/orders (exact), /orders); pick one "
                "with --methods, --exact or --prefix");
  CHECK_REFUSED(f.path, f.store.remove_route(pick("/orders", "POST"), ctx),
                "no route /orders matches the given --methods/--exact/--prefix (there is: "
                "/orders (exact), /orders)");
  CHECK_REFUSED(f.path, f.store.remove_route(pick("orders"), ctx), "invalid pattern");
  CHECK_REFUSED(f.path, f.store.remove_route(pick("/orders", "BREW"), ctx), "invalid method list");
}

TEST_CASE("load_rule_set returns targets, parsed routes and the version together") {
  RouteFixture f;
  f.store.add_route({"/customers/*/orders", true, "GET", "orders"}, test_ctx());
  f.store.flip_route({pick("/customers/*/orders"), "legacy", 30, "X-User"}, test_ctx());
  RuleSet rules = f.store.load_rule_set();
  CHECK(rules.version == f.store.rules_version());
  CHECK(rules.version == 4);
  REQUIRE(rules.targets.size() == 2);
  REQUIRE(rules.routes.size() == 1);
  const Route& route = rules.routes[0];
  CHECK(route.pattern == parse_pattern("/customers/*/orders", true));
  CHECK(route.pattern.segments.at(1).wildcard);
  CHECK(route.methods == MethodSet::parse("GET"));
  CHECK(route.target == "orders");
  CHECK(route.split_target == "legacy");
  CHECK(route.split_percent == 30);
  CHECK(route.sticky_header == "X-User");
}
