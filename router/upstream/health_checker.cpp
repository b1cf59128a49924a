// HealthChecker; see health_checker.h.
#include "router/upstream/health_checker.h"

#include <fmt/format.h>

#include <set>

#include "router/admin/log.h"
#include "rules/target_url.h"

namespace strangler {

struct HealthChecker::Probe {
  Probe(std::shared_ptr<TargetRuntime> r, Executor executor)
      : runtime(std::move(r)),
        state({runtime->target.resilience.healthy_threshold,
               runtime->target.resilience.unhealthy_threshold}),
        timer(executor) {}

  std::shared_ptr<TargetRuntime> runtime;
  HealthState state;
  Timer timer;
  bool stopped = false;
};

HealthChecker::HealthChecker(MetricsRegistry& metrics)
    : metrics_(metrics), work_(asio::make_work_guard(io_.get_executor())) {}

HealthChecker::~HealthChecker() {
  stop();
}

void HealthChecker::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { io_.run(); });
}

void HealthChecker::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void HealthChecker::follow(std::vector<std::shared_ptr<TargetRuntime>> runtimes) {
  asio::post(io_, [this, runtimes = std::move(runtimes)] { apply(runtimes); });
}

void HealthChecker::apply(const std::vector<std::shared_ptr<TargetRuntime>>& runtimes) {
  std::set<const TargetRuntime*> checked;
  std::set<std::string> names;
  for (const auto& runtime : runtimes) {
    if (runtime->target.resilience.health_path.empty()) continue;
    checked.insert(runtime.get());
    names.insert(runtime->target.name);
    if (probes_.count(runtime.get())) continue;
    auto probe = std::make_shared<Probe>(runtime, io_.get_executor());
    probes_.emplace(runtime.get(), probe);
    asio::co_spawn(io_.get_executor(), run(probe), asio::detached);
  }
  for (auto it = probes_.begin(); it != probes_.end();) {
    if (checked.count(it->first)) {
      ++it;
      continue;
    }
    auto& probe = *it->second;
    probe.stopped = true;
    probe.timer.cancel();
    if (!names.count(probe.runtime->target.name))
      metrics_.drop_target_health(probe.runtime->target.name);
    it = probes_.erase(it);
  }
}

// A check at once (a target that is down should be found before users find it), then one per
// interval, measured from the start of the previous one.
Task<void> HealthChecker::run(std::shared_ptr<Probe> probe) {
  const auto& target = probe->runtime->target;
  auto interval = std::chrono::milliseconds(target.resilience.health_interval_ms);
  while (!probe->stopped) {
    auto started = std::chrono::steady_clock::now();
    auto problem = co_await check_once(*probe->runtime);
    if (probe->stopped) break;
    bool healthy = problem.empty();
    metrics_.record_health_check(target.name, healthy);
    auto change = probe->state.on_check(healthy, std::chrono::steady_clock::now());
    if (change) {
      probe->runtime->health.store(change->to, std::memory_order_relaxed);
      metrics_.set_target_health(target.name, change->to);
      log_line(fmt::format("health {}: {} -> {}{}", target.name, to_string(change->from),
                           to_string(change->to), healthy ? "" : " (" + problem + ")"));
    }
    probe->timer.expires_at(started + interval);
    boost::system::error_code ec;
    co_await probe->timer.async_wait(use_ec(ec));
  }
}

Task<std::string> HealthChecker::check_once(const TargetRuntime& runtime) {
  const auto& target = runtime.target;
  TargetUrl url;
  try {
    url = parse_target_url(target.url);
  } catch (const std::exception& e) {
    co_return std::string("bad url");
  }
  if (url.scheme != "http") co_return std::string("tls-unsupported");
  beast::basic_stream<tcp, Executor> stream(io_.get_executor());
  stream.expires_after(std::chrono::milliseconds(target.resilience.health_timeout_ms));
  boost::system::error_code ec;
  Resolver resolver(io_.get_executor());
  auto endpoints = co_await resolver.async_resolve(url.host, std::to_string(url.port), use_ec(ec));
  if (ec) co_return std::string("resolve-failed");
  co_await stream.async_connect(endpoints, use_ec(ec));
  if (ec) {
    co_return ec == beast::error::timeout ? std::string("timeout") : std::string("connect-failed");
  }
  http::request<http::empty_body> request{http::verb::get, target.resilience.health_path, 11};
  request.set(http::field::host, url.authority);
  request.set(http::field::user_agent, "strangler-health-check");
  request.set(http::field::connection, "close");
  co_await http::async_write(stream, request, use_ec(ec));
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> response;
  if (!ec) co_await http::async_read_header(stream, buffer, response, use_ec(ec));
  if (ec) co_return ec == beast::error::timeout ? std::string("timeout") : std::string("reset");
  auto status = response.get().result_int();
  if (status >= 200 && status < 400) co_return std::string();
  co_return fmt::format("status {}", status);
}

}  // namespace strangler
