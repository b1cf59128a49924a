// stranglerctl route shadow|unshadow, diff ignore|unignore|ignores|report|show|clear and the
// promotion gate of route flip (issue 3), called as functions and through run_cli.
#include <doctest/doctest.h>

#include <sstream>

#include "rules/rule_json.h"
#include "rules/store/comparison_store.h"
#include "rules/utc_time.h"
#include "tests/unit/rules/store/store_test_support.h"
#include "tools/stranglerctl/body_diff.h"
#include "tools/stranglerctl/cli.h"
#include "tools/stranglerctl/commands.h"

using namespace strangler;
using namespace strangler::ctl;
using namespace strangler::testing;
using namespace std::chrono_literals;

namespace {

struct ShadowCtlFixture : StoreFixture {
  std::int64_t route_id = 0;
  ShadowCtlFixture() {
    store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
    route_id = store.add_route({"/orders", false, "", "legacy"}, test_ctx()).id;
  }
  std::string run(const std::function<int(std::ostream&)>& command) {
    std::ostringstream out;
    CHECK(command(out) == 0);
    return out.str();
  }
  // `count` comparisons of /orders against orders, the first `mismatches` of them differing at
  // $.total.
  void record(int count, int mismatches) {
    ComparisonStore::open(path).record_batch(orders_comparisons(route_id, count, mismatches), {},
                                             {}, {});
  }
  FlipArgs flip_to_orders(bool force = false) {
    FlipArgs args{{"/orders"}, "orders"};
    args.force = force;
    return args;
  }
};

std::string shadow_output(ShadowCtlFixture& f, const ShadowArgs& args, std::string& warnings) {
  std::ostringstream out, err;
  CHECK(route_shadow(args, f.store, test_ctx(), out, err) == 0);
  warnings = err.str();
  return out.str();
}

}  // namespace

TEST_CASE("route shadow confirms, warns only when writes would run twice; unshadow undoes it") {
  ShadowCtlFixture f;
  std::string warnings;
  ShadowArgs args{{"/orders"}, "orders"};
  CHECK(shadow_output(f, args, warnings) ==
        "route /orders: shadow - → orders 100% [GET,HEAD,OPTIONS]\n");
  CHECK(warnings.empty());
  args.percent = 10;
  args.methods = "get,post";
  args.noise_check = true;
  args.compare_headers = "Content-Type, ETag";
  CHECK(shadow_output(f, args, warnings) ==
        "route /orders: shadow orders 100% [GET,HEAD,OPTIONS] → orders 10% [GET,POST], noise "
        "check, headers Content-Type,ETag\n");
  CHECK(warnings.find("warning") != std::string::npos);
  CHECK(warnings.find("run twice") != std::string::npos);
  auto shadow = f.store.routes().at(0).shadow;
  REQUIRE(shadow);
  CHECK(shadow->compare_headers == std::vector<std::string>{"Content-Type", "ETag"});
  CHECK(f.run([&](auto& o) { return route_unshadow({{"/orders"}}, f.store, test_ctx(), o); }) ==
        "route /orders: shadow orders 10% [GET,POST], noise check, headers Content-Type,ETag → "
        "-\n");
}

TEST_CASE("diff ignore, unignore and ignores") {
  ShadowCtlFixture f;
  CHECK(f.run([&](auto& o) { return diff_ignores({{"/orders"}}, f.store, o); }) ==
        "route /orders ignores nothing\n");
  CHECK(f.run([&](auto& o) {
    return diff_ignore({{"/orders"}, "$.meta.generated_at"}, f.store, test_ctx(), o);
  }) == "route /orders now ignores $.meta.generated_at\n");
  CHECK(f.run([&](auto& o) {
    return diff_ignore({{"/orders"}, std::nullopt, "Date"}, f.store, test_ctx(), o);
  }) == "route /orders now ignores header Date\n");
  CHECK(f.run([&](auto& o) { return diff_ignores({{"/orders"}}, f.store, o); }) ==
        "KIND       IGNORED\n"
        "json path  $.meta.generated_at\n"
        "header     Date\n");
  auto json = Json::parse(f.run([&](auto& o) {
    return diff_ignores({{"/orders"}, true}, f.store, o);
  }));
  CHECK(json == Json::parse(R"([{"kind":"json_path","expr":"$.meta.generated_at"},
                                {"kind":"header","expr":"Date"}])"));
  CHECK(f.run([&](auto& o) {
    return diff_unignore({{"/orders"}, std::nullopt, "date"}, f.store, test_ctx(), o);
  }) == "route /orders no longer ignores header date\n");
  std::ostringstream out;
  CHECK_REFUSED(f.path, diff_ignore({{"/orders"}, "$.a", "Date"}, f.store, test_ctx(), out),
                "not both");
  CHECK_REFUSED(f.path, diff_ignore({{"/orders"}}, f.store, test_ctx(), out), "not both");
}

TEST_CASE(
    "the gate refuses too few samples and a low match rate, then allows; never-shadowed "
    "routes flip freely") {
  ShadowCtlFixture f;
  f.store.shadow_route({{"/orders"}, ShadowConfig{"orders"}}, test_ctx());
  f.record(40, 0);
  std::ostringstream out;
  CHECK_REFUSED(f.path, route_flip(f.flip_to_orders(), f.store, test_ctx(), out),
                "route /orders has 40 comparisons with orders in the last 24h, fewer than "
                "--min-samples 100");
  f.record(60, 10);  // 100 comparisons, 90 matches
  CHECK_REFUSED(f.path, route_flip(f.flip_to_orders(), f.store, test_ctx(), out),
                "route /orders matched orders in 90% of 100 comparisons in the last 24h, below "
                "--min-match 99%");
  auto relaxed = f.flip_to_orders();
  relaxed.min_match = 0.9;
  relaxed.window = "bad";
  CHECK_REFUSED(f.path, route_flip(relaxed, f.store, test_ctx(), out), "--window \"bad\"");
  f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::json_path, "$.total"}, test_ctx());
  CHECK(f.run([&](auto& o) { return route_flip(f.flip_to_orders(), f.store, test_ctx(), o); }) ==
        "route /orders: legacy → orders, shadow orders 100% [GET,HEAD,OPTIONS] → -\n");
  CHECK(f.store.history(1).at(0).kind == "route flip");

  f.store.add_route({"/pay", false, "", "legacy"}, test_ctx());  // never shadowed
  CHECK(f.run([&](auto& o) {
    return route_flip({{"/pay"}, "orders"}, f.store, test_ctx(), o);
  }) == "route /pay: legacy → orders\n");
}

TEST_CASE("--force flips past the gate and the history records it") {
  ShadowCtlFixture f;
  f.store.shadow_route({{"/orders"}, ShadowConfig{"orders"}}, test_ctx());
  f.record(5, 5);
  auto output =
      f.run([&](auto& o) { return route_flip(f.flip_to_orders(true), f.store, test_ctx(), o); });
  CHECK(output.find("forced past the gate: 5 comparisons, 0% matched") != std::string::npos);
  CHECK(f.store.routes().at(0).target == "orders");
  CHECK(f.store.history(1).at(0).kind == "route flip (forced)");
  // Flipping back is not gated: no comparison had legacy as its shadow target.
  CHECK(f.run([&](auto& o) {
    return route_flip({{"/orders"}, "legacy"}, f.store, test_ctx(), o);
  }) == "route /orders: orders → legacy\n");
}

TEST_CASE("diff report --json has exactly the issue's shape") {
  ShadowCtlFixture f;
  f.store.shadow_route({{"/orders"}, ShadowConfig{"orders"}}, test_ctx());
  f.record(4, 1);
  auto json = Json::parse(f.run([&](auto& o) {
    return diff_report({std::nullopt, "1h", true}, f.store, o);
  }));
  REQUIRE(json.size() == 1);
  REQUIRE(json["routes"].size() == 1);
  const auto& r = json["routes"][0];
  std::vector<std::string> keys;
  for (const auto& [key, value] : r.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"route", "comparisons", "matches", "mismatches",
                                         "match_rate", "status_mismatches", "shadow_errors",
                                         "dropped", "skipped", "primary_p50_ms", "primary_p99_ms",
                                         "shadow_p50_ms", "shadow_p99_ms", "noisy_paths",
                                         "top_differences"});
  CHECK(r["route"] == "/orders");
  CHECK(r["comparisons"] == 4);
  CHECK(r["matches"] == 3);
  CHECK(r["match_rate"] == 0.75);
  CHECK(r["shadow_p50_ms"] == 8.0);
  CHECK(r["noisy_paths"].is_array());
  CHECK(r["top_differences"] ==
        Json::parse(R"([{"path":"$.total","kind":"changed","count":1,"example_id":1}])"));
  auto table = f.run([&](auto& o) { return diff_report({}, f.store, o); });
  CHECK(table.find("/orders  4         75.0%") != std::string::npos);
  CHECK(table.find("diff show 1") != std::string::npos);
}

TEST_CASE("diff show prints the request, both answers and a line diff of the bodies") {
  ShadowCtlFixture f;
  f.record(1, 1);
  auto text = f.run([&](auto& o) { return diff_show({1}, f.store, o); });
  CHECK(text.find("request  GET /orders/7") != std::string::npos);
  CHECK(text.find("primary  legacy  200  5.0 ms") != std::string::npos);
  CHECK(text.find("$.total  changed  12.5     \"12.50\"") != std::string::npos);
  CHECK(text.find("-   \"total\": 12.5\n+   \"total\": \"12.50\"\n") != std::string::npos);
  CHECK(text.find("    \"id\": 7,\n") != std::string::npos);  // key order does not matter
  std::ostringstream out;
  CHECK_THROWS_WITH_AS(diff_show({2}, f.store, out), doctest::Contains("no comparison #2"),
                       RuleError);
  CHECK(f.run([&](auto& o) { return diff_clear({"/orders"}, f.store, o); }) ==
        "deleted 1 comparison of route /orders\n");
}

TEST_CASE("body_diff of non-JSON bodies is a plain line diff") {
  CHECK(body_diff("a\nb\nc", "a\nc\nd") == "  a\n- b\n  c\n+ d\n");
}

TEST_CASE("durations of --since and --window") {
  CHECK(parse_duration("45s", "--since") == 45s);
  CHECK(parse_duration("30m", "--since") == 30min);
  CHECK(parse_duration("1h", "--since") == 1h);
  CHECK(parse_duration("2d", "--since") == 48h);
  for (const char* bad : {"", "h", "0h", "1.5h", "-1h", "10", "1w"}) {
    CHECK_THROWS_AS(parse_duration(bad, "--since"), RuleError);
  }
}

TEST_CASE("the command line: shadow warning on stderr, gate exit 1, report --json, diff clear") {
  TempDir dir;
  auto db = dir.file("rules.db");
  auto run = [&](std::initializer_list<std::string> args, std::string* err = nullptr) {
    std::vector<std::string> storage{"stranglerctl", "--db", db};
    storage.insert(storage.end(), args);
    std::vector<const char*> argv;
    for (const auto& arg : storage) argv.push_back(arg.c_str());
    std::ostringstream out, errors;
    int status =
        run_cli(static_cast<int>(argv.size()), argv.data(), {std::nullopt, "tester"}, out, errors);
    if (err) *err = errors.str();
    return status;
  };
  REQUIRE(run({"init", "--legacy", "http://127.0.0.1:9001"}) == 0);
  REQUIRE(run({"target", "add", "orders", "http://127.0.0.1:9002"}) == 0);
  REQUIRE(run({"route", "add", "/orders", "--to", "legacy"}) == 0);
  REQUIRE(run({"route", "add", "/orders", "--to", "legacy", "--methods", "GET", "--exact"}) == 0);
  std::string err;
  // --methods is what is mirrored; --exact/--prefix and --route-methods pick the route.
  CHECK(run({"route", "shadow", "/orders", "--to", "orders", "--route-methods", "GET", "--methods",
             "GET"}) == 0);
  CHECK(RuleStore::open(db).route({"/orders", "GET", true}).shadow->methods.text() == "GET");
  CHECK(run({"route", "unshadow", "/orders", "--exact"}) == 0);
  CHECK(run({"route", "shadow", "/orders", "--to", "orders", "--methods", "GET,POST", "--prefix"},
            &err) == 0);
  CHECK(err.find("warning") != std::string::npos);
  CHECK(run({"diff", "ignore", "/orders", "$.meta.at", "--prefix"}) == 0);
  CHECK(run({"diff", "ignore", "/orders", "--header", "Date", "--prefix"}) == 0);
  CHECK(run({"diff", "ignores", "/orders", "--json", "--prefix"}) == 0);
  CHECK(run({"route", "flip", "/orders", "--to", "orders", "--min-samples", "1", "--prefix"},
            &err) == 1);
  CHECK(err.find("fewer than --min-samples 1") != std::string::npos);
  CHECK(run({"route", "flip", "/orders", "--to", "orders", "--window", "30m", "--force",
             "--prefix"}) == 0);
  CHECK(run({"diff", "report", "--json", "--since", "2d"}) == 0);
  CHECK(run({"diff", "clear", "--route", "/orders"}) == 0);
  CHECK(run({"diff", "show", "x"}) == 2);
}
