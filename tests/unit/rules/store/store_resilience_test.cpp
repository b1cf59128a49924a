// Targets' resilience settings in the rule store (circuit breaker, bulkhead, retries): the
// defaults, storing and changing them, every range the store refuses (leaving the database as it
// was) and their JSON form in the history.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "rules/rule_json.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;

namespace {

Target with_resilience(const TargetResilience& resilience) {
  Target target{"orders", "http://127.0.0.1:9002"};
  target.resilience = resilience;
  return target;
}

TargetResilience tuned() {
  TargetResilience r;
  r.breaker_window = 50;
  r.breaker_min_calls = 10;
  r.breaker_failure_threshold = 7;
  r.breaker_failure_rate = 0.25;
  r.breaker_recovery_ms = 5000;
  r.breaker_half_open_probes = 2;
  r.count_5xx_as_failure = false;
  r.max_concurrent = 100;
  r.retries = 3;
  r.backoff_ms = 40;
  r.health_path = "/health";
  r.health_interval_ms = 2000;
  r.health_timeout_ms = 300;
  r.healthy_threshold = 1;
  r.unhealthy_threshold = 4;
  r.max_connections = 16;
  r.queue_timeout_ms = 250;
  return r;
}

}  // namespace

TEST_CASE("new targets, and init's legacy target, get the default resilience settings") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  for (const auto& target : f.store.load_rule_set().targets) {
    CAPTURE(target.name);
    const auto& r = target.resilience;
    CHECK(r.breaker_window == 20);
    CHECK(r.breaker_min_calls == 5);
    CHECK(r.breaker_failure_threshold == 5);
    CHECK(r.breaker_failure_rate == 0.5);
    CHECK(r.breaker_recovery_ms == 30000);
    CHECK(r.breaker_half_open_probes == 3);
    CHECK(r.count_5xx_as_failure);
    CHECK(r.max_concurrent == 0);
    CHECK(r.retries == 1);
    CHECK(r.backoff_ms == 25);
  }
}

TEST_CASE("target add stores resilience settings, and a reopened store reads them back") {
  StoreFixture f;
  f.store.add_target(with_resilience(tuned()), test_ctx());
  CHECK(f.store.targets().at(1).resilience == tuned());
  auto again = RuleStore::open(f.path, /*read_only=*/true);
  auto rules = again.load_rule_set();
  REQUIRE(rules.targets.size() == 2);
  CHECK(rules.targets[1].resilience == tuned());
  CHECK(rules.targets[0].resilience == TargetResilience{});

  auto after = Json::parse(f.store.history(1).at(0).after);
  CHECK(after["resilience"]["breaker_failure_rate"] == 0.25);
  CHECK(after["resilience"]["count_5xx_as_failure"] == false);
  CHECK(after["resilience"]["max_concurrent"] == 100);
}

TEST_CASE("the boundary values of every resilience setting are accepted") {
  StoreFixture f;
  TargetResilience high;
  high.breaker_window = 1000;
  high.breaker_min_calls = 1000;
  high.breaker_failure_threshold = 1000;
  high.breaker_failure_rate = 1.0;
  high.breaker_recovery_ms = 3600000;
  high.breaker_half_open_probes = 100;
  high.max_concurrent = 100000;
  high.retries = 5;
  high.backoff_ms = 10000;
  f.store.add_target(with_resilience(high), test_ctx());
  TargetResilience low;
  low.breaker_window = 1;
  low.breaker_min_calls = 1;
  low.breaker_failure_threshold = 1;
  low.breaker_failure_rate = 0.001;
  low.breaker_recovery_ms = 1;
  low.breaker_half_open_probes = 1;
  low.max_concurrent = 0;
  low.retries = 0;
  low.backoff_ms = 1;
  Target second = with_resilience(low);
  second.name = "payments";
  f.store.add_target(second, test_ctx());
  auto targets = f.store.targets();
  REQUIRE(targets.size() == 3);
  CHECK(targets[1].resilience == high);
  CHECK(targets[2].resilience == low);
}

TEST_CASE("target add refuses every out-of-range resilience setting and changes nothing") {
  StoreFixture f;
  auto ctx = test_ctx();
  auto refused = [&](auto edit, const std::string& message) {
    TargetResilience r;
    edit(r);
    CHECK_REFUSED(f.path, f.store.add_target(with_resilience(r), ctx), message);
  };
  refused([](auto& r) { r.breaker_window = 0; }, "--window 0 is out of range: use 1..1000");
  refused([](auto& r) { r.breaker_window = 1001; }, "--window 1001 is out of range");
  refused([](auto& r) { r.breaker_min_calls = 0; }, "--min-calls 0 is out of range");
  refused([](auto& r) { r.breaker_min_calls = 30; }, "--min-calls 30 is larger than --window 20");
  refused([](auto& r) { r.breaker_failure_threshold = 0; },
          "--failure-threshold 0 is out of range: use 1..1000");
  refused([](auto& r) { r.breaker_failure_threshold = 1001; }, "--failure-threshold 1001");
  refused([](auto& r) { r.breaker_failure_rate = 0; },
          "--failure-rate 0 is out of range: use a fraction above 0 and at most 1 (0.5 is 50%)");
  refused([](auto& r) { r.breaker_failure_rate = -0.5; }, "--failure-rate -0.5 is out of range");
  refused([](auto& r) { r.breaker_failure_rate = 1.01; }, "--failure-rate 1.01 is out of range");
  refused([](auto& r) { r.breaker_failure_rate = std::numeric_limits<double>::quiet_NaN(); },
          "--failure-rate nan is out of range");
  refused([](auto& r) { r.breaker_recovery_ms = 0; },
          "--recovery-ms 0 is out of range: use 1..3600000");
  refused([](auto& r) { r.breaker_recovery_ms = 3600001; }, "--recovery-ms 3600001");
  refused([](auto& r) { r.breaker_half_open_probes = 0; },
          "--half-open-probes 0 is out of range: use 1..100");
  refused([](auto& r) { r.breaker_half_open_probes = 101; }, "--half-open-probes 101");
  refused([](auto& r) { r.max_concurrent = -1; },
          "--max-concurrent -1 is out of range: use 0..100000 (0: unlimited)");
  refused([](auto& r) { r.max_concurrent = 100001; }, "--max-concurrent 100001");
  refused([](auto& r) { r.retries = -1; }, "--retries -1 is out of range: use 0..5");
  refused([](auto& r) { r.retries = 6; }, "--retries 6 is out of range");
  refused([](auto& r) { r.backoff_ms = 0; }, "--backoff-ms 0 is out of range: use 1..10000");
  refused([](auto& r) { r.backoff_ms = 10001; }, "--backoff-ms 10001");
  CHECK(f.store.targets().size() == 1);
  CHECK(f.store.history().size() == 1);
}

TEST_CASE("target names that --fallback gives a meaning to are reserved") {
  StoreFixture f;
  CHECK_REFUSED(f.path, f.store.add_target({"none", "http://127.0.0.1:1"}, test_ctx()),
                "target name \"none\" is reserved");
  CHECK_REFUSED(f.path, f.store.add_target({"default", "http://127.0.0.1:1"}, test_ctx()),
                "target name \"default\" is reserved");
}

TEST_CASE("target set changes only the resilience settings it is given") {
  StoreFixture f;
  f.store.add_target(with_resilience(tuned()), test_ctx());
  TargetPatch patch;
  patch.breaker_window = 100;
  patch.count_5xx_as_failure = true;
  patch.max_concurrent = 0;
  auto change = f.store.set_target("orders", patch, test_ctx("target set"));
  CHECK(change.before.resilience == tuned());
  TargetResilience expected = tuned();
  expected.breaker_window = 100;
  expected.count_5xx_as_failure = true;
  expected.max_concurrent = 0;
  CHECK(change.after.resilience == expected);
  CHECK(f.store.targets().at(1).resilience == expected);
  CHECK(f.store.targets().at(1).url == "http://127.0.0.1:9002");

  auto record = f.store.history(1).at(0);
  CHECK(record.kind == "target set");
  CHECK(Json::parse(record.before)["resilience"]["breaker_window"] == 50);
  CHECK(Json::parse(record.after)["resilience"]["breaker_window"] == 100);
  CHECK(Json::parse(record.after)["resilience"]["breaker_min_calls"] == 10);
}

TEST_CASE("target set refusals on resilience settings change nothing") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  auto ctx = test_ctx();
  TargetPatch min_calls;
  min_calls.breaker_min_calls = 30;
  CHECK_REFUSED(f.path, f.store.set_target("orders", min_calls, ctx),
                "--min-calls 30 is larger than --window 20");
  TargetPatch window;
  window.breaker_window = 3;  // below the current --min-calls 5
  CHECK_REFUSED(f.path, f.store.set_target("orders", window, ctx),
                "--min-calls 5 is larger than --window 3");
  TargetPatch rate;
  rate.breaker_failure_rate = 2;
  CHECK_REFUSED(f.path, f.store.set_target("orders", rate, ctx), "--failure-rate 2 is out");
  TargetPatch retries;
  retries.retries = 9;
  CHECK_REFUSED(f.path, f.store.set_target("orders", retries, ctx), "--retries 9 is out");
  TargetPatch same;
  same.count_5xx_as_failure = true;
  same.backoff_ms = 25;
  CHECK_REFUSED(f.path, f.store.set_target("orders", same, ctx),
                "target \"orders\" already has these settings; nothing changed");
  // Both together are fine: the check is on the result.
  TargetPatch both;
  both.breaker_window = 3;
  both.breaker_min_calls = 3;
  f.store.set_target("orders", both, ctx);
  CHECK(f.store.targets().at(1).resilience.breaker_window == 3);
}

TEST_CASE("TargetPatch::empty and apply_patch cover every setting") {
  TargetPatch patch;
  CHECK(patch.empty());
  patch.backoff_ms = 7;
  CHECK_FALSE(patch.empty());
  patch.breaker_failure_rate = 0.75;
  patch.url = "http://127.0.0.1:5";
  Target patched = apply_patch(Target{"x", "http://127.0.0.1:1"}, patch);
  CHECK(patched.url == "http://127.0.0.1:5");
  CHECK(patched.resilience.backoff_ms == 7);
  CHECK(patched.resilience.breaker_failure_rate == 0.75);
  CHECK(patched.resilience.retries == 1);
  CHECK(patched.timeout_ms == 15000);
}

TEST_CASE("a target's JSON carries its resilience settings and reads back the same") {
  Target target = with_resilience(tuned());
  Json json = target_to_json(target);
  CHECK(json["resilience"] == Json({{"breaker_window", 50},
                                    {"breaker_min_calls", 10},
                                    {"breaker_failure_threshold", 7},
                                    {"breaker_failure_rate", 0.25},
                                    {"breaker_recovery_ms", 5000},
                                    {"breaker_half_open_probes", 2},
                                    {"count_5xx_as_failure", false},
                                    {"max_concurrent", 100},
                                    {"retries", 3},
                                    {"backoff_ms", 40},
                                    {"health_path", "/health"},
                                    {"health_interval_ms", 2000},
                                    {"health_timeout_ms", 300},
                                    {"healthy_threshold", 1},
                                    {"unhealthy_threshold", 4},
                                    {"max_connections", 16},
                                    {"queue_timeout_ms", 250}}));
  Target back = target_from_json(Json::parse(json.dump()));
  CHECK(back.resilience == tuned());
  CHECK(back.name == "orders");
}

TEST_CASE("a target's JSON without resilience keys (an older history row) reads as the defaults") {
  Json old = {{"name", "orders"},
              {"url", "http://127.0.0.1:9002"},
              {"connect_timeout_ms", 1000},
              {"timeout_ms", 15000}};
  CHECK(target_from_json(old).resilience == TargetResilience{});
  old["resilience"] = {{"retries", 4}};
  Target partial = target_from_json(old);
  CHECK(partial.resilience.retries == 4);
  CHECK(partial.resilience.breaker_window == 20);
  old["resilience"] = "fast";
  CHECK_THROWS_WITH_AS(target_from_json(old), doctest::Contains("\"resilience\" is not an object"),
                       RuleError);
  old["resilience"] = {{"retries", "many"}};
  CHECK_THROWS_AS(target_from_json(old), RuleError);
}

TEST_CASE("the schema refuses out-of-range resilience values written around the store") {
  StoreFixture f;
  sqlite::Database db(f.path, sqlite::Database::Mode::kReadWrite);
  auto update = db.prepare("UPDATE targets SET breaker_min_calls = ?1 WHERE name = ?2");
  update.bind(1, 21).bind(2, "legacy");  // above breaker_window 20
  CHECK_THROWS_AS(update.run(), sqlite::SqliteError);
  auto rate = db.prepare("UPDATE targets SET breaker_failure_rate = ?1 WHERE name = ?2");
  rate.bind(1, 0.0).bind(2, "legacy");
  CHECK_THROWS_AS(rate.run(), sqlite::SqliteError);
}
