// The seam between the data path and shadowing: a ShadowTap per sampled request and a
// ShadowHandoff per I/O thread. The data path knows nothing else of the feature: the route phase
// asks the hand-off for a tap, the forwarder calls the tap's hooks as the request and the
// primary's answer stream through, and the finish phase gives the tap back. Without a tap the
// request is not shadowed; with a null dispatcher no tap is ever made.
//
// Nothing here waits for the shadow: copies leave the I/O thread in batches (see ShadowHandoff)
// and are sent, compared and stored by the ShadowDispatcher and ShadowAnalyzer on their own
// threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "router/admin/metrics.h"
#include "router/http/message_relay.h"
#include "router/routing/routed_request.h"
#include "router/shadow/shadow_job.h"
#include "router/shadow/shadow_loss_tally.h"

namespace strangler {

class ShadowDispatcher;

// One sampled request's copy of itself and of its primary's answer, filled by the forwarder.
class ShadowTap {
 public:
  ShadowTap(const RoutedRequest& routed, std::size_t capture_limit);

  // The request head as the primary receives it, after the router's rewrites: the shadow gets
  // exactly that (Host and X-Request-Id included).
  void on_request_head(const http::request_header<>& request);
  BodyCapture* request_body() { return &request_body_; }

  // The primary target's own answer, before the router rewrites it for the client; never a
  // fallback's (that is not the answer the shadow is compared with).
  void on_response_head(const http::response_header<>& response);
  BodyCapture* response_body() { return &response_body_; }
  // `complete`: the answer was relayed whole.
  void on_response_end(bool complete) { complete_ = complete; }

 private:
  friend class ShadowHandoff;

  ShadowJob job_;
  // The primary's latency is counted from here, the route phase, as the shadow's is from when
  // its copy is sent: the time the client took to send its head is neither's.
  std::chrono::steady_clock::time_point routed_at_ = std::chrono::steady_clock::now();
  BodyCapture request_body_;
  BodyCapture response_body_;
  bool complete_ = false;
};

// One I/O thread's side of the hand-off to the ShadowDispatcher. Copies and losses leave the
// thread in batches, when a timer a few milliseconds after the first item fires: one wake-up of
// the shadow thread instead of one per copy, and one lock per batch for the loss counts instead
// of one per request (at saturation nearly every sampled request is a loss).
class ShadowHandoff {
 public:
  // `dispatcher` null: shadowing is off. `metrics`: this thread's shard.
  ShadowHandoff(Executor executor, ShadowDispatcher* dispatcher, ThreadMetrics& metrics);

  // The route phase: a tap when the routed request is sampled for shadowing and its copy has a
  // chance (else the loss is counted now). Sampled by a hash of the request, so the same
  // requests are shadowed on every run; a request a split already sent to the shadow target
  // has nothing to be compared with.
  std::optional<ShadowTap> tap(const RoutedRequest& routed, std::string_view method,
                               std::string_view path, std::string_view query);

  // The finish phase, after the client has its answer: queues the copy, or counts it as
  // skipped (the primary did not answer whole, a body was over the cap) or dropped.
  void finish(ShadowTap&& tap);

 private:
  void count_loss(const Route& route, std::int64_t dropped, std::int64_t skipped);
  void schedule();
  void flush();

  ShadowDispatcher* dispatcher_;
  ThreadMetrics& metrics_;
  std::vector<ShadowJob> jobs_;  // their places in the dispatcher's queue already taken
  ShadowLossTally losses_;
  Timer timer_;
  bool armed_ = false;
};

}  // namespace strangler
