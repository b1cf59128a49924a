// Target commands of the rule store: add, set and remove, each recorded in the history with a
// version bump, and every refusal leaving the database exactly as it was.
#include <doctest/doctest.h>

#include "rules/rule_json.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;

namespace {

Target orders() {
  return Target{"orders", "http://127.0.0.1:9002", 250, 3000};
}

}  // namespace

TEST_CASE("target add stores the target and records it") {
  StoreFixture f;
  f.store.add_target(orders(), test_ctx("target add orders"));
  auto targets = f.store.targets();
  REQUIRE(targets.size() == 2);
  CHECK(targets[1].name == "orders");
  CHECK(targets[1].url == "http://127.0.0.1:9002");
  CHECK(targets[1].connect_timeout_ms == 250);
  CHECK(targets[1].timeout_ms == 3000);
  CHECK(f.store.rules_version() == 2);

  auto change = f.store.history(1).at(0);
  CHECK(change.kind == "target add");
  CHECK(change.entity == "target");
  CHECK(change.command == "target add orders");
  CHECK(change.before == "null");
  CHECK(Json::parse(change.after) == target_to_json(orders()));
}

TEST_CASE("target add accepts https, IPv6 and host names, and the default timeouts") {
  StoreFixture f;
  f.store.add_target({"a", "https://svc.internal"}, test_ctx());
  f.store.add_target({"b-2", "http://[::1]:8080"}, test_ctx());
  f.store.add_target({"c_3", "http://orders.example.com:80/"}, test_ctx());
  auto targets = f.store.targets();
  REQUIRE(targets.size() == 4);
  CHECK(targets[0].name == "a");
  CHECK(targets[0].connect_timeout_ms == 1000);
  CHECK(targets[0].timeout_ms == 15000);
  CHECK(f.store.rules_version() == 4);
}

TEST_CASE("target add refusals change nothing") {
  StoreFixture f;
  f.store.add_target(orders(), test_ctx());
  auto ctx = test_ctx();
  CHECK_REFUSED(f.path, f.store.add_target(orders(), ctx),
                "target \"orders\" already exists (change it with: stranglerctl target set orders");
  CHECK_REFUSED(f.path, f.store.add_target({"legacy", "http://127.0.0.1:1"}, ctx),
                "target \"legacy\" already exists");
  CHECK_REFUSED(f.path, f.store.add_target({"Orders", "http://127.0.0.1:1"}, ctx),
                "invalid target name \"Orders\"");
  CHECK_REFUSED(f.path, f.store.add_target({"", "http://127.0.0.1:1"}, ctx),
                "invalid target name \"\"");
  CHECK_REFUSED(f.path, f.store.add_target({"-x", "http://127.0.0.1:1"}, ctx),
                "invalid target name");
  CHECK_REFUSED(f.path, f.store.add_target({std::string(64, 'a'), "http://127.0.0.1:1"}, ctx),
                "invalid target name");
  CHECK_REFUSED(f.path, f.store.add_target({"x", "ftp://127.0.0.1:1"}, ctx), "invalid target URL");
  CHECK_REFUSED(f.path, f.store.add_target({"x", "127.0.0.1:9002"}, ctx), "invalid target URL");
  CHECK_REFUSED(f.path, f.store.add_target({"x", "http://127.0.0.1:9002/api"}, ctx),
                "invalid target URL");
  CHECK_REFUSED(f.path, f.store.add_target({"x", "http://127.0.0.1:1", 0, 100}, ctx),
                "connect timeout 0 ms is out of range: use 1..600000 ms");
  CHECK_REFUSED(f.path, f.store.add_target({"x", "http://127.0.0.1:1", 100, 600001}, ctx),
                "timeout 600001 ms is out of range");
  CHECK_REFUSED(f.path, f.store.add_target({"x", "http://127.0.0.1:1", 100, -5}, ctx),
                "timeout -5 ms is out of range");
  CHECK(f.store.history().size() == 2);
}

TEST_CASE("the longest and the boundary values are accepted") {
  StoreFixture f;
  f.store.add_target({std::string(63, 'a'), "http://127.0.0.1:1", 1, 600000}, test_ctx());
  CHECK(f.store.targets().size() == 2);
}

TEST_CASE("target set changes only what is given and records before and after") {
  StoreFixture f;
  f.store.add_target(orders(), test_ctx());
  TargetPatch patch;
  patch.timeout_ms = 9000;
  auto change = f.store.set_target("orders", patch, test_ctx("target set"));
  CHECK(change.before.timeout_ms == 3000);
  CHECK(change.after.timeout_ms == 9000);
  CHECK(change.after.url == orders().url);
  CHECK(change.after.connect_timeout_ms == 250);
  CHECK(f.store.targets()[1].timeout_ms == 9000);
  CHECK(f.store.rules_version() == 3);

  auto record = f.store.history(1).at(0);
  CHECK(record.kind == "target set");
  CHECK(Json::parse(record.before) == target_to_json(orders()));
  CHECK(Json::parse(record.after)["timeout_ms"] == 9000);

  TargetPatch url;
  url.url = "http://127.0.0.1:9100";
  url.connect_timeout_ms = 10;
  f.store.set_target("legacy", url, test_ctx());
  CHECK(f.store.targets()[0].url == "http://127.0.0.1:9100");
  CHECK(f.store.targets()[0].connect_timeout_ms == 10);
}

TEST_CASE("target set refusals change nothing") {
  StoreFixture f;
  f.store.add_target(orders(), test_ctx());
  auto ctx = test_ctx();
  CHECK_REFUSED(f.path, f.store.set_target("orders", {}, ctx),
                "nothing to change: give --url, --connect-timeout-ms, --timeout-ms or a resilience "
                "option (see: stranglerctl target set --help)");
  TargetPatch same;
  same.timeout_ms = 3000;
  CHECK_REFUSED(f.path, f.store.set_target("orders", same, ctx),
                "target \"orders\" already has these settings; nothing changed");
  TargetPatch timeout;
  timeout.timeout_ms = 1;
  CHECK_REFUSED(f.path, f.store.set_target("nope", timeout, ctx), "unknown target \"nope\"");
  TargetPatch bad_url;
  bad_url.url = "gopher://x";
  CHECK_REFUSED(f.path, f.store.set_target("orders", bad_url, ctx), "invalid target URL");
  TargetPatch bad_timeout;
  bad_timeout.connect_timeout_ms = 700000;
  CHECK_REFUSED(f.path, f.store.set_target("orders", bad_timeout, ctx),
                "connect timeout 700000 ms is out of range");
}

TEST_CASE("target rm removes an unused target and records what it was") {
  StoreFixture f;
  f.store.add_target(orders(), test_ctx());
  f.store.remove_target("orders", test_ctx("target rm orders"));
  CHECK(f.store.targets().size() == 1);
  CHECK(f.store.rules_version() == 3);
  auto record = f.store.history(1).at(0);
  CHECK(record.kind == "target rm");
  CHECK(Json::parse(record.before) == target_to_json(orders()));
  CHECK(record.after == "null");
}

TEST_CASE("target rm refuses legacy, unknown targets and targets that routes use") {
  StoreFixture f;
  f.store.add_target(orders(), test_ctx());
  f.store.add_target({"payments", "http://127.0.0.1:9003"}, test_ctx());
  f.store.add_route({"/orders", false, "", "orders"}, test_ctx());
  f.store.add_route({"/payments", false, "", "legacy"}, test_ctx());
  f.store.flip_route({{"/payments"}, "payments", 20, ""}, test_ctx());
  auto ctx = test_ctx();
  CHECK_REFUSED(f.path, f.store.remove_target("legacy", ctx),
                "target \"legacy\" cannot be removed: it receives every request that no route "
                "matches");
  CHECK_REFUSED(f.path, f.store.remove_target("nope", ctx), "unknown target \"nope\"");
  CHECK_REFUSED(f.path, f.store.remove_target("orders", ctx),
                "target \"orders\" is used by route /orders; flip or remove that route first");
  CHECK_REFUSED(f.path, f.store.remove_target("payments", ctx),
                "target \"payments\" is used by route /payments (20% split); flip or remove that "
                "route first");
  f.store.add_route({"/orders", true, "", "orders"}, test_ctx());
  f.store.add_route({"/orders", false, "GET", "orders"}, test_ctx());
  CHECK_REFUSED(f.path, f.store.remove_target("orders", ctx),
                "target \"orders\" is used by routes /orders (exact), /orders and 1 more; "
                "flip or remove those routes first");
}
