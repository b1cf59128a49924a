// ProxyServer: the client-facing listener and its I/O threads.
//
// One io_context per thread, each with its own acceptor on the same port (SO_REUSEPORT lets the
// kernel spread connections), its own upstream pool and its own route-table reader: a request is
// handled start to finish on one thread, with no lock shared between threads.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "router/admin/access_log.h"
#include "router/admin/metrics.h"
#include "router/edge/proxy_options.h"
#include "router/net/listen_address.h"
#include "router/routing/route_snapshot.h"

namespace strangler {

class ShadowDispatcher;

class ProxyServer {
 public:
  // Binds immediately (throws std::runtime_error with a one-line reason when it cannot).
  // `metrics` must have a shard per thread; `access_log` and `shadow` may be null.
  ProxyServer(const ListenAddress& address, int threads, const ProxyOptions& options,
              const RouteSnapshot& snapshot, MetricsRegistry& metrics, AccessLog* access_log,
              ShadowDispatcher* shadow);
  ~ProxyServer();

  std::uint16_t port() const { return port_; }
  void start();
  // From now on every answer carries Connection: close; connections are still accepted.
  void begin_drain();
  // Stops accepting, waits up to `drain` for in-flight requests, then stops the threads.
  void stop(std::chrono::milliseconds drain);

 private:
  struct Worker;
  std::vector<std::unique_ptr<Worker>> workers_;
  ProxyOptions options_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> draining_{false};
  std::atomic<int> open_connections_{0};  // checked against options_.max_connections
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace strangler
