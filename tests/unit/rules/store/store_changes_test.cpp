// The route change log and load_changes_since: after every kind of rule change, the previous
// rule set with the changes applied equals a full load; writes made with plain SQL are logged
// too; a log that no longer reaches back says so instead of returning a partial change.
#include <doctest/doctest.h>

#include <functional>

#include "rules/rule_json.h"
#include "rules/rule_set_changes.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;

namespace {

// Everything a RuleSet holds, as text, so that a mismatch prints what differs.
std::string describe(const RuleSet& rules) {
  Json out = {{"version", rules.version}, {"change_seq", rules.change_seq}};
  for (const auto& target : rules.targets) out["targets"].push_back(target_to_json(target));
  for (const auto& route : rules.routes) {
    Json route_json = route_to_json(route);
    route_json["id"] = route.id;
    out["routes"].push_back(route_json);
  }
  return out.dump(1);
}

struct ChangesFixture : StoreFixture {
  RuleSet loaded = store.load_rule_set();

  ChangesFixture() {
    store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
    store.add_target({"shadow", "http://127.0.0.1:9003"}, test_ctx());
    for (const char* pattern : {"/a", "/b/*", "/c", "/d/x", "/e"}) {
      store.add_route({pattern, false, "", "legacy"}, test_ctx());
    }
    loaded = store.load_rule_set();
  }

  // Runs `change`, then checks that the changes since `loaded`, applied to it, equal a full load;
  // returns how many route ids the changes touched.
  std::size_t check_incremental(const std::function<void()>& change) {
    change();
    auto changes = store.load_changes_since(loaded.change_seq);
    REQUIRE(changes.has_value());
    const std::size_t touched = changes->touched_ids.size();
    RuleSet merged = apply_changes(loaded, std::move(*changes));
    RuleSet full = store.load_rule_set();
    CHECK(describe(merged) == describe(full));
    loaded = std::move(full);
    return touched;
  }
};

}  // namespace

TEST_CASE("the changes since a rule set, applied to it, equal a full load") {
  ChangesFixture f;
  CHECK(f.loaded.change_seq > 0);
  CHECK(f.check_incremental([&] {
    f.store.flip_route({RouteSelector{"/c"}, "orders"}, test_ctx());
  }) == 1);
  f.check_incremental([&] {
    f.store.flip_route({RouteSelector{"/d/x"}, "orders", 30}, test_ctx());
  });
  f.check_incremental([&] {
    f.store.shadow_route({RouteSelector{"/a"}, ShadowConfig{"shadow"}}, test_ctx());
  });
  f.check_incremental([&] {
    f.store.add_ignore(RouteSelector{"/a"}, {DiffIgnore::Kind::json_path, "$.meta"}, test_ctx());
  });
  f.check_incremental([&] {
    f.store.add_route({"/aa", false, "", "orders"}, test_ctx());  // sorts between "/a" and "/b/*"
    f.store.add_route({"/a", true, "GET", "orders"}, test_ctx());
    f.store.add_route({"/zz", false, "", "orders"}, test_ctx());  // after every other route
    f.store.add_route({"/", false, "", "orders"}, test_ctx());    // before every other route
  });
  f.check_incremental([&] { f.store.remove_route(RouteSelector{"/b/*"}, test_ctx()); });
  f.check_incremental([&] { f.store.undo(test_ctx()); });  // back under its old id
  f.check_incremental([&] {
    f.store.set_target("orders", TargetPatch{.url = "http://127.0.0.1:9012"}, test_ctx());
  });
  CHECK(f.check_incremental([] {}) == 0);  // nothing written: nothing touched, same set
}

TEST_CASE("a route written with plain SQL is in the change log") {
  ChangesFixture f;
  {
    sqlite::Database db(f.path, sqlite::Database::Mode::kReadWrite);
    auto update = db.prepare("UPDATE routes SET target = ?1 WHERE pattern = ?2");
    update.bind(1, "orders").bind(2, "/e");
    update.run();
    auto remove = db.prepare("DELETE FROM routes WHERE pattern = ?1");
    remove.bind(1, "/a");
    remove.run();
  }
  CHECK(f.check_incremental([] {}) == 2);
}

TEST_CASE("a change log that no longer reaches back asks for a full load") {
  ChangesFixture f;
  const auto before = f.loaded.change_seq;
  f.store.flip_route({RouteSelector{"/c"}, "orders"}, test_ctx());
  f.store.flip_route({RouteSelector{"/e"}, "orders"}, test_ctx());
  SUBCASE("entries after the set's position were trimmed") {
    sqlite::Database db(f.path, sqlite::Database::Mode::kReadWrite);
    auto trim = db.prepare("DELETE FROM route_changes WHERE seq <= ?1");
    trim.bind(1, before + 1);
    trim.run();
    CHECK_FALSE(f.store.load_changes_since(before).has_value());
    CHECK(f.store.load_changes_since(before + 1).has_value());  // nothing it needs is missing
  }
  SUBCASE("a position beyond the log's end (another file)") {
    CHECK_FALSE(f.store.load_changes_since(before + 1000).has_value());
  }
}

TEST_CASE("writers keep the newest 10,000 change log entries") {
  ChangesFixture f;
  {
    sqlite::Database db(f.path, sqlite::Database::Mode::kReadWrite);
    sqlite::Transaction transaction(db, sqlite::Transaction::Kind::kImmediate);
    auto update = db.prepare("UPDATE routes SET sticky_header = ?1 WHERE pattern = ?2");
    for (int i = 0; i < 12'000; ++i) {
      update.reset();
      update.bind(1, i % 2 ? "X-A" : "X-B").bind(2, "/e");
      update.run();
    }
    transaction.commit();
  }
  f.store.flip_route({RouteSelector{"/c"}, "orders"}, test_ctx());  // a writer trims
  sqlite::Database db(f.path, sqlite::Database::Mode::kReadOnly);
  CHECK(sqlite::query_int(db, "SELECT count(*) FROM route_changes") == 10'000);
  CHECK_FALSE(f.store.load_changes_since(f.loaded.change_seq).has_value());
}
