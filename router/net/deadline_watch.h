// DeadlineWatch: when a stream's one lazy timer has to fire, and what to do when it does. No
// timer, no socket and no clock of its own (times are arguments), so that TimedStream's timeout
// rules are unit tests without sleeping.
//
// The deadline is a plain value that the caller moves on every read or write; the timer is armed
// only when an operation starts with a deadline earlier than the one it is armed for. When it
// fires before the deadline (the deadline moved later meanwhile) it is armed again for the
// deadline: a connection that keeps making progress re-arms about once per timeout period instead
// of twice per operation. nginx's lazy timers and HAProxy's task expiry work the same way.
#pragma once

#include <chrono>
#include <optional>

namespace strangler {

class DeadlineWatch {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr TimePoint never = TimePoint::max();

  // What to do when the timer fires.
  struct Verdict {
    enum class Action { none, rearm, expire } action = Action::none;
    TimePoint rearm_at = never;  // with Action::rearm
  };

  // The deadline for the operations from now on (never: no limit). Clears an expiry.
  void set(TimePoint deadline) {
    deadline_ = deadline;
    expired_ = false;
  }

  // An operation starts. Returns when the timer must be armed, if it has to be (re)armed.
  std::optional<TimePoint> start() {
    ++pending_;
    if (deadline_ >= armed_) return std::nullopt;
    armed_ = deadline_;
    return armed_;
  }

  // An operation completed, whatever its outcome.
  void finish() { --pending_; }

  // The timer armed for the last time start() or fired() returned went off at `now`.
  Verdict fired(TimePoint now) {
    armed_ = never;
    if (deadline_ == never) return {};
    if (now < deadline_) {
      armed_ = deadline_;
      return {Verdict::Action::rearm, deadline_};
    }
    // Passed while nothing was waiting (the caller was busy elsewhere): nothing to cut short. An
    // operation started without a new deadline arms the timer again, for the past, and expires.
    if (pending_ == 0) return {};
    expired_ = true;
    return {Verdict::Action::expire, never};
  }

  // The deadline passed with an operation pending: what it failed with is a timeout.
  bool expired() const { return expired_; }
  int pending() const { return pending_; }

 private:
  TimePoint deadline_ = never;
  TimePoint armed_ = never;  // when the timer goes off; never: not armed
  int pending_ = 0;
  bool expired_ = false;
};

}  // namespace strangler
