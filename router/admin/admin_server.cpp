// AdminServer; see admin_server.h.
#include "router/admin/admin_server.h"

#include <httplib.h>

#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "router/admin/log.h"
#include "router/admin/prometheus_text.h"
#include "rules/rule_json.h"
#include "rules/utc_time.h"

namespace strangler {

namespace {

// A POST to the admin API carries no data; a body, if any, is read and dropped. Taking the body
// in the handler lets a plain `curl -X POST` (no Content-Length: no body, RFC 9112) through:
// httplib would otherwise wait for a body that never comes and answer 400.
void skip_body(const httplib::Request& req, const httplib::ContentReader& body) {
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) return;
  body([](const char*, std::size_t) { return true; });
}

// Every admin error has a JSON body, also where httplib answers by itself (no such endpoint,
// wrong method, a malformed request).
void fill_error_body(httplib::Response& res) {
  if (!res.body.empty()) return;
  const char* what = res.status == 404   ? "no such admin endpoint"
                     : res.status == 405 ? "method not allowed"
                     : res.status < 500  ? "bad request"
                                         : "internal error";
  res.set_content(Json({{"error", what}, {"status", res.status}}).dump(2) + "\n",
                  "application/json");
}

Json route_table_json(const RouteTable& table) {
  Json targets = Json::array();
  for (const auto& t : table.rules().targets) targets.push_back(target_to_json(t));
  Json routes = Json::array();
  for (const auto& r : table.rules().routes) routes.push_back(route_to_json(r));
  return {{"version", table.version()}, {"targets", targets}, {"routes", routes}};
}

void reply_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(2) + "\n", "application/json");
}

// The rules being served, and whether they are stale: the database could not be read since.
Json rules_json(const ReadinessState& state) {
  Json rules = {{"version", state.version}, {"loaded_at", state.loaded_at}, {"stale", false}};
  if (!state.problem.empty()) {
    rules["stale"] = true;
    rules["stale_since"] = state.problem_since;
    rules["problem"] = state.problem;
  }
  return rules;
}

// /healthz: the process is alive. It also says what the router serves, stale rules included.
Json health_json(const Readiness& readiness) {
  auto state = readiness.get();
  Json body = {{"status", "alive"}, {"draining", readiness.draining()}};
  body["rules"] = state.loaded ? rules_json(state) : Json(nullptr);
  return body;
}

// /readyz: whether the router can serve traffic. Stale rules still serve, so they leave it ready:
// a shared database's hiccup must not pull every router out of the load balancer at once.
std::pair<bool, Json> readiness_json(const Readiness& readiness) {
  auto state = readiness.get();
  if (readiness.draining()) {
    return {false, {{"ready", false}, {"reason", "draining: the router is shutting down"}}};
  }
  if (!state.loaded) return {false, {{"ready", false}, {"reason", "no rule set loaded yet"}}};
  Json body = {{"ready", true}, {"rules_version", state.version}, {"loaded_at", state.loaded_at}};
  if (!state.problem.empty()) {
    body["rules_stale"] = true;
    body["reason"] = "serving the last good rules; the database cannot be read: " + state.problem;
  }
  return {true, body};
}

}  // namespace

AdminServer::AdminServer(const ListenAddress& address, const RouteSnapshot& snapshot,
                         const Readiness& readiness, TargetRuntimes& runtimes,
                         MetricsRegistry& metrics, std::string admin_token)
    : snapshot_(snapshot),
      readiness_(readiness),
      runtimes_(runtimes),
      metrics_(metrics),
      admin_token_(std::move(admin_token)),
      server_(std::make_unique<httplib::Server>()) {
  server_->set_keep_alive_max_count(100);
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server_->set_error_handler(
      [](const httplib::Request&, httplib::Response& res) { fill_error_body(res); });
  install_routes();
  install_resilience_routes();
  // Last, so that it only takes what no endpoint above did: without it, httplib would wait for
  // the body of a body-less POST to an unknown path until its read timeout.
  server_->Post(".*", [](const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& body) {
    skip_body(req, body);
    reply_json(res, 404, {{"error", "no such admin endpoint"}, {"status", 404}});
  });
  int port = address.port == 0
                 ? server_->bind_to_any_port(address.host)
                 : (server_->bind_to_port(address.host, address.port) ? address.port : -1);
  if (port <= 0) {
    throw std::runtime_error(
        fmt::format("cannot listen on admin address {}:{}", address.host, address.port));
  }
  port_ = static_cast<std::uint16_t>(port);
}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::install_routes() {
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, health_json(readiness_));
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    auto [ready, body] = readiness_json(readiness_);
    reply_json(res, ready ? 200 : 503, body);
  });
  server_->Get("/admin/rules", [this](const httplib::Request&, httplib::Response& res) {
    auto state = snapshot_.load();
    if (!state) {
      reply_json(res, 503, {{"error", "no rule set loaded yet"}});
      return;
    }
    reply_json(res, 200, route_table_json(*state->table));
  });
}

namespace {

// A steady-clock time as wall-clock RFC 3339, for people reading /admin/breakers.
std::string steady_to_rfc3339(std::chrono::steady_clock::time_point at) {
  auto wall = std::chrono::system_clock::now() -
              std::chrono::duration_cast<std::chrono::system_clock::duration>(
                  std::chrono::steady_clock::now() - at);
  return format_rfc3339(wall);
}

// One route's breaker for one target; "name" is the target, as before breakers were per route.
Json breaker_json(RouteBreaker& breaker, std::chrono::steady_clock::time_point now) {
  auto snapshot = breaker.breaker.snapshot(now);
  Json last_failure = nullptr;
  if (snapshot.last_failure_at) {
    last_failure = fmt::format("{} at {}", snapshot.last_failure_reason,
                               steady_to_rfc3339(*snapshot.last_failure_at));
  }
  return {{"name", breaker.target.name},
          {"route", breaker.route},
          {"route_id", breaker.route_id == 0 ? Json(nullptr) : Json(breaker.route_id)},
          {"state", to_string(snapshot.state)},
          {"since", steady_to_rfc3339(snapshot.since)},
          {"window", {{"calls", snapshot.window_calls}, {"failures", snapshot.window_failures}}},
          {"consecutive_failures", snapshot.consecutive_failures},
          {"last_failure", last_failure},
          {"transitions", snapshot.transitions}};
}

// Each shadowed route of the current table with its comparisons since the router started.
Json shadows_json(const std::shared_ptr<const RoutingState>& state,
                  const MetricsSnapshot& metrics) {
  Json shadows = Json::array();
  if (!state) return shadows;
  for (const auto& route : state->table->rules().routes) {
    if (!route.shadow) continue;
    auto text = route.pattern.text();
    ShadowCounters counters;
    if (auto found = metrics.shadow.find(text); found != metrics.shadow.end()) {
      counters = found->second;
    }
    auto matched = counters.comparisons - counters.mismatches;
    Json rate = nullptr;
    if (counters.comparisons > 0) {
      rate = static_cast<double>(matched) / static_cast<double>(counters.comparisons);
    }
    shadows.push_back({{"route", text},
                       {"target", route.shadow->target},
                       {"percent", route.shadow->percent},
                       {"compared", counters.comparisons},
                       {"matched", matched},
                       {"errors", counters.errors},
                       {"dropped", counters.dropped},
                       {"skipped", counters.skipped},
                       {"match_rate", rate}});
  }
  return shadows;
}

}  // namespace

bool AdminServer::authorized(const httplib::Request& req) const {
  return admin_token_.empty() || req.get_header_value("Authorization") == "Bearer " + admin_token_;
}

void AdminServer::install_resilience_routes() {
  server_->Get("/admin/breakers", [this](const httplib::Request&, httplib::Response& res) {
    Json targets = Json::array();
    auto now = std::chrono::steady_clock::now();
    for (const auto& breaker : runtimes_.breakers().all()) {
      targets.push_back(breaker_json(*breaker, now));
      auto runtime = runtimes_.find(breaker->target.name);
      targets.back()["health"] = to_string(runtime ? runtime->health.load() : Health::unchecked);
    }
    // The active health checks beside the breakers: a down target is refused like an open one.
    Json health = Json::array();
    for (const auto& runtime : runtimes_.all()) {
      const auto& r = runtime->target.resilience;
      health.push_back({{"name", runtime->target.name},
                        {"health", to_string(runtime->health.load())},
                        {"path", r.health_path.empty() ? Json(nullptr) : Json(r.health_path)}});
    }
    reply_json(res, 200, {{"targets", targets}, {"health", health}});
  });
  server_->Post(R"(/admin/breakers/([^/]+)/reset)",
                [this](const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& body) {
                  skip_body(req, body);
                  if (!authorized(req)) {
                    reply_json(res, 401, {{"error", "missing or wrong admin token"}});
                    return;
                  }
                  auto route = req.get_param_value("route");
                  auto reset = reset_breakers(req.matches[1].str(), route);
                  // A breaker is made when its route first sends there: a known target with
                  // none yet has nothing to reset.
                  if (reset.empty() && !runtimes_.find(req.matches[1].str())) {
                    reply_json(res, 404, {{"error", "no such target"}});
                    return;
                  }
                  if (reset.empty() && !route.empty()) {
                    reply_json(res, 404,
                               {{"error",
                                 "no breaker of this target on that route "
                                 "(one is made when the route sends there)"}});
                    return;
                  }
                  reply_json(res, 200, {{"targets", reset}});
                });
  server_->Get("/admin/traffic", [this](const httplib::Request&, httplib::Response& res) {
    constexpr auto kWindow = std::chrono::seconds(300);
    Json targets = Json::array();
    for (const auto& entry : metrics_.traffic(std::chrono::steady_clock::now(), kWindow)) {
      targets.push_back({{"name", entry.target}, {"requests", entry.requests}});
    }
    reply_json(res, 200,
               {{"window_seconds", kWindow.count()},
                {"targets", targets},
                {"shadows", shadows_json(snapshot_.load(), metrics_.snapshot())}});
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(render_prometheus(metrics_.snapshot()), "text/plain; version=0.0.4");
  });
}

// Every route's breaker of `target`, or with `route` (a route id or label as /admin/breakers shows
// it) that route's only. Returns them as /admin/breakers shows them after the reset.
Json AdminServer::reset_breakers(const std::string& target, const std::string& route) {
  Json reset = Json::array();
  for (const auto& breaker : runtimes_.breakers().all()) {
    bool picked = breaker->target.name == target && (route.empty() || route == breaker->route ||
                                                     route == std::to_string(breaker->route_id));
    if (!picked) continue;
    reset_breaker(*breaker);
    reset.push_back(breaker_json(*breaker, std::chrono::steady_clock::now()));
  }
  return reset;
}

void AdminServer::reset_breaker(RouteBreaker& breaker) {
  if (auto transition = breaker.breaker.reset(std::chrono::steady_clock::now())) {
    log_line(fmt::format("breaker {} on {}: {} -> {} (reset by admin)", breaker.target.name,
                         breaker.route, to_string(transition->from), to_string(transition->to)));
    metrics_.record_breaker_transition(breaker.route, breaker.target.name, transition->from,
                                       transition->to);
  }
}

void AdminServer::start() {
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

void AdminServer::stop() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace strangler
