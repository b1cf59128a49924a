// ProxyServer; see proxy_server.h.
#include "router/proxy_server.h"

#include <sys/socket.h>

#include <stdexcept>

#include <fmt/format.h>

#include "router/asio.h"
#include "router/client_connection.h"
#include "router/log.h"

namespace strangler {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

struct ProxyServer::Worker {
  Worker(const RouteSnapshot& snapshot, const ProxyOptions& options, std::atomic<int>& in_flight,
         MetricsRegistry& metrics, int index, AccessLog* access_log, ShadowDispatcher* shadow)
      : io(1),
        acceptor(io),
        context(snapshot, io.get_executor(), options, in_flight, metrics, index, access_log,
                shadow) {}

  asio::io_context io;
  tcp::acceptor acceptor;
  WorkerContext context;
  std::thread thread;
};

namespace {

void bind_acceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.set_option(ReusePort(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, WorkerContext& context) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer backoff(executor);
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
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(executor, serve_client(std::move(socket), context), asio::detached);
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
    auto worker =
        std::make_unique<Worker>(snapshot, options_, in_flight_, metrics, i, access_log, shadow);
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
    asio::co_spawn(worker->io, accept_loop(worker->acceptor, worker->context), asio::detached);
    worker->thread = std::thread([w = worker.get()] { w->io.run(); });
  }
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
