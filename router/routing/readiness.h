// Readiness: what /readyz reports. Written by the rules reloader, read by the admin server; both
// are off the request path, so a mutex is fine.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

namespace strangler {

struct ReadinessState {
  bool loaded = false;       // a rule set has been loaded at least once
  std::int64_t version = 0;  // the version being served
  std::string problem;       // empty when the database reads fine; else why it does not
  std::string loaded_at;     // RFC 3339 time of the last successful load
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

 private:
  mutable std::mutex mutex_;
  ReadinessState state_;
};

}  // namespace strangler
