// CircuitBreaker; see circuit_breaker.h. Every public member takes the mutex once and does only
// arithmetic under it: no allocation on the request path except a failure reason's string.
#include "router/resilience/circuit_breaker.h"

#include <algorithm>

namespace strangler {

const char* to_string(BreakerState state) {
  switch (state) {
    case BreakerState::closed:
      return "closed";
    case BreakerState::open:
      return "open";
    case BreakerState::half_open:
      return "half_open";
  }
  return "unknown";
}

namespace {

BreakerSettings sanitized(BreakerSettings s) {
  s.window = std::max(1, s.window);
  s.min_calls = std::clamp(s.min_calls, 1, s.window);
  s.half_open_probes = std::max(1, s.half_open_probes);
  s.recovery = std::max(s.recovery, std::chrono::milliseconds{0});
  s.probe_timeout = std::max(s.probe_timeout, std::chrono::milliseconds{1});
  return s;
}

}  // namespace

CircuitBreaker::CircuitBreaker(BreakerSettings settings, TimePoint now)
    : settings_(sanitized(settings)),
      since_(now),
      ring_(static_cast<std::size_t>(settings_.window), false),
      probes_out_(static_cast<std::size_t>(settings_.half_open_probes)) {}

BreakerAdmission CircuitBreaker::try_acquire(TimePoint now) {
  if (auto clean = clean_.load(std::memory_order_acquire)) {
    return {{true, clean - 1, false, -1}, std::nullopt};
  }
  std::lock_guard lock(mutex_);
  switch (state_) {
    case BreakerState::closed:
      return {{true, generation_, false, -1}, std::nullopt};
    case BreakerState::open: {
      if (now - since_ < settings_.recovery) return {};
      // This caller is the first probe; the rest of the burst competes for the other slots.
      auto transition = move_to(BreakerState::half_open, now);
      probes_out_[0] = now;
      probes_admitted_ = 1;
      return {{true, generation_, true, 0}, transition};
    }
    case BreakerState::half_open: {
      if (probe_expired(now)) {
        note_failure("probe-timeout", now);
        return {{}, move_to(BreakerState::open, now)};
      }
      if (probes_admitted_ >= settings_.half_open_probes) return {};
      const int slot = probes_admitted_++;
      probes_out_[static_cast<std::size_t>(slot)] = now;
      return {{true, generation_, true, slot}, std::nullopt};
    }
  }
  return {};
}

std::optional<BreakerTransition> CircuitBreaker::on_result(const BreakerTicket& ticket,
                                                           bool success, TimePoint now,
                                                           std::string_view reason) {
  if (success && ticket.admitted && !ticket.probe &&
      clean_.load(std::memory_order_acquire) == ticket.generation + 1) {
    return std::nullopt;
  }
  std::lock_guard lock(mutex_);
  auto transition = on_result_locked(ticket, success, now, reason);
  publish_clean();
  return transition;
}

std::optional<BreakerTransition> CircuitBreaker::on_result_locked(const BreakerTicket& ticket,
                                                                  bool success, TimePoint now,
                                                                  std::string_view reason) {
  if (state_ == BreakerState::half_open && probe_expired(now)) {
    // The timeout wins over a result arriving after it: the breaker reopens and this (now
    // stale) result is ignored, exactly as if the expiry had been noticed a moment earlier.
    note_failure("probe-timeout", now);
    return move_to(BreakerState::open, now);
  }
  if (!ticket.admitted || ticket.generation != generation_) return std::nullopt;
  if (!success) note_failure(reason.empty() ? "failure" : reason, now);

  if (state_ == BreakerState::closed) {
    record_closed_outcome(success);
    if (!success && should_open()) return move_to(BreakerState::open, now);
    return std::nullopt;
  }
  if (state_ == BreakerState::half_open && ticket.probe && ticket.probe_slot >= 0 &&
      ticket.probe_slot < settings_.half_open_probes) {
    auto& out = probes_out_[static_cast<std::size_t>(ticket.probe_slot)];
    if (!out) return std::nullopt;  // this slot already reported
    out.reset();
    if (!success) return move_to(BreakerState::open, now);
    if (++probes_succeeded_ == settings_.half_open_probes) {
      return move_to(BreakerState::closed, now);
    }
  }
  return std::nullopt;
}

std::optional<BreakerTransition> CircuitBreaker::reset(TimePoint now) {
  std::lock_guard lock(mutex_);
  if (state_ != BreakerState::closed) {
    auto transition = move_to(BreakerState::closed, now);
    publish_clean();
    return transition;
  }
  // Not a transition, but the window starts afresh and earlier tickets still become stale.
  ++generation_;
  clear_window();
  publish_clean();
  return std::nullopt;
}

BreakerSnapshot CircuitBreaker::snapshot(TimePoint now) {
  std::lock_guard lock(mutex_);
  BreakerSnapshot out;
  if (state_ == BreakerState::half_open && probe_expired(now)) {
    note_failure("probe-timeout", now);
    out.transition = move_to(BreakerState::open, now);
  }
  out.state = state_;
  out.since = since_;
  out.window_calls = window_calls_;
  out.window_failures = window_failures_;
  out.consecutive_failures = consecutive_failures_;
  out.last_failure_reason = last_failure_reason_;
  out.last_failure_at = last_failure_at_;
  out.transitions = transitions_;
  return out;
}

void CircuitBreaker::record_closed_outcome(bool success) {
  auto slot = ring_.begin() + ring_next_;
  if (window_calls_ == settings_.window) {
    if (*slot) --window_failures_;  // the oldest outcome leaves the window
  } else {
    ++window_calls_;
  }
  *slot = !success;
  ring_next_ = (ring_next_ + 1) % settings_.window;
  if (success) {
    consecutive_failures_ = 0;
  } else {
    ++window_failures_;
    ++consecutive_failures_;
  }
}

bool CircuitBreaker::should_open() const {
  if (window_calls_ < settings_.min_calls) return false;
  if (settings_.failure_threshold > 0 && consecutive_failures_ >= settings_.failure_threshold) {
    return true;
  }
  // Division is correctly rounded, so 3/10 compares equal to the literal 0.3.
  return static_cast<double>(window_failures_) / window_calls_ >= settings_.failure_rate;
}

void CircuitBreaker::clear_window() {
  std::fill(ring_.begin(), ring_.end(), false);
  ring_next_ = 0;
  window_calls_ = 0;
  window_failures_ = 0;
  consecutive_failures_ = 0;
}

bool CircuitBreaker::probe_expired(TimePoint now) const {
  return std::any_of(probes_out_.begin(), probes_out_.end(), [&](const auto& admitted_at) {
    return admitted_at && now - *admitted_at >= settings_.probe_timeout;
  });
}

// Every transition starts a new generation, so tickets from the previous state go stale. The
// window is kept on closed -> open (the snapshot shows why it opened) and cleared on the way
// back to closed; probe bookkeeping starts afresh in each state.
BreakerTransition CircuitBreaker::move_to(BreakerState to, TimePoint now) {
  const BreakerTransition transition{state_, to};
  state_ = to;
  since_ = now;
  ++generation_;
  ++transitions_;
  std::fill(probes_out_.begin(), probes_out_.end(), std::nullopt);
  probes_admitted_ = 0;
  probes_succeeded_ = 0;
  if (to == BreakerState::closed) clear_window();
  return transition;
}

void CircuitBreaker::publish_clean() {
  bool clean =
      state_ == BreakerState::closed && window_calls_ == settings_.window && window_failures_ == 0;
  clean_.store(clean ? generation_ + 1 : 0, std::memory_order_release);
}

void CircuitBreaker::note_failure(std::string_view reason, TimePoint now) {
  last_failure_reason_.assign(reason);
  last_failure_at_ = now;
}

}  // namespace strangler
