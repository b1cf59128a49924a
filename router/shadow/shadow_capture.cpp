// ClientSession, the shadow half: keep a copy of a sampled request and of its primary's answer
// while they stream through, and hand both to the ShadowDispatcher once the client has its
// answer; see client_session.h. Nothing here waits for the shadow.
#include <utility>

#include "router/edge/client_session.h"
#include "router/http/forwarding_headers.h"
#include "router/shadow/shadow_dispatcher.h"
#include "rules/utc_time.h"

namespace strangler {

namespace {

constexpr std::chrono::milliseconds kHandoffDelay{5};

template <typename Fields>
std::vector<std::pair<std::string, std::string>> copy_fields(const Fields& fields) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& field : fields) {
    out.emplace_back(std::string(to_std(field.name_string())), std::string(to_std(field.value())));
  }
  return out;
}

}  // namespace

// Called with the header as the primary receives it, after the router's rewrites: the shadow
// gets exactly that (Host and X-Request-Id included), plus X-Strangler-Shadow.
void ClientSession::capture_request(const http::request_header<>& request) {
  auto& copy = ctx_.shadow->request;
  copy.method = std::string(to_std(request.method_string()));
  copy.target = ctx_.upstream_target;
  copy.headers = copy_fields(request);
}

// Called with the upstream's header before the router rewrites it for the client.
void ClientSession::capture_response(const http::response_header<>& response) {
  ctx_.shadow->response.status = response.result_int();
  ctx_.shadow->response.headers = copy_fields(response);
}

// Shadow work leaves this thread in batches, when a timer kHandoffDelay after the first item
// fires: one hand-off to the shadow thread (one wake-up instead of one per copy, which with spare
// CPU is every sampled request) and one report of losses per route (one lock per batch instead of
// a lock and a route string per request, which at saturation is every sampled request).
void ClientSession::schedule_shadow_handoff() {
  auto& worker = worker_;
  if (worker.shadow_handoff_armed) return;
  worker.shadow_handoff_armed = true;
  worker.shadow_handoff.expires_after(kHandoffDelay);
  worker.shadow_handoff.async_wait([&worker](const boost::system::error_code& ec) {
    worker.shadow_handoff_armed = false;
    if (ec) return;  // shutting down
    if (!worker.shadow_jobs.empty()) {
      worker.shadow->submit(std::exchange(worker.shadow_jobs, {}));
    }
    auto sums = worker.shadow_losses.take();
    for (const auto& sum : sums) {
      worker.metrics.record_shadow_losses(sum.route, static_cast<std::uint64_t>(sum.dropped),
                                          static_cast<std::uint64_t>(sum.skipped));
    }
    if (!sums.empty()) worker.shadow->report_losses(sums);
  });
}

void ClientSession::count_shadow_loss(const Route& route, std::int64_t dropped,
                                      std::int64_t skipped) {
  worker_.shadow_losses.add(route, dropped, skipped);
  schedule_shadow_handoff();
}

void ClientSession::hand_off_shadow() {
  auto& capture = *ctx_.shadow;
  const Route& route = *ctx_.route->route;
  if (!capture.complete || capture.request_body.overflow) {
    count_shadow_loss(route, 0, 1);
    return;
  }
  ShadowJob job;
  job.state = ctx_.state;
  job.route = &route;
  job.primary_index = ctx_.target_index;
  job.shadow_index = ctx_.route->shadow_index;
  job.request = std::move(capture.request);
  job.request.body = std::move(capture.request_body.data);
  job.primary = std::move(capture.response);
  job.primary.body = std::move(capture.response_body.data);
  job.primary.body_truncated = capture.response_body.overflow;
  job.primary.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ctx_.started)
          .count();
  job.at = utc_now_rfc3339();
  if (!worker_.shadow->reserve()) {
    count_shadow_loss(route, 1, 0);
    return;
  }
  worker_.shadow_jobs.push_back(std::move(job));
  schedule_shadow_handoff();
}

}  // namespace strangler
