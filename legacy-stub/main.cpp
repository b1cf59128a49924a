// legacy-stub: a stand-in shop monolith for Strangler's demos and integration tests.
//
//   legacy-stub --listen 127.0.0.1:9001 --name monolith [--latency-ms N] [--fail-rate F]
//               [--variant legacy|extracted] [--threads N] [--seed N]
//
// This file only wires the command line, the listening line the test harness waits for
// ("legacy-stub <name> listening on http://HOST:PORT", printed once bound and before serving) and
// the signals: SIGTERM and SIGINT are blocked before any thread starts and taken with sigwait here,
// so the exit is an orderly 0. Exit 2: bad command line; exit 1: a bad value or cannot listen.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "legacy-stub/shop_catalog.h"
#include "legacy-stub/shop_server.h"

namespace {

using namespace std::chrono_literals;
using strangler::stub::ShopServer;
using strangler::stub::StubOptions;

struct Endpoint {
  std::string host;
  int port = 0;
};

std::optional<Endpoint> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  Endpoint ep{text.substr(0, colon), 0};
  if (ep.host.size() > 2 && ep.host.front() == '[' && ep.host.back() == ']') {
    ep.host = ep.host.substr(1, ep.host.size() - 2);  // [::1]:80
  }
  auto port = strangler::stub::parse_id(text.substr(colon + 1));
  if (!port || *port > 65535) return std::nullopt;
  ep.port = static_cast<int>(*port);
  return ep;
}

// Waits for SIGTERM/SIGINT; returns 0 instead if serving ended on its own.
int wait_for_signal(const sigset_t& signals, const std::atomic<bool>& serving_ended) {
  const timespec tick{0, 200'000'000};
  while (!serving_ended) {
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0) return sig;
  }
  return 0;
}

int run(const StubOptions& options, const Endpoint& listen, const sigset_t& signals) {
  ShopServer server(options);
  auto port = server.bind(listen.host, listen.port);
  if (!port) {
    std::cerr << fmt::format(
        "legacy-stub: cannot listen on {}:{} (port in use, or not a local "
        "address)\n",
        listen.host, listen.port);
    return 1;
  }
  std::cout << fmt::format("legacy-stub {} listening on http://{}:{}\n", options.name, listen.host,
                           *port)
            << std::flush;
  std::atomic<bool> serving_ended{false};
  std::thread serving([&] {
    server.serve();
    serving_ended = true;
  });
  if (wait_for_signal(signals, serving_ended) == 0) {
    serving.join();
    std::cerr << "legacy-stub: the server stopped unexpectedly\n";
    return 1;
  }
  server.stop();
  if (!server.wait_stopped(5s)) {
    // Only idle keep-alive connections (or a stuck writer) hold the workers; the kernel closes
    // them at exit. Skipping destructors is what lets us leave without joining those workers.
    std::fflush(nullptr);
    std::_Exit(0);
  }
  serving.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"legacy-stub: a stand-in shop monolith for Strangler demos and tests"};
  std::string listen_text, variant = "legacy";
  StubOptions options;
  int latency_ms = 0;
  // Checked after parsing rather than ->required(): CLI11 checks required options before it
  // handles --version, which then could not be asked alone.
  app.add_option("--listen", listen_text,
                 "HOST:PORT to listen on; port 0 picks a free port (required)");
  app.add_option("--name", options.name, "instance name, sent as X-Served-By")
      ->capture_default_str();
  app.add_option("--latency-ms", latency_ms, "delay every answer by N ms")
      ->check(CLI::Range(0, 600000));
  app.add_option("--fail-rate", options.fail_rate, "share of requests answered 500 (0..1)");
  app.add_option("--variant", variant, "legacy or extracted")
      ->check(CLI::IsMember({"legacy", "extracted"}));
  app.add_option("--threads", options.threads, "worker threads")->check(CLI::Range(1, 1024));
  app.add_option("--seed", options.seed, "seed of the failure-injection PRNG");
  app.set_version_flag("--version", STRANGLER_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "legacy-stub: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (listen_text.empty()) {
    std::cerr << "legacy-stub: --listen is required (see --help)\n";
    return 2;
  }
  if (!(options.fail_rate >= 0.0 && options.fail_rate <= 1.0)) {
    std::cerr << "legacy-stub: --fail-rate must be between 0 and 1, got " << options.fail_rate
              << "\n";
    return 1;
  }
  auto listen = parse_listen(listen_text);
  if (!listen) {
    std::cerr << "legacy-stub: --listen wants HOST:PORT (port 0-65535), got '" << listen_text
              << "'\n";
    return 1;
  }
  options.latency = std::chrono::milliseconds(latency_ms);
  options.variant = variant == "extracted" ? strangler::stub::Variant::kExtracted
                                           : strangler::stub::Variant::kLegacy;

  // Before any thread exists, so every thread inherits the mask and only sigtimedwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-answer must not kill the stub
  return run(options, *listen, signals);
}
