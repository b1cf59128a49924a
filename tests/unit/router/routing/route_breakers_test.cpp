// The per-route breakers: one per route and target its client traffic can go to, independent of
// each other, kept across reloads while the target's settings stay, fresh when they change.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "router/routing/route_breakers.h"
#include "rules/pattern.h"

using namespace strangler;
using Clock = std::chrono::steady_clock;

namespace {

Route route(std::int64_t id, const char* pattern, const char* target) {
  Route r;
  r.id = id;
  r.pattern = parse_pattern(pattern, false);
  r.target = target;
  return r;
}

RuleSet rules(int orders_timeout_ms = 15000) {
  RuleSet set;
  set.targets.push_back(Target{"legacy", "http://127.0.0.1:9001"});
  Target orders{"orders", "http://127.0.0.1:9002"};
  orders.timeout_ms = orders_timeout_ms;
  set.targets.push_back(orders);
  set.routes.push_back(route(2, "/carts", "orders"));
  set.routes.push_back(route(1, "/orders", "orders"));
  return set;
}

std::size_t target_index(const RouteTable& table, const std::string& name) {
  for (std::size_t i = 0; i < table.target_count(); ++i) {
    if (table.target(i).target.name == name) return i;
  }
  FAIL("no target " << name);
  return 0;
}

// The breaker of the route matching `path` for `target`, made on first use, in `breakers` built
// for `table`.
RouteBreaker* breaker_of(const RouteTable& table, const RouteBreakerTable& breakers,
                         const char* path, const std::string& target) {
  return breakers.get(table.match("GET", path).slot, target_index(table, target));
}

RouteBreaker* made_of(const RouteTable& table, const RouteBreakerTable& breakers, const char* path,
                      const std::string& target) {
  return breakers.find(table.match("GET", path).slot, target_index(table, target));
}

void open(CircuitBreaker& breaker, Clock::time_point now) {
  for (int i = 0; i < 20 && breaker.snapshot(now).state == BreakerState::closed; ++i) {
    auto ticket = breaker.try_acquire(now).ticket;
    breaker.on_result(ticket, false, now, "connect-refused");
  }
}

}  // namespace

TEST_CASE("route breakers: one per route and target its traffic reaches, made on first use") {
  auto now = Clock::now();
  auto table = RouteTable::build(rules());
  RouteBreakers registry;
  std::vector<std::string> created;
  registry.on_create(
      [&](const RouteBreaker& b) { created.push_back(b.route + " " + b.target.name); });
  auto breakers = registry.sync(*table);
  CHECK(registry.all().empty());  // nothing is made before traffic
  CHECK(!made_of(*table, *breakers, "/orders/1", "orders"));

  auto* orders = breaker_of(*table, *breakers, "/orders/1", "orders");
  auto* carts = breaker_of(*table, *breakers, "/carts/1", "orders");
  REQUIRE(orders);
  REQUIRE(carts);
  CHECK(orders != carts);
  CHECK(breaker_of(*table, *breakers, "/orders/1", "orders") == orders);  // made once
  CHECK(made_of(*table, *breakers, "/orders/1", "orders") == orders);
  CHECK(orders->route == "/orders");
  CHECK(orders->route_id == 1);
  CHECK(breaker_of(*table, *breakers, "/orders/1", "legacy"));  // the fallback
  auto* unmatched = breaker_of(*table, *breakers, "/customers", "legacy");
  REQUIRE(unmatched);
  CHECK(unmatched->route == "(unmatched)");
  CHECK(unmatched->route_id == 0);
  CHECK(!breaker_of(*table, *breakers, "/customers", "orders"));  // never sent there
  CHECK(created == std::vector<std::string>{"/orders orders", "/carts orders", "/orders legacy",
                                            "(unmatched) legacy"});

  // Independent: /orders' failures open its breaker only.
  open(orders->breaker, now);
  CHECK(orders->breaker.snapshot(now).state == BreakerState::open);
  CHECK(carts->breaker.snapshot(now).state == BreakerState::closed);
  CHECK(breaker_of(*table, *breakers, "/orders/1", "legacy")->breaker.snapshot(now).state ==
        BreakerState::closed);

  auto all = registry.all();
  CHECK(all.size() == 4);
  CHECK(std::is_sorted(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return std::tie(a->route, a->target.name) < std::tie(b->route, b->target.name);
  }));
}

TEST_CASE("route breakers: a reload keeps them while the target's settings stay") {
  auto now = Clock::now();
  auto table = RouteTable::build(rules());
  RouteBreakers registry;
  auto breakers = registry.sync(*table);
  auto* before = breaker_of(*table, *breakers, "/orders/1", "orders");
  open(before->breaker, now);

  // An unrelated change: a new route. The breaker in use is kept; nothing is gone.
  auto changed = rules();
  changed.routes.push_back(route(3, "/pay", "legacy"));
  auto next = RouteTable::build(changed);
  std::vector<std::shared_ptr<RouteBreaker>> gone;
  auto next_breakers = registry.sync(*next, &gone);
  CHECK(gone.empty());
  CHECK(made_of(*next, *next_breakers, "/orders/1", "orders") == before);
  CHECK(before->breaker.snapshot(now).state == BreakerState::open);
  auto* pay = breaker_of(*next, *next_breakers, "/pay", "legacy");
  REQUIRE(pay);
  CHECK(registry.all().size() == 2);

  // The route removed again: its breaker is gone, the other one kept.
  auto third = registry.sync(*table, &gone);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0]->route == "/pay");
  CHECK(made_of(*table, *third, "/orders/1", "orders") == before);

  // A request still on the old table makes its breaker for that table only.
  auto* stale = breaker_of(*next, *next_breakers, "/carts/1", "orders");
  REQUIRE(stale);
  CHECK(registry.all().size() == 1);
}

TEST_CASE("route breakers: a target whose settings changed gets fresh, closed breakers") {
  auto now = Clock::now();
  auto table = RouteTable::build(rules());
  RouteBreakers registry;
  auto breakers = registry.sync(*table);
  auto* before = breaker_of(*table, *breakers, "/orders/1", "orders");
  auto* legacy_before = breaker_of(*table, *breakers, "/orders/1", "legacy");
  open(before->breaker, now);

  auto next = RouteTable::build(rules(3000));
  std::vector<std::shared_ptr<RouteBreaker>> gone;
  auto next_breakers = registry.sync(*next, &gone);
  REQUIRE(gone.size() == 1);  // orders on /orders
  CHECK(gone[0].get() == before);
  CHECK(!made_of(*next, *next_breakers, "/orders/1", "orders"));
  auto* after = breaker_of(*next, *next_breakers, "/orders/1", "orders");
  CHECK(after != before);
  CHECK(after->target.timeout_ms == 3000);
  CHECK(after->breaker.snapshot(now).state == BreakerState::closed);
  CHECK(made_of(*next, *next_breakers, "/orders/1", "legacy") == legacy_before);
}
