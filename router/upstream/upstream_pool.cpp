// UpstreamPool; see upstream_pool.h.
#include "router/upstream/upstream_pool.h"

#include <sys/socket.h>

#include <algorithm>
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

// Connections under a limit are pooled apart, per limiter: each holds a slot of its own limiter.
std::string pool_key(const CompiledTarget& target, const ConnectionLimiter* limiter) {
  if (!limiter) return target.url.authority;
  return fmt::format("{}#{}", target.url.authority, fmt::ptr(limiter));
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
    case ConnectFailure::queue_timeout:
      return "queue-timeout";
  }
  return "connect-failed";
}

PoolLimits pool_limits(std::chrono::milliseconds idle_timeout) {
  PoolLimits limits;
  limits.max_idle_time_replayable = idle_timeout;
  limits.max_idle_time = std::min(limits.max_idle_time, idle_timeout);
  limits.check_after = std::min(limits.check_after, idle_timeout);
  // Half the limit at most, so a connection is closed within 1.5 times its idle timeout.
  limits.sweep_every =
      std::clamp(idle_timeout / 2, std::chrono::milliseconds(10), limits.sweep_every);
  return limits;
}

UpstreamPool::UpstreamPool(Executor executor, PoolLimits limits, ThreadMetrics& metrics)
    : executor_(executor), limits_(limits), metrics_(metrics), sweep_timer_(executor) {}

// The sockets close with the lists; only the gauge needs telling. The timer's destructor cancels
// a pending sweep, whose handler then returns without touching this pool.
UpstreamPool::~UpstreamPool() {
  for (auto& [key, list] : idle_) forget_idle_list(list, 0);
}

// Forgets (and closes) the connections of `list` from index `kept` on.
void UpstreamPool::forget_idle_list(std::vector<Idle>& list, std::size_t kept) {
  for (std::size_t i = kept; i < list.size(); ++i) count_idle(*list[i].connection, -1);
  forget_idle(list.size() - kept);
  list.resize(kept);
}

void UpstreamPool::count_idle(UpstreamConnection& connection, int delta) {
  auto* limiter = connection.slot.owner();
  if (!limiter) return;
  std::weak_ptr<UpstreamPool*> alive = alive_;
  auto close_one = [alive, key = connection.key] {
    if (auto pool = alive.lock()) (*pool)->close_one_idle(key);
  };
  limiter->add_idle(this, {executor_, close_one}, delta);
}

// The oldest idle connection of `key` closes, giving its slot to a request waiting elsewhere.
void UpstreamPool::close_one_idle(const std::string& key) {
  auto found = idle_.find(key);
  if (found == idle_.end() || found->second.empty()) return;
  auto& list = found->second;
  count_idle(*list.front().connection, -1);
  list.erase(list.begin());
  forget_idle(1);
}

void UpstreamPool::forget_idle(std::size_t count) {
  idle_count_ -= count;
  metrics_.add_idle_upstream_connections(-static_cast<std::int64_t>(count));
}

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
    forget_idle(1);
    count_idle(*idle.connection, -1);
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
                                                                bool replayable,
                                                                ConnectionLimiter* limiter) {
  failure = ConnectFailure::none;
  auto key = pool_key(target, limiter);
  if (allow_reuse) {
    if (auto idle = take_idle(key, replayable)) co_return idle;
  }
  ConnectionLimiter::Slot slot;
  if (limiter && !(slot = limiter->try_take())) {
    const auto& name = target.target.name;
    metrics_.add_upstream_queue_waiting(name, 1);
    slot = co_await limiter->acquire(executor_);
    metrics_.add_upstream_queue_waiting(name, -1);
    if (!slot) {
      metrics_.record_upstream_queue_timeout(name);
      failure = ConnectFailure::queue_timeout;
      co_return nullptr;
    }
    // While this request waited, a connection may have come back to this pool.
    if (allow_reuse) {
      if (auto idle = take_idle(key, replayable)) co_return idle;  // the new slot goes back
    }
  }
  auto connection = co_await connect(target, failure);
  if (connection) {
    connection->key = std::move(key);
    connection->slot = std::move(slot);
  }
  co_return connection;
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
  metrics_.record_upstream_connect();
  co_return connection;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
  // Closing it hands its slot to a request waiting for one, on whichever thread.
  if (auto* limiter = connection->slot.owner(); limiter && limiter->has_waiters()) return;
  auto& list = idle_[connection->key];
  if (list.size() >= limits_.max_idle_per_target) return;  // closes it
  connection->stream.expires_never();
  count_idle(*connection, 1);
  list.push_back({std::move(connection), std::chrono::steady_clock::now()});
  ++idle_count_;
  metrics_.add_idle_upstream_connections(1);
  if (!sweep_armed_) arm_sweep();
}

void UpstreamPool::arm_sweep() {
  sweep_armed_ = true;
  sweep_timer_.expires_after(limits_.sweep_every);
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // the pool is being destroyed
    sweep_armed_ = false;
    sweep();
    if (idle_count_ > 0) arm_sweep();
  });
}

void UpstreamPool::sweep() {
  auto oldest_kept = std::chrono::steady_clock::now() - limits_.max_idle_time_replayable;
  std::size_t closed = 0;
  for (auto& [key, list] : idle_) {
    closed += std::erase_if(list, [&](Idle& idle) {
      bool gone = idle.since <= oldest_kept || !still_open(idle.connection->stream.socket());
      if (gone) count_idle(*idle.connection, -1);
      return gone;
    });
  }
  forget_idle(closed);
}

}  // namespace strangler
