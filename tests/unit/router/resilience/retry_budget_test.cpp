// The retry budget: a share of recent requests, a floor for quiet targets, a sliding window.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "router/resilience/retry_budget.h"

using namespace strangler;
using namespace std::chrono_literals;

namespace {

using TimePoint = RetryBudget::TimePoint;
const TimePoint t0{std::chrono::hours{5}};

int spend_all(RetryBudget& budget, TimePoint now) {
  int spent = 0;
  while (budget.try_spend_retry(now)) ++spent;
  return spent;
}

void requests(RetryBudget& budget, int n, TimePoint now) {
  for (int i = 0; i < n; ++i) budget.record_request(now);
}

}  // namespace

TEST_CASE("retries stay within the ratio of recent requests") {
  RetryBudget budget;  // 20 %, floor 3/s, 10 s
  requests(budget, 1000, t0);
  CHECK(spend_all(budget, t0) == 200);
  auto totals = budget.window_totals(t0);
  CHECK(totals.requests == 1000);
  CHECK(totals.retries == 200);
}

TEST_CASE("the ratio holds over many requests spread across the window") {
  RetryBudget budget;
  int spent = 0;
  // 100 requests a second for 60 s, and a retry wanted for every one of them (an outage).
  for (int second = 0; second < 60; ++second) {
    for (int i = 0; i < 100; ++i) {
      const TimePoint now = t0 + std::chrono::seconds{second} + std::chrono::milliseconds{i * 10};
      budget.record_request(now);
      if (budget.try_spend_retry(now)) ++spent;
    }
  }
  // 20 % of 6000 plus at most the floor's 3 a second.
  CHECK(spent >= 1200);
  CHECK(spent <= 1200 + 3 * 60);
  auto totals = budget.window_totals(t0 + 59s);
  CHECK(totals.requests == 1000);
  CHECK(totals.retries <= 200 + 3 * 10);
}

TEST_CASE("a quiet target can still retry at the floor's rate") {
  RetryBudget budget;
  budget.record_request(t0);
  CHECK(spend_all(budget, t0) == 3);  // 20 % of one request would be none
  CHECK(spend_all(budget, t0 + 999ms) == 0);
  CHECK(spend_all(budget, t0 + 1s) == 3);  // a new second, a new floor
  CHECK(spend_all(budget, t0 + 2500ms) == 3);
}

TEST_CASE("the floor can be turned off") {
  RetryBudget budget({0.2, 0, 10s});
  requests(budget, 4, t0);
  CHECK_FALSE(budget.try_spend_retry(t0));
  budget.record_request(t0);
  CHECK(spend_all(budget, t0) == 1);  // 20 % of 5
}

TEST_CASE("the window slides: old requests stop paying for retries") {
  RetryBudget budget({0.2, 0, 10s});
  requests(budget, 100, t0);
  CHECK(spend_all(budget, t0) == 20);
  CHECK(spend_all(budget, t0 + 9s) == 0);  // still spent
  CHECK(budget.window_totals(t0 + 9900ms).requests == 100);
  CHECK(budget.window_totals(t0 + 10s).requests == 0);  // the first second left the window
  CHECK(spend_all(budget, t0 + 10s) == 0);              // and its requests pay for nothing any more
  requests(budget, 50, t0 + 10s);
  CHECK(spend_all(budget, t0 + 10s) == 10);  // the old retries left too: a clean 20 % of 50
}

TEST_CASE("a bucket is reused after a long pause") {
  RetryBudget budget({0.5, 0, 3s});
  requests(budget, 10, t0);
  CHECK(budget.window_totals(t0 + 1h).requests == 0);
  requests(budget, 2, t0 + 1h);  // maps onto the same bucket as t0
  CHECK(budget.window_totals(t0 + 1h).requests == 2);
  CHECK(spend_all(budget, t0 + 1h) == 1);
}

TEST_CASE("concurrent spenders never exceed the budget") {
  RetryBudget budget({0.2, 0, 10s});
  requests(budget, 500, t0);
  std::atomic<int> spent{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (budget.try_spend_retry(t0)) ++spent;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(spent == 100);
}

// record_request counts lock-free into the current second's bucket: no request may be lost,
// including the first ones of a second, which take the locked path that installs the bucket.
TEST_CASE("requests recorded from several threads at once are all counted") {
  RetryBudget budget;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) budget.record_request(t0 + std::chrono::seconds(i / 1000));
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(budget.window_totals(t0 + 5s).requests == 20000);
}
