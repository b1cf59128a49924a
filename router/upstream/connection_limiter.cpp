// ConnectionLimiter; see connection_limiter.h.
#include "router/upstream/connection_limiter.h"

namespace strangler {

ConnectionLimiter::Slot& ConnectionLimiter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    if (owner_) owner_->give_back();
    owner_ = std::move(other.owner_);
  }
  return *this;
}

ConnectionLimiter::Slot::~Slot() {
  if (owner_) owner_->give_back();
}

ConnectionLimiter::ConnectionLimiter(int max, std::chrono::milliseconds queue_timeout)
    : max_(max), queue_timeout_ms_(queue_timeout.count()), quota_(max) {}

ConnectionLimiter::Slot ConnectionLimiter::try_take() {
  std::lock_guard lock(mutex_);
  return quota_.try_take() ? Slot(shared_from_this()) : Slot();
}

Task<ConnectionLimiter::Slot> ConnectionLimiter::acquire(Executor executor) {
  auto self = shared_from_this();
  auto state = std::make_shared<WaitState>();
  Timer timer(executor);
  std::uint64_t id = 0;
  std::chrono::milliseconds timeout{0};
  {
    std::lock_guard lock(mutex_);
    if (quota_.try_take()) co_return Slot(self);
    timeout = queue_timeout();
    if (timeout.count() == 0) co_return Slot();
    id = next_waiter_++;
    quota_.enqueue(id);
    state->timer = &timer;
    waiters_.emplace(id, Waiter{executor, state});
    ask_idle_holder();
  }
  timer.expires_after(timeout);
  boost::system::error_code ec;
  co_await timer.async_wait(use_ec(ec));
  state->timer = nullptr;  // same executor as the wake-up: no race
  if (state->granted) co_return Slot(self);
  std::lock_guard lock(mutex_);
  if (quota_.cancel(id)) {
    waiters_.erase(id);
    co_return Slot();
  }
  // Handed a slot just as the wait ended; its wake-up is still on its way.
  co_return Slot(self);
}

void ConnectionLimiter::give_back() {
  std::unique_lock lock(mutex_);
  auto next = quota_.give_back();
  if (!next) return;
  auto found = waiters_.find(*next);
  Waiter waiter = std::move(found->second);
  waiters_.erase(found);
  lock.unlock();
  asio::post(waiter.executor, [state = std::move(waiter.state)] {
    if (!state->timer) return;  // the wait ended first; it finds itself served
    state->granted = true;
    state->timer->cancel();
  });
}

void ConnectionLimiter::add_idle(const void* holder, const IdleHolder& how, int delta) {
  std::lock_guard lock(mutex_);
  auto found = holders_.find(holder);
  if (found == holders_.end()) found = holders_.emplace(holder, Holder{how, 0}).first;
  auto& entry = found->second;
  entry.idle += delta;
  if (entry.idle <= 0) {
    holders_.erase(found);
  } else if (delta > 0 && quota_.waiting() > 0) {
    ask_idle_holder();
  }
}

void ConnectionLimiter::ask_idle_holder() {
  // One idle connection closed frees one slot, for the waiter just queued.
  for (auto& [key, holder] : holders_) {
    if (holder.idle <= 0) continue;
    asio::post(holder.how.executor, holder.how.close_one);
    return;
  }
}

bool ConnectionLimiter::has_waiters() const {
  std::lock_guard lock(mutex_);
  return quota_.waiting() > 0;
}

int ConnectionLimiter::waiting() const {
  std::lock_guard lock(mutex_);
  return quota_.waiting();
}

int ConnectionLimiter::open() const {
  std::lock_guard lock(mutex_);
  return quota_.taken();
}

}  // namespace strangler
