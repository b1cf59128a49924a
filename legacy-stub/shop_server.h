// ShopServer: the legacy shop's HTTP face, on cpp-httplib.
//
// Routes the shop API (orders, payments, inventory, customers; data from shop_catalog.h, shaped by
// extracted_variant.h when asked) and the proxy-test helpers (/echo, /bytes, /slow, /health), and
// adds the knobs demos and tests turn: a fixed latency on every answer and a seeded share of
// injected 500s. main.cpp owns the process: it binds, prints the listening line, runs serve() on a
// thread and calls stop() when a signal arrives.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "legacy-stub/extracted_variant.h"

namespace strangler::stub {

struct StubOptions {
  std::string name = "monolith";
  std::chrono::milliseconds latency{0};
  double fail_rate = 0.0;  // in [0, 1]; checked by the caller
  Variant variant = Variant::kLegacy;
  std::size_t threads = 16;
  std::uint64_t seed = 1;
};

class ShopServer {
 public:
  explicit ShopServer(StubOptions options);
  ShopServer(const ShopServer&) = delete;
  ShopServer& operator=(const ShopServer&) = delete;

  // Binds host:port; port 0 picks a free port. Returns the bound port, nullopt if binding failed
  // (address in use, not a local address, unresolvable host).
  std::optional<int> bind(const std::string& host, int port);

  // Accepts and serves until stop(); call once, after a successful bind(). Returns false if the
  // server could not run at all.
  bool serve();

  // From any thread: wakes handlers sleeping for latency or /slow and closes the listening
  // socket. Safe before serve() has started (it waits for it to start, so no signal is lost).
  void stop();

  // After stop(): waits up to `grace` for serve() to return. True if it did (the caller may then
  // join and destroy). False when serve() is still held up: cpp-httplib 0.11.4 does not wake
  // workers waiting on idle keep-alive connections, so serve() can block for the whole
  // keep-alive timeout; once no handler is running, that wait is given up early.
  bool wait_stopped(std::chrono::milliseconds grace);

 private:
  void configure();
  void install_hooks();
  void install_shop_routes();
  void install_test_routes();
  // GET prefix/{id}: 400 for a non-numeric id, 404 unless exists(id), else 200 with make(id).
  void get_by_id(const std::string& prefix, bool (*exists)(std::uint64_t), const char* what,
                 std::function<nlohmann::json(std::uint64_t)> make);
  void get_slow(const httplib::Request& req, httplib::Response& res);
  httplib::Server::Handler guarded(httplib::Server::Handler handler, bool may_fail = true);
  bool should_fail();
  bool pause(std::chrono::milliseconds duration);  // false if interrupted by stop()

  StubOptions options_;
  httplib::Server server_;

  std::mutex rng_mutex_;
  std::mt19937_64 rng_;

  std::mutex state_mutex_;
  std::condition_variable state_cv_;
  bool stopping_ = false;
  bool serve_returned_ = false;
  std::atomic<int> listen_fd_{-1};
  std::atomic<int> in_flight_{0};
};

}  // namespace strangler::stub
