// Readiness: what /readyz and /healthz report. The rules state is written by the rules reloader,
// the draining flag by main on SIGTERM; the admin server reads both. All off the request path, so
// a mutex is fine.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace strangler {

struct ReadinessState {
  bool loaded = false;        // a rule set has been loaded at least once
  std::int64_t version = 0;   // the version being served
  std::string problem;        // empty when the database reads fine; else why it does not
  std::string loaded_at;      // RFC 3339 time of the last successful load
  std::string problem_since;  // RFC 3339 time the problem was first seen; empty without one
};

class Readiness {
 public:
  void set(ReadinessState state) {
    std::lock_guard lock(mutex_);
    state_ = std::move(state);
  }
  ReadinessState get() const {
    std::lock_guard lock(mutex_);
    return state_;
  }
  // From SIGTERM on: not ready, so that load balancers stop sending new connections.
  void set_draining() { draining_ = true; }
  bool draining() const { return draining_; }

 private:
  mutable std::mutex mutex_;
  ReadinessState state_;
  std::atomic<bool> draining_{false};
};

}  // namespace strangler
