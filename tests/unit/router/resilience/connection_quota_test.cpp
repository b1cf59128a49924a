// The bookkeeping of an upstream connection limit and its FIFO queue.
#include <doctest/doctest.h>

#include <string>

#include "router/resilience/connection_quota.h"

using namespace strangler;

TEST_CASE("unlimited takes every slot and never queues") {
  ConnectionQuota quota(0);
  for (int i = 0; i < 1000; ++i) CHECK(quota.try_take());
  CHECK(quota.taken() == 1000);
  CHECK_FALSE(quota.give_back());
  CHECK(quota.taken() == 999);
}

TEST_CASE("at most max slots are taken; a given-back slot is free again") {
  ConnectionQuota quota(2);
  CHECK(quota.try_take());
  CHECK(quota.try_take());
  CHECK_FALSE(quota.try_take());
  CHECK(quota.taken() == 2);
  CHECK_FALSE(quota.give_back());
  CHECK(quota.taken() == 1);
  CHECK(quota.try_take());
  CHECK_FALSE(quota.try_take());
}

TEST_CASE("a slot given back goes to the oldest waiter, not to a newcomer") {
  ConnectionQuota quota(1);
  REQUIRE(quota.try_take());
  quota.enqueue(7);
  quota.enqueue(8);
  CHECK(quota.waiting() == 2);
  CHECK(quota.give_back() == 7u);
  CHECK(quota.taken() == 1);      // handed over, still taken
  CHECK_FALSE(quota.try_take());  // 8 is still queued: no overtaking
  CHECK(quota.give_back() == 8u);
  CHECK(quota.waiting() == 0);
  CHECK_FALSE(quota.give_back());
  CHECK(quota.taken() == 0);
}

TEST_CASE("a cancelled waiter leaves the queue; cancelling a served one says so") {
  ConnectionQuota quota(1);
  REQUIRE(quota.try_take());
  quota.enqueue(1);
  quota.enqueue(2);
  quota.enqueue(3);
  CHECK(quota.cancel(2));
  CHECK_FALSE(quota.cancel(2));
  CHECK(quota.give_back() == 1u);
  CHECK_FALSE(quota.cancel(1));  // it got the slot: the caller must give it back
  CHECK(quota.give_back() == 3u);
  CHECK(quota.cancel(42) == false);
  CHECK_FALSE(quota.give_back());
  CHECK(quota.taken() == 0);
}

TEST_CASE("the count never exceeds max over a sequence of takes, waits and give-backs") {
  // Each row: max, then operations: 't' take (or queue the next id when full), 'g' give back,
  // 'c' cancel the newest waiter; the expected taken count after each.
  struct Row {
    int max;
    const char* ops;
    const char* taken;
  };
  const Row rows[] = {
      {1, "ttgg", "1110"},
      {2, "tttgcg", "122221"},
      {2, "tttcg", "12221"},
      {3, "tttttggggg", "1233333210"},
  };
  for (const auto& row : rows) {
    std::string ops = row.ops;
    CAPTURE(ops);
    ConnectionQuota quota(row.max);
    std::uint64_t next_id = 1;
    std::uint64_t newest = 0;
    std::string seen;
    for (const char* op = row.ops; *op; ++op) {
      if (*op == 't' && !quota.try_take()) quota.enqueue(newest = next_id++);
      if (*op == 'g') quota.give_back();
      if (*op == 'c') quota.cancel(newest);
      CHECK(quota.taken() <= row.max);
      seen += static_cast<char>('0' + quota.taken());
    }
    CHECK(seen == row.taken);
  }
}
