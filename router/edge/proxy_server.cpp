// ProxyServer; see proxy_server.h.
#include "router/edge/proxy_server.h"

#include <sys/socket.h>

#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "router/admin/log.h"
#include "router/edge/client_connection.h"
#include "router/http/error_reply.h"
#include "router/http/request_id.h"
#include "router/net/asio.h"

namespace strangler {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

struct ProxyServer::Worker {
  Worker(const RouteSnapshot& snapshot, const ProxyOptions& options, std::atomic<int>& in_flight,
         const std::atomic<bool>& draining, MetricsRegistry& metrics, int index,
         AccessLog* access_log, ShadowDispatcher* shadow)
      : io(1),
        acceptor(io),
        context(snapshot, io.get_executor(), options, in_flight, draining, metrics, index,
                access_log, shadow) {}

  asio::io_context io;
  Acceptor acceptor;
  WorkerContext context;
  std::thread thread;
};

namespace {

void bind_acceptor(Acceptor& acceptor, const tcp::endpoint& endpoint) {
  acceptor.open(endpoint.protocol());
  acceptor.set_option(Acceptor::reuse_address(true));
  acceptor.set_option(ReusePort(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
}

// A connection beyond --max-connections gets a 503 and is closed at once: refused early rather
// than left to queue. Written without waiting; a full socket buffer just loses it.
std::string too_many_connections() {
  auto reply = make_error_reply(
      {ErrorKind::unavailable, "too many connections", make_request_id(), {}, {}, 1}, false, 11);
  std::ostringstream text;
  text << reply;
  return std::move(text).str();
}

void refuse_connection(Socket& socket, WorkerContext& context) {
  context.metrics.record_connection_refused();
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.send(asio::buffer(too_many_connections()), 0, ec);
  socket.shutdown(Socket::shutdown_both, ec);
  socket.close(ec);
}

// One client connection, counted in `open` (all threads) and in the open-connections gauge.
Task<void> serve_counted(Socket socket, WorkerContext& context, std::atomic<int>& open) {
  struct Counted {
    std::atomic<int>& open;
    ThreadMetrics& metrics;
    ~Counted() {
      --open;
      metrics.add_open_connections(-1);
    }
  } counted{open, context.metrics};
  context.metrics.add_open_connections(1);
  co_await serve_client(std::move(socket), context);
}

// Serves an accepted connection, or refuses it beyond --max-connections.
void take_connection(Socket socket, const Executor& executor, WorkerContext& context,
                     std::atomic<int>& open) {
  if (++open > context.options.max_connections) {
    --open;
    refuse_connection(socket, context);
    return;
  }
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  asio::co_spawn(executor, serve_counted(std::move(socket), context, open), asio::detached);
}

// Connections taken per wake-up beyond the first. One accept per trip round the event loop let a
// burst of connects wait behind the connections already being served, in their first request's
// latency (docs/decisions.md). HAProxy's maxaccept and nginx's multi_accept drain the queue the
// same way.
constexpr int kAcceptBatch = 64;

Task<void> accept_loop(Acceptor& acceptor, WorkerContext& context, std::atomic<int>& open) {
  auto executor = co_await asio::this_coro::executor;
  Timer backoff(executor);
  acceptor.non_blocking(true);  // the draining accepts below return would_block, never wait
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor.async_accept(use_ec(ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors or similar: pause instead of spinning on the same error.
      log_line(fmt::format("accept failed: {}", ec.message()));
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(use_ec(ec));
      continue;
    }
    take_connection(std::move(socket), executor, context, open);
    for (int i = 0; i < kAcceptBatch; ++i) {
      Socket more(executor);
      acceptor.accept(more, ec);
      if (ec) break;  // would_block: none waiting; another error: the next async_accept sees it
      take_connection(std::move(more), executor, context, open);
    }
  }
}

}  // namespace

ProxyServer::ProxyServer(const ListenAddress& address, int threads, const ProxyOptions& options,
                         const RouteSnapshot& snapshot, MetricsRegistry& metrics,
                         AccessLog* access_log, ShadowDispatcher* shadow)
    : options_(options) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address.host, ec);
  if (ec) throw std::runtime_error("listen address must be an IP address: " + address.host);
  tcp::endpoint endpoint(ip, address.port);
  for (int i = 0; i < std::max(1, threads); ++i) {
    auto worker = std::make_unique<Worker>(snapshot, options_, in_flight_, draining_, metrics, i,
                                           access_log, shadow);
    try {
      bind_acceptor(worker->acceptor, endpoint);
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}", address.host,
                                           endpoint.port(), e.code().message()));
    }
    endpoint.port(worker->acceptor.local_endpoint().port());  // the kernel's pick, if port 0
    workers_.push_back(std::move(worker));
  }
  port_ = endpoint.port();
}

ProxyServer::~ProxyServer() {
  stop(std::chrono::milliseconds(0));
}

void ProxyServer::start() {
  for (auto& worker : workers_) {
    asio::co_spawn(worker->io, accept_loop(worker->acceptor, worker->context, open_connections_),
                   asio::detached);
    worker->thread = std::thread([w = worker.get()] { w->io.run(); });
  }
}

void ProxyServer::begin_drain() {
  draining_ = true;
}

void ProxyServer::stop(std::chrono::milliseconds drain) {
  if (stopped_) return;
  stopped_ = true;
  for (auto& worker : workers_) {
    asio::post(worker->io, [w = worker.get()] {
      boost::system::error_code ec;
      w->acceptor.close(ec);
    });
  }
  auto deadline = std::chrono::steady_clock::now() + drain;
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& worker : workers_) worker->io.stop();
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

}  // namespace strangler
