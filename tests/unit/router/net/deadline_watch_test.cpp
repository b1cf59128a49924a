// DeadlineWatch: when TimedStream's lazy timer is armed, and what its firing does.
#include "router/net/deadline_watch.h"

#include <doctest/doctest.h>

#include <chrono>

using namespace strangler;
using namespace std::chrono_literals;
using Action = DeadlineWatch::Verdict::Action;

namespace {
const DeadlineWatch::TimePoint t0{std::chrono::seconds(1000)};
}

TEST_CASE("deadline watch: no deadline, no timer") {
  DeadlineWatch watch;
  CHECK_FALSE(watch.start().has_value());
  watch.finish();
  watch.set(DeadlineWatch::never);
  CHECK_FALSE(watch.start().has_value());
}

TEST_CASE("deadline watch: the first operation with a deadline arms the timer for it") {
  DeadlineWatch watch;
  watch.set(t0 + 5s);
  auto at = watch.start();
  REQUIRE(at.has_value());
  CHECK(*at == t0 + 5s);
  watch.finish();
  // A later deadline leaves the armed timer alone: it fires early and is armed again.
  watch.set(t0 + 60s);
  CHECK_FALSE(watch.start().has_value());
  auto verdict = watch.fired(t0 + 5s);
  CHECK(verdict.action == Action::rearm);
  CHECK(verdict.rearm_at == t0 + 60s);
  CHECK_FALSE(watch.expired());
}

TEST_CASE("deadline watch: an earlier deadline re-arms at once") {
  DeadlineWatch watch;
  watch.set(t0 + 60s);
  REQUIRE(watch.start() == t0 + 60s);
  watch.finish();
  watch.set(t0 + 1s);
  auto at = watch.start();
  REQUIRE(at.has_value());
  CHECK(*at == t0 + 1s);
}

TEST_CASE("deadline watch: a pending operation at the deadline expires") {
  DeadlineWatch watch;
  watch.set(t0 + 2s);
  REQUIRE(watch.start().has_value());
  auto verdict = watch.fired(t0 + 2s);
  CHECK(verdict.action == Action::expire);
  CHECK(watch.expired());
  CHECK(watch.pending() == 1);
  watch.finish();
  CHECK(watch.pending() == 0);
  watch.set(t0 + 10s);  // a new deadline clears the expiry
  CHECK_FALSE(watch.expired());
}

TEST_CASE("deadline watch: a deadline that passes while nothing waits cuts nothing short") {
  DeadlineWatch watch;
  watch.set(t0 + 2s);
  REQUIRE(watch.start().has_value());
  watch.finish();
  auto verdict = watch.fired(t0 + 3s);
  CHECK(verdict.action == Action::none);
  CHECK_FALSE(watch.expired());
  // An operation started later without a new deadline arms for the past and then expires.
  auto at = watch.start();
  REQUIRE(at.has_value());
  CHECK(*at == t0 + 2s);
  CHECK(watch.fired(t0 + 3s).action == Action::expire);
}

TEST_CASE("deadline watch: expires_never while armed lets the timer lapse") {
  DeadlineWatch watch;
  watch.set(t0 + 2s);
  REQUIRE(watch.start().has_value());
  watch.set(DeadlineWatch::never);
  CHECK(watch.fired(t0 + 2s).action == Action::none);
  CHECK_FALSE(watch.expired());
  watch.finish();
  // Disarmed: the next deadline arms again.
  watch.set(t0 + 9s);
  CHECK(watch.start() == t0 + 9s);
}

TEST_CASE("deadline watch: a stale firing before the deadline only re-arms") {
  DeadlineWatch watch;
  watch.set(t0 + 1s);
  REQUIRE(watch.start().has_value());
  watch.set(t0 + 30s);
  auto verdict = watch.fired(t0 + 1s);
  CHECK(verdict.action == Action::rearm);
  CHECK(verdict.rearm_at == t0 + 30s);
  CHECK(watch.fired(t0 + 29s).action == Action::rearm);
  CHECK(watch.fired(t0 + 30s).action == Action::expire);
}
