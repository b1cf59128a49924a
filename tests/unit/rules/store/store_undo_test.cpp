// undo in the rule store: each kind of change reverted to exactly its earlier state, repeated
// undo walking back like a stack, undo records in the history, and the refusals ("nothing to
// undo", a state that no longer matches) that write nothing.
#include <doctest/doctest.h>

#include "rules/rule_json.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;

namespace {

// The rules only (not the history), to compare states before a change and after its undo.
std::string rules_state(RuleStore& store) {
  Json state = {{"targets", Json::array()}, {"routes", Json::array()}};
  for (const auto& target : store.targets()) state["targets"].push_back(target_to_json(target));
  for (const auto& route : store.routes()) state["routes"].push_back(route_to_json(route));
  return state.dump();
}

// Runs `change`, then undo, and checks that the rules are back where they were, that the version
// moved on twice and that the undo is recorded against the change.
template <typename F>
void check_undo_restores(StoreFixture& f, F change, const std::string& kind) {
  std::string state = rules_state(f.store);
  std::int64_t version = f.store.rules_version();
  change();
  CHECK(rules_state(f.store) != state);
  ChangeRecord reverted = f.store.undo(test_ctx("undo"));
  CHECK(reverted.kind == kind);
  CHECK(rules_state(f.store) == state);
  CHECK(f.store.rules_version() == version + 2);

  auto history = f.store.history(2);
  const auto& undo = history[0];
  CHECK(undo.kind == "undo");
  CHECK(undo.entity == reverted.entity);
  CHECK(undo.undoes == reverted.id);
  CHECK(undo.command == "undo");
  CHECK(undo.before == reverted.after);
  CHECK(undo.after == reverted.before);
  CHECK(history[1].id == reverted.id);
  CHECK(history[1].undone_by == undo.id);
  CHECK(reverted.undone_by == undo.id);
}

struct UndoFixture : StoreFixture {
  UndoFixture() {
    store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
    store.add_route({"/orders", false, "", "legacy"}, test_ctx());
  }
};

}  // namespace

TEST_CASE("undo reverts each kind of change") {
  UndoFixture f;
  SUBCASE("target add") {
    check_undo_restores(
        f,
        [&] {
          f.store.add_target({"pay", "http://127.0.0.1:1"}, test_ctx());
        },
        "target add");
  }
  SUBCASE("target set") {
    TargetPatch patch;
    patch.url = "http://127.0.0.1:7777";
    patch.timeout_ms = 5;
    check_undo_restores(
        f, [&] { f.store.set_target("orders", patch, test_ctx()); }, "target set");
  }
  SUBCASE("target set of resilience settings") {
    TargetPatch patch;
    patch.breaker_window = 40;
    patch.breaker_failure_rate = 0.2;
    patch.count_5xx_as_failure = false;
    patch.max_concurrent = 64;
    check_undo_restores(
        f, [&] { f.store.set_target("orders", patch, test_ctx()); }, "target set");
    CHECK(f.store.targets().at(1).resilience == TargetResilience{});
  }
  SUBCASE("target set back from tuned resilience settings") {
    TargetPatch tune;
    tune.retries = 0;
    tune.backoff_ms = 500;
    f.store.set_target("orders", tune, test_ctx());
    TargetPatch patch;
    patch.retries = 5;
    check_undo_restores(
        f, [&] { f.store.set_target("orders", patch, test_ctx()); }, "target set");
    CHECK(f.store.targets().at(1).resilience.retries == 0);
    CHECK(f.store.targets().at(1).resilience.backoff_ms == 500);
  }
  SUBCASE("target rm of a target with resilience settings") {
    Target pay{"pay", "http://127.0.0.1:1"};
    pay.resilience.breaker_recovery_ms = 1234;
    pay.resilience.count_5xx_as_failure = false;
    f.store.add_target(pay, test_ctx());
    check_undo_restores(
        f, [&] { f.store.remove_target("pay", test_ctx()); }, "target rm");
    CHECK(f.store.targets().back().resilience == pay.resilience);
  }
  SUBCASE("route flip that sets the fallback") {
    check_undo_restores(
        f,
        [&] {
          f.store.flip_route({{"/orders"}, "orders", std::nullopt, std::nullopt, "none"},
                             test_ctx());
        },
        "route flip");
    CHECK_FALSE(f.store.routes().at(0).fallback);
  }
  SUBCASE("route flip that changes only the fallback") {
    f.store.flip_route({{"/orders"}, "orders", std::nullopt, std::nullopt, "none"}, test_ctx());
    check_undo_restores(
        f,
        [&] {
          f.store.flip_route({{"/orders"}, "orders", std::nullopt, std::nullopt, "default"},
                             test_ctx());
        },
        "route flip");
    CHECK(f.store.routes().at(0).fallback == "none");
  }
  SUBCASE("route rm of a route with a named fallback (restored with it)") {
    f.store.add_route({"/pay", false, "", "legacy", "orders"}, test_ctx());
    check_undo_restores(
        f, [&] { f.store.remove_route({"/pay"}, test_ctx()); }, "route rm");
    CHECK(f.store.routes().at(1).fallback == "orders");
  }
  SUBCASE("target rm") {
    f.store.add_target({"pay", "http://127.0.0.1:1", 42, 4242}, test_ctx());
    check_undo_restores(
        f, [&] { f.store.remove_target("pay", test_ctx()); }, "target rm");
    CHECK(f.store.targets().back().connect_timeout_ms == 42);
  }
  SUBCASE("route add") {
    check_undo_restores(
        f,
        [&] {
          f.store.add_route({"/pay", true, "POST", "orders"}, test_ctx());
        },
        "route add");
  }
  SUBCASE("route rm (restored under its old id)") {
    std::int64_t id = f.store.routes().at(0).id;
    check_undo_restores(
        f, [&] { f.store.remove_route({"/orders"}, test_ctx()); }, "route rm");
    CHECK(f.store.routes().at(0).id == id);
  }
  SUBCASE("route flip") {
    check_undo_restores(
        f,
        [&] {
          f.store.flip_route({{"/orders"}, "orders"}, test_ctx());
        },
        "route flip");
  }
  SUBCASE("gradual route flip") {
    check_undo_restores(
        f,
        [&] {
          f.store.flip_route({{"/orders"}, "orders", 25, "X-User"}, test_ctx());
        },
        "route flip");
  }
}

TEST_CASE("repeated undo walks back through the history and stops at init") {
  UndoFixture f;
  f.store.flip_route({{"/orders"}, "orders", 20}, test_ctx());
  f.store.flip_route({{"/orders"}, "orders"}, test_ctx());
  CHECK(f.store.undo(test_ctx()).kind == "route flip");
  CHECK(f.store.routes().at(0).split_percent == 20);
  CHECK(f.store.undo(test_ctx()).kind == "route flip");
  CHECK(f.store.routes().at(0).split_target.empty());
  CHECK(f.store.routes().at(0).target == "legacy");
  CHECK(f.store.undo(test_ctx()).kind == "route add");
  CHECK(f.store.routes().empty());
  CHECK(f.store.undo(test_ctx()).kind == "target add");
  CHECK(f.store.targets().size() == 1);
  // Only init is left, and init cannot be undone; the undos themselves are never undone.
  CHECK_REFUSED(f.path, f.store.undo(test_ctx()), "nothing to undo");
  auto history = f.store.history();
  CHECK(history.size() == 9);
  CHECK(history.back().kind == "init");
  CHECK_FALSE(history.back().undone_by);
  CHECK(f.store.rules_version() == 9);
}

TEST_CASE("a fresh rule set has nothing to undo") {
  StoreFixture f;
  CHECK_REFUSED(f.path, f.store.undo(test_ctx()), "nothing to undo");
}

TEST_CASE("after an undo, a new change is the next one undone") {
  UndoFixture f;
  f.store.flip_route({{"/orders"}, "orders"}, test_ctx());
  f.store.undo(test_ctx());                                       // reverts the flip
  f.store.add_target({"pay", "http://127.0.0.1:1"}, test_ctx());  // a new change
  CHECK(f.store.undo(test_ctx()).kind == "target add");
  CHECK(f.store.targets().size() == 2);
  // The flip is already undone: next comes the route add.
  CHECK(f.store.undo(test_ctx()).kind == "route add");
  CHECK(f.store.routes().empty());
}

TEST_CASE("undo refuses when the entity changed outside stranglerctl, and writes nothing") {
  UndoFixture f;
  f.store.flip_route({{"/orders"}, "orders"}, test_ctx());
  {
    sqlite::Database db(f.path, sqlite::Database::Mode::kReadWrite);
    auto edit = db.prepare("UPDATE routes SET target = ?1");
    edit.bind(1, "legacy");
    edit.run();
  }
  CHECK_REFUSED(f.path, f.store.undo(test_ctx()),
                "cannot undo change #4 (route flip): route #1 is no longer as that change left it");
}

TEST_CASE("undoing a target add is refused while a route uses the target") {
  UndoFixture f;
  f.store.add_target({"pay", "http://127.0.0.1:1"}, test_ctx());
  {
    // A route that uses the target without a history row of its own (written by hand), so that
    // the target add is still the newest change.
    sqlite::Database db(f.path, sqlite::Database::Mode::kReadWrite);
    auto insert = db.prepare(
        "INSERT INTO routes (pattern, exact, methods, target, created_at) VALUES (?1, 0, '', ?2, "
        "'')");
    insert.bind(1, "/pay").bind(2, "pay");
    insert.run();
  }
  CHECK_REFUSED(f.path, f.store.undo(test_ctx()),
                "cannot undo change #4 (target add): target \"pay\" is used by route /pay; flip "
                "or remove that route first");
}

TEST_CASE("undoing a route removal is refused when a conflicting route took its place") {
  UndoFixture f;
  f.store.remove_route({"/orders"}, test_ctx());
  {
    sqlite::Database db(f.path, sqlite::Database::Mode::kReadWrite);
    auto insert = db.prepare(
        "INSERT INTO routes (pattern, exact, methods, target, created_at) VALUES (?1, 0, '', ?2, "
        "'')");
    insert.bind(1, "/orders").bind(2, "orders");
    insert.run();
  }
  CHECK_REFUSED(f.path, f.store.undo(test_ctx()), "cannot undo change #4 (route rm): duplicate");
}

TEST_CASE("undoing a route removal is refused when its fallback target no longer exists") {
  UndoFixture f;
  f.store.add_target({"pay", "http://127.0.0.1:1"}, test_ctx());
  f.store.add_route({"/pay", false, "", "legacy", "pay"}, test_ctx());
  f.store.remove_route({"/pay"}, test_ctx());
  {
    // Removed by hand, so that the route rm is still the newest change.
    sqlite::Database db(f.path, sqlite::Database::Mode::kReadWrite);
    auto remove = db.prepare("DELETE FROM targets WHERE name = ?1");
    remove.bind(1, "pay");
    remove.run();
  }
  CHECK_REFUSED(f.path, f.store.undo(test_ctx()),
                "cannot undo change #6 (route rm): unknown fallback target \"pay\"");
}
