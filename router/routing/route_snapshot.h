// RouteSnapshot: the routing state (route table and target runtimes) the I/O threads read,
// published by the rules reloader.
//
// Publishing stores the new table and then bumps a generation counter. Each I/O thread keeps its
// own shared_ptr copy (RouteSnapshotReader) and re-reads the shared pointer only when the
// generation moved, so the request path costs one relaxed atomic load: no lock, no contended
// reference count. A request keeps the shared_ptr it started with, so in-flight requests finish
// on the table they were routed by.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "router/routing/target_runtime.h"

namespace strangler {

class RouteSnapshot {
 public:
  void publish(std::shared_ptr<const RoutingState> table) {
    {
      std::lock_guard lock(mutex_);
      table_ = std::move(table);
    }
    generation_.fetch_add(1, std::memory_order_release);
  }

  std::shared_ptr<const RoutingState> load() const {
    std::lock_guard lock(mutex_);
    return table_;
  }

  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;  // taken only on publish and on a reader's refresh
  std::shared_ptr<const RoutingState> table_;
  std::atomic<std::uint64_t> generation_{0};
};

// One per I/O thread; not thread-safe by design.
class RouteSnapshotReader {
 public:
  explicit RouteSnapshotReader(const RouteSnapshot& snapshot) : snapshot_(snapshot) {}

  const std::shared_ptr<const RoutingState>& current() {
    auto generation = snapshot_.generation();
    if (generation != seen_) {
      cached_ = snapshot_.load();
      seen_ = generation;
    }
    return cached_;
  }

 private:
  const RouteSnapshot& snapshot_;
  std::uint64_t seen_ = ~std::uint64_t{0};
  std::shared_ptr<const RoutingState> cached_;
};

}  // namespace strangler
