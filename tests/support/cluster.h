// Cluster: the fixture of the integration tests. It owns a temp directory with the rules database
// and the process logs, the legacy-stub instances, stranglerctl runs and one strangler-router,
// all on 127.0.0.1 with ports chosen by the binaries (port 0) and parsed from their stdout.
//
// Typical use:
//   Cluster c;
//   auto& legacy = c.start_stub("monolith");
//   c.ctl_ok({"init", "--legacy", legacy.url});
//   c.start_router();
//   auto res = c.client().Get("/orders/7");
//
// The destructor stops the router first, then the stubs (SIGTERM, then SIGKILL after a grace
// period), prints every process's stderr when the test failed, and removes the directory.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace strangler::test {

struct Stub {
  std::string name;
  std::uint16_t port = 0;
  std::string url;  // "http://127.0.0.1:PORT"
  std::unique_ptr<ChildProcess> process;
};

class Cluster {
 public:
  Cluster();
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::filesystem::path& dir() const { return dir_.path(); }
  std::string db() const { return (dir_.path() / "rules.db").string(); }

  // Starts `legacy-stub --listen 127.0.0.1:0 --name NAME extra...` and waits for its port.
  Stub& start_stub(const std::string& name, const std::vector<std::string>& extra = {});
  // Starts a stub on a given port, e.g. the port of a stub that was stopped: a service that comes
  // back where its target points. Retries for up to `timeout` while the port is still taken.
  Stub& start_stub_on_port(std::uint16_t port, const std::string& name,
                           const std::vector<std::string>& extra = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(3));

  // Runs `stranglerctl --db DB args...`.
  ProcessResult ctl(const std::vector<std::string>& args) const;
  // Same, and REQUIREs exit status 0 (showing the output otherwise).
  ProcessResult ctl_ok(const std::vector<std::string>& args) const;

  // Starts a stub named "monolith" and runs `init --legacy` with it; returns the stub.
  Stub& init_with_monolith();

  // The common starting point of a migration: init_with_monolith(), a stub "orders-svc" added as
  // target "orders", and a route /orders to legacy. Returns the orders stub.
  Stub& init_orders_migration();

  // Starts strangler-router on the database; waits for both ports and, when `wait_ready`, for
  // /readyz to answer 200 (REQUIREd within 5 s).
  ChildProcess& start_router(const std::vector<std::string>& extra = {}, bool wait_ready = true);
  ChildProcess& router() { return *router_; }
  std::uint16_t router_port() const { return router_port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  // Stops the router; returns its exit status.
  int stop_router();

  // An unlabelled sample of the router's /metrics, or -1 when absent (REQUIREs an answer).
  double metric(const std::string& name) const;

  // httplib clients with short timeouts (2 s connect, 5 s read/write).
  httplib::Client client() const;
  httplib::Client admin_client() const;

  // A path for a process log in the cluster's directory.
  std::filesystem::path log_path(const std::string& name);

 private:
  void dump_logs() const;

  TempDir dir_;
  std::vector<std::unique_ptr<Stub>> stubs_;
  std::unique_ptr<ChildProcess> router_;
  std::uint16_t router_port_ = 0;
  std::uint16_t admin_port_ = 0;
  int log_counter_ = 0;
};

// Configures timeouts on a client: every test request has a deadline.
void set_test_timeouts(httplib::Client& client);
httplib::Client make_client(std::uint16_t port);

// A response header, or "" when the request failed or the header is absent.
std::string header_of(const httplib::Result& result, const std::string& name);
std::string served_by(const httplib::Result& result);

// Whether `text` is exactly one non-empty line ending in '\n' (how refusals are reported).
bool is_one_line(const std::string& text);

// Polls `condition` every 10 ms until it holds; the time it took, or nullopt after `timeout`.
std::optional<std::chrono::milliseconds> wait_until(const std::function<bool()>& condition,
                                                    std::chrono::milliseconds timeout);

}  // namespace strangler::test
