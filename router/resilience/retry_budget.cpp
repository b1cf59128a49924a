// RetryBudget; see retry_budget.h.
#include "router/resilience/retry_budget.h"

#include <algorithm>

namespace strangler {

namespace {

RetryBudgetSettings sanitized(RetryBudgetSettings s) {
  s.ratio = std::max(0.0, s.ratio);
  s.min_per_second = std::max(0, s.min_per_second);
  s.window = std::max(s.window, std::chrono::seconds{1});
  return s;
}

std::int64_t second_of(RetryBudget::TimePoint now) {
  // floor, not truncation: a steady clock's epoch is arbitrary, times before it stay ordered.
  return std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
}

}  // namespace

RetryBudget::RetryBudget(RetryBudgetSettings settings)
    : settings_(sanitized(settings)),
      buckets_(static_cast<std::size_t>(settings_.window.count())) {}

void RetryBudget::record_request(TimePoint now) {
  const std::int64_t second = second_of(now);
  Bucket& bucket = slot(second);
  if (bucket.second.load(std::memory_order_acquire) == second) {
    bucket.requests.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::lock_guard lock(mutex_);
  current(second).requests.fetch_add(1, std::memory_order_relaxed);
}

bool RetryBudget::try_spend_retry(TimePoint now) {
  std::lock_guard lock(mutex_);
  const std::int64_t second = second_of(now);
  Bucket& bucket = current(second);
  const Totals totals = sum(second);
  const bool within_ratio = static_cast<double>(totals.retries + 1) <=
                            settings_.ratio * static_cast<double>(totals.requests);
  const bool within_floor = bucket.retries.load() < settings_.min_per_second;
  if (!within_ratio && !within_floor) return false;
  bucket.retries.fetch_add(1);
  return true;
}

RetryBudget::Totals RetryBudget::window_totals(TimePoint now) {
  std::lock_guard lock(mutex_);
  return sum(second_of(now));
}

RetryBudget::Bucket& RetryBudget::slot(std::int64_t second) {
  const auto size = static_cast<std::int64_t>(buckets_.size());
  return buckets_[static_cast<std::size_t>(((second % size) + size) % size)];
}

RetryBudget::Bucket& RetryBudget::current(std::int64_t second) {
  Bucket& bucket = slot(second);
  // Only a newer second reuses a bucket: a thread whose `now` lags a little behind another's
  // must not wipe the newer counts, so it adds to them instead.
  if (bucket.second.load() < second) {
    bucket.requests.store(0);
    bucket.retries.store(0);
    bucket.second.store(second, std::memory_order_release);
  }
  return bucket;
}

// Buckets from the last `window` seconds, the current one included; older ones (not yet reused)
// and ones from the future (a caller's clock running behind another's) are left out.
RetryBudget::Totals RetryBudget::sum(std::int64_t second) const {
  const auto size = static_cast<std::int64_t>(buckets_.size());
  Totals totals;
  for (const Bucket& bucket : buckets_) {
    const std::int64_t held = bucket.second.load();
    if (held <= second && held > second - size) {
      totals.requests += bucket.requests.load();
      totals.retries += bucket.retries.load();
    }
  }
  return totals;
}

}  // namespace strangler
