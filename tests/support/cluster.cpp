// Cluster: integration-test fixture (see cluster.h).
#include "tests/support/cluster.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/failure_listener.h"

namespace strangler::test {
namespace {

using namespace std::chrono_literals;

std::string tail(const std::string& text, std::size_t max) {
  return text.size() <= max ? text : "...\n" + text.substr(text.size() - max);
}

}  // namespace

Cluster::Cluster() = default;

Cluster::~Cluster() {
  if (router_) router_->stop();
  for (auto& stub : stubs_) stub->process->stop();
  if (current_test_failed()) dump_logs();
}

void Cluster::dump_logs() const {
  std::cerr << "---- logs of the processes of this failed test (" << dir().string() << ")\n";
  auto show = [](const ChildProcess& p, const std::string& label) {
    std::cerr << "---- " << label << " (pid " << p.pid() << ") stdout:\n"
              << tail(p.stdout_text(), 4096) << "---- " << label << " stderr:\n"
              << tail(p.stderr_text(), 8192) << "\n";
  };
  if (router_) show(*router_, "strangler-router");
  for (const auto& stub : stubs_) show(*stub->process, "legacy-stub " + stub->name);
}

std::filesystem::path Cluster::log_path(const std::string& name) {
  return dir() / (std::to_string(++log_counter_) + "-" + name + ".stderr.log");
}

namespace {

// legacy-stub serves with a fixed pool of threads (16 by default), and an idle keep-alive
// connection holds one for 30 s. The router may send shadow copies on up to 64 connections at
// once (--shadow-max-in-flight): on a busy machine copies pile up, and the 17th connection waited
// in the stub's backlog past the target's 15 s timeout, so a comparison became a shadow error.
// Pacing copies to a fixed-pool service is issue 17's; the harness's stubs have room for them.
std::vector<std::string> stub_args(std::vector<std::string> args,
                                   const std::vector<std::string>& extra) {
  args.insert(args.end(), extra.begin(), extra.end());
  if (std::find(extra.begin(), extra.end(), "--threads") == extra.end()) {
    args.insert(args.end(), {"--threads", "96"});
  }
  return args;
}

}  // namespace

Stub& Cluster::start_stub(const std::string& name, const std::vector<std::string>& extra) {
  auto args = stub_args({"--listen", "127.0.0.1:0", "--name", name}, extra);
  auto stub = std::make_unique<Stub>();
  stub->name = name;
  stub->process =
      std::make_unique<ChildProcess>(STRANGLER_STUB_BIN, args, log_path("stub-" + name));
  stub->port = stub->process->wait_for_listen("legacy-stub " + name + " listening on");
  stub->url = "http://127.0.0.1:" + std::to_string(stub->port);
  stubs_.push_back(std::move(stub));
  return *stubs_.back();
}

Stub& Cluster::start_stub_on_port(std::uint16_t port, const std::string& name,
                                  const std::vector<std::string>& extra,
                                  std::chrono::milliseconds timeout) {
  auto args = stub_args({"--listen", "127.0.0.1:" + std::to_string(port), "--name", name}, extra);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto stub = std::make_unique<Stub>();
    stub->name = name;
    stub->process =
        std::make_unique<ChildProcess>(STRANGLER_STUB_BIN, args, log_path("stub-" + name));
    try {
      stub->port = stub->process->wait_for_listen("legacy-stub " + name + " listening on");
    } catch (const std::runtime_error&) {
      // Exit 1 means it could not listen (the port is still held); anything else is a real
      // failure, and so is still failing at the deadline.
      bool retry = stub->process->exited() && stub->process->stop() == 1 &&
                   std::chrono::steady_clock::now() < deadline;
      stubs_.push_back(std::move(stub));  // keeps its log for dump_logs()
      if (!retry) throw;
      std::this_thread::sleep_for(100ms);
      continue;
    }
    stub->url = "http://127.0.0.1:" + std::to_string(stub->port);
    stubs_.push_back(std::move(stub));
    return *stubs_.back();
  }
}

ProcessResult Cluster::ctl(const std::vector<std::string>& args) const {
  std::vector<std::string> full = {"--db", db()};
  full.insert(full.end(), args.begin(), args.end());
  return run_process(STRANGLER_CTL_BIN, full);
}

ProcessResult Cluster::ctl_ok(const std::vector<std::string>& args) const {
  auto result = ctl(args);
  INFO(result.describe());
  REQUIRE(result.exit_code == 0);
  return result;
}

Stub& Cluster::init_with_monolith() {
  auto& stub = start_stub("monolith");
  ctl_ok({"init", "--legacy", stub.url});
  return stub;
}

Stub& Cluster::init_orders_migration() {
  init_with_monolith();
  auto& orders = start_stub("orders-svc");
  ctl_ok({"target", "add", "orders", orders.url});
  ctl_ok({"route", "add", "/orders", "--to", "legacy"});
  return orders;
}

ChildProcess& Cluster::start_router(const std::vector<std::string>& extra, bool wait_ready) {
  REQUIRE_MESSAGE(!router_, "one router per cluster");
  std::vector<std::string> args = {"--db",        db(),      "--listen",
                                   "127.0.0.1:0", "--admin", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  // The default (idle) gives shadow threads only CPU nobody else wants; on a CI machine running
  // two test processes per core that can be none for seconds, and the shadow tests would wait
  // for comparisons that never come. The default itself is tested on its own (shadow_test.cpp).
  if (std::find(extra.begin(), extra.end(), "--shadow-priority") == extra.end()) {
    args.insert(args.end(), {"--shadow-priority", "normal"});
  }
  // Tests stop the router with SIGTERM; the default grace (for load balancers to notice) would
  // add seconds to every test. The grace itself is tested on its own (router_drain_test.cpp).
  if (std::find(extra.begin(), extra.end(), "--drain-grace-ms") == extra.end()) {
    args.insert(args.end(), {"--drain-grace-ms", "0"});
  }
  router_ = std::make_unique<ChildProcess>(STRANGLER_ROUTER_BIN, args, log_path("router"));
  router_port_ = router_->wait_for_listen("strangler-router listening on");
  admin_port_ = router_->wait_for_listen("strangler-router admin on");
  if (wait_ready) {
    auto admin = admin_client();
    auto ready = wait_until(
        [&] {
          auto res = admin.Get("/readyz");
          return res && res->status == 200;
        },
        5s);
    INFO(router_->stderr_text());
    REQUIRE_MESSAGE(ready.has_value(), "router's /readyz did not answer 200 within 5 s");
  }
  return *router_;
}

int Cluster::stop_router() {
  return router_ ? router_->stop() : -1;
}

httplib::Client Cluster::client() const {
  return make_client(router_port_);
}
httplib::Client Cluster::admin_client() const {
  return make_client(admin_port_);
}

double Cluster::metric(const std::string& name) const {
  auto res = admin_client().Get("/metrics");
  INFO("GET /metrics: " << httplib::to_string(res.error()));
  REQUIRE(res);
  std::istringstream lines(res->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

void set_test_timeouts(httplib::Client& client) {
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  client.set_write_timeout(5, 0);
}

httplib::Client make_client(std::uint16_t port) {
  httplib::Client client("127.0.0.1", port);
  set_test_timeouts(client);
  return client;
}

std::string header_of(const httplib::Result& result, const std::string& name) {
  if (!result) return "";
  return result->get_header_value(name);
}

std::string served_by(const httplib::Result& result) {
  return header_of(result, "X-Served-By");
}

bool is_one_line(const std::string& text) {
  return text.size() > 1 && text.find('\n') == text.size() - 1;
}

std::optional<std::chrono::milliseconds> wait_until(const std::function<bool()>& condition,
                                                    std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (condition()) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    if (std::chrono::steady_clock::now() - start > timeout) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

}  // namespace strangler::test
