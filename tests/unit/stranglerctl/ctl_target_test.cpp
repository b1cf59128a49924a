// stranglerctl target add|list|set|rm, called as functions: the confirming lines, the table and
// the JSON, and refusals passed on as RuleError with nothing written.
#include <doctest/doctest.h>

#include <sstream>

#include "rules/rule_json.h"
#include "tests/unit/rules/store/store_test_support.h"
#include "tools/stranglerctl/commands.h"

using namespace strangler;
using namespace strangler::ctl;
using namespace strangler::testing;

TEST_CASE("target add confirms with the URL and timeouts") {
  StoreFixture f;
  std::ostringstream out;
  CHECK(target_add({"orders", "http://127.0.0.1:9002", 200, std::nullopt}, f.store, test_ctx(),
                   out) == 0);
  CHECK(out.str() ==
        "target orders added: http://127.0.0.1:9002 (connect timeout 200 ms, timeout 15000 ms)\n");
  CHECK(f.store.targets().size() == 2);
}

TEST_CASE("target list prints a table with route counts") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002", 250, 3000}, test_ctx());
  f.store.add_route({"/orders", false, "", "legacy"}, test_ctx());
  f.store.flip_route({{"/orders"}, "orders", 10}, test_ctx());
  std::ostringstream out;
  CHECK(target_list({}, f.store, out) == 0);
  CHECK(out.str() ==
        "NAME    URL                    CONNECT TIMEOUT  TIMEOUT   ROUTES                  "
        "RESILIENCE\n"
        "legacy  http://127.0.0.1:9001  1000 ms          15000 ms  1 + unmatched requests  "
        "breaker 5/20 50% 30s, no max, retries 1\n"
        "orders  http://127.0.0.1:9002  250 ms           3000 ms   1                       "
        "breaker 5/20 50% 30s, no max, retries 1\n");
}

TEST_CASE("target list --json prints every target as JSON") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002", 250, 3000}, test_ctx());
  std::ostringstream out;
  CHECK(target_list({true}, f.store, out) == 0);
  auto json = Json::parse(out.str());
  REQUIRE(json.is_array());
  REQUIRE(json.size() == 2);
  CHECK(json[0] == Json({{"name", "legacy"},
                         {"url", "http://127.0.0.1:9001"},
                         {"connect_timeout_ms", 1000},
                         {"timeout_ms", 15000},
                         {"resilience",
                          {{"breaker_window", 20},
                           {"breaker_min_calls", 5},
                           {"breaker_failure_threshold", 5},
                           {"breaker_failure_rate", 0.5},
                           {"breaker_recovery_ms", 30000},
                           {"breaker_half_open_probes", 3},
                           {"count_5xx_as_failure", true},
                           {"max_concurrent", 0},
                           {"retries", 1},
                           {"backoff_ms", 25},
                           {"health_path", ""},
                           {"health_interval_ms", 5000},
                           {"health_timeout_ms", 1000},
                           {"healthy_threshold", 2},
                           {"unhealthy_threshold", 3},
                           {"max_connections", 0},
                           {"queue_timeout_ms", 5000}}}}));
  CHECK(json[1]["name"] == "orders");
  CHECK(json[1]["timeout_ms"] == 3000);
}

TEST_CASE("target set prints what changed") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  TargetSetArgs args{"orders", {}};
  args.patch.url = "http://127.0.0.1:9012";
  args.patch.timeout_ms = 3000;
  std::ostringstream out;
  CHECK(target_set(args, f.store, test_ctx(), out) == 0);
  CHECK(out.str() ==
        "target orders: url http://127.0.0.1:9002 → http://127.0.0.1:9012, timeout 15000 → 3000 "
        "ms\n");
}

TEST_CASE("target rm confirms, and refusals throw with nothing printed or written") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  std::ostringstream out;
  CHECK(target_rm({"orders"}, f.store, test_ctx(), out) == 0);
  CHECK(out.str() == "target orders removed\n");

  std::ostringstream refused;
  CHECK_REFUSED(f.path, target_rm({"orders"}, f.store, test_ctx(), refused),
                "unknown target \"orders\"");
  CHECK_REFUSED(f.path, target_add({"x", "ftp://h"}, f.store, test_ctx(), refused),
                "invalid target URL");
  CHECK(refused.str().empty());
}

namespace {

TargetResilience tuned() {
  TargetResilience r;
  r.breaker_window = 50;
  r.breaker_min_calls = 10;
  r.breaker_failure_threshold = 8;
  r.breaker_failure_rate = 0.125;
  r.breaker_recovery_ms = 1500;
  r.count_5xx_as_failure = false;
  r.max_concurrent = 100;
  r.retries = 0;
  return r;
}

}  // namespace

TEST_CASE("target add confirms resilience settings that are not the defaults") {
  StoreFixture f;
  TargetAddArgs args{"orders", "http://127.0.0.1:9002"};
  args.resilience = tuned();
  std::ostringstream out;
  CHECK(target_add(args, f.store, test_ctx(), out) == 0);
  CHECK(out.str() ==
        "target orders added: http://127.0.0.1:9002 (connect timeout 1000 ms, timeout 15000 ms; "
        "breaker 8/50 12.5% 1.5s (5xx not counted), max 100, retries 0)\n");
  CHECK(f.store.targets().at(1).resilience == tuned());
}

TEST_CASE("target list shows a compact resilience column") {
  StoreFixture f;
  Target orders{"orders", "http://127.0.0.1:9002"};
  orders.resilience = tuned();
  orders.resilience.breaker_recovery_ms = 250;
  f.store.add_target(orders, test_ctx());
  std::ostringstream out;
  target_list({}, f.store, out);
  CHECK(out.str().find("  breaker 8/50 12.5% 250ms (5xx not counted), max 100, retries 0\n") !=
        std::string::npos);
  CHECK(out.str().find("  breaker 5/20 50% 30s, no max, retries 1\n") != std::string::npos);
}

TEST_CASE("target list counts a named fallback apart from the routes") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  f.store.add_target({"orders-v1", "http://127.0.0.1:9003"}, test_ctx());
  f.store.add_route({"/orders", false, "", "orders", "orders-v1"}, test_ctx());
  std::ostringstream out;
  target_list({}, f.store, out);
  CHECK(out.str().find("orders-v1  http://127.0.0.1:9003  1000 ms          15000 ms  0 + 1 as "
                       "fallback") != std::string::npos);
}

TEST_CASE("target set prints each resilience setting it changed") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  TargetSetArgs args{"orders", {}};
  args.patch.breaker_window = 40;
  args.patch.breaker_min_calls = 8;
  args.patch.breaker_failure_threshold = 3;
  args.patch.breaker_failure_rate = 0.3;
  args.patch.breaker_recovery_ms = 1000;
  args.patch.breaker_half_open_probes = 1;
  args.patch.count_5xx_as_failure = false;
  args.patch.max_concurrent = 10;
  args.patch.retries = 2;
  args.patch.backoff_ms = 50;
  std::ostringstream out;
  CHECK(target_set(args, f.store, test_ctx(), out) == 0);
  CHECK(out.str() ==
        "target orders: window 20 → 40, min calls 5 → 8, failure threshold 5 → 3, failure rate "
        "50% → 30%, recovery 30000 → 1000 ms, half-open probes 3 → 1, 5xx no longer counted as "
        "failures, max concurrent unlimited → 10, retries 1 → 2, backoff 25 → 50 ms\n");
}
