// AdminServer: the router's admin listener (cpp-httplib, its own threads, loopback by default).
//
//   GET /healthz      200 while the process runs
//   GET /readyz       200 once a rule set is loaded (with a warning while the database cannot be
//                     read and the last good rules are served), 503 with the reason before
//   GET /admin/rules  the live route table and its version, as JSON
//   GET /admin/breakers                every route's breaker of each of its targets: state, since,
//                                      window, last failure
//   POST /admin/breakers/NAME/reset    closes target NAME's breakers (?route=ID or label: one
//                                      route's); needs the admin token when one is set
//   GET /admin/traffic                 requests per target over the last 5 minutes
//   GET /metrics                       Prometheus text exposition format
//
// It never shares the proxy's port, and nothing here is on the request path.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "router/admin/metrics.h"
#include "router/net/listen_address.h"
#include "router/routing/readiness.h"
#include "router/routing/route_snapshot.h"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace strangler {

class AdminServer {
 public:
  // Binds immediately; throws std::runtime_error with a one-line reason when it cannot.
  AdminServer(const ListenAddress& address, const RouteSnapshot& snapshot,
              const Readiness& readiness, TargetRuntimes& runtimes, MetricsRegistry& metrics,
              std::string admin_token);
  ~AdminServer();

  std::uint16_t port() const { return port_; }
  void start();
  void stop();

 private:
  void install_routes();
  void install_resilience_routes();
  bool authorized(const httplib::Request& req) const;
  nlohmann::ordered_json reset_breakers(const std::string& target, const std::string& route);
  void reset_breaker(RouteBreaker& breaker);

  const RouteSnapshot& snapshot_;
  const Readiness& readiness_;
  TargetRuntimes& runtimes_;
  MetricsRegistry& metrics_;
  std::string admin_token_;
  std::unique_ptr<httplib::Server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace strangler
