// Bulkhead: caps the requests in flight to one target, so a slow target cannot take every
// connection and thread of the proxy with it (its excess goes to the fallback or gets a 503).
//
// One per target, shared by all I/O threads. try_enter() returns a Permit that releases its slot
// when destroyed (or moved from and then destroyed): hold it for the whole upstream exchange.
// Lock-free: an atomic counter raised by compare-exchange only while below the limit, so the
// count never exceeds `max_concurrent`, even transiently. The Bulkhead must outlive its permits
// (keep the per-target state in a shared_ptr that the request holds).
#pragma once

#include <atomic>
#include <utility>

namespace strangler {

class Bulkhead {
 public:
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Permit& operator=(Permit&& other) noexcept {
      if (this != &other) {
        release();
        owner_ = std::exchange(other.owner_, nullptr);
      }
      return *this;
    }
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { release(); }

    // False for the empty permit try_enter returns when the bulkhead is full.
    explicit operator bool() const { return owner_ != nullptr; }

    // Gives the slot back early; the permit is empty afterwards.
    void release() {
      if (owner_ != nullptr) std::exchange(owner_, nullptr)->in_flight_.fetch_sub(1);
    }

   private:
    friend class Bulkhead;
    explicit Permit(Bulkhead* owner) : owner_(owner) {}
    Bulkhead* owner_ = nullptr;
  };

  // 0 (or less) means unlimited; in_flight() is still counted for the metrics.
  explicit Bulkhead(int max_concurrent) : max_(max_concurrent > 0 ? max_concurrent : 0) {}

  Bulkhead(const Bulkhead&) = delete;
  Bulkhead& operator=(const Bulkhead&) = delete;

  // A permit, or an empty one when `max_concurrent` calls are already in flight.
  Permit try_enter() {
    int current = in_flight_.load(std::memory_order_relaxed);
    do {
      if (max_ != 0 && current >= max_) return Permit{};
    } while (!in_flight_.compare_exchange_weak(current, current + 1));
    return Permit{this};
  }

  int in_flight() const { return in_flight_.load(); }
  int max_concurrent() const { return max_; }

 private:
  const int max_;
  std::atomic<int> in_flight_{0};
};

}  // namespace strangler
