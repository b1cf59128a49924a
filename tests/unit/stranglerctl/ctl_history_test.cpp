// stranglerctl init, history and undo, called as functions, and run_guarded's mapping of
// exceptions to one line and exit status 1.
#include <doctest/doctest.h>

#include <sstream>

#include "rules/rule_error.h"
#include "rules/rule_json.h"
#include "tests/unit/rules/store/store_test_support.h"
#include "tools/stranglerctl/commands.h"

using namespace strangler;
using namespace strangler::ctl;
using namespace strangler::testing;

TEST_CASE("init creates the rule set and says where unmatched requests go") {
  TempDir dir;
  auto path = dir.file("shop.db");
  std::ostringstream out;
  CHECK(init({path, "http://127.0.0.1:9001"}, test_ctx(), out) == 0);
  CHECK(out.str() ==
        "created rule set " + path + ": every request goes to legacy (http://127.0.0.1:9001)\n");
  CHECK(RuleStore::open(path).targets().at(0).name == "legacy");
  CHECK_THROWS_WITH_AS(init({path, "http://127.0.0.1:9001"}, test_ctx(), out),
                       doctest::Contains("already holds a rule set"), StoreError);
}

TEST_CASE("history prints every change, newest first, with before and after") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, {"alice", "stranglerctl target add"});
  f.store.add_route({"/orders", false, "", "legacy"}, {"bob", "stranglerctl route add /orders"});
  f.store.flip_route({{"/orders"}, "orders", 20}, {"alice", "stranglerctl route flip"});
  f.store.undo({"carol", "stranglerctl undo"});
  std::ostringstream out;
  CHECK(history({}, f.store, out) == 0);
  std::istringstream lines(out.str());
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  REQUIRE(rows.size() == 6);
  CHECK(rows[0].rfind("ID  TIME", 0) == 0);
  CHECK(rows[0].find("USER") != std::string::npos);
  CHECK(rows[0].find("COMMAND") != std::string::npos);
  CHECK(rows[1].rfind("5   ", 0) == 0);
  CHECK(rows[1].find("carol") != std::string::npos);
  CHECK(rows[1].find("undo #4") != std::string::npos);
  CHECK(rows[1].find("route /orders → legacy, 20% to orders (sticky by client address)  route "
                     "/orders → legacy") != std::string::npos);
  CHECK(rows[2].find("route flip (undone by #5)") != std::string::npos);
  CHECK(rows[3].find("stranglerctl route add /orders") != std::string::npos);
  CHECK(rows[3].find("  -  ") != std::string::npos);  // no route before
  CHECK(rows[4].find("target orders http://127.0.0.1:9002 (1000/15000 ms)") != std::string::npos);
  CHECK(rows[5].find("init") != std::string::npos);
}

TEST_CASE("history --json and --limit") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, {"alice", "cmd"});
  f.store.undo({"bob", "undo"});
  std::ostringstream out;
  CHECK(history({true, 2}, f.store, out) == 0);
  auto json = Json::parse(out.str());
  REQUIRE(json.size() == 2);
  CHECK(json[0]["kind"] == "undo");
  CHECK(json[0]["user"] == "bob");
  CHECK(json[0]["undoes"] == 2);
  CHECK(json[0]["before"]["name"] == "orders");
  CHECK(json[0]["after"].is_null());
  CHECK(json[1]["kind"] == "target add");
  CHECK(json[1]["undone_by"] == 3);
  CHECK(json[1]["entity"] == "target");
  CHECK(json[1]["command"] == "cmd");
  CHECK(json[1]["at"].get<std::string>().size() == 20);
}

TEST_CASE("undo says what it reverted") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  f.store.add_route({"/orders", false, "", "legacy"}, test_ctx());
  f.store.flip_route({{"/orders"}, "orders"}, {"alice", "flip"});
  std::ostringstream out;
  CHECK(undo(f.store, test_ctx(), out) == 0);
  CHECK(undo(f.store, test_ctx(), out) == 0);
  CHECK(undo(f.store, test_ctx(), out) == 0);
  CHECK(out.str() ==
        "undid change #4 (route flip by alice): route /orders: orders → legacy\n"
        "undid change #3 (route add by tester): removed route /orders → legacy\n"
        "undid change #2 (target add by tester): removed target orders http://127.0.0.1:9002 "
        "(1000/15000 ms)\n");
  CHECK_REFUSED(f.path, undo(f.store, test_ctx(), out), "nothing to undo");
}

TEST_CASE("undo of a removal says what it restored") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  f.store.remove_target("orders", test_ctx());
  std::ostringstream out;
  CHECK(undo(f.store, test_ctx(), out) == 0);
  CHECK(out.str() ==
        "undid change #3 (target rm by tester): restored target orders http://127.0.0.1:9002 "
        "(1000/15000 ms)\n");
  CHECK(f.store.targets().size() == 2);
}

TEST_CASE("run_guarded maps refusals and store failures to one line and status 1") {
  std::ostringstream err;
  CHECK(run_guarded([] { return 0; }, err) == 0);
  CHECK(err.str().empty());
  CHECK(run_guarded([]() -> int { throw RuleError("no route /x"); }, err) == 1);
  CHECK(run_guarded([]() -> int { throw StoreError("database \"x\" is locked"); }, err) == 1);
  CHECK(run_guarded([]() -> int { throw std::runtime_error("boom"); }, err) == 1);
  CHECK(err.str() ==
        "stranglerctl: no route /x\n"
        "stranglerctl: database \"x\" is locked\n"
        "stranglerctl: unexpected error: boom\n");
}
