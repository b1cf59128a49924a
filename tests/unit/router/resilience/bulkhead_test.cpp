// The bulkhead: a hard cap on calls in flight, released by RAII permits.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "router/resilience/bulkhead.h"

using namespace strangler;

TEST_CASE("admits up to the limit, then refuses") {
  Bulkhead bulkhead(2);
  auto a = bulkhead.try_enter();
  auto b = bulkhead.try_enter();
  auto c = bulkhead.try_enter();
  CHECK(a);
  CHECK(b);
  CHECK_FALSE(c);
  CHECK(bulkhead.in_flight() == 2);
  CHECK(bulkhead.max_concurrent() == 2);
}

TEST_CASE("a permit frees its slot when destroyed or released") {
  Bulkhead bulkhead(1);
  {
    auto permit = bulkhead.try_enter();
    REQUIRE(permit);
    CHECK_FALSE(bulkhead.try_enter());
  }
  CHECK(bulkhead.in_flight() == 0);
  auto permit = bulkhead.try_enter();
  REQUIRE(permit);
  permit.release();
  CHECK_FALSE(permit);
  CHECK(bulkhead.in_flight() == 0);
  permit.release();  // twice is harmless
  CHECK(bulkhead.in_flight() == 0);
  CHECK(bulkhead.try_enter());
}

TEST_CASE("moving a permit moves the slot, not a copy of it") {
  Bulkhead bulkhead(1);
  auto first = bulkhead.try_enter();
  Bulkhead::Permit moved(std::move(first));
  CHECK(moved);
  CHECK(bulkhead.in_flight() == 1);

  Bulkhead::Permit assigned;
  assigned = std::move(moved);
  CHECK(assigned);
  CHECK(bulkhead.in_flight() == 1);

  Bulkhead other(1);
  assigned = other.try_enter();  // assigning over a held permit releases the old slot
  CHECK(bulkhead.in_flight() == 0);
  CHECK(other.in_flight() == 1);
}

TEST_CASE("zero means unlimited, but still counted") {
  Bulkhead bulkhead(0);
  std::vector<Bulkhead::Permit> permits;
  for (int i = 0; i < 1000; ++i) permits.push_back(bulkhead.try_enter());
  CHECK(permits.back());
  CHECK(bulkhead.in_flight() == 1000);
  permits.clear();
  CHECK(bulkhead.in_flight() == 0);
  CHECK(Bulkhead(-3).max_concurrent() == 0);
}

TEST_CASE("concurrent threads never exceed the limit") {
  constexpr int limit = 3;
  Bulkhead bulkhead(limit);
  std::atomic<int> inside{0};
  std::atomic<int> peak{0};
  std::atomic<int> entered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        auto permit = bulkhead.try_enter();
        if (!permit) continue;
        ++entered;
        const int now_inside = ++inside;
        int seen = peak.load();
        while (now_inside > seen && !peak.compare_exchange_weak(seen, now_inside)) {
        }
        CHECK_LE(bulkhead.in_flight(), limit);
        --inside;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(peak <= limit);
  CHECK(peak >= 1);
  CHECK(entered > 0);
  CHECK(bulkhead.in_flight() == 0);
}
