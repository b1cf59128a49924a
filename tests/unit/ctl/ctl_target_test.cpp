// stranglerctl target add|list|set|rm, called as functions: the confirming lines, the table and
// the JSON, and refusals passed on as RuleError with nothing written.
#include <doctest/doctest.h>

#include <sstream>

#include "rules/rule_json.h"
#include "tests/unit/store/store_test_support.h"
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
        "NAME    URL                    CONNECT TIMEOUT  TIMEOUT   ROUTES\n"
        "legacy  http://127.0.0.1:9001  1000 ms          15000 ms  1 + unmatched requests\n"
        "orders  http://127.0.0.1:9002  250 ms           3000 ms   1\n");
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
                         {"timeout_ms", 15000}}));
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
