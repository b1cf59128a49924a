// UpstreamPool; see upstream_pool.h.
#include "router/upstream_pool.h"

#include <sys/socket.h>

#include <cerrno>

#include <fmt/format.h>

namespace strangler {

namespace {

// A pooled connection is usable only when nothing is waiting on it: a 0 from recv means the
// upstream closed it, data means the upstream sent something unasked; either way it is unsafe.
bool still_open(Socket& socket) {
  char byte;
  auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

ConnectFailure classify(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return ConnectFailure::timeout;
  if (ec == asio::error::connection_refused) return ConnectFailure::refused;
  return ConnectFailure::other;
}

}  // namespace

const char* describe(ConnectFailure failure) {
  switch (failure) {
    case ConnectFailure::none:
      return "none";
    case ConnectFailure::refused:
      return "connect-refused";
    case ConnectFailure::timeout:
      return "connect-timeout";
    case ConnectFailure::resolve:
      return "resolve-failed";
    case ConnectFailure::other:
      return "connect-failed";
  }
  return "connect-failed";
}

UpstreamPool::UpstreamPool(Executor executor, PoolLimits limits)
    : executor_(std::move(executor)), limits_(limits) {}

std::unique_ptr<UpstreamConnection> UpstreamPool::take_idle(const std::string& key,
                                                            bool replayable) {
  auto found = idle_.find(key);
  if (found == idle_.end()) return nullptr;
  auto& list = found->second;
  auto now = std::chrono::steady_clock::now();
  // Newest first: the most recently used connection is the least likely to have been closed.
  while (!list.empty()) {
    Idle idle = std::move(list.back());
    list.pop_back();
    auto idle_for = now - idle.since;
    if (idle_for >= (replayable ? limits_.max_idle_time_replayable : limits_.max_idle_time)) {
      continue;
    }
    bool trusted = replayable && idle_for < limits_.check_after;
    if (trusted || still_open(idle.connection->stream.socket())) {
      idle.connection->reused = true;
      return std::move(idle.connection);
    }
  }
  return nullptr;
}

Task<std::unique_ptr<UpstreamConnection>> UpstreamPool::acquire(const CompiledTarget& target,
                                                                bool allow_reuse,
                                                                ConnectFailure& failure,
                                                                bool replayable) {
  failure = ConnectFailure::none;
  if (allow_reuse) {
    if (auto idle = take_idle(target.url.authority, replayable)) co_return idle;
  }
  co_return co_await connect(target, failure);
}

Task<std::unique_ptr<UpstreamConnection>> UpstreamPool::connect(const CompiledTarget& target,
                                                                ConnectFailure& failure) {
  auto connection = std::make_unique<UpstreamConnection>(executor_);
  connection->key = target.url.authority;
  boost::system::error_code ec;
  auto timeout = std::chrono::milliseconds(target.target.connect_timeout_ms);
  auto address = asio::ip::make_address(target.url.host, ec);
  std::vector<tcp::endpoint> endpoints;
  if (!ec) {
    endpoints.emplace_back(address, target.url.port);
  } else {
    Resolver resolver(executor_);
    auto results = co_await resolver.async_resolve(target.url.host, std::to_string(target.url.port),
                                                   use_ec(ec));
    if (ec) {
      failure = ConnectFailure::resolve;
      co_return nullptr;
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  connection->stream.expires_after(timeout);
  ec = co_await connection->stream.connect(endpoints);
  if (ec) {
    failure = classify(ec);
    co_return nullptr;
  }
  connection->stream.socket().set_option(tcp::no_delay(true), ec);
  co_return connection;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
  auto& list = idle_[connection->key];
  if (list.size() >= limits_.max_idle_per_target) return;  // closes it
  connection->stream.expires_never();
  list.push_back({std::move(connection), std::chrono::steady_clock::now()});
}

std::size_t UpstreamPool::idle_count() const {
  std::size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace strangler
