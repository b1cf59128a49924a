// Shadow settings and diff ignores in the rule store (issue 3): each write is one transaction with
// one history row, bumps the rules version, round-trips through load_rule_set and the compiled
// RouteTable, and is undone by undo; bad input is refused with nothing changed. Also the upgrade
// of a version-2 file.
#include <doctest/doctest.h>

#include "rules/route_table.h"
#include "rules/rule_json.h"
#include "rules/store/comparison_store.h"
#include "rules/store/schema.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;

namespace {

struct ShadowFixture : StoreFixture {
  ShadowFixture() {
    store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
    store.add_route({"/orders", false, "", "legacy"}, test_ctx());
  }
  ShadowSpec spec(const std::string& to = "orders") {
    ShadowSpec s{{"/orders"}, ShadowConfig{}};
    s.config.target = to;
    return s;
  }
  Route route() { return store.load_rule_set().routes.at(0); }
};

// A flip of /orders with a gate that asks for nothing: what a flip does to the shadow, not whether
// the comparisons allow it (store_gate_test.cpp).
FlipSpec ungated_flip(const std::string& to, std::optional<int> percent = std::nullopt) {
  FlipSpec spec{{"/orders"}, to, percent};
  spec.gate = GatePolicy{0, 0.0, std::chrono::hours(24)};
  return spec;
}

}  // namespace

TEST_CASE("route shadow stores the config, records history, bumps the version and undoes") {
  ShadowFixture f;
  auto version = f.store.rules_version();
  auto s = f.spec();
  s.config.percent = 25;
  s.config.methods = MethodSet::parse("GET,POST");
  s.config.noise_check = true;
  s.config.compare_headers = {"Content-Type", "ETag"};
  auto change = f.store.shadow_route(s, test_ctx("route shadow"));
  CHECK_FALSE(change.before.shadow);
  CHECK(f.route().shadow == s.config);
  CHECK(f.store.rules_version() == version + 1);
  auto last = f.store.history(1).at(0);
  CHECK(last.kind == "route shadow");
  CHECK(Json::parse(last.after)["shadow"]["percent"] == 25);
  CHECK(Json::parse(last.before)["shadow"].is_null());

  auto table = RouteTable::build(f.store.load_rule_set());
  const auto& compiled = table->match("GET", "/orders/1");
  REQUIRE(compiled.shadow_index != kNoTarget);
  CHECK(table->target(compiled.shadow_index).target.name == "orders");
  CHECK(table->match("GET", "/other").shadow_index == kNoTarget);

  f.store.undo(test_ctx());
  CHECK_FALSE(f.route().shadow);
}

TEST_CASE("route shadow refuses bad input and changes nothing") {
  ShadowFixture f;
  CHECK_REFUSED(f.path, f.store.shadow_route(f.spec("nope"), test_ctx()), "unknown shadow target");
  CHECK_REFUSED(f.path, f.store.shadow_route(f.spec("legacy"), test_ctx()),
                "a shadow must be another target");
  auto s = f.spec();
  s.config.percent = 0;
  CHECK_REFUSED(f.path, f.store.shadow_route(s, test_ctx()), "--percent 0");
  s.config.percent = 101;
  CHECK_REFUSED(f.path, f.store.shadow_route(s, test_ctx()), "--percent 101");
  s = f.spec();
  s.config.compare_headers = {"Bad Header"};
  CHECK_REFUSED(f.path, f.store.shadow_route(s, test_ctx()), "invalid header name");
  CHECK_REFUSED(f.path, f.store.unshadow_route({"/orders"}, test_ctx()), "is not shadowed");
  f.store.shadow_route(f.spec(), test_ctx());
  CHECK_REFUSED(f.path, f.store.shadow_route(f.spec(), test_ctx()), "nothing changed");
  CHECK_REFUSED(f.path, f.store.remove_target("orders", test_ctx()), "(as shadow)");
}

TEST_CASE("route unshadow clears the shadow and undo brings it back") {
  ShadowFixture f;
  f.store.shadow_route(f.spec(), test_ctx());
  auto change = f.store.unshadow_route({"/orders"}, test_ctx());
  CHECK(change.before.shadow);
  CHECK_FALSE(f.route().shadow);
  CHECK(f.store.history(1).at(0).kind == "route unshadow");
  f.store.undo(test_ctx());
  REQUIRE(f.route().shadow);
  CHECK(f.route().shadow->target == "orders");
}

TEST_CASE("a full flip to the shadow target ends the shadow; a flip elsewhere keeps it") {
  ShadowFixture f;
  f.store.add_target({"other", "http://127.0.0.1:9003"}, test_ctx());
  f.store.shadow_route(f.spec(), test_ctx());
  f.store.flip_route(ungated_flip("orders", 10), test_ctx());
  CHECK(f.route().shadow);  // a split keeps mirroring
  f.store.flip_route(ungated_flip("other"), test_ctx());
  CHECK(f.route().shadow);
  f.store.flip_route(ungated_flip("orders"), test_ctx());
  CHECK_FALSE(f.route().shadow);
  auto flip = f.store.history(1).at(0);
  CHECK(Json::parse(flip.before)["shadow"]["target"] == "orders");
  CHECK(Json::parse(flip.after)["shadow"].is_null());
  f.store.undo(test_ctx());
  CHECK(f.route().shadow);
  CHECK(f.route().target == "other");
}

TEST_CASE("diff ignores: add, list in order, refuse duplicates and bad paths, remove, undo") {
  ShadowFixture f;
  auto version = f.store.rules_version();
  f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::header, "Date"}, test_ctx());
  f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::json_path, "$.meta.at"}, test_ctx());
  f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::json_path, "$.items[*].price"}, test_ctx());
  CHECK(f.store.rules_version() == version + 3);
  CHECK(f.route().ignores ==
        std::vector<DiffIgnore>{{DiffIgnore::Kind::json_path, "$.items[*].price"},
                                {DiffIgnore::Kind::json_path, "$.meta.at"},
                                {DiffIgnore::Kind::header, "Date"}});
  CHECK(f.store.route({"/orders"}).ignores.size() == 3);
  CHECK_REFUSED(f.path,
                f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::header, "date"}, test_ctx()),
                "already ignores header Date");
  CHECK_REFUSED(f.path,
                f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::json_path, "meta"}, test_ctx()),
                "invalid JSON path");
  CHECK_REFUSED(
      f.path, f.store.remove_ignore({"/orders"}, {DiffIgnore::Kind::json_path, "$.x"}, test_ctx()),
      "does not ignore $.x");
  f.store.remove_ignore({"/orders"}, {DiffIgnore::Kind::header, "DATE"}, test_ctx());
  CHECK(f.route().ignores.size() == 2);
  CHECK(f.store.history(1).at(0).kind == "diff unignore");
  f.store.undo(test_ctx());
  CHECK(f.route().ignores.size() == 3);
}

TEST_CASE("removing a route drops its ignores and undo restores them with its shadow") {
  ShadowFixture f;
  f.store.shadow_route(f.spec(), test_ctx());
  f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::json_path, "$.meta"}, test_ctx());
  Route before = f.route();
  f.store.remove_route({"/orders"}, test_ctx());
  {
    sqlite::Database db(f.path, sqlite::Database::Mode::kReadOnly);
    CHECK(sqlite::query_int(db, "SELECT count(*) FROM diff_ignores") == 0);
  }
  f.store.undo(test_ctx());
  Route after = f.route();
  CHECK(after.shadow == before.shadow);
  CHECK(after.ignores == before.ignores);
}

TEST_CASE("a version-2 file upgrades to shadow columns and diff tables, keeping its rules") {
  TempDir dir;
  auto path = dir.file("v2.db");
  {
    sqlite::Database db(path, sqlite::Database::Mode::kReadWriteCreate);
    schema::migrate(db, 2);
    CHECK(schema::file_version(db) == 2);
    db.exec(
        "INSERT INTO targets (name, url, connect_timeout_ms, timeout_ms, created_at) VALUES "
        "('legacy', 'http://127.0.0.1:9001', 1000, 15000, 'x'), "
        "('orders', 'http://127.0.0.1:9002', 1000, 15000, 'x')");
    db.exec(
        "INSERT INTO routes (pattern, exact, methods, target, created_at, fallback_none) VALUES "
        "('/orders', 0, 'GET', 'orders', 'x', 1)");
    db.exec("UPDATE meta SET value = 7 WHERE key = 'rules_version'");
  }
  CHECK_THROWS_WITH_AS(ComparisonStore::open(path), doctest::Contains("older schema version 2"),
                       StoreError);
  auto store = RuleStore::open(path);
  auto rules = store.load_rule_set();
  CHECK(rules.version == 7);
  REQUIRE(rules.routes.size() == 1);
  CHECK(rules.routes[0].fallback == kNoFallback);
  CHECK_FALSE(rules.routes[0].shadow);
  CHECK(rules.routes[0].ignores.empty());
  store.shadow_route({{"/orders"}, ShadowConfig{"legacy"}}, test_ctx());
  CHECK(store.load_rule_set().routes[0].shadow->target == "legacy");
  CHECK_NOTHROW(ComparisonStore::open(path));
}
