// The health verdict of a target from its active checks, in order.
#include <doctest/doctest.h>

#include <string>

#include "router/resilience/health_state.h"

using namespace strangler;

namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Runs `checks` ('+' success, '-' failure), one per second, and spells the health after each:
// 'c' unchecked, 'u' up, 'd' down.
std::string run(const std::string& checks, HealthThresholds thresholds) {
  HealthState state(thresholds);
  std::string seen;
  auto now = Clock::time_point{} + seconds(1);
  for (char check : checks) {
    now += seconds(1);
    state.on_check(check == '+', now);
    seen += state.health() == Health::unchecked ? 'c' : to_string(state.health())[0];
  }
  return seen;
}

}  // namespace

TEST_CASE("the health after each check, for a sequence of checks and thresholds") {
  struct Row {
    const char* checks;
    int healthy;
    int unhealthy;
    const char* expected;
  };
  const Row rows[] = {
      // One success is enough to leave unchecked; failures below the threshold change nothing.
      {"+", 2, 3, "u"},
      {"--", 2, 3, "cc"},
      {"---", 2, 3, "ccd"},
      {"+--+---", 2, 3, "uuuuuud"},
      // Down needs `healthy` successes in a row to come back; a failure restarts the count.
      {"---+-++", 2, 3, "ccddddu"},
      {"---+", 1, 3, "ccdu"},
      {"-", 2, 1, "d"},
      {"+-+-+-", 2, 2, "uuuuuu"},
      {"+--++", 3, 2, "uuddd"},
      {"+--+++", 3, 2, "uudddu"},
  };
  for (const auto& row : rows) {
    std::string checks = row.checks;
    CAPTURE(checks);
    CAPTURE(row.healthy);
    CAPTURE(row.unhealthy);
    CHECK(run(row.checks, {row.healthy, row.unhealthy}) == row.expected);
  }
}

TEST_CASE("a change is reported once, with the time it happened") {
  HealthState state({2, 2});
  auto t0 = Clock::time_point{} + seconds(10);
  CHECK(state.health() == Health::unchecked);
  CHECK_FALSE(state.on_check(false, t0));
  auto down = state.on_check(false, t0 + seconds(1));
  REQUIRE(down);
  CHECK(down->from == Health::unchecked);
  CHECK(down->to == Health::down);
  CHECK(state.since() == t0 + seconds(1));
  CHECK_FALSE(state.on_check(false, t0 + seconds(2)));
  CHECK(state.failures_in_a_row() == 3);
  CHECK_FALSE(state.on_check(true, t0 + seconds(3)));
  auto up = state.on_check(true, t0 + seconds(4));
  REQUIRE(up);
  CHECK(up->from == Health::down);
  CHECK(up->to == Health::up);
  CHECK(state.since() == t0 + seconds(4));
  CHECK(state.successes_in_a_row() == 2);
}
