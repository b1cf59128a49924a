// AdminServer: the router's admin listener (cpp-httplib, its own threads, loopback by default).
//
//   GET /healthz      200 while the process runs
//   GET /readyz       200 once a rule set is loaded (with a warning while the database cannot be
//                     read and the last good rules are served), 503 with the reason before
//   GET /admin/rules  the live route table and its version, as JSON
//
// It never shares the proxy's port, and nothing here is on the request path.
#pragma once

#include <memory>
#include <thread>

#include "router/listen_address.h"
#include "router/readiness.h"
#include "router/route_snapshot.h"

namespace httplib {
class Server;
}

namespace strangler {

class AdminServer {
 public:
  // Binds immediately; throws std::runtime_error with a one-line reason when it cannot.
  AdminServer(const ListenAddress& address, const RouteSnapshot& snapshot,
              const Readiness& readiness);
  ~AdminServer();

  std::uint16_t port() const { return port_; }
  void start();
  void stop();

 private:
  void install_routes();

  const RouteSnapshot& snapshot_;
  const Readiness& readiness_;
  std::unique_ptr<httplib::Server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace strangler
