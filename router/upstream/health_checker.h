// HealthChecker: the active health checks of the targets that have a --health-path. Every
// interval it sends `GET <path>` to each such target, on a connection of its own with the
// check's timeout; the answers feed each target's HealthState (router/resilience), whose verdict
// it publishes in TargetRuntime::health for the request path, which refuses a down target like
// an open breaker (fails fast or falls back). So a target that stops answering is taken out
// before users wait on it.
//
// One thread and io_context of its own, off the I/O threads. It follows the rules: the reloader
// calls follow() with the runtimes of every table it publishes; checks start for targets that are
// new or changed (a fresh runtime starts unchecked), and stop for those gone. stop() ends the
// thread; checks in progress are abandoned.
#pragma once

#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "router/admin/metrics.h"
#include "router/net/asio.h"
#include "router/routing/target_runtime.h"

namespace strangler {

class HealthChecker {
 public:
  explicit HealthChecker(MetricsRegistry& metrics);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  void start();
  void stop();

  // The runtimes of the table just published (any thread).
  void follow(std::vector<std::shared_ptr<TargetRuntime>> runtimes);

 private:
  struct Probe;

  void apply(const std::vector<std::shared_ptr<TargetRuntime>>& runtimes);  // on the thread
  Task<void> run(std::shared_ptr<Probe> probe);
  Task<std::string> check_once(const TargetRuntime& runtime);  // "" when healthy, else why not

  MetricsRegistry& metrics_;
  asio::io_context io_;
  asio::executor_work_guard<Executor> work_;
  std::map<const TargetRuntime*, std::shared_ptr<Probe>> probes_;  // the thread's only
  std::thread thread_;
};

}  // namespace strangler
