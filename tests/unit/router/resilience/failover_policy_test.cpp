// What happens after a failed upstream attempt.
#include <doctest/doctest.h>

#include "router/resilience/failover_policy.h"

using namespace strangler;

namespace {

AttemptFacts facts(AttemptFailure failure, bool idempotent, bool replayable, int retries,
                   bool fallback) {
  return {failure, idempotent, replayable, retries, fallback};
}

}  // namespace

TEST_CASE("admission refusals fall back for any method, else 503") {
  for (auto failure : {AttemptFailure::breaker_open, AttemptFailure::bulkhead_full}) {
    auto with = decide_after_failure(facts(failure, false, false, 3, true));
    CHECK(with.next == NextStep::fallback);
    CHECK(with.reason == describe(failure));
    auto without = decide_after_failure(facts(failure, true, true, 3, false));
    CHECK(without.next == NextStep::fail);  // never retried: the target is known bad or full
    CHECK(without.status == 503);
  }
}

TEST_CASE("a failed connect goes to the fallback first, even for POST") {
  for (auto failure : {AttemptFailure::connect_refused, AttemptFailure::connect_timeout,
                       AttemptFailure::connect_failed}) {
    auto d = decide_after_failure(facts(failure, false, false, 1, true));
    CHECK(d.next == NextStep::fallback);
    CHECK(d.reason == "connect-failed");
  }
}

TEST_CASE("without a fallback a failed connect is retried while retries are left") {
  auto retry = decide_after_failure(facts(AttemptFailure::connect_refused, false, false, 1, false));
  CHECK(retry.next == NextStep::retry);
  auto give_up =
      decide_after_failure(facts(AttemptFailure::connect_refused, false, false, 0, false));
  CHECK(give_up.next == NextStep::fail);
  CHECK(give_up.status == 502);
  CHECK(give_up.reason == "connect-refused");
  auto timed_out =
      decide_after_failure(facts(AttemptFailure::connect_timeout, true, true, 0, false));
  CHECK(timed_out.status == 504);
}

TEST_CASE("after bytes reached the upstream only idempotent, replayable requests go on") {
  for (auto failure :
       {AttemptFailure::reset, AttemptFailure::timeout, AttemptFailure::bad_response}) {
    CAPTURE(describe(failure));
    auto expected = failure == AttemptFailure::timeout ? NextStep::fallback : NextStep::retry;
    CHECK(decide_after_failure(facts(failure, true, true, 1, true)).next == expected);
    auto fallback = decide_after_failure(facts(failure, true, true, 0, true));
    CHECK(fallback.next == NextStep::fallback);
    CHECK(fallback.reason == "upstream-failed");
    CHECK(decide_after_failure(facts(failure, false, true, 1, true)).next == NextStep::fail);
    CHECK(decide_after_failure(facts(failure, true, false, 1, true)).next == NextStep::fail);
  }
  CHECK(decide_after_failure(facts(AttemptFailure::timeout, false, true, 0, true)).status == 504);
  CHECK(decide_after_failure(facts(AttemptFailure::reset, false, true, 0, true)).status == 502);
}

TEST_CASE("idempotent methods are the ones RFC 9110 names, minus TRACE") {
  for (auto m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}) CHECK(is_idempotent(m));
  for (auto m : {"POST", "PATCH", "CONNECT", "get", "TRACE"}) CHECK_FALSE(is_idempotent(m));
}

TEST_CASE("a timeout is not retried on the same target") {
  auto d = decide_after_failure(facts(AttemptFailure::timeout, true, true, 3, false));
  CHECK(d.next == NextStep::fail);
  CHECK(d.status == 504);
  CHECK(d.reason == "timeout");
}

TEST_CASE("a method the route does not let fall back gets the error, saying it was held back") {
  struct Row {
    AttemptFailure failure;
    bool idempotent;
    int retries;
    bool method_falls_back;
    NextStep next;
    int status;
    bool held_back;
  };
  using F = AttemptFailure;
  using N = NextStep;
  const Row rows[] = {
      // The method may fall back: as before.
      {F::breaker_open, false, 1, true, N::fallback, 0, false},
      {F::connect_refused, false, 1, true, N::fallback, 0, false},
      // It may not: the breaker's and the bulkhead's refusals are answered at once.
      {F::breaker_open, false, 1, false, N::fail, 503, true},
      {F::bulkhead_full, false, 1, false, N::fail, 503, true},
      // A failed connect is retried as if there were no fallback, then fails.
      {F::connect_refused, false, 1, false, N::retry, 0, false},
      {F::connect_refused, false, 0, false, N::fail, 502, true},
      {F::connect_timeout, false, 0, false, N::fail, 504, true},
      // After bytes reached the target, a non-idempotent request fails whatever the fallback.
      {F::reset, false, 1, false, N::fail, 502, true},
      // An idempotent method outside the route's list (PUT, not opted in) is retried, then fails.
      {F::reset, true, 1, false, N::retry, 0, false},
      {F::timeout, true, 1, false, N::fail, 504, true},
  };
  for (const auto& row : rows) {
    CAPTURE(describe(row.failure));
    CAPTURE(row.method_falls_back);
    CAPTURE(row.retries);
    AttemptFacts f{row.failure, row.idempotent, true, row.retries, true, row.method_falls_back};
    auto d = decide_after_failure(f);
    CHECK(d.next == row.next);
    CHECK(d.status == row.status);
    CHECK(d.held_back == row.held_back);
    if (d.next == NextStep::fail) CHECK(d.reason == describe(row.failure));
  }
  // Without a fallback there is nothing to hold back.
  auto none = decide_after_failure({F::breaker_open, false, true, 0, false, false});
  CHECK(none.next == NextStep::fail);
  CHECK(!none.held_back);
}
