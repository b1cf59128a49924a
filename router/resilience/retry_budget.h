// RetryBudget: keeps retries to a target at most a fixed share of its recent requests, so that an
// outage cannot turn every client request into `1 + retries` upstream calls (a retry storm).
//
// One per target, shared by all I/O threads. record_request, once per client request, is one
// atomic increment while the current second's bucket is in place (a small mutex otherwise, and
// for try_spend_retry and window_totals, which touch a few integers).
// The proxy calls record_request(now) once per client request routed to the target (never for
// retries, which would feed the budget with itself) and try_spend_retry(now) before each retry.
// A retry is allowed while the retries in the sliding window stay within `ratio` of the requests
// in it, or — the floor, so a quiet target can still retry — while fewer than `min_per_second`
// retries were spent in the current second. The window is a ring of one-second buckets; time is
// an argument, so tests slide it without sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

namespace strangler {

struct RetryBudgetSettings {
  double ratio = 0.2;               // retries / requests over the window
  int min_per_second = 3;           // retries always allowed per second (the floor)
  std::chrono::seconds window{10};  // how far back requests and retries count
};

class RetryBudget {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // A window under one second is taken as one second; negative ratio or floor as zero.
  explicit RetryBudget(RetryBudgetSettings settings = {});

  RetryBudget(const RetryBudget&) = delete;
  RetryBudget& operator=(const RetryBudget&) = delete;

  void record_request(TimePoint now);

  // True, and the retry is counted, when the budget allows one more; false: exhausted.
  bool try_spend_retry(TimePoint now);

  struct Totals {
    std::int64_t requests = 0;
    std::int64_t retries = 0;
  };
  // Requests and retries currently inside the window (for metrics and tests).
  Totals window_totals(TimePoint now);

 private:
  // `second` is written only under mutex_, after zeroing the counts, so a lock-free reader that
  // sees its own second can count into the bucket. A request recorded by a thread whose clock
  // lags a whole window behind may land in a newer second: a budget need not be exact.
  struct Bucket {
    // Which second this bucket holds; stale ones are reused.
    std::atomic<std::int64_t> second{std::numeric_limits<std::int64_t>::min()};
    std::atomic<std::int64_t> requests{0};
    std::atomic<std::int64_t> retries{0};
  };

  Bucket& slot(std::int64_t second);
  Bucket& current(std::int64_t second);  // caller holds mutex_
  Totals sum(std::int64_t second) const;

  const RetryBudgetSettings settings_;
  std::mutex mutex_;
  std::vector<Bucket> buckets_;
};

}  // namespace strangler
