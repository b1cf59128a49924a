// stranglerctl's command line end to end, in process: parsing, --db / STRANGLER_DB, exit statuses
// (0 done, 1 refused, 2 usage), the one-line error on stderr, and the command line recorded in
// the history.
#include <doctest/doctest.h>

#include <initializer_list>
#include <sstream>

#include "rules/rule_json.h"
#include "tests/unit/rules/store/store_test_support.h"
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

Result cli(const std::vector<std::string>& args, std::optional<std::string> env_db = {}) {
  std::vector<std::string> storage{"/usr/local/bin/stranglerctl"};
  storage.insert(storage.end(), args.begin(), args.end());
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

TEST_CASE("route flip --percent keeps the sticky header unless given one") {
  TempDir dir;
  auto db = dir.file("shop.db");
  CHECK(cli({"--db", db, "init", "--legacy", "http://127.0.0.1:9001"}).status == 0);
  CHECK(cli({"--db", db, "target", "add", "orders", "http://127.0.0.1:9002"}).status == 0);
  CHECK(cli({"--db", db, "route", "add", "/orders", "--to", "legacy"}).status == 0);
  CHECK(cli({"--db", db, "route", "flip", "/orders", "--to", "orders", "--percent", "20",
             "--sticky-header", "X-User"})
            .status == 0);
  // Raising the share must not re-bucket users: those already on the new side stay there.
  auto raised = cli({"--db", db, "route", "flip", "/orders", "--to", "orders", "--percent", "30"});
  CHECK(raised.out ==
        "route /orders: legacy, 20% to orders (sticky by X-User) → legacy, 30% to orders (sticky "
        "by X-User)\n");
  auto reset = cli({"--db", db, "route", "flip", "/orders", "--to", "orders", "--percent", "40",
                    "--sticky-header", ""});
  CHECK(reset.out ==
        "route /orders: legacy, 30% to orders (sticky by X-User) → legacy, 40% to orders (sticky "
        "by client address)\n");
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

TEST_CASE("target add and set take every resilience option") {
  TempDir dir;
  auto db = dir.file("shop.db");
  cli({"--db", db, "init", "--legacy", "http://127.0.0.1:9001"});
  auto add = cli({"--db",
                  db,
                  "target",
                  "add",
                  "orders",
                  "http://127.0.0.1:9002",
                  "--window",
                  "50",
                  "--min-calls",
                  "10",
                  "--failure-threshold",
                  "8",
                  "--failure-rate",
                  "0.25",
                  "--recovery-ms",
                  "1500",
                  "--half-open-probes",
                  "2",
                  "--no-5xx-failures",
                  "--max-concurrent",
                  "100",
                  "--retries",
                  "3",
                  "--backoff-ms",
                  "40"});
  CHECK(add.status == 0);
  CHECK(add.err.empty());
  auto store = RuleStore::open(db, true);
  TargetResilience r = store.targets().at(1).resilience;
  CHECK(r.breaker_window == 50);
  CHECK(r.breaker_min_calls == 10);
  CHECK(r.breaker_failure_threshold == 8);
  CHECK(r.breaker_failure_rate == 0.25);
  CHECK(r.breaker_recovery_ms == 1500);
  CHECK(r.breaker_half_open_probes == 2);
  CHECK_FALSE(r.count_5xx_as_failure);
  CHECK(r.max_concurrent == 100);
  CHECK(r.retries == 3);
  CHECK(r.backoff_ms == 40);

  auto set = cli({"--db", db, "target", "set", "orders", "--5xx-failures", "--retries", "0"});
  CHECK(set.status == 0);
  CHECK(set.out == "target orders: 5xx now counted as failures, retries 3 → 0\n");
  CHECK(store.targets().at(1).resilience.count_5xx_as_failure);
  CHECK(cli({"--db", db, "target", "set", "orders", "--no-5xx-failures"}).status == 0);
  CHECK_FALSE(store.targets().at(1).resilience.count_5xx_as_failure);
  // Untouched settings stay as they were.
  CHECK(store.targets().at(1).resilience.breaker_window == 50);
  CHECK(Json::parse(
            cli({"--db", db, "target", "list", "--json"}).out)[1]["resilience"]["max_concurrent"] ==
        100);
}

TEST_CASE("resilience refusals exit 1 with one line; bad option values exit 2") {
  TempDir dir;
  auto db = dir.file("shop.db");
  cli({"--db", db, "init", "--legacy", "http://127.0.0.1:9001"});
  cli({"--db", db, "target", "add", "orders", "http://127.0.0.1:9002"});
  std::string before = dump_database(db);
  auto refused =
      cli({"--db", db, "target", "add", "pay", "http://127.0.0.1:9003", "--min-calls", "30"});
  CHECK(refused.status == 1);
  CHECK(refused.err == "stranglerctl: --min-calls 30 is larger than --window 20\n");
  CHECK(cli({"--db", db, "target", "set", "orders", "--window", "3"}).err ==
        "stranglerctl: --min-calls 5 is larger than --window 3\n");
  CHECK(cli({"--db", db, "target", "set", "orders", "--failure-rate", "1.5"}).err ==
        "stranglerctl: --failure-rate 1.5 is out of range: use a fraction above 0 and at most 1 "
        "(0.5 is 50%)\n");
  CHECK(cli({"--db", db, "target", "set", "orders", "--retries", "6"}).status == 1);
  CHECK(cli({"--db", db, "target", "set", "orders", "--max-concurrent", "-1"}).status == 1);
  CHECK(cli({"--db", db, "target", "set", "orders"}).err ==
        "stranglerctl: nothing to change: give --url, --connect-timeout-ms, --timeout-ms or a "
        "resilience option (see: stranglerctl target set --help)\n");
  for (auto args : std::initializer_list<std::initializer_list<std::string>>{
           {"--db", db, "target", "set", "orders", "--5xx-failures", "--no-5xx-failures"},
           {"--db", db, "target", "add", "x", "http://127.0.0.1:1", "--5xx-failures"},
           {"--db", db, "target", "set", "orders", "--failure-rate", "half"},
           {"--db", db, "target", "set", "orders", "--window", "1.5"},
       }) {
    auto result = cli(args);
    CAPTURE(result.err);
    CHECK(result.status == 2);
  }
  CHECK(dump_database(db) == before);
}

TEST_CASE("route add and route flip take --fallback") {
  TempDir dir;
  auto db = dir.file("shop.db");
  cli({"--db", db, "init", "--legacy", "http://127.0.0.1:9001"});
  cli({"--db", db, "target", "add", "orders", "http://127.0.0.1:9002"});
  cli({"--db", db, "target", "add", "orders-v1", "http://127.0.0.1:9003"});
  auto add = cli({"--db", db, "route", "add", "/orders", "--to", "legacy", "--fallback", "none"});
  CHECK(add.out == "route /orders added → legacy (fallback none)\n");
  auto flip =
      cli({"--db", db, "route", "flip", "/orders", "--to", "orders", "--fallback", "orders-v1"});
  CHECK(flip.status == 0);
  CHECK(flip.out == "route /orders: legacy → orders, fallback none → orders-v1\n");
  auto store = RuleStore::open(db, true);
  CHECK(store.routes().at(0).fallback == "orders-v1");
  CHECK(cli({"--db", db, "route", "flip", "/orders", "--to", "legacy"}).status == 0);
  CHECK(store.routes().at(0).fallback == "orders-v1");  // kept without --fallback
  auto rm = cli({"--db", db, "target", "rm", "orders-v1"});
  CHECK(rm.status == 1);
  CHECK(rm.err ==
        "stranglerctl: target \"orders-v1\" is used by route /orders (as fallback); "
        "flip or remove that route first\n");
  CHECK(cli({"--db", db, "route", "list"}).out.find("orders-v1  -\n") != std::string::npos);
  CHECK(cli({"route", "add", "/x", "--to", "legacy", "--fallback"}).status == 2);
}

TEST_CASE("route add and route flip take --fallback-methods; a bad list changes nothing") {
  TempDir dir;
  auto db = dir.file("shop.db");
  cli({"--db", db, "init", "--legacy", "http://127.0.0.1:9001"});
  cli({"--db", db, "target", "add", "orders", "http://127.0.0.1:9002"});
  auto add = cli({"--db", db, "route", "add", "/orders", "--to", "orders", "--fallback-methods",
                  "GET,HEAD,OPTIONS,POST"});
  CHECK(add.status == 0);
  auto store = RuleStore::open(db, true);
  CHECK(store.routes().at(0).fallback_methods.text() == "GET,HEAD,POST,OPTIONS");
  CHECK(cli({"--db", db, "route", "list"}).out.find("legacy (default) for GET,HEAD,POST,OPTIONS") !=
        std::string::npos);
  auto flip =
      cli({"--db", db, "route", "flip", "/orders", "--to", "orders", "--fallback-methods", "GET"});
  CHECK(flip.status == 0);
  CHECK(flip.out == "route /orders: fallback methods GET,HEAD,POST,OPTIONS → GET\n");
  CHECK(store.routes().at(0).fallback_methods.text() == "GET");

  const auto before = dump_database(db);
  auto bad = cli({"--db", db, "route", "flip", "/orders", "--to", "orders", "--fallback-methods",
                  "GET,FETCH"});
  CHECK(bad.status == 1);
  CHECK(bad.err.find('\n') == bad.err.size() - 1);  // one line
  CHECK(bad.err.rfind("stranglerctl: --fallback-methods: ", 0) == 0);
  CHECK(bad.err.find("FETCH") != std::string::npos);
  auto empty =
      cli({"--db", db, "route", "add", "/pay", "--to", "orders", "--fallback-methods", ""});
  CHECK(empty.status == 1);
  CHECK(empty.err.rfind("stranglerctl: --fallback-methods: empty method list", 0) == 0);
  CHECK(dump_database(db) == before);
  CHECK(cli({"route", "add", "--help"}).out.find("--fallback-methods") != std::string::npos);
}

TEST_CASE("status needs --admin, not a database, and --help lists it") {
  auto result = cli({"status", "--admin", "https://127.0.0.1:8081"});
  CHECK(result.status == 1);
  CHECK(result.err.find("no rules database") == std::string::npos);
  CHECK(result.err.rfind("stranglerctl: invalid --admin URL", 0) == 0);
  CHECK(cli({"--help"}).out.find("status") != std::string::npos);
  auto help = cli({"status", "--help"});
  CHECK(help.status == 0);
  CHECK(help.out.find("--admin-token") != std::string::npos);
}

TEST_CASE("target set takes the health check and connection limit options") {
  TempDir dir;
  auto db = dir.file("shop.db");
  cli({"--db", db, "init", "--legacy", "http://127.0.0.1:9001"});
  cli({"--db", db, "target", "add", "orders", "http://127.0.0.1:9002"});
  auto set =
      cli({"--db", db, "target", "set", "orders", "--health-path", "/health?deep=1",
           "--health-interval-ms", "2000", "--health-timeout-ms", "500", "--healthy-threshold", "1",
           "--unhealthy-threshold", "4", "--max-connections", "8", "--queue-timeout-ms", "0"});
  CAPTURE(set.err);
  CHECK(set.status == 0);
  CHECK(set.out ==
        "target orders: health path none → /health?deep=1, health interval 5000 → 2000 ms, health "
        "timeout 1000 → 500 ms, healthy threshold 2 → 1, unhealthy threshold 3 → 4, max "
        "connections unlimited → 8, queue timeout 5000 → 0 ms\n");
  auto store = RuleStore::open(db, true);
  TargetResilience r = store.targets().at(1).resilience;
  CHECK(r.health_path == "/health?deep=1");
  CHECK(r.health_interval_ms == 2000);
  CHECK(r.health_timeout_ms == 500);
  CHECK(r.healthy_threshold == 1);
  CHECK(r.unhealthy_threshold == 4);
  CHECK(r.max_connections == 8);
  CHECK(r.queue_timeout_ms == 0);
  auto list = cli({"--db", db, "target", "list"});
  CHECK(list.out.find("health /health?deep=1 every 2s (4/1), max conns 8 (queue 0ms)") !=
        std::string::npos);
  // "none" and "" both switch the check off; the other settings stay.
  CHECK(cli({"--db", db, "target", "set", "orders", "--health-path", "none"}).status == 0);
  CHECK(store.targets().at(1).resilience.health_path.empty());
  CHECK(cli({"--db", db, "target", "set", "orders", "--health-path", "/h"}).status == 0);
  CHECK(cli({"--db", db, "target", "set", "orders", "--health-path", ""}).status == 0);
  CHECK(store.targets().at(1).resilience.health_path.empty());
  CHECK(store.targets().at(1).resilience.health_interval_ms == 2000);
}

TEST_CASE("health check and connection limit refusals: one line, nothing changed") {
  TempDir dir;
  auto db = dir.file("shop.db");
  cli({"--db", db, "init", "--legacy", "http://127.0.0.1:9001"});
  cli({"--db", db, "target", "add", "orders", "http://127.0.0.1:9002"});
  std::string before = dump_database(db);
  struct Row {
    std::vector<std::string> args;
    std::string err;
  };
  const Row rows[] = {
      {{"--health-path", "health"},
       "stranglerctl: invalid --health-path \"health\": use a path starting with '/' (a query may "
       "follow), at most 1024 printable characters without spaces, '#' or '\\', or \"none\" to "
       "switch the check off\n"},
      {{"--health-path", "/a b"}, ""},
      {{"--health-path", "/a#b"}, ""},
      {{"--health-interval-ms", "99"},
       "stranglerctl: --health-interval-ms 99 is out of range: use 100..3600000\n"},
      {{"--health-timeout-ms", "0"},
       "stranglerctl: --health-timeout-ms 0 is out of range: use 1..600000\n"},
      {{"--health-timeout-ms", "6000"},
       "stranglerctl: --health-timeout-ms 6000 is longer than --health-interval-ms 5000\n"},
      {{"--healthy-threshold", "0"},
       "stranglerctl: --healthy-threshold 0 is out of range: use 1..100\n"},
      {{"--unhealthy-threshold", "101"},
       "stranglerctl: --unhealthy-threshold 101 is out of range: use 1..100\n"},
      {{"--max-connections", "-1"},
       "stranglerctl: --max-connections -1 is out of range: use 0..100000 (0: unlimited)\n"},
      {{"--queue-timeout-ms", "600001"},
       "stranglerctl: --queue-timeout-ms 600001 is out of range: use 0..600000 (0: no wait)\n"},
  };
  for (const auto& row : rows) {
    std::vector<std::string> args = {"--db", db, "target", "set", "orders"};
    args.insert(args.end(), row.args.begin(), row.args.end());
    auto result = cli(args);
    CAPTURE(result.err);
    CHECK(result.status == 1);
    CHECK(result.err.find('\n') == result.err.size() - 1);
    if (!row.err.empty()) CHECK(result.err == row.err);
  }
  CHECK(cli({"--db", db, "target", "set", "orders", "--max-connections", "many"}).status == 2);
  CHECK(dump_database(db) == before);
}
