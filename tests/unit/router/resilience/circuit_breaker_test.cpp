// The circuit breaker's state machine: every transition, driven by explicit time points.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "router/resilience/circuit_breaker.h"

using namespace strangler;
using namespace std::chrono_literals;

namespace {

using TimePoint = CircuitBreaker::TimePoint;
const TimePoint t0{std::chrono::hours{1}};

// Admits one call at `now` and reports its outcome; returns the transition it caused.
std::optional<BreakerTransition> call(CircuitBreaker& breaker, bool success, TimePoint now,
                                      std::string_view reason = "timeout") {
  auto admission = breaker.try_acquire(now);
  REQUIRE(admission.ticket.admitted);
  return breaker.on_result(admission.ticket, success, now, reason);
}

void fail_times(CircuitBreaker& breaker, int n, TimePoint now) {
  for (int i = 0; i < n; ++i) call(breaker, false, now);
}

BreakerState state(CircuitBreaker& breaker, TimePoint now) {
  return breaker.snapshot(now).state;
}

// A breaker opened at t0 by five straight failures (defaults: recovery 30 s, 3 probes).
CircuitBreaker& opened(CircuitBreaker& breaker) {
  fail_times(breaker, 5, t0);
  REQUIRE(state(breaker, t0) == BreakerState::open);
  return breaker;
}

bool is(const std::optional<BreakerTransition>& t, BreakerState from, BreakerState to) {
  return t && t->from == from && t->to == to;
}

}  // namespace

TEST_CASE("state names") {
  CHECK(std::string(to_string(BreakerState::closed)) == "closed");
  CHECK(std::string(to_string(BreakerState::open)) == "open");
  CHECK(std::string(to_string(BreakerState::half_open)) == "half_open");
}

TEST_CASE("a new breaker is closed and admits") {
  CircuitBreaker breaker({}, t0);
  auto admission = breaker.try_acquire(t0);
  CHECK(admission.ticket.admitted);
  CHECK_FALSE(admission.ticket.probe);
  CHECK_FALSE(admission.transition);
  auto snap = breaker.snapshot(t0);
  CHECK(snap.state == BreakerState::closed);
  CHECK(snap.since == t0);
  CHECK(snap.transitions == 0);
  CHECK(snap.last_failure_reason.empty());
  CHECK_FALSE(snap.last_failure_at);
}

TEST_CASE("never opens below min_calls, even at 100% failures") {
  BreakerSettings settings;
  settings.min_calls = 10;
  CircuitBreaker breaker(settings, t0);
  for (int i = 0; i < 9; ++i) CHECK_FALSE(call(breaker, false, t0));
  CHECK(state(breaker, t0) == BreakerState::closed);
  CHECK(breaker.snapshot(t0).consecutive_failures == 9);
  CHECK(is(call(breaker, false, t0), BreakerState::closed, BreakerState::open));
}

TEST_CASE("opens exactly at the consecutive-failure threshold") {
  CircuitBreaker breaker({}, t0);  // threshold 5, rate 0.5, window 20
  for (int i = 0; i < 10; ++i) call(breaker, true, t0);
  fail_times(breaker, 4, t0);  // 4/14 failures: below the rate too
  CHECK(state(breaker, t0) == BreakerState::closed);
  CHECK(is(call(breaker, false, t0), BreakerState::closed, BreakerState::open));
  auto snap = breaker.snapshot(t0);
  CHECK(snap.consecutive_failures == 5);
  CHECK(snap.window_calls == 15);
  CHECK(snap.window_failures == 5);
}

TEST_CASE("opens exactly at the failure rate") {
  BreakerSettings settings;
  settings.failure_threshold = 100;
  CircuitBreaker breaker(settings, t0);
  for (bool success : {true, false, true, false, true}) CHECK_FALSE(call(breaker, success, t0));
  CHECK(breaker.snapshot(t0).window_failures == 2);                               // 2/5 = 0.4
  CHECK(is(call(breaker, false, t0), BreakerState::closed, BreakerState::open));  // 3/6 = 0.5
}

TEST_CASE("successes interleaved below the rate keep it closed") {
  CircuitBreaker breaker({}, t0);
  for (int i = 0; i < 100; ++i) {
    call(breaker, true, t0);
    call(breaker, true, t0);
    CHECK_FALSE(call(breaker, false, t0));
  }
  auto snap = breaker.snapshot(t0);
  CHECK(snap.state == BreakerState::closed);
  CHECK(snap.window_calls == 20);  // the ring remembers only the last `window` calls
  CHECK(snap.window_failures >= 6);
  CHECK(snap.window_failures <= 7);
}

TEST_CASE("old failures slide out of the window") {
  BreakerSettings settings;
  settings.window = 10;
  settings.failure_threshold = 100;
  CircuitBreaker breaker(settings, t0);
  fail_times(breaker, 4, t0);
  for (int i = 0; i < 6; ++i) call(breaker, true, t0);  // 4/10: closed
  CHECK(breaker.snapshot(t0).window_failures == 4);
  for (int i = 0; i < 4; ++i) call(breaker, true, t0);  // the four failures left the ring
  CHECK(breaker.snapshot(t0).window_failures == 0);
  fail_times(breaker, 4, t0);  // 4/10 again, not 8/10
  CHECK(state(breaker, t0) == BreakerState::closed);
}

TEST_CASE("open rejects every call until the recovery time") {
  CircuitBreaker breaker({}, t0);
  opened(breaker);
  for (auto at : {t0, t0 + 1s, t0 + 29999ms}) {
    auto admission = breaker.try_acquire(at);
    CHECK_FALSE(admission.ticket.admitted);
    CHECK_FALSE(admission.transition);
  }
  CHECK(state(breaker, t0 + 29999ms) == BreakerState::open);
}

TEST_CASE("after recovery the next call is a probe and the breaker is half-open") {
  CircuitBreaker breaker({}, t0);
  opened(breaker);
  auto admission = breaker.try_acquire(t0 + 30s);
  CHECK(admission.ticket.admitted);
  CHECK(admission.ticket.probe);
  CHECK(is(admission.transition, BreakerState::open, BreakerState::half_open));
  auto snap = breaker.snapshot(t0 + 30s);
  CHECK(snap.state == BreakerState::half_open);
  CHECK(snap.since == t0 + 30s);
  CHECK(snap.transitions == 2);
}

TEST_CASE("half-open admits exactly N probes under a concurrent burst") {
  BreakerSettings settings;
  settings.half_open_probes = 3;
  CircuitBreaker breaker(settings, t0);
  opened(breaker);
  const TimePoint now = t0 + 31s;
  std::atomic<int> admitted{0};
  std::atomic<int> transitions{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto admission = breaker.try_acquire(now);
        if (admission.ticket.admitted) ++admitted;
        if (admission.transition) ++transitions;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(admitted == 3);
  CHECK(transitions == 1);  // open -> half_open, once
  CHECK(state(breaker, now) == BreakerState::half_open);
}

TEST_CASE("all probes succeed: closed with counters reset") {
  CircuitBreaker breaker({}, t0);
  opened(breaker);
  const TimePoint now = t0 + 30s;
  std::vector<BreakerTicket> probes;
  for (int i = 0; i < 3; ++i) probes.push_back(breaker.try_acquire(now).ticket);
  CHECK_FALSE(breaker.try_acquire(now).ticket.admitted);  // a fourth is turned away
  CHECK_FALSE(breaker.on_result(probes[0], true, now + 10ms));
  CHECK_FALSE(breaker.on_result(probes[2], true, now + 20ms));
  CHECK_FALSE(breaker.on_result(probes[2], true, now + 20ms));  // a duplicate counts once
  CHECK(state(breaker, now + 20ms) == BreakerState::half_open);
  CHECK(is(breaker.on_result(probes[1], true, now + 30ms), BreakerState::half_open,
           BreakerState::closed));
  auto snap = breaker.snapshot(now + 30ms);
  CHECK(snap.state == BreakerState::closed);
  CHECK(snap.window_calls == 0);
  CHECK(snap.window_failures == 0);
  CHECK(snap.consecutive_failures == 0);
  CHECK(snap.transitions == 3);
  CHECK(snap.last_failure_reason == "timeout");  // history is kept for the admin view
  CHECK(breaker.try_acquire(now + 30ms).ticket.admitted);
}

TEST_CASE("one probe fails: open again with a fresh recovery wait") {
  CircuitBreaker breaker({}, t0);
  opened(breaker);
  const TimePoint half = t0 + 30s;
  auto first = breaker.try_acquire(half).ticket;
  auto second = breaker.try_acquire(half).ticket;
  CHECK(breaker.on_result(first, true, half + 1s) == std::nullopt);
  CHECK(is(breaker.on_result(second, false, half + 2s, "status 503"), BreakerState::half_open,
           BreakerState::open));
  auto snap = breaker.snapshot(half + 2s);
  CHECK(snap.state == BreakerState::open);
  CHECK(snap.since == half + 2s);
  CHECK(snap.last_failure_reason == "status 503");
  CHECK(snap.last_failure_at == half + 2s);
  CHECK_FALSE(breaker.try_acquire(half + 31s).ticket.admitted);  // wait counts from the failure
  CHECK(
      is(breaker.try_acquire(half + 32s).transition, BreakerState::open, BreakerState::half_open));
}

TEST_CASE("a result from a call admitted while closed is ignored once the breaker opened") {
  CircuitBreaker breaker({}, t0);
  auto slow = breaker.try_acquire(t0).ticket;  // admitted while closed, still out
  opened(breaker);
  CHECK_FALSE(breaker.on_result(slow, false, t0 + 1s, "late"));
  auto snap = breaker.snapshot(t0 + 1s);
  CHECK(snap.last_failure_reason == "timeout");  // the stale failure left no trace
  CHECK(snap.window_failures == 5);

  // Nor does it count while half-open: a success must not close, nor a failure reopen.
  auto probe = breaker.try_acquire(t0 + 30s).ticket;
  CHECK_FALSE(breaker.on_result(slow, false, t0 + 30s));
  CHECK(state(breaker, t0 + 30s) == BreakerState::half_open);
  for (int i = 0; i < 5; ++i) CHECK_FALSE(breaker.on_result(slow, true, t0 + 30s));
  CHECK(state(breaker, t0 + 30s) == BreakerState::half_open);
  CHECK(probe.probe);
}

TEST_CASE("a result from before a reset is ignored") {
  CircuitBreaker breaker({}, t0);
  auto before = breaker.try_acquire(t0).ticket;
  fail_times(breaker, 4, t0);
  CHECK_FALSE(breaker.reset(t0 + 1s));  // closed -> closed is no transition
  CHECK(breaker.snapshot(t0 + 1s).consecutive_failures == 0);
  CHECK_FALSE(breaker.on_result(before, false, t0 + 2s));
  auto snap = breaker.snapshot(t0 + 2s);
  CHECK(snap.window_calls == 0);
  CHECK(snap.state == BreakerState::closed);
  fail_times(breaker, 4, t0 + 3s);  // four fresh failures: still below the threshold of five
  CHECK(state(breaker, t0 + 3s) == BreakerState::closed);
}

TEST_CASE("a non-admitted ticket changes nothing") {
  CircuitBreaker breaker({}, t0);
  opened(breaker);
  auto rejected = breaker.try_acquire(t0 + 1s).ticket;
  REQUIRE_FALSE(rejected.admitted);
  auto probe = breaker.try_acquire(t0 + 30s).ticket;
  REQUIRE(probe.admitted);
  rejected.generation = probe.generation;  // even with a current generation
  CHECK_FALSE(breaker.on_result(rejected, false, t0 + 30s));
  CHECK(state(breaker, t0 + 30s) == BreakerState::half_open);
}

TEST_CASE("a probe that never reports cannot leave the breaker half-open") {
  CircuitBreaker breaker({}, t0);  // probe_timeout 15 s
  opened(breaker);
  const TimePoint half = t0 + 30s;
  auto lost = breaker.try_acquire(half).ticket;
  REQUIRE(lost.probe);

  SUBCASE("noticed by try_acquire") {
    CHECK_FALSE(breaker.try_acquire(half + 14s).transition);  // two more probes, fine so far
    auto expired = breaker.try_acquire(half + 15s);
    CHECK_FALSE(expired.ticket.admitted);
    CHECK(is(expired.transition, BreakerState::half_open, BreakerState::open));
    CHECK(breaker.snapshot(half + 15s).last_failure_reason == "probe-timeout");
    // A fresh wait from the expiry, then new probes.
    CHECK_FALSE(breaker.try_acquire(half + 44s).ticket.admitted);
    CHECK(breaker.try_acquire(half + 45s).ticket.admitted);
  }
  SUBCASE("noticed by snapshot") {
    auto snap = breaker.snapshot(half + 15s);
    CHECK(snap.state == BreakerState::open);
    CHECK(is(snap.transition, BreakerState::half_open, BreakerState::open));
    CHECK_FALSE(breaker.snapshot(half + 16s).transition);  // reported once
  }
  SUBCASE("its late success is stale") {
    CHECK(
        is(breaker.on_result(lost, true, half + 20s), BreakerState::half_open, BreakerState::open));
    CHECK(state(breaker, half + 20s) == BreakerState::open);
  }
}

TEST_CASE("reset closes an open or half-open breaker") {
  CircuitBreaker breaker({}, t0);
  opened(breaker);
  CHECK(is(breaker.reset(t0 + 1s), BreakerState::open, BreakerState::closed));
  auto snap = breaker.snapshot(t0 + 1s);
  CHECK(snap.state == BreakerState::closed);
  CHECK(snap.since == t0 + 1s);
  CHECK(snap.window_calls == 0);
  CHECK(snap.consecutive_failures == 0);
  CHECK(breaker.try_acquire(t0 + 1s).ticket.admitted);

  opened(breaker);
  auto probe = breaker.try_acquire(t0 + 30s).ticket;
  CHECK(is(breaker.reset(t0 + 31s), BreakerState::half_open, BreakerState::closed));
  CHECK_FALSE(breaker.on_result(probe, false, t0 + 32s));  // the old probe is stale
  CHECK(state(breaker, t0 + 32s) == BreakerState::closed);
}

TEST_CASE("snapshot reports the window, the last failure and the transitions") {
  CircuitBreaker breaker({}, t0);
  call(breaker, true, t0);
  call(breaker, false, t0 + 1s, "connect-refused");
  call(breaker, true, t0 + 2s);
  call(breaker, false, t0 + 3s, "status 503");
  auto snap = breaker.snapshot(t0 + 4s);
  CHECK(snap.state == BreakerState::closed);
  CHECK(snap.since == t0);
  CHECK(snap.window_calls == 4);
  CHECK(snap.window_failures == 2);
  CHECK(snap.consecutive_failures == 1);
  CHECK(snap.last_failure_reason == "status 503");
  CHECK(snap.last_failure_at == t0 + 3s);
  CHECK(snap.transitions == 0);
  CHECK_FALSE(snap.transition);
}

TEST_CASE("out-of-range settings are clamped to a usable breaker") {
  BreakerSettings settings;
  settings.window = 0;
  settings.min_calls = 0;
  settings.half_open_probes = 0;
  settings.failure_threshold = 1;
  CircuitBreaker breaker(settings, t0);
  CHECK(breaker.settings().window == 1);
  CHECK(breaker.settings().half_open_probes == 1);
  CHECK(is(call(breaker, false, t0), BreakerState::closed, BreakerState::open));
  CHECK(breaker.try_acquire(t0 + 30s).ticket.admitted);  // one probe
  CHECK_FALSE(breaker.try_acquire(t0 + 30s).ticket.admitted);
}

// The lock-free path (closed, full window of successes) must behave exactly like the locked one.
TEST_CASE("a healthy breaker's fast path still opens on failures and honours resets") {
  CircuitBreaker breaker({}, t0);
  for (int i = 0; i < 40; ++i) call(breaker, true, t0);  // window (20) full of successes
  auto snap = breaker.snapshot(t0);
  CHECK(snap.window_calls == 20);
  CHECK(snap.window_failures == 0);

  // A ticket from before a reset is stale even on the fast path: its success changes nothing,
  // and the window restarts empty.
  auto before_reset = breaker.try_acquire(t0);
  REQUIRE(before_reset.ticket.admitted);
  breaker.reset(t0);
  CHECK_FALSE(breaker.on_result(before_reset.ticket, true, t0));
  CHECK(breaker.snapshot(t0).window_calls == 0);

  for (int i = 0; i < 20; ++i) call(breaker, true, t0);
  CHECK_FALSE(call(breaker, false, t0));  // leaves the fast path: one failure in the window
  CHECK(breaker.snapshot(t0).window_failures == 1);
  fail_times(breaker, 3, t0);
  CHECK(is(call(breaker, false, t0), BreakerState::closed, BreakerState::open));
  CHECK_FALSE(breaker.try_acquire(t0 + 1s).ticket.admitted);
}

TEST_CASE("concurrent successes on a healthy breaker keep it closed and clean") {
  CircuitBreaker breaker({}, t0);
  for (int i = 0; i < 20; ++i) call(breaker, true, t0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) call(breaker, true, t0);
    });
  }
  for (auto& thread : threads) thread.join();
  auto snap = breaker.snapshot(t0);
  CHECK(snap.state == BreakerState::closed);
  CHECK(snap.window_calls == 20);
  CHECK(snap.window_failures == 0);
}
