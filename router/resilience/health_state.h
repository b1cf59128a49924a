// HealthState: what the active health checks of one target say — up, down, or not checked yet —
// from the results of the checks in order (HAProxy's rise/fall, Envoy's healthy/unhealthy
// thresholds).
//
// A target starts "unchecked" and is served as if up: a router that starts or reloads must not
// refuse traffic before the first check has run. It goes down after `unhealthy_threshold` failed
// checks in a row, and comes back up after `healthy_threshold` successes in a row; from unchecked
// one success is enough, since nothing said it was down. Not thread-safe: the health checker owns
// it and publishes the verdict through an atomic.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace strangler {

enum class Health { unchecked, up, down };

std::string_view to_string(Health health);

struct HealthThresholds {
  int healthy = 2;    // successes in a row that bring a down target up
  int unhealthy = 3;  // failures in a row that take it down
};

struct HealthChange {
  Health from;
  Health to;
};

class HealthState {
 public:
  explicit HealthState(HealthThresholds thresholds) : thresholds_(thresholds) {}

  // Counts one check's result at `now`; returns the change it made, if any.
  std::optional<HealthChange> on_check(bool success, std::chrono::steady_clock::time_point now);

  Health health() const { return health_; }
  int successes_in_a_row() const { return successes_; }
  int failures_in_a_row() const { return failures_; }
  // When the health last changed (a default time point while still unchecked).
  std::chrono::steady_clock::time_point since() const { return since_; }

 private:
  HealthThresholds thresholds_;
  Health health_ = Health::unchecked;
  int successes_ = 0;
  int failures_ = 0;
  std::chrono::steady_clock::time_point since_{};
};

}  // namespace strangler
