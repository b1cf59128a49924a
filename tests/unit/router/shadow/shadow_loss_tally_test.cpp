#include <doctest/doctest.h>

#include "router/shadow/shadow_loss_tally.h"
#include "rules/pattern.h"

using namespace strangler;

namespace {

Route route(std::int64_t id, const std::string& pattern) {
  Route r;
  r.id = id;
  r.pattern = parse_pattern(pattern, false);
  return r;
}

}  // namespace

TEST_CASE("losses are summed per route, ordered by route id, and take() empties the tally") {
  ShadowLossTally tally;
  CHECK(tally.empty());
  auto orders = route(7, "/orders");
  auto users = route(3, "/users/:id");
  for (int i = 0; i < 1000; ++i) tally.add(orders, 1, 0);
  tally.add(orders, 0, 2);
  tally.add(users, 1, 0);
  tally.add(ShadowTally{3, "/users/:id", 4, 1});
  auto sums = tally.take();
  REQUIRE(sums.size() == 2);
  CHECK(sums[0].route_id == 3);
  CHECK(sums[0].route == "/users/:id");
  CHECK(sums[0].dropped == 5);
  CHECK(sums[0].skipped == 1);
  CHECK(sums[1].route_id == 7);
  CHECK(sums[1].route == "/orders");
  CHECK(sums[1].dropped == 1000);
  CHECK(sums[1].skipped == 2);
  CHECK(tally.empty());
  CHECK(tally.take().empty());
}

TEST_CASE("sums() leaves the tally as it was") {
  ShadowLossTally tally;
  tally.add(route(1, "/a"), 2, 0);
  CHECK(tally.sums().size() == 1);
  CHECK(tally.sums()[0].dropped == 2);
  tally.clear();
  CHECK(tally.empty());
}
