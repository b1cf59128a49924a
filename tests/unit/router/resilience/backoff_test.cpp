// Exponential backoff with full jitter: bounds, growth, the cap, and no overflow.
#include <doctest/doctest.h>

#include <limits>

#include "router/resilience/backoff.h"

using namespace strangler;
using namespace std::chrono_literals;

TEST_CASE("the ceiling doubles from the base until the cap") {
  CHECK(backoff_ceiling(1, 100ms, 10s) == 100ms);
  CHECK(backoff_ceiling(2, 100ms, 10s) == 200ms);
  CHECK(backoff_ceiling(3, 100ms, 10s) == 400ms);
  CHECK(backoff_ceiling(7, 100ms, 10s) == 6400ms);
  CHECK(backoff_ceiling(8, 100ms, 10s) == 10s);    // 12.8 s capped
  CHECK(backoff_ceiling(0, 100ms, 10s) == 100ms);  // attempts below 1 count as the first
  CHECK(backoff_ceiling(-5, 100ms, 10s) == 100ms);
}

TEST_CASE("full jitter spans zero to the ceiling") {
  CHECK(full_jitter_backoff(3, 100ms, 10s, 0.0) == 0ms);
  CHECK(full_jitter_backoff(3, 100ms, 10s, 1.0) == 400ms);
  CHECK(full_jitter_backoff(3, 100ms, 10s, 0.5) == 200ms);
  CHECK(full_jitter_backoff(3, 100ms, 10s, 0.999) == 399ms);  // floor, never above
  for (int attempt = 1; attempt <= 20; ++attempt) {
    for (double u = 0.0; u <= 1.0; u += 0.0625) {
      auto wait = full_jitter_backoff(attempt, 50ms, 2s, u);
      CHECK(wait >= 0ms);
      CHECK(wait <= backoff_ceiling(attempt, 50ms, 2s));
      CHECK(wait <= 2s);
    }
  }
}

TEST_CASE("the random number is clamped") {
  CHECK(full_jitter_backoff(1, 100ms, 1s, -3.0) == 0ms);
  CHECK(full_jitter_backoff(1, 100ms, 1s, 7.0) == 100ms);
  CHECK(full_jitter_backoff(1, 100ms, 1s, std::numeric_limits<double>::quiet_NaN()) == 0ms);
}

TEST_CASE("large attempts and large durations do not overflow") {
  for (int attempt : {30, 62, 63, 64, 100, 1000, std::numeric_limits<int>::max()}) {
    CHECK(backoff_ceiling(attempt, 100ms, 30s) == 30s);
    CHECK(full_jitter_backoff(attempt, 100ms, 30s, 1.0) == 30s);
  }
  const std::chrono::milliseconds huge{std::numeric_limits<std::chrono::milliseconds::rep>::max()};
  CHECK(backoff_ceiling(2, huge / 2 + 1ms, huge) == huge);
  CHECK(backoff_ceiling(64, 1ms, huge) == huge);
  CHECK(full_jitter_backoff(64, 1ms, huge, 1.0) <= huge);
  CHECK(full_jitter_backoff(64, 1ms, huge, 1.0) > huge / 2);
  CHECK(full_jitter_backoff(64, 1ms, huge, 0.9999999999) <= huge);
}

TEST_CASE("zero or negative base and cap give no wait") {
  CHECK(full_jitter_backoff(3, 0ms, 1s, 1.0) == 0ms);
  CHECK(full_jitter_backoff(3, 100ms, 0ms, 1.0) == 0ms);
  CHECK(full_jitter_backoff(3, -100ms, 1s, 1.0) == 0ms);
  CHECK(full_jitter_backoff(3, 100ms, -1s, 1.0) == 0ms);
}
