// HealthState; see health_state.h.
#include "router/resilience/health_state.h"

namespace strangler {

std::string_view to_string(Health health) {
  switch (health) {
    case Health::unchecked:
      return "unchecked";
    case Health::up:
      return "up";
    case Health::down:
      return "down";
  }
  return "unchecked";
}

std::optional<HealthChange> HealthState::on_check(bool success,
                                                  std::chrono::steady_clock::time_point now) {
  if (success) {
    ++successes_;
    failures_ = 0;
  } else {
    ++failures_;
    successes_ = 0;
  }
  Health next = health_;
  if (success && (health_ == Health::unchecked ||
                  (health_ == Health::down && successes_ >= thresholds_.healthy))) {
    next = Health::up;
  } else if (!success && health_ != Health::down && failures_ >= thresholds_.unhealthy) {
    next = Health::down;
  }
  if (next == health_) return std::nullopt;
  HealthChange change{health_, next};
  health_ = next;
  since_ = now;
  return change;
}

}  // namespace strangler
