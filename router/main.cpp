// strangler-router: the proxy's entry point. Parses the command line, loads the rules (refusing
// to start without them), starts the admin listener, the reloader and the proxy threads, reopens
// the access log on SIGHUP and drains, then shuts down, on SIGTERM/SIGINT.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "router/admin/admin_server.h"
#include "router/admin/log.h"
#include "router/admin/metrics.h"
#include "router/edge/proxy_server.h"
#include "router/routing/rules_reloader.h"
#include "router/shadow/shadow_analyzer.h"
#include "router/shadow/shadow_dispatcher.h"

namespace {

struct Options {
  std::string db;
  std::string listen = "127.0.0.1:8080";
  std::string admin = "127.0.0.1:8081";
  int threads = 0;
  bool no_target_header = false;
  int reload_interval_ms = 100;
  std::uint64_t max_body = 10 * 1024 * 1024;
  int header_timeout_ms = 30000;
  int idle_timeout_ms = 60000;
  int body_timeout_ms = 30000;
  int upstream_idle_timeout_ms = 60000;
  int max_connections = 10000;
  int drain_grace_ms = 5000;
  int drain_timeout_ms = 30000;
  std::size_t max_uri_bytes = 8 * 1024;
  std::size_t max_field_bytes = 8 * 1024;
  std::uint32_t max_header_bytes = 64 * 1024;
  std::size_t max_header_count = 100;
  std::string admin_token;
  std::string access_log;
  std::size_t shadow_max_body = 1024 * 1024;
  std::size_t shadow_queue = 1000;
  int shadow_max_in_flight = 64;
  std::string shadow_priority = "idle";
  std::int64_t shadow_keep_per_route = 10000;
  std::int64_t shadow_keep_total = 100000;
  std::vector<std::string> trusted_proxies;
  std::string encoded_slash = "keep";
};

// The client-facing edge: whom to believe about the client, what to do with encoded separators.
void add_edge_options(CLI::App& app, Options& o) {
  app.add_option("--trusted-proxy", o.trusted_proxies,
                 "a proxy (CIDR block or address, repeatable) whose X-Forwarded-For, "
                 "X-Forwarded-Proto, X-Forwarded-Host and Forwarded are believed")
      ->check(CLI::Validator([](std::string& text) { return strangler::parse_cidr(text).error; },
                             "CIDR", "CIDR"));
  app.add_option("--encoded-slash", o.encoded_slash,
                 "%2F, %5C, %3B in a path: keep (encoded, inside their segment) or reject (400)")
      ->check(CLI::IsMember({"keep", "reject"}))
      ->capture_default_str();
}

void add_limit_options(CLI::App& app, Options& o) {
  app.add_option("--max-uri-bytes", o.max_uri_bytes, "longest request target (longer: 414)")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 20));
  app.add_option("--max-field-bytes", o.max_field_bytes, "longest request header line (431)")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 20));
  app.add_option("--max-header-bytes", o.max_header_bytes,
                 "largest request header block, request line included (431)")
      ->check(CLI::Range(std::uint32_t{128}, std::uint32_t{1} << 24));
  app.add_option("--max-header-count", o.max_header_count, "most request header lines (431)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000}));
}

// The client- and upstream-side timeouts: all in ms, from 100 ms to an hour.
void add_timeout_options(CLI::App& app, Options& o) {
  struct Timeout {
    const char* name;
    int& value;
    const char* help;
  };
  const Timeout timeouts[] = {
      {"--header-timeout-ms", o.header_timeout_ms, "time allowed to receive a request's headers"},
      {"--idle-timeout-ms", o.idle_timeout_ms,
       "how long a keep-alive connection may wait for its next request"},
      {"--body-timeout-ms", o.body_timeout_ms,
       "longest pause between two pieces of a request body (then 408)"},
      {"--upstream-idle-timeout-ms", o.upstream_idle_timeout_ms,
       "how long an unused upstream connection is kept open for reuse"},
  };
  for (const auto& t : timeouts) {
    app.add_option(t.name, t.value, t.help)->check(CLI::Range(100, 3600000));
  }
}

void add_options(CLI::App& app, Options& o) {
  app.add_option("--db", o.db, "rules database (created with stranglerctl init)")
      ->envname("STRANGLER_DB");
  app.add_option("--listen", o.listen, "proxy address HOST:PORT (port 0: any free port)");
  app.add_option("--admin", o.admin, "admin address HOST:PORT (loopback unless you mean it)");
  app.add_option("--threads", o.threads, "I/O threads (default: one per core)")
      ->check(CLI::Range(0, 256));
  app.add_flag("--no-target-header", o.no_target_header, "do not add X-Strangler-Target");
  app.add_option("--reload-interval-ms", o.reload_interval_ms, "how often to poll for rule changes")
      ->check(CLI::Range(10, 60000));
  app.add_option("--max-body", o.max_body, "largest request body in bytes")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 40));
  add_timeout_options(app, o);
  app.add_option("--drain-grace-ms", o.drain_grace_ms,
                 "after SIGTERM, how long new connections are still served (with /readyz 503)")
      ->check(CLI::Range(0, 3600000))
      ->capture_default_str();
  app.add_option("--drain-timeout-ms", o.drain_timeout_ms,
                 "after the grace, how long in-flight requests may take to finish")
      ->check(CLI::Range(0, 3600000))
      ->capture_default_str();
  app.add_option("--max-connections", o.max_connections,
                 "open client connections beyond which new ones are refused at once")
      ->check(CLI::Range(1, 1000000));
  add_limit_options(app, o);
  app.add_option("--admin-token", o.admin_token,
                 "token that mutating admin endpoints require (Authorization: Bearer TOKEN)")
      ->envname("STRANGLER_ADMIN_TOKEN");
  app.add_option("--access-log", o.access_log, "JSON access log: a file path, or - for stdout");
  app.add_option("--shadow-max-body", o.shadow_max_body,
                 "largest request body mirrored to a shadow, bytes (also caps compared answers)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{64} << 20));
  app.add_option("--shadow-queue", o.shadow_queue, "shadow copies waiting to be sent, at most")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--shadow-max-in-flight", o.shadow_max_in_flight,
                 "shadow copies outstanding per shadow target, at most")
      ->check(CLI::Range(1, 100000));
  app.add_option(
         "--shadow-priority", o.shadow_priority,
         "CPU for shadow copies and comparisons: idle (only what clients leave), low, normal")
      ->check(CLI::IsMember({"idle", "low", "normal"}))
      ->capture_default_str();
  app.add_option("--shadow-keep-per-route", o.shadow_keep_per_route,
                 "comparisons kept per route (oldest deleted first)")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--shadow-keep-total", o.shadow_keep_total, "comparisons kept in all")
      ->check(CLI::Range(1, 100000000));
  add_edge_options(app, o);
}

// Each client connection costs a descriptor (two while it is forwarded): take the hard limit
// rather than the often much lower soft one, so --max-connections is what limits them.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

// A reload builds a new table while the old one still serves, then frees the old one: with
// 100,000 routes that is about 100 MB each time. glibc would hand big blocks back to the kernel
// (munmap, trim) and fault them in again on the next reload, which on a VM costs far more than the
// build itself (docs/decisions.md). Keep freed memory for
// the next reload instead; RSS then stays near two tables' worth, which is the peak anyway.
void keep_freed_memory_for_reloads() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest: blocks below it come from the heap
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

// The --trusted-proxy blocks (already checked by their validator).
strangler::TrustedProxies trusted_proxies(const std::vector<std::string>& texts) {
  std::vector<strangler::CidrBlock> blocks;
  for (const auto& text : texts) blocks.push_back(*strangler::parse_cidr(text).block);
  return strangler::TrustedProxies(std::move(blocks));
}

sigset_t lifecycle_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

// SIGHUP reopens the access log (logrotate's postrotate) and never stops the router.
void on_hangup(strangler::AccessLog* access_log) {
  strangler::log_line("SIGHUP: reopening the access log");
  if (access_log) access_log->reopen();
}

// Waits for SIGTERM or SIGINT, handling SIGHUPs meanwhile; returns the signal.
int wait_for_shutdown(const sigset_t& signals, strangler::AccessLog* access_log) {
  for (;;) {
    int received = 0;
    sigwait(&signals, &received);
    if (received != SIGHUP) return received;
    on_hangup(access_log);
  }
}

// Lets `grace` pass, handling SIGHUPs; a second SIGTERM or SIGINT cuts it short.
void serve_grace(const sigset_t& signals, std::chrono::milliseconds grace,
                 strangler::AccessLog* access_log) {
  auto until = std::chrono::steady_clock::now() + grace;
  for (auto left = grace; left.count() > 0;
       left = std::chrono::duration_cast<std::chrono::milliseconds>(
           until - std::chrono::steady_clock::now())) {
    timespec wait{static_cast<time_t>(left.count() / 1000),
                  static_cast<long>(left.count() % 1000) * 1000000L};
    int received = sigtimedwait(&signals, nullptr, &wait);
    if (received == SIGHUP) {
      on_hangup(access_log);
    } else if (received > 0) {
      strangler::log_line(fmt::format("signal {}: grace cut short", received));
      return;
    } else if (errno == EAGAIN) {
      return;  // the grace is over
    }
  }
}

int run(const Options& o) {
  using namespace strangler;
  keep_freed_memory_for_reloads();
  if (o.db.empty())
    throw std::runtime_error("no rules database: pass --db PATH or set STRANGLER_DB");
  auto listen = parse_listen_address(o.listen);
  auto admin = parse_listen_address(o.admin);
  // Not even on another address: the admin API must never be reachable through the proxy port.
  if (listen.port == admin.port && listen.port != 0) {
    throw std::runtime_error("--admin must not use the proxy's port");
  }
  int threads = o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
  RouteSnapshot snapshot;
  Readiness readiness;
  TargetRuntimes runtimes;
  // One metrics shard per I/O thread, then one each for the shadow and analyzer threads.
  MetricsRegistry metrics(threads + 2);
  metrics.set_build_info(STRANGLER_VERSION);
  RulesReloader reloader(o.db, snapshot, readiness, runtimes, metrics,
                         std::chrono::milliseconds(o.reload_interval_ms));
  reloader.load_initial();
  std::unique_ptr<AccessLog> access_log;
  if (!o.access_log.empty()) access_log = AccessLog::open(o.access_log);

  ProxyOptions proxy_options;
  proxy_options.add_target_header = !o.no_target_header;
  proxy_options.max_body = o.max_body;
  proxy_options.header_timeout = std::chrono::milliseconds(o.header_timeout_ms);
  proxy_options.idle_timeout = std::chrono::milliseconds(o.idle_timeout_ms);
  proxy_options.body_timeout = std::chrono::milliseconds(o.body_timeout_ms);
  proxy_options.upstream_idle_timeout = std::chrono::milliseconds(o.upstream_idle_timeout_ms);
  proxy_options.max_connections = o.max_connections;
  proxy_options.max_uri = o.max_uri_bytes;
  proxy_options.max_field_bytes = o.max_field_bytes;
  proxy_options.max_header_bytes = o.max_header_bytes;
  proxy_options.max_header_count = o.max_header_count;
  proxy_options.trusted_proxies = trusted_proxies(o.trusted_proxies);
  proxy_options.encoded_slash =
      o.encoded_slash == "reject" ? EncodedSeparators::reject : EncodedSeparators::keep;
  raise_open_file_limit();
  AnalyzerSettings analyzer_settings;
  analyzer_settings.writer.retention = {o.shadow_keep_per_route, o.shadow_keep_total};
  auto shadow_priority = parse_background_priority(o.shadow_priority).value();  // CLI-checked
  analyzer_settings.priority = shadow_priority;
  ShadowAnalyzer analyzer(o.db, analyzer_settings, metrics.shard(threads + 1));
  ShadowDispatcher shadow({o.shadow_max_body, o.shadow_queue, o.shadow_max_in_flight,
                           shadow_priority, proxy_options.upstream_idle_timeout},
                          metrics.shard(threads), analyzer);
  ProxyServer proxy(listen, threads, proxy_options, snapshot, metrics, access_log.get(), &shadow);
  AdminServer admin_server(admin, snapshot, readiness, runtimes, metrics, o.admin_token);

  reloader.start();
  analyzer.start();
  shadow.start();
  admin_server.start();
  proxy.start();
  std::printf("strangler-router listening on http://%s:%u\n", listen.host.c_str(), proxy.port());
  std::printf("strangler-router admin on http://%s:%u\n", admin.host.c_str(), admin_server.port());
  std::fflush(stdout);
  log_line(fmt::format("serving rules version {} with {} threads",
                       snapshot.load()->table->version(), threads));

  auto signals = lifecycle_signals();
  int received = wait_for_shutdown(signals, access_log.get());
  // Draining: /readyz says 503 so that load balancers stop sending, answers say
  // Connection: close, and new connections are still served during the grace, while the load
  // balancer has not noticed yet. A second SIGTERM/SIGINT ends the grace at once.
  log_line(fmt::format("signal {}: draining ({} ms grace, then up to {} ms for requests)", received,
                       o.drain_grace_ms, o.drain_timeout_ms));
  readiness.set_draining();
  proxy.begin_drain();
  serve_grace(signals, std::chrono::milliseconds(o.drain_grace_ms), access_log.get());
  proxy.stop(std::chrono::milliseconds(o.drain_timeout_ms));
  log_line("drained: shutting down");
  shadow.stop();
  analyzer.stop();
  admin_server.stop();
  reloader.stop();
  if (access_log) access_log->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the lifecycle signals in every thread (they inherit this mask); main waits for them.
  auto signals = lifecycle_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"strangler-router: routes each request to the monolith or an extracted service"};
  Options options;
  add_options(app, options);
  app.set_version_flag("--version", STRANGLER_VERSION);
  CLI11_PARSE(app, argc, argv);
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "strangler-router: %s\n", e.what());
    return 1;
  }
}
