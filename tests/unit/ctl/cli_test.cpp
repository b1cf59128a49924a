// stranglerctl's command line end to end, in process: parsing, --db / STRANGLER_DB, exit statuses
// (0 done, 1 refused, 2 usage), the one-line error on stderr, and the command line recorded in
// the history.
#include <doctest/doctest.h>

#include <initializer_list>
#include <sstream>

#include "rules/rule_json.h"
#include "tests/unit/store/store_test_support.h"
#include "tools/stranglerctl/cli.h"

using namespace strangler;
using namespace strangler::ctl;
using namespace strangler::testing;

namespace {

struct Result {
  int status;
  std::string out;
  std::string err;
};

Result cli(std::initializer_list<std::string> args, std::optional<std::string> env_db = {}) {
  std::vector<std::string> storage{"/usr/local/bin/stranglerctl"};
  storage.insert(storage.end(), args);
  std::vector<const char*> argv;
  for (const auto& arg : storage) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  CliEnvironment env{std::move(env_db), "tester"};
  int status = run_cli(static_cast<int>(argv.size()), argv.data(), env, out, err);
  return {status, out.str(), err.str()};
}

}  // namespace

TEST_CASE("a session: init, target, route, flip, list, history, undo") {
  TempDir dir;
  auto db = dir.file("shop.db");
  CHECK(cli({"--db", db, "init", "--legacy", "http://127.0.0.1:9001"}).status == 0);
  CHECK(
      cli({"--db", db, "target", "add", "orders", "http://127.0.0.1:9002", "--timeout-ms", "3000"})
          .out ==
      "target orders added: http://127.0.0.1:9002 (connect timeout 1000 ms, timeout 3000 ms)\n");
  CHECK(cli({"--db", db, "route", "add", "/orders", "--to", "legacy", "--methods", "GET,HEAD"})
            .status == 0);
  auto flip = cli({"--db", db, "route", "flip", "/orders", "--to", "orders", "--percent", "20",
                   "--sticky-header", "X-User"});
  CHECK(flip.status == 0);
  CHECK(flip.out == "route /orders [GET,HEAD]: legacy → orders (20%, sticky by X-User)\n");
  CHECK(flip.err.empty());

  auto list = cli({"--db", db, "route", "list"});
  CHECK(list.status == 0);
  CHECK(list.out.find("20% → orders (sticky by X-User)") != std::string::npos);

  auto json = cli({"route", "list", "--json", "--db", db});  // options after the subcommand too
  CHECK(json.status == 0);
  CHECK(Json::parse(json.out).at(0)["split"]["percent"] == 20);
  CHECK(Json::parse(cli({"--json", "--db", db, "target", "list"}).out).size() == 2);

  auto undo = cli({"--db", db, "undo"});
  CHECK(undo.status == 0);
  CHECK(undo.out.rfind("undid change #4 (route flip by tester)", 0) == 0);

  auto history = cli({"--db", db, "history", "--json", "--limit", "2"});
  CHECK(history.status == 0);
  auto changes = Json::parse(history.out);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0]["command"] == "stranglerctl --db " + db + " undo");
  CHECK(changes[1]["command"] == "stranglerctl --db " + db +
                                     " route flip /orders --to orders --percent 20 "
                                     "--sticky-header X-User");
  CHECK(changes[1]["user"] == "tester");
}

TEST_CASE("refusals exit 1 with one line on stderr and nothing on stdout") {
  TempDir dir;
  auto db = dir.file("shop.db");
  cli({"--db", db, "init", "--legacy", "http://127.0.0.1:9001"});
  std::string before = dump_database(db);
  for (auto args : std::initializer_list<std::initializer_list<std::string>>{
           {"--db", db, "init", "--legacy", "http://127.0.0.1:9001"},
           {"--db", db, "target", "add", "x", "ftp://127.0.0.1"},
           {"--db", db, "target", "add", "legacy", "http://127.0.0.1:1"},
           {"--db", db, "target", "rm", "legacy"},
           {"--db", db, "target", "set", "legacy"},
           {"--db", db, "route", "add", "orders", "--to", "legacy"},
           {"--db", db, "route", "add", "/orders", "--to", "nope"},
           {"--db", db, "route", "rm", "/orders"},
           {"--db", db, "route", "flip", "/orders", "--to", "legacy"},
           {"--db", db, "undo"},
       }) {
    auto result = cli(args);
    CAPTURE(result.err);
    CHECK(result.status == 1);
    CHECK(result.out.empty());
    CHECK(result.err.rfind("stranglerctl: ", 0) == 0);
    CHECK(result.err.find('\n') == result.err.size() - 1);  // exactly one line
  }
  CHECK(dump_database(db) == before);
  CHECK(cli({"--db", db, "target", "rm", "legacy"}).err ==
        "stranglerctl: target \"legacy\" cannot be removed: it receives every request that no "
        "route matches (change its URL with: stranglerctl target set legacy --url URL)\n");
}

TEST_CASE("a missing database is a refusal (1) naming the init command") {
  TempDir dir;
  auto db = dir.file("x.db");
  auto result = cli({"--db", db, "route", "list"});
  CHECK(result.status == 1);
  CHECK(result.err == "stranglerctl: database \"" + db +
                          "\" does not exist (create it with: stranglerctl --db " + db +
                          " init --legacy URL)\n");
}

TEST_CASE("usage errors exit 2") {
  TempDir dir;
  auto db = dir.file("shop.db");
  cli({"--db", db, "init", "--legacy", "http://127.0.0.1:9001"});
  std::string before = dump_database(db);
  for (auto args : std::initializer_list<std::initializer_list<std::string>>{
           {},
           {"--db", db},
           {"--db", db, "frobnicate"},
           {"--db", db, "target"},
           {"--db", db, "target", "add", "orders"},
           {"--db", db, "route", "add", "/orders"},
           {"--db", db, "route", "flip", "/orders", "--to", "x", "--percent", "ten"},
           {"--db", db, "route", "rm", "/orders", "--exact", "--prefix"},
           {"--db", db, "history", "--limit", "-1"},
           {"--db", db, "init"},
           {"--db", db, "target", "list", "--bogus"},
       }) {
    auto result = cli(args);
    CAPTURE(result.err);
    CHECK(result.status == 2);
    CHECK(result.out.empty());
    CHECK(result.err.rfind("stranglerctl: ", 0) == 0);
    CHECK(result.err.find("(see: stranglerctl --help)\n") == result.err.size() - 27);
  }
  CHECK(cli({"--db", db, "route", "add", "/orders"}).err ==
        "stranglerctl: --to is required (see: stranglerctl --help)\n");
  CHECK(dump_database(db) == before);
}

TEST_CASE("the database comes from --db, else from STRANGLER_DB, else it is a usage error") {
  TempDir dir;
  auto db = dir.file("shop.db");
  auto other = dir.file("other.db");
  CHECK(cli({"init", "--legacy", "http://127.0.0.1:9001"}, db).status == 0);
  CHECK(std::filesystem::exists(db));
  CHECK(cli({"target", "list"}, db).out.find("legacy") != std::string::npos);
  // --db wins over the environment.
  CHECK(cli({"--db", other, "target", "list"}, db).status == 1);

  auto missing = cli({"target", "list"});
  CHECK(missing.status == 2);
  CHECK(missing.err == "stranglerctl: no rules database: give --db PATH or set STRANGLER_DB\n");
}

TEST_CASE("--help exits 0 and lists the commands") {
  auto help = cli({"--help"});
  CHECK(help.status == 0);
  for (const char* command : {"init", "target", "route", "history", "undo"}) {
    CHECK(help.out.find(command) != std::string::npos);
  }
  auto flip = cli({"route", "flip", "--help"});
  CHECK(flip.status == 0);
  CHECK(flip.out.find("--sticky-header") != std::string::npos);
}

TEST_CASE("arguments are quoted in the recorded command line where a shell needs it") {
  CHECK(shell_quote("/orders") == "/orders");
  CHECK(shell_quote("GET,HEAD") == "GET,HEAD");
  CHECK(shell_quote("*") == "'*'");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  const char* argv[] = {"/usr/bin/stranglerctl", "route", "rm", "/c/*/o", "--methods", "*"};
  CHECK(command_line(6, argv) == "stranglerctl route rm '/c/*/o' --methods '*'");
}
