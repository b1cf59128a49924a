// ConnectionQuota: the bookkeeping of an upstream connection limit (nginx's max_conns, HAProxy's
// maxconn with its queue) — how many connections are open, and who waits for one, first come
// first served.
//
// A connection slot is taken before connecting and given back when the connection closes. When
// every slot is taken, a waiter queues; a slot given back goes straight to the oldest waiter (the
// count stays), so a newcomer cannot overtake the queue. A waiter that gives up (its queue timeout)
// is cancelled; cancel() says whether it was still waiting, so a slot handed over at the same
// moment is never lost. Plain bookkeeping: the caller serializes the calls (a mutex) and wakes the
// waiter that give_back() names.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

namespace strangler {

class ConnectionQuota {
 public:
  // `max` 0: unlimited (every take succeeds, nobody ever waits).
  explicit ConnectionQuota(int max) : max_(max > 0 ? max : 0) {}

  // Takes a slot when one is free and nobody waits for one.
  bool try_take();
  // Queues `waiter` (an id of the caller's choosing) for the next slot given back.
  void enqueue(std::uint64_t waiter);
  // Removes a waiter that gives up. False when it is not queued (a slot was handed to it).
  bool cancel(std::uint64_t waiter);
  // A slot comes back: it goes to the oldest waiter, whose id is returned, or becomes free.
  std::optional<std::uint64_t> give_back();

  int max() const { return max_; }
  int taken() const { return taken_; }
  int waiting() const { return static_cast<int>(waiters_.size()); }

 private:
  int max_;
  int taken_ = 0;
  std::deque<std::uint64_t> waiters_;
};

}  // namespace strangler
