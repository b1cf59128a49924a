// ShadowTap and ShadowHandoff; see shadow_tap.h.
#include "router/shadow/shadow_tap.h"

#include <utility>

#include "router/http/forwarding_headers.h"
#include "router/shadow/compare/shadow_sampler.h"
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

ShadowTap::ShadowTap(const RoutedRequest& routed, std::size_t capture_limit) {
  job_.state = routed.state;
  job_.route = routed.match->route;
  job_.route_slot = routed.match->slot;
  job_.primary_index = routed.target_index;
  job_.shadow_index = routed.match->shadow_index;
  job_.request.target = routed.upstream_target;
  request_body_.limit = capture_limit;
  response_body_.limit = capture_limit;
}

void ShadowTap::on_request_head(const http::request_header<>& request) {
  job_.request.method = std::string(to_std(request.method_string()));
  job_.request.headers = copy_fields(request);
}

void ShadowTap::on_response_head(const http::response_header<>& response) {
  job_.primary.status = response.result_int();
  job_.primary.headers = copy_fields(response);
}

ShadowHandoff::ShadowHandoff(Executor executor, ShadowDispatcher* dispatcher,
                             ThreadMetrics& metrics)
    : dispatcher_(dispatcher), metrics_(metrics), timer_(executor) {}

std::optional<ShadowTap> ShadowHandoff::tap(const RoutedRequest& routed, std::string_view method,
                                            std::string_view path, std::string_view query) {
  const auto& match = *routed.match;
  if (!dispatcher_ || !match.route || !match.route->shadow) return std::nullopt;
  if (match.shadow_index == kNoTarget || match.shadow_index == routed.target_index) {
    return std::nullopt;
  }
  const auto& shadow = *match.route->shadow;
  if (!shadow.methods.admits(method) || !shadow_sampled(method, path, query, shadow.percent)) {
    return std::nullopt;
  }
  if (!dispatcher_->has_room()) {
    count_loss(*match.route, 1, 0);
    return std::nullopt;
  }
  return ShadowTap(routed, dispatcher_->settings().max_body);
}

void ShadowHandoff::finish(ShadowTap&& tap) {
  const Route& route = *tap.job_.route;
  if (!tap.complete_ || tap.request_body_.overflow) {
    count_loss(route, 0, 1);
    return;
  }
  ShadowJob job = std::move(tap.job_);
  job.request.body = std::move(tap.request_body_.data);
  job.primary.body = std::move(tap.response_body_.data);
  job.primary.body_truncated = tap.response_body_.overflow;
  job.primary.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - tap.routed_at_)
          .count();
  job.at = utc_now_rfc3339();
  if (!dispatcher_->reserve()) {
    count_loss(route, 1, 0);
    return;
  }
  jobs_.push_back(std::move(job));
  schedule();
}

void ShadowHandoff::count_loss(const Route& route, std::int64_t dropped, std::int64_t skipped) {
  losses_.add(route, dropped, skipped);
  schedule();
}

void ShadowHandoff::schedule() {
  if (armed_) return;
  armed_ = true;
  timer_.expires_after(kHandoffDelay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    armed_ = false;
    if (!ec) flush();  // else shutting down
  });
}

void ShadowHandoff::flush() {
  if (!jobs_.empty()) dispatcher_->submit(std::exchange(jobs_, {}));
  auto sums = losses_.take();
  for (const auto& sum : sums) {
    metrics_.record_shadow_losses(sum.route, static_cast<std::uint64_t>(sum.dropped),
                                  static_cast<std::uint64_t>(sum.skipped));
  }
  if (!sums.empty()) dispatcher_->report_losses(sums);
}

}  // namespace strangler
