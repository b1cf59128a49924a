// ShadowDispatcher; see shadow_dispatcher.h.
#include "router/shadow/shadow_dispatcher.h"

#include "router/shadow/background_thread.h"
#include "router/shadow/shadow_exchange.h"

namespace strangler {

namespace {

bool is_safe(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

}  // namespace

ShadowDispatcher::ShadowDispatcher(ShadowSettings settings, ThreadMetrics& metrics,
                                   ShadowAnalyzer& analyzer)
    : settings_(settings),
      metrics_(metrics),
      analyzer_(analyzer),
      io_(1),
      work_(io_.get_executor()),
      pool_(io_.get_executor(), pool_limits(settings.upstream_idle_timeout), metrics) {}

ShadowDispatcher::~ShadowDispatcher() {
  stop();
}

void ShadowDispatcher::start() {
  thread_ = std::thread([this] {
    become_background_thread("shadow-send", settings_.priority);
    io_.run();
  });
}

void ShadowDispatcher::stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

bool ShadowDispatcher::reserve() {
  if (queued_.fetch_add(1, std::memory_order_relaxed) >= settings_.queue_capacity) {
    queued_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void ShadowDispatcher::submit(std::vector<ShadowJob> jobs) {
  asio::post(io_, [this, jobs = std::move(jobs)]() mutable {
    queued_.fetch_sub(jobs.size(), std::memory_order_relaxed);
    for (auto& job : jobs) asio::co_spawn(io_, run(std::move(job)), asio::detached);
  });
}

Task<void> ShadowDispatcher::run(ShadowJob job) {
  const auto& table = *job.state->table;
  const auto& shadow_target = table.target(job.shadow_index);
  // The route's own breaker for the shadow target, when its client traffic goes there too (a
  // split): copies stop while it is open.
  auto state = BreakerState::closed;
  if (auto* breaker = job.state->breakers->find(job.route_slot, job.shadow_index)) {
    state = breaker->breaker.snapshot(std::chrono::steady_clock::now()).state;
  }
  int& in_flight = in_flight_[shadow_target.target.name];
  if (state != BreakerState::closed || in_flight >= settings_.max_in_flight_per_target) {
    analyzer_.count_dropped(*job.route, metrics_);
    co_return;
  }
  ++in_flight;
  struct Release {
    int& n;
    ~Release() { --n; }
  } release{in_flight};
  ShadowResult result;
  auto reply = co_await send_copy(pool_, shadow_target, job.request, {"X-Strangler-Shadow", "1"},
                                  settings_.max_body);
  if (reply.ok) {
    result.shadow = std::move(reply.response);
  } else {
    result.error = std::move(reply.error);
  }
  if (reply.ok && job.route->shadow->noise_check && is_safe(job.request.method)) {
    auto again = co_await send_copy(pool_, table.target(job.primary_index), job.request,
                                    {"X-Strangler-Noise-Check", "1"}, settings_.max_body);
    if (again.ok) result.primary_again = std::move(again.response);
  }
  result.job = std::move(job);
  analyzer_.submit(std::move(result));
}

}  // namespace strangler
