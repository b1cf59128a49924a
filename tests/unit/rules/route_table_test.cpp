// RouteTable: building (and its refusals) and matching by example: precedence, segment
// boundaries, wildcards, methods, trailing slashes, the default route and split fields.
#include "rules/route_table.h"

#include <doctest/doctest.h>

#include <string>

#include "rules/rule_error.h"

using strangler::MethodSet;
using strangler::parse_pattern;
using strangler::Route;
using strangler::RouteTable;
using strangler::RuleError;
using strangler::RuleSet;
using strangler::Target;

namespace {

Route route(std::int64_t id, std::string_view pattern, std::string target, bool exact = false,
            std::string_view methods = "") {
  Route r;
  r.id = id;
  r.pattern = parse_pattern(pattern, exact);
  r.methods = MethodSet::parse(methods);
  r.target = std::move(target);
  return r;
}

RuleSet base_rules() {
  RuleSet rules;
  rules.version = 7;
  rules.targets = {Target{"legacy", "http://127.0.0.1:9001", 1000, 15000},
                   Target{"orders", "http://127.0.0.1:9002", 500, 5000},
                   Target{"payments", "https://pay.internal", 1000, 15000}};
  return rules;
}

// The id of the matched route, 0 for the default route.
std::int64_t matched(const RouteTable& table, std::string_view method, std::string_view path) {
  const auto& result = table.match(method, path);
  return result.route ? result.route->id : 0;
}

}  // namespace

TEST_CASE("an empty rule set sends everything to legacy") {
  const auto table = RouteTable::build(base_rules());
  CHECK(table->version() == 7);
  CHECK(table->target_count() == 3);
  const auto& result = table->match("GET", "/anything");
  CHECK(result.route == nullptr);
  CHECK(table->target(result.target_index).target.name == "legacy");
  CHECK(table->target(result.target_index).url.port == 9001);
  CHECK(&table->match("POST", "/") == &result);
}

TEST_CASE("prefix routes match on segment boundaries") {
  auto rules = base_rules();
  rules.routes = {route(1, "/orders", "orders")};
  const auto table = RouteTable::build(rules);
  CHECK(matched(*table, "GET", "/orders") == 1);
  CHECK(matched(*table, "GET", "/orders/") == 1);
  CHECK(matched(*table, "GET", "/orders/7") == 1);
  CHECK(matched(*table, "GET", "/orders/7/lines/") == 1);
  CHECK(matched(*table, "GET", "/ordersX") == 0);
  CHECK(matched(*table, "GET", "/order") == 0);
  CHECK(matched(*table, "GET", "/") == 0);
  CHECK(matched(*table, "GET", "/x/orders") == 0);
  CHECK(table->target(table->match("GET", "/orders/7").target_index).target.name == "orders");
}

TEST_CASE("exact routes match only their own path") {
  auto rules = base_rules();
  rules.routes = {route(1, "/orders", "orders", true), route(2, "/", "payments", true)};
  const auto table = RouteTable::build(rules);
  CHECK(matched(*table, "GET", "/orders") == 1);
  CHECK(matched(*table, "GET", "/orders/") == 0);
  CHECK(matched(*table, "GET", "/orders/7") == 0);
  CHECK(matched(*table, "GET", "/") == 2);
  CHECK(matched(*table, "GET", "/x") == 0);
}

TEST_CASE("'/' as a prefix matches everything") {
  auto rules = base_rules();
  rules.routes = {route(1, "/", "orders")};
  const auto table = RouteTable::build(rules);
  for (const char* path : {"/", "/a", "/a/b/c/", "/%20"})
    CHECK(matched(*table, "PURGE", path) == 1);
}

TEST_CASE("wildcards match exactly one non-empty segment") {
  auto rules = base_rules();
  rules.routes = {route(1, "/customers/*/orders", "orders"), route(2, "/items/*", "orders", true)};
  const auto table = RouteTable::build(rules);
  CHECK(matched(*table, "GET", "/customers/42/orders") == 1);
  CHECK(matched(*table, "GET", "/customers/42/orders/9") == 1);
  CHECK(matched(*table, "GET", "/customers/42") == 0);
  CHECK(matched(*table, "GET", "/customers/42/invoices") == 0);
  CHECK(matched(*table, "GET", "/customers/1/2/orders") == 0);
  CHECK(matched(*table, "GET", "/items/5") == 2);
  CHECK(matched(*table, "GET", "/items/") == 0);
  CHECK(matched(*table, "GET", "/items/5/") == 0);
  CHECK(matched(*table, "GET", "/items") == 0);
}

TEST_CASE("a kept encoded separator is part of its segment, never a boundary") {
  auto rules = base_rules();
  rules.routes = {route(1, "/api/v4/projects/*", "orders", true),
                  route(2, "/api/v4/projects/*/issues", "payments"), route(3, "/repo", "orders"),
                  route(4, "/raw", "payments")};
  const auto table = RouteTable::build(rules);
  struct Row {
    const char* path;  // normalized, %2F / %5C / %3B kept
    std::int64_t route;
  };
  const Row rows[] = {
      {"/api/v4/projects/group%2Fproject", 1},
      {"/api/v4/projects/a%2Fb%2Fc", 1},
      {"/api/v4/projects/group%2Fproject/issues", 2},
      {"/api/v4/projects/group%2Fproject/issues/7", 2},
      {"/api/v4/projects/group/project", 0},  // two segments: neither route
      {"/repo%2Fx", 0},                       // prefix "/repo" stops at a real '/'
      {"/repo/x%2Fy", 3},
      {"/repo%3Bx", 0},
      {"/raw%5C", 0},
      {"/raw/%5C..%5C", 4},
  };
  for (const auto& row : rows) {
    const std::string path = row.path;
    CAPTURE(path);
    CHECK(matched(*table, "GET", row.path) == row.route);
  }
}

TEST_CASE("precedence: exact, then literals, then segments, then methods") {
  auto rules = base_rules();
  rules.routes = {
      route(1, "/orders", "orders"),
      route(2, "/orders/*", "orders"),
      route(3, "/orders/export", "payments"),
      route(4, "/orders/export", "legacy", true),
      route(5, "/orders", "payments", false, "POST"),
      route(6, "/*/7/*", "payments"),
      route(7, "/*", "payments", true),
  };
  const auto table = RouteTable::build(rules);
  CHECK(matched(*table, "GET", "/orders") == 7);  // exact "/*" beats every prefix route
  CHECK(matched(*table, "POST", "/orders") == 7);
  CHECK(matched(*table, "POST", "/orders/") == 5);  // not exact any more: methods decide
  CHECK(matched(*table, "GET", "/orders/") == 1);
  CHECK(matched(*table, "GET", "/orders/7") == 2);  // more segments than "/orders"
  CHECK(matched(*table, "GET", "/orders/export") == 4);
  CHECK(matched(*table, "GET", "/orders/export/") == 3);  // two literals beat one
  CHECK(matched(*table, "GET", "/orders/export/csv") == 3);
  CHECK(matched(*table, "POST", "/orders/9") == 2);   // more segments beat the POST limit
  CHECK(matched(*table, "GET", "/orders/7/x") == 6);  // three segments beat two
  CHECK(matched(*table, "GET", "/customers/7/x") == 6);
  CHECK(matched(*table, "GET", "/customers/8/x") == 0);
}

TEST_CASE("a literal that leads nowhere does not hide a wildcard route (backtracking)") {
  auto rules = base_rules();
  rules.routes = {route(1, "/a/b/c", "orders", true), route(2, "/a/*/d", "payments", true),
                  route(3, "/*/b/e", "legacy", true)};
  const auto table = RouteTable::build(rules);
  CHECK(matched(*table, "GET", "/a/b/c") == 1);
  CHECK(matched(*table, "GET", "/a/b/d") == 2);
  CHECK(matched(*table, "GET", "/z/b/e") == 3);
  CHECK(matched(*table, "GET", "/a/b/e") == 3);
  CHECK(matched(*table, "GET", "/a/b/f") == 0);
}

TEST_CASE("methods: limited routes admit only their methods, case-sensitively") {
  auto rules = base_rules();
  rules.routes = {route(1, "/orders", "orders", false, "GET,HEAD"),
                  route(2, "/orders", "payments", false, "POST")};
  const auto table = RouteTable::build(rules);
  CHECK(matched(*table, "GET", "/orders/1") == 1);
  CHECK(matched(*table, "HEAD", "/orders") == 1);
  CHECK(matched(*table, "POST", "/orders") == 2);
  CHECK(matched(*table, "DELETE", "/orders") == 0);
  CHECK(matched(*table, "get", "/orders") == 0);
  CHECK(matched(*table, "PURGE", "/orders") == 0);
}

TEST_CASE("a limited route that does not admit the method falls back to a less specific one") {
  auto rules = base_rules();
  rules.routes = {route(1, "/orders/*/lines", "orders", true, "GET"),
                  route(2, "/orders", "payments")};
  const auto table = RouteTable::build(rules);
  CHECK(matched(*table, "GET", "/orders/1/lines") == 1);
  CHECK(matched(*table, "DELETE", "/orders/1/lines") == 2);
  CHECK(matched(*table, "get", "/orders/1/lines") == 2);
}

TEST_CASE("split fields are carried into the compiled route") {
  auto rules = base_rules();
  Route r = route(9, "/payments", "legacy");
  r.split_target = "payments";
  r.split_percent = 25;
  r.sticky_header = "X-User";
  rules.routes = {r, route(10, "/orders", "orders")};
  const auto table = RouteTable::build(rules);
  const auto& split = table->match("GET", "/payments/3");
  REQUIRE(split.route != nullptr);
  CHECK(split.route->id == 9);
  CHECK(split.route->split_percent == 25);
  CHECK(split.route->sticky_header == "X-User");
  CHECK(table->target(split.target_index).target.name == "legacy");
  CHECK(table->target(split.split_target_index).target.name == "payments");
  CHECK(table->target(split.split_target_index).url.scheme == "https");
  const auto& plain = table->match("GET", "/orders");
  REQUIRE(plain.route != nullptr);
  CHECK(plain.route->split_target.empty());
  CHECK(table->target(plain.target_index).target.connect_timeout_ms == 500);
  CHECK(table->rules().routes.size() == 2);
}

TEST_CASE("build refusals") {
  SUBCASE("unknown target") {
    auto rules = base_rules();
    rules.routes = {route(1, "/orders", "shipping")};
    CHECK_THROWS_WITH_AS(
        RouteTable::build(rules),
        "route \"/orders\" names unknown target \"shipping\"; add the target first", RuleError);
  }
  SUBCASE("unknown split target") {
    auto rules = base_rules();
    Route r = route(1, "/orders", "legacy");
    r.split_target = "nowhere";
    r.split_percent = 10;
    rules.routes = {r};
    CHECK_THROWS_WITH_AS(RouteTable::build(rules), doctest::Contains("unknown target \"nowhere\""),
                         RuleError);
  }
  SUBCASE("no legacy target") {
    auto rules = base_rules();
    rules.targets.erase(rules.targets.begin());
    CHECK_THROWS_WITH_AS(
        RouteTable::build(rules),
        "no \"legacy\" target: a rule set needs one to receive the requests no route matches",
        RuleError);
  }
  SUBCASE("bad target URL") {
    auto rules = base_rules();
    rules.targets[1].url = "ftp://x";
    CHECK_THROWS_WITH_AS(
        RouteTable::build(rules),
        "target \"orders\": invalid target URL \"ftp://x\": scheme must be http or https",
        RuleError);
  }
  SUBCASE("duplicate target") {
    auto rules = base_rules();
    rules.targets.push_back(rules.targets[1]);
    CHECK_THROWS_WITH_AS(RouteTable::build(rules), "duplicate target \"orders\"", RuleError);
  }
  SUBCASE("duplicate routes") {
    auto rules = base_rules();
    rules.routes = {route(1, "/orders", "orders", false, "GET"),
                    route(2, "/orders", "payments", false, "GET,POST")};
    CHECK_THROWS_WITH_AS(RouteTable::build(rules), doctest::Contains("duplicate route"), RuleError);
  }
  SUBCASE("ambiguous routes") {
    auto rules = base_rules();
    rules.routes = {route(1, "/orders/*", "orders"), route(2, "/x", "orders"),
                    route(3, "/*/7", "payments")};
    CHECK_THROWS_WITH_AS(RouteTable::build(rules),
                         doctest::Contains("route \"/*/7\" (prefix, all methods) is ambiguous "
                                           "with route \"/orders/*\" (prefix, all methods): both "
                                           "match \"/orders/7\""),
                         RuleError);
  }
  SUBCASE("ambiguous exact routes found behind several wildcards") {
    auto rules = base_rules();
    rules.routes = {route(1, "/a/*/c/*", "orders", true), route(2, "/a/b/*/*", "orders", true),
                    route(3, "/*/b/*/d", "orders", true)};
    CHECK_THROWS_WITH_AS(RouteTable::build(rules),
                         doctest::Contains("route \"/a/b/*/*\" (exact, all methods) is ambiguous "
                                           "with route \"/a/*/c/*\""),
                         RuleError);
  }
}

TEST_CASE("routes that differ only in methods or rank build fine") {
  auto rules = base_rules();
  rules.routes = {route(1, "/orders", "orders", false, "GET"),
                  route(2, "/orders", "payments", false, "POST"),
                  route(3, "/orders", "legacy"),
                  route(4, "/orders", "orders", true),
                  route(5, "/orders/*", "orders"),
                  route(6, "/*/7", "orders", true)};
  const auto table = RouteTable::build(rules);
  CHECK(matched(*table, "GET", "/orders/") == 1);
  CHECK(matched(*table, "POST", "/orders/") == 2);
  CHECK(matched(*table, "PUT", "/orders/") == 3);
  CHECK(matched(*table, "PUT", "/orders") == 4);
  CHECK(matched(*table, "PUT", "/orders/7") == 6);
  CHECK(matched(*table, "PUT", "/orders/8") == 5);
}

TEST_CASE("fallbacks resolve per side: legacy by default, none, or a named target") {
  auto rules = base_rules();
  auto orders = route(1, "/orders", "orders");  // default fallback: legacy
  auto pay = route(2, "/pay", "payments");
  pay.fallback = "orders";
  auto none = route(3, "/none", "orders");
  none.fallback = strangler::kNoFallback;
  auto on_legacy = route(4, "/legacy", "legacy");  // legacy has no fallback of its own
  on_legacy.split_target = "orders";
  on_legacy.split_percent = 10;
  rules.routes = {orders, pay, none, on_legacy};
  const auto table = RouteTable::build(rules);
  auto name = [&](std::size_t index) {
    return index == strangler::kNoTarget ? std::string("-") : table->target(index).target.name;
  };
  const auto& o = table->match("GET", "/orders/1");
  CHECK(name(o.fallback_for(o.target_index)) == "legacy");
  const auto& p = table->match("GET", "/pay");
  CHECK(name(p.fallback_for(p.target_index)) == "orders");
  const auto& n = table->match("GET", "/none");
  CHECK(name(n.fallback_for(n.target_index)) == "-");
  const auto& l = table->match("GET", "/legacy");
  CHECK(name(l.fallback_for(l.target_index)) == "-");
  CHECK(name(l.fallback_for(l.split_target_index)) == "legacy");
  const auto& d = table->match("GET", "/elsewhere");
  CHECK(name(d.fallback_for(d.target_index)) == "-");

  auto broken = base_rules();
  auto bad = route(1, "/x", "orders");
  bad.fallback = "nope";
  broken.routes = {bad};
  CHECK_THROWS_AS(RouteTable::build(broken), RuleError);
}

TEST_CASE("a table built from routes of the same shape shares the previous trie") {
  auto rules = base_rules();
  rules.routes = {route(1, "/orders", "legacy"),
                  route(2, "/orders/*/lines", "orders", false, "GET"),
                  route(3, "/pay", "legacy", true)};
  const auto previous = RouteTable::build(rules);

  SUBCASE("a flip: other targets, same patterns and methods") {
    auto flipped = rules;
    flipped.routes[0].target = "orders";
    flipped.routes[2].target = "payments";
    flipped.routes[2].split_target = "orders";
    flipped.routes[2].split_percent = 10;
    const auto table = RouteTable::build(flipped, previous.get());
    CHECK(table->shares_trie_with(*previous));
    const auto& orders = table->match("GET", "/orders/7");
    CHECK(orders.route->id == 1);
    CHECK(table->target(orders.target_index).target.name == "orders");
    CHECK(table->target(table->match("GET", "/pay").target_index).target.name == "payments");
    CHECK(matched(*table, "GET", "/orders/7/lines") == 2);
    CHECK(matched(*table, "POST", "/orders/7/lines") == 1);
    // The previous table still answers as before.
    CHECK(previous->target(previous->match("GET", "/orders/7").target_index).target.name ==
          "legacy");
  }
  SUBCASE("another pattern, other methods, or another route count build a new trie") {
    auto moved = rules;
    moved.routes[1].pattern = parse_pattern("/orders/*/items", false);
    auto methods = rules;
    methods.routes[1].methods = MethodSet::parse("GET,POST");
    auto fewer = rules;
    fewer.routes.pop_back();
    for (const auto* changed : {&moved, &methods, &fewer}) {
      const auto table = RouteTable::build(*changed, previous.get());
      CHECK_FALSE(table->shares_trie_with(*previous));
    }
    CHECK(matched(*RouteTable::build(moved, previous.get()), "GET", "/orders/7/items") == 2);
    CHECK(matched(*RouteTable::build(methods, previous.get()), "POST", "/orders/7/lines") == 2);
  }
  SUBCASE("an unknown target is refused even when the trie is shared") {
    auto unknown = rules;
    unknown.routes[0].target = "nowhere";
    CHECK_THROWS_AS(RouteTable::build(unknown, previous.get()), RuleError);
  }
}
