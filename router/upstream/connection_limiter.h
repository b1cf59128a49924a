// ConnectionLimiter: a target's --max-connections across every I/O thread, with the bounded FIFO
// queue of --queue-timeout-ms (nginx's max_conns, HAProxy's maxconn and timeout queue). A
// thread-per-connection monolith is starved by an upstream that opens as many connections as it
// likes; this caps them, idle pooled ones included, and makes the excess requests wait.
//
// One per TargetRuntime (null when unlimited), shared by the I/O threads; the counting is a
// ConnectionQuota (router/resilience) under a mutex. A connection holds a Slot for its whole life
// (UpstreamConnection::slot): closing the connection gives the slot back, which wakes the oldest
// waiter on its own executor. Waiting never blocks a thread: the waiter's coroutine sleeps on a
// timer that the queue timeout ends, or that a slot handed over cancels.
//
// Idle connections hold slots too, so a request waiting while another thread's pool keeps idle
// connections asks that pool to close one (an IdleHolder registered by the pool); a pool that
// takes a connection back while requests wait closes it instead of keeping it idle.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "router/net/asio.h"
#include "router/resilience/connection_quota.h"

namespace strangler {

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  // A taken slot; gives it back when destroyed. Empty when the wait timed out.
  class Slot {
   public:
    Slot() = default;
    explicit Slot(std::shared_ptr<ConnectionLimiter> owner) : owner_(std::move(owner)) {}
    Slot(Slot&&) noexcept = default;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

    explicit operator bool() const { return owner_ != nullptr; }
    ConnectionLimiter* owner() const { return owner_.get(); }

   private:
    std::shared_ptr<ConnectionLimiter> owner_;
  };

  // A pool that keeps idle connections under this limiter, asked (on its executor) to close one.
  struct IdleHolder {
    Executor executor;
    std::function<void()> close_one;  // runs on `executor`
  };

  ConnectionLimiter(int max, std::chrono::milliseconds queue_timeout);

  // A slot when one is free and nobody waits for one, else an empty one (no waiting).
  Slot try_take();
  // A slot, at once when one is free and nobody waits, else after waiting in line up to the
  // queue timeout (an empty slot then). `executor`: the caller's, where it is woken.
  Task<Slot> acquire(Executor executor);

  // Pools report the idle connections they keep under this limiter (`holder` identifies the
  // pool; `delta` +1 or -1). A pool whose count drops to 0 is forgotten.
  void add_idle(const void* holder, const IdleHolder& how, int delta);
  // Whether requests wait for a slot (a connection coming back should then be closed).
  bool has_waiters() const;

  int max() const { return max_; }
  std::chrono::milliseconds queue_timeout() const {
    return std::chrono::milliseconds(queue_timeout_ms_.load(std::memory_order_relaxed));
  }
  // A changed --queue-timeout-ms with the same limit keeps the limiter (target_runtime.cpp).
  void set_queue_timeout(std::chrono::milliseconds timeout) {
    queue_timeout_ms_.store(timeout.count(), std::memory_order_relaxed);
  }
  int waiting() const;
  int open() const;

 private:
  struct WaitState {
    Timer* timer = nullptr;  // null once the waiter is done: nothing left to wake
    bool granted = false;
  };
  struct Waiter {
    Executor executor;
    std::shared_ptr<WaitState> state;
  };
  struct Holder {
    IdleHolder how;
    int idle = 0;
  };

  void give_back();
  void ask_idle_holder();  // caller holds mutex_

  const int max_;
  std::atomic<std::chrono::milliseconds::rep> queue_timeout_ms_;
  mutable std::mutex mutex_;
  ConnectionQuota quota_;
  std::unordered_map<std::uint64_t, Waiter> waiters_;
  std::map<const void*, Holder> holders_;
  std::uint64_t next_waiter_ = 1;
};

}  // namespace strangler
