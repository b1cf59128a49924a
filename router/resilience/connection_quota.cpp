// ConnectionQuota; see connection_quota.h.
#include "router/resilience/connection_quota.h"

#include <algorithm>

namespace strangler {

bool ConnectionQuota::try_take() {
  if (max_ > 0 && (taken_ >= max_ || !waiters_.empty())) return false;
  ++taken_;
  return true;
}

void ConnectionQuota::enqueue(std::uint64_t waiter) {
  waiters_.push_back(waiter);
}

bool ConnectionQuota::cancel(std::uint64_t waiter) {
  auto found = std::find(waiters_.begin(), waiters_.end(), waiter);
  if (found == waiters_.end()) return false;
  waiters_.erase(found);
  return true;
}

std::optional<std::uint64_t> ConnectionQuota::give_back() {
  if (!waiters_.empty()) {
    auto next = waiters_.front();
    waiters_.pop_front();
    return next;  // the slot changes hands: still taken
  }
  if (taken_ > 0) --taken_;
  return std::nullopt;
}

}  // namespace strangler
