// pool_limits: the upstream pool's limits derived from --upstream-idle-timeout-ms.
#include <doctest/doctest.h>

#include "router/upstream/upstream_pool.h"

using namespace strangler;
using namespace std::chrono_literals;

TEST_CASE("pool limits: the default idle timeout keeps the defaults") {
  auto limits = pool_limits(60000ms);
  PoolLimits defaults;
  CHECK(limits.max_idle_time_replayable == 60000ms);
  CHECK(limits.max_idle_time == defaults.max_idle_time);
  CHECK(limits.check_after == defaults.check_after);
  CHECK(limits.sweep_every == 1000ms);
}

TEST_CASE("pool limits: a short idle timeout caps every limit and sweeps at half of it") {
  auto limits = pool_limits(400ms);
  CHECK(limits.max_idle_time_replayable == 400ms);
  CHECK(limits.max_idle_time == 400ms);
  CHECK(limits.check_after == 250ms);
  CHECK(limits.sweep_every == 200ms);

  auto shortest = pool_limits(100ms);
  CHECK(shortest.check_after == 100ms);
  CHECK(shortest.sweep_every == 50ms);
}

TEST_CASE("pool limits: a long idle timeout still sweeps every second") {
  auto limits = pool_limits(3600000ms);
  CHECK(limits.max_idle_time_replayable == 3600000ms);
  CHECK(limits.max_idle_time == PoolLimits{}.max_idle_time);
  CHECK(limits.sweep_every == 1000ms);
}
