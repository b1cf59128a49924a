// ShadowDispatcher: sends shadow copies from a thread of their own, so that shadow load never
// competes with client requests on the I/O threads' event loops.
//
// I/O threads call submit() after the client has its whole answer. The hand-off is bounded: at
// most `queue_capacity` copies wait, and each shadow target has at most
// `max_in_flight_per_target` copies outstanding; beyond either, and while the route's breaker for
// the shadow target (when a split sends it client traffic) is not closed, a copy is dropped and
// counted. Shadow copies have their own upstream
// pool; their outcomes never touch the client's answer and are not reported to the shadow
// target's breaker (client traffic alone decides its state).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <unordered_map>

#include "router/admin/metrics.h"
#include "router/net/asio.h"
#include "router/shadow/background_thread.h"
#include "router/shadow/shadow_analyzer.h"
#include "router/shadow/shadow_job.h"
#include "router/upstream/upstream_pool.h"

namespace strangler {

struct ShadowSettings {
  std::size_t max_body = 1024 * 1024;  // request bodies mirrored; also caps captured answers
  std::size_t queue_capacity = 1000;
  int max_in_flight_per_target = 64;
  BackgroundPriority priority = BackgroundPriority::idle;
  std::chrono::milliseconds upstream_idle_timeout{60000};  // the shadow pool's, as the proxy's
};

class ShadowDispatcher {
 public:
  // `metrics`: a shard for the shadow thread alone.
  ShadowDispatcher(ShadowSettings settings, ThreadMetrics& metrics, ShadowAnalyzer& analyzer);
  ~ShadowDispatcher();

  void start();
  // Abandons copies still waiting or in flight (they are shadows; nobody waits for them).
  void stop();

  const ShadowSettings& settings() const { return settings_; }

  // Any I/O thread; never blocks. Takes a place in the queue for a copy the caller will submit;
  // false when the queue is full: the copy is dropped, and the caller counts it.
  bool reserve();
  // Any I/O thread: copies whose places were reserved, sent as the shadow thread gets to them.
  void submit(std::vector<ShadowJob> jobs);
  // Any I/O thread: true when a copy submitted now would not be dropped for a full queue, so a
  // request is captured only when its copy has a chance (else it is counted as dropped at once).
  bool has_room() const {
    return queued_.load(std::memory_order_relaxed) < settings_.queue_capacity;
  }
  // Any I/O thread: copies it dropped or skipped, summed (see ShadowLossTally), for the stored
  // tallies. The caller has counted them in its own metrics shard.
  void report_losses(const std::vector<ShadowTally>& sums) { analyzer_.add_losses(sums); }

 private:
  Task<void> run(ShadowJob job);

  const ShadowSettings settings_;
  ThreadMetrics& metrics_;
  ShadowAnalyzer& analyzer_;
  // Declared before io_ so that it outlives it: copies still in flight when the dispatcher stops
  // are destroyed with io_, and their guards decrement these counts as they go.
  std::unordered_map<std::string, int> in_flight_;  // by shadow target; shadow thread only
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  UpstreamPool pool_;
  std::atomic<std::size_t> queued_{0};
  std::thread thread_;
};

}  // namespace strangler
