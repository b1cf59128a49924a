// Routes' fallbacks in the rule store: the default (stored as NULL), "none" stored distinctly,
// a named target; setting them with route add and route flip, the refusals (unknown target, the
// route's own target, removing a target that is a fallback) and their JSON form.
#include <doctest/doctest.h>

#include "rules/rule_json.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;

namespace {

struct FallbackFixture : StoreFixture {
  FallbackFixture() {
    store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
    store.add_target({"orders-v1", "http://127.0.0.1:9003"}, test_ctx());
  }
  Route add(const std::string& target, std::optional<std::string> fallback) {
    return store.add_route({"/orders", false, "", target, std::move(fallback)}, test_ctx());
  }
  Route current() { return store.routes().at(0); }
};

FlipSpec flip(const std::string& target, std::optional<std::string> fallback = std::nullopt,
              std::optional<int> percent = std::nullopt) {
  return FlipSpec{RouteSelector{"/orders"}, target, percent, std::nullopt, std::move(fallback)};
}

// The two stored columns of the only route, as "fallback_target|fallback_none".
std::string stored_columns(const std::string& path) {
  sqlite::Database db(path, sqlite::Database::Mode::kReadOnly);
  auto select = db.prepare("SELECT fallback_target, fallback_none FROM routes");
  REQUIRE(select.step());
  return select.optional_text(0).value_or("NULL") + "|" + std::to_string(select.int64(1));
}

}  // namespace

TEST_CASE("a route gets the default fallback: NULL in the database, legacy for other targets") {
  FallbackFixture f;
  Route route = f.add("orders", std::nullopt);
  CHECK_FALSE(route.fallback);
  CHECK_FALSE(f.current().fallback);
  CHECK(stored_columns(f.path) == "NULL|0");
  CHECK(effective_fallback(route, "orders") == "legacy");
  CHECK_FALSE(effective_fallback(route, "legacy"));  // legacy does not fall back to itself
  CHECK(Json::parse(f.store.history(1).at(0).after)["fallback"].is_null());
  // "default" is the word for the same thing.
  f.store.add_route({"/pay", false, "", "orders", "default"}, test_ctx());
  CHECK_FALSE(f.store.routes().at(1).fallback);
}

TEST_CASE("fallback none is stored distinctly from the default") {
  FallbackFixture f;
  Route route = f.add("orders", "none");
  CHECK(route.fallback == "none");
  CHECK(f.current().fallback == "none");
  CHECK(stored_columns(f.path) == "NULL|1");
  CHECK_FALSE(effective_fallback(f.current(), "orders"));
  CHECK(Json::parse(f.store.history(1).at(0).after)["fallback"] == "none");
  CHECK(f.store.load_rule_set().routes.at(0).fallback == "none");
}

TEST_CASE("a named fallback is stored and used for every primary but itself") {
  FallbackFixture f;
  f.add("orders", "orders-v1");
  Route route = f.current();
  CHECK(route.fallback == "orders-v1");
  CHECK(stored_columns(f.path) == "orders-v1|0");
  CHECK(effective_fallback(route, "orders") == "orders-v1");
  CHECK_FALSE(effective_fallback(route, "orders-v1"));  // a split share sent to the fallback
  CHECK(Json::parse(f.store.history(1).at(0).after)["fallback"] == "orders-v1");
}

TEST_CASE("route add refuses an unknown fallback and the route's own target") {
  FallbackFixture f;
  CHECK_REFUSED(f.path, f.add("orders", "nope"),
                "unknown fallback target \"nope\" (add it with: stranglerctl target add nope URL, "
                "or give --fallback none or default)");
  CHECK_REFUSED(f.path, f.add("orders", "orders"),
                "route /orders cannot fall back to its own target \"orders\" (give --fallback "
                "none, default or another target)");
  CHECK_REFUSED(f.path, f.add("legacy", "legacy"), "cannot fall back to its own target");
  CHECK(f.store.routes().empty());
}

TEST_CASE("a flip without --fallback keeps the route's fallback") {
  FallbackFixture f;
  f.add("legacy", "orders-v1");
  f.store.flip_route(flip("orders", std::nullopt, 30), test_ctx());
  CHECK(f.current().fallback == "orders-v1");
  f.store.flip_route(flip("orders"), test_ctx());
  CHECK(f.current().target == "orders");
  CHECK(f.current().fallback == "orders-v1");
}

TEST_CASE("a flip with --fallback sets it as part of the flip, in one history row") {
  FallbackFixture f;
  f.add("legacy", std::nullopt);
  auto change = f.store.flip_route(flip("orders", "none"), test_ctx());
  CHECK_FALSE(change.before.fallback);
  CHECK(change.after.fallback == "none");
  CHECK(change.after.target == "orders");
  CHECK(f.current().fallback == "none");
  auto record = f.store.history(1).at(0);
  CHECK(Json::parse(record.before)["fallback"].is_null());
  CHECK(Json::parse(record.after)["fallback"] == "none");

  // Only the fallback changes: still a flip, and fine.
  f.store.flip_route(flip("orders", "orders-v1"), test_ctx());
  CHECK(f.current().fallback == "orders-v1");
  CHECK(f.current().target == "orders");
  // Back to the default.
  f.store.flip_route(flip("orders", "default"), test_ctx());
  CHECK_FALSE(f.current().fallback);
  CHECK(stored_columns(f.path) == "NULL|0");
}

TEST_CASE("flip refusals about fallbacks change nothing") {
  FallbackFixture f;
  f.add("legacy", "orders-v1");
  auto ctx = test_ctx();
  CHECK_REFUSED(f.path, f.store.flip_route(flip("orders-v1"), ctx),
                "route /orders cannot fall back to its own target \"orders-v1\"");
  CHECK_REFUSED(f.path, f.store.flip_route(flip("orders", "orders"), ctx),
                "cannot fall back to its own target \"orders\"");
  CHECK_REFUSED(f.path, f.store.flip_route(flip("orders", "nope"), ctx),
                "unknown fallback target \"nope\"");
  CHECK_REFUSED(f.path, f.store.flip_route(flip("legacy", "orders-v1"), ctx),
                "route /orders already goes to legacy; nothing changed");
  // With the fallback given too, flipping to the old fallback is fine.
  f.store.flip_route(flip("orders-v1", "legacy"), ctx);
  CHECK(f.current().target == "orders-v1");
  CHECK(f.current().fallback == "legacy");
}

TEST_CASE("target rm is refused while a route uses the target as its fallback") {
  FallbackFixture f;
  f.add("orders", "orders-v1");
  CHECK_REFUSED(f.path, f.store.remove_target("orders-v1", test_ctx()),
                "target \"orders-v1\" is used by route /orders (as fallback); flip or remove that "
                "route first");
  f.store.flip_route(flip("orders", "none"), test_ctx());
  f.store.remove_target("orders-v1", test_ctx());
  CHECK(f.store.targets().size() == 2);
}

TEST_CASE("a route's JSON fallback reads back: null, none, a name, and absent (older rows)") {
  Route route;
  route.id = 4;
  route.pattern = parse_pattern("/orders", false);
  route.target = "orders";
  for (std::optional<std::string> fallback :
       {std::optional<std::string>(), std::optional<std::string>("none"),
        std::optional<std::string>("orders-v1")}) {
    route.fallback = fallback;
    Json json = route_to_json(route);
    CHECK(json.contains("fallback"));
    CHECK(route_from_json(Json::parse(json.dump())).fallback == fallback);
  }
  Json old = route_to_json(route);
  old.erase("fallback");
  CHECK_FALSE(route_from_json(old).fallback);
  old["fallback"] = 5;
  CHECK_THROWS_AS(route_from_json(old), RuleError);
}

TEST_CASE("the schema keeps a fallback consistent even when written around the store") {
  FallbackFixture f;
  f.add("orders", std::nullopt);
  sqlite::Database db(f.path, sqlite::Database::Mode::kReadWrite);
  auto own = db.prepare("UPDATE routes SET fallback_target = ?1");
  own.bind(1, "orders");
  CHECK_THROWS_AS(own.run(), sqlite::SqliteError);
  auto both = db.prepare("UPDATE routes SET fallback_target = ?1, fallback_none = 1");
  both.bind(1, "orders-v1");
  CHECK_THROWS_AS(both.run(), sqlite::SqliteError);
  auto missing = db.prepare("UPDATE routes SET fallback_target = ?1");
  missing.bind(1, "no-such-target");
  CHECK_THROWS_AS(missing.run(), sqlite::SqliteError);
}

TEST_CASE("fallback methods: GET, HEAD and OPTIONS by default; route add and flip set them") {
  FallbackFixture f;
  Route route = f.add("orders", std::nullopt);
  CHECK(route.fallback_methods == MethodSet::parse("GET,HEAD,OPTIONS"));
  CHECK(f.current().fallback_methods.text() == "GET,HEAD,OPTIONS");

  RouteSpec spec{"/pay", false, "", "orders", std::nullopt, "get,head,post"};
  CHECK(f.store.add_route(spec, test_ctx()).fallback_methods.text() == "GET,HEAD,POST");
  CHECK(f.store.routes().at(1).fallback_methods.text() == "GET,HEAD,POST");

  // A flip that only changes the fallback methods is fine, and recorded.
  auto opt_in = flip("orders");
  opt_in.fallback_methods = "GET,HEAD,OPTIONS,POST";
  auto change = f.store.flip_route(opt_in, test_ctx());
  CHECK(change.after.fallback_methods.text() == "GET,HEAD,POST,OPTIONS");
  CHECK(f.current().fallback_methods.admits("POST"));
  auto record = f.store.history(1).at(0);
  CHECK(Json::parse(record.before)["fallback_methods"] == Json({"GET", "HEAD", "OPTIONS"}));
  CHECK(Json::parse(record.after)["fallback_methods"] == Json({"GET", "HEAD", "POST", "OPTIONS"}));
  // "*" is every method, extension methods included; kept by a flip that does not name it.
  auto every = flip("orders");
  every.fallback_methods = "*";
  f.store.flip_route(every, test_ctx());
  CHECK(f.current().fallback_methods.all());
  f.store.flip_route(flip("orders", "orders-v1"), test_ctx());
  CHECK(f.current().fallback_methods.all());
  // Undo restores the previous list.
  f.store.undo(test_ctx());
  f.store.undo(test_ctx());
  CHECK(f.current().fallback_methods.text() == "GET,HEAD,POST,OPTIONS");
}

TEST_CASE("fallback methods: a bad list is refused in one line and changes nothing") {
  FallbackFixture f;
  f.add("orders", std::nullopt);
  auto ctx = test_ctx();
  for (const char* bad : {"", " ", "GET,,POST", "FETCH", "GET;POST"}) {
    CAPTURE(bad);
    auto spec = flip("orders");
    spec.fallback_methods = bad;
    CHECK_REFUSED(f.path, f.store.flip_route(spec, ctx), "--fallback-methods: ");
    RouteSpec add{"/pay", false, "", "orders", std::nullopt, bad};
    CHECK_REFUSED(f.path, f.store.add_route(add, ctx), "--fallback-methods: ");
  }
  // The same list again changes nothing and says so.
  auto same = flip("orders");
  same.fallback_methods = "OPTIONS,HEAD,GET";
  CHECK_REFUSED(f.path, f.store.flip_route(same, ctx), "nothing changed");
  CHECK(f.current().fallback_methods.text() == "GET,HEAD,OPTIONS");
}
